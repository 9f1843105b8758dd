/**
 * IAM of the weekly restore test (`restore-test.ts`): the `restore-check` function's role, the
 * `sfn-restore-test-<suffix>` state machine's role, and the role EventBridge uses to start its
 * executions. Pure functions of plain strings, no Pulumi: the stack calls them inside an `apply`
 * once the ARNs are known. The step runner's restore-test permissions are in `iam.ts` with the
 * rest of its document.
 */
import {
  LOG_DELIVERY_ACTIONS,
  logsStatement,
  vpcEniStatement,
  type IamPolicyDocument,
  type IamStatement,
} from "./iam";

const document = (statements: IamStatement[]): IamPolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});

/**
 * `rds-db:connect` on one database user of every DR-region instance: the restore test's instance
 * gets a new DbiResourceId with each restore, unknown before it exists, and the resource id is the
 * only instance part of the ARN
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.IAMPolicy.html).
 */
export function anyInstanceDbUserArn(region: string, accountId: string, user: string): string {
  return `arn:aws:rds-db:${region}:${accountId}:dbuser:*/${user}`;
}

/** The exact resources of the restore-check function's permissions. */
export interface RestoreCheckPolicyTargets {
  readonly drRegion: string;
  readonly accountId: string;
  /** The monitor's database user (`FUNCTION_SETTINGS.monitorDbUser`), restored with the data. */
  readonly monitorDbUser: string;
  readonly logGroupArn: string;
}

/**
 * Least privilege of the restore-check function: IAM database login as the monitor's user, its
 * VPC ENIs, its logs. Nothing else: it never calls an AWS API.
 */
export function restoreCheckPolicyDocument(t: RestoreCheckPolicyTargets): IamPolicyDocument {
  return document([
    {
      // Documented exception to exact ARNs: `dbuser:*/<user>` in the DR region (see
      // anyInstanceDbUserArn). It names one user, the monitor's, whose login the restored copy
      // carries; the function's security group reaches 5432 only in the DR VPC's database subnets.
      Sid: "IamDatabaseLoginToTheRestoredCopy",
      Effect: "Allow",
      Action: ["rds-db:connect"],
      Resource: [anyInstanceDbUserArn(t.drRegion, t.accountId, t.monitorDbUser)],
    },
    vpcEniStatement(),
    logsStatement(t.logGroupArn),
  ]);
}

/** The exact resources of the restore-test state machine role's permissions. */
export interface RestoreTestMachinePolicyTargets {
  /** The step runner's unqualified ARN (restore, wait, delete, report). */
  readonly stepRunnerArn: string;
  /** The restore-check function's unqualified ARN (the check query). */
  readonly restoreCheckArn: string;
}

/** Least privilege of the restore-test state machine: invoke its two task functions, deliver its logs. */
export function restoreTestMachinePolicyDocument(t: RestoreTestMachinePolicyTargets): IamPolicyDocument {
  return document([
    {
      // Unqualified ARNs plus `:*`, as for the failover machine (`stateMachinePolicyDocument`).
      Sid: "InvokeTaskFunctions",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction"],
      Resource: [t.stepRunnerArn, `${t.stepRunnerArn}:*`, t.restoreCheckArn, `${t.restoreCheckArn}:*`],
    },
    {
      // The only "*" of the role (see LOG_DELIVERY_ACTIONS).
      Sid: "DeliverExecutionLogs",
      Effect: "Allow",
      Action: [...LOG_DELIVERY_ACTIONS],
      Resource: ["*"],
    },
  ]);
}

/** ARN of an EventBridge rule on the default bus, known before it exists. */
export function eventRuleArn(region: string, accountId: string, ruleName: string): string {
  return `arn:aws:events:${region}:${accountId}:rule/${ruleName}`;
}

/**
 * Trust policy of the role the two schedules start executions with: EventBridge, for these rules
 * of this account only (confused-deputy conditions,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html).
 */
export function restoreTestEventsTrustPolicy(accountId: string, ruleArns: readonly string[]): object {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "events.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: {
          StringEquals: { "aws:SourceAccount": accountId },
          ArnEquals: { "aws:SourceArn": [...ruleArns] },
        },
      },
    ],
  };
}

/** The schedules' role: StartExecution on the restore-test state machine, nothing else. */
export function restoreTestEventsPolicyDocument(machineArn: string): IamPolicyDocument {
  return document([
    {
      Sid: "StartRestoreTestExecutions",
      Effect: "Allow",
      Action: ["states:StartExecution"],
      Resource: [machineArn],
    },
  ]);
}
