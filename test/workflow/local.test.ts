import type { WorkflowInput, WorkflowTask } from "../../lib/lambda/core/workflow";
import { Scheduler } from "../../lib/simulator/scheduler";
import { installVirtualTimers, runVirtually } from "../../lib/simulator/virtual-timers";
import { STATES, failoverDefinition } from "../../lib/workflow/definition";
import {
  LocalWorkflow,
  forLocalEngine,
  functionError,
  type LocalExecution,
  type LocalWorkflowOptions,
} from "../../lib/workflow/local";

const STATE_MACHINE_ARN = "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev";
const T0_MS = Date.UTC(2026, 2, 1, 10, 0, 0);
const APPROVAL_TIMEOUT_SECONDS = 3600;

/** Only what the state machine itself reads from an input: the step runner is scripted here. */
function inputFor(incident: string, extra: Record<string, unknown> = {}): WorkflowInput {
  return {
    incident,
    decision: { planned: false },
    limits: { approvalTimeoutSeconds: APPROVAL_TIMEOUT_SECONDS },
    ...extra,
  } as unknown as WorkflowInput;
}

type Payload = Record<string, unknown> & { step: WorkflowTask; run?: Record<string, unknown> };
/** What a scripted task does: the run-state fields it sets, or an error it throws. */
type Script = Partial<Record<WorkflowTask, (payload: Payload, attempt: number) => Record<string, unknown>>>;

interface Call {
  readonly step: WorkflowTask;
  readonly atMs: number;
  readonly payload: Payload;
}

let scheduler: Scheduler;
let restoreTimers: () => void;

beforeEach(() => {
  scheduler = new Scheduler(T0_MS);
  restoreTimers = installVirtualTimers(scheduler);
});
afterEach(() => restoreTimers());

/** A LocalWorkflow whose step runner follows `script`: Begin routes to `entry`, other tasks keep the run state. */
function workflow(entry: string, script: Script = {}, options: Partial<LocalWorkflowOptions> = {}) {
  const calls: Call[] = [];
  const wf = new LocalWorkflow({
    definition: failoverDefinition({
      stepRunnerArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:step-runner-dev",
      stepRunnerTimeoutSeconds: 300,
    }),
    stateMachineArn: STATE_MACHINE_ARN,
    clock: scheduler,
    invokeStep: async (raw) => {
      const payload = raw as Payload;
      const attempt = calls.filter((c) => c.step === payload.step).length + 1;
      calls.push({ step: payload.step, atMs: scheduler.nowMs(), payload });
      const base = payload.step === "begin" ? { next: entry } : { ...payload.run };
      const patch = script[payload.step]?.(payload, attempt) ?? {};
      return { input: payload.input, run: { ...base, ...patch } };
    },
    ...options,
  });
  return { wf, calls, steps: () => calls.map((c) => c.step) };
}

/** Lets the engine run everything that needs no time to pass. */
const settle = () => scheduler.runUntil(scheduler.nowMs());

const entered = (e: LocalExecution) => e.history.filter((h) => h.type === "StateEntered").map((h) => h.state);

describe("LocalWorkflow StartExecution semantics", () => {
  it("is idempotent for the same name and input while running, and answers already-exists otherwise", async () => {
    const { wf } = workflow("request-approval");
    const input = inputFor("failover-a");
    const first = await wf.start("failover-a", input);
    await settle();
    expect(first).toEqual({
      name: "failover-a",
      arn: "arn:aws:states:ap-southeast-1:123456789012:execution:sfn-failover-dev:failover-a",
      status: "RUNNING",
      startedAtMs: T0_MS,
      stoppedAtMs: null,
      started: true,
    });
    expect(await wf.start("failover-a", inputFor("failover-a"))).toEqual(first);
    expect(await wf.start("failover-a", inputFor("failover-a", { requestedBy: "alice" }))).toEqual({
      ...first,
      started: false,
    });
    expect(wf.all()).toHaveLength(1);

    const [{ token }] = wf.pendingTokens();
    wf.sendTaskFailure(token, "ApprovalRejected", "not now");
    const closed = await runVirtually(scheduler, wf.get("failover-a")!.closed);
    expect(closed.status).toBe("SUCCEEDED");
    expect(await wf.start("failover-a", input)).toEqual({
      ...first,
      status: "SUCCEEDED",
      stoppedAtMs: T0_MS,
      started: false,
    });
    expect(wf.all()).toHaveLength(1);
  });

  it("lists only running executions, newest first", async () => {
    const { wf } = workflow("request-approval");
    await wf.start("failover-a", inputFor("failover-a"));
    await scheduler.runUntil(T0_MS + 1000);
    await wf.start("failover-b", inputFor("failover-b"));
    await scheduler.runUntil(T0_MS + 2000);
    await wf.start("failover-c", inputFor("failover-c"));
    await settle();
    expect((await wf.running()).map((e) => [e.name, e.startedAtMs])).toEqual([
      ["failover-c", T0_MS + 2000],
      ["failover-b", T0_MS + 1000],
      ["failover-a", T0_MS],
    ]);
    const tokenOf = (name: string) => wf.pendingTokens().find((t) => t.execution === name)!.token;
    wf.sendTaskFailure(tokenOf("failover-b"), "ApprovalRejected", "no");
    await runVirtually(scheduler, wf.get("failover-b")!.closed);
    expect((await wf.running()).map((e) => e.name)).toEqual(["failover-c", "failover-a"]);
  });
});

