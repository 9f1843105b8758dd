import { ALL_STEPS, FAILOVER_STEPS, SWITCHOVER_STEPS } from "../../lib/lambda/core/decide";
import { RESTORE_STEPS } from "../../lib/lambda/core/regional";
import { STEP_ERRORS, WORKFLOW_TASKS } from "../../lib/lambda/core/workflow";
import {
  EXECUTION_TIMEOUT_SECONDS,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  STATES,
  STEP_TABLE,
  failoverDefinition,
} from "../../lib/workflow/definition";

/** asl-validator 4.0.0 ships no type declarations. */
type AslValidator = (definition: unknown) => {
  isValid: boolean;
  errors: { "Error code": string; Message: string }[];
};
const aslValidator = jest.requireActual<AslValidator>("asl-validator");

const STEP_RUNNER_ARN = "arn:aws:lambda:ap-southeast-1:123456789012:function:step-runner-dev";

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds: number;
  MaxAttempts: number;
  BackoffRate: number;
  MaxDelaySeconds: number;
}
interface Catcher {
  ErrorEquals: string[];
  ResultPath: string;
  Next: string;
}
interface StateJson {
  Type: string;
  Resource?: string;
  Parameters?: { FunctionName: string; Payload: Record<string, unknown> };
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  ResultPath?: string;
  Retry?: Retrier[];
  Catch?: Catcher[];
  Next?: string;
  Default?: string;
  Choices?: { Variable: string; StringEquals?: string; Next: string }[];
  Seconds?: number;
}
interface DefinitionJson {
  StartAt: string;
  TimeoutSeconds: number;
  States: Record<string, StateJson>;
}

function definition(
  stepRunnerTimeoutSeconds = 300,
  polls: { promotionPollSeconds?: number; catchUpPollSeconds?: number } = {},
) {
  return failoverDefinition({
    stepRunnerArn: STEP_RUNNER_ARN,
    stepRunnerTimeoutSeconds,
    ...polls,
  }) as unknown as DefinitionJson;
}

/** Every state a state transitions to. */
function targetsOf(state: StateJson): string[] {
  return [
    ...(state.Next !== undefined ? [state.Next] : []),
    ...(state.Default !== undefined ? [state.Default] : []),
    ...(state.Choices ?? []).map((c) => c.Next),
    ...(state.Catch ?? []).map((c) => c.Next),
  ];
}

const TRANSIENT = {
  ErrorEquals: [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
  ],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 6,
  MaxDelaySeconds: 60,
};
const INTERRUPTED = {
  ErrorEquals: ["StepRetryable", "Lambda.Unknown", "Sandbox.Timedout", "States.Timeout"],
  IntervalSeconds: 5,
  BackoffRate: 2,
  MaxAttempts: 4,
  MaxDelaySeconds: 60,
};

