/**
 * What every function of the stack is made of: its physical name, a pre-created log group (retention,
 * the region's KMS key), a role with one inline policy, the code asset bundled at program time, the
 * function itself, and how it is triggered (an EventBridge rule with a permission scoped to it, the
 * asynchronous invocation settings).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DrRole } from "../naming";
import { LAMBDA_HANDLER, LAMBDA_RUNTIME, type DeployedEntry, type LambdaBundle } from "./bundle";
import type { BuildContext } from "./context";
import { LAMBDA_TRUST_POLICY } from "./iam";

/** The functions of the stack. */
export type FunctionKey =
  "health-monitor" | "failover" | "step-runner" | "db-bootstrap" | "snapshot-export" | "restore-check";

/** Log retention of every function and of the failover workflow. */
export const LOG_RETENTION_DAYS = 30;

/** Physical function name (also the log group's name): `lambda-<key>-<suffix>`. */
export function functionName(key: FunctionKey, environmentSuffix: string): string {
  return `lambda-${key}-${environmentSuffix}`;
}

/** The log group Lambda writes a function's logs to. */
export function logGroupName(fnName: string): string {
  return `/aws/lambda/${fnName}`;
}

/** One function with what belongs to it. */
export interface FunctionResources {
  readonly fn: aws.lambda.Function;
  readonly role: aws.iam.Role;
  readonly policy: aws.iam.RolePolicy;
  readonly logGroup: aws.cloudwatch.LogGroup;
  /** Physical name (known before deployment). */
  readonly name: string;
}

/** The deployment package of a bundle: every file at its path, the entry at the root. */
export function bundleArchive(bundle: LambdaBundle): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive(
    Object.fromEntries(bundle.files.map((f) => [f.path, new pulumi.asset.StringAsset(f.text)])),
  );
}

/** The deployment package of one Lambda entry, built by the context's bundler when the program runs. */
export function code(ctx: BuildContext, entry: DeployedEntry): pulumi.Output<pulumi.asset.Archive> {
  return pulumi.output(ctx.bundle(entry)).apply(bundleArchive);
}

/**
 * A log group the stack owns (no role may create one): the retention every log of the stack has,
 * encrypted with the region's key (CloudWatch Logs may use it through the key policy's
 * `logs.<region>` statement, `encryption.ts`).
 */
export function ownedLogGroup(
  ctx: BuildContext,
  logical: string,
  name: string,
  drRole: DrRole,
  key: aws.kms.Key,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.LogGroup {
  return new aws.cloudwatch.LogGroup(
    logical,
    {
      name,
      retentionInDays: LOG_RETENTION_DAYS,
      kmsKeyId: key.arn,
      tags: ctx.tags(drRole, logical),
    },
    opts,
  );
}

/**
 * Role, policy and log group of one function; the function itself comes from {@link lambdaFunction}.
 * `policy` receives the log group's ARN, which every function's own statement names.
 */
export function roleAndLogs(
  ctx: BuildContext,
  key: FunctionKey,
  drRole: "monitoring" | "failover" | "backup" | "restore-test",
  region: string,
  kmsKey: aws.kms.Key,
  provider: aws.Provider,
  policy: (logGroupArn: pulumi.Output<string>) => pulumi.Output<string>,
): Omit<FunctionResources, "fn"> {
  const opts = { parent: ctx.parent, provider };
  const name = functionName(key, ctx.config.environmentSuffix);
  const logGroup = ownedLogGroup(ctx, ctx.name(`logs-${key}`), logGroupName(name), drRole, kmsKey, opts);
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

/** What differs between the functions; the rest {@link lambdaFunction} sets the same for all. */
export interface LambdaFunctionArgs {
  readonly entry: DeployedEntry;
  readonly description: string;
  readonly drRole: DrRole;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Record<string, pulumi.Input<string>>;
  readonly vpcConfig?: aws.types.input.lambda.FunctionVpcConfig;
  readonly reservedConcurrentExecutions?: number;
  /** More resources the function must wait for (its role's policy and log group always). */
  readonly dependsOn?: pulumi.Resource[];
}

/**
 * The function of `parts`: runtime, handler and the bundled code of `args.entry`, plain-text logs to
 * its own log group, and created only once its policy and log group exist (so its first invocation
 * neither lacks a permission nor creates a log group of its own).
 */
export function lambdaFunction(
  ctx: BuildContext,
  parts: Omit<FunctionResources, "fn">,
  key: FunctionKey,
  args: LambdaFunctionArgs,
  opts: pulumi.CustomResourceOptions,
): aws.lambda.Function {
  const logical = ctx.name(`lambda-${key}`);
  return new aws.lambda.Function(
    logical,
    {
      name: parts.name,
      description: `TapStack ${ctx.config.environmentSuffix}: ${args.description}`,
      runtime: LAMBDA_RUNTIME,
      handler: LAMBDA_HANDLER,
      code: code(ctx, args.entry),
      role: parts.role.arn,
      timeout: args.timeoutSeconds,
      memorySize: args.memoryMb,
      ...(args.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: args.reservedConcurrentExecutions }
        : {}),
      ...(args.vpcConfig !== undefined ? { vpcConfig: args.vpcConfig } : {}),
      environment: { variables: args.environment },
      loggingConfig: { logFormat: "Text", logGroup: parts.logGroup.name },
      tags: ctx.tags(args.drRole, logical),
    },
    { ...opts, dependsOn: [parts.logGroup, parts.policy, ...(args.dependsOn ?? [])] },
  );
}

/** Asynchronous invocation settings of one function (reference §2: retries 0–2, event age 60–21600 s). */
export interface AsyncSettings {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeInSeconds: number;
  /** Where successful results go. */
  readonly onSuccess?: pulumi.Input<string>;
}

/** The function's `FunctionEventInvokeConfig`, logical name `lambda-<key>-async-<suffix>`. */
export function asyncInvokeConfig(
  ctx: BuildContext,
  key: FunctionKey,
  fn: aws.lambda.Function,
  settings: AsyncSettings,
  opts: pulumi.CustomResourceOptions,
): aws.lambda.FunctionEventInvokeConfig {
  return new aws.lambda.FunctionEventInvokeConfig(
    ctx.name(`lambda-${key}-async`),
    {
      functionName: fn.name,
      maximumRetryAttempts: settings.maximumRetryAttempts,
      maximumEventAgeInSeconds: settings.maximumEventAgeInSeconds,
      ...(settings.onSuccess !== undefined
        ? { destinationConfig: { onSuccess: { destination: settings.onSuccess } } }
        : {}),
    },
    opts,
  );
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
