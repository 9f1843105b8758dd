/**
 * The drill's failover workflow: the deployed state machine definition (`failoverDefinition`) run
 * by `LocalWorkflow`, its tasks handled in process by the real step-runner handler
 * (`createStepRunnerHandler`) over the drill's local ports, on the real clock. The failover
 * function's decision reaches PostgreSQL only through this execution, as it reaches RDS only
 * through Step Functions on AWS.
 */
import type { DispatchOptions } from "../lambda/core/orchestrator";
import type { Ports } from "../lambda/core/ports";
import type { FailoverPolicy } from "../lambda/core/types";
import type { WorkflowInput, WorkflowLimits } from "../lambda/core/workflow";
import { createStepRunnerHandler } from "../lambda/step-runner/handler";
import type { HandlerLogger } from "../lambda/telemetry";
import { failoverDefinition, STATES } from "../workflow/definition";
import { functionError, LocalWorkflow, type LocalExecution, type StepInvoker } from "../workflow/local";
import { runRestoreCheck } from "../lambda/adapters/postgres/restore-check";
import type { PgProbeConfig } from "../lambda/adapters/postgres/probe";
import type { RestoreTestContext, RestoreTestInput } from "../lambda/core/restore-test";
import { createRestoreCheckHandler } from "../lambda/restore-check/handler";
import { RESTORE_TEST_STATES, restoreTestDefinition } from "../workflow/restore-test-definition";

/** The drill's "deployment" of the state machine and its step runner (ARNs only name them). */
export const DRILL_WORKFLOW = {
  stateMachineArn: "arn:aws:states:ap-southeast-1:000000000000:stateMachine:sfn-failover-drill",
  stepRunnerArn: "arn:aws:lambda:ap-southeast-1:000000000000:function:lambda-step-runner-drill",
  region: "ap-southeast-1",
  /** Longer than one caught-up check (`CATCH_UP_CHECK_MS`, 30 s), the longest a drill step runs. */
  stepRunnerTimeoutSeconds: 60,
} as const;

/**
 * The workflow's limits in the drill, in seconds of loopback PostgreSQL: `pg_promote()` and the
 * catch-up take well under a second, `LocalDns` changes at once, and the operator of the
 * `lagging-replica` scenario answers within a few seconds. Generous next to that, short enough that
 * a stuck execution ends within a scenario.
 */
export const DRILL_LIMITS: WorkflowLimits = {
  promotionTimeoutSeconds: 60,
  catchUpTimeoutSeconds: 60,
  dnsTimeoutSeconds: 10,
  approvalTimeoutSeconds: 60,
  restoreTimeoutSeconds: 60,
};

/**
 * Wait states shortened to the drill's scale with the engine's own per-state override
 * (`waitTimeOverrides` of aws-local-stepfunctions, its documented way to run a definition
 * faster): the definition is the deployed one, only the pause between two checks differs
 * (15 s / 5 s / 60 s on AWS, where RDS promotes in minutes and restores in tens of minutes).
 */
export const DRILL_WAIT_OVERRIDES_MS: Readonly<Record<string, number>> = {
  [STATES.waitForPromotion]: 100,
  [STATES.waitForCatchUp]: 100,
  // 60 s on AWS, where a restore takes tens of minutes; PostgreSQL's recovery here takes seconds.
  [STATES.waitForRestore]: 200,
};

/** What every drill execution is given (the failover function's `dispatchOptionsFor`, at the drill's scale). */
export function drillDispatchOptions(cluster: WorkflowInput["cluster"]): DispatchOptions {
  return { reportKind: "drill", cluster, limits: DRILL_LIMITS, approvals: true };
}

/**
 * The step runner as the Lambda integration calls it: the payload and the result cross as JSON,
 * and a `StepError` leaves as a function error whose `errorType` is its name (what `Retry` and
 * `Catch` match) and whose `Cause` is the error record (reference §3).
 */
