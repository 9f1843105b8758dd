/**
 * The weekly restore test (RESTORE_TEST_CONTRACT.md), on the Pulumi side: the
 * `sfn-restore-test-<suffix>` Standard state machine in the DR region (definition from
 * `lib/workflow/restore-test-definition.ts`; its RDS and S3 steps on the step runner, its check
 * query on `restore-check`), its role and log group, the `restore-check` function in the DR VPC's
 * monitor subnets with its own security group, two EventBridge schedules (the test, weekly by
 * default, and the daily freshness run) with the role they start executions with, and two alarms.
 *
 * - The state machine is declared whatever `tap:restoreTestSchedule` says: with `off` only the
 *   schedules and the stale alarm go (nothing would feed RestoreTestAgeHours, so it would sit in
 *   ALARM), and an operator can still start a test by hand. The same holds while the writer lives
 *   in the DR region, whose backups are copied to the primary region (`restoreTestSchedules`).
 * - **Logs** as the failover machine's (`workflow.ts`): ERROR, no execution data, KMS-encrypted
 *   `/aws/vendedlogs/states/` group; the execution history keeps every step for 90 days.
 * - `restore-check` runs in the monitor subnets because the restored instance's access group
 *   (`network.restoredSecurityGroups.access`, the only group a test instance gets) admits exactly
 *   those CIDRs on 5432; no extra ingress rule is needed. Its own group lets it out on 5432 to the
 *   DR VPC's database subnets only (where `dbsubnets-dr` places the test instance).
 * - The failed alarm reads AWS/States, not RestoreTestSucceeded: a run whose catch path itself
 *   broke (a step runner error, a denied report write) emits no metric but still fails the
 *   execution, and an aborted run skipped its cleanup, leaving an instance that costs money.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TapConfig } from "../config";
import { METRIC_DIMENSION, RESTORE_TEST_METRICS } from "../function-env";
import { restoreTestDefinition } from "../workflow/restore-test-definition";
import { metricAlarm } from "./alarms";
import { METRICS_NAMESPACE, type AlertingResult } from "./alerting";
import { backupCopyRegion } from "./backups";
import type { Place } from "./topology";
import type { BuildContext } from "./context";
import type { EncryptionResult } from "./encryption";
import { FUNCTION_SETTINGS, LAMBDA_CA_BUNDLE } from "./functions";
import { stateMachineArn, stateMachineTrustPolicy } from "./iam";
import { lambdaFunction, ownedLogGroup, roleAndLogs, type FunctionResources } from "./lambda-kit";
import { POSTGRES_PORT, monitorSubnetIds, type NetworkResult } from "./network";
import { RESTORE_TEST_STALE_HOURS } from "./restore-test-metrics";
import {
  eventRuleArn,
  restoreCheckPolicyDocument,
  restoreTestEventsPolicyDocument,
  restoreTestEventsTrustPolicy,
  restoreTestMachinePolicyDocument,
} from "./restore-test-policy";
import { stateMachineLogGroupName } from "./workflow";

/** Fixed settings of the restore test. */
export const RESTORE_TEST_SETTINGS = {
  type: "STANDARD",
  logLevel: "ERROR",
  includeExecutionData: false,
  tracing: false,
  /** `FUNCTION_SETTINGS.restoreCheckTimeoutSeconds` (the failover workflow invokes it too). */
  restoreCheckTimeoutSeconds: FUNCTION_SETTINGS.restoreCheckTimeoutSeconds,
  restoreCheckMemoryMb: 256,
  /** The freshness run: computes RestoreTestAgeHours once a day. */
  freshnessSchedule: "rate(1 day)",
  /** `RESTORE_TEST_STALE_HOURS` (8 days; why hours: `restore-test-metrics.ts`). */
  staleHours: RESTORE_TEST_STALE_HOURS,
  /** One freshness datapoint a day. */
  staleAlarmPeriodSeconds: 86_400,
  /** Five minutes of AWS/States data per evaluation: the page comes minutes after the execution ends. */
  failedAlarmPeriodSeconds: 300,
} as const;

