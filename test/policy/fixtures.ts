/**
 * Hand-written synth inventories of a compliant TapStack `dev` stack, in the shape
 * `npm run synth` writes, for both replica placements. Tests start from one and break exactly
 * one thing to show a policy catches it.
 */
import type { SynthOutput, SynthResource } from "../../policy/offline";

export const ACCOUNT = "123456789012";
export const SUFFIX = "dev";
export const PRIMARY_REGION = "ap-southeast-2";
export const DR_REGION = "ap-southeast-1";

export type Placement = "same-region" | "cross-region";

const tags = (role: string, name: string): Record<string, string> => ({
  Environment: SUFFIX,
  Owner: "platform-team",
  "DR-Role": role,
  Name: name,
});

export const arns = {
  primaryKey: `arn:aws:kms:${PRIMARY_REGION}:${ACCOUNT}:key/11111111-1111-1111-1111-111111111111`,
  drKey: `arn:aws:kms:${DR_REGION}:${ACCOUNT}:key/22222222-2222-2222-2222-222222222222`,
  primaryDb: `arn:aws:rds:${PRIMARY_REGION}:${ACCOUNT}:db:rds-primary-dev`,
  replicaDb: (region: string) => `arn:aws:rds:${region}:${ACCOUNT}:db:rds-replica-dev`,
  primaryBucket: "arn:aws:s3:::s3-backups-primary-dev-1a2b3c4",
  drBucket: "arn:aws:s3:::s3-backups-dr-dev-5d6e7f8",
  dbAlarmsTopic: `arn:aws:sns:${PRIMARY_REGION}:${ACCOUNT}:sns-db-alarms-dev`,
  drEventsTopic: `arn:aws:sns:${DR_REGION}:${ACCOUNT}:sns-dr-events-dev`,
  stepRunner: `arn:aws:lambda:${DR_REGION}:${ACCOUNT}:function:lambda-step-runner-dev`,
  stateMachine: `arn:aws:states:${DR_REGION}:${ACCOUNT}:stateMachine:sfn-failover-dev`,
  stateMachineLogs: `arn:aws:logs:${DR_REGION}:${ACCOUNT}:log-group:/aws/vendedlogs/states/sfn-failover-dev`,
  /** The primary's automated backups replicated to the DR region (the replication's id). */
  replicatedBackup: `arn:aws:rds:${DR_REGION}:${ACCOUNT}:auto-backup:ab-abcdefghijklmnopqrstuvwxyz0`,
  /** The instance a regional restore creates, and what it is created with. */
  restoredDb: `arn:aws:rds:${DR_REGION}:${ACCOUNT}:db:rds-restored-dev`,
  drSubnetGroup: `arn:aws:rds:${DR_REGION}:${ACCOUNT}:subgrp:dbsubnets-dr-dev`,
  drParameterGroup: `arn:aws:rds:${DR_REGION}:${ACCOUNT}:pg:pg-postgres14-dr-dev`,
  drDefaultOptionGroup: `arn:aws:rds:${DR_REGION}:${ACCOUNT}:og:default:postgres-14`,
};

const restoreCheckArn = `arn:aws:lambda:${DR_REGION}:${ACCOUNT}:function:lambda-restore-check-dev`;

/** The state machine role's policy, as lib/infra/iam.ts writes it. */
export function stateMachinePolicy(): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "InvokeStepRunner",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [arns.stepRunner, `${arns.stepRunner}:*`],
      },
      {
        Sid: "InvokeRestoreCheck",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [restoreCheckArn, `${restoreCheckArn}:*`],
      },
      {
        Sid: "DeliverExecutionLogs",
        Effect: "Allow",
        Action: [
          "logs:CreateLogDelivery",
          "logs:GetLogDelivery",
          "logs:UpdateLogDelivery",
          "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries",
          "logs:PutResourcePolicy",
          "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups",
        ],
        Resource: ["*"],
      },
    ],
  };
}

const tlsOnly = (bucketArn: string): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });

const topicPolicy = (topicArn: string): string =>
  JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AllowCloudWatchAlarms",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "sns:Publish",
        Resource: topicArn,
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "sns:Publish",
        Resource: topicArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });

