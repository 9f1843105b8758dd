/**
 * The environment contract between TapStack (which sets these variables on the Lambda
 * functions from resource outputs) and the handlers (which read them once at start).
 * Both sides import this list, so a variable cannot be set under one name and read
 * under another. Plain constants only: this module imports neither Pulumi nor the AWS SDK.
 */

/**
 * `RESTORED_INSTANCE_ID` of a stack whose writer is the restored instance itself
 * (`tap:activeWriter restored`): no regional restore runs from here (the writer shares the region
 * of the monitor and the workflow, and its backups are copied away from it), so nothing is read or
 * restored under that name; `REGIONAL_RESTORE` must then be `off`.
 */
export const NO_RESTORE_TARGET = "none";

/** Variables of the `health-monitor` function. */
export const MONITOR_ENV = [
  /** RDS endpoint address of the primary. */
  "PRIMARY_HOST",
  /** RDS endpoint address of the replica. */
  "REPLICA_HOST",
  "DB_PORT",
  "DB_NAME",
  /** Database role the monitor logs in as with IAM database authentication. */
  "MONITOR_DB_USER",
  "PRIMARY_REGION",
  "REPLICA_REGION",
  /** ARN of the RDS-managed master secret; read only by the one-time `bootstrap` action. */
  "MASTER_SECRET_ARN",
  "PROBES_PER_RUN",
  "PROBE_INTERVAL_SECONDS",
  "PROBE_TIMEOUT_SECONDS",
  /**
   * Same value as the failover function's: a monitor run stops probing once this many
   * consecutive failures are seen, so a smaller value here would hide failures from it.
   */
  "CONSECUTIVE_FAILURES",
  "METRICS_NAMESPACE",
  "ENVIRONMENT_SUFFIX",
] as const;

/** Variables of the `step-runner` function (the failover workflow's steps). */
export const STEP_RUNNER_ENV = [
  "PRIMARY_INSTANCE_ID",
  "REPLICA_INSTANCE_ID",
  "PRIMARY_REGION",
  "REPLICA_REGION",
  /** Security group of the primary whose client ingress is revoked to fence it. */
  "PRIMARY_SECURITY_GROUP_ID",
  "HOSTED_ZONE_ID",
  /** Fully-qualified `writer.<zone>` and `reader.<zone>` record names. */
  "WRITER_RECORD_NAME",
  "READER_RECORD_NAME",
  "DNS_TTL_SECONDS",
  /** SNS topic for DR events, in the function's (DR) region. */
  "ALERT_TOPIC_ARN",
  "REPORT_BUCKET",
  "BACKUP_RETENTION_DAYS",
  "MAX_REPLICATION_LAG_SECONDS",
  "ACCEPT_DATA_LOSS",
  /**
   * The threshold `decide` confirms a failure with. The probe cadence is the monitor's alone: the
   * failover function never probes, so it is not given PROBES_PER_RUN / PROBE_INTERVAL_SECONDS /
   * PROBE_TIMEOUT_SECONDS (its policy keeps `DEFAULT_POLICY`'s, which the stack config also uses).
   */
  "CONSECUTIVE_FAILURES",
  /** Name of the primary-unreachable alarm (the second trigger). */
  "PRIMARY_ALARM_NAME",
  /** Name of the health-monitor function: results from any other function are refused. */
  "MONITOR_FUNCTION_NAME",
  "METRICS_NAMESPACE",
  "ENVIRONMENT_SUFFIX",
  /** `auto` | `approve` | `off`: what a lost writer region with no promotable replica leads to. */
  "REGIONAL_RESTORE",
  /** Minutes a regional loss must last before a restore starts (default 10). */
  "RESTORE_CONFIRMATION_MINUTES",
  /** Identifier of the instance a regional restore creates in the DR region (`rds-restored-<suffix>`). */
  "RESTORED_INSTANCE_ID",
  /** DB subnet group of the DR VPC the restored instance is placed in. */
  "RESTORE_SUBNET_GROUP",
  /** Comma-separated security groups of the restored instance (clients, and the monitor's access). */
  "RESTORE_SECURITY_GROUP_IDS",
  /** DB parameter group (PostgreSQL 14, `rds.force_ssl=1`) in the DR region for the restored instance. */
  "RESTORE_PARAMETER_GROUP",
  /** Instance class of the restored instance (the primary's). */
  "RESTORE_INSTANCE_CLASS",
] as const;