/** The execution inputs of the two schedules (and of a test started by hand). */
export const RESTORE_TEST_INPUTS = {
  test: { mode: "test" },
  freshness: { mode: "freshness" },
} as const;

/** Physical name of the state machine: `sfn-restore-test-<suffix>`. */
export function restoreTestMachineName(environmentSuffix: string): string {
  return `sfn-restore-test-${environmentSuffix}`;
}

/** The command that starts a restore test by hand (what the weekly schedule does). */
export function restoreTestStartCommand(machineArn: string, region: string): string {
  return (
    `aws stepfunctions start-execution --region ${region} --state-machine-arn ${machineArn} ` +
    `--input '${JSON.stringify(RESTORE_TEST_INPUTS.test)}'`
  );
}

/** One EventBridge schedule of the restore test. */
export interface RestoreTestSchedule {
  /** `test` (the restore itself) or `freshness` (the daily age metric). */
  readonly id: keyof typeof RESTORE_TEST_INPUTS;
  /** Logical and physical rule name (at most 64 characters with the longest suffix). */
  readonly ruleName: string;
  /** Logical name of the rule's target (the state machine). */
  readonly targetName: string;
  readonly scheduleExpression: string;
  /** The execution input, as the target passes it. */
  readonly input: string;
  readonly description: string;
}

/**
 * The schedules `config` asks for: none when `tap:restoreTestSchedule` is `off`, and none while the
 * writer lives in the DR region (a promoted cross-region replica, a restored writer): its backups
 * are then copied to the primary region (`backupCopyRegion`), and a test here would find nothing to
 * restore and fail every week.
 */
export function restoreTestSchedules(
  config: Pick<
    TapConfig,
    "environmentSuffix" | "restoreTestSchedule" | "primaryRegion" | "replicaRegion" | "drRegion"
  >,
  writer: Place,
): RestoreTestSchedule[] {
  const suffix = config.environmentSuffix;
  if (config.restoreTestSchedule === null) return [];
  if (backupCopyRegion(writer, config) !== config.drRegion) return [];
  return [
    {
      id: "test",
      ruleName: `events-restore-test-${suffix}`,
      targetName: `events-restore-test-target-${suffix}`,
      scheduleExpression: config.restoreTestSchedule,
      input: JSON.stringify(RESTORE_TEST_INPUTS.test),
      description: `TapStack ${suffix}: restore the replicated backups into a test instance, check and delete it`,
    },
    {
      id: "freshness",
      ruleName: `events-restore-freshness-${suffix}`,
      targetName: `events-restore-freshness-target-${suffix}`,
      scheduleExpression: RESTORE_TEST_SETTINGS.freshnessSchedule,
      input: JSON.stringify(RESTORE_TEST_INPUTS.freshness),
      description: `TapStack ${suffix}: emit the age of the newest successful restore test`,
    },
  ];
}

/** Resolved values the restore-check function's environment is built from. */
export interface RestoreCheckEnvInputs {
  readonly dbName: string;
  readonly drRegion: string;
  readonly minRows: number;
  readonly environmentSuffix: string;
}

/**
 * The restore-check function's variables, names exactly as in RESTORE_TEST_CONTRACT.md (plain
 * strings here: `lib/function-env.ts` lists them, from the runtime branch). CONTROL_REGION is the
 * DR region, where the IAM token is signed for the test instance.
 */
export function restoreCheckEnvironment(v: RestoreCheckEnvInputs): Record<string, pulumi.Input<string>> {
  return {
    DB_PORT: String(POSTGRES_PORT),
    DB_NAME: v.dbName,
    MONITOR_DB_USER: FUNCTION_SETTINGS.monitorDbUser,
    CONTROL_REGION: v.drRegion,
    RESTORE_TEST_MIN_ROWS: String(v.minRows),
    ENVIRONMENT_SUFFIX: v.environmentSuffix,
    NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
  };
}

