/**
 * The IAM documents of every function role and of the failover state machine's role: pure
 * functions, plain ARNs in, AWS JSON out, so the tests and the least-privilege matrix read exactly
 * what is deployed.
 *
 * The failover is split by what each principal may do: the `failover` function only reads the
 * state, alerts and starts the workflow; the state machine may only invoke the `step-runner`; the
 * step runner holds the acting permissions (promote, fence, switch DNS, restore in the DR region)
 * and cannot start a workflow.
 */
import { FENCED_AT_TAG, PROMOTION_REQUESTED_AT_TAG } from "../function-env";

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

const document = (statements: IamStatement[]): IamPolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

// ---------------------------------------------------------------------------------------------
// ARNs

/** `rds-db:connect` resource of one database user (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html). */
export function dbUserArn(region: string, accountId: string, dbiResourceId: string, user: string): string {
  if (!/^db-[A-Z0-9]+$/.test(dbiResourceId)) {
    throw new Error(
      `DbiResourceId ${JSON.stringify(dbiResourceId)} is not an RDS resource id (like db-ABCDEFGHIJKL); pass the instance's resourceId output, not its identifier`,
    );
  }
  return `arn:aws:rds-db:${region}:${accountId}:dbuser:${dbiResourceId}/${user}`;
}

/** ARN of an RDS DB instance, known before it exists (the restored instance is named by the stack). */
export function dbInstanceArn(region: string, accountId: string, identifier: string): string {
  return `arn:aws:rds:${region}:${accountId}:db:${identifier}`;
}

/**
 * ARN of the default option group of a PostgreSQL major (`default:postgres-14` for the family
 * `postgres14`): the option group a restore that names none is created with, and `og` is a
 * required resource type of `rds:RestoreDBInstanceToPointInTime`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html; AWS's own
 * create example grants `og:default*`:
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/security_iam_id-based-policy-examples-create-and-modify-examples.html).
 */
export function defaultOptionGroupArn(
  region: string,
  accountId: string,
  parameterGroupFamily: string,
): string {
  const m = /^postgres(\d+)$/.exec(parameterGroupFamily);
  if (!m) {
    throw new Error(
      `parameter group family ${JSON.stringify(parameterGroupFamily)} is not a PostgreSQL family like postgres14`,
    );
  }
  return `arn:aws:rds:${region}:${accountId}:og:default:postgres-${m[1]}`;
}

/** ARN of an EC2 security group. */
export function securityGroupArn(region: string, accountId: string, groupId: string): string {
  return `arn:aws:ec2:${region}:${accountId}:security-group/${groupId}`;
}

/**
 * Unqualified ARN of a function of this stack. Known before the function exists, so a policy can
 * name a function created after its role (the step runner's role names the health-monitor, whose
 * own role names the failover function).
 */
