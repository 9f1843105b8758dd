/**
 * The Lambda model as Step Functions' Lambda integration sees the step runner: what ended a
 * synchronous invocation becomes the error name the state machine's retriers and catchers match.
 */
import { lambdaIntegrationError, SimLambda, type SimFunction } from "../../lib/simulator/lambda";
import { Scheduler } from "../../lib/simulator/scheduler";

const START_MS = Date.UTC(2026, 0, 5);

function stepRunner(scheduler: Scheduler, behaviour: "fail" | "hang" | "slow"): SimFunction {
  return {
    key: "step-runner",
    name: "lambda-step-runner-test",
    arn: "arn:aws:lambda:ap-southeast-1:123456789012:function:lambda-step-runner-test",
    timeoutMs: 300_000,
    reservedConcurrency: 1,
    maxRetryAttempts: 0,
    maxEventAgeMs: 0,
    handler: async (_event, _context, invocation) => {
      if (behaviour === "fail") {
        const error = new Error("rds-replica-sim was not writable 45 min after its promotion was requested");
        error.name = "StepTimedOut";
        throw error;
      }
      await scheduler.sleepFor(invocation, behaviour === "hang" ? 3_600_000 : 10_000);
      return { ok: true };
    },
  };
}

/** Invokes `fn` synchronously, advances virtual time, and returns the integration's error. */
async function integrationErrorOf(
  behaviour: "fail" | "hang" | "slow" | "crash" | "throttle",
): Promise<{ name: string; message: string }> {
  const scheduler = new Scheduler(START_MS);
  const lambda = new SimLambda(scheduler);
  const fn = stepRunner(scheduler, behaviour === "crash" || behaviour === "throttle" ? "slow" : behaviour);
  if (behaviour === "crash")
    lambda.onStart = (_fn, context) => scheduler.after(1_000, () => scheduler.kill(context));
  if (behaviour === "throttle") void lambda.invokeSync(fn, {});
  const settled = lambda.invokeSync(fn, {}).then(
    () => {
      throw new Error("the invocation succeeded");
    },
    (error: unknown) => lambdaIntegrationError(error, fn.name),
  );
  await scheduler.runUntil(START_MS + 400_000);
  return settled;
}

describe("lambdaIntegrationError", () => {
  it("a function error keeps its errorType as the name and its record as the Cause", async () => {
    const error = await integrationErrorOf("fail");
    expect(error.name).toBe("StepTimedOut");
    expect(JSON.parse(error.message)).toEqual({
      errorType: "StepTimedOut",
      errorMessage: "rds-replica-sim was not writable 45 min after its promotion was requested",
    });
  });

  it.each([
    ["a function timeout", "hang" as const, /Task timed out after 300 seconds/],
    ["a crash", "crash" as const, /Runtime exited with error: signal: killed/],
  ])("%s is Lambda.Unknown (reference §3)", async (_name, behaviour, cause) => {
    const error = await integrationErrorOf(behaviour);
    expect(error.name).toBe("Lambda.Unknown");
    expect(error.message).toMatch(
      /^The cause could not be determined because Lambda did not return an error type/,
    );
    expect(error.message).toMatch(cause);
  });

  it("a second invocation at reserved concurrency 1 is Lambda.TooManyRequestsException", async () => {
    const error = await integrationErrorOf("throttle");
    expect(error.name).toBe("Lambda.TooManyRequestsException");
    expect(error.message).toMatch(/Status Code: 429, Function: lambda-step-runner-test/);
  });
});