export function inProcessStepInvoker(handler: (event: unknown) => Promise<unknown>): StepInvoker {
  return async (payload) => {
    try {
      const result = await handler(JSON.parse(JSON.stringify(payload)));
      return JSON.parse(JSON.stringify(result)) as unknown;
    } catch (error) {
      // Lambda reports a thrown error's name as its errorType (the handler names every error).
      if (error instanceof Error) throw functionError(error.name, error.message);
      throw functionError("Error", String(error));
    }
  };
}

/**
 * Builds the drill's workflow over `ports`. With `monitorLogin`, a regional restore verifies the
 * restored instance with the real restore-check handler (`VerifyRestored`) before `writer` moves.
 */
export function createDrillWorkflow(args: {
  readonly ports: Ports;
  readonly policy: FailoverPolicy;
  readonly cluster: WorkflowInput["cluster"];
  readonly logger: HandlerLogger;
  readonly monitorLogin?: MonitorLogin;
  readonly onClosed?: (execution: LocalExecution) => void;
}): LocalWorkflow {
  const handler = createStepRunnerHandler({
    cluster: args.cluster,
    policy: args.policy,
    region: DRILL_WORKFLOW.region,
    ports: args.ports,
    logger: args.logger,
  });
  const invokeStepRunner = inProcessStepInvoker(handler);
  const login = args.monitorLogin;
  const invokeRestoreCheck =
    login === undefined ? undefined : inProcessStepInvoker(drillRestoreCheckHandler(login, args.logger));
  return new LocalWorkflow({
    definition: failoverDefinition({
      stepRunnerArn: DRILL_WORKFLOW.stepRunnerArn,
      stepRunnerTimeoutSeconds: DRILL_WORKFLOW.stepRunnerTimeoutSeconds,
      ...(login === undefined
        ? {}
        : {
            restoreCheckArn: DRILL_RESTORE_TEST.restoreCheckArn,
            restoreCheckTimeoutSeconds: DRILL_RESTORE_TEST.restoreCheckTimeoutSeconds,
          }),
    }),
    stateMachineArn: DRILL_WORKFLOW.stateMachineArn,
    invokeStep: (payload, functionName) =>
      functionName === DRILL_RESTORE_TEST.restoreCheckArn && invokeRestoreCheck !== undefined
        ? invokeRestoreCheck(payload)
        : invokeStepRunner(payload),
    clock: args.ports.clock,
    waitOverridesMs: DRILL_WAIT_OVERRIDES_MS,
    ...(args.onClosed ? { onClosed: args.onClosed } : {}),
  });
}

/** The drill's "deployment" of the restore-test machine and its restore-check function. */
export const DRILL_RESTORE_TEST = {
  stateMachineArn: "arn:aws:states:ap-southeast-1:000000000000:stateMachine:sfn-restore-test-drill",
  restoreCheckArn: "arn:aws:lambda:ap-southeast-1:000000000000:function:restore-check-drill",
  /** The function's deployed timeout. */
  restoreCheckTimeoutSeconds: 60,
  /** Heartbeat rows the restored instance must hold (`tap:restoreTestMinRows`' default). */
  minRows: 1,
} as const;

/**
 * The restore test's waits at the drill's scale (60 s on AWS, where a restore takes tens of minutes;
 * PostgreSQL's recovery of a small archive takes a second or two here).
 */
export const DRILL_RESTORE_TEST_WAIT_OVERRIDES_MS: Readonly<Record<string, number>> = {
  [RESTORE_TEST_STATES.waitForLeftover]: 200,
  [RESTORE_TEST_STATES.waitForRestore]: 200,
  [RESTORE_TEST_STATES.waitForDeletion]: 200,
  [RESTORE_TEST_STATES.waitForCleanUp]: 200,
};

/** The monitor's login to any node of the local cluster (`LocalCluster.monitorProbeConfig()`). */
export type MonitorLogin = Pick<PgProbeConfig, "database" | "user" | "password">;

/**
 * The restore-check function's handler as the drill runs it: the real handler and the same
 * `runRestoreCheck` as Lambda, logged in as the monitor's role with its drill password (no IAM, no
 * TLS on loopback); host and port come from the event.
 */