export function lambdaFunctionArn(region: string, accountId: string, name: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

/** ARN of a Step Functions state machine, known before it exists. */
export function stateMachineArn(region: string, accountId: string, name: string): string {
  return `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
}

/**
 * Every execution of one state machine: executions are named per start, and
 * `execution:<machine>:*` is the narrowest resource `DescribeExecution` can be granted on
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html).
 */
export function executionsArn(region: string, accountId: string, stateMachineName: string): string {
  return `arn:aws:states:${region}:${accountId}:execution:${stateMachineName}:*`;
}

// ---------------------------------------------------------------------------------------------
// Statements more than one role has

/** Writing to its own, pre-created log group (no logs:CreateLogGroup). */
export function logsStatement(logGroupArn: string): IamStatement {
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
export function vpcEniStatement(): IamStatement {
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

/** The resources of the cluster snapshot both the failover function and the step runner read. */
export interface SnapshotReadTargets {
  /** The writer slot. */
  readonly primaryDbArn: string;
  /** The standby slot. */
  readonly replicaDbArn: string;
  readonly hostedZoneArn: string;
  readonly alertTopicArn: string;
  readonly reportBucketArn: string;
  readonly drKeyArn: string;
  readonly drRegion: string;
  readonly logGroupArn: string;
  /** `rds-restored-<suffix>` in the DR region, the instance a regional restore creates. */
  readonly restoredDbArn: string;
  /**
   * The writer's identifier as a DR-region instance ARN: what `DescribeDBInstanceAutomatedBackups`
   * filtered by `DBInstanceIdentifier` names (its `db` resource type).
   */
  readonly writerBackupsFilterArn: string;
  /**
   * The writer's automated backups replicated to the DR region (`auto-backup` ARN, the id of its
   * `InstanceAutomatedBackupsReplication`); undefined when they are copied elsewhere (the writer
   * itself in the DR region), and then nothing may be restored.
   */
  readonly replicatedBackupArn: string | undefined;
}

/**
 * Reading the cluster snapshot (`evaluateAndAct`'s reads, also the step runner's `reassess`),
 * whether a report exists, the alert ledger, and notifying the DR topic.
 */
function snapshotReadStatements(t: SnapshotReadTargets): IamStatement[] {
  return [
    {
      // Tags come with the answer (`TagList`): the fence and promotion marks need no ListTagsForResource.
      Sid: "DescribeBothInstances",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances"],
      Resource: [t.primaryDbArn, t.replicaDbArn],
    },
    {
      // A regional restore finds the writer's backups replicated to the DR region. The Service
      // Authorization Reference gives the action two optional resource types, `auto-backup` and
      // `db`, and does not say which one a request filtered by DBInstanceIdentifier is checked
      // against, so both, each exactly: the writer's identifier as a DR-region instance and its
      // copy (the replication's id), never `auto-backup:*` (another instance's copies):
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
      Sid: "DescribeTheWritersReplicatedBackups",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstanceAutomatedBackups"],
      Resource: [
        t.writerBackupsFilterArn,
        ...(t.replicatedBackupArn !== undefined ? [t.replicatedBackupArn] : []),
      ],
    },
    {
      // The instance a regional restore created, read back (its status, its endpoint).
      Sid: "DescribeTheRestoredInstance",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances"],
      Resource: [t.restoredDbArn],
    },
    {
      Sid: "ReadRecords",
      Effect: "Allow",
      Action: ["route53:ListResourceRecordSets"],
      Resource: [t.hostedZoneArn],
    },
    {
      Sid: "NotifyDrTopic",
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: [t.alertTopicArn],
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
      // SSE-KMS objects and the encrypted topic; only when S3 or SNS in the DR region asks.
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
      // It covers every region the snapshot reads: lag history and PrimaryRegionApiReachable in
      // the DR region, ReplicaLag in the replica's, RDS's own CPUUtilization of the primary in the
      // primary's (the second signal that the primary is gone).
      Sid: "ReadLagMetrics",
      Effect: "Allow",
      Action: ["cloudwatch:GetMetricData"],
      Resource: ["*"],
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// The failover function: decides and starts executions

/** The exact resources of the failover function's permissions. */
export interface FailoverPolicyTargets extends SnapshotReadTargets {
  /** `sfn-failover-<suffix>`: started and listed. */
  readonly stateMachineArn: string;
  /** `execution:sfn-failover-<suffix>:*`: an execution already started is read back. */
  readonly executionsArn: string;
}

/**
 * Least privilege of the failover function: the snapshot's reads, the alert ledger and the DR
 * topic, and starting, listing and describing executions of the one state machine. Nothing that
 * changes the cluster: promotion, fencing and the DNS switch are the step runner's.
 */
export function failoverPolicyDocument(t: FailoverPolicyTargets): IamPolicyDocument {
  return document([
    ...snapshotReadStatements(t),
    {
      // StartExecution is idempotent per name while the execution runs (reference §3); a running
      // execution is found with ListExecutions, both on the state machine.
      Sid: "StartAndListFailoverExecutions",
      Effect: "Allow",
      Action: ["states:StartExecution", "states:ListExecutions"],
      Resource: [t.stateMachineArn],
    },
    {
      // ExecutionAlreadyExists: the closed execution of that name is read back, never restarted.
      Sid: "DescribeFailoverExecutions",
      Effect: "Allow",
      Action: ["states:DescribeExecution"],
      Resource: [t.executionsArn],
    },
    logsStatement(t.logGroupArn),
  ]);
}

// ---------------------------------------------------------------------------------------------
// The step runner: the workflow's tasks, which act

/** The exact resources of the step runner's permissions. */
export interface StepRunnerPolicyTargets extends SnapshotReadTargets {
  /** The writer slot's client security group (fencing revokes its ingress). */
  readonly primarySecurityGroupArn: string;
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  /** The health-monitor's unqualified function ARN (the switchover's WAL positions come from it). */
  readonly monitorFunctionArn: string;
  /** `dbsubnets-dr-<suffix>`, where the restored instance is placed (`subgrp` ARN). */
  readonly restoreSubnetGroupArn: string;
  /** `pg-postgres14-dr-<suffix>`, the restored instance's parameter group (`pg` ARN). */
  readonly restoreParameterGroupArn: string;
  /** The DR region's default PostgreSQL option group (`defaultOptionGroupArn`). */
  readonly restoreOptionGroupArn: string;
  /**
   * `rds-restore-test-<suffix>` in the DR region, the temporary instance of the weekly restore test
   * (`lib/infra/restore-test.ts`); undefined: no restore-test permissions.
   */
  readonly restoreTestDbArn?: string;
}

/**
 * A regional restore: `RestoreDBInstanceToPointInTime` in the DR region from the writer's
 * replicated backups into `rds-restored-<suffix>`. None when the writer's backups are not copied
 * to the DR region.
 */
function regionalRestoreStatements(t: StepRunnerPolicyTargets): IamStatement[] {
  if (t.replicatedBackupArn === undefined) return [];
  return [
    {
      // Every resource type the Service Authorization Reference lists for the action: the target
      // instance (db, required), the source copy (auto-backup), and the subnet, parameter and
      // option groups it is created with (subgrp, pg, og, required); each exactly this stack's, so
      // no other identifier, copy or group can be restored into or from:
      // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
      // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceToPointInTime.html
      Sid: "RestoreTheWriterIntoTheDrRegion",
      Effect: "Allow",
      Action: ["rds:RestoreDBInstanceToPointInTime"],
      Resource: [
        t.restoredDbArn,
        t.replicatedBackupArn,
        t.restoreSubnetGroupArn,
        t.restoreParameterGroupArn,
        t.restoreOptionGroupArn,
      ],
    },
    {
      // Tags given to a create call are authorized again as rds:AddTagsToResource on the new
      // resource: only the restored instance
      // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/security_iam_id-based-policy-examples-grant-permissions-tags-on-create.html).
      Sid: "TagTheRestoredInstanceAtCreation",
      Effect: "Allow",
      Action: ["rds:AddTagsToResource"],
      Resource: [t.restoredDbArn],
    },
    {
      // The copy is encrypted with the DR key and the restore takes no KmsKeyId (reference §1.6),
      // so the restored instance uses that key; RDS acts with the caller's permissions, which must
      // allow kms:CreateGrant and kms:DescribeKey on it, here only when RDS in the DR region asks
      // (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.Encryption.Keys.html,
      // "Authorizing use of a customer managed key").
      Sid: "LetRdsUseTheDrKeyForTheRestore",
      Effect: "Allow",
      Action: ["kms:CreateGrant", "kms:DescribeKey"],
      Resource: [t.drKeyArn],
      Condition: { StringEquals: { "kms:ViaService": [`rds.${t.drRegion}.amazonaws.com`] } },
    },
  ];
}

/** Key prefix of the restore tests' reports in the report bucket (RESTORE_TEST_CONTRACT.md). */
export const RESTORE_TEST_REPORT_PREFIX = "restore-tests/";

/**
 * The restore test's RDS and S3 steps (RESTORE_TEST_CONTRACT.md): restore the writer's replicated
 * backups into `rds-restore-test-<suffix>` with the DR groups, tag it at creation, read it back,
 * delete it, and read and write the `restore-tests/` reports. None without a restore-test instance,
 * and no RDS grant when the writer's backups are not copied to the DR region (nothing to restore).
 * The DR key's grant for RDS is the regional restore's statement (same key, same condition), and
 * the reports' SSE-KMS goes through `DrKeyThroughS3AndSns`.
 */
function restoreTestStatements(t: StepRunnerPolicyTargets): IamStatement[] {
  if (t.restoreTestDbArn === undefined) return [];
  const reports: IamStatement[] = [
    {
      // latest-success.json (freshness), first-seen.json (a conditional put), the per-run reports.
      Sid: "ReadAndWriteRestoreTestReports",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: [`${t.reportBucketArn}/${RESTORE_TEST_REPORT_PREFIX}*`],
    },
    {
      // Without a listing grant a GET of a missing key (no successful test yet) is a 403, not a
      // 404; an s3:prefix-conditioned grant lets the runtime list the exact key first, as the
      // alert ledger does (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
      Sid: "ListRestoreTestReports",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [t.reportBucketArn],
      Condition: { StringLike: { "s3:prefix": [`${RESTORE_TEST_REPORT_PREFIX}*`] } },
    },
  ];
  if (t.replicatedBackupArn === undefined) return reports;
  return [
    {
      // The resource types the Service Authorization Reference lists for the action, each exactly
      // this stack's (see RestoreTheWriterIntoTheDrRegion); the target is the test instance only.
      Sid: "RestoreTheWriterIntoTheRestoreTestInstance",
      Effect: "Allow",
      Action: ["rds:RestoreDBInstanceToPointInTime"],
      Resource: [
        t.restoreTestDbArn,
        t.replicatedBackupArn,
        t.restoreSubnetGroupArn,
        t.restoreParameterGroupArn,
        t.restoreOptionGroupArn,
      ],
    },
    {
      // Its DR-Role and tap:restore-test tags, given to the restore call (authorized again as
      // AddTagsToResource on the new instance).
      Sid: "TagTheRestoreTestInstanceAtCreation",
      Effect: "Allow",
      Action: ["rds:AddTagsToResource"],
      Resource: [t.restoreTestDbArn],
    },
    {
      // Waits for it to become available (its endpoint), then for it to be gone.
      Sid: "DescribeTheRestoreTestInstance",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances"],
      Resource: [t.restoreTestDbArn],
    },
    {
      // SkipFinalSnapshot and DeleteAutomatedBackups need no other permission; only this identifier.
      Sid: "DeleteTheRestoreTestInstance",
      Effect: "Allow",
      Action: ["rds:DeleteDBInstance"],
      Resource: [t.restoreTestDbArn],
    },
    ...reports,
  ];
}

/**
 * Least privilege of the step runner: exactly the calls of `lib/lambda/adapters/aws/` its steps
 * make, on exactly this stack's resources. `reassess` reads the same snapshot as the failover
 * function, so it has the same reads; it has no Step Functions permission at all.
 */
export function stepRunnerPolicyDocument(t: StepRunnerPolicyTargets): IamPolicyDocument {
  // Route 53 compares these keys with names in lower case without the trailing dot
  // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/specifying-rrset-conditions.html).
  const normalise = (name: string): string => name.toLowerCase().replace(/\.$/, "");
  return document([
    ...snapshotReadStatements(t),
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
      Sid: "WriteReports",
      Effect: "Allow",
      Action: ["s3:PutObject"],
      Resource: [`${t.reportBucketArn}/reports/*`],
    },
    ...regionalRestoreStatements(t),
    ...restoreTestStatements(t),
    logsStatement(t.logGroupArn),
  ]);
}

// ---------------------------------------------------------------------------------------------
// The health monitor and the bootstrap

/** The exact resources of the health-monitor's permissions. */
export interface MonitorPolicyTargets {
  /** `rds-db:connect` resources of the monitor user on the primary and on the replica. */
  readonly dbUserArns: readonly string[];
  readonly failoverFunctionArn: string;
  readonly logGroupArn: string;
}

/** Least privilege of the health-monitor: IAM database login, its VPC ENIs, its destination, its logs. */
export function monitorPolicyDocument(t: MonitorPolicyTargets): IamPolicyDocument {
  return document([
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
  ]);
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
  return document([
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
  ]);
}

/** Trust policy of every function role. */
export const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

// ---------------------------------------------------------------------------------------------
// The failover state machine

/**
 * The CloudWatch Logs actions Step Functions' log delivery needs on the state machine's role, on
 * `"*"`: AWS documents them that way, the delivery is set up by Step Functions under the role, and
 * most of them have no resource-level permission
 * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html, "IAM policies for logging to
 * CloudWatch Logs"). These are the only `"*"` of the role.
 */
export const LOG_DELIVERY_ACTIONS = [
  "logs:CreateLogDelivery",
  "logs:GetLogDelivery",
  "logs:UpdateLogDelivery",
  "logs:DeleteLogDelivery",
  "logs:ListLogDeliveries",
  "logs:PutResourcePolicy",
  "logs:DescribeResourcePolicies",
  "logs:DescribeLogGroups",
] as const;

/** The exact resources of the state machine role's permissions. */
export interface StateMachinePolicyTargets {
  /** The step runner's unqualified ARN. */
  readonly stepRunnerArn: string;
  /** The restore-check function's unqualified ARN (a regional restore's VerifyRestored). */
  readonly restoreCheckArn?: string;
}

/**
 * Least privilege of the failover state machine: invoke the step runner (and restore-check, the
 * regional restore's VerifyRestored), deliver its own logs. Nothing else.
 */
export function stateMachinePolicyDocument(t: StateMachinePolicyTargets): IamPolicyDocument {
  return document([
    {
      // The Lambda integration invokes the unqualified ARN; `:*` (versions and aliases) is what the
      // policy Step Functions generates for a Lambda task grants beside it
      // (https://docs.aws.amazon.com/step-functions/latest/dg/service-integration-iam-templates.html).
      Sid: "InvokeStepRunner",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [t.stepRunnerArn, `${t.stepRunnerArn}:*`],
    },
    ...(t.restoreCheckArn === undefined
      ? []
      : [
          {
            Sid: "InvokeRestoreCheck",
            Effect: "Allow" as const,
            Action: ["lambda:InvokeFunction"],
            Resource: [t.restoreCheckArn, `${t.restoreCheckArn}:*`],
          },
        ]),
    {
      Sid: "DeliverExecutionLogs",
      Effect: "Allow",
      Action: [...LOG_DELIVERY_ACTIONS],
      Resource: ["*"],
    },
  ]);
}

/**
 * Trust policy of the state machine's role: Step Functions, for this account's state machine only
 * (the conditions of "Prevent cross-service confused deputy issue",
 * https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html).
 */
export function stateMachineTrustPolicy(accountId: string, machineArn: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "states.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnLike: { "aws:SourceArn": machineArn },
        },
      },
    ],
  };
}
