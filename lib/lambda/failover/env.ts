/**
 * The failover function's configuration, read from the environment TapStack sets
 * (names in `lib/function-env.ts`).
 */
import {
  NO_RESTORE_TARGET,
  type FailoverEnvName,
  type StepRunnerEnvName,
  type StepRunnerRestoreTestEnvName,
} from "../../function-env";
import { DEFAULT_POLICY } from "../core/policy";
import { REGIONAL_RESTORE_MODES, type FailoverPolicy, type RegionalRestoreMode } from "../core/types";
import { EnvReader, policyFromEnv, type EnvSource } from "../env-reader";

/** RDS keeps automated backups for at most 35 days (`PromoteReadReplica` refuses more). */
export const MAX_BACKUP_RETENTION_DAYS = 35;
/** CloudWatch alarm names are at most 255 characters. */
const MAX_ALARM_NAME_LENGTH = 255;

/** Promote call → writable, in minutes, before an execution fails: RDS promotes in minutes, a big replica takes longer. */
export const DEFAULT_PROMOTION_TIMEOUT_MINUTES = 45;
/** Longest promotion timeout accepted (the execution's own limit leaves room for it). */
export const MAX_PROMOTION_TIMEOUT_MINUTES = 24 * 60;
/** How long an operator has to approve a failover the lag guard blocked (a day: someone is paged). */
export const DEFAULT_APPROVAL_TIMEOUT_MINUTES = 24 * 60;
/** Longest approval window accepted: the execution itself is limited to 3 days. */
export const MAX_APPROVAL_TIMEOUT_MINUTES = 48 * 60;
/** A switchover's wait for the replica to replay the fenced primary's last writes (the fence reboots it: 1–3 min). */
export const CATCH_UP_TIMEOUT_SECONDS = 420;
/** Route 53 usually reaches INSYNC within 60 s; twice that before calling it failed. */
export const DNS_TIMEOUT_SECONDS = 120;
/** Restore call → restored instance available, in minutes: AWS states an RTO of "up to a few hours" (reference §1.6). */
export const DEFAULT_RESTORE_TIMEOUT_MINUTES = 180;
/** Longest restore timeout accepted. */
export const MAX_RESTORE_TIMEOUT_MINUTES = 720;

/** Where a regional restore puts the new writer (DR region). */
export interface RestoreTarget {
  /** Identifier of the instance the restore creates. */
  readonly instanceId: string;
  readonly subnetGroupName: string;
  readonly securityGroupIds: readonly string[];
  readonly parameterGroupName: string;
  readonly instanceClass: string;
}

/** Everything the step runner needs (and the failover function too), validated. */
export interface StepRunnerConfig {
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  /** Security group of the primary whose client ingress is revoked to fence it. */
  readonly primarySecurityGroupId: string;
  readonly hostedZoneId: string;
  /** `writer.<zone>`, without a trailing dot. */
  readonly writerRecordName: string;
  /** `reader.<zone>`, without a trailing dot. */
  readonly readerRecordName: string;
  readonly dnsTtlSeconds: number;
  /** SNS topic for DR events. */
  readonly alertTopicArn: string;
  /**
   * The DR (control) region the function runs in, taken from the topic's ARN: the topic, the
   * report bucket and the monitor's metrics all live there.
   */
  readonly controlRegion: string;
  readonly reportBucket: string;
  /** Backup retention set on the replica when it is promoted. */
  readonly backupRetentionDays: number;
  /** The primary-unreachable alarm: alarm events for any other name are refused. */
  readonly primaryAlarmName: string;
  /** The health-monitor function: results from any other function are refused. */
  readonly monitorFunctionName: string;
  readonly metricsNamespace: string;
  readonly environmentSuffix: string;
  readonly policy: FailoverPolicy;
  readonly restore: RestoreTarget;
}

