/**
 * The failover engine's Lambda functions and everything that wires them in:
 *
 * - `health-monitor` (DR region, DR VPC private subnets): probes the primary every minute
 *   (EventBridge schedule) and hands each run's result to `failover` (async destination).
 * - `failover` (DR region, no VPC: it needs the AWS APIs, never the database): triggered by the
 *   monitor's results and, independently, by the primary-unreachable alarm through EventBridge.
 *   Reserved concurrency 1, so two triggers never act at once.
 * - `db-bootstrap` (primary region, primary VPC private subnets): the monitor's bundle deployed a
 *   second time, invoked once by an operator after `pulumi up` with `{"action":"bootstrap"}` to
 *   create the monitor's IAM-authenticated role and heartbeat table on the primary.
 *
 * Why a separate bootstrap function: the bootstrap reads the RDS-managed master secret, which
 * lives in the primary region, and the monitor runs in the DR VPC without NAT. An interface
 * endpoint serves only its own region, so a DR-VPC endpoint cannot reach the secret; routing the
 * monitor to the primary region's endpoint across the peering would need private DNS tricks and
 * would leave the monitor's always-on role holding the master password. Instead the bootstrap runs
 * next to the primary, reaches Secrets Manager through an interface endpoint in the primary VPC
 * (policy: GetSecretValue on the master secret only, by the bootstrap role only; security group:
 * 443 from the bootstrap function only), and is the only role that can read the secret. The
 * monitor's role never can. Roles and tables reach the replica by physical replication.
 *
 * Every input a function needs is an environment variable set from resource outputs (names in
 * `lib/function-env.ts`, read and validated by the handlers' `env.ts`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  FENCED_AT_TAG,
  PROMOTION_REQUESTED_AT_TAG,
  type FailoverEnvName,
  type MonitorEnvName,
} from "../function-env";
import type { AlertingResult } from "./alerting";
import { METRICS_NAMESPACE } from "./alerting";
import type { BackupsResult } from "./backups";
import {
  buildLambdaBundle,
  LAMBDA_HANDLER,
  LAMBDA_RUNTIME,
  type DeployedEntry,
  type LambdaBundle,
} from "./bundle";
import { longestMonitorRunSeconds, type FailoverPolicy } from "../config";
import type { BuildContext } from "./context";
import type { DrRole } from "../naming";
import type { DatabaseResult } from "./database";
import type { DnsResult } from "./dns";
import type { EncryptionResult } from "./encryption";
import { POSTGRES_PORT, monitorSubnetIds, subnetIds, type NetworkResult } from "./network";

/** HTTPS, for the Secrets Manager interface endpoint. */
export const HTTPS_PORT = 443;

/**
 * Fixed settings of the functions that are not failover policy: sizing, timeouts, retention, the
 * schedule. The policy (probe cadence, thresholds, the lag limit) comes from `TapConfig.failoverPolicy`,
 * validated once by the policy's own module.
 */
export const FUNCTION_SETTINGS = {
  /** The database role the monitor logs in as with IAM authentication (created by the bootstrap). */
  monitorDbUser: "dr_monitor",
  /** Log retention of every function. */
  logRetentionDays: 30,
  /** Init, the heartbeat write and the metrics flush, on top of the probing (see {@link monitorTimeoutSeconds}). */
  monitorMarginSeconds: 10,
  monitorMemoryMb: 256,
  /** Lambda's maximum: a promotion plus the DNS switch takes minutes; the handler fits its deadlines into it. */
  failoverTimeoutSeconds: 900,
  failoverMemoryMb: 256,
  /** Connect (10 s) plus statements (30 s) of the bootstrap session, with room to spare. */
  bootstrapTimeoutSeconds: 60,
  /**
   * How old a queued failover event may get before Lambda drops it (reference §2: 60–21600 s). It
   * must outlive the retries of a full-length run: a 900 s attempt, the 1-minute pause, a second
   * 900 s attempt and the 2-minute pause put the last retry 1980 s after the event was queued, and
   * with reserved concurrency 1 an event can wait behind another full run (900 s) first: 2880 s,
   * rounded up to an hour. A retried event's probes are then minutes old: `decide` never starts a
   * new failover on evidence older than two monitor schedules, while resuming a begun failover needs
   * none (it re-reads the real state).
   */
  failoverMaxEventAgeSeconds: 3_600,
  /** EventBridge schedule of the monitor. */
  monitorSchedule: "rate(1 minute)",
} as const;

/**
 * Timeout of the health monitor: the longest run of `policy` (`longestMonitorRunSeconds`: the lag
 * read, the probes, extended while the last probes fail and are still short of the failover
 * threshold) plus a margin for init, the heartbeat write and the metrics flush: 106 s with the
 * defaults.
 *
 * That is longer than the one-minute schedule, so a failing run overlaps the next one. That is
 * safe: each run is a complete, independent observation, and the failover function they both hand
 * their results to has reserved concurrency 1 and re-reads the real state before each idempotent step.
 */
export function monitorTimeoutSeconds(
  policy: FailoverPolicy,
  marginSeconds: number = FUNCTION_SETTINGS.monitorMarginSeconds,
): number {
  return Math.ceil(longestMonitorRunSeconds(policy) + marginSeconds);
}

/**
 * Where Lambda's Node.js runtime keeps the CA bundle with the RDS certificate authorities; the
 * monitor verifies TLS against it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html).
 */
export const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

/** The functions of the stack. */
export type FunctionKey = "health-monitor" | "failover" | "db-bootstrap" | "snapshot-export";