function bucketResources(
  role: "primary" | "dr",
  bucketArn: string,
  keyArn: string,
  region: string,
): SynthResource[] {
  const provider = role === "primary" ? "aws-primary-dev" : "aws-dr-dev";
  const id = bucketArn.split(":::")[1];
  const r = (type: string, name: string, inputs: Record<string, unknown>): SynthResource => ({
    type,
    name,
    provider,
    region,
    inputs,
  });
  return [
    {
      ...r("aws:s3/bucket:Bucket", `s3-backups-${role}-dev`, {
        forceDestroy: true,
        tags: tags("backup", `s3-backups-${role}-dev`),
      }),
      id,
      outputs: { arn: bucketArn, bucket: id },
    },
    r("aws:s3/bucketVersioning:BucketVersioning", `s3-versioning-${role}-dev`, {
      bucket: id,
      versioningConfiguration: { status: "Enabled" },
    }),
    r(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      `s3-sse-${role}-dev`,
      {
        bucket: id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
            bucketKeyEnabled: true,
          },
        ],
      },
    ),
    r("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", `s3-public-access-${role}-dev`, {
      bucket: id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    }),
    r("aws:s3/bucketPolicy:BucketPolicy", `s3-policy-${role}-dev`, {
      bucket: id,
      policy: tlsOnly(bucketArn),
    }),
  ];
}

/** What the failover function and the step runner both read (the cluster snapshot), alert and notify. */
function snapshotReads(replicaRegion: string): object[] {
  return [
    {
      Sid: "DescribeTheTwoInstances",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances"],
      Resource: [arns.primaryDb, arns.replicaDb(replicaRegion)],
    },
    {
      Sid: "FindTheReplicatedBackups",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstanceAutomatedBackups"],
      Resource: [`arn:aws:rds:${DR_REGION}:${ACCOUNT}:db:rds-primary-dev`, arns.replicatedBackup],
    },
    {
      Sid: "DescribeTheRestoredInstance",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances"],
      Resource: [arns.restoredDb],
    },
    {
      Sid: "ReadRecords",
      Effect: "Allow",
      Action: ["route53:ListResourceRecordSets"],
      Resource: ["arn:aws:route53:::hostedzone/Z0TAPDEV"],
    },
    { Sid: "Notify", Effect: "Allow", Action: ["sns:Publish"], Resource: [arns.drEventsTopic] },
    {
      Sid: "ListReports",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [arns.drBucket],
      Condition: { StringLike: { "s3:prefix": ["reports/*"] } },
    },
    {
      Sid: "ReadAndRecordAlerts",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: [`${arns.drBucket}/alerts/*`],
    },
    {
      Sid: "ListAlerts",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: [arns.drBucket],
      Condition: { StringLike: { "s3:prefix": ["alerts/*"] } },
    },
    {
      Sid: "UseTheDrKey",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [arns.drKey],
      Condition: {
        StringEquals: {
          "kms:ViaService": [`s3.${DR_REGION}.amazonaws.com`, `sns.${DR_REGION}.amazonaws.com`],
        },
      },
    },
    { Sid: "LagHistory", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: "*" },
  ];
}

const ownLogs = (fn: string): object => ({
  Sid: "OwnLogGroup",
  Effect: "Allow",
  Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
  Resource: [`arn:aws:logs:${DR_REGION}:${ACCOUNT}:log-group:/aws/lambda/lambda-${fn}-dev:*`],
});

/** Identity policy of the failover function: it reads, decides and starts executions; it changes nothing. */
export function failoverPolicy(replicaRegion: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      ...snapshotReads(replicaRegion),
      {
        Sid: "StartAndListFailoverExecutions",
        Effect: "Allow",
        Action: ["states:StartExecution", "states:ListExecutions"],
        Resource: [arns.stateMachine],
      },
      {
        Sid: "DescribeFailoverExecutions",
        Effect: "Allow",
        Action: ["states:DescribeExecution"],
        Resource: [`${arns.stateMachine.replace(":stateMachine:", ":execution:")}:*`],
      },
      ownLogs("failover"),
    ],
  };
}

/**
 * Identity policy of the step runner: the workflow's steps, scoped as DESIGN.md requires (the
 * inventory has no health-monitor, so no grant to invoke it).
 */