export function drillRestoreCheckHandler(
  login: MonitorLogin,
  logger: HandlerLogger,
): (event: unknown) => Promise<unknown> {
  return createRestoreCheckHandler({
    config: {
      dbPort: 5432,
      dbName: login.database,
      monitorDbUser: login.user,
      controlRegion: DRILL_WORKFLOW.region,
      minRows: DRILL_RESTORE_TEST.minRows,
      environmentSuffix: "drill",
    },
    logger,
    check: (endpoint, minRows) =>
      runRestoreCheck(
        {
          host: endpoint.host,
          port: endpoint.port,
          database: login.database,
          user: login.user,
          password: login.password,
          ssl: false,
          timeoutMs: 5_000,
        },
        minRows,
      ),
  });
}

/**
 * The drill's restore test: the deployed definition (`restoreTestDefinition`) run by `LocalWorkflow`,
 * its step-runner tasks handled by the real step-runner handler (`restoreTest` on the drill's local
 * temporary instance), its check query by the real restore-check handler running the same
 * `runRestoreCheck` as Lambda, logged in as the monitor's role with its drill password (no IAM, no TLS
 * on loopback).
 */
export function createDrillRestoreTestWorkflow(args: {
  readonly ports: Ports;
  readonly policy: FailoverPolicy;
  readonly cluster: WorkflowInput["cluster"];
  readonly restoreTest: RestoreTestContext;
  /** The monitor's login (`LocalCluster.monitorProbeConfig()`); host and port come from the event. */
  readonly monitorLogin: MonitorLogin;
  readonly logger: HandlerLogger;
  readonly onClosed?: (execution: LocalExecution<RestoreTestInput>) => void;
}): LocalWorkflow<RestoreTestInput> {
  const stepRunner = createStepRunnerHandler({
    cluster: args.cluster,
    policy: args.policy,
    region: DRILL_WORKFLOW.region,
    ports: args.ports,
    logger: args.logger,
    restoreTest: { ...args.restoreTest, flushMetrics: () => undefined },
  });
  const restoreCheck = drillRestoreCheckHandler(args.monitorLogin, args.logger);
  const invokeStepRunner = inProcessStepInvoker(stepRunner);
  const invokeRestoreCheck = inProcessStepInvoker(restoreCheck);
  return new LocalWorkflow<RestoreTestInput>({
    definition: restoreTestDefinition({
      stepRunnerArn: DRILL_WORKFLOW.stepRunnerArn,
      restoreCheckArn: DRILL_RESTORE_TEST.restoreCheckArn,
      stepRunnerTimeoutSeconds: DRILL_WORKFLOW.stepRunnerTimeoutSeconds,
      restoreCheckTimeoutSeconds: DRILL_RESTORE_TEST.restoreCheckTimeoutSeconds,
    }),
    stateMachineArn: DRILL_RESTORE_TEST.stateMachineArn,
    invokeStep: (payload, functionName) =>
      functionName === DRILL_RESTORE_TEST.restoreCheckArn
        ? invokeRestoreCheck(payload)
        : invokeStepRunner(payload),
    clock: args.ports.clock,
    waitOverridesMs: DRILL_RESTORE_TEST_WAIT_OVERRIDES_MS,
    ...(args.onClosed ? { onClosed: args.onClosed } : {}),
  });
}

/** An execution as the drill's report shows it. */
export interface ExecutionRecord {
  readonly name: string;
  readonly arn: string;
  readonly status: string;
  readonly startedAtMs: number;
  readonly stoppedAtMs: number | null;
  /** Every state entered, in order (a state entered again, e.g. a wait loop, appears again). */
  readonly statesVisited: readonly string[];
  /** Billed state transitions (every state entered, retries included). */
  readonly transitions: number;
  readonly error: string | null;
  readonly cause: string | null;
}

/** The report's view of an execution. */
export function executionRecord(execution: LocalExecution<unknown>): ExecutionRecord {
  return {
    name: execution.name,
    arn: execution.arn,
    status: execution.status,
    startedAtMs: execution.startedAtMs,
    stoppedAtMs: execution.stoppedAtMs,
    statesVisited: execution.history.filter((h) => h.type === "StateEntered" && h.state).map((h) => h.state!),
    transitions: execution.transitions,
    error: execution.error,
    cause: execution.cause,
  };
}