/** Physical function name (also the log group's name): `lambda-<key>-<suffix>`. */
export function functionName(key: FunctionKey, environmentSuffix: string): string {
  return `lambda-${key}-${environmentSuffix}`;
}

/** The log group Lambda writes a function's logs to. */
export function logGroupName(fnName: string): string {
  return `/aws/lambda/${fnName}`;
}

// ---------------------------------------------------------------------------------------------
// Environment

/** Resolved values the monitor's environment is built from. */
export interface MonitorEnvInputs {
  readonly primaryHost: pulumi.Input<string>;
  readonly replicaHost: pulumi.Input<string>;
  readonly dbPort: number;
  readonly dbName: string;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly masterSecretArn: pulumi.Input<string>;
  readonly environmentSuffix: string;
  /** The stack's failover policy (`TapConfig.failoverPolicy`): the monitor reads its probe cadence. */
  readonly policy: FailoverPolicy;
}

/**
 * Every variable of {@link MonitorEnvName} (the `Record` type makes a missing one a compile error),
 * plus `NODE_EXTRA_CA_CERTS`, without which Node does not trust the RDS CA.
 */
export function monitorEnvironment(
  v: MonitorEnvInputs,
): Record<MonitorEnvName | "NODE_EXTRA_CA_CERTS", pulumi.Input<string>> {
  const s = FUNCTION_SETTINGS;
  const p = v.policy;
  return {
    PRIMARY_HOST: v.primaryHost,
    REPLICA_HOST: v.replicaHost,
    DB_PORT: String(v.dbPort),
    DB_NAME: v.dbName,
    MONITOR_DB_USER: s.monitorDbUser,
    PRIMARY_REGION: v.primaryRegion,
    REPLICA_REGION: v.replicaRegion,
    MASTER_SECRET_ARN: v.masterSecretArn,
    PROBES_PER_RUN: String(p.probesPerRun),
    PROBE_INTERVAL_SECONDS: String(p.probeIntervalSeconds),
    PROBE_TIMEOUT_SECONDS: String(p.probeTimeoutSeconds),
    CONSECUTIVE_FAILURES: String(p.consecutiveFailuresToFailover),
    METRICS_NAMESPACE: METRICS_NAMESPACE,
    ENVIRONMENT_SUFFIX: v.environmentSuffix,
    NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
  };
}

/** Resolved values the failover function's environment is built from. */
export interface FailoverEnvInputs {
  readonly primaryInstanceId: pulumi.Input<string>;
  readonly replicaInstanceId: pulumi.Input<string>;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly primarySecurityGroupId: pulumi.Input<string>;
  readonly hostedZoneId: pulumi.Input<string>;
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  readonly dnsTtlSeconds: number;
  readonly alertTopicArn: pulumi.Input<string>;
  readonly reportBucket: pulumi.Input<string>;
  readonly backupRetentionDays: number;
  /** The stack's failover policy (`TapConfig.failoverPolicy`): the function reads its thresholds. */
  readonly policy: FailoverPolicy;
  readonly primaryAlarmName: pulumi.Input<string>;
  readonly monitorFunctionName: string;
  readonly environmentSuffix: string;
}

/** Every variable of {@link FailoverEnvName}. */
export function failoverEnvironment(v: FailoverEnvInputs): Record<FailoverEnvName, pulumi.Input<string>> {
  const p = v.policy;
  return {
    PRIMARY_INSTANCE_ID: v.primaryInstanceId,
    REPLICA_INSTANCE_ID: v.replicaInstanceId,
    PRIMARY_REGION: v.primaryRegion,
    REPLICA_REGION: v.replicaRegion,
    PRIMARY_SECURITY_GROUP_ID: v.primarySecurityGroupId,
    HOSTED_ZONE_ID: v.hostedZoneId,
    WRITER_RECORD_NAME: v.writerRecordName,
    READER_RECORD_NAME: v.readerRecordName,
    DNS_TTL_SECONDS: String(v.dnsTtlSeconds),
    ALERT_TOPIC_ARN: v.alertTopicArn,
    REPORT_BUCKET: v.reportBucket,
    BACKUP_RETENTION_DAYS: String(v.backupRetentionDays),
    MAX_REPLICATION_LAG_SECONDS: String(p.maxReplicationLagSeconds),
    ACCEPT_DATA_LOSS: String(p.acceptDataLoss),
    CONSECUTIVE_FAILURES: String(p.consecutiveFailuresToFailover),
    PRIMARY_ALARM_NAME: v.primaryAlarmName,
    MONITOR_FUNCTION_NAME: v.monitorFunctionName,
    METRICS_NAMESPACE: METRICS_NAMESPACE,
    ENVIRONMENT_SUFFIX: v.environmentSuffix,
  };
}

// ---------------------------------------------------------------------------------------------
// IAM policy documents (pure: plain ARNs in, AWS JSON out)

/** One IAM statement in AWS JSON form. */
export interface IamStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: Record<string, Record<string, string[]>>;
}

/** An IAM policy document. */
export interface IamPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: IamStatement[];
}

/** `rds-db:connect` resource of one database user (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html). */
export function dbUserArn(region: string, accountId: string, dbiResourceId: string, user: string): string {
  if (!/^db-[A-Z0-9]+$/.test(dbiResourceId)) {
    throw new Error(
      `DbiResourceId ${JSON.stringify(dbiResourceId)} is not an RDS resource id (like db-ABCDEFGHIJKL); pass the instance's resourceId output, not its identifier`,
    );
  }
  return `arn:aws:rds-db:${region}:${accountId}:dbuser:${dbiResourceId}/${user}`;
}