describe("LocalWorkflow approval", () => {
  async function waitingForApproval(script: Script = {}) {
    const w = workflow("request-approval", script);
    await w.wf.start("failover-a", inputFor("failover-a"));
    await settle();
    const pending = w.wf.pendingTokens();
    expect(pending).toHaveLength(1);
    // The token the step runner was handed (for the alert's commands) is the one that answers.
    const request = w.calls.find((c) => c.step === "request-approval")!;
    expect(request.payload.taskToken).toBe(pending[0].token);
    expect(pending[0].execution).toBe("failover-a");
    return { ...w, token: pending[0].token, execution: w.wf.get("failover-a")! };
  }

  it("hands an approval's answer to Reassess, which routes on", async () => {
    const { wf, calls, steps, token, execution } = await waitingForApproval({
      reassess: () => ({ next: "done" }),
    });
    await scheduler.runUntil(T0_MS + 600_000);
    wf.sendTaskSuccess(token, { approvedBy: "alice" });
    const closed = await runVirtually(scheduler, execution.closed);
    expect(steps()).toEqual(["begin", "request-approval", "reassess"]);
    const reassess = calls[2];
    expect(reassess.payload.approval).toEqual({ approvedBy: "alice" });
    expect(reassess.atMs).toBe(T0_MS + 600_000);
    expect(closed.status).toBe("SUCCEEDED");
    expect(entered(closed).slice(-3)).toEqual([STATES.reassess, STATES.route, STATES.nothingToDo]);
    expect(wf.pendingTokens()).toEqual([]);
  });

  it("closes a rejected approval: ApprovalClosed gets the rejection and the execution stays blocked", async () => {
    const { wf, calls, steps, token, execution } = await waitingForApproval();
    wf.sendTaskFailure(token, "ApprovalRejected", "bob: the primary is coming back");
    const closed = await runVirtually(scheduler, execution.closed);
    expect(steps()).toEqual(["begin", "request-approval", "approval-closed"]);
    expect(calls[2].payload.error).toEqual({
      Error: "ApprovalRejected",
      Cause: "bob: the primary is coming back",
    });
    expect(closed.status).toBe("SUCCEEDED");
    expect(entered(closed).slice(-2)).toEqual([STATES.approvalClosed, STATES.stayedBlocked]);
  });

  it("closes an unanswered approval with States.Timeout after the input's approval timeout", async () => {
    const { wf, calls, steps, token, execution } = await waitingForApproval();
    const closed = await runVirtually(scheduler, execution.closed);
    expect(steps()).toEqual(["begin", "request-approval", "approval-closed"]);
    const closing = calls[2];
    expect((closing.payload.error as { Error: string }).Error).toBe("States.Timeout");
    expect(closing.atMs).toBe(T0_MS + APPROVAL_TIMEOUT_SECONDS * 1000);
    expect(closed.status).toBe("SUCCEEDED");
    expect(entered(closed).slice(-2)).toEqual([STATES.approvalClosed, STATES.stayedBlocked]);
    // Not retried: one RequestApproval, and its token is dead.
    expect(entered(closed).filter((s) => s === STATES.requestApproval)).toHaveLength(1);
    expect(wf.pendingTokens()).toEqual([]);
    expect(() => wf.sendTaskSuccess(token, { approvedBy: "late" })).toThrow(/^TaskDoesNotExist/);
  });
});