/** The restore test's own settings (the rest of its target is the regional restore's). */
export interface RestoreTestConfig {
  /** The temporary instance: the regional restore's subnet group, parameter group and class, its own id and access group. */
  readonly target: RestoreTarget;
  readonly restoreTimeoutMinutes: number;
}

/** The step runner's configuration: the failover's steps and the restore test's. */
export interface StepRunnerFullConfig extends StepRunnerConfig {
  /** `null` when none of the restore-test variables is set: the restore test is not configured. */
  readonly restoreTest: RestoreTestConfig | null;
}

/** Everything the failover function needs: the step runner's configuration and the workflow. */
export interface FailoverConfig extends StepRunnerConfig {
  readonly stateMachineArn: string;
  readonly promotionTimeoutMinutes: number;
  readonly approvalTimeoutMinutes: number;
  readonly restoreTimeoutMinutes: number;
}

/**
 * Reads and validates the failover function's environment. Throws one `ConfigurationError` naming
 * every missing or malformed variable and the expected form.
 */
export function readFailoverConfig(env: EnvSource): FailoverConfig {
  const read = new EnvReader<FailoverEnvName>(env, "failover");
  const workflow = {
    stateMachineArn: read.arn(
      "STATE_MACHINE_ARN",
      "states",
      "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev",
    ),
    promotionTimeoutMinutes: read.positiveInteger(
      "PROMOTION_TIMEOUT_MINUTES",
      DEFAULT_PROMOTION_TIMEOUT_MINUTES,
      MAX_PROMOTION_TIMEOUT_MINUTES,
    ),
    approvalTimeoutMinutes: read.positiveInteger(
      "APPROVAL_TIMEOUT_MINUTES",
      DEFAULT_APPROVAL_TIMEOUT_MINUTES,
      MAX_APPROVAL_TIMEOUT_MINUTES,
    ),
    restoreTimeoutMinutes: read.positiveInteger(
      "RESTORE_TIMEOUT_MINUTES",
      DEFAULT_RESTORE_TIMEOUT_MINUTES,
      MAX_RESTORE_TIMEOUT_MINUTES,
    ),
  };
  const base = readBase(read, "failover", env);
  read.finish();
  return { ...base(), ...workflow };
}

/**
 * Reads and validates the step runner's environment, like {@link readFailoverConfig}: the
 * failover's variables and the restore test's (`STEP_RUNNER_RESTORE_TEST_ENV`).
 *
 * The restore test's variables come as a set: all three, or none. None leaves the restore test
 * unconfigured (`restoreTest: null`; its steps then fail with a message naming the variables)
 * rather than failing the cold start, so a stack without them keeps a working failover: the
 * failover path must not depend on the weekly test's configuration. Some but not all is refused.
 */
export function readStepRunnerConfig(env: EnvSource): StepRunnerFullConfig {
  const read = new EnvReader<StepRunnerEnvName | StepRunnerRestoreTestEnvName>(env, "step-runner");
  const base = readBase(read, "step-runner", env);
  const configured = RESTORE_TEST_VARIABLES.some((name) => (env[name] ?? "").trim() !== "");
  let restoreTest: RestoreTestConfig | null = null;
  let testInstanceId = "";
  let testSecurityGroupIds: string[] = [];
  let restoreTimeoutMinutes = 0;
  if (configured) {
    testInstanceId = read.dbInstanceId("RESTORE_TEST_INSTANCE_ID");
    testSecurityGroupIds = read
      .matching(
        "RESTORE_TEST_SECURITY_GROUP_IDS",
        SECURITY_GROUP_IDS,
        "comma-separated security group ids (the restored instance's access group), e.g. sg-0123456789abcdef0",
      )
      .split(",");
    restoreTimeoutMinutes = read.positiveInteger(
      "RESTORE_TIMEOUT_MINUTES",
      DEFAULT_RESTORE_TIMEOUT_MINUTES,
      MAX_RESTORE_TIMEOUT_MINUTES,
    );
    const ids = ["PRIMARY_INSTANCE_ID", "REPLICA_INSTANCE_ID", "RESTORED_INSTANCE_ID"] as const;
    for (const name of ids) {
      if (testInstanceId !== "" && env[name]?.trim() === testInstanceId) {
        read.problem(
          `RESTORE_TEST_INSTANCE_ID is ${JSON.stringify(testInstanceId)}, the same as ${name}: the restore test deletes its instance, so it needs an identifier of its own`,
        );
      }
    }
  }
  read.finish();
  const config = base();
  if (configured) {
    restoreTest = {
      target: { ...config.restore, instanceId: testInstanceId, securityGroupIds: testSecurityGroupIds },
      restoreTimeoutMinutes,
    };
  }
  return { ...config, restoreTest };
}