/** ARN of an EC2 security group. */
export function securityGroupArn(region: string, accountId: string, groupId: string): string {
  return `arn:aws:ec2:${region}:${accountId}:security-group/${groupId}`;
}

/**
 * Unqualified ARN of a function of this stack. Known before the function exists, so a policy can
 * name a function created after its role (the failover role names the health-monitor, whose own
 * role names the failover function).
 */
export function lambdaFunctionArn(region: string, accountId: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

/** Writing to its own, pre-created log group (no logs:CreateLogGroup). */
function logsStatement(logGroupArn: string): IamStatement {
  return {
    Sid: "OwnLogGroup",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: [`${logGroupArn}:*`],
  };
}

/**
 * What a function attached to a VPC needs to manage its network interfaces, as in AWS's
 * AWSLambdaVPCAccessExecutionRole. `*`: Lambda creates the ENIs under the function's role before
 * their ids exist, and the Describe calls have no resource-level permissions
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
 */
function vpcEniStatement(): IamStatement {
  return {
    Sid: "VpcNetworkInterfaces",
    Effect: "Allow",
    Action: [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ],
    Resource: ["*"],
  };
}

/** The exact resources of the failover function's permissions. */
export interface FailoverPolicyTargets {
  /** The writer slot (fenced and, if it still answers, rebooted). */
  readonly primaryDbArn: string;
  /** The standby slot (promoted). */
  readonly replicaDbArn: string;
  /** The writer slot's client security group (fencing revokes its ingress). */
  readonly primarySecurityGroupArn: string;
  readonly hostedZoneArn: string;
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  readonly alertTopicArn: string;
  readonly reportBucketArn: string;
  readonly drKeyArn: string;
  readonly drRegion: string;
  readonly logGroupArn: string;
  /** The health-monitor's unqualified function ARN (the switchover's WAL positions come from it). */
  readonly monitorFunctionArn: string;
}

/**
 * Least privilege of the failover function: exactly the calls of `lib/lambda/adapters/aws/`, on
 * exactly this stack's resources.
 */
export function failoverPolicyDocument(t: FailoverPolicyTargets): IamPolicyDocument {
  // Route 53 compares these keys with names in lower case without the trailing dot
  // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html).
  const normalise = (name: string): string => name.toLowerCase().replace(/\.$/, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DescribeBothInstances",
        Effect: "Allow",
        Action: ["rds:DescribeDBInstances"],
        Resource: [t.primaryDbArn, t.replicaDbArn],
      },
      {
        // Revoking a security-group rule does not cut connections already tracked
        // (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html),
        // so the fence reboots an old writer that still answers; only the writer can be rebooted.
        Sid: "RebootTheWriterToFence",
        Effect: "Allow",
        Action: ["rds:RebootDBInstance"],
        Resource: [t.primaryDbArn],
      },
      {
        // The fence marks the old writer, so later runs know it is fenced; no other tag key.
        Sid: "TagTheFencedWriter",
        Effect: "Allow",
        Action: ["rds:AddTagsToResource"],
        Resource: [t.primaryDbArn],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [FENCED_AT_TAG] } },
      },
      {
        // A switchover that stops before promoting undoes its fence, mark included.
        Sid: "UntagTheUnfencedWriter",
        Effect: "Allow",
        Action: ["rds:RemoveTagsFromResource"],
        Resource: [t.primaryDbArn],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [FENCED_AT_TAG] } },
      },
      {
        // The promotion is marked before it is requested (RDS has no "promoting" status), and the
        // mark is removed again when RDS refuses the promotion; no other tag key.
        Sid: "MarkThePromotion",
        Effect: "Allow",
        Action: ["rds:AddTagsToResource", "rds:RemoveTagsFromResource"],
        Resource: [t.replicaDbArn],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": [PROMOTION_REQUESTED_AT_TAG] } },
      },
      {
        Sid: "PromoteTheReplicaOnly",
        Effect: "Allow",
        Action: ["rds:PromoteReadReplica"],
        Resource: [t.replicaDbArn],
      },
      {
        // Backups are turned on after the writer switch (promoted with retention 0, reference §1.2).
        Sid: "EnableBackupsOnThePromotedReplica",
        Effect: "Allow",
        Action: ["rds:ModifyDBInstance"],
        Resource: [t.replicaDbArn],
      },
      {
        // EC2 Describe calls have no resource-level permissions: "*" is the only resource AWS accepts.
        Sid: "ReadSecurityGroupRules",
        Effect: "Allow",
        Action: ["ec2:DescribeSecurityGroupRules"],
        Resource: ["*"],
      },
      {
        // Revoke to fence; authorize exactly the revoked rules again to undo a stopped switchover.
        Sid: "FenceThePrimary",
        Effect: "Allow",
        Action: ["ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress"],
        Resource: [t.primarySecurityGroupArn],
      },
      {
        Sid: "ReadRecords",
        Effect: "Allow",
        Action: ["route53:ListResourceRecordSets"],
        Resource: [t.hostedZoneArn],
      },
      {
        Sid: "UpsertWriterAndReaderCnames",
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets"],
        Resource: [t.hostedZoneArn],
        Condition: {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
              normalise(t.writerRecordName),
              normalise(t.readerRecordName),
            ],
            "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        },
      },
      {
        // Change ids are issued per request; change/* is the narrowest resource there is.
        Sid: "WaitForInsync",
        Effect: "Allow",
        Action: ["route53:GetChange"],
        Resource: ["arn:aws:route53:::change/*"],
      },
      {
        // The switchover's catch-up check: this function has no network path to the databases, so
        // it invokes the health-monitor (RequestResponse, no Qualifier). Exactly its unqualified
        // ARN: Lambda scopes function actions by function, version or alias ARN
        // (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html), and an
        // unqualified invocation needs nothing more, so no version or alias (":*") is granted.
        Sid: "ReadWalPositionsThroughMonitor",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [t.monitorFunctionArn],
      },
      {
        Sid: "NotifyDrTopic",
        Effect: "Allow",
        Action: ["sns:Publish"],
        Resource: [t.alertTopicArn],
      },
      {
        Sid: "WriteReports",
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: [`${t.reportBucketArn}/reports/*`],
      },
      {
        // Whether a report exists is a ListObjectsV2 with the report's exact key as prefix, so
        // listing is all the check needs, limited to the reports prefix.
        Sid: "ListReports",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [t.reportBucketArn],
        Condition: { StringLike: { "s3:prefix": ["reports/*"] } },
      },
      {
        // The alert ledger: the last send time of each de-duplicated alert, one object per alert.
        Sid: "ReadAndRecordAlerts",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject"],
        Resource: [`${t.reportBucketArn}/alerts/*`],
      },
      {
        // A GET of a missing key is a 403 without a listing grant that applies to it, and an
        // s3:prefix-conditioned grant never applies to a GET; so the ledger lists the exact key first.
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
        Sid: "ListAlerts",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: [t.reportBucketArn],
        Condition: { StringLike: { "s3:prefix": ["alerts/*"] } },
      },
      {
        // SSE-KMS reports and the encrypted topic; only when S3 or SNS in the DR region asks.
        Sid: "DrKeyThroughS3AndSns",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: [t.drKeyArn],
        Condition: {
          StringEquals: {
            "kms:ViaService": [`s3.${t.drRegion}.amazonaws.com`, `sns.${t.drRegion}.amazonaws.com`],
          },
        },
      },
      {
        // CloudWatch metric reads have no resource-level permissions: "*" is the only resource.
        // It covers every region the function reads: lag history and PrimaryRegionApiReachable in
        // the DR region, ReplicaLag in the replica's, RDS's own CPUUtilization of the primary in the
        // primary's (the second signal that the primary is gone).
        Sid: "ReadLagMetrics",
        Effect: "Allow",
        Action: ["cloudwatch:GetMetricData"],
        Resource: ["*"],
      },
      logsStatement(t.logGroupArn),
    ],
  };
}