export function stepRunnerPolicy(replicaRegion: string): object {
  return {
    Version: "2012-10-17",
    Statement: [
      ...snapshotReads(replicaRegion),
      {
        Sid: "RebootTheWriterToFence",
        Effect: "Allow",
        Action: ["rds:RebootDBInstance"],
        Resource: [arns.primaryDb],
      },
      {
        Sid: "TagTheFencedWriter",
        Effect: "Allow",
        Action: ["rds:AddTagsToResource"],
        Resource: [arns.primaryDb],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["tap:fenced-at"] } },
      },
      {
        Sid: "UntagTheUnfencedWriter",
        Effect: "Allow",
        Action: ["rds:RemoveTagsFromResource"],
        Resource: [arns.primaryDb],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["tap:fenced-at"] } },
      },
      {
        Sid: "MarkThePromotion",
        Effect: "Allow",
        Action: ["rds:AddTagsToResource", "rds:RemoveTagsFromResource"],
        Resource: [arns.replicaDb(replicaRegion)],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["tap:promotion-requested-at"] } },
      },
      {
        Sid: "PromoteTheReplica",
        Effect: "Allow",
        Action: ["rds:PromoteReadReplica"],
        Resource: [arns.replicaDb(replicaRegion)],
      },
      {
        Sid: "EnableBackupsOnThePromotedReplica",
        Effect: "Allow",
        Action: ["rds:ModifyDBInstance"],
        Resource: [arns.replicaDb(replicaRegion)],
      },
      {
        Sid: "FenceThePrimary",
        Effect: "Allow",
        Action: ["ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress"],
        Resource: [`arn:aws:ec2:${PRIMARY_REGION}:${ACCOUNT}:security-group/sg-0primary`],
      },
      {
        Sid: "ReadSecurityGroupRules",
        Effect: "Allow",
        Action: ["ec2:DescribeSecurityGroupRules"],
        Resource: "*",
      },
      {
        Sid: "SwitchWriter",
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets"],
        Resource: ["arn:aws:route53:::hostedzone/Z0TAPDEV"],
        Condition: {
          "ForAllValues:StringEquals": {
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
              "writer.dev.tapstack.internal",
              "reader.dev.tapstack.internal",
            ],
            "route53:ChangeResourceRecordSetsRecordTypes": ["CNAME"],
            "route53:ChangeResourceRecordSetsActions": ["UPSERT"],
          },
        },
      },
      {
        Sid: "WaitForInsync",
        Effect: "Allow",
        Action: ["route53:GetChange"],
        Resource: ["arn:aws:route53:::change/*"],
      },
      {
        Sid: "WriteReports",
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: [`${arns.drBucket}/reports/*`],
      },
      {
        Sid: "RestoreInTheDrRegion",
        Effect: "Allow",
        Action: ["rds:RestoreDBInstanceToPointInTime"],
        Resource: [
          arns.restoredDb,
          arns.replicatedBackup,
          arns.drSubnetGroup,
          arns.drParameterGroup,
          arns.drDefaultOptionGroup,
        ],
      },
      {
        Sid: "TagTheRestoredInstance",
        Effect: "Allow",
        Action: ["rds:AddTagsToResource"],
        Resource: [arns.restoredDb],
      },
      {
        Sid: "DrKeyForTheRestore",
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:DescribeKey"],
        Resource: [arns.drKey],
        Condition: { StringEquals: { "kms:ViaService": [`rds.${DR_REGION}.amazonaws.com`] } },
      },
      ownLogs("step-runner"),
    ],
  };
}

