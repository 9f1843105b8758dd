/**
 * The step runner's handler: one task of the failover workflow per invocation. Validates the
 * payload the state machine sends (`validateStepRequest`), runs the step (`runWorkflowStep`) and
 * returns `{ input, run }`. Errors leave with a name the state machine's retriers and catchers
 * match (`STEP_ERRORS`): a throttle, a 5xx or a network failure is `StepRetryable`, a wait that ran
 * out of time `StepTimedOut`, anything else `StepFailed`; a malformed payload is `InputRefused`.
 *
 * It serves the restore-test state machine too: a payload whose `step` is one of
 * `RESTORE_TEST_TASKS` is validated by `validateRestoreTestRequest` and run by `runRestoreTestStep`
 * on `deps.restoreTest`, and the metrics it records are flushed (EMF) before the handler returns.
 */
import type { Context } from "aws-lambda";
import { WaitTimeoutError } from "../core/errors";
import type { Ports } from "../core/ports";
import type { FailoverPolicy } from "../core/types";
import {
  STEP_ERRORS,
  StepError,
  validateStepRequest,
  type StepResponse,
  type WorkflowInput,
} from "../core/workflow";
import { runWorkflowStep } from "../core/workflow-steps";
import { RestoreTestError, RestoreTestTimeoutError, type RestoreTestContext } from "../core/restore-test";
import {
  isRestoreTestRequest,
  runRestoreTestStep,
  validateRestoreTestRequest,
  type RestoreTestFreshnessResponse,
  type RestoreTestStepResponse,
} from "../core/restore-test-request";
import { isApiUnavailable, isThrottling } from "../adapters/aws/aws-errors";
import type { HandlerLogger } from "../telemetry";

/** What the handler is built from. */
export interface StepRunnerDeps {
  readonly cluster: WorkflowInput["cluster"];
  readonly policy: FailoverPolicy;
  /** Region of the state machine, named in the approval commands. */
  readonly region: string;
  readonly ports: Ports;
  readonly logger: HandlerLogger;
  /** The restore test's ports and settings, and the flush of its metrics after each invocation. */
  readonly restoreTest?: RestoreTestContext & { readonly flushMetrics: () => void };
}

/** What one invocation returns: a failover task's `{ input, run }` or a restore-test task's. */
export type StepRunnerResponse = StepResponse | RestoreTestStepResponse | RestoreTestFreshnessResponse;

/** The error chain of `error`, outermost first. */
function chain(error: unknown): unknown[] {
  const out: unknown[] = [];
  for (
    let e: unknown = error;
    e !== undefined && e !== null && out.length < 8;
    e = (e as { cause?: unknown }).cause
  ) {
    out.push(e);
  }
  return out;
}

/** Names a step's failure for the state machine. */
export function stepErrorOf(error: unknown): StepError {
  if (error instanceof StepError) return error;
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const causes = chain(error);
  if (causes.some((e) => isThrottling(e) || isApiUnavailable(e)))
    return new StepError(STEP_ERRORS.retryable, message);
  if (causes.some((e) => e instanceof WaitTimeoutError || e instanceof RestoreTestTimeoutError))
    return new StepError(STEP_ERRORS.timedOut, message);
  if (causes.some((e) => e instanceof RestoreTestError)) return new StepError(STEP_ERRORS.failed, message);
  return new StepError(STEP_ERRORS.failed, message);
}

/** Builds the handler Lambda calls. */
export function createStepRunnerHandler(
  deps: StepRunnerDeps,
): (event: unknown, context?: Partial<Context>) => Promise<StepRunnerResponse> {
  const { ports, logger } = deps;
  return async function handler(event, context) {
    if (context?.awsRequestId !== undefined) logger.addContext(context as Context);
    let step = "unknown";
    if (isRestoreTestRequest(event)) {
      const restoreTest = deps.restoreTest;
      try {
        const request = validateRestoreTestRequest(event);
        step = request.step;
        logger.appendKeys({ step, execution: request.execution.name });
        if (restoreTest === undefined) {
          throw new StepError(
            STEP_ERRORS.failed,
            "This step runner is not configured for restore tests: set RESTORE_TEST_INSTANCE_ID, RESTORE_TEST_SECURITY_GROUP_IDS and RESTORE_TIMEOUT_MINUTES on it",
          );
        }
        const response = await runRestoreTestStep(restoreTest, request);
        logger.info("Step done", { step, ...("test" in response ? { phase: response.test.phase } : {}) });
        return response;
      } catch (error) {
        const named = stepErrorOf(error);
        logger.error("Step failed", { step, error: named.name, message: named.message });
        throw named;
      } finally {
        restoreTest?.flushMetrics();
      }
    }
    try {
      const { request, input, run } = validateStepRequest(event, deps.cluster);
      step = request.step;
      logger.appendKeys({ step, execution: request.execution.name });
      const next = await runWorkflowStep(
        { ports, policy: deps.policy, region: deps.region },
        request,
        input,
        run,
      );
      logger.info("Step done", { step, next: next.next, completed: next.completed, halt: next.halt });
      return { input, run: next };
    } catch (error) {
      const named = stepErrorOf(error);
      logger.error("Step failed", { step, error: named.name, message: named.message });
      throw named;
    }
  };
}