/**
 * Variables the step runner reads for the weekly restore test, on top of {@link STEP_RUNNER_ENV}
 * (a list of their own so that the failover function, whose environment is the step runner's plus
 * its workflow's, is not given them). The test reuses RESTORE_SUBNET_GROUP, RESTORE_PARAMETER_GROUP,
 * RESTORE_INSTANCE_CLASS, REPORT_BUCKET, METRICS_NAMESPACE and ENVIRONMENT_SUFFIX.
 */
export const STEP_RUNNER_RESTORE_TEST_ENV = [
  /** Identifier of the temporary instance a restore test creates (`rds-restore-test-<suffix>`). */
  "RESTORE_TEST_INSTANCE_ID",
  /** Security group(s) of the temporary instance: the restored instance's access group only, never the client group. */
  "RESTORE_TEST_SECURITY_GROUP_IDS",
  /** Restore call → available, in minutes, before a restore test fails (the regional restore's, default 180). */
  "RESTORE_TIMEOUT_MINUTES",
] as const;

/** Variables of the `restore-check` function (the restore test's check query, in the DR VPC). */
export const RESTORE_CHECK_ENV = [
  "DB_PORT",
  "DB_NAME",
  /** The monitor's database role: the check logs in as it with IAM authentication. */
  "MONITOR_DB_USER",
  /** The DR region, where the temporary instance runs: its IAM tokens are signed for it. */
  "CONTROL_REGION",
  /** Fewest heartbeat rows the restored instance must hold (integer >= 1). */
  "RESTORE_TEST_MIN_ROWS",
  "ENVIRONMENT_SUFFIX",
] as const;

/**
 * Variables of the `failover` function: the step runner's, plus the workflow it starts and the
 * limits it gives each execution.
 */
export const FAILOVER_ENV = [
  ...STEP_RUNNER_ENV,
  /** ARN of the failover state machine (`sfn-failover-<suffix>`). */
  "STATE_MACHINE_ARN",
  /** Promote call → writable, in minutes, before the execution fails (default 45). */
  "PROMOTION_TIMEOUT_MINUTES",
  /** How long an operator has to approve a failover the lag guard blocked, in minutes (default 1440). */
  "APPROVAL_TIMEOUT_MINUTES",
  /** Restore call → restored instance available, in minutes, before the execution fails (default 180). */
  "RESTORE_TIMEOUT_MINUTES",
] as const;

/** Variables of the `snapshot-export` function. */
export const EXPORT_ENV = [
  /**
   * RDS identifier of the instance that currently takes writes (the primary, or the promoted
   * replica once the stack's active writer has been switched). Its newest automated snapshot is exported.
   */
  "WRITER_INSTANCE_ID",
  /** Region of the writer: its snapshots, the export tasks, the bucket and the key all live there. */
  "WRITER_REGION",
  /** Backup bucket in the writer's region (RDS exports only to a bucket in the snapshot's region). */
  "EXPORT_BUCKET",
  /** Role RDS assumes (`export.rds.amazonaws.com`) to write the export into the bucket. */
  "EXPORT_ROLE_ARN",
  /** Customer-managed KMS key in the writer's region that encrypts the exported files. */
  "EXPORT_KMS_KEY_ARN",
  "METRICS_NAMESPACE",
  "ENVIRONMENT_SUFFIX",
] as const;

export type MonitorEnvName = (typeof MONITOR_ENV)[number];
export type FailoverEnvName = (typeof FAILOVER_ENV)[number];
export type StepRunnerEnvName = (typeof STEP_RUNNER_ENV)[number];
export type StepRunnerRestoreTestEnvName = (typeof STEP_RUNNER_RESTORE_TEST_ENV)[number];
export type RestoreCheckEnvName = (typeof RESTORE_CHECK_ENV)[number];
export type ExportEnvName = (typeof EXPORT_ENV)[number];