/** A complete, compliant inventory. */
export function compliantStack(placement: Placement = "same-region"): SynthOutput {
  const cross = placement === "cross-region";
  const replicaRegion = cross ? DR_REGION : PRIMARY_REGION;
  const replicaProvider = cross ? "aws-dr-dev" : "aws-primary-dev";
  const resources: SynthResource[] = [
    {
      type: "pulumi:providers:aws",
      name: "aws-primary-dev",
      region: PRIMARY_REGION,
      inputs: {
        region: PRIMARY_REGION,
        defaultTags: JSON.stringify({ tags: { Environment: SUFFIX, Owner: "platform-team" } }),
      },
    },
    {
      type: "pulumi:providers:aws",
      name: "aws-dr-dev",
      region: DR_REGION,
      inputs: {
        region: DR_REGION,
        defaultTags: JSON.stringify({ tags: { Environment: SUFFIX, Owner: "platform-team" } }),
      },
    },
    {
      type: "aws:kms/key:Key",
      name: "kms-primary-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      id: "11111111-1111-1111-1111-111111111111",
      outputs: { arn: arns.primaryKey },
      inputs: {
        enableKeyRotation: true,
        deletionWindowInDays: 7,
        tags: tags("encryption", "kms-primary-dev"),
      },
    },
    {
      type: "aws:kms/key:Key",
      name: "kms-dr-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "22222222-2222-2222-2222-222222222222",
      outputs: { arn: arns.drKey },
      inputs: { enableKeyRotation: true, deletionWindowInDays: 7, tags: tags("encryption", "kms-dr-dev") },
    },
    {
      type: "aws:rds/parameterGroup:ParameterGroup",
      name: "pg-postgres14-primary-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      inputs: {
        name: "pg-postgres14-primary-dev",
        family: "postgres14",
        parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }],
        tags: tags("primary", "pg-postgres14-primary-dev"),
      },
    },
    // The DR region's groups exist in every placement: a regional restore uses them.
    {
      type: "aws:rds/parameterGroup:ParameterGroup",
      name: "pg-postgres14-dr-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "pg-postgres14-dr-dev",
      outputs: { arn: arns.drParameterGroup },
      inputs: {
        name: "pg-postgres14-dr-dev",
        family: "postgres14",
        parameters: [{ name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" }],
        tags: tags("replica", "pg-postgres14-dr-dev"),
      },
    },
    {
      type: "aws:rds/subnetGroup:SubnetGroup",
      name: "dbsubnets-dr-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "dbsubnets-dr-dev",
      outputs: { arn: arns.drSubnetGroup },
      inputs: {
        name: "dbsubnets-dr-dev",
        subnetIds: ["subnet-0private1", "subnet-0private2"],
        tags: tags("replica", "dbsubnets-dr-dev"),
      },
    },
    {
      type: "aws:rds/instance:Instance",
      name: "rds-primary-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      id: "rds-primary-dev",
      outputs: { arn: arns.primaryDb },
      inputs: {
        identifier: "rds-primary-dev",
        engine: "postgres",
        engineVersion: "14",
        storageEncrypted: true,
        kmsKeyId: arns.primaryKey,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: arns.primaryKey,
        parameterGroupName: "pg-postgres14-primary-dev",
        vpcSecurityGroupIds: ["sg-0primary"],
        publiclyAccessible: false,
        backupRetentionPeriod: 7,
        deletionProtection: false,
        skipFinalSnapshot: true,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: arns.primaryKey,
        tags: tags("primary", "rds-primary-dev"),
      },
    },
    {
      type: "aws:rds/instance:Instance",
      name: "rds-replica-dev",
      provider: replicaProvider,
      region: replicaRegion,
      id: "rds-replica-dev",
      outputs: { arn: arns.replicaDb(replicaRegion) },
      inputs: {
        identifier: "rds-replica-dev",
        replicateSourceDb: cross ? arns.primaryDb : "rds-primary-dev",
        ...(cross ? { kmsKeyId: arns.drKey } : {}),
        storageEncrypted: true,
        parameterGroupName: cross ? "pg-postgres14-dr-dev" : "pg-postgres14-primary-dev",
        publiclyAccessible: false,
        backupRetentionPeriod: 0,
        deletionProtection: false,
        skipFinalSnapshot: true,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: cross ? arns.drKey : arns.primaryKey,
        tags: tags("replica", "rds-replica-dev"),
      },
    },
    {
      type: "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
      name: "rds-backups-replication-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: arns.replicatedBackup,
      inputs: { sourceDbInstanceArn: arns.primaryDb, retentionPeriod: 7, kmsKeyId: arns.drKey },
    },
    ...bucketResources("primary", arns.primaryBucket, arns.primaryKey, PRIMARY_REGION),
    ...bucketResources("dr", arns.drBucket, arns.drKey, DR_REGION),
    {
      type: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
      name: "s3-replication-primary-to-dr-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      inputs: {
        bucket: "s3-backups-primary-dev-1a2b3c4",
        role: `arn:aws:iam::${ACCOUNT}:role/iam-s3-replication-dev-0a0a0a0`,
        rules: [
          {
            id: "all",
            status: "Enabled",
            filter: {},
            deleteMarkerReplication: { status: "Enabled" },
            sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
            destination: { bucket: arns.drBucket, encryptionConfiguration: { replicaKmsKeyId: arns.drKey } },
          },
        ],
      },
    },
    {
      type: "aws:sns/topic:Topic",
      name: "sns-db-alarms-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      id: arns.dbAlarmsTopic,
      outputs: { arn: arns.dbAlarmsTopic },
      inputs: {
        name: "sns-db-alarms-dev",
        kmsMasterKeyId: arns.primaryKey,
        tags: tags("alerting", "sns-db-alarms-dev"),
      },
    },
    {
      type: "aws:sns/topicPolicy:TopicPolicy",
      name: "sns-db-alarms-policy-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      inputs: { arn: arns.dbAlarmsTopic, policy: topicPolicy(arns.dbAlarmsTopic) },
    },
    {
      type: "aws:sns/topic:Topic",
      name: "sns-dr-events-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: arns.drEventsTopic,
      outputs: { arn: arns.drEventsTopic },
      inputs: {
        name: "sns-dr-events-dev",
        kmsMasterKeyId: arns.drKey,
        tags: tags("alerting", "sns-dr-events-dev"),
      },
    },
    {
      type: "aws:sns/topicPolicy:TopicPolicy",
      name: "sns-dr-events-policy-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: { arn: arns.drEventsTopic, policy: topicPolicy(arns.drEventsTopic) },
    },
    {
      type: "aws:cloudwatch/metricAlarm:MetricAlarm",
      name: "alarm-replica-lag-dev",
      provider: replicaProvider,
      region: replicaRegion,
      inputs: {
        name: "alarm-replica-lag-dev",
        namespace: "AWS/RDS",
        metricName: "ReplicaLag",
        dimensions: { DBInstanceIdentifier: "rds-replica-dev" },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 3,
        threshold: 60,
        comparisonOperator: "GreaterThanThreshold",
        alarmActions: [cross ? arns.drEventsTopic : arns.dbAlarmsTopic],
        tags: tags("monitoring", "alarm-replica-lag-dev"),
      },
    },
    {
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "sg-db-primary-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      id: "sg-0primary",
      inputs: {
        name: "sg-db-primary-dev",
        description: "PostgreSQL from the monitor subnets",
        tags: tags("network", "sg-db-primary-dev"),
      },
    },
    {
      type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      name: "sg-db-primary-from-monitor-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      inputs: {
        securityGroupId: "sg-0primary",
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: "10.30.0.0/18",
        tags: tags("network", "sg-db-primary-from-monitor-dev"),
      },
    },
    {
      type: "aws:ec2/vpc:Vpc",
      name: "vpc-dr-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "vpc-0dr",
      inputs: { cidrBlock: "10.30.0.0/16", tags: tags("network", "vpc-dr-dev") },
    },
    // The restore test's check function shares the monitor subnets, its egress kept inside the DR VPC.
    {
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "sg-restore-check-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "sg-0restorecheck",
      inputs: {
        vpcId: "vpc-0dr",
        description: "Restore check dev: egress 5432 to the DR VPC database subnets only",
        tags: tags("restore-test", "sg-restore-check-dev"),
      },
    },
    {
      type: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
      name: "sgr-restore-check-egress-1-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: {
        securityGroupId: "sg-0restorecheck",
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: "10.30.0.0/18",
        tags: tags("restore-test", "sgr-restore-check-egress-1-dev"),
      },
    },
    {
      type: "aws:lambda/function:Function",
      name: "lambda-restore-check-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: {
        name: "lambda-restore-check-dev",
        runtime: "nodejs22.x",
        handler: "index.handler",
        timeout: 60,
        memorySize: 256,
        vpcConfig: { subnetIds: ["subnet-0monitor1"], securityGroupIds: ["sg-0restorecheck"] },
        tags: tags("restore-test", "lambda-restore-check-dev"),
      },
    },
    {
      type: "aws:ec2/subnet:Subnet",
      name: "subnet-monitor-dr-1-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "subnet-0monitor1",
      inputs: {
        vpcId: "vpc-0dr",
        cidrBlock: "10.30.128.0/28",
        mapPublicIpOnLaunch: false,
        tags: { ...tags("monitoring", "subnet-monitor-dr-1-dev"), "Subnet-Purpose": "health-monitor" },
      },
    },
    {
      type: "aws:ec2/securityGroup:SecurityGroup",
      name: "sg-db-access-primary-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      id: "sg-0access",
      inputs: {
        name: "sg-db-access-primary-dev",
        description: "PostgreSQL from the monitor subnets (kept when fencing)",
        tags: tags("primary", "sg-db-access-primary-dev"),
      },
    },
    {
      type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
      name: "sgr-db-access-primary-1-dev",
      provider: "aws-primary-dev",
      region: PRIMARY_REGION,
      inputs: {
        securityGroupId: "sg-0access",
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: "10.30.128.0/28",
        tags: tags("primary", "sgr-db-access-primary-1-dev"),
      },
    },
    {
      type: "aws:cloudwatch/logGroup:LogGroup",
      name: "log-failover-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: {
        name: "/aws/lambda/lambda-failover-dev",
        kmsKeyId: arns.drKey,
        retentionInDays: 30,
        tags: tags("failover", "log-failover-dev"),
      },
    },
    {
      type: "aws:iam/role:Role",
      name: "iam-failover-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "iam-failover-dev-3c3c3c3",
      outputs: { arn: `arn:aws:iam::${ACCOUNT}:role/iam-failover-dev-3c3c3c3` },
      inputs: {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        tags: tags("failover", "iam-failover-dev"),
      },
    },
    {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "iam-failover-policy-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: { role: "iam-failover-dev-3c3c3c3", policy: JSON.stringify(failoverPolicy(replicaRegion)) },
    },
    {
      type: "aws:cloudwatch/logGroup:LogGroup",
      name: "log-step-runner-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: {
        name: "/aws/lambda/lambda-step-runner-dev",
        kmsKeyId: arns.drKey,
        retentionInDays: 30,
        tags: tags("failover", "log-step-runner-dev"),
      },
    },
    {
      type: "aws:iam/role:Role",
      name: "iam-step-runner-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "iam-step-runner-dev-5e5e5e5",
      outputs: { arn: `arn:aws:iam::${ACCOUNT}:role/iam-step-runner-dev-5e5e5e5` },
      inputs: {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        tags: tags("failover", "iam-step-runner-dev"),
      },
    },
    {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "iam-step-runner-policy-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: {
        role: "iam-step-runner-dev-5e5e5e5",
        policy: JSON.stringify(stepRunnerPolicy(replicaRegion)),
      },
    },
    {
      type: "aws:lambda/function:Function",
      name: "lambda-step-runner-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      outputs: { arn: arns.stepRunner },
      inputs: {
        name: "lambda-step-runner-dev",
        role: `arn:aws:iam::${ACCOUNT}:role/iam-step-runner-dev-5e5e5e5`,
        runtime: "nodejs22.x",
        handler: "index.handler",
        timeout: 300,
        memorySize: 256,
        kmsKeyArn: arns.drKey,
        tags: tags("failover", "lambda-step-runner-dev"),
      },
    },
    {
      type: "aws:route53/zone:Zone",
      name: "zone-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "Z0TAPDEV",
      inputs: { name: "dev.tapstack.internal", tags: tags("dns", "zone-dev") },
    },
    {
      type: "aws:iam/role:Role",
      name: "iam-s3-replication-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "iam-s3-replication-dev-0a0a0a0",
      outputs: { arn: `arn:aws:iam::${ACCOUNT}:role/iam-s3-replication-dev-0a0a0a0` },
      inputs: {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" },
          ],
        }),
        tags: tags("backup", "iam-s3-replication-dev"),
      },
    },
    {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "iam-s3-replication-policy-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: { role: "iam-s3-replication-dev-0a0a0a0", policy: JSON.stringify(replicationPolicy()) },
    },
    {
      type: "aws:cloudwatch/logGroup:LogGroup",
      name: "logs-sfn-failover-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      outputs: { arn: arns.stateMachineLogs },
      inputs: {
        name: "/aws/vendedlogs/states/sfn-failover-dev",
        kmsKeyId: arns.drKey,
        retentionInDays: 30,
        tags: tags("failover", "logs-sfn-failover-dev"),
      },
    },
    {
      type: "aws:iam/role:Role",
      name: "iam-sfn-failover-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      id: "iam-sfn-failover-dev-4d4d4d4",
      outputs: { arn: `arn:aws:iam::${ACCOUNT}:role/iam-sfn-failover-dev-4d4d4d4` },
      inputs: {
        assumeRolePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "states.amazonaws.com" },
              Action: "sts:AssumeRole",
              Condition: {
                StringEquals: { "aws:SourceAccount": ACCOUNT },
                ArnLike: { "aws:SourceArn": arns.stateMachine },
              },
            },
          ],
        }),
        tags: tags("failover", "iam-sfn-failover-dev"),
      },
    },
    {
      type: "aws:iam/rolePolicy:RolePolicy",
      name: "iam-sfn-failover-policy-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      inputs: { role: "iam-sfn-failover-dev-4d4d4d4", policy: JSON.stringify(stateMachinePolicy()) },
    },
    {
      type: "aws:sfn/stateMachine:StateMachine",
      name: "sfn-failover-dev",
      provider: "aws-dr-dev",
      region: DR_REGION,
      outputs: { arn: arns.stateMachine },
      inputs: {
        name: "sfn-failover-dev",
        type: "STANDARD",
        roleArn: `arn:aws:iam::${ACCOUNT}:role/iam-sfn-failover-dev-4d4d4d4`,
        loggingConfiguration: {
          level: "ERROR",
          includeExecutionData: false,
          logDestination: `${arns.stateMachineLogs}:*`,
        },
        tracingConfiguration: { enabled: false },
        tags: tags("failover", "sfn-failover-dev"),
      },
    },
  ];
  return { resources };
}

