/**
 * Realistic events as Lambda and EventBridge deliver them to the failover function, built from
 * defaults that individual tests override.
 */
import type { MonitorResult } from "../../../lib/lambda/core/monitor";
import type { ProbeResult } from "../../../lib/lambda/core/types";

export const MONITOR_FUNCTION = "health-monitor-dev";
export const PRIMARY_ALARM = "primary-unreachable-dev";
export const EXPECTATIONS = { monitorFunctionName: MONITOR_FUNCTION, primaryAlarmName: PRIMARY_ALARM };

/** 2026-03-01T10:00:00Z */
export const T0_MS = Date.UTC(2026, 2, 1, 10, 0, 0);

export function probe(offsetSeconds: number, outcome: ProbeResult["outcome"], latencyMs = 12): ProbeResult {
  return {
    target: "primary",
    atMs: T0_MS + offsetSeconds * 1000,
    outcome,
    latencyMs,
    ...(outcome === "ok" ? {} : { detail: `${outcome} after ${latencyMs} ms` }),
  };
}

/** A run whose first probe succeeded and the next three failed. */
export function failingRun(overrides: Partial<MonitorResult> = {}): MonitorResult {
  const lag = {
    atMs: T0_MS - 500,
    lagSeconds: 1.5,
    probe: { target: "replica" as const, atMs: T0_MS - 500, outcome: "ok" as const, latencyMs: 9 },
  };
  return {
    runId: "6f1c2b7e-run",
    startedAtMs: T0_MS - 600,
    finishedAtMs: T0_MS + 48_000,
    primaryProbes: [
      probe(0, "ok"),
      probe(15, "timeout", 3000),
      probe(30, "unreachable", 40),
      probe(45, "timeout", 3000),
    ],
    lag,
    lastHealthyLag: lag,
    consecutiveFailures: 3,
    suspectedFailure: true,
    ...overrides,
  };
}

/** The envelope Lambda sends to an asynchronous invocation's on-success destination. */
export function monitorEnvelope(
  payload: unknown = failingRun(),
  overrides: Record<string, unknown> = {},
  requestContext: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: "1.0",
    timestamp: "2026-03-01T10:00:48.311Z",
    requestContext: {
      requestId: "c5b0e1f4-7a3d-4f3e-9e0b-1a2b3c4d5e6f",
      functionArn: `arn:aws:lambda:ap-southeast-1:123456789012:function:${MONITOR_FUNCTION}:$LATEST`,
      condition: "Success",
      approximateInvokeCount: 1,
      ...requestContext,
    },
    requestPayload: {
      version: "0",
      id: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      "detail-type": "Scheduled Event",
      source: "aws.events",
    },
    responseContext: { statusCode: 200, executedVersion: "$LATEST" },
    responsePayload: payload,
    ...overrides,
  };
}

/** EventBridge's CloudWatch Alarm State Change event. */
export function alarmEvent(
  state: { value?: unknown; reason?: unknown; timestamp?: unknown } = {},
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    version: "0",
    id: "c4c1c1c9-6542-e61b-6ef0-8c4d36933a92",
    "detail-type": "CloudWatch Alarm State Change",
    source: "aws.cloudwatch",
    account: "123456789012",
    time: "2026-03-01T10:03:00Z",
    region: "ap-southeast-1",
    resources: [`arn:aws:cloudwatch:ap-southeast-1:123456789012:alarm:${PRIMARY_ALARM}`],
    detail: {
      alarmName: PRIMARY_ALARM,
      state: {
        value: "ALARM",
        reason: "Threshold Crossed: 3 out of the last 3 datapoints were less than the threshold (1.0).",
        timestamp: "2026-03-01T10:03:00.123+0000",
        ...state,
      },
      previousState: { value: "OK", reason: "ok", timestamp: "2026-03-01T09:00:00.000+0000" },
      configuration: { metrics: [] },
    },
    ...overrides,
  };
}

/** The environment TapStack sets on the step-runner function of a `dev` stack. */
export const STEP_RUNNER_ENV_FIXTURE: Record<string, string> = {
  PRIMARY_INSTANCE_ID: "rds-primary-dev",
  REPLICA_INSTANCE_ID: "rds-replica-dev",
  PRIMARY_REGION: "ap-southeast-2",
  REPLICA_REGION: "ap-southeast-2",
  PRIMARY_SECURITY_GROUP_ID: "sg-0a1b2c3d4e5f60718",
  HOSTED_ZONE_ID: "Z0123456789ABCDEFGHIJ",
  WRITER_RECORD_NAME: "writer.db-dev.internal",
  READER_RECORD_NAME: "reader.db-dev.internal",
  DNS_TTL_SECONDS: "30",
  ALERT_TOPIC_ARN: "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev",
  REPORT_BUCKET: "backups-dr-dev-7f3a",
  BACKUP_RETENTION_DAYS: "7",
  MAX_REPLICATION_LAG_SECONDS: "60",
  ACCEPT_DATA_LOSS: "false",
  CONSECUTIVE_FAILURES: "3",
  PRIMARY_ALARM_NAME: PRIMARY_ALARM,
  MONITOR_FUNCTION_NAME: MONITOR_FUNCTION,
  METRICS_NAMESPACE: "TapStack/DR",
  ENVIRONMENT_SUFFIX: "dev",
  REGIONAL_RESTORE: "auto",
  RESTORE_CONFIRMATION_MINUTES: "10",
  RESTORED_INSTANCE_ID: "rds-restored-dev",
  RESTORE_SUBNET_GROUP: "dbsubnets-dr-dev",
  RESTORE_SECURITY_GROUP_IDS: "sg-0b1c2d3e4f5a60001,sg-0b1c2d3e4f5a60002",
  RESTORE_PARAMETER_GROUP: "pg-postgres14-dr-dev",
  RESTORE_INSTANCE_CLASS: "db.t3.medium",
};

/** The step runner's restore-test variables (`STEP_RUNNER_RESTORE_TEST_ENV`) of a `dev` stack. */
export const RESTORE_TEST_ENV_FIXTURE: Record<string, string> = {
  RESTORE_TEST_INSTANCE_ID: "rds-restore-test-dev",
  RESTORE_TEST_SECURITY_GROUP_IDS: "sg-0b1c2d3e4f5a60002",
  RESTORE_TIMEOUT_MINUTES: "180",
};

/** Everything TapStack sets on the step runner of a `dev` stack: the failover's variables and the restore test's. */
export const STEP_RUNNER_FULL_ENV_FIXTURE: Record<string, string> = {
  ...STEP_RUNNER_ENV_FIXTURE,
  ...RESTORE_TEST_ENV_FIXTURE,
};

/** The environment TapStack sets on the failover function of a `dev` stack: the step runner's and the workflow's. */
export const FAILOVER_ENV_FIXTURE: Record<string, string> = {
  ...STEP_RUNNER_ENV_FIXTURE,
  STATE_MACHINE_ARN: "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev",
  PROMOTION_TIMEOUT_MINUTES: "45",
  APPROVAL_TIMEOUT_MINUTES: "1440",
  RESTORE_TIMEOUT_MINUTES: "180",
};