/** CloudWatch namespace and metric names the monitor emits (EMF) and alarms read. */
export const METRICS = {
  /** 1 per successful primary probe, 0 per failed one; the primary-health alarm reads its Minimum. */
  primaryReachable: "PrimaryReachable",
  /**
   * The time of the run's last answered primary probe, as its value (epoch seconds; none when no
   * probe answered). Read as a Maximum it dates the primary's last answer to the second, where
   * `PrimaryReachable`'s one-minute datapoints only say "in this minute".
   */
  primaryLastAnsweredAt: "PrimaryLastAnsweredAt",
  /** Heartbeat lag on the replica, seconds, for every successful replica read (lag alarm, dashboard). */
  heartbeatLagSeconds: "HeartbeatLagSeconds",
  /**
   * Heartbeat lag, seconds, only for a reading taken while the primary answered (the run's first
   * probe, right before the read, succeeded and wrote the heartbeat the read measures), dated at the read (EMF `_aws.Timestamp`): the only lag
   * that may feed the failover's lag guard.
   */
  healthyLagSeconds: "HealthyLagSeconds",
  /** 1 per completed monitor run; the monitor-silent alarm fires when it stops. */
  monitorRun: "MonitorRun",
  /** Probe latency, milliseconds. */
  probeLatencyMs: "ProbeLatencyMs",
  /** Emitted by the failover function: 1 when an evaluation carried out failover steps, else 0. */
  failoverActed: "FailoverActed",
  /** Emitted by the failover function: 1 when an evaluation ended with an error (step or notification), else 0. */
  failoverFailed: "FailoverFailed",
  /**
   * Emitted by the failover function once per evaluation, dated at the snapshot's time: 0 when it
   * could not connect to the primary region's APIs (RDS describe or CloudWatch read), 1 when they
   * answered (a throttle or a 5xx is an answer). Later evaluations read its per-minute Maximum back
   * to see an outage that lasts minutes.
   */
  primaryRegionApiReachable: "PrimaryRegionApiReachable",
  /** Emitted by the snapshot-export function: failed export tasks seen in the last 26 hours (0 when none). */
  snapshotExportFailed: "SnapshotExportFailed",
  /** Emitted by the snapshot-export function: hours since the newest export task completed. */
  hoursSinceLastSuccessfulExport: "HoursSinceLastSuccessfulExport",
} as const;

/** Metric names of the restore test (the step runner emits them by EMF; the alarms and dashboard read them). */
export const RESTORE_TEST_METRICS = {
  /** 1 per successful test, 0 per failed one. */
  succeeded: "RestoreTestSucceeded",
  /** RestoreDBInstanceToPointInTime call → available: the measured regional-loss RTO of the restore. */
  durationSeconds: "RestoreTestDurationSeconds",
  /** Restore start − the newest heartbeat row in the restored copy. */
  dataAgeSeconds: "RestoreTestDataAgeSeconds",
  /** Hours since the newest successful test (freshness runs only). */
  ageHours: "RestoreTestAgeHours",
} as const;

/** Dimension every monitor metric carries, so stacks do not mix. */
export const METRIC_DIMENSION = "Environment";

/**
 * Tag the failover function puts on an old writer once its client ingress is revoked and its
 * sessions ended. The providers ignore it, so `pulumi up` never removes it.
 */
export const FENCED_AT_TAG = "tap:fenced-at";

/**
 * Tag the failover function puts on the replica just before it calls `PromoteReadReplica`: RDS has
 * no "promoting" status and when it clears the replica's source is UNCONFIRMED (reference §1.1,
 * §1.2), so this tag is what says "promotion begun" to a run that resumes an interrupted one.
 */
export const PROMOTION_REQUESTED_AT_TAG = "tap:promotion-requested-at";

/**
 * The health-monitor's synchronous request for the WAL positions of both databases, sent by the
 * failover function (which has no network path to them) during a switchover's catch-up wait. The
 * monitor accepts exactly this object and answers with a `ReplicationPositions`.
 */
export const REPLICATION_POSITIONS_ACTION = "replication-positions";
