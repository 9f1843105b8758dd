/**
 * The failover function's configuration, read from the environment TapStack sets
 * (names in `lib/function-env.ts`).
 */
import type { FailoverEnvName } from "../../function-env";
import { DEFAULT_POLICY } from "../core/policy";
import type { FailoverPolicy } from "../core/types";
import { EnvReader, policyFromEnv, type EnvSource } from "../env-reader";

/** RDS keeps automated backups for at most 35 days (`PromoteReadReplica` refuses more). */
export const MAX_BACKUP_RETENTION_DAYS = 35;
/** CloudWatch alarm names are at most 255 characters. */
const MAX_ALARM_NAME_LENGTH = 255;

/** Everything the failover function needs, validated. */
export interface FailoverConfig {
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
}

/**
 * Reads and validates the failover function's environment. Throws one `ConfigurationError` naming
 * every missing or malformed variable and the expected form.
 */
export function readFailoverConfig(env: EnvSource): FailoverConfig {
  const read = new EnvReader<FailoverEnvName>(env, "failover");
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
  };
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
  };
  read.finish();
  return {
    ...config,
    controlRegion: config.alertTopicArn.split(":")[3],
    policy: policyFromEnv(policy, "failover", [
      "CONSECUTIVE_FAILURES",
      "MAX_REPLICATION_LAG_SECONDS",
      "ACCEPT_DATA_LOSS",
    ]),
  };
}
