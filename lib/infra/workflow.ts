/**
 * The failover workflow on AWS Step Functions: the `sfn-failover-<suffix>` Standard state machine
 * in the DR region (definition from `lib/workflow/definition.ts`, every task the step runner), its
 * role, its KMS-encrypted log group, and the alarms on its executions.
 *
 * - **Standard**, not Express: the approval waits up to 48 h for its task token, a promotion takes
 *   minutes, and StartExecution is idempotent per name only on Standard machines (reference §3).
 * - **Logs** at level ERROR without execution data: the data holds the approval's task token (with
 *   it anyone who can read the logs could approve a failover) and the run state; failed tasks and
 *   caught errors are what an operator looks for, and the execution history keeps every step for 90
 *   days (reference §3).
 * - **Tracing off**: X-Ray would add `xray:*` grants on `"*"` to the role, the step runner is not
 *   traced, and the execution history already times each step.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { failoverDefinition } from "../workflow/definition";
import { metricAlarm } from "./alarms";
import type { AlertingResult } from "./alerting";
import type { BuildContext } from "./context";
import type { EncryptionResult } from "./encryption";
import { stateMachineArn, stateMachinePolicyDocument, stateMachineTrustPolicy } from "./iam";
import { ownedLogGroup } from "./lambda-kit";

/** Fixed settings of the workflow. */
export const WORKFLOW_SETTINGS = {
  type: "STANDARD",
  /** Failed tasks, caught errors and failed executions (see the module comment). */
  logLevel: "ERROR",
  includeExecutionData: false,
  tracing: false,
  /** One minute, one failed (timed-out, throttled) execution: each is a failover that did not happen. */
  alarmPeriodSeconds: 60,
} as const;

/** Physical name of the state machine: `sfn-failover-<suffix>`. */
export function stateMachineName(environmentSuffix: string): string {
  return `sfn-failover-${environmentSuffix}`;
}

/**
 * The log group of the state machine. Step Functions delivers through CloudWatch Logs' vended-log
 * delivery, which writes the log groups' resource policy; names under `/aws/vendedlogs/` keep that
 * policy within its size limit
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
 */
export function stateMachineLogGroupName(machineName: string): string {
  return `/aws/vendedlogs/states/${machineName}`;
}

/** The AWS/States metrics the workflow alarms on (reference §3), by alarm id. */
export const WORKFLOW_ALARMS = [
  { id: "failed", metricName: "ExecutionsFailed", description: "a failover execution failed" },
  { id: "timed-out", metricName: "ExecutionsTimedOut", description: "a failover execution timed out" },
  {
    id: "throttled",
    metricName: "ExecutionThrottled",
    description: "Step Functions throttled the failover state machine",
  },
] as const;

/** What the workflow builder creates. */
export interface WorkflowResult {
  readonly stateMachine: aws.sfn.StateMachine;
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Alarms by id (`failed`, `timed-out`, `throttled`). */
  readonly alarms: Readonly<Record<(typeof WORKFLOW_ALARMS)[number]["id"], aws.cloudwatch.MetricAlarm>>;
  /** Physical name (known before deployment). */
  readonly name: string;
}

/** What the workflow builder needs. */
export interface WorkflowDeps {
  readonly encryption: EncryptionResult;
  readonly alerting: AlertingResult;
  /** The step runner's unqualified ARN: every task invokes it. */
  readonly stepRunnerArn: pulumi.Output<string>;
  /** The step runner's timeout: the definition gives each task this long plus a margin. */
  readonly stepRunnerTimeoutSeconds: number;
  /**
   * The restore-check function's unqualified ARN: a regional restore's VerifyRestored has it log in
   * to the restored instance as the monitor's role before `writer` moves.
   */
  readonly restoreCheckArn: pulumi.Output<string>;
  readonly restoreCheckTimeoutSeconds: number;
}

/** Declares the state machine, its role, its log group and its alarms in the DR region. */
export function buildWorkflow(ctx: BuildContext, deps: WorkflowDeps): WorkflowResult {
  const { config, providers, accountId } = ctx;
  const suffix = config.environmentSuffix;
  const dr = { parent: ctx.parent, provider: providers.dr };
  const name = stateMachineName(suffix);

  const logGroup = ownedLogGroup(
    ctx,
    ctx.name("logs-sfn-failover"),
    stateMachineLogGroupName(name),
    "failover",
    deps.encryption.drKey,
    dr,
  );
  const roleLogical = ctx.name("iam-sfn-failover");
  const role = new aws.iam.Role(
    roleLogical,
    {
      description: `TapStack ${suffix} failover state machine (${config.drRegion})`,
      assumeRolePolicy: accountId.apply((account) =>
        JSON.stringify(stateMachineTrustPolicy(account, stateMachineArn(config.drRegion, account, name))),
      ),
      forceDetachPolicies: true,
      tags: ctx.tags("failover", roleLogical),
    },
    dr,
  );
  const policy = new aws.iam.RolePolicy(
    ctx.name("iam-sfn-failover-policy"),
    {
      role: role.id,
      policy: pulumi
        .all([deps.stepRunnerArn, deps.restoreCheckArn])
        .apply(([stepRunnerArn, restoreCheckArn]) =>
          JSON.stringify(stateMachinePolicyDocument({ stepRunnerArn, restoreCheckArn })),
        ),
    },
    dr,
  );
  const s = WORKFLOW_SETTINGS;
  const machineLogical = ctx.name("sfn-failover");
  const stateMachine = new aws.sfn.StateMachine(
    machineLogical,
    {
      name,
      type: s.type,
      roleArn: role.arn,
      definition: pulumi.all([deps.stepRunnerArn, deps.restoreCheckArn]).apply(([arn, restoreCheckArn]) =>
        JSON.stringify(
          failoverDefinition({
            stepRunnerArn: arn,
            stepRunnerTimeoutSeconds: deps.stepRunnerTimeoutSeconds,
            restoreCheckArn,
            restoreCheckTimeoutSeconds: deps.restoreCheckTimeoutSeconds,
          }),
        ),
      ),
      loggingConfiguration: {
        level: s.logLevel,
        includeExecutionData: s.includeExecutionData,
        // The provider wants the log group ARN with the `:*` of its streams.
        logDestination: pulumi.interpolate`${logGroup.arn}:*`,
      },
      tracingConfiguration: { enabled: s.tracing },
      tags: ctx.tags("failover", machineLogical),
    },
    // Step Functions checks the role's log-delivery permissions when the machine is created.
    { ...dr, dependsOn: [policy, logGroup] },
  );

  const alarms = Object.fromEntries(
    WORKFLOW_ALARMS.map((a) => [
      a.id,
      metricAlarm(
        ctx,
        {
          name: ctx.name(`alarm-sfn-failover-${a.id}`),
          description: a.description,
          namespace: "AWS/States",
          metricName: a.metricName,
          dimensions: { StateMachineArn: stateMachine.arn },
          statistic: "Sum",
          comparisonOperator: "GreaterThanThreshold",
          threshold: 0,
          periodSeconds: s.alarmPeriodSeconds,
          evaluationPeriods: 1,
          // No executions, no datapoints: the normal state.
          treatMissingData: "notBreaching",
          topicArn: deps.alerting.drTopic.arn,
          drRole: "failover",
        },
        dr,
      ),
    ]),
  ) as WorkflowResult["alarms"];

  return { stateMachine, role, policy, logGroup, alarms, name };
}
