/** The environment TapStack sets on the health-monitor function of a `dev` stack. */
export const MONITOR_ENV_FIXTURE: Record<string, string> = {
  PRIMARY_HOST: "rds-primary-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com",
  REPLICA_HOST: "rds-replica-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com",
  DB_PORT: "5432",
  DB_NAME: "appdb",
  MONITOR_DB_USER: "dr_monitor",
  PRIMARY_REGION: "ap-southeast-2",
  REPLICA_REGION: "ap-southeast-2",
  MASTER_SECRET_ARN: "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:rds!db-1a2b3c-AbCdEf",
  PROBES_PER_RUN: "4",
  PROBE_INTERVAL_SECONDS: "15",
  PROBE_TIMEOUT_SECONDS: "3",
  CONSECUTIVE_FAILURES: "3",
  METRICS_NAMESPACE: "TapStack/DR",
  ENVIRONMENT_SUFFIX: "dev",
};