/** The S3 replication role's policy, as lib/infra/backups.ts writes it. */
export function replicationPolicy(): object {
  const ctx = (bucket: string) => [bucket, `${bucket}/*`];
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: [arns.primaryBucket],
      },
      {
        Effect: "Allow",
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
        Resource: [`${arns.primaryBucket}/*`],
      },
      {
        Effect: "Allow",
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: [`${arns.drBucket}/*`],
      },
      {
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [arns.primaryKey],
        Condition: {
          StringLike: {
            "kms:ViaService": `s3.${PRIMARY_REGION}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": ctx(arns.primaryBucket),
          },
        },
      },
      {
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: [arns.drKey],
        Condition: {
          StringLike: {
            "kms:ViaService": `s3.${DR_REGION}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": ctx(arns.drBucket),
          },
        },
      },
    ],
  };
}

/** A copy of `synth` with `edit` applied to the inputs of the resource named `name`. */
export function withInputs(
  synth: SynthOutput,
  name: string,
  edit: (inputs: Record<string, unknown>) => Record<string, unknown>,
): SynthOutput {
  let found = false;
  const resources = synth.resources.map((r) => {
    if (r.name !== name) return r;
    found = true;
    return { ...r, inputs: edit(structuredClone(r.inputs)) };
  });
  if (!found) throw new Error(`fixture has no resource named ${name}`);
  return { resources };
}

/** A copy of `synth` without the resources named `names`. */
export function without(synth: SynthOutput, ...names: string[]): SynthOutput {
  for (const n of names) {
    if (!synth.resources.some((r) => r.name === n)) throw new Error(`fixture has no resource named ${n}`);
  }
  return { resources: synth.resources.filter((r) => !names.includes(r.name)) };
}

/** A copy of `synth` plus `extra`. */
export function plus(synth: SynthOutput, ...extra: SynthResource[]): SynthOutput {
  return { resources: [...synth.resources, ...extra] };
}