describe("LocalWorkflow failures and retries", () => {
  it("fails a malformed input at Begin with InputRefused, calling the step runner for Begin only", async () => {
    const refusal = "Refused the workflow input: version must be 1, got 7. Nothing was done.";
    const { wf, steps } = workflow("notify-start", {
      begin: () => {
        throw functionError("InputRefused", refusal);
      },
    });
    await wf.start("failover-a", inputFor("failover-a"));
    const closed = await runVirtually(scheduler, wf.get("failover-a")!.closed);
    expect(steps()).toEqual(["begin"]);
    expect(closed.status).toBe("FAILED");
    expect(closed.error).toBe("InputRefused");
    expect(JSON.parse(closed.cause!)).toEqual({ errorType: "InputRefused", errorMessage: refusal });
    expect(entered(closed)).toEqual([STATES.begin, STATES.inputRefused]);
  });

  it("retries a step runner that crashed once (Lambda.Unknown) after 5 s and resumes the execution", async () => {
    const { wf, calls, steps } = workflow("switch-writer", {
      "switch-writer": (_payload, attempt) => {
        if (attempt === 1) throw functionError("Lambda.Unknown", "The function timed out");
        return {};
      },
    });
    await wf.start("failover-a", inputFor("failover-a"));
    const closed = await runVirtually(scheduler, wf.get("failover-a")!.closed);
    expect(steps()).toEqual([
      "begin",
      "switch-writer",
      "switch-writer",
      "enable-backups",
      "write-report",
      "notify-success",
    ]);
    expect(calls[2].atMs - calls[1].atMs).toBe(5000);
    expect(closed.status).toBe("SUCCEEDED");
    expect(entered(closed)).toEqual([
      STATES.begin,
      STATES.route,
      STATES.switchWriter,
      STATES.enableBackups,
      STATES.writeReport,
      STATES.notifySuccess,
      STATES.succeeded,
    ]);
    expect(closed.history.filter((h) => h.type === "StateRetried").map((h) => h.state)).toEqual([
      STATES.switchWriter,
    ]);
    // Seven states entered plus one retry, as Step Functions bills them.
    expect(closed.transitions).toBe(8);
  });
});

describe("LocalWorkflow waits", () => {
  const writableOnThirdCheck: Script = { "check-writable": (_p, attempt) => ({ writable: attempt >= 3 }) };

  it("waits WaitForPromotion's 15 s of virtual time between promotion checks", async () => {
    const { wf, calls } = workflow("wait-replica-writable", writableOnThirdCheck);
    await wf.start("failover-a", inputFor("failover-a"));
    const closed = await runVirtually(scheduler, wf.get("failover-a")!.closed);
    const at = (step: WorkflowTask) => calls.filter((c) => c.step === step).map((c) => c.atMs - T0_MS);
    expect(at("check-writable")).toEqual([0, 15_000, 30_000]);
    expect(at("switch-writer")).toEqual([30_000]);
    expect(closed.status).toBe("SUCCEEDED");
    expect(closed.stoppedAtMs! - closed.startedAtMs).toBe(30_000);
  });

  it("waits what waitOverridesMs says instead", async () => {
    const { wf, calls } = workflow("wait-replica-writable", writableOnThirdCheck, {
      waitOverridesMs: { [STATES.waitForPromotion]: 1000 },
    });
    await wf.start("failover-a", inputFor("failover-a"));
    await runVirtually(scheduler, wf.get("failover-a")!.closed);
    expect(calls.filter((c) => c.step === "check-writable").map((c) => c.atMs - T0_MS)).toEqual([
      0, 1000, 2000,
    ]);
  });
});

