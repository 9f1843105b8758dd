import { ConfigurationError } from "../../../lib/lambda/core/errors";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import { readFailoverConfig, readStepRunnerConfig } from "../../../lib/lambda/failover/env";
import {
  FAILOVER_ENV_FIXTURE,
  RESTORE_TEST_ENV_FIXTURE,
  STEP_RUNNER_ENV_FIXTURE,
  STEP_RUNNER_FULL_ENV_FIXTURE,
} from "./fixtures";

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    readFailoverConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error("the environment was accepted");
}

describe("readFailoverConfig", () => {
  it("reads a complete environment", () => {
    expect(readFailoverConfig(FAILOVER_ENV_FIXTURE)).toEqual({
      primaryInstanceId: "rds-primary-dev",
      replicaInstanceId: "rds-replica-dev",
      primaryRegion: "ap-southeast-2",
      replicaRegion: "ap-southeast-2",
      primarySecurityGroupId: "sg-0a1b2c3d4e5f60718",
      hostedZoneId: "Z0123456789ABCDEFGHIJ",
      writerRecordName: "writer.db-dev.internal",
      readerRecordName: "reader.db-dev.internal",
      dnsTtlSeconds: 30,
      alertTopicArn: "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev",
      controlRegion: "ap-southeast-1",
      reportBucket: "backups-dr-dev-7f3a",
      backupRetentionDays: 7,
      primaryAlarmName: "primary-unreachable-dev",
      monitorFunctionName: "health-monitor-dev",
      metricsNamespace: "TapStack/DR",
      environmentSuffix: "dev",
      policy: { ...DEFAULT_POLICY },
      stateMachineArn: "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev",
      promotionTimeoutMinutes: 45,
      approvalTimeoutMinutes: 1440,
      restoreTimeoutMinutes: 180,
      restore: {
        instanceId: "rds-restored-dev",
        subnetGroupName: "dbsubnets-dr-dev",
        securityGroupIds: ["sg-0b1c2d3e4f5a60001", "sg-0b1c2d3e4f5a60002"],
        parameterGroupName: "pg-postgres14-dr-dev",
        instanceClass: "db.t3.medium",
      },
    });
  });

  it.each([
    ["approve", "approve", "30", 30],
    ["off", "off", "5", 5],
  ])("reads the regional restore mode %s and its confirmation window", (_name, mode, minutes, expected) => {
    const { policy } = readFailoverConfig({
      ...FAILOVER_ENV_FIXTURE,
      REGIONAL_RESTORE: mode,
      RESTORE_CONFIRMATION_MINUTES: minutes,
    });
    expect([policy.regionalRestore, policy.restoreConfirmationMinutes]).toEqual([mode, expected]);
  });

  it.each([
    [
      "an unknown mode",
      { REGIONAL_RESTORE: "manual" },
      'REGIONAL_RESTORE="manual" is not valid: expected auto, approve, off',
    ],
    [
      "a confirmation window the policy refuses",
      { RESTORE_CONFIRMATION_MINUTES: "121" },
      "restoreConfirmationMinutes must be a number from 0.1 to 120; got 121",
    ],
    [
      "a restore into the replica's identifier",
      { RESTORED_INSTANCE_ID: "rds-replica-dev" },
      "RESTORED_INSTANCE_ID is \"rds-replica-dev\", the primary's or the replica's: a restore needs an identifier of its own",
    ],
    [
      "no restore target (the writer is the restored instance) while regional restores are on",
      { RESTORED_INSTANCE_ID: "none", REGIONAL_RESTORE: "auto" },
      'RESTORED_INSTANCE_ID is none (no regional restore from here) but REGIONAL_RESTORE is "auto": set REGIONAL_RESTORE=off',
    ],
    [
      "a security group list with a space",
      { RESTORE_SECURITY_GROUP_IDS: "sg-0b1c2d3e4f5a60001, sg-0b1c2d3e4f5a60002" },
      'RESTORE_SECURITY_GROUP_IDS="sg-0b1c2d3e4f5a60001, sg-0b1c2d3e4f5a60002" is not valid',
    ],
    [
      "a restore timeout over 12 hours",
      { RESTORE_TIMEOUT_MINUTES: "721" },
      'RESTORE_TIMEOUT_MINUTES="721" is not valid: expected a positive integer such as 180 (at most 720)',
    ],
  ])("refuses %s", (_name, change, message) => {
    expect(problemsOf({ ...FAILOVER_ENV_FIXTURE, ...change })).toContain(message);
  });

  it("accepts no restore target when regional restores are off (tap:activeWriter restored)", () => {
    const config = readFailoverConfig({
      ...FAILOVER_ENV_FIXTURE,
      RESTORED_INSTANCE_ID: "none",
      REGIONAL_RESTORE: "off",
    });
    expect([config.restore.instanceId, config.policy.regionalRestore]).toEqual(["none", "off"]);
  });

  it("reads the workflow's limits as given", () => {
    const config = readFailoverConfig({
      ...FAILOVER_ENV_FIXTURE,
      PROMOTION_TIMEOUT_MINUTES: "90",
      APPROVAL_TIMEOUT_MINUTES: "2880",
    });
    expect([config.promotionTimeoutMinutes, config.approvalTimeoutMinutes]).toEqual([90, 2880]);
  });

  it("maps the guard variables onto the policy and drops a trailing dot from record names", () => {
    const config = readFailoverConfig({
      ...FAILOVER_ENV_FIXTURE,
      MAX_REPLICATION_LAG_SECONDS: "45",
      ACCEPT_DATA_LOSS: "true",
      CONSECUTIVE_FAILURES: "4",
      WRITER_RECORD_NAME: "writer.db-dev.internal.",
    });
    expect(config.policy).toEqual({
      ...DEFAULT_POLICY,
      maxReplicationLagSeconds: 45,
      acceptDataLoss: true,
      consecutiveFailuresToFailover: 4,
    });
    expect(config.writerRecordName).toBe("writer.db-dev.internal");
  });

  const rules: [string, Record<string, string | undefined>, string][] = [
    [
      "a missing variable",
      { REPORT_BUCKET: undefined },
      "REPORT_BUCKET is missing: set it to an S3 bucket name (3–63 lower-case letters, digits, '.', '-'), such as backups-dr-dev",
    ],
    [
      "a boolean spelled yes",
      { ACCEPT_DATA_LOSS: "yes" },
      'ACCEPT_DATA_LOSS="yes" is not valid: expected "true" or "false"',
    ],
    ["a boolean in capitals", { ACCEPT_DATA_LOSS: "TRUE" }, 'ACCEPT_DATA_LOSS="TRUE" is not valid'],
    [
      "a topic ARN of another service",
      { ALERT_TOPIC_ARN: "arn:aws:sqs:ap-southeast-1:123456789012:dr-events-dev" },
      'ALERT_TOPIC_ARN="arn:aws:sqs:ap-southeast-1:123456789012:dr-events-dev" is not valid: expected an ARN of the sns service',
    ],
    [
      "a topic ARN without an account",
      { ALERT_TOPIC_ARN: "arn:aws:sns:ap-southeast-1::dr-events-dev" },
      'ALERT_TOPIC_ARN="arn:aws:sns:ap-southeast-1::dr-events-dev" is not valid',
    ],
    [
      "a topic name instead of an ARN",
      { ALERT_TOPIC_ARN: "dr-events-dev" },
      'ALERT_TOPIC_ARN="dr-events-dev" is not valid',
    ],
    [
      "an instance id with a double hyphen",
      { PRIMARY_INSTANCE_ID: "rds--primary" },
      'PRIMARY_INSTANCE_ID="rds--primary" is not valid: expected an RDS DB instance identifier',
    ],
    [
      "an instance id starting with a digit",
      { REPLICA_INSTANCE_ID: "1replica" },
      'REPLICA_INSTANCE_ID="1replica" is not valid',
    ],
    [
      "a hosted zone id with its /hostedzone/ prefix",
      { HOSTED_ZONE_ID: "/hostedzone/Z0123456789ABCDEFGHIJ" },
      'HOSTED_ZONE_ID="/hostedzone/Z0123456789ABCDEFGHIJ" is not valid: expected a Route 53 hosted zone id',
    ],
    [
      "a security group name instead of its id",
      { PRIMARY_SECURITY_GROUP_ID: "db-sg-dev" },
      'PRIMARY_SECURITY_GROUP_ID="db-sg-dev" is not valid: expected a security group id such as sg-0123456789abcdef0',
    ],
    [
      "a record name that is not fully qualified",
      { WRITER_RECORD_NAME: "writer" },
      'WRITER_RECORD_NAME="writer" is not valid: expected a fully-qualified record name such as writer.db-dev.internal',
    ],
    [
      "a bucket name with capitals",
      { REPORT_BUCKET: "Backups-DR" },
      'REPORT_BUCKET="Backups-DR" is not valid',
    ],
    [
      "a backup retention beyond what RDS allows",
      { BACKUP_RETENTION_DAYS: "36" },
      'BACKUP_RETENTION_DAYS="36" is not valid: expected a positive integer such as 7 (at most 35)',
    ],
    ["a zero DNS TTL", { DNS_TTL_SECONDS: "0" }, 'DNS_TTL_SECONDS="0" is not valid'],
    [
      "a monitor function given as an ARN",
      { MONITOR_FUNCTION_NAME: "arn:aws:lambda:ap-southeast-1:123456789012:function:health-monitor-dev" },
      "is not valid: expected a Lambda function name (not an ARN)",
    ],
    [
      "an alarm name longer than CloudWatch allows",
      { PRIMARY_ALARM_NAME: "a".repeat(256) },
      "PRIMARY_ALARM_NAME is 256 characters long: CloudWatch alarm names have at most 255",
    ],
    [
      "the same instance as primary and replica",
      { REPLICA_INSTANCE_ID: "rds-primary-dev" },
      'PRIMARY_INSTANCE_ID and REPLICA_INSTANCE_ID are both "rds-primary-dev": the replica must be a different instance',
    ],
    [
      "the same record as writer and reader",
      { READER_RECORD_NAME: "writer.db-dev.internal" },
      'WRITER_RECORD_NAME and READER_RECORD_NAME are both "writer.db-dev.internal": they must be different records',
    ],
    [
      "a state machine given by name",
      { STATE_MACHINE_ARN: "sfn-failover-dev" },
      'STATE_MACHINE_ARN="sfn-failover-dev" is not valid: expected an ARN of the states service, such as arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev',
    ],
    [
      "a state machine ARN of another service",
      { STATE_MACHINE_ARN: "arn:aws:lambda:ap-southeast-1:123456789012:function:sfn-failover-dev" },
      'STATE_MACHINE_ARN="arn:aws:lambda:ap-southeast-1:123456789012:function:sfn-failover-dev" is not valid',
    ],
    ["a missing state machine", { STATE_MACHINE_ARN: undefined }, "STATE_MACHINE_ARN is missing"],
    [
      "a promotion timeout beyond a day",
      { PROMOTION_TIMEOUT_MINUTES: "1441" },
      'PROMOTION_TIMEOUT_MINUTES="1441" is not valid: expected a positive integer such as 45 (at most 1440)',
    ],
    [
      "a zero promotion timeout",
      { PROMOTION_TIMEOUT_MINUTES: "0" },
      'PROMOTION_TIMEOUT_MINUTES="0" is not valid',
    ],
    [
      "a promotion timeout in seconds",
      { PROMOTION_TIMEOUT_MINUTES: "45s" },
      'PROMOTION_TIMEOUT_MINUTES="45s" is not valid',
    ],
    [
      "an approval window beyond two days",
      { APPROVAL_TIMEOUT_MINUTES: "2881" },
      'APPROVAL_TIMEOUT_MINUTES="2881" is not valid: expected a positive integer such as 1440 (at most 2880)',
    ],
    [
      "a missing approval window",
      { APPROVAL_TIMEOUT_MINUTES: undefined },
      "APPROVAL_TIMEOUT_MINUTES is missing",
    ],
    [
      "a missing lag guard",
      { MAX_REPLICATION_LAG_SECONDS: undefined },
      "MAX_REPLICATION_LAG_SECONDS is missing",
    ],
  ];
  it.each(rules)("refuses %s, naming the variable and the expected form", (_name, change, message) => {
    const text = problemsOf({ ...FAILOVER_ENV_FIXTURE, ...change });
    expect(text).toContain(message);
    expect(text).toContain("The failover function's environment is invalid (1 problem)");
  });

  it("refuses an empty environment with every variable named", () => {
    const text = problemsOf({});
    expect(text).toContain("(30 problems)");
    for (const name of Object.keys(FAILOVER_ENV_FIXTURE)) expect(text).toContain(`- ${name} is missing`);
  });

  it("restates a policy the core refuses in terms of the variables the function reads", () => {
    const text = problemsOf({ ...FAILOVER_ENV_FIXTURE, CONSECUTIVE_FAILURES: "1" });
    expect(text).toContain(
      "The failover function's environment gives an invalid failover policy (CONSECUTIVE_FAILURES, MAX_REPLICATION_LAG_SECONDS, ACCEPT_DATA_LOSS, REGIONAL_RESTORE, RESTORE_CONFIRMATION_MINUTES)",
    );
    expect(text).toContain("consecutiveFailuresToFailover must be a whole number from 2 to 20; got 1");
  });

  it("takes no probe cadence: the function never probes, so the cadence stays DEFAULT_POLICY's", () => {
    const config = readFailoverConfig({
      ...FAILOVER_ENV_FIXTURE,
      PROBES_PER_RUN: "9",
      PROBE_INTERVAL_SECONDS: "5",
    });
    expect(config.policy.probesPerRun).toBe(DEFAULT_POLICY.probesPerRun);
    expect(config.policy.probeIntervalSeconds).toBe(DEFAULT_POLICY.probeIntervalSeconds);
    expect(config.policy.probeTimeoutSeconds).toBe(DEFAULT_POLICY.probeTimeoutSeconds);
  });
});