/** The exact resources of the health-monitor's permissions. */
export interface MonitorPolicyTargets {
  /** `rds-db:connect` resources of the monitor user on the primary and on the replica. */
  readonly dbUserArns: readonly string[];
  readonly failoverFunctionArn: string;
  readonly logGroupArn: string;
}

/** Least privilege of the health-monitor: IAM database login, its VPC ENIs, its destination, its logs. */
export function monitorPolicyDocument(t: MonitorPolicyTargets): IamPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "IamDatabaseLogin",
        Effect: "Allow",
        Action: ["rds-db:connect"],
        Resource: [...t.dbUserArns],
      },
      vpcEniStatement(),
      {
        // Lambda invokes the async destination with the function's own role.
        Sid: "DeliverResultsToFailover",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [t.failoverFunctionArn],
      },
      logsStatement(t.logGroupArn),
    ],
  };
}

/** The exact resources of the bootstrap function's permissions. */
export interface BootstrapPolicyTargets {
  readonly masterSecretArn: string;
  /** The key that encrypts the master secret (the primary-region key). */
  readonly secretKeyArn: string;
  readonly primaryRegion: string;
  readonly logGroupArn: string;
}

/** Least privilege of the bootstrap: the master secret (and its key, through Secrets Manager only), ENIs, logs. */
export function bootstrapPolicyDocument(t: BootstrapPolicyTargets): IamPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadMasterSecret",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [t.masterSecretArn],
      },
      {
        Sid: "DecryptMasterSecret",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [t.secretKeyArn],
        Condition: {
          StringEquals: { "kms:ViaService": [`secretsmanager.${t.primaryRegion}.amazonaws.com`] },
        },
      },
      vpcEniStatement(),
      logsStatement(t.logGroupArn),
    ],
  };
}

/** Trust policy of every function role. */
export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

/**
 * Policy of the Secrets Manager endpoint: only the bootstrap role, only GetSecretValue, only the
 * master secret. Anything else sent through the endpoint is refused before IAM is consulted.
 */
export function secretsEndpointPolicy(bootstrapRoleArn: string, masterSecretArn: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "BootstrapReadsMasterSecret",
        Effect: "Allow",
        Principal: { AWS: [bootstrapRoleArn] },
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [masterSecretArn],
      },
    ],
  };
}

/** Event pattern of the second trigger: the primary-unreachable alarm entering ALARM. */
export function alarmEventPattern(alarmArn: string): object {
  return {
    source: ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change"],
    resources: [alarmArn],
    detail: { state: { value: ["ALARM"] } },
  };
}

/** The `aws lambda invoke` command that runs the one-time bootstrap. */
export function bootstrapCommand(fnName: string, region: string): string {
  return (
    `aws lambda invoke --region ${region} --function-name ${fnName} ` +
    `--cli-binary-format raw-in-base64-out --payload '{"action":"bootstrap"}' bootstrap-result.json`
  );
}

// ---------------------------------------------------------------------------------------------
// Resources

