/**
 * The functions' wiring: pure policy/environment builders as tables, then the real program under
 * the synth mocks for both replica placements, asserting exact inputs (roles' statements and
 * resources, environment, VPC config, schedule, destination, triggers, alarms, health check).
 */
import { join } from "node:path";
import { FAILOVER_ENV, MONITOR_ENV, STEP_RUNNER_ENV } from "../../lib/function-env";
import { secretsEndpointPolicy } from "../../lib/infra/bootstrap-network";
import {
  alarmEventPattern,
  bootstrapCommand,
  failoverEnvironment,
  FUNCTION_SETTINGS,
  LAMBDA_CA_BUNDLE,
  monitorEnvironment,
  monitorTimeoutSeconds,
  stepRunnerEnvironment,
} from "../../lib/infra/functions";
import {
  bootstrapPolicyDocument,
  dbInstanceArn,
  dbUserArn,
  defaultOptionGroupArn,
  executionsArn,
  failoverPolicyDocument,
  lambdaFunctionArn,
  monitorPolicyDocument,
  securityGroupArn,
  stateMachineArn,
  stateMachinePolicyDocument,
  stateMachineTrustPolicy,
  stepRunnerPolicyDocument,
} from "../../lib/infra/iam";
import type { IamPolicyDocument } from "../../lib/infra/iam";
import { functionName, logGroupName } from "../../lib/infra/lambda-kit";
import { DEFAULT_POLICY } from "../../lib/lambda/core/policy";
import { maxEvidenceAgeSeconds } from "../../lib/lambda/core/policy";
import { readFailoverConfig, readStepRunnerConfig } from "../../lib/lambda/failover/env";
import { failoverDefinition } from "../../lib/workflow/definition";
import { readMonitorConfig } from "../../lib/lambda/health-monitor/env";
import type { RecordedResource } from "../../lib/synth/mocks";
import type { SynthResult } from "../../lib/synth/run";
import { readStackConfig } from "../../lib/synth/stack-file";
import { DEPLOYED_ENTRIES } from "../../lib/infra/bundle";
import { standInSource } from "../support/stand-in-bundle";
import { synthesizeProgram } from "../support/synth";

const ACCOUNT = "123456789012";
const PRIMARY = "ap-southeast-2";
const DR = "ap-southeast-1";