describe("readStepRunnerConfig", () => {
  it("reads the shared variables: the failover function's configuration without the workflow", () => {
    const {
      stateMachineArn: _arn,
      promotionTimeoutMinutes: _p,
      approvalTimeoutMinutes: _a,
      restoreTimeoutMinutes: _r,
      ...shared
    } = readFailoverConfig(FAILOVER_ENV_FIXTURE);
    const { restoreTest: _t, ...config } = readStepRunnerConfig(STEP_RUNNER_FULL_ENV_FIXTURE);
    expect(config).toEqual(shared);
  });

  it("reads the restore test's instance and access group, on the regional restore's subnet and parameter groups", () => {
    expect(readStepRunnerConfig(STEP_RUNNER_FULL_ENV_FIXTURE).restoreTest).toEqual({
      target: {
        instanceId: "rds-restore-test-dev",
        subnetGroupName: "dbsubnets-dr-dev",
        securityGroupIds: ["sg-0b1c2d3e4f5a60002"],
        parameterGroupName: "pg-postgres14-dr-dev",
        instanceClass: "db.t3.medium",
      },
      restoreTimeoutMinutes: 180,
    });
  });

  it("needs no workflow variable and ignores them when set", () => {
    expect(readStepRunnerConfig({ ...FAILOVER_ENV_FIXTURE, ...RESTORE_TEST_ENV_FIXTURE })).toEqual(
      readStepRunnerConfig(STEP_RUNNER_FULL_ENV_FIXTURE),
    );
  });

  it("leaves the restore test unconfigured, not the step runner broken, when none of its variables is set", () => {
    expect(readStepRunnerConfig(STEP_RUNNER_ENV_FIXTURE).restoreTest).toBeNull();
  });

  it("refuses a missing or malformed restore-test variable, and a test instance that is another instance", () => {
    const { RESTORE_TEST_INSTANCE_ID: _i, ...missing } = STEP_RUNNER_FULL_ENV_FIXTURE;
    expect(stepRunnerProblems(missing)).toContain(
      "- RESTORE_TEST_INSTANCE_ID is missing: set it to an RDS DB instance identifier",
    );
    expect(
      stepRunnerProblems({
        ...STEP_RUNNER_FULL_ENV_FIXTURE,
        RESTORE_TEST_SECURITY_GROUP_IDS: "sg-1,default",
      }),
    ).toContain(
      '- RESTORE_TEST_SECURITY_GROUP_IDS="sg-1,default" is not valid: expected comma-separated security group ids',
    );
    expect(stepRunnerProblems({ ...STEP_RUNNER_FULL_ENV_FIXTURE, RESTORE_TIMEOUT_MINUTES: "0" })).toContain(
      '- RESTORE_TIMEOUT_MINUTES="0" is not valid: expected a positive integer such as 180 (at most 720)',
    );
    expect(
      stepRunnerProblems({ ...STEP_RUNNER_FULL_ENV_FIXTURE, RESTORE_TEST_INSTANCE_ID: "rds-restored-dev" }),
    ).toContain(
      'RESTORE_TEST_INSTANCE_ID is "rds-restored-dev", the same as RESTORED_INSTANCE_ID: the restore test deletes its instance, so it needs an identifier of its own',
    );
  });

  function stepRunnerProblems(env: Record<string, string | undefined>): string {
    try {
      readStepRunnerConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      return (error as Error).message;
    }
    throw new Error("the environment was accepted");
  }

  it("refuses an empty environment with every variable named, as the step runner's", () => {
    const text = stepRunnerProblems({});
    expect(text).toContain("The step-runner function's environment is invalid (26 problems)");
    for (const name of Object.keys(STEP_RUNNER_ENV_FIXTURE)) expect(text).toContain(`- ${name} is missing`);
    // The restore test's set is optional as a whole: nothing is said about it when none is set.
    expect(text).not.toContain("RESTORE_TEST_INSTANCE_ID");
    expect(text).not.toContain("STATE_MACHINE_ARN");
  });

  it("restates a policy the core refuses as the step runner's", () => {
    expect(stepRunnerProblems({ ...STEP_RUNNER_FULL_ENV_FIXTURE, CONSECUTIVE_FAILURES: "1" })).toContain(
      "The step-runner function's environment gives an invalid failover policy (CONSECUTIVE_FAILURES, MAX_REPLICATION_LAG_SECONDS, ACCEPT_DATA_LOSS, REGIONAL_RESTORE, RESTORE_CONFIRMATION_MINUTES)",
    );
  });
});
