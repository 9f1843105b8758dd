/**
 * The restore test's infra: the builder called directly under the synth mocks (no whole-program
 * synth), with the network, keys and topic it needs, once with the default schedule and once with
 * `off`; then the pure documents, environments and schedules as tables. Exact inputs throughout.
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { PROJECT, validateConfig, type RawConfig } from "../../lib/config";
import type { IamPolicyDocument } from "../../lib/infra/iam";
import type { RecordedResource } from "../../lib/synth/mocks";
import { RecordingMocks } from "../../lib/synth/mocks";
import { restoreTestDefinition } from "../../lib/workflow/restore-test-definition";
import { standInBundle } from "../support/stand-in-bundle";

const ACCOUNT = "123456789012";
const DR = "ap-southeast-1";
const STEP_RUNNER_ARN = `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-step-runner-dev`;

const waitForRPCs = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;
const mocks = new RecordingMocks(DR);
void pulumi.runtime.setMocks(mocks, PROJECT, "dev", false);

/** What one build of the restore test declared, by logical name, and the network it was given. */
interface Built {
  readonly own: Map<string, RecordedResource>;
  readonly all: readonly RecordedResource[];
}

/** Builds network, keys and a DR topic for `raw`, then the restore test; returns what the latter added. */
async function build(raw: RawConfig): Promise<Built> {
  // Loaded after setMocks, as the program is.
  const aws = await import("@pulumi/aws");
  const { createContext } = await import("../../lib/infra/context");
  const { buildNetwork } = await import("../../lib/infra/network");
  const { buildEncryption } = await import("../../lib/infra/encryption");
  const { buildRestoreTest } = await import("../../lib/infra/restore-test");
  const config = validateConfig({ "aws:region": DR, ...raw });
  class Stack extends pulumi.ComponentResource {
    constructor(name: string) {
      super("tap:index:TapStack", name, {});
    }
  }
  const parent = new Stack(`tapstack-${config.environmentSuffix}`);
  const ctx = createContext(
    config,
    {
      writer: "primary",
      standby: "replica",
      standbyRole: "replica",
      roles: { primary: "writer", replica: "replica" },
    },
    parent,
    standInBundle,
  );
  const network = buildNetwork(ctx);
  const encryption = buildEncryption(ctx);
  const drTopic = new aws.sns.Topic(
    ctx.name("sns-dr-events"),
    { name: ctx.name("sns-dr-events"), kmsMasterKeyId: encryption.drKey.arn },
    { parent, provider: ctx.providers.dr },
  );
  await waitForRPCs();
  const before = new Set(mocks.resources.map((r) => r.name));
  buildRestoreTest(ctx, {
    network,
    encryption,
    alerting: { drTopic },
    stepRunnerArn: pulumi.output(STEP_RUNNER_ARN),
    stepRunnerTimeoutSeconds: 300,
  });
  await waitForRPCs();
  const own = new Map(mocks.resources.filter((r) => !before.has(r.name)).map((r) => [r.name, r]));
  return { own, all: [...mocks.resources] };
}

const policyOf = (r: RecordedResource | undefined, key = "policy"): IamPolicyDocument =>
  JSON.parse(String(r?.inputs[key])) as IamPolicyDocument;

