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

/** EventBridge's scheduled event, as the `rate(1 minute)` rule delivers it. */
export function scheduledEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "0",
    id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: "2026-03-01T10:00:00Z",
    region: "ap-southeast-1",
    resources: ["arn:aws:events:ap-southeast-1:123456789012:rule/health-monitor-schedule-dev"],
    detail: {},
    ...overrides,
  };
}