/** One function with what belongs to it. */
export interface FunctionResources {
  readonly fn: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Physical name (known before deployment). */
  readonly name: string;
}

/** What the functions builder creates. */
export interface FunctionsResult {
  readonly monitor: FunctionResources;
  readonly failover: FunctionResources;
  readonly bootstrap: FunctionResources;
  /** Security group of the bootstrap function in the primary VPC. */
  readonly bootstrapSecurityGroup: aws.ec2.SecurityGroup;
  readonly secretsEndpoint: aws.ec2.VpcEndpoint;
  readonly secretsEndpointSecurityGroup: aws.ec2.SecurityGroup;
  readonly monitorSchedule: aws.cloudwatch.EventRule;
  readonly alarmRule: aws.cloudwatch.EventRule;
  readonly monitorDestination: aws.lambda.FunctionEventInvokeConfig;
  readonly failoverErrorsAlarm: aws.cloudwatch.MetricAlarm;
  /** The command an operator runs once after the first `pulumi up`. */
  readonly bootstrapCommand: string;
}

/** What the functions builder needs from the other builders. */
export interface FunctionsDeps {
  readonly network: NetworkResult;
  readonly encryption: EncryptionResult;
  readonly database: DatabaseResult;
  readonly backups: BackupsResult;
  readonly alerting: AlertingResult;
  readonly dns: DnsResult;
}

/** The deployment package of a bundle: every file at its path, the entry at the root. */
export function bundleArchive(bundle: LambdaBundle): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive(
    Object.fromEntries(bundle.files.map((f) => [f.path, new pulumi.asset.StringAsset(f.text)])),
  );
}

/** The deployment package of one Lambda entry, bundled when the program runs. */
export function code(entry: DeployedEntry): pulumi.Output<pulumi.asset.Archive> {
  return pulumi.output(buildLambdaBundle(entry)).apply(bundleArchive);
}

const toJson = (doc: unknown): string => JSON.stringify(doc);

/**
 * Role, policy and log group of one function; the function itself is created by the caller
 * (its options differ too much to share).
 */
export function roleAndLogs(
  ctx: BuildContext,
  key: FunctionKey,
  drRole: "monitoring" | "failover" | "backup",
  region: string,
  key_: aws.kms.Key,
  provider: aws.Provider,
  policy: (logGroupArn: pulumi.Output<string>) => pulumi.Output<string>,
): Omit<FunctionResources, "fn"> {
  const opts = { parent: ctx.parent, provider };
  const name = functionName(key, ctx.config.environmentSuffix);
  const logGroupLogical = ctx.name(`logs-${key}`);
  const logGroup = new aws.cloudwatch.LogGroup(
    logGroupLogical,
    {
      name: logGroupName(name),
      retentionInDays: FUNCTION_SETTINGS.logRetentionDays,
      // CloudWatch Logs may use the key through the key policy's logs.<region> statement.
      kmsKeyId: key_.arn,
      tags: ctx.tags(drRole, logGroupLogical),
    },
    opts,
  );
  const roleLogical = ctx.name(`iam-${key}`);
  const role = new aws.iam.Role(
    roleLogical,
    {
      description: `TapStack ${ctx.config.environmentSuffix} ${key} function (${region})`,
      assumeRolePolicy: LAMBDA_TRUST_POLICY,
      forceDetachPolicies: true,
      tags: ctx.tags(drRole, roleLogical),
    },
    opts,
  );
  const rolePolicy = new aws.iam.RolePolicy(
    ctx.name(`iam-${key}-policy`),
    { role: role.id, policy: policy(logGroup.arn) },
    opts,
  );
  return { role, policy: rolePolicy, logGroup, name };
}

/**
 * The three functions, their roles, log groups, triggers, destination, network access and the
 * failover-errors alarm. Route 53's metric health check on the primary-unreachable alarm already
 * exists (`dns.ts`), as do the primary-unreachable and monitor-silent alarms (`alerting.ts`).
 */