/** The step runner's restore-test variables, set together or not at all. */
export const RESTORE_TEST_VARIABLES: readonly StepRunnerRestoreTestEnvName[] = [
  "RESTORE_TEST_INSTANCE_ID",
  "RESTORE_TEST_SECURITY_GROUP_IDS",
  "RESTORE_TIMEOUT_MINUTES",
];

const SECURITY_GROUP_IDS = /^sg-[0-9a-f]{8,17}(,sg-[0-9a-f]{8,17})*$/;

/**
 * Reads the variables both functions share. The policy is judged only once every variable has
 * been read and `read.finish()` found no problem, so a missing variable is named as missing, not
 * reported as the invalid policy its placeholder makes: hence the returned builder.
 */
function readBase<Name extends string>(
  read: EnvReader<StepRunnerEnvName | Name>,
  functionLabel: string,
  env: EnvSource,
): () => StepRunnerConfig {
  const config = {
    primaryInstanceId: read.dbInstanceId("PRIMARY_INSTANCE_ID"),
    replicaInstanceId: read.dbInstanceId("REPLICA_INSTANCE_ID"),
    primaryRegion: read.region("PRIMARY_REGION"),
    replicaRegion: read.region("REPLICA_REGION"),
    primarySecurityGroupId: read.securityGroupId("PRIMARY_SECURITY_GROUP_ID"),
    hostedZoneId: read.hostedZoneId("HOSTED_ZONE_ID"),
    writerRecordName: read.recordName("WRITER_RECORD_NAME", "writer.db-dev.internal"),
    readerRecordName: read.recordName("READER_RECORD_NAME", "reader.db-dev.internal"),
    dnsTtlSeconds: read.positiveInteger("DNS_TTL_SECONDS", 30),
    alertTopicArn: read.arn(
      "ALERT_TOPIC_ARN",
      "sns",
      "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev",
    ),
    reportBucket: read.bucket("REPORT_BUCKET"),
    backupRetentionDays: read.positiveInteger("BACKUP_RETENTION_DAYS", 7, MAX_BACKUP_RETENTION_DAYS),
    primaryAlarmName: read.string("PRIMARY_ALARM_NAME", "the name of the primary-unreachable alarm"),
    monitorFunctionName: read.functionName("MONITOR_FUNCTION_NAME"),
    metricsNamespace: read.metricsNamespace("METRICS_NAMESPACE"),
    environmentSuffix: read.environmentSuffix("ENVIRONMENT_SUFFIX"),
    restore: {
      instanceId: read.dbInstanceId("RESTORED_INSTANCE_ID"),
      subnetGroupName: read.matching(
        "RESTORE_SUBNET_GROUP",
        /^[a-z][a-z0-9-]{0,254}$/,
        "a DB subnet group name (lower case letters, digits, hyphens), e.g. dbsubnets-dr-dev",
      ),
      securityGroupIds: read
        .matching(
          "RESTORE_SECURITY_GROUP_IDS",
          SECURITY_GROUP_IDS,
          "comma-separated security group ids, e.g. sg-0123456789abcdef0,sg-0fedcba9876543210",
        )
        .split(","),
      parameterGroupName: read.matching(
        "RESTORE_PARAMETER_GROUP",
        /^[a-zA-Z][a-zA-Z0-9-]{0,254}$/,
        "a DB parameter group name, e.g. pg-postgres14-dr-dev",
      ),
      instanceClass: read.matching(
        "RESTORE_INSTANCE_CLASS",
        /^db\.[a-z0-9]+\.[a-z0-9]+$/,
        "an RDS instance class, e.g. db.t3.medium",
      ),
    },
  };
  if (config.restore.instanceId === NO_RESTORE_TARGET && env.REGIONAL_RESTORE?.trim() !== "off") {
    read.problem(
      `RESTORED_INSTANCE_ID is ${NO_RESTORE_TARGET} (no regional restore from here) but REGIONAL_RESTORE is ${JSON.stringify(env.REGIONAL_RESTORE ?? "")}: set REGIONAL_RESTORE=off`,
    );
  }
  if (
    config.restore.instanceId !== "" &&
    [config.primaryInstanceId, config.replicaInstanceId].includes(config.restore.instanceId)
  ) {
    read.problem(
      `RESTORED_INSTANCE_ID is ${JSON.stringify(config.restore.instanceId)}, the primary's or the replica's: a restore needs an identifier of its own`,
    );
  }
  if (config.primaryAlarmName.length > MAX_ALARM_NAME_LENGTH) {
    read.problem(
      `PRIMARY_ALARM_NAME is ${config.primaryAlarmName.length} characters long: CloudWatch alarm names have at most ${MAX_ALARM_NAME_LENGTH}`,
    );
  }
  if (config.primaryInstanceId !== "" && config.primaryInstanceId === config.replicaInstanceId) {
    read.problem(
      `PRIMARY_INSTANCE_ID and REPLICA_INSTANCE_ID are both ${JSON.stringify(config.primaryInstanceId)}: the replica must be a different instance`,
    );
  }
  if (config.writerRecordName !== "" && config.writerRecordName === config.readerRecordName) {
    read.problem(
      `WRITER_RECORD_NAME and READER_RECORD_NAME are both ${JSON.stringify(config.writerRecordName)}: they must be different records`,
    );
  }
  // The function never probes: the cadence fields keep DEFAULT_POLICY's values, as the stack's
  // config does (lib/config.ts), and only what `decide` judges comes from the environment.
  const policy = {
    ...DEFAULT_POLICY,
    consecutiveFailuresToFailover: read.positiveInteger(
      "CONSECUTIVE_FAILURES",
      DEFAULT_POLICY.consecutiveFailuresToFailover,
    ),
    maxReplicationLagSeconds: read.positiveInteger(
      "MAX_REPLICATION_LAG_SECONDS",
      DEFAULT_POLICY.maxReplicationLagSeconds,
    ),
    acceptDataLoss: read.boolean("ACCEPT_DATA_LOSS"),
    regionalRestore: read.matching(
      "REGIONAL_RESTORE",
      new RegExp(`^(${REGIONAL_RESTORE_MODES.join("|")})$`),
      REGIONAL_RESTORE_MODES.join(", "),
    ) as RegionalRestoreMode,
    restoreConfirmationMinutes: read.positiveInteger(
      "RESTORE_CONFIRMATION_MINUTES",
      DEFAULT_POLICY.restoreConfirmationMinutes,
    ),
  };
  return () => ({
    ...config,
    controlRegion: config.alertTopicArn.split(":")[3],
    policy: policyFromEnv(policy, functionLabel, [
      "CONSECUTIVE_FAILURES",
      "MAX_REPLICATION_LAG_SECONDS",
      "ACCEPT_DATA_LOSS",
      "REGIONAL_RESTORE",
      "RESTORE_CONFIRMATION_MINUTES",
    ]),
  });
}