describe("policy documents", () => {
  const failoverTargets = {
    primaryDbArn: `arn:aws:rds:${PRIMARY}:${ACCOUNT}:db:rds-primary-dev`,
    replicaDbArn: `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-replica-dev`,
    primarySecurityGroupArn: `arn:aws:ec2:${PRIMARY}:${ACCOUNT}:security-group/sg-0abc`,
    hostedZoneArn: "arn:aws:route53:::hostedzone/Z0ABC",
    writerRecordName: "Writer.Dev.Internal.",
    readerRecordName: "reader.dev.internal",
    alertTopicArn: `arn:aws:sns:${DR}:${ACCOUNT}:sns-dr-events-dev`,
    reportBucketArn: "arn:aws:s3:::s3-backups-dr-dev-abc",
    drKeyArn: `arn:aws:kms:${DR}:${ACCOUNT}:key/k-dr`,
    drRegion: DR,
    logGroupArn: `arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/lambda/lambda-failover-dev`,
    monitorFunctionArn: `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-health-monitor-dev`,
    restoredDbArn: `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restored-dev`,
    writerBackupsFilterArn: `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-primary-dev`,
    replicatedBackupArn: `arn:aws:rds:${DR}:${ACCOUNT}:auto-backup:ab-0123456789abcdefghijklmnop` as
      string | undefined,
    restoreSubnetGroupArn: `arn:aws:rds:${DR}:${ACCOUNT}:subgrp:dbsubnets-dr-dev`,
    restoreParameterGroupArn: `arn:aws:rds:${DR}:${ACCOUNT}:pg:pg-postgres14-dr-dev`,
    restoreOptionGroupArn: `arn:aws:rds:${DR}:${ACCOUNT}:og:default:postgres-14`,
  };

  // Both roles read the same snapshot and alert ledger: the statements they share, in order.
  const snapshotReads = () => [
    {
      Sid: "DescribeBothInstances",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances"],
      Resource: [targets.primaryDbArn, targets.replicaDbArn],
    },
    {
      Sid: "DescribeTheWritersReplicatedBackups",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstanceAutomatedBackups"],
      Resource: [targets.writerBackupsFilterArn, targets.replicatedBackupArn],
    },
    {
      Sid: "DescribeTheRestoredInstance",
      Effect: "Allow",
      Action: ["rds:DescribeDBInstances"],
      Resource: [targets.restoredDbArn],
    },
    {
      Sid: "ReadRecords",
      Effect: "Allow",
      Action: ["route53:ListResourceRecordSets"],
      Resource: ["arn:aws:route53:::hostedzone/Z0ABC"],
    },
    {
      Sid: "NotifyDrTopic",
      Effect: "Allow",
      Action: ["sns:Publish"],
      Resource: [targets.alertTopicArn],
    },
    {
      Sid: "ListReports",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: ["arn:aws:s3:::s3-backups-dr-dev-abc"],
      Condition: { StringLike: { "s3:prefix": ["reports/*"] } },
    },
    {
      Sid: "ReadAndRecordAlerts",
      Effect: "Allow",
      Action: ["s3:GetObject", "s3:PutObject"],
      Resource: ["arn:aws:s3:::s3-backups-dr-dev-abc/alerts/*"],
    },
    {
      Sid: "ListAlerts",
      Effect: "Allow",
      Action: ["s3:ListBucket"],
      Resource: ["arn:aws:s3:::s3-backups-dr-dev-abc"],
      Condition: { StringLike: { "s3:prefix": ["alerts/*"] } },
    },
    {
      Sid: "DrKeyThroughS3AndSns",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [targets.drKeyArn],
      Condition: {
        StringEquals: { "kms:ViaService": [`s3.${DR}.amazonaws.com`, `sns.${DR}.amazonaws.com`] },
      },
    },
    { Sid: "ReadLagMetrics", Effect: "Allow", Action: ["cloudwatch:GetMetricData"], Resource: ["*"] },
  ];
  const targets = failoverTargets;

  // The step runner's regional restore, in the DR region, from the writer's replicated backups.
  const restoreStatements = () => [
    {
      Sid: "RestoreTheWriterIntoTheDrRegion",
      Effect: "Allow",
      Action: ["rds:RestoreDBInstanceToPointInTime"],
      // Every resource type of the action (db, auto-backup, subgrp, pg, og), each exactly this stack's.
      Resource: [
        targets.restoredDbArn,
        targets.replicatedBackupArn,
        targets.restoreSubnetGroupArn,
        targets.restoreParameterGroupArn,
        targets.restoreOptionGroupArn,
      ],
    },
    {
      Sid: "TagTheRestoredInstanceAtCreation",
      Effect: "Allow",
      Action: ["rds:AddTagsToResource"],
      Resource: [targets.restoredDbArn],
    },
    {
      Sid: "LetRdsUseTheDrKeyForTheRestore",
      Effect: "Allow",
      Action: ["kms:CreateGrant", "kms:DescribeKey"],
      Resource: [targets.drKeyArn],
      Condition: { StringEquals: { "kms:ViaService": [`rds.${DR}.amazonaws.com`] } },
    },
  ];

  it("step runner: exactly the adapters' calls of the steps, on exactly the stack's resources", () => {
    expect(stepRunnerPolicyDocument(failoverTargets).Statement).toEqual([
      ...snapshotReads(),
      {
        Sid: "RebootTheWriterToFence",
        Effect: "Allow",
        Action: ["rds:RebootDBInstance"],
        Resource: [failoverTargets.primaryDbArn],
      },
      {
        Sid: "TagTheFencedWriter",
        Effect: "Allow",
        Action: ["rds:AddTagsToResource"],
        Resource: [failoverTargets.primaryDbArn],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["tap:fenced-at"] } },
      },
      {
        Sid: "UntagTheUnfencedWriter",
        Effect: "Allow",
        Action: ["rds:RemoveTagsFromResource"],
        Resource: [failoverTargets.primaryDbArn],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["tap:fenced-at"] } },
      },
      {
        Sid: "MarkThePromotion",
        Effect: "Allow",
        Action: ["rds:AddTagsToResource", "rds:RemoveTagsFromResource"],
        Resource: [failoverTargets.replicaDbArn],
        Condition: { "ForAllValues:StringEquals": { "aws:TagKeys": ["tap:promotion-requested-at"] } },
      },
      {
        Sid: "PromoteTheReplicaOnly",
        Effect: "Allow",
        Action: ["rds:PromoteReadReplica"],
        Resource: [failoverTargets.replicaDbArn],
      },
      {
        Sid: "EnableBackupsOnThePromotedReplica",
        Effect: "Allow",
        Action: ["rds:ModifyDBInstance"],
        Resource: [failoverTargets.replicaDbArn],
      },
      {
        Sid: "ReadSecurityGroupRules",
        Effect: "Allow",
        Action: ["ec2:DescribeSecurityGroupRules"],
        Resource: ["*"],
      },
      {
        Sid: "FenceThePrimary",
        Effect: "Allow",
        Action: ["ec2:RevokeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupIngress"],
        Resource: [failoverTargets.primarySecurityGroupArn],
      },
      {
        Sid: "UpsertWriterAndReaderCnames",
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets"],
        Resource: ["arn:aws:route53:::hostedzone/Z0ABC"],
        Condition: {
          "ForAllValues:StringEquals": {
            // Normalised: lower case, no trailing dot.
            "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
              "writer.dev.internal",
              "reader.dev.internal",
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
        Sid: "ReadWalPositionsThroughMonitor",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [failoverTargets.monitorFunctionArn],
      },
      {
        Sid: "WriteReports",
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: ["arn:aws:s3:::s3-backups-dr-dev-abc/reports/*"],
      },
      ...restoreStatements(),
      {
        Sid: "OwnLogGroup",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`${failoverTargets.logGroupArn}:*`],
      },
    ]);
  });

  it("step runner: no restore at all when the writer's backups are not copied to the DR region", () => {
    const doc = stepRunnerPolicyDocument({ ...failoverTargets, replicatedBackupArn: undefined });
    const actions = doc.Statement.flatMap((st) => st.Action);
    for (const restoring of ["rds:RestoreDBInstanceToPointInTime", "kms:CreateGrant", "kms:DescribeKey"]) {
      expect(actions).not.toContain(restoring);
    }
    expect(doc.Statement.find((st) => st.Sid === "TagTheRestoredInstanceAtCreation")).toBeUndefined();
    // Still reads: a restore found by an earlier writer is described, and a lookup finds nothing.
    expect(doc.Statement.find((st) => st.Sid === "DescribeTheWritersReplicatedBackups")?.Resource).toEqual([
      failoverTargets.writerBackupsFilterArn,
    ]);
    expect(doc.Statement.find((st) => st.Sid === "DescribeTheRestoredInstance")?.Resource).toEqual([
      failoverTargets.restoredDbArn,
    ]);
  });

  it("restore ARNs: the target instance and the default option group of the family", () => {
    expect(dbInstanceArn(DR, ACCOUNT, "rds-restored-dev")).toBe(failoverTargets.restoredDbArn);
    expect(defaultOptionGroupArn(DR, ACCOUNT, "postgres14")).toBe(failoverTargets.restoreOptionGroupArn);
    expect(() => defaultOptionGroupArn(DR, ACCOUNT, "mysql8.0")).toThrow(
      'parameter group family "mysql8.0" is not a PostgreSQL family like postgres14',
    );
  });

  it("failover: the snapshot's reads and starting the one state machine's executions; nothing that acts", () => {
    const machine = stateMachineArn(DR, ACCOUNT, "sfn-failover-dev");
    const executions = executionsArn(DR, ACCOUNT, "sfn-failover-dev");
    expect({ machine, executions }).toEqual({
      machine: `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-failover-dev`,
      executions: `arn:aws:states:${DR}:${ACCOUNT}:execution:sfn-failover-dev:*`,
    });
    const doc = failoverPolicyDocument({
      ...failoverTargets,
      stateMachineArn: machine,
      executionsArn: executions,
    });
    expect(doc.Statement).toEqual([
      ...snapshotReads(),
      {
        Sid: "StartAndListFailoverExecutions",
        Effect: "Allow",
        Action: ["states:StartExecution", "states:ListExecutions"],
        Resource: [machine],
      },
      {
        Sid: "DescribeFailoverExecutions",
        Effect: "Allow",
        Action: ["states:DescribeExecution"],
        Resource: [executions],
      },
      {
        Sid: "OwnLogGroup",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: [`${failoverTargets.logGroupArn}:*`],
      },
    ]);
    const actions = doc.Statement.flatMap((st) => st.Action);
    for (const acting of [
      "rds:PromoteReadReplica",
      "rds:ModifyDBInstance",
      "rds:RebootDBInstance",
      "rds:RestoreDBInstanceToPointInTime",
      "rds:AddTagsToResource",
      "kms:CreateGrant",
      "ec2:RevokeSecurityGroupIngress",
      "route53:ChangeResourceRecordSets",
      "lambda:InvokeFunction",
    ]) {
      expect(actions).not.toContain(acting);
    }
  });

  it("state machine: invoke the step runner (and its versions), deliver its logs on '*', nothing else", () => {
    const stepRunner = `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-step-runner-dev`;
    expect(stateMachinePolicyDocument({ stepRunnerArn: stepRunner })).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "InvokeStepRunner",
          Effect: "Allow",
          Action: ["lambda:InvokeFunction"],
          Resource: [stepRunner, `${stepRunner}:*`],
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
    });
    const machine = `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-failover-dev`;
    expect(stateMachineTrustPolicy(ACCOUNT, machine)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "states.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": machine },
          },
        },
      ],
    });
  });

  it("only Describe/metric reads and Lambda ENIs use '*' (AWS has no resource-level permission for them)", () => {
    const star = (doc: IamPolicyDocument) =>
      doc.Statement.filter((s) => s.Resource.includes("*")).flatMap((s) => s.Action);
    expect(star(stepRunnerPolicyDocument(failoverTargets))).toEqual([
      "cloudwatch:GetMetricData",
      "ec2:DescribeSecurityGroupRules",
    ]);
    expect(
      star(failoverPolicyDocument({ ...failoverTargets, stateMachineArn: "m", executionsArn: "e" })),
    ).toEqual(["cloudwatch:GetMetricData"]);
    const eni = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ];
    expect(
      star(monitorPolicyDocument({ dbUserArns: ["x"], failoverFunctionArn: "f", logGroupArn: "l" })),
    ).toEqual(eni);
    expect(
      star(
        bootstrapPolicyDocument({
          masterSecretArn: "s",
          secretKeyArn: "k",
          primaryRegion: PRIMARY,
          logGroupArn: "l",
        }),
      ),
    ).toEqual(eni);
  });

  it("health-monitor: IAM login on both instances, its destination, its logs; no secret", () => {
    const doc = monitorPolicyDocument({
      dbUserArns: ["arn:aws:rds-db:p:1:dbuser:db-P/dr_monitor", "arn:aws:rds-db:r:1:dbuser:db-R/dr_monitor"],
      failoverFunctionArn: `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-failover-dev`,
      logGroupArn: "arn:aws:logs:x:1:log-group:/aws/lambda/lambda-health-monitor-dev",
    });
    expect(doc.Statement.map((s) => [s.Sid, s.Action.join(","), s.Resource.join(",")])).toEqual([
      [
        "IamDatabaseLogin",
        "rds-db:connect",
        "arn:aws:rds-db:p:1:dbuser:db-P/dr_monitor,arn:aws:rds-db:r:1:dbuser:db-R/dr_monitor",
      ],
      [
        "VpcNetworkInterfaces",
        "ec2:CreateNetworkInterface,ec2:DescribeNetworkInterfaces,ec2:DescribeSubnets,ec2:DeleteNetworkInterface,ec2:AssignPrivateIpAddresses,ec2:UnassignPrivateIpAddresses",
        "*",
      ],
      [
        "DeliverResultsToFailover",
        "lambda:InvokeFunction",
        `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-failover-dev`,
      ],
      [
        "OwnLogGroup",
        "logs:CreateLogStream,logs:PutLogEvents",
        "arn:aws:logs:x:1:log-group:/aws/lambda/lambda-health-monitor-dev:*",
      ],
    ]);
    expect(JSON.stringify(doc)).not.toContain("secretsmanager");
  });

  it("db-bootstrap: the master secret, its key only through Secrets Manager of the primary region", () => {
    const doc = bootstrapPolicyDocument({
      masterSecretArn: `arn:aws:secretsmanager:${PRIMARY}:${ACCOUNT}:secret:rds!db-1`,
      secretKeyArn: `arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/k-primary`,
      primaryRegion: PRIMARY,
      logGroupArn: "arn:aws:logs:p:1:log-group:/aws/lambda/lambda-db-bootstrap-dev",
    });
    expect(doc.Statement.slice(0, 2)).toEqual([
      {
        Sid: "ReadMasterSecret",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: [`arn:aws:secretsmanager:${PRIMARY}:${ACCOUNT}:secret:rds!db-1`],
      },
      {
        Sid: "DecryptMasterSecret",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [`arn:aws:kms:${PRIMARY}:${ACCOUNT}:key/k-primary`],
        Condition: { StringEquals: { "kms:ViaService": [`secretsmanager.${PRIMARY}.amazonaws.com`] } },
      },
    ]);
  });

  it.each([
    ["a DbiResourceId", "db-ABC123", `arn:aws:rds-db:${PRIMARY}:${ACCOUNT}:dbuser:db-ABC123/dr_monitor`],
  ])("dbUserArn with %s", (_label, id, expected) => {
    expect(dbUserArn(PRIMARY, ACCOUNT, id, "dr_monitor")).toBe(expected);
  });

  it.each([
    ["the instance identifier", "rds-primary-dev"],
    ["an empty id", ""],
    ["a lower-case id", "db-abc"],
  ])("dbUserArn refuses %s, naming the value and the fix", (_label, id) => {
    expect(() => dbUserArn(PRIMARY, ACCOUNT, id, "dr_monitor")).toThrow(
      `DbiResourceId ${JSON.stringify(id)} is not an RDS resource id (like db-ABCDEFGHIJKL); pass the instance's resourceId output, not its identifier`,
    );
  });

  it("endpoint policy: the bootstrap role, GetSecretValue, the master secret, nothing else", () => {
    expect(secretsEndpointPolicy("arn:aws:iam::1:role/b", "arn:s")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "BootstrapReadsMasterSecret",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam::1:role/b"] },
          Action: ["secretsmanager:GetSecretValue"],
          Resource: ["arn:s"],
        },
      ],
    });
  });

  it("the second trigger matches only this alarm entering ALARM", () => {
    expect(alarmEventPattern("arn:aws:cloudwatch:r:1:alarm:a")).toEqual({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      resources: ["arn:aws:cloudwatch:r:1:alarm:a"],
      detail: { state: { value: ["ALARM"] } },
    });
  });

  it("names and the bootstrap command", () => {
    expect(functionName("db-bootstrap", "dev")).toBe("lambda-db-bootstrap-dev");
    expect(logGroupName("lambda-failover-dev")).toBe("/aws/lambda/lambda-failover-dev");
    expect(securityGroupArn(PRIMARY, ACCOUNT, "sg-1")).toBe(
      `arn:aws:ec2:${PRIMARY}:${ACCOUNT}:security-group/sg-1`,
    );
    expect(lambdaFunctionArn(DR, ACCOUNT, "lambda-health-monitor-dev")).toBe(
      `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-health-monitor-dev`,
    );
    expect(bootstrapCommand("lambda-db-bootstrap-dev", PRIMARY)).toBe(
      "aws lambda invoke --region ap-southeast-2 --function-name lambda-db-bootstrap-dev " +
        `--cli-binary-format raw-in-base64-out --payload '{"action":"bootstrap"}' bootstrap-result.json`,
    );
  });
});