/** What the restore-test builder creates. */
export interface RestoreTestResult {
  readonly stateMachine: aws.sfn.StateMachine;
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Physical name of the state machine (known before deployment). */
  readonly name: string;
  readonly restoreCheck: FunctionResources;
  /** `sg-restore-check-<suffix>`: egress 5432 to the DR VPC's database subnets only. */
  readonly restoreCheckSecurityGroup: aws.ec2.SecurityGroup;
  /** The schedules' role; absent with the schedules. */
  readonly eventsRole: aws.iam.Role | undefined;
  /** By id; empty when `tap:restoreTestSchedule` is `off`. */
  readonly schedules: readonly { readonly id: string; readonly rule: aws.cloudwatch.EventRule }[];
  /** Executions that failed, timed out or were aborted. */
  readonly failedAlarm: aws.cloudwatch.MetricAlarm;
  /** RestoreTestAgeHours > 192 or no freshness datapoint for a day; absent without schedules. */
  readonly staleAlarm: aws.cloudwatch.MetricAlarm | undefined;
}

/** What the restore-test builder needs from the other builders. */
export interface RestoreTestDeps {
  readonly network: Pick<NetworkResult, "drVpc" | "restoredSecurityGroups">;
  readonly encryption: Pick<EncryptionResult, "drKey">;
  readonly alerting: Pick<AlertingResult, "drTopic">;
  /** The step runner's unqualified ARN: the test's RDS and S3 steps. */
  readonly stepRunnerArn: pulumi.Input<string>;
  readonly stepRunnerTimeoutSeconds: number;
}