describe("failoverDefinition", () => {
  it("is valid Amazon States Language", () => {
    const { isValid, errors } = aslValidator(definition());
    expect({ isValid, errors }).toEqual({ isValid: true, errors: [] });
  });

  it("is not valid when a transition points nowhere (the validator can fail)", () => {
    const broken = definition();
    broken.States[STATES.route].Default = "Nowhere";
    const result = aslValidator(broken);
    expect(result.isValid).toBe(false);
    expect(result.errors.map((e) => e.Message)).toContain(
      "Missing 'StartAt'|'Next'|'Default' target: Nowhere",
    );
  });

  it("starts at Begin and bounds the whole execution by 3 days", () => {
    const d = definition();
    expect(d.StartAt).toBe(STATES.begin);
    expect(d.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
    expect(EXECUTION_TIMEOUT_SECONDS).toBe(259_200);
  });

  const stepRunnerTasks = (d: DefinitionJson) =>
    Object.entries(d.States).filter(([, s]) => s.Type === "Task" && s.Resource === LAMBDA_INVOKE);

  it("has a step-runner task for every step-runner task name but the approval's, and nothing else", () => {
    const d = definition();
    const tasks = stepRunnerTasks(d).map(([, s]) => s.Parameters!.Payload.step);
    expect([...tasks].sort()).toEqual(WORKFLOW_TASKS.filter((t) => t !== "request-approval").sort());
    expect(Object.entries(d.States).filter(([, s]) => s.Type === "Task")).toHaveLength(WORKFLOW_TASKS.length);
  });

  it.each([30, 300, 900])("gives every step-runner task the runner's timeout (%i s) plus 30 s", (seconds) => {
    const d = definition(seconds);
    for (const [name, state] of stepRunnerTasks(d)) {
      expect({ name, timeout: state.TimeoutSeconds }).toEqual({ name, timeout: seconds + 30 });
      expect(state.Parameters!.FunctionName).toBe(STEP_RUNNER_ARN);
    }
  });

  it("retries every step-runner task with exactly the two retriers, transient errors first", () => {
    for (const [name, state] of stepRunnerTasks(definition())) {
      expect({ name, retry: state.Retry }).toEqual({ name, retry: [TRANSIENT, INTERRUPTED] });
    }
  });

  it("hands each task the execution, the input and the run state; Begin gets the whole input", () => {
    const d = definition();
    expect(d.States[STATES.begin].Parameters!.Payload).toEqual({
      step: "begin",
      execution: { "name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id" },
      "input.$": "$",
    });
    expect(d.States[STATES.promote].Parameters!.Payload).toEqual({
      step: "promote-replica",
      execution: { "name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id" },
      "input.$": "$.input",
      "run.$": "$.run",
    });
    expect(d.States[STATES.reassess].Parameters!.Payload["approval.$"]).toBe("$.approval");
    expect(d.States[STATES.rollBack].Parameters!.Payload["error.$"]).toBe("$.error");
    expect(d.States[STATES.approvalClosed].Parameters!.Payload["error.$"]).toBe("$.error");
  });

  describe("catchers", () => {
    const d = definition();

    it("sends a refused input from Begin to InputRefused and any other Begin failure to NotStarted", () => {
      expect(d.States[STATES.begin].Catch).toEqual([
        { ErrorEquals: [STEP_ERRORS.inputRefused], ResultPath: "$.error", Next: STATES.inputRefused },
        { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.notStarted },
      ]);
    });

    const rollingBack = [...STEP_TABLE.map((row) => row.state), STATES.reassess, STATES.approvalClosed];
    it.each(rollingBack)("sends every failure of %s to RollBack with the error at $.error", (name) => {
      expect(d.States[name].Catch).toEqual([
        { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.rollBack },
      ]);
    });

    it("ends a failed roll-back in RollBackFailed, never in RollBack again", () => {
      expect(d.States[STATES.rollBack].Catch).toEqual([
        { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.rollBackFailed },
      ]);
      expect(d.States[STATES.rollBack].Next).toBe(STATES.failed);
      expect(d.States[STATES.failed].Type).toBe("Fail");
      expect(d.States[STATES.rollBackFailed].Type).toBe("Fail");
    });
  });

  describe("the approval task", () => {
    const approval = definition().States[STATES.requestApproval];

    it("invokes the step runner and waits for the task token, for the input's approval timeout", () => {
      expect(approval.Resource).toBe(LAMBDA_INVOKE_WAIT_FOR_TOKEN);
      expect(approval.Parameters!.Payload["taskToken.$"]).toBe("$$.Task.Token");
      expect(approval.TimeoutSecondsPath).toBe("$.input.limits.approvalTimeoutSeconds");
      expect(approval.TimeoutSeconds).toBeUndefined();
      // The answer goes beside the input and the run state, for Reassess.
      expect(approval.ResultPath).toBe("$.approval");
      expect(approval.Next).toBe(STATES.reassess);
    });

    it("closes the approval on a rejection or a timeout, and rolls back on anything else", () => {
      expect(approval.Catch).toEqual([
        {
          ErrorEquals: ["ApprovalRejected", "States.Timeout"],
          ResultPath: "$.error",
          Next: STATES.approvalClosed,
        },
        { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.rollBack },
      ]);
    });

    it("does not retry States.Timeout: there it means nobody approved in time", () => {
      expect(approval.Retry).toEqual([
        TRANSIENT,
        { ...INTERRUPTED, ErrorEquals: ["StepRetryable", "Lambda.Unknown", "Sandbox.Timedout"] },
      ]);
    });
  });

  describe("Route", () => {
    const d = definition();
    const route = d.States[STATES.route];
    const entries = Object.fromEntries(route.Choices!.map((c) => [c.StringEquals, c.Next]));

    it("dispatches on $.run.next and ends in NothingToDo for anything else (done)", () => {
      expect(route.Choices!.every((c) => c.Variable === "$.run.next")).toBe(true);
      expect(route.Default).toBe(STATES.nothingToDo);
      expect(d.States[STATES.nothingToDo].Type).toBe("Succeed");
    });

    it.each([...ALL_STEPS, "request-approval"])("has an entry for %s", (entry) => {
      expect(d.States[entries[entry]]).toBeDefined();
    });

    it("enters each step at the task that does it, in the steps' order", () => {
      // STEP_TABLE holds every task in step order; a failover skips the catch-up and the restore,
      // a switchover the restore, a regional restore the fence, catch-up and promotion.
      expect(ALL_STEPS.map((step) => entries[step])).toEqual(STEP_TABLE.map((row) => row.state));
      const without = (...states: string[]) =>
        STEP_TABLE.filter((row) => !states.includes(row.state)).map((row) => row.state);
      const restoring = [STATES.restoreFromBackup, STATES.checkRestored];
      expect(FAILOVER_STEPS.map((step) => entries[step])).toEqual(
        without(STATES.checkCaughtUp, ...restoring),
      );
      expect(SWITCHOVER_STEPS.map((step) => entries[step])).toEqual(without(...restoring));
      expect(RESTORE_STEPS.map((step) => entries[step])).toEqual(
        without(STATES.fence, STATES.checkCaughtUp, STATES.promote, STATES.checkWritable),
      );
      expect(entries["request-approval"]).toBe(STATES.requestApproval);
    });
  });

  describe("the graph", () => {
    const d = definition();

    it("points every transition at an existing state", () => {
      const missing = Object.entries(d.States).flatMap(([name, s]) =>
        targetsOf(s)
          .filter((t) => d.States[t] === undefined)
          .map((t) => `${name} → ${t}`),
      );
      expect(missing).toEqual([]);
    });

    it("reaches every state from Begin", () => {
      const seen = new Set<string>([d.StartAt]);
      const queue = [d.StartAt];
      while (queue.length > 0) {
        for (const t of targetsOf(d.States[queue.shift()!])) {
          if (!seen.has(t)) {
            seen.add(t);
            queue.push(t);
          }
        }
      }
      expect(Object.keys(d.States).filter((name) => !seen.has(name))).toEqual([]);
    });

    it("runs the step table's tasks one after the other, through the wait loops' choices", () => {
      expect(STEP_TABLE.map((row) => [row.state, row.next])).toEqual([
        [STATES.notifyStart, STATES.promoteOrRestore],
        [STATES.fence, STATES.fenceHeld],
        [STATES.checkCaughtUp, STATES.caughtUp],
        [STATES.promote, STATES.waitForPromotion],
        [STATES.checkWritable, STATES.writable],
        [STATES.restoreFromBackup, STATES.waitForRestore],
        [STATES.checkRestored, STATES.restored],
        [STATES.switchWriter, STATES.enableBackups],
        [STATES.enableBackups, STATES.writeReport],
        [STATES.writeReport, STATES.notifySuccess],
        [STATES.notifySuccess, STATES.succeeded],
      ]);
      expect(targetsOf(d.States[STATES.caughtUp]).sort()).toEqual(
        [STATES.promote, STATES.waitForCatchUp].sort(),
      );
      expect(targetsOf(d.States[STATES.writable]).sort()).toEqual(
        [STATES.switchWriter, STATES.waitForPromotion].sort(),
      );
      expect(targetsOf(d.States[STATES.restored]).sort()).toEqual(
        [STATES.switchWriter, STATES.waitForRestore].sort(),
      );
      expect(d.States[STATES.waitForRestore]).toMatchObject({
        Type: "Wait",
        Seconds: 60,
        Next: STATES.checkRestored,
      });
    });

    it("waits the configured polls between checks", () => {
      const custom = definition(300, { promotionPollSeconds: 20, catchUpPollSeconds: 7 });
      expect(custom.States[STATES.waitForPromotion]).toMatchObject({
        Type: "Wait",
        Seconds: 20,
        Next: STATES.checkWritable,
      });
      expect(custom.States[STATES.waitForCatchUp]).toMatchObject({
        Type: "Wait",
        Seconds: 7,
        Next: STATES.checkCaughtUp,
      });
      expect(d.States[STATES.waitForPromotion].Seconds).toBe(15);
      expect(d.States[STATES.waitForCatchUp].Seconds).toBe(5);
    });
  });
});

describe("failoverDefinition with restoreCheckArn: a regional restore verifies its instance", () => {
  const RESTORE_CHECK_ARN = "arn:aws:lambda:ap-southeast-1:123456789012:function:restore-check-dev";
  const withCheck = failoverDefinition({
    stepRunnerArn: STEP_RUNNER_ARN,
    stepRunnerTimeoutSeconds: 300,
    restoreCheckArn: RESTORE_CHECK_ARN,
    restoreCheckTimeoutSeconds: 60,
  }) as unknown as DefinitionJson;

  it("is valid and goes Restored → VerifyRestored → SwitchWriter, failing to RollBack", () => {
    const result = aslValidator(JSON.parse(JSON.stringify(withCheck)));
    expect(result.errors).toEqual([]);
    expect(targetsOf(withCheck.States[STATES.restored]).sort()).toEqual(
      [STATES.verifyRestored, STATES.waitForRestore].sort(),
    );
    expect(withCheck.States[STATES.verifyRestored]).toEqual({
      Type: "Task",
      Comment: expect.any(String),
      Resource: LAMBDA_INVOKE,
      Parameters: { FunctionName: RESTORE_CHECK_ARN, Payload: { "endpoint.$": "$.run.replica.endpoint" } },
      ResultSelector: { "rowCount.$": "$.Payload.rowCount", "user.$": "$.Payload.user" },
      ResultPath: "$.verified",
      TimeoutSeconds: 90,
      Retry: [
        TRANSIENT,
        { ...INTERRUPTED, ErrorEquals: ["Lambda.Unknown", "Sandbox.Timedout", "States.Timeout"] },
        { ErrorEquals: ["RestoreCheckFailed"], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 },
      ],
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.rollBack }],
      Next: STATES.switchWriter,
    });
  });

  it("is left out without restoreCheckArn", () => {
    expect(definition().States[STATES.verifyRestored]).toBeUndefined();
  });
});