describe("buildRestoreTest with the default schedule", () => {
  let b: Built;
  const get = (name: string): RecordedResource => {
    const r = b.own.get(name);
    if (!r) throw new Error(`no resource ${name}; got ${[...b.own.keys()].join(", ")}`);
    return r;
  };
  const byName = (name: string): RecordedResource => {
    const r = b.all.find((x) => x.name === name);
    if (!r) throw new Error(`no resource ${name}`);
    return r;
  };
  beforeAll(async () => {
    b = await build({ environmentSuffix: "dev" });
  });

  it("declares exactly these resources, all in the DR region, every taggable one DR-Role restore-test", () => {
    expect([...b.own.keys()].sort()).toEqual(
      [
        "alarm-restore-test-failed-dev",
        "alarm-restore-test-stale-dev",
        "events-restore-freshness-dev",
        "events-restore-freshness-target-dev",
        "events-restore-test-dev",
        "events-restore-test-target-dev",
        "iam-events-restore-dev",
        "iam-events-restore-policy-dev",
        "iam-restore-check-dev",
        "iam-restore-check-policy-dev",
        "iam-sfn-restore-test-dev",
        "iam-sfn-restore-test-policy-dev",
        "lambda-restore-check-dev",
        "logs-restore-check-dev",
        "logs-sfn-restore-test-dev",
        "sfn-restore-test-dev",
        "sg-restore-check-dev",
        "sgr-restore-check-egress-1-dev",
        "sgr-restore-check-egress-2-dev",
      ].sort(),
    );
    for (const r of b.own.values()) {
      expect([r.name, r.region === DR || r.region === "global"]).toEqual([r.name, true]);
      if (r.inputs.tags !== undefined) {
        expect([r.name, r.inputs.tags]).toEqual([
          r.name,
          { Environment: "dev", Owner: "platform-team", "DR-Role": "restore-test", Name: r.name },
        ]);
      }
    }
    // Taggable types without tags would be a miss: these all carry them.
    const untagged = [...b.own.values()].filter(
      (r) => r.inputs.tags === undefined && !/RolePolicy|EventTarget/.test(r.type),
    );
    expect(untagged.map((r) => r.name)).toEqual([]);
  });

  it("a STANDARD state machine from restoreTestDefinition, logging ERROR without execution data", () => {
    const m = get("sfn-restore-test-dev");
    const checkArn = `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-restore-check-dev`;
    expect(m.inputs).toMatchObject({
      name: "sfn-restore-test-dev",
      type: "STANDARD",
      roleArn: get("iam-sfn-restore-test-dev").state.arn,
      loggingConfiguration: {
        level: "ERROR",
        includeExecutionData: false,
        logDestination: `arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/vendedlogs/states/sfn-restore-test-dev:*`,
      },
      tracingConfiguration: { enabled: false },
    });
    expect(JSON.parse(String(m.inputs.definition))).toEqual(
      restoreTestDefinition({
        stepRunnerArn: STEP_RUNNER_ARN,
        restoreCheckArn: checkArn,
        stepRunnerTimeoutSeconds: 300,
        restoreCheckTimeoutSeconds: 60,
      }),
    );
    expect(get("logs-sfn-restore-test-dev").inputs).toEqual({
      name: "/aws/vendedlogs/states/sfn-restore-test-dev",
      retentionInDays: 30,
      kmsKeyId: byName("kms-dr-dev").state.arn,
      tags: expect.any(Object),
    });
  });

  it("its role is trusted by Step Functions for this machine only and may only invoke the two functions", () => {
    const machineArn = `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-restore-test-dev`;
    expect(policyOf(get("iam-sfn-restore-test-dev"), "assumeRolePolicy")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "states.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnLike: { "aws:SourceArn": machineArn },
          },
        },
      ],
    });
    const checkArn = `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-restore-check-dev`;
    expect(policyOf(get("iam-sfn-restore-test-policy-dev"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "InvokeTaskFunctions",
          Effect: "Allow",
          Action: ["lambda:InvokeFunction"],
          Resource: [STEP_RUNNER_ARN, `${STEP_RUNNER_ARN}:*`, checkArn, `${checkArn}:*`],
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
    expect(get("iam-sfn-restore-test-policy-dev").inputs.role).toBe(get("iam-sfn-restore-test-dev").id);
  });

  it("restore-check runs in the monitor subnets with its own group, the contract's environment, 60 s, 256 MB", () => {
    const fn = get("lambda-restore-check-dev");
    const monitorSubnets = ["subnet-monitor-dr-1-dev", "subnet-monitor-dr-2-dev"].map((n) => byName(n).id);
    expect(fn.inputs).toMatchObject({
      name: "lambda-restore-check-dev",
      runtime: "nodejs22.x",
      handler: "index.handler",
      timeout: 60,
      memorySize: 256,
      role: get("iam-restore-check-dev").state.arn,
      vpcConfig: { subnetIds: monitorSubnets, securityGroupIds: [get("sg-restore-check-dev").id] },
      loggingConfig: { logFormat: "Text", logGroup: "/aws/lambda/lambda-restore-check-dev" },
    });
    expect(fn.inputs.reservedConcurrentExecutions).toBeUndefined();
    expect(fn.inputs.environment).toEqual({
      variables: {
        DB_PORT: "5432",
        DB_NAME: "app",
        MONITOR_DB_USER: "dr_monitor",
        CONTROL_REGION: DR,
        RESTORE_TEST_MIN_ROWS: "1",
        ENVIRONMENT_SUFFIX: "dev",
        NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
      },
    });
  });

  it("its group lets it out on 5432 to the DR VPC's database subnets only; the access group already admits the monitor subnets", () => {
    const sg = get("sg-restore-check-dev");
    expect(sg.inputs).toMatchObject({ vpcId: byName("vpc-dr-dev").id, revokeRulesOnDelete: true });
    expect(sg.inputs.ingress).toBeUndefined();
    expect(sg.inputs.egress).toBeUndefined();
    const egress = [1, 2].map((i) => get(`sgr-restore-check-egress-${i}-dev`).inputs);
    expect(egress.map(({ tags: _tags, ...rest }) => rest)).toEqual([
      {
        securityGroupId: sg.id,
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: "10.30.0.0/18",
        description: "PostgreSQL of the restore-test instance in 10.30.0.0/18",
      },
      {
        securityGroupId: sg.id,
        ipProtocol: "tcp",
        fromPort: 5432,
        toPort: 5432,
        cidrIpv4: "10.30.64.0/18",
        description: "PostgreSQL of the restore-test instance in 10.30.64.0/18",
      },
    ]);
    // The subnets of dbsubnets-dr, where the test instance is placed, are these two.
    expect(
      ["subnet-private-dr-1-dev", "subnet-private-dr-2-dev"].map((n) => byName(n).inputs.cidrBlock),
    ).toEqual(["10.30.0.0/18", "10.30.64.0/18"]);
    // The access group of the restored instance admits both monitor subnets: no new ingress rule.
    const accessSg = byName("sg-db-access-restored-dev").id;
    const accessRules = b.all
      .filter((r) => r.type === "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.securityGroupId === accessSg)
      .map((r) => r.inputs.cidrIpv4);
    expect(accessRules).toEqual(
      ["subnet-monitor-dr-1-dev", "subnet-monitor-dr-2-dev"].map((n) => byName(n).inputs.cidrBlock),
    );
    expect([...b.own.values()].some((r) => r.type.includes("IngressRule"))).toBe(false);
  });

  it("restore-check's role: rds-db:connect as the monitor user on any DR instance, ENIs, its own logs", () => {
    expect(policyOf(get("iam-restore-check-policy-dev"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "IamDatabaseLoginToTheRestoredCopy",
          Effect: "Allow",
          Action: ["rds-db:connect"],
          Resource: [`arn:aws:rds-db:${DR}:${ACCOUNT}:dbuser:*/dr_monitor`],
        },
        {
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
        },
        {
          Sid: "OwnLogGroup",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [`arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/lambda/lambda-restore-check-dev:*`],
        },
      ],
    });
  });

  it("two schedules start the machine with the contract's inputs, through a role that may only StartExecution on it", () => {
    const machineArn = `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-restore-test-dev`;
    expect(get("events-restore-test-dev").inputs).toMatchObject({
      name: "events-restore-test-dev",
      scheduleExpression: "cron(0 3 ? * SUN *)",
    });
    expect(get("events-restore-freshness-dev").inputs).toMatchObject({
      name: "events-restore-freshness-dev",
      scheduleExpression: "rate(1 day)",
    });
    const role = get("iam-events-restore-dev");
    expect(get("events-restore-test-target-dev").inputs).toEqual({
      rule: "events-restore-test-dev",
      arn: machineArn,
      roleArn: role.state.arn,
      input: '{"mode":"test"}',
    });
    expect(get("events-restore-freshness-target-dev").inputs).toEqual({
      rule: "events-restore-freshness-dev",
      arn: machineArn,
      roleArn: role.state.arn,
      input: '{"mode":"freshness"}',
    });
    expect(policyOf(role, "assumeRolePolicy")).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: {
            StringEquals: { "aws:SourceAccount": ACCOUNT },
            ArnEquals: {
              "aws:SourceArn": [
                `arn:aws:events:${DR}:${ACCOUNT}:rule/events-restore-test-dev`,
                `arn:aws:events:${DR}:${ACCOUNT}:rule/events-restore-freshness-dev`,
              ],
            },
          },
        },
      ],
    });
    expect(policyOf(get("iam-events-restore-policy-dev"))).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "StartRestoreTestExecutions",
          Effect: "Allow",
          Action: ["states:StartExecution"],
          Resource: [machineArn],
        },
      ],
    });
  });

  it("alarms: failed, timed-out or aborted executions; RestoreTestAgeHours above 192 or silent for a day", () => {
    const topic = byName("sns-dr-events-dev").state.arn;
    const machineArn = `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-restore-test-dev`;
    const states = (id: string, metricName: string) => ({
      id,
      returnData: false,
      metric: {
        namespace: "AWS/States",
        metricName,
        dimensions: { StateMachineArn: machineArn },
        stat: "Sum",
        period: 300,
      },
    });
    const failed = get("alarm-restore-test-failed-dev").inputs;
    expect(failed).toMatchObject({
      name: "alarm-restore-test-failed-dev",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "notBreaching",
      alarmActions: [topic],
      okActions: [topic],
    });
    expect(failed.metricQueries).toEqual([
      states("failed", "ExecutionsFailed"),
      states("timedout", "ExecutionsTimedOut"),
      states("aborted", "ExecutionsAborted"),
      {
        id: "unsuccessful",
        expression: "FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0)",
        label: "restore-test executions failed, timed out or aborted",
        returnData: true,
      },
    ]);
    expect(failed.metricName).toBeUndefined();
    expect(get("alarm-restore-test-stale-dev").inputs).toMatchObject({
      name: "alarm-restore-test-stale-dev",
      namespace: "TapStack",
      metricName: "RestoreTestAgeHours",
      dimensions: { Environment: "dev" },
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 192,
      period: 86400,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: "breaching",
      alarmActions: [topic],
      okActions: [topic],
    });
    // CloudWatch's cap on an alarm's range (Period x EvaluationPeriods <= 7 days).
    const stale = get("alarm-restore-test-stale-dev").inputs;
    expect(Number(stale.period) * Number(stale.evaluationPeriods)).toBeLessThanOrEqual(604800);
  });
});