export function buildFunctions(ctx: BuildContext, deps: FunctionsDeps): FunctionsResult {
  const { config, providers, accountId } = ctx;
  const { network, encryption, database, backups, alerting, dns } = deps;
  const suffix = config.environmentSuffix;
  const dr = { parent: ctx.parent, provider: providers.dr };
  const primaryOpts = { parent: ctx.parent, provider: providers.primary };
  const monitorName = functionName("health-monitor", suffix);

  // PRIMARY_* is the writer slot and REPLICA_* the standby slot: after `tap:activeWriter replica`
  // the functions watch and protect the promoted instance.
  const writerSgs = network.dbSecurityGroups[database.topology.writer];
  const monitorEnv = monitorEnvironment({
    primaryHost: database.writer.address,
    replicaHost: database.standby.address,
    dbPort: POSTGRES_PORT,
    dbName: config.databaseName,
    primaryRegion: database.writerRegion,
    replicaRegion: database.standbyRegion,
    masterSecretArn: database.masterSecretArn,
    environmentSuffix: suffix,
    policy: config.failoverPolicy,
  });

  // ---- failover (DR region, no VPC) ----------------------------------------------------------
  const failoverParts = roleAndLogs(
    ctx,
    "failover",
    "failover",
    config.drRegion,
    encryption.drKey,
    providers.dr,
    (logGroupArn) =>
      pulumi
        .all([
          database.writer.arn,
          database.standby.arn,
          writerSgs.clients.securityGroup.id,
          dns.zone.arn,
          alerting.drTopic.arn,
          backups.drBucket.bucket.arn,
          encryption.drKey.arn,
          accountId,
          logGroupArn,
        ])
        .apply(([primaryDbArn, replicaDbArn, sgId, zoneArn, topicArn, bucketArn, keyArn, account, lgArn]) =>
          toJson(
            failoverPolicyDocument({
              primaryDbArn,
              replicaDbArn,
              primarySecurityGroupArn: securityGroupArn(database.writerRegion, account, sgId),
              hostedZoneArn: zoneArn,
              writerRecordName: dns.writerRecordName,
              readerRecordName: dns.readerRecordName,
              alertTopicArn: topicArn,
              reportBucketArn: bucketArn,
              drKeyArn: keyArn,
              drRegion: config.drRegion,
              logGroupArn: lgArn,
              monitorFunctionArn: lambdaFunctionArn(config.drRegion, account, monitorName),
            }),
          ),
        ),
  );
  const failoverLogical = ctx.name("lambda-failover");
  const failoverFn = new aws.lambda.Function(
    failoverLogical,
    {
      name: failoverParts.name,
      description: `TapStack ${suffix}: decide and carry out the failover of the primary`,
      runtime: LAMBDA_RUNTIME,
      handler: LAMBDA_HANDLER,
      code: code("failover"),
      role: failoverParts.role.arn,
      timeout: FUNCTION_SETTINGS.failoverTimeoutSeconds,
      memorySize: FUNCTION_SETTINGS.failoverMemoryMb,
      // One evaluation at a time: two triggers acting at once could both try to promote.
      reservedConcurrentExecutions: 1,
      environment: {
        variables: failoverEnvironment({
          primaryInstanceId: database.writer.identifier,
          replicaInstanceId: database.standby.identifier,
          primaryRegion: database.writerRegion,
          replicaRegion: database.standbyRegion,
          // The client group only: fencing revokes all of its ingress, and the access group keeps
          // the monitor observing the old writer.
          primarySecurityGroupId: writerSgs.clients.securityGroup.id,
          hostedZoneId: dns.zone.zoneId,
          writerRecordName: dns.writerRecordName,
          readerRecordName: dns.readerRecordName,
          dnsTtlSeconds: config.dnsTtlSeconds,
          alertTopicArn: alerting.drTopic.arn,
          reportBucket: backups.drBucket.bucket.bucket,
          backupRetentionDays: config.backupRetentionDays,
          policy: config.failoverPolicy,
          primaryAlarmName: alerting.primaryUnreachableAlarm.name,
          monitorFunctionName: monitorName,
          environmentSuffix: suffix,
        }),
      },
      loggingConfig: { logFormat: "Text", logGroup: failoverParts.logGroup.name },
      tags: ctx.tags("failover", failoverLogical),
    },
    { ...dr, dependsOn: [failoverParts.logGroup, failoverParts.policy] },
  );
  // Lambda retries throttled async events (reserved concurrency 1) until they are this old.
  new aws.lambda.FunctionEventInvokeConfig(
    ctx.name("lambda-failover-async"),
    {
      functionName: failoverFn.name,
      maximumEventAgeInSeconds: FUNCTION_SETTINGS.failoverMaxEventAgeSeconds,
      maximumRetryAttempts: 2,
    },
    dr,
  );

  // ---- health-monitor (DR region, DR VPC) ----------------------------------------------------
  const monitorParts = roleAndLogs(
    ctx,
    "health-monitor",
    "monitoring",
    config.drRegion,
    encryption.drKey,
    providers.dr,
    (logGroupArn) =>
      pulumi
        .all([
          database.writer.resourceId,
          database.standby.resourceId,
          failoverFn.arn,
          accountId,
          logGroupArn,
        ])
        .apply(([primaryResourceId, replicaResourceId, failoverArn, account, lgArn]) =>
          toJson(
            monitorPolicyDocument({
              dbUserArns: [
                dbUserArn(database.writerRegion, account, primaryResourceId, FUNCTION_SETTINGS.monitorDbUser),
                dbUserArn(
                  database.standbyRegion,
                  account,
                  replicaResourceId,
                  FUNCTION_SETTINGS.monitorDbUser,
                ),
              ],
              failoverFunctionArn: failoverArn,
              logGroupArn: lgArn,
            }),
          ),
        ),
  );
  const monitorLogical = ctx.name("lambda-health-monitor");
  const monitorFn = new aws.lambda.Function(
    monitorLogical,
    {
      name: monitorName,
      description: `TapStack ${suffix}: probe the primary and the replica every minute`,
      runtime: LAMBDA_RUNTIME,
      handler: LAMBDA_HANDLER,
      code: code("health-monitor"),
      role: monitorParts.role.arn,
      timeout: monitorTimeoutSeconds(config.failoverPolicy),
      memorySize: FUNCTION_SETTINGS.monitorMemoryMb,
      // Only the monitor subnets: the databases' access groups admit exactly their CIDRs, and the
      // policy pack refuses any other resource in them.
      vpcConfig: {
        subnetIds: monitorSubnetIds(network),
        securityGroupIds: [network.monitorSecurityGroup.id],
      },
      environment: { variables: monitorEnv },
      loggingConfig: { logFormat: "Text", logGroup: monitorParts.logGroup.name },
      tags: ctx.tags("monitoring", monitorLogical),
    },
    { ...dr, dependsOn: [monitorParts.logGroup, monitorParts.policy] },
  );
  // Only successful runs go to failover: its handler accepts the success envelope only. A failed
  // run (an exception, not a failed probe: those are results) emits no MonitorRun metric, which
  // the monitor-silent alarm reports. A tick is never retried: the next one comes a minute later.
  const monitorDestination = new aws.lambda.FunctionEventInvokeConfig(
    ctx.name("lambda-health-monitor-async"),
    {
      functionName: monitorFn.name,
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 60,
      destinationConfig: { onSuccess: { destination: failoverFn.arn } },
    },
    dr,
  );

  // The monitor reaches the databases on 5432. Across the inter-region peering security-group
  // references do not work, so the access groups admit the monitor's subnets by CIDR (network.ts);
  // an access group in the monitor's own VPC (a cross-region replica slot) also admits its group.
  for (const role of ["primary", "replica"] as const) {
    const group = network.dbSecurityGroups[role];
    if (group.vpc !== network.drVpc) continue;
    const ruleName = ctx.name(`sgr-db-${role}-from-health-monitor`);
    new aws.vpc.SecurityGroupIngressRule(
      ruleName,
      {
        securityGroupId: group.access.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        referencedSecurityGroupId: network.monitorSecurityGroup.id,
        description: "health monitor function",
        tags: { ...ctx.tags(role, ruleName), "Ingress-Kind": "monitor" },
      },
      { parent: ctx.parent, provider: role === "primary" ? providers.primary : providers.replica },
    );
  }

  // EventBridge rule names are at most 64 characters; this one and "events-primary-unreachable"
  // stay within that for the longest suffix config validation accepts.
  const monitorSchedule = eventTrigger(
    ctx,
    {
      ruleName: ctx.name("events-monitor-schedule"),
      targetName: ctx.name("events-monitor-schedule-target"),
      permissionName: ctx.name("lambda-health-monitor-allow-schedule"),
      description: `TapStack ${suffix}: run the health monitor every minute`,
      drRole: "monitoring",
      trigger: { scheduleExpression: FUNCTION_SETTINGS.monitorSchedule },
      fn: monitorFn,
    },
    dr,
  );

  // The second, independent trigger: the primary-unreachable alarm entering ALARM.
  const alarmRule = eventTrigger(
    ctx,
    {
      ruleName: ctx.name("events-primary-unreachable"),
      targetName: ctx.name("events-primary-unreachable-target"),
      permissionName: ctx.name("lambda-failover-allow-alarm-rule"),
      description: `TapStack ${suffix}: evaluate failover when the primary-unreachable alarm fires`,
      drRole: "failover",
      trigger: {
        eventPattern: alerting.primaryUnreachableAlarm.arn.apply((arn) =>
          JSON.stringify(alarmEventPattern(arn)),
        ),
      },
      fn: failoverFn,
    },
    dr,
  );

  const errorsAlarmName = ctx.name("alarm-failover-errors");
  const failoverErrorsAlarm = new aws.cloudwatch.MetricAlarm(
    errorsAlarmName,
    {
      name: errorsAlarmName,
      alarmDescription: `TapStack ${suffix}: the failover function failed (an invocation ended with an error)`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: failoverFn.name },
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      period: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      alarmActions: [alerting.drTopic.arn],
      okActions: [alerting.drTopic.arn],
      tags: ctx.tags("failover", errorsAlarmName),
    },
    dr,
  );

  // ---- db-bootstrap (primary region, primary VPC) --------------------------------------------
  const bootstrapSgName = ctx.name("sg-db-bootstrap");
  const bootstrapSecurityGroup = new aws.ec2.SecurityGroup(
    bootstrapSgName,
    {
      vpcId: network.primaryVpc.vpc.id,
      description: `DB bootstrap ${suffix}: egress 5432 to the primary and 443 to the Secrets Manager endpoint only`,
      revokeRulesOnDelete: true,
      tags: ctx.tags("monitoring", bootstrapSgName),
    },
    primaryOpts,
  );
  const endpointSgName = ctx.name("sg-secretsmanager-endpoint");
  const secretsEndpointSecurityGroup = new aws.ec2.SecurityGroup(
    endpointSgName,
    {
      vpcId: network.primaryVpc.vpc.id,
      description: `Secrets Manager endpoint ${suffix}: 443 from the DB bootstrap function only`,
      revokeRulesOnDelete: true,
      tags: ctx.tags("monitoring", endpointSgName),
    },
    primaryOpts,
  );
  const rule = (
    name: string,
    kind: "ingress" | "egress",
    groupId: pulumi.Input<string>,
    port: number,
    otherGroupId: pulumi.Input<string>,
    description: string,
  ): void => {
    const args = {
      securityGroupId: groupId,
      ipProtocol: "tcp",
      fromPort: port,
      toPort: port,
      referencedSecurityGroupId: otherGroupId,
      description,
      tags: ctx.tags("monitoring", name),
    };
    if (kind === "ingress") new aws.vpc.SecurityGroupIngressRule(name, args, primaryOpts);
    else new aws.vpc.SecurityGroupEgressRule(name, args, primaryOpts);
  };
  // The bootstrap runs next to the primary slot and reaches it through its access group.
  const primaryDbSgId = network.dbSecurityGroups.primary.access.securityGroup.id;
  rule(
    ctx.name("sgr-bootstrap-egress-db"),
    "egress",
    bootstrapSecurityGroup.id,
    POSTGRES_PORT,
    primaryDbSgId,
    "PostgreSQL on the primary",
  );
  rule(
    ctx.name("sgr-bootstrap-egress-endpoint"),
    "egress",
    bootstrapSecurityGroup.id,
    HTTPS_PORT,
    secretsEndpointSecurityGroup.id,
    "Secrets Manager endpoint",
  );
  rule(
    ctx.name("sgr-endpoint-from-bootstrap"),
    "ingress",
    secretsEndpointSecurityGroup.id,
    HTTPS_PORT,
    bootstrapSecurityGroup.id,
    "DB bootstrap function",
  );
  // Same VPC as the primary slot: its access group can name the bootstrap's group (the access
  // group is never touched by fencing).
  const dbFromBootstrap = ctx.name("sgr-db-primary-from-bootstrap");
  new aws.vpc.SecurityGroupIngressRule(
    dbFromBootstrap,
    {
      securityGroupId: primaryDbSgId,
      ipProtocol: "tcp",
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      referencedSecurityGroupId: bootstrapSecurityGroup.id,
      description: "DB bootstrap function",
      tags: { ...ctx.tags("primary", dbFromBootstrap), "Ingress-Kind": "monitor" },
    },
    primaryOpts,
  );

  const bootstrapParts = roleAndLogs(
    ctx,
    "db-bootstrap",
    "monitoring",
    config.primaryRegion,
    encryption.primaryKey,
    providers.primary,
    (logGroupArn) =>
      pulumi
        .all([database.masterSecretArn, encryption.primaryKey.arn, logGroupArn])
        .apply(([masterSecretArn, keyArn, lgArn]) =>
          toJson(
            bootstrapPolicyDocument({
              masterSecretArn,
              secretKeyArn: keyArn,
              primaryRegion: config.primaryRegion,
              logGroupArn: lgArn,
            }),
          ),
        ),
  );
  const endpointName = ctx.name("vpce-secretsmanager-primary");
  const secretsEndpoint = new aws.ec2.VpcEndpoint(
    endpointName,
    {
      vpcId: network.primaryVpc.vpc.id,
      serviceName: `com.amazonaws.${config.primaryRegion}.secretsmanager`,
      vpcEndpointType: "Interface",
      // The SDK's default endpoint name resolves to the endpoint inside the VPC.
      privateDnsEnabled: true,
      subnetIds: subnetIds(network.primaryVpc),
      securityGroupIds: [secretsEndpointSecurityGroup.id],
      policy: pulumi
        .all([bootstrapParts.role.arn, database.masterSecretArn])
        .apply(([roleArn, secretArn]) => toJson(secretsEndpointPolicy(roleArn, secretArn))),
      tags: ctx.tags("monitoring", endpointName),
    },
    primaryOpts,
  );
  const bootstrapLogical = ctx.name("lambda-db-bootstrap");
  const bootstrapFn = new aws.lambda.Function(
    bootstrapLogical,
    {
      name: bootstrapParts.name,
      description: `TapStack ${suffix}: one-time creation of the monitor's database role and heartbeat table`,
      runtime: LAMBDA_RUNTIME,
      handler: LAMBDA_HANDLER,
      // The monitor's bundle: the same validated environment, the same bootstrap code.
      code: code("health-monitor"),
      role: bootstrapParts.role.arn,
      timeout: FUNCTION_SETTINGS.bootstrapTimeoutSeconds,
      memorySize: FUNCTION_SETTINGS.monitorMemoryMb,
      vpcConfig: {
        subnetIds: subnetIds(network.primaryVpc),
        securityGroupIds: [bootstrapSecurityGroup.id],
      },
      environment: { variables: monitorEnv },
      loggingConfig: { logFormat: "Text", logGroup: bootstrapParts.logGroup.name },
      tags: ctx.tags("monitoring", bootstrapLogical),
    },
    { ...primaryOpts, dependsOn: [bootstrapParts.logGroup, bootstrapParts.policy, secretsEndpoint] },
  );

  return {
    monitor: { ...monitorParts, fn: monitorFn },
    failover: { ...failoverParts, fn: failoverFn },
    bootstrap: { ...bootstrapParts, fn: bootstrapFn },
    bootstrapSecurityGroup,
    secretsEndpoint,
    secretsEndpointSecurityGroup,
    monitorSchedule,
    alarmRule,
    monitorDestination,
    failoverErrorsAlarm,
    bootstrapCommand: bootstrapCommand(bootstrapParts.name, config.primaryRegion),
  };
}