describe("forLocalEngine", () => {
  const definition = failoverDefinition({
    stepRunnerArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:step-runner-dev",
    stepRunnerTimeoutSeconds: 300,
  });
  const statesOf = (d: Record<string, unknown>) => d.States as Record<string, Record<string, unknown>>;

  it("points the approval's timeout path into the Parameters, where the local engine resolves it", () => {
    const local = forLocalEngine(definition);
    expect(statesOf(local)[STATES.requestApproval].TimeoutSecondsPath).toBe(
      "$.Payload.input.limits.approvalTimeoutSeconds",
    );
    expect(statesOf(definition)[STATES.requestApproval].TimeoutSecondsPath).toBe(
      "$.input.limits.approvalTimeoutSeconds",
    );
    const { [STATES.requestApproval]: _approval, ...others } = statesOf(local);
    const { [STATES.requestApproval]: _original, ...originals } = statesOf(definition);
    expect(others).toEqual(originals);
  });

  it("refuses a timeout path the task's Payload does not carry", () => {
    const states = statesOf(definition);
    const odd = {
      ...definition,
      States: {
        ...states,
        [STATES.requestApproval]: { ...states[STATES.requestApproval], TimeoutSecondsPath: "$.limits.x" },
      },
    };
    expect(() => forLocalEngine(odd)).toThrow(
      "RequestApproval: TimeoutSecondsPath $.limits.x is not in the task's Payload, so the local engine cannot resolve it",
    );
  });
});

describe("LocalWorkflow regional restore with VerifyRestored", () => {
  const RESTORE_CHECK_ARN = "arn:aws:lambda:ap-southeast-1:123456789012:function:restore-check-dev";
  const restoredEndpoint = "rds-restored-dev.abc.ap-southeast-1.rds.amazonaws.com";

  function verifying(check: (attempt: number) => unknown) {
    const calls: { fn: string; step: string; atMs: number; payload: Record<string, unknown> }[] = [];
    const wf = new LocalWorkflow({
      definition: failoverDefinition({
        stepRunnerArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:step-runner-dev",
        stepRunnerTimeoutSeconds: 300,
        restoreCheckArn: RESTORE_CHECK_ARN,
      }),
      stateMachineArn: STATE_MACHINE_ARN,
      clock: scheduler,
      invokeStep: async (raw, functionName) => {
        const payload = raw as Payload;
        if (functionName === RESTORE_CHECK_ARN) {
          calls.push({ fn: "restore-check", step: "", atMs: scheduler.nowMs(), payload });
          return check(calls.filter((c) => c.fn === "restore-check").length);
        }
        calls.push({ fn: "step-runner", step: payload.step, atMs: scheduler.nowMs(), payload });
        const base =
          payload.step === "begin"
            ? { next: "wait-restored", replica: { endpoint: restoredEndpoint } }
            : { ...payload.run, ...(payload.step === "check-restored" ? { writable: true } : {}) };
        return { input: payload.input, run: base };
      },
    });
    return { wf, calls };
  }

  it("checks the restored instance's endpoint as the monitor's role before switching writer", async () => {
    const { wf, calls } = verifying(() => ({ newestHeartbeatAt: null, rowCount: 1, user: "dr_monitor" }));
    await wf.start("restore-a", inputFor("restore-a"));
    const closed = await runVirtually(scheduler, wf.get("restore-a")!.closed);
    expect(closed.status).toBe("SUCCEEDED");
    expect(calls.map((c) => c.step || c.fn)).toEqual([
      "begin",
      "check-restored",
      "restore-check",
      "switch-writer",
      "enable-backups",
      "write-report",
      "notify-success",
    ]);
    expect(calls[2].payload).toEqual({ endpoint: restoredEndpoint });
  });

  it("rolls back without switching writer when the restored instance does not answer (after two retries)", async () => {
    const { wf, calls } = verifying(() => {
      throw functionError("RestoreCheckFailed", "Cannot connect to the restored instance as dr_monitor");
    });
    await wf.start("restore-b", inputFor("restore-b"));
    const closed = await runVirtually(scheduler, wf.get("restore-b")!.closed);
    expect(closed.status).toBe("FAILED");
    const checks = calls.filter((c) => c.fn === "restore-check").map((c) => c.atMs - T0_MS);
    expect(checks).toEqual([0, 30_000, 90_000]);
    expect(calls.map((c) => c.step).filter((s) => s !== "")).toEqual([
      "begin",
      "check-restored",
      "roll-back",
    ]);
    const rollBack = calls.find((c) => c.step === "roll-back")!;
    expect((rollBack.payload.error as { Error: string }).Error).toBe("RestoreCheckFailed");
  });
});