describe("buildRestoreTest with tap:restoreTestSchedule off", () => {
  let b: Built;
  beforeAll(async () => {
    b = await build({ environmentSuffix: "qa", restoreTestSchedule: "off", restoreTestMinRows: "100" });
  });

  it("keeps the state machine, restore-check and the failed alarm; no schedules, no events role, no stale alarm", () => {
    expect([...b.own.keys()].sort()).toEqual(
      [
        "alarm-restore-test-failed-qa",
        "iam-restore-check-qa",
        "iam-restore-check-policy-qa",
        "iam-sfn-restore-test-qa",
        "iam-sfn-restore-test-policy-qa",
        "lambda-restore-check-qa",
        "logs-restore-check-qa",
        "logs-sfn-restore-test-qa",
        "sfn-restore-test-qa",
        "sg-restore-check-qa",
        "sgr-restore-check-egress-1-qa",
        "sgr-restore-check-egress-2-qa",
      ].sort(),
    );
    const env = b.own.get("lambda-restore-check-qa")?.inputs.environment as {
      variables: Record<string, string>;
    };
    expect(env.variables.RESTORE_TEST_MIN_ROWS).toBe("100");
  });
});

describe("pure parts", () => {
  const REGIONS = {
    primaryRegion: "ap-southeast-2",
    replicaRegion: "ap-southeast-2",
    drRegion: "ap-southeast-1",
  };
  it("restoreTestSchedules: the weekly test and the daily freshness run, none when off", async () => {
    const { restoreTestSchedules } = await import("../../lib/infra/restore-test");
    expect(
      restoreTestSchedules(
        { ...REGIONS, environmentSuffix: "dev", restoreTestSchedule: "rate(7 days)" },
        "primary",
      ),
    ).toEqual([
      {
        id: "test",
        ruleName: "events-restore-test-dev",
        targetName: "events-restore-test-target-dev",
        scheduleExpression: "rate(7 days)",
        input: '{"mode":"test"}',
        description: "TapStack dev: restore the replicated backups into a test instance, check and delete it",
      },
      {
        id: "freshness",
        ruleName: "events-restore-freshness-dev",
        targetName: "events-restore-freshness-target-dev",
        scheduleExpression: "rate(1 day)",
        input: '{"mode":"freshness"}',
        description: "TapStack dev: emit the age of the newest successful restore test",
      },
    ]);
    expect(
      restoreTestSchedules({ ...REGIONS, environmentSuffix: "dev", restoreTestSchedule: null }, "primary"),
    ).toEqual([]);
  });

  it.each([
    ["a restored writer", "restored", REGIONS],
    ["a promoted cross-region replica", "replica", { ...REGIONS, replicaRegion: "ap-southeast-1" }],
  ] as const)(
    "restoreTestSchedules: none while the writer is %s in the DR region (its backups go to the primary region)",
    async (_what, writer, regions) => {
      const { restoreTestSchedules } = await import("../../lib/infra/restore-test");
      expect(
        restoreTestSchedules(
          { ...regions, environmentSuffix: "dev", restoreTestSchedule: "rate(7 days)" },
          writer,
        ),
      ).toEqual([]);
      // A promoted same-region replica's backups still come here: the tests go on.
      expect(
        restoreTestSchedules(
          { ...REGIONS, environmentSuffix: "dev", restoreTestSchedule: "rate(7 days)" },
          "replica",
        ),
      ).toHaveLength(2);
    },
  );

  it("every rule name fits EventBridge's 64 characters with the longest suffix", async () => {
    const { restoreTestSchedules } = await import("../../lib/infra/restore-test");
    const { maxEnvironmentSuffixLength } = await import("../../lib/naming");
    const longest = "a".repeat(maxEnvironmentSuffixLength());
    for (const s of restoreTestSchedules(
      { ...REGIONS, environmentSuffix: longest, restoreTestSchedule: "rate(1 day)" },
      "primary",
    )) {
      expect(s.ruleName.length).toBeLessThanOrEqual(64);
    }
  });

  it("the start-by-hand command", async () => {
    const { restoreTestStartCommand } = await import("../../lib/infra/restore-test");
    expect(
      restoreTestStartCommand(`arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-restore-test-dev`, DR),
    ).toBe(
      `aws stepfunctions start-execution --region ${DR} --state-machine-arn ` +
        `arn:aws:states:${DR}:${ACCOUNT}:stateMachine:sfn-restore-test-dev --input '{"mode":"test"}'`,
    );
  });

  it("the step runner's restore-test variables", async () => {
    const { restoreTestStepRunnerEnvironment } = await import("../../lib/infra/functions");
    expect(
      restoreTestStepRunnerEnvironment({
        restoreTestInstanceId: "rds-restore-test-dev",
        accessSecurityGroupId: "sg-0access",
        restoreTimeoutMinutes: 180,
      }),
    ).toEqual({
      RESTORE_TEST_INSTANCE_ID: "rds-restore-test-dev",
      RESTORE_TEST_SECURITY_GROUP_IDS: "sg-0access",
      RESTORE_TIMEOUT_MINUTES: "180",
    });
  });

  describe("the step runner's restore-test statements", () => {
    const targets = {
      primaryDbArn: `arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:rds-primary-dev`,
      replicaDbArn: `arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:rds-replica-dev`,
      primarySecurityGroupArn: `arn:aws:ec2:ap-southeast-2:${ACCOUNT}:security-group/sg-0abc`,
      hostedZoneArn: "arn:aws:route53:::hostedzone/Z0ABC",
      writerRecordName: "writer.dev.internal",
      readerRecordName: "reader.dev.internal",
      alertTopicArn: `arn:aws:sns:${DR}:${ACCOUNT}:sns-dr-events-dev`,
      reportBucketArn: "arn:aws:s3:::s3-backups-dr-dev-abc",
      drKeyArn: `arn:aws:kms:${DR}:${ACCOUNT}:key/k-dr`,
      drRegion: DR,
      logGroupArn: `arn:aws:logs:${DR}:${ACCOUNT}:log-group:/aws/lambda/lambda-step-runner-dev`,
      monitorFunctionArn: `arn:aws:lambda:${DR}:${ACCOUNT}:function:lambda-health-monitor-dev`,
      restoredDbArn: `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restored-dev`,
      writerBackupsFilterArn: `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-primary-dev`,
      replicatedBackupArn: `arn:aws:rds:${DR}:${ACCOUNT}:auto-backup:ab-0123456789abcdefghijklmnop` as
        string | undefined,
      restoreSubnetGroupArn: `arn:aws:rds:${DR}:${ACCOUNT}:subgrp:dbsubnets-dr-dev`,
      restoreParameterGroupArn: `arn:aws:rds:${DR}:${ACCOUNT}:pg:pg-postgres14-dr-dev`,
      restoreOptionGroupArn: `arn:aws:rds:${DR}:${ACCOUNT}:og:default:postgres-14`,
      restoreTestDbArn: `arn:aws:rds:${DR}:${ACCOUNT}:db:rds-restore-test-dev` as string | undefined,
    };
    const testDb = targets.restoreTestDbArn;
    const reports = [
      {
        Sid: "ReadAndWriteRestoreTestReports",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject"],
        Resource: ["arn:aws:s3:::s3-backups-dr-dev-abc/restore-tests/*"],
      },
      {
        Sid: "ListRestoreTestReports",
        Effect: "Allow",
        Action: ["s3:ListBucket"],
        Resource: ["arn:aws:s3:::s3-backups-dr-dev-abc"],
        Condition: { StringLike: { "s3:prefix": ["restore-tests/*"] } },
      },
    ];
    const sids = (doc: IamPolicyDocument) => doc.Statement.map((s) => s.Sid);

    it("restore into the test instance only, from the replicated backups with the DR groups; tag, read, delete it; reports", async () => {
      const { stepRunnerPolicyDocument } = await import("../../lib/infra/iam");
      const doc = stepRunnerPolicyDocument(targets);
      const own = doc.Statement.slice(sids(doc).indexOf("RestoreTheWriterIntoTheRestoreTestInstance"), -1);
      expect(own).toEqual([
        {
          Sid: "RestoreTheWriterIntoTheRestoreTestInstance",
          Effect: "Allow",
          Action: ["rds:RestoreDBInstanceToPointInTime"],
          Resource: [
            testDb,
            targets.replicatedBackupArn,
            targets.restoreSubnetGroupArn,
            targets.restoreParameterGroupArn,
            targets.restoreOptionGroupArn,
          ],
        },
        {
          Sid: "TagTheRestoreTestInstanceAtCreation",
          Effect: "Allow",
          Action: ["rds:AddTagsToResource"],
          Resource: [testDb],
        },
        {
          Sid: "DescribeTheRestoreTestInstance",
          Effect: "Allow",
          Action: ["rds:DescribeDBInstances"],
          Resource: [testDb],
        },
        {
          Sid: "DeleteTheRestoreTestInstance",
          Effect: "Allow",
          Action: ["rds:DeleteDBInstance"],
          Resource: [testDb],
        },
        ...reports,
      ]);
      // The DR key's grant for RDS comes from the regional restore's statement, and the last
      // statement is still the function's own logs.
      expect(sids(doc)).toContain("LetRdsUseTheDrKeyForTheRestore");
      expect(sids(doc).at(-1)).toBe("OwnLogGroup");
      // No other statement names the test instance.
      const naming = doc.Statement.filter((s) => s.Resource.includes(String(testDb))).map((s) => s.Sid);
      expect(naming).toEqual([
        "RestoreTheWriterIntoTheRestoreTestInstance",
        "TagTheRestoreTestInstanceAtCreation",
        "DescribeTheRestoreTestInstance",
        "DeleteTheRestoreTestInstance",
      ]);
    });

    it("without replicated backups in the DR region only the reports remain; without a test instance nothing", async () => {
      const { stepRunnerPolicyDocument } = await import("../../lib/infra/iam");
      const noCopy = stepRunnerPolicyDocument({ ...targets, replicatedBackupArn: undefined });
      expect(noCopy.Statement.filter((s) => /RestoreTest/.test(s.Sid))).toEqual(reports);
      const none = stepRunnerPolicyDocument({ ...targets, restoreTestDbArn: undefined });
      expect(none.Statement.filter((s) => /RestoreTest/.test(s.Sid))).toEqual([]);
    });
  });
});