/** An EventBridge rule that invokes `fn`: on a schedule, or on matching events. */
export interface EventTriggerArgs {
  /** Logical and physical rule name (at most 64 characters). */
  readonly ruleName: string;
  readonly targetName: string;
  /** Logical name of the Lambda permission for this rule. */
  readonly permissionName: string;
  readonly description: string;
  readonly drRole: DrRole;
  readonly trigger: { readonly scheduleExpression: string } | { readonly eventPattern: pulumi.Input<string> };
  readonly fn: aws.lambda.Function;
}

/**
 * Rule, target and the permission for events.amazonaws.com scoped to exactly this rule: the
 * function can be invoked by this rule and no other.
 */
export function eventTrigger(
  ctx: BuildContext,
  args: EventTriggerArgs,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.EventRule {
  const rule = new aws.cloudwatch.EventRule(
    args.ruleName,
    {
      name: args.ruleName,
      description: args.description,
      ...args.trigger,
      tags: ctx.tags(args.drRole, args.ruleName),
    },
    opts,
  );
  new aws.cloudwatch.EventTarget(args.targetName, { rule: rule.name, arn: args.fn.arn }, opts);
  new aws.lambda.Permission(
    args.permissionName,
    {
      action: "lambda:InvokeFunction",
      function: args.fn.name,
      principal: "events.amazonaws.com",
      sourceArn: rule.arn,
    },
    opts,
  );
  return rule;
}