describe("environment contracts", () => {
  it("the monitor's environment sets every MONITOR_ENV variable and the RDS CA bundle", () => {
    const env = monitorEnvironment({
      primaryHost: "p.example",
      replicaHost: "r.example",
      dbPort: 5432,
      dbName: "app",
      primaryRegion: PRIMARY,
      replicaRegion: PRIMARY,
      masterSecretArn: "arn",
      environmentSuffix: "dev",
      policy: { ...DEFAULT_POLICY, probesPerRun: 5, probeIntervalSeconds: 10, probeTimeoutSeconds: 2 },
    });
    expect(Object.keys(env).sort()).toEqual([...MONITOR_ENV, "NODE_EXTRA_CA_CERTS"].sort());
    expect(env.NODE_EXTRA_CA_CERTS).toBe("/var/runtime/ca-cert.pem");
    // The probe cadence and the early-stop threshold, from the policy given, nothing else of it.
    expect({
      PROBES_PER_RUN: env.PROBES_PER_RUN,
      PROBE_INTERVAL_SECONDS: env.PROBE_INTERVAL_SECONDS,
      PROBE_TIMEOUT_SECONDS: env.PROBE_TIMEOUT_SECONDS,
      CONSECUTIVE_FAILURES: env.CONSECUTIVE_FAILURES,
    }).toEqual({
      PROBES_PER_RUN: "5",
      PROBE_INTERVAL_SECONDS: "10",
      PROBE_TIMEOUT_SECONDS: "2",
      CONSECUTIVE_FAILURES: "3",
    });
  });

  const stepRunnerInputs = {
    primaryInstanceId: "a",
    replicaInstanceId: "b",
    primaryRegion: PRIMARY,
    replicaRegion: DR,
    primarySecurityGroupId: "sg-1",
    hostedZoneId: "Z1",
    writerRecordName: "writer.x",
    readerRecordName: "reader.x",
    dnsTtlSeconds: 30,
    alertTopicArn: "t",
    reportBucket: "b",
    backupRetentionDays: 7,
    policy: { ...DEFAULT_POLICY, maxReplicationLagSeconds: 30, consecutiveFailuresToFailover: 4 },
    primaryAlarmName: "alarm",
    monitorFunctionName: "m",
    environmentSuffix: "dev",
    restoredInstanceId: "rds-restored-dev",
    restoreSubnetGroup: "dbsubnets-dr-dev",
    restoreSecurityGroupIds: ["sg-clients", "sg-access"],
    restoreParameterGroup: "pg-postgres14-dr-dev",
    restoreInstanceClass: "db.r6g.large",
  };

  it("the step runner's environment sets exactly STEP_RUNNER_ENV", () => {
    const env = stepRunnerEnvironment(stepRunnerInputs);
    expect(Object.keys(env).sort()).toEqual([...STEP_RUNNER_ENV].sort());
    expect({
      MAX_REPLICATION_LAG_SECONDS: env.MAX_REPLICATION_LAG_SECONDS,
      ACCEPT_DATA_LOSS: env.ACCEPT_DATA_LOSS,
      CONSECUTIVE_FAILURES: env.CONSECUTIVE_FAILURES,
    }).toEqual({ MAX_REPLICATION_LAG_SECONDS: "30", ACCEPT_DATA_LOSS: "false", CONSECUTIVE_FAILURES: "4" });
  });

  it("the step runner's restore variables: the policy's mode and window, the DR groups, the primary's class", () => {
    const env = stepRunnerEnvironment({
      ...stepRunnerInputs,
      policy: { ...stepRunnerInputs.policy, regionalRestore: "approve", restoreConfirmationMinutes: 25 },
    });
    expect({
      REGIONAL_RESTORE: env.REGIONAL_RESTORE,
      RESTORE_CONFIRMATION_MINUTES: env.RESTORE_CONFIRMATION_MINUTES,
      RESTORED_INSTANCE_ID: env.RESTORED_INSTANCE_ID,
      RESTORE_SUBNET_GROUP: env.RESTORE_SUBNET_GROUP,
      RESTORE_SECURITY_GROUP_IDS: env.RESTORE_SECURITY_GROUP_IDS,
      RESTORE_PARAMETER_GROUP: env.RESTORE_PARAMETER_GROUP,
      RESTORE_INSTANCE_CLASS: env.RESTORE_INSTANCE_CLASS,
    }).toEqual({
      REGIONAL_RESTORE: "approve",
      RESTORE_CONFIRMATION_MINUTES: "25",
      RESTORED_INSTANCE_ID: "rds-restored-dev",
      RESTORE_SUBNET_GROUP: "dbsubnets-dr-dev",
      // Plain ids are joined at once (the simulator's strings stay strings).
      RESTORE_SECURITY_GROUP_IDS: "sg-clients,sg-access",
      RESTORE_PARAMETER_GROUP: "pg-postgres14-dr-dev",
      RESTORE_INSTANCE_CLASS: "db.r6g.large",
    });
  });

  it("the failover environment is the step runner's plus the workflow's four variables", () => {
    const env = failoverEnvironment({
      ...stepRunnerInputs,
      stateMachineArn: "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev",
      promotionTimeoutMinutes: 30,
      approvalTimeoutMinutes: 60,
      restoreTimeoutMinutes: 240,
    });
    expect(Object.keys(env).sort()).toEqual([...FAILOVER_ENV].sort());
    expect(env).toEqual({
      ...stepRunnerEnvironment(stepRunnerInputs),
      STATE_MACHINE_ARN: "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev",
      PROMOTION_TIMEOUT_MINUTES: "30",
      APPROVAL_TIMEOUT_MINUTES: "60",
      RESTORE_TIMEOUT_MINUTES: "240",
    });
    // The restore timeout is the workflow's: the step runner is not given it.
    expect(STEP_RUNNER_ENV).not.toContain("RESTORE_TIMEOUT_MINUTES");
  });

  it("each function is given only the variables its handler reads", () => {
    // The failover function never probes: the probe cadence is the monitor's alone.
    for (const cadence of ["PROBES_PER_RUN", "PROBE_INTERVAL_SECONDS", "PROBE_TIMEOUT_SECONDS"]) {
      expect(FAILOVER_ENV).not.toContain(cadence);
      expect(MONITOR_ENV).toContain(cadence);
    }
    // The monitor judges nothing: the guard's limit and switch are the failover function's alone.
    for (const guard of ["MAX_REPLICATION_LAG_SECONDS", "ACCEPT_DATA_LOSS"]) {
      expect(MONITOR_ENV).not.toContain(guard);
      expect(FAILOVER_ENV).toContain(guard);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The real program under the synth mocks

const DEV = readStackConfig("dev", join(__dirname, "..", ".."));

const synthesizeWith = (replicaRegion: string): Promise<SynthResult> =>
  synthesizeProgram({ ...DEV, "tap:replicaRegion": replicaRegion });

function view(result: SynthResult) {
  const named = (name: string): RecordedResource => {
    const found = result.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0];
  };
  const state = (name: string, key: string): string => named(name).state[key] as string;
  const policy = (name: string): { Statement: { Sid: string; Action: string[]; Resource: string[] }[] } =>
    JSON.parse(named(name).inputs.policy as string);
  const env = (name: string): Record<string, string> =>
    (named(name).inputs.environment as { variables: Record<string, string> }).variables;
  return { named, state, policy, env };
}

describe.each([
  ["same-region", PRIMARY],
  ["cross-region", DR],
])("functions with a %s replica", (_label, replicaRegion) => {
  let result: SynthResult;
  let v: ReturnType<typeof view>;
  beforeAll(async () => {
    result = await synthesizeWith(replicaRegion);
    v = view(result);
  });

  it("makes only invokes the mocks know", () => {
    expect(result.unmockedCalls).toEqual([]);
  });

  it.each([
    ["lambda-health-monitor-dev", DR, "aws-dr-dev"],
    ["lambda-failover-dev", DR, "aws-dr-dev"],
    ["lambda-db-bootstrap-dev", PRIMARY, "aws-primary-dev"],
    ["logs-health-monitor-dev", DR, "aws-dr-dev"],
    ["logs-failover-dev", DR, "aws-dr-dev"],
    ["logs-db-bootstrap-dev", PRIMARY, "aws-primary-dev"],
    ["vpce-secretsmanager-primary-dev", PRIMARY, "aws-primary-dev"],
    ["events-monitor-schedule-dev", DR, "aws-dr-dev"],
    ["events-primary-unreachable-dev", DR, "aws-dr-dev"],
    ["alarm-failover-errors-dev", DR, "aws-dr-dev"],
  ])("creates %s in %s through %s", (name, region, provider) => {
    expect({ region: v.named(name).region, provider: v.named(name).provider }).toEqual({ region, provider });
  });

  it("runs every function on Node.js 22 from its entry's package (the bundler's, every file)", async () => {
    // Under mocks the archive arrives as an AssetArchive whose assets are still a promise; the
    // suite's bundler names the entry in index.mjs (test/support/stand-in-bundle.ts).
    const packaged = async (fn: string): Promise<Record<string, string>> => {
      const archive = v.named(fn).inputs.code as {
        assets: Promise<Record<string, { text: Promise<string> }>>;
      };
      const assets = await archive.assets;
      return Object.fromEntries(
        await Promise.all(Object.entries(assets).map(async ([path, a]) => [path, await a.text] as const)),
      );
    };
    const functions = result.resources.filter((r) => r.type === "aws:lambda/function:Function");
    const entries: Record<string, string> = {};
    for (const fn of functions) {
      expect({ fn: fn.name, ...fn.inputs }).toMatchObject({
        fn: fn.name,
        runtime: "nodejs22.x",
        handler: "index.handler",
      });
      const files = await packaged(fn.name);
      expect(Object.keys(files).sort()).toEqual(["index.mjs", "index.mjs.map"]);
      const entry = DEPLOYED_ENTRIES.find((e) => files["index.mjs"] === standInSource(e));
      entries[fn.name] = entry ?? `no entry: ${files["index.mjs"]}`;
    }
    // The bootstrap runs in the monitor's package (one bundle, two handlers' worth of code paths).
    expect(entries).toEqual({
      "lambda-health-monitor-dev": "health-monitor",
      "lambda-failover-dev": "failover",
      "lambda-step-runner-dev": "step-runner",
      "lambda-db-bootstrap-dev": "health-monitor",
      "lambda-restore-check-dev": "restore-check",
      "lambda-snapshot-export-dev": "snapshot-export",
    });
  });

  it("failover: no VPC, reserved concurrency 1, a decision's 60 s timeout, its own KMS-encrypted log group", () => {
    const fn = v.named("lambda-failover-dev").inputs;
    expect(fn.vpcConfig).toBeUndefined();
    expect(fn).toMatchObject({
      name: "lambda-failover-dev",
      reservedConcurrentExecutions: 1,
      timeout: 60,
      role: v.state("iam-failover-dev", "arn"),
      loggingConfig: { logFormat: "Text", logGroup: "/aws/lambda/lambda-failover-dev" },
    });
    expect(v.named("logs-failover-dev").inputs).toMatchObject({
      name: "/aws/lambda/lambda-failover-dev",
      retentionInDays: 30,
      kmsKeyId: v.state("kms-dr-dev", "arn"),
    });
  });

  it("step runner: DR region, no VPC, no reservation, 300 s, its own KMS-encrypted log group", () => {
    const fn = v.named("lambda-step-runner-dev");
    expect({ region: fn.region, provider: fn.provider }).toEqual({ region: DR, provider: "aws-dr-dev" });
    expect(fn.inputs.vpcConfig).toBeUndefined();
    expect(fn.inputs.reservedConcurrentExecutions).toBeUndefined();
    expect(fn.inputs).toMatchObject({
      name: "lambda-step-runner-dev",
      runtime: "nodejs22.x",
      handler: "index.handler",
      timeout: 300,
      memorySize: 256,
      role: v.state("iam-step-runner-dev", "arn"),
      loggingConfig: { logFormat: "Text", logGroup: "/aws/lambda/lambda-step-runner-dev" },
      tags: { "DR-Role": "failover" },
    });
    expect(v.named("logs-step-runner-dev").inputs).toMatchObject({
      name: "/aws/lambda/lambda-step-runner-dev",
      retentionInDays: 30,
      kmsKeyId: v.state("kms-dr-dev", "arn"),
    });
    // The step runner is the one the state machine invokes: no trigger, no async settings.
    expect(
      result.resources.filter(
        (r) => r.name.startsWith("lambda-step-runner-") && r.name !== "lambda-step-runner-dev",
      ),
    ).toEqual([]);
  });

  it("the step runner's environment is the failover's without the workflow's variables, accepted by its handler", () => {
    const failoverEnv = v.env("lambda-failover-dev");
    const stepEnv = v.env("lambda-step-runner-dev");
    const {
      STATE_MACHINE_ARN,
      PROMOTION_TIMEOUT_MINUTES,
      APPROVAL_TIMEOUT_MINUTES,
      RESTORE_TIMEOUT_MINUTES,
      ...shared
    } = failoverEnv;
    expect({
      STATE_MACHINE_ARN,
      PROMOTION_TIMEOUT_MINUTES,
      APPROVAL_TIMEOUT_MINUTES,
      RESTORE_TIMEOUT_MINUTES,
    }).toEqual({
      STATE_MACHINE_ARN: v.state("sfn-failover-dev", "arn"),
      PROMOTION_TIMEOUT_MINUTES: "45",
      APPROVAL_TIMEOUT_MINUTES: "1440",
      RESTORE_TIMEOUT_MINUTES: "180",
    });
    // Plus the restore test's variables (RESTORE_TEST_CONTRACT.md): its instance, the restored
    // instance's access group only, and the restore timeout its mode-only input does not carry.
    expect(stepEnv).toEqual({
      ...shared,
      RESTORE_TEST_INSTANCE_ID: "rds-restore-test-dev",
      RESTORE_TEST_SECURITY_GROUP_IDS: v.named("sg-db-access-restored-dev").id,
      RESTORE_TIMEOUT_MINUTES: "180",
    });
    expect(readStepRunnerConfig(stepEnv).controlRegion).toBe(DR);
  });

  it("health-monitor: only the DR VPC's monitor subnets, with its own security group", () => {
    expect(v.named("lambda-health-monitor-dev").inputs.vpcConfig).toEqual({
      subnetIds: [v.named("subnet-monitor-dr-1-dev").id, v.named("subnet-monitor-dr-2-dev").id],
      securityGroupIds: [v.named("sg-health-monitor-dev").id],
    });
    // (4 probes + 3 to fail over - 1) × 15 s + 2 × 3 s probe timeout + 10 s margin.
    expect(v.named("lambda-health-monitor-dev").inputs.timeout).toBe(88);
  });

  it("the failover environment comes from resource outputs and passes the handler's validation", () => {
    const env = v.env("lambda-failover-dev");
    expect(env).toEqual({
      PRIMARY_INSTANCE_ID: "rds-primary-dev",
      REPLICA_INSTANCE_ID: "rds-replica-dev",
      PRIMARY_REGION: PRIMARY,
      REPLICA_REGION: replicaRegion,
      PRIMARY_SECURITY_GROUP_ID: v.named("sg-db-clients-primary-dev").id,
      HOSTED_ZONE_ID: v.state("r53-zone-dev", "zoneId"),
      WRITER_RECORD_NAME: "writer.dev.tapstack.internal",
      READER_RECORD_NAME: "reader.dev.tapstack.internal",
      DNS_TTL_SECONDS: "30",
      ALERT_TOPIC_ARN: v.state("sns-dr-events-dev", "arn"),
      REPORT_BUCKET: v.state("s3-backups-dr-dev", "bucket"),
      BACKUP_RETENTION_DAYS: "7",
      MAX_REPLICATION_LAG_SECONDS: "60",
      ACCEPT_DATA_LOSS: "false",
      CONSECUTIVE_FAILURES: "3",
      PRIMARY_ALARM_NAME: "alarm-monitor-primary-unreachable-dev",
      MONITOR_FUNCTION_NAME: "lambda-health-monitor-dev",
      METRICS_NAMESPACE: "TapStack",
      ENVIRONMENT_SUFFIX: "dev",
      // The regional restore: the dev defaults, and the DR-region resources declared for it in
      // every placement (the groups' physical names, the restored instance's security groups).
      REGIONAL_RESTORE: "auto",
      RESTORE_CONFIRMATION_MINUTES: "10",
      RESTORED_INSTANCE_ID: "rds-restored-dev",
      RESTORE_SUBNET_GROUP: v.state("dbsubnets-dr-dev", "name"),
      RESTORE_SECURITY_GROUP_IDS: `${v.named("sg-db-clients-restored-dev").id},${v.named("sg-db-access-restored-dev").id}`,
      RESTORE_PARAMETER_GROUP: v.state("pg-postgres14-dr-dev", "name"),
      RESTORE_INSTANCE_CLASS: "db.t3.medium",
      STATE_MACHINE_ARN: `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-failover-dev`,
      PROMOTION_TIMEOUT_MINUTES: "45",
      APPROVAL_TIMEOUT_MINUTES: "1440",
      RESTORE_TIMEOUT_MINUTES: "180",
    });
    expect([v.state("dbsubnets-dr-dev", "name"), v.state("pg-postgres14-dr-dev", "name")]).toEqual([
      "dbsubnets-dr-dev",
      "pg-postgres14-dr-dev",
    ]);
    const config = readFailoverConfig(env);
    expect({
      controlRegion: config.controlRegion,
      policy: config.policy,
      stateMachineArn: config.stateMachineArn,
      promotionTimeoutMinutes: config.promotionTimeoutMinutes,
      approvalTimeoutMinutes: config.approvalTimeoutMinutes,
    }).toEqual({
      controlRegion: DR,
      policy: DEFAULT_POLICY,
      stateMachineArn: `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-failover-dev`,
      promotionTimeoutMinutes: 45,
      approvalTimeoutMinutes: 1440,
    });
  });

  it("the monitor and the bootstrap get the same environment, accepted by the handler inside Lambda", () => {
    const env = v.env("lambda-health-monitor-dev");
    expect(v.env("lambda-db-bootstrap-dev")).toEqual(env);
    expect(env).toEqual({
      PRIMARY_HOST: v.state("rds-primary-dev", "address"),
      REPLICA_HOST: v.state("rds-replica-dev", "address"),
      DB_PORT: "5432",
      DB_NAME: "app",
      MONITOR_DB_USER: "dr_monitor",
      PRIMARY_REGION: PRIMARY,
      REPLICA_REGION: replicaRegion,
      MASTER_SECRET_ARN: (v.named("rds-primary-dev").state.masterUserSecrets as { secretArn: string }[])[0]
        .secretArn,
      PROBES_PER_RUN: "7",
      PROBE_INTERVAL_SECONDS: "8",
      PROBE_TIMEOUT_SECONDS: "3",
      CONSECUTIVE_FAILURES: "3",
      METRICS_NAMESPACE: "TapStack",
      ENVIRONMENT_SUFFIX: "dev",
      NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
    });
    const config = readMonitorConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: "lambda-health-monitor-dev" });
    expect(config.masterSecretRegion).toBe(PRIMARY);
    expect(config.policy).toEqual(DEFAULT_POLICY);
  });

  const snapshotReadResources = () => ({
    DescribeBothInstances: [v.state("rds-primary-dev", "arn"), v.state("rds-replica-dev", "arn")],
    // The writer's copy in the DR region is the backup replication's id (its auto-backup ARN).
    DescribeTheWritersReplicatedBackups: [
      `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-primary-dev`,
      v.named("rds-backups-replication-dev").id,
    ],
    DescribeTheRestoredInstance: [`arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restored-dev`],
    ReadRecords: [v.state("r53-zone-dev", "arn")],
    NotifyDrTopic: [v.state("sns-dr-events-dev", "arn")],
    ListReports: [v.state("s3-backups-dr-dev", "arn")],
    ReadAndRecordAlerts: [`${v.state("s3-backups-dr-dev", "arn")}/alerts/*`],
    ListAlerts: [v.state("s3-backups-dr-dev", "arn")],
    DrKeyThroughS3AndSns: [v.state("kms-dr-dev", "arn")],
    ReadLagMetrics: ["*"],
  });

  it("failover role: the snapshot's reads and the workflow's executions, exact ARNs of this stack", () => {
    const statements = v.policy("iam-failover-policy-dev").Statement;
    expect(Object.fromEntries(statements.map((s) => [s.Sid, s.Resource]))).toEqual({
      ...snapshotReadResources(),
      StartAndListFailoverExecutions: [v.state("sfn-failover-dev", "arn")],
      DescribeFailoverExecutions: [`arn:aws:states:${DR}:${ACCOUNT}:execution:sfn-failover-dev:*`],
      OwnLogGroup: [`arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/lambda/lambda-failover-dev:*`],
    });
    expect(v.named("iam-failover-policy-dev").inputs.role).toBe(v.named("iam-failover-dev").id);
  });

  it("step runner role: exact ARNs of this stack, the replica in its own region", () => {
    const statements = v.policy("iam-step-runner-policy-dev").Statement;
    expect(Object.fromEntries(statements.map((s) => [s.Sid, s.Resource]))).toEqual({
      ...snapshotReadResources(),
      RebootTheWriterToFence: [v.state("rds-primary-dev", "arn")],
      TagTheFencedWriter: [v.state("rds-primary-dev", "arn")],
      UntagTheUnfencedWriter: [v.state("rds-primary-dev", "arn")],
      MarkThePromotion: [`arn:aws:rds:${replicaRegion}:${ACCOUNT}:db:rds-replica-dev`],
      PromoteTheReplicaOnly: [`arn:aws:rds:${replicaRegion}:${ACCOUNT}:db:rds-replica-dev`],
      EnableBackupsOnThePromotedReplica: [`arn:aws:rds:${replicaRegion}:${ACCOUNT}:db:rds-replica-dev`],
      ReadSecurityGroupRules: ["*"],
      FenceThePrimary: [
        `arn:aws:ec2:${PRIMARY}:${ACCOUNT}:security-group/${v.named("sg-db-clients-primary-dev").id}`,
      ],
      UpsertWriterAndReaderCnames: [v.state("r53-zone-dev", "arn")],
      WaitForInsync: ["arn:aws:route53:::change/*"],
      // The monitor's ARN, built from its name before it exists (its role names the failover function).
      ReadWalPositionsThroughMonitor: [v.state("lambda-health-monitor-dev", "arn")],
      WriteReports: [`${v.state("s3-backups-dr-dev", "arn")}/reports/*`],
      RestoreTheWriterIntoTheDrRegion: [
        `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restored-dev`,
        v.named("rds-backups-replication-dev").id,
        v.state("dbsubnets-dr-dev", "arn"),
        v.state("pg-postgres14-dr-dev", "arn"),
        `arn:aws:rds:${DR}:${ACCOUNT}:og:default:postgres-14`,
      ],
      TagTheRestoredInstanceAtCreation: [`arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restored-dev`],
      LetRdsUseTheDrKeyForTheRestore: [v.state("kms-dr-dev", "arn")],
      // The restore test: only rds-restore-test-<suffix>, from the same copy with the same groups.
      RestoreTheWriterIntoTheRestoreTestInstance: [
        `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restore-test-dev`,
        v.named("rds-backups-replication-dev").id,
        v.state("dbsubnets-dr-dev", "arn"),
        v.state("pg-postgres14-dr-dev", "arn"),
        `arn:aws:rds:${DR}:${ACCOUNT}:og:default:postgres-14`,
      ],
      TagTheRestoreTestInstanceAtCreation: [`arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restore-test-dev`],
      DescribeTheRestoreTestInstance: [`arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restore-test-dev`],
      DeleteTheRestoreTestInstance: [`arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restore-test-dev`],
      ReadAndWriteRestoreTestReports: [`${v.state("s3-backups-dr-dev", "arn")}/restore-tests/*`],
      ListRestoreTestReports: [v.state("s3-backups-dr-dev", "arn")],
      OwnLogGroup: [`arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/lambda/lambda-step-runner-dev:*`],
    });
    expect(v.named("rds-backups-replication-dev").id).toMatch(
      new RegExp(`^arn:aws:rds:${DR}:${ACCOUNT}:auto-backup:ab-[a-z0-9]+$`),
    );
    expect(v.state("dbsubnets-dr-dev", "arn")).toBe(`arn:aws:rds:${DR}:${ACCOUNT}:subgrp:dbsubnets-dr-dev`);
    expect(v.state("pg-postgres14-dr-dev", "arn")).toBe(
      `arn:aws:rds:${DR}:${ACCOUNT}:pg:pg-postgres14-dr-dev`,
    );
    expect(v.named("iam-step-runner-policy-dev").inputs.role).toBe(v.named("iam-step-runner-dev").id);
  });

  it("health-monitor role: rds-db:connect on both instances' resource ids, InvokeFunction on failover", () => {
    const bySid = Object.fromEntries(
      v.policy("iam-health-monitor-policy-dev").Statement.map((s) => [s.Sid, s.Resource]),
    );
    const primaryId = v.state("rds-primary-dev", "resourceId");
    const replicaId = v.state("rds-replica-dev", "resourceId");
    expect(primaryId).toMatch(/^db-[A-Z0-9]{26}$/);
    expect(bySid.IamDatabaseLogin).toEqual([
      `arn:aws:rds-db:${PRIMARY}:${ACCOUNT}:dbuser:${primaryId}/dr_monitor`,
      `arn:aws:rds-db:${replicaRegion}:${ACCOUNT}:dbuser:${replicaId}/dr_monitor`,
    ]);
    expect(bySid.DeliverResultsToFailover).toEqual([v.state("lambda-failover-dev", "arn")]);
    expect(bySid.OwnLogGroup).toEqual([
      `arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/lambda/lambda-health-monitor-dev:*`,
    ]);
  });

  it("bootstrap role: the master secret and the primary key only", () => {
    const bySid = Object.fromEntries(
      v.policy("iam-db-bootstrap-policy-dev").Statement.map((s) => [s.Sid, s.Resource]),
    );
    expect(bySid.ReadMasterSecret).toEqual([
      (v.named("rds-primary-dev").state.masterUserSecrets as { secretArn: string }[])[0].secretArn,
    ]);
    expect(bySid.DecryptMasterSecret).toEqual([v.state("kms-primary-dev", "arn")]);
    expect(bySid.OwnLogGroup).toEqual([
      `arn:aws:logs:${PRIMARY}:${ACCOUNT}:log-group:/aws/lambda/lambda-db-bootstrap-dev:*`,
    ]);
  });

  it("the schedule runs the monitor every minute, with a permission scoped to the rule", () => {
    expect(v.named("events-monitor-schedule-dev").inputs.scheduleExpression).toBe("rate(1 minute)");
    expect(v.named("events-monitor-schedule-target-dev").inputs).toMatchObject({
      rule: "events-monitor-schedule-dev",
      arn: v.state("lambda-health-monitor-dev", "arn"),
    });
    expect(v.named("lambda-health-monitor-allow-schedule-dev").inputs).toMatchObject({
      action: "lambda:InvokeFunction",
      function: "lambda-health-monitor-dev",
      principal: "events.amazonaws.com",
      sourceArn: v.state("events-monitor-schedule-dev", "arn"),
    });
  });

  it("failover events: one retry, dropped once their evidence is too old to start a failover on (reference §2)", () => {
    expect(v.named("lambda-failover-async-dev").inputs).toEqual({
      functionName: "lambda-failover-dev",
      maximumEventAgeInSeconds: 120,
      maximumRetryAttempts: 1,
    });
    expect(FUNCTION_SETTINGS.failoverMaxEventAgeSeconds).toBe(maxEvidenceAgeSeconds(DEFAULT_POLICY));
  });

  it("the monitor's successful results go to failover; runs are not retried", () => {
    expect(v.named("lambda-health-monitor-async-dev").inputs).toEqual({
      functionName: "lambda-health-monitor-dev",
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 60,
      destinationConfig: { onSuccess: { destination: v.state("lambda-failover-dev", "arn") } },
    });
  });

  it("the primary-unreachable alarm entering ALARM triggers failover", () => {
    const alarmArn = v.state("alarm-monitor-primary-unreachable-dev", "arn");
    expect(JSON.parse(v.named("events-primary-unreachable-dev").inputs.eventPattern as string)).toEqual(
      alarmEventPattern(alarmArn),
    );
    expect(v.named("events-primary-unreachable-target-dev").inputs.arn).toBe(
      v.state("lambda-failover-dev", "arn"),
    );
    expect(v.named("lambda-failover-allow-alarm-rule-dev").inputs).toMatchObject({
      function: "lambda-failover-dev",
      principal: "events.amazonaws.com",
      sourceArn: v.state("events-primary-unreachable-dev", "arn"),
    });
  });

  it("declares no Route 53 health check (nothing would route on it)", () => {
    expect(result.resources.filter((r) => r.type === "aws:route53/healthCheck:HealthCheck")).toEqual([]);
  });

  it("the state machine: STANDARD, the deployed definition on the step runner, logs at ERROR without data, no tracing", () => {
    const machine = v.named("sfn-failover-dev");
    expect({ region: machine.region, provider: machine.provider }).toEqual({
      region: DR,
      provider: "aws-dr-dev",
    });
    const stepRunner = v.state("lambda-step-runner-dev", "arn");
    expect(machine.inputs).toMatchObject({
      name: "sfn-failover-dev",
      type: "STANDARD",
      roleArn: v.state("iam-sfn-failover-dev", "arn"),
      loggingConfiguration: {
        level: "ERROR",
        includeExecutionData: false,
        logDestination: `arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/vendedlogs/states/sfn-failover-dev:*`,
      },
      tracingConfiguration: { enabled: false },
      tags: { "DR-Role": "failover" },
    });
    // A regional restore's VerifyRestored invokes restore-check (declared with the restore test).
    const restoreCheck = `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-restore-check-dev`;
    expect(v.state("lambda-restore-check-dev", "arn")).toBe(restoreCheck);
    expect(JSON.parse(machine.inputs.definition as string)).toEqual(
      failoverDefinition({
        stepRunnerArn: stepRunner,
        stepRunnerTimeoutSeconds: 300,
        restoreCheckArn: restoreCheck,
        restoreCheckTimeoutSeconds: 60,
      }),
    );
    expect(v.named("logs-sfn-failover-dev").inputs).toMatchObject({
      name: "/aws/vendedlogs/states/sfn-failover-dev",
      retentionInDays: 30,
      kmsKeyId: v.state("kms-dr-dev", "arn"),
    });
  });

  it("the state machine's role: trusted by Step Functions for this machine, invokes only the step runner and restore-check", () => {
    const machineArn = `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-failover-dev`;
    expect(JSON.parse(v.named("iam-sfn-failover-dev").inputs.assumeRolePolicy as string)).toEqual(
      stateMachineTrustPolicy(ACCOUNT, machineArn),
    );
    expect(v.state("sfn-failover-dev", "arn")).toBe(machineArn);
    const stepRunner = v.state("lambda-step-runner-dev", "arn");
    expect(JSON.parse(v.named("iam-sfn-failover-policy-dev").inputs.policy as string)).toEqual(
      stateMachinePolicyDocument({
        stepRunnerArn: stepRunner,
        restoreCheckArn: `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-restore-check-dev`,
      }),
    );
    expect(v.named("iam-sfn-failover-policy-dev").inputs.role).toBe(v.named("iam-sfn-failover-dev").id);
  });

  it.each([
    ["failed", "ExecutionsFailed"],
    ["timed-out", "ExecutionsTimedOut"],
    ["throttled", "ExecutionThrottled"],
  ])("alarms on the workflow's %s executions (%s), notifying the DR topic", (id, metricName) => {
    const alarm = v.named(`alarm-sfn-failover-${id}-dev`);
    expect(alarm.region).toBe(DR);
    expect(alarm.inputs).toMatchObject({
      name: `alarm-sfn-failover-${id}-dev`,
      namespace: "AWS/States",
      metricName,
      dimensions: { StateMachineArn: v.state("sfn-failover-dev", "arn") },
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      period: 60,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      alarmActions: [v.state("sns-dr-events-dev", "arn")],
      okActions: [v.state("sns-dr-events-dev", "arn")],
    });
  });

  it("alarms on any failover function error, notifying the DR topic", () => {
    expect(v.named("alarm-failover-errors-dev").inputs).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "lambda-failover-dev" },
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      period: 60,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      alarmActions: [v.state("sns-dr-events-dev", "arn")],
    });
  });

  it("the bootstrap runs in the primary VPC and reaches Secrets Manager only through a locked endpoint", () => {
    const bootstrapSg = v.named("sg-db-bootstrap-dev").id;
    const endpointSg = v.named("sg-secretsmanager-endpoint-dev").id;
    expect(v.named("lambda-db-bootstrap-dev").inputs.vpcConfig).toEqual({
      subnetIds: [v.named("subnet-private-primary-1-dev").id, v.named("subnet-private-primary-2-dev").id],
      securityGroupIds: [bootstrapSg],
    });
    const endpoint = v.named("vpce-secretsmanager-primary-dev").inputs;
    expect(endpoint).toMatchObject({
      vpcId: v.named("vpc-primary-dev").id,
      serviceName: "com.amazonaws.ap-southeast-2.secretsmanager",
      vpcEndpointType: "Interface",
      privateDnsEnabled: true,
      securityGroupIds: [endpointSg],
    });
    expect(JSON.parse(endpoint.policy as string)).toEqual(
      secretsEndpointPolicy(
        v.state("iam-db-bootstrap-dev", "arn"),
        (v.named("rds-primary-dev").state.masterUserSecrets as { secretArn: string }[])[0].secretArn,
      ),
    );
    expect(v.named("sgr-endpoint-from-bootstrap-dev").inputs).toMatchObject({
      securityGroupId: endpointSg,
      fromPort: 443,
      toPort: 443,
      referencedSecurityGroupId: bootstrapSg,
    });
    expect(v.named("sgr-db-primary-from-bootstrap-dev").inputs).toMatchObject({
      securityGroupId: v.named("sg-db-access-primary-dev").id,
      fromPort: 5432,
      toPort: 5432,
      referencedSecurityGroupId: bootstrapSg,
    });
    expect(v.env("lambda-db-bootstrap-dev")).not.toHaveProperty("SCHEDULE");
    expect(
      result.resources
        .filter((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget")
        .map((r) => r.inputs.arn),
    ).not.toContain(v.state("lambda-db-bootstrap-dev", "arn"));
  });

  it("DB security groups admit the monitor on 5432 only; by security group where it shares the VPC", () => {
    const monitorRules = result.resources.filter(
      (r) =>
        r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule" &&
        (r.inputs.tags as Record<string, string>)["Ingress-Kind"] === "monitor",
    );
    expect(monitorRules.every((r) => r.inputs.fromPort === 5432 && r.inputs.toPort === 5432)).toBe(true);
    const bySgReference = monitorRules
      .filter((r) => r.inputs.referencedSecurityGroupId === v.named("sg-health-monitor-dev").id)
      .map((r) => r.name);
    expect(bySgReference).toEqual(replicaRegion === DR ? ["sgr-db-replica-from-health-monitor-dev"] : []);
  });
});

describe("the restore variables follow the stack's config", () => {
  let v: ReturnType<typeof view>;
  beforeAll(async () => {
    v = view(
      await synthesizeProgram({
        ...DEV,
        "tap:regionalRestore": "approve",
        "tap:restoreConfirmationMinutes": "30",
        "tap:restoreTimeoutMinutes": "240",
        "tap:instanceClass": "db.r6g.large",
      }),
    );
  });

  it("both functions get exactly the configured mode, window, class and timeout", () => {
    const restoreVariables = (env: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(env).filter(([k]) => k.startsWith("RESTORE") || k === "REGIONAL_RESTORE"),
      );
    const expected = {
      REGIONAL_RESTORE: "approve",
      RESTORE_CONFIRMATION_MINUTES: "30",
      RESTORED_INSTANCE_ID: "rds-restored-dev",
      RESTORE_SUBNET_GROUP: "dbsubnets-dr-dev",
      RESTORE_SECURITY_GROUP_IDS: `${v.named("sg-db-clients-restored-dev").id},${v.named("sg-db-access-restored-dev").id}`,
      RESTORE_PARAMETER_GROUP: "pg-postgres14-dr-dev",
      RESTORE_INSTANCE_CLASS: "db.r6g.large",
    };
    // The step runner also gets the timeout, for restore tests (whose input carries only the mode).
    expect(restoreVariables(v.env("lambda-step-runner-dev"))).toEqual({
      ...expected,
      RESTORE_TEST_INSTANCE_ID: "rds-restore-test-dev",
      RESTORE_TEST_SECURITY_GROUP_IDS: v.named("sg-db-access-restored-dev").id,
      RESTORE_TIMEOUT_MINUTES: "240",
    });
    expect(restoreVariables(v.env("lambda-failover-dev"))).toEqual({
      ...expected,
      RESTORE_TIMEOUT_MINUTES: "240",
    });
    // The restored instance has the primary's class.
    expect(v.named("rds-primary-dev").inputs.instanceClass).toBe("db.r6g.large");
  });
});

describe("monitorTimeoutSeconds: the longest run, probing extended while the last probes fail", () => {
  it.each([
    ["the defaults: 7 probes, 3 to fail over, 8 s apart, 3 s timeout", 7, 3, 8, 3, 10, 88],
    ["one probe per run, fail over on the first failure", 1, 1, 15, 3, 10, 31],
    ["a slower cadence: 2 probes 30 s apart, 5 to fail over", 2, 5, 30, 5, 10, 200],
    ["no margin", 4, 3, 15, 3, 0, 96],
    ["a sub-second probe timeout rounds up to a whole second", 4, 3, 1, 0.4, 0, 7],
  ])(
    "%s → %i s",
    (
      _s,
      probesPerRun,
      consecutiveFailures,
      probeIntervalSeconds,
      probeTimeoutSeconds,
      monitorMarginSeconds,
      expected,
    ) => {
      expect(
        monitorTimeoutSeconds(
          {
            ...DEFAULT_POLICY,
            probesPerRun,
            consecutiveFailuresToFailover: consecutiveFailures,
            probeIntervalSeconds,
            probeTimeoutSeconds,
          },
          monitorMarginSeconds,
        ),
      ).toBe(expected);
    },
  );

  it("outlasts the one-minute schedule with the defaults (runs may overlap; failover is serialised)", () => {
    expect(monitorTimeoutSeconds(DEFAULT_POLICY)).toBe(88);
    expect(FUNCTION_SETTINGS.monitorSchedule).toBe("rate(1 minute)");
  });
});
