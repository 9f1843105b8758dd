import {
  DRILL_LIMITS,
  DRILL_WAIT_OVERRIDES_MS,
  DRILL_WORKFLOW,
  drillDispatchOptions,
  executionRecord,
  inProcessStepInvoker,
} from "../../lib/drill/workflow";
import { STEP_ERRORS, StepError } from "../../lib/lambda/core/workflow";
import { failoverDefinition, STATES } from "../../lib/workflow/definition";
import type { LocalExecution } from "../../lib/workflow/local";

describe("inProcessStepInvoker", () => {
  it("hands the step runner a JSON copy of the payload and returns its result as JSON", async () => {
    const payload = { step: "begin", input: { incident: "i-1" } };
    let received: unknown;
    const invoke = inProcessStepInvoker(async (event) => {
      received = event;
      (event as { input: { incident: string } }).input.incident = "changed by the handler";
      return { input: { incident: "i-1" }, run: { next: "done", dropped: undefined, at: new Date(0) } };
    });
    const result = await invoke(payload);
    expect(received).toEqual({ step: "begin", input: { incident: "changed by the handler" } });
    expect(payload.input.incident).toBe("i-1");
    // Lambda's JSON: undefined fields vanish, a Date becomes its ISO string.
    expect(result).toEqual({
      input: { incident: "i-1" },
      run: { next: "done", at: "1970-01-01T00:00:00.000Z" },
    });
  });

  const failures: [string, unknown, string, string][] = [
    [
      "a step error keeps its name, which Retry and Catch match",
      new StepError(
        STEP_ERRORS.timedOut,
        "pg-replica was not writable 1 min after its promotion was requested",
      ),
      "StepTimedOut",
      "pg-replica was not writable 1 min after its promotion was requested",
    ],
    [
      "another error keeps its name, as Lambda's errorType",
      new TypeError("x is undefined"),
      "TypeError",
      "x is undefined",
    ],
    ["a thrown string is an Error", "boom", "Error", "boom"],
  ];
  it.each(failures)("%s", async (_name, thrown, errorType, errorMessage) => {
    const invoke = inProcessStepInvoker(() => Promise.reject(thrown));
    const error = (await invoke({}).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe(errorType);
    // The Lambda integration's Cause: the function's error record.
    expect(JSON.parse(error.message)).toEqual({ errorType, errorMessage });
  });
});

describe("the drill's workflow settings", () => {
  it("shortens only Wait states of the deployed definition", () => {
    const definition = failoverDefinition({
      stepRunnerArn: DRILL_WORKFLOW.stepRunnerArn,
      stepRunnerTimeoutSeconds: DRILL_WORKFLOW.stepRunnerTimeoutSeconds,
    });
    const states = definition.States as Record<string, { Type: string }>;
    expect(Object.keys(DRILL_WAIT_OVERRIDES_MS).sort()).toEqual(
      [STATES.waitForCatchUp, STATES.waitForPromotion, STATES.waitForRestore].sort(),
    );
    for (const state of Object.keys(DRILL_WAIT_OVERRIDES_MS)) expect(states[state].Type).toBe("Wait");
  });

  it("dispatches drill reports with approvals, for the cluster given", () => {
    const cluster = { primaryInstanceId: "pg-primary", replicaInstanceId: "pg-replica" };
    expect(drillDispatchOptions(cluster)).toEqual({
      reportKind: "drill",
      cluster,
      limits: {
        promotionTimeoutSeconds: 60,
        catchUpTimeoutSeconds: 60,
        dnsTimeoutSeconds: 10,
        approvalTimeoutSeconds: 60,
        restoreTimeoutSeconds: 60,
      },
      approvals: true,
    });
    // A step may wait out one caught-up check (30 s) within the task's timeout.
    expect(DRILL_WORKFLOW.stepRunnerTimeoutSeconds).toBeGreaterThan(30);
    expect(DRILL_LIMITS.catchUpTimeoutSeconds).toBeLessThanOrEqual(DRILL_WORKFLOW.stepRunnerTimeoutSeconds);
  });
});

describe("executionRecord", () => {
  it("lists the states entered in order, repeats included, with the execution's status and transitions", () => {
    const execution = {
      name: "failover-x",
      arn: "arn:aws:states:ap-southeast-1:000000000000:execution:sfn-failover-drill:failover-x",
      status: "FAILED",
      startedAtMs: 1,
      stoppedAtMs: 9,
      error: "FailoverFailed",
      cause: "promote-replica failed",
      transitions: 5,
      history: [
        { type: "ExecutionStarted", atMs: 1 },
        { type: "StateEntered", atMs: 1, state: "Begin" },
        { type: "StateExited", atMs: 2, state: "Begin" },
        { type: "StateEntered", atMs: 2, state: "CheckWritable" },
        { type: "StateRetried", atMs: 3, state: "CheckWritable" },
        { type: "StateEntered", atMs: 4, state: "CheckWritable" },
        { type: "StateEntered", atMs: 5, state: "RollBack" },
        { type: "ExecutionFailed", atMs: 9, error: "FailoverFailed" },
      ],
    } as unknown as LocalExecution;
    expect(executionRecord(execution)).toEqual({
      name: "failover-x",
      arn: "arn:aws:states:ap-southeast-1:000000000000:execution:sfn-failover-drill:failover-x",
      status: "FAILED",
      startedAtMs: 1,
      stoppedAtMs: 9,
      statesVisited: ["Begin", "CheckWritable", "CheckWritable", "RollBack"],
      transitions: 5,
      error: "FailoverFailed",
      cause: "promote-replica failed",
    });
  });
});