/** Declares the restore test in the DR region (see the module comment). */
export function buildRestoreTest(ctx: BuildContext, deps: RestoreTestDeps): RestoreTestResult {
  const { config, providers, accountId } = ctx;
  const { network, encryption, alerting } = deps;
  const suffix = config.environmentSuffix;
  const s = RESTORE_TEST_SETTINGS;
  const dr = { parent: ctx.parent, provider: providers.dr };
  const drRole = "restore-test";
  const name = restoreTestMachineName(suffix);
  const machineArn = accountId.apply((account) => stateMachineArn(config.drRegion, account, name));

  // ---- restore-check (DR VPC, monitor subnets) ------------------------------------------------
  const sgName = ctx.name("sg-restore-check");
  const restoreCheckSecurityGroup = new aws.ec2.SecurityGroup(
    sgName,
    {
      vpcId: network.drVpc.vpc.id,
      description: `Restore check ${suffix}: egress 5432 to the DR VPC database subnets only`,
      revokeRulesOnDelete: true,
      tags: ctx.tags(drRole, sgName),
    },
    dr,
  );
  network.drVpc.subnetCidrs.forEach((cidr, i) => {
    const ruleName = ctx.name(`sgr-restore-check-egress-${i + 1}`);
    new aws.vpc.SecurityGroupEgressRule(
      ruleName,
      {
        securityGroupId: restoreCheckSecurityGroup.id,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        cidrIpv4: cidr,
        description: `PostgreSQL of the restore-test instance in ${cidr}`,
        tags: ctx.tags(drRole, ruleName),
      },
      dr,
    );
  });
  const checkParts = roleAndLogs(
    ctx,
    "restore-check",
    drRole,
    config.drRegion,
    encryption.drKey,
    providers.dr,
    (logGroupArn) =>
      pulumi.all([accountId, logGroupArn]).apply(([account, lgArn]) =>
        JSON.stringify(
          restoreCheckPolicyDocument({
            drRegion: config.drRegion,
            accountId: account,
            monitorDbUser: FUNCTION_SETTINGS.monitorDbUser,
            logGroupArn: lgArn,
          }),
        ),
      ),
  );
  // Invoked synchronously by the state machine only: no trigger, no async settings, no reservation.
  const checkFn = lambdaFunction(
    ctx,
    checkParts,
    "restore-check",
    {
      entry: "restore-check",
      description: "the restore test's check query on the restored copy (heartbeat rows)",
      drRole,
      timeoutSeconds: s.restoreCheckTimeoutSeconds,
      memoryMb: s.restoreCheckMemoryMb,
      vpcConfig: {
        subnetIds: monitorSubnetIds(network),
        securityGroupIds: [restoreCheckSecurityGroup.id],
      },
      environment: restoreCheckEnvironment({
        dbName: config.databaseName,
        drRegion: config.drRegion,
        minRows: config.restoreTestMinRows,
        environmentSuffix: suffix,
      }),
    },
    dr,
  );

  // ---- the state machine -----------------------------------------------------------------------
  const logGroup = ownedLogGroup(
    ctx,
    ctx.name("logs-sfn-restore-test"),
    stateMachineLogGroupName(name),
    drRole,
    encryption.drKey,
    dr,
  );
  const roleLogical = ctx.name("iam-sfn-restore-test");
  const role = new aws.iam.Role(
    roleLogical,
    {
      description: `TapStack ${suffix} restore-test state machine (${config.drRegion})`,
      assumeRolePolicy: pulumi
        .all([accountId, machineArn])
        .apply(([account, arn]) => JSON.stringify(stateMachineTrustPolicy(account, arn))),
      forceDetachPolicies: true,
      tags: ctx.tags(drRole, roleLogical),
    },
    dr,
  );
  const policy = new aws.iam.RolePolicy(
    ctx.name("iam-sfn-restore-test-policy"),
    {
      role: role.id,
      policy: pulumi
        .all([deps.stepRunnerArn, checkFn.arn])
        .apply(([stepRunnerArn, restoreCheckArn]) =>
          JSON.stringify(restoreTestMachinePolicyDocument({ stepRunnerArn, restoreCheckArn })),
        ),
    },
    dr,
  );
  const machineLogical = ctx.name("sfn-restore-test");
  const stateMachine = new aws.sfn.StateMachine(
    machineLogical,
    {
      name,
      type: s.type,
      roleArn: role.arn,
      definition: pulumi.all([deps.stepRunnerArn, checkFn.arn]).apply(([stepRunnerArn, restoreCheckArn]) =>
        JSON.stringify(
          restoreTestDefinition({
            stepRunnerArn,
            restoreCheckArn,
            stepRunnerTimeoutSeconds: deps.stepRunnerTimeoutSeconds,
            restoreCheckTimeoutSeconds: s.restoreCheckTimeoutSeconds,
          }),
        ),
      ),
      loggingConfiguration: {
        level: s.logLevel,
        includeExecutionData: s.includeExecutionData,
        logDestination: pulumi.interpolate`${logGroup.arn}:*`,
      },
      tracingConfiguration: { enabled: s.tracing },
      tags: ctx.tags(drRole, machineLogical),
    },
    // Step Functions checks the role's log-delivery permissions when the machine is created.
    { ...dr, dependsOn: [policy, logGroup] },
  );

  // ---- the schedules ---------------------------------------------------------------------------
  const wanted = restoreTestSchedules(config, ctx.topology.writer);
  let eventsRole: aws.iam.Role | undefined;
  const schedules: { id: string; rule: aws.cloudwatch.EventRule }[] = [];
  if (wanted.length > 0) {
    // Role names are auto-named (logical name + 8): this one fits the longest suffix.
    const eventsRoleLogical = ctx.name("iam-events-restore");
    eventsRole = new aws.iam.Role(
      eventsRoleLogical,
      {
        description: `TapStack ${suffix}: EventBridge starts the restore-test state machine on its schedules`,
        assumeRolePolicy: accountId.apply((account) =>
          JSON.stringify(
            restoreTestEventsTrustPolicy(
              account,
              wanted.map((w) => eventRuleArn(config.drRegion, account, w.ruleName)),
            ),
          ),
        ),
        forceDetachPolicies: true,
        tags: ctx.tags(drRole, eventsRoleLogical),
      },
      dr,
    );
    const eventsPolicy = new aws.iam.RolePolicy(
      ctx.name("iam-events-restore-policy"),
      {
        role: eventsRole.id,
        policy: machineArn.apply((arn) => JSON.stringify(restoreTestEventsPolicyDocument(arn))),
      },
      dr,
    );
    for (const w of wanted) {
      const rule = new aws.cloudwatch.EventRule(
        w.ruleName,
        {
          name: w.ruleName,
          description: w.description,
          scheduleExpression: w.scheduleExpression,
          tags: ctx.tags(drRole, w.ruleName),
        },
        dr,
      );
      new aws.cloudwatch.EventTarget(
        w.targetName,
        { rule: rule.name, arn: stateMachine.arn, roleArn: eventsRole.arn, input: w.input },
        // EventBridge checks the role's permission when the target first fires, not when it is set.
        { ...dr, dependsOn: [eventsPolicy] },
      );
      schedules.push({ id: w.id, rule });
    }
  }

  // ---- alarms ----------------------------------------------------------------------------------
  const failedName = ctx.name("alarm-restore-test-failed");
  const states = (id: string, metricName: string) => ({
    id,
    returnData: false,
    metric: {
      namespace: "AWS/States",
      metricName,
      dimensions: { StateMachineArn: stateMachine.arn },
      stat: "Sum",
      period: s.failedAlarmPeriodSeconds,
    },
  });
  // Same conventions as `metricAlarm` (actions on ALARM and OK, name, tags), with metric math.
  const failedAlarm = new aws.cloudwatch.MetricAlarm(
    failedName,
    {
      name: failedName,
      alarmDescription: `TapStack ${suffix}: a restore test failed, timed out or was aborted (an aborted test skipped deleting rds-restore-test-${suffix}); read restore-tests/ in the DR bucket and the execution history`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // FILL: no execution in the window is 0, so the alarm reads OK, not INSUFFICIENT_DATA.
      metricQueries: [
        states("failed", "ExecutionsFailed"),
        states("timedout", "ExecutionsTimedOut"),
        states("aborted", "ExecutionsAborted"),
        {
          id: "unsuccessful",
          expression: "FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0)",
          label: "restore-test executions failed, timed out or aborted",
          returnData: true,
        },
      ],
      treatMissingData: "notBreaching",
      alarmActions: [alerting.drTopic.arn],
      okActions: [alerting.drTopic.arn],
      tags: ctx.tags(drRole, failedName),
    },
    dr,
  );
  const staleAlarm =
    wanted.length === 0
      ? undefined
      : metricAlarm(
          ctx,
          {
            name: ctx.name("alarm-restore-test-stale"),
            description: `no successful restore test in ${s.staleHours / 24} days (or the daily freshness run did not report)`,
            namespace: METRICS_NAMESPACE,
            metricName: RESTORE_TEST_METRICS.ageHours,
            dimensions: { [METRIC_DIMENSION]: suffix },
            statistic: "Maximum",
            comparisonOperator: "GreaterThanThreshold",
            threshold: s.staleHours,
            periodSeconds: s.staleAlarmPeriodSeconds,
            evaluationPeriods: 1,
            // A day without a freshness datapoint: the schedule or the step runner is broken.
            treatMissingData: "breaching",
            topicArn: alerting.drTopic.arn,
            drRole,
          },
          dr,
        );

  return {
    stateMachine,
    role,
    policy,
    logGroup,
    name,
    restoreCheck: { ...checkParts, fn: checkFn },
    restoreCheckSecurityGroup,
    eventsRole,
    schedules,
    failedAlarm,
    staleAlarm,
  };
}
