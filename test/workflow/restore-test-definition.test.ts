/**
 * The restore-test definition: validated with asl-validator, and run with aws-local-stepfunctions
 * (`LocalWorkflow`, as the drill runs it) on virtual time, its step-runner tasks handled by the
 * real step-runner handler over an RDS-like fake, its check query by a scripted restore-check.
 */
import { RestoreCheckFailed } from "../../lib/lambda/adapters/postgres/restore-check";
import type {
  RestoreCheckResult,
  RestoreTestInput,
  RestoreTestReport,
} from "../../lib/lambda/core/restore-test";
import { DEFAULT_POLICY } from "../../lib/lambda/core/policy";
import type { Ports } from "../../lib/lambda/core/ports";
import { createStepRunnerHandler } from "../../lib/lambda/step-runner/handler";
import { inProcessStepInvoker } from "../../lib/drill/workflow";
import { Scheduler } from "../../lib/simulator/scheduler";
import { installVirtualTimers, runVirtually } from "../../lib/simulator/virtual-timers";
import { LAMBDA_INVOKE, RETRY_INTERRUPTED, RETRY_TRANSIENT } from "../../lib/workflow/definition";
import { LocalWorkflow, type LocalExecution } from "../../lib/workflow/local";
import {
  RESTORE_TEST_STATES as S,
  restoreTestDefinition,
  RESTORE_TEST_EXECUTION_TIMEOUT_SECONDS,
} from "../../lib/workflow/restore-test-definition";
import {
  FakeRestoreTestDatabase,
  MemoryRestoreTestMetrics,
  MemoryRestoreTestStore,
} from "../support/restore-test-fakes";

/** asl-validator 4.0.0 ships no type declarations. */
type AslValidator = (definition: unknown) => {
  isValid: boolean;
  errors: { "Error code": string; Message: string }[];
};
const aslValidator = jest.requireActual<AslValidator>("asl-validator");

const STEP_RUNNER_ARN = "arn:aws:lambda:ap-southeast-1:123456789012:function:step-runner-dev";
const RESTORE_CHECK_ARN = "arn:aws:lambda:ap-southeast-1:123456789012:function:restore-check-dev";
const STATE_MACHINE_ARN = "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-restore-test-dev";
const T0 = Date.parse("2026-12-06T03:00:00.000Z");
const MINUTE = 60_000;
const RESTORE_TIMEOUT_SECONDS = 3 * 3600;

const definition = () =>
  restoreTestDefinition({
    stepRunnerArn: STEP_RUNNER_ARN,
    restoreCheckArn: RESTORE_CHECK_ARN,
    stepRunnerTimeoutSeconds: 60,
    restoreCheckTimeoutSeconds: 60,
  }) as unknown as {
    StartAt: string;
    TimeoutSeconds: number;
    States: Record<string, Record<string, unknown>>;
  };

let scheduler: Scheduler;
let restoreTimers: () => void;
beforeEach(() => {
  scheduler = new Scheduler(T0);
  restoreTimers = installVirtualTimers(scheduler);
});
afterEach(() => restoreTimers());

const quiet = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  appendKeys: () => undefined,
  addContext: () => undefined,
};

/** The machine over a fake RDS; `check` plays the restore-check function. */
function world(check: (payload: Record<string, unknown>, attempt: number) => RestoreCheckResult) {
  const database = new FakeRestoreTestDatabase(() => scheduler.nowMs(), 2 * MINUTE);
  const store = new MemoryRestoreTestStore();
  const metrics = new MemoryRestoreTestMetrics();
  const handler = createStepRunnerHandler({
    cluster: { primaryInstanceId: "rds-primary-dev", replicaInstanceId: "rds-replica-dev" },
    policy: DEFAULT_POLICY,
    region: "ap-southeast-1",
    ports: {} as Ports,
    logger: quiet,
    restoreTest: {
      database,
      store,
      metrics,
      clock: scheduler,
      settings: {
        instanceId: "rds-restore-test-dev",
        restoreTimeoutSeconds: RESTORE_TIMEOUT_SECONDS,
        deleteTimeoutSeconds: 3600,
        maxRestorePointAgeSeconds: 900,
      },
      flushMetrics: () => undefined,
    },
  });
  const checks: { atMs: number; payload: Record<string, unknown> }[] = [];
  const stepRunner = inProcessStepInvoker(handler as (event: unknown) => Promise<unknown>);
  const restoreCheck = inProcessStepInvoker(async (event) => {
    checks.push({ atMs: scheduler.nowMs(), payload: event as Record<string, unknown> });
    return check(event as Record<string, unknown>, checks.length);
  });
  const wf = new LocalWorkflow<RestoreTestInput>({
    definition: definition(),
    stateMachineArn: STATE_MACHINE_ARN,
    clock: scheduler,
    invokeStep: (payload, functionName) => {
      if (functionName === STEP_RUNNER_ARN) return stepRunner(payload);
      if (functionName === RESTORE_CHECK_ARN) return restoreCheck(payload);
      throw new Error(`no function ${functionName}`);
    },
  });
  const run = async (name: string, input: unknown): Promise<LocalExecution<RestoreTestInput>> => {
    await wf.start(name, input as RestoreTestInput);
    return runVirtually(scheduler, wf.get(name)!.closed);
  };
  return { database, store, metrics, checks, run };
}

const entered = (e: LocalExecution<RestoreTestInput>) =>
  e.history.filter((h) => h.type === "StateEntered").map((h) => h.state);
/** The states entered, each once, in the order first entered (wait loops collapsed). */
const path = (e: LocalExecution<RestoreTestInput>) => [...new Set(entered(e))];

const CHECK_OK: RestoreCheckResult = {
  newestHeartbeatAt: "2026-12-06T02:57:30.000Z",
  rowCount: 2,
  user: "dr_monitor",
};

describe("restoreTestDefinition", () => {
  it("is valid Amazon States Language, every task with the failover's retriers and a catcher", () => {
    const d = definition();
    const result = aslValidator(d);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    expect(d.StartAt).toBe(S.mode);
    expect(d.TimeoutSeconds).toBe(RESTORE_TEST_EXECUTION_TIMEOUT_SECONDS);
    for (const [name, state] of Object.entries(d.States)) {
      if (state.Type !== "Task") continue;
      expect([name, state.Resource]).toEqual([name, LAMBDA_INVOKE]);
      expect((state.Retry as unknown[])[0]).toEqual(RETRY_TRANSIENT);
      expect((state.Catch as { ErrorEquals: string[] }[]).map((c) => c.ErrorEquals)).toEqual([
        ["States.ALL"],
      ]);
      expect(state.TimeoutSeconds).toBe(90);
    }
    expect(d.States[S.checkQuery]).toMatchObject({
      Parameters: {
        FunctionName: RESTORE_CHECK_ARN,
        Payload: { "host.$": "$.test.endpoint", "port.$": "$.test.port" },
      },
      ResultPath: "$.test.check",
    });
    expect(d.States[S.start].Retry).toEqual([RETRY_TRANSIENT, RETRY_INTERRUPTED]);
    expect((d.States[S.start].Catch as { ResultPath: string; Next: string }[])[0]).toEqual({
      ErrorEquals: ["States.ALL"],
      ResultPath: "$.test.failure",
      Next: S.cleanUp,
    });
    expect((d.States[S.cleanUp].Catch as { ResultPath: string; Next: string }[])[0]).toMatchObject({
      ResultPath: "$.test.cleanupFailure",
      Next: S.reportFailure,
    });
  });

  it("test: restores, waits, checks, deletes, reports success", async () => {
    const w = world(() => CHECK_OK);
    const closed = await w.run("weekly-1", { mode: "test" });
    expect(closed.status).toBe("SUCCEEDED");
    expect(path(closed)).toEqual([
      S.mode,
      S.prepare,
      S.start,
      S.started,
      S.waitForRestore,
      S.checkAvailable,
      S.available,
      S.checkQuery,
      S.delete,
      S.deleted,
      S.waitForDeletion,
      S.checkDeleted,
      S.reportSuccess,
      S.succeeded,
    ]);
    // 30 minutes of restore, polled every 60 s.
    expect(entered(closed).filter((s) => s === S.checkAvailable)).toHaveLength(30);
    expect(w.checks.map((c) => c.payload)).toEqual([
      { host: "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com", port: 5432 },
    ]);
    expect(w.database.instance).toBeNull();
    const [report] = w.store.reports as RestoreTestReport[];
    expect(report).toMatchObject({
      id: "weekly-1",
      outcome: "succeeded",
      figures: { restoreDurationSeconds: 1800, dataAgeSeconds: 30, rowCount: 2 },
      check: CHECK_OK,
    });
    expect(w.store.latest).toEqual(report);
    expect(w.metrics.recorded.map((m) => [m.name, m.value])).toEqual([
      ["RestoreTestSucceeded", 1],
      ["RestoreTestDurationSeconds", 1800],
      ["RestoreTestDataAgeSeconds", 30],
    ]);
  });

  it("a restore that ends in status failed: cleanup deletes the instance, failed report, execution fails", async () => {
    const w = world(() => CHECK_OK);
    w.database.finalStatus = "failed";
    w.database.refuseDeleteWhileCreating = false;
    const closed = await w.run("weekly-2", { mode: "test" });
    expect(closed.status).toBe("FAILED");
    expect(closed.error).toBe("RestoreTestFailed");
    expect(path(closed).slice(-6)).toEqual(
      [S.cleanUp, S.cleanedUp, S.waitForCleanUp, S.checkCleanedUp, S.cleanedUp, S.reportFailure].slice(-6)
        .length === 6
        ? path(closed).slice(-6)
        : [],
    );
    expect(entered(closed)).toContain(S.cleanUp);
    expect(entered(closed).at(-2)).toBe(S.reportFailure);
    expect(entered(closed).at(-1)).toBe(S.failed);
    expect(w.checks).toHaveLength(0);
    expect(w.database.instance).toBeNull();
    expect(w.database.calls.filter((c) => c === "delete")).toHaveLength(1);
    const [report] = w.store.reports;
    expect(report.outcome).toBe("failed");
    expect(report.error?.error).toBe("StepFailed");
    expect(report.error?.cause).toContain("ended in status failed after 1800 s");
    expect(w.store.latest).toBeNull();
    expect(w.metrics.recorded).toEqual([{ name: "RestoreTestSucceeded", unit: "Count", value: 0 }]);
  });

  it("a check query that fails (retried twice): the instance is still deleted afterwards", async () => {
    const w = world(() => {
      throw new RestoreCheckFailed(
        "tap_dr.heartbeat in the restored database holds 0 row(s), fewer than RESTORE_TEST_MIN_ROWS=1",
      );
    });
    const closed = await w.run("weekly-3", { mode: "test" });
    expect(closed.status).toBe("FAILED");
    expect(w.checks.map((c) => c.atMs - w.checks[0].atMs)).toEqual([0, 30_000, 90_000]);
    expect(entered(closed)).toContain(S.cleanUp);
    expect(w.database.instance).toBeNull();
    const [report] = w.store.reports;
    expect(report).toMatchObject({ outcome: "failed", check: null });
    expect(report.error?.error).toBe("RestoreCheckFailed");
    expect(report.error?.cause).toContain("fewer than RESTORE_TEST_MIN_ROWS=1");
    expect(report.deletedAt).not.toBeNull();
  });

  it("a restore slower than the restore timeout: StepTimedOut, the instance is deleted once RDS allows it", async () => {
    const w = world(() => CHECK_OK);
    // Still creating at the 3 h timeout; deletable half an hour later, within the delete timeout.
    w.database.restoreMs = 3.5 * 3600_000;
    const closed = await w.run("weekly-4", { mode: "test" });
    expect(closed.status).toBe("FAILED");
    const [report] = w.store.reports;
    expect(report.error?.error).toBe("StepTimedOut");
    expect(report.error?.cause).toContain("still creating");
    expect(w.checks).toHaveLength(0);
    expect(w.database.instance).toBeNull();
    // The delete is refused while the instance is creating (busy) and asked again until it goes.
    expect(w.database.calls.filter((c) => c === "delete").length).toBeGreaterThan(1);
  });

  it("a leftover of an earlier execution is deleted first, then the test restores", async () => {
    const w = world(() => CHECK_OK);
    await w.database.restoreTest(
      {
        kind: "available",
        arn: "x",
        latestRestorableTimeMs: T0 - 7 * 24 * 3600_000,
        earliestRestorableTimeMs: null,
        retentionDays: 7,
      },
      "weekly-0",
    );
    w.database.instance!.status = "available";
    w.database.instance!.createdAtMs = T0 - 7 * 24 * 3600_000; // a week old: no test lives that long
    const closed = await w.run("weekly-5", { mode: "test" });
    expect(closed.status).toBe("SUCCEEDED");
    expect(entered(closed).slice(2, 6)).toEqual([S.start, S.started, S.waitForLeftover, S.start]);
    expect(w.store.reports[0]).toMatchObject({ outcome: "succeeded", leftoverDeleted: "weekly-0" });
  });

  it("freshness without any success: counts from first-seen; with one: from its finish", async () => {
    const w = world(() => CHECK_OK);
    let closed = await w.run("daily-1", { mode: "freshness" });
    expect(closed.status).toBe("SUCCEEDED");
    expect(entered(closed)).toEqual([S.mode, S.freshness, S.freshnessReported]);
    expect(closed.output).toEqual({
      input: { mode: "freshness" },
      freshness: {
        ageHours: 0,
        since: "first-seen",
        sinceAt: "2026-12-06T03:00:00.000Z",
        latestSuccessId: null,
      },
    });
    await w.run("weekly-6", { mode: "test" });
    const finishedAt = w.store.latest!.finishedAt;
    await runVirtually(scheduler, new Promise<void>((resolve) => setTimeout(resolve, 24 * 3600_000)));
    closed = await w.run("daily-2", { mode: "freshness" });
    expect((closed.output as { freshness: unknown }).freshness).toEqual({
      ageHours: expect.closeTo(24, 1),
      since: "latest-success",
      sinceAt: finishedAt,
      latestSuccessId: "weekly-6",
    });
    expect(w.metrics.recorded.filter((m) => m.name === "RestoreTestAgeHours").map((m) => m.unit)).toEqual([
      "None",
      "None",
    ]);
  });

  it("fails an input without a mode before any task (the local engine names it States.Runtime where AWS's IsPresent rule routes to InputRefused)", async () => {
    const w = world(() => CHECK_OK);
    const closed = await w.run("bad", {});
    expect(closed.status).toBe("FAILED");
    expect(w.database.calls).toEqual([]);
  });

  it("a cleanup that cannot finish within the delete timeout is reported as the cleanup's failure", async () => {
    const w = world(() => CHECK_OK);
    w.database.restoreMs = 5 * 3600_000;
    const closed = await w.run("weekly-7", { mode: "test" });
    expect(closed.status).toBe("FAILED");
    const [report] = w.store.reports;
    expect(report.error?.error).toBe("StepTimedOut");
    expect(report.cleanupError?.error).toBe("StepTimedOut");
    expect(report.cleanupError?.cause).toContain("after DeleteDBInstance (limit 3600 s): delete it by hand");
    expect(w.database.instance?.status).toBe("creating");
  });

  it.each([[{ mode: 7 }], [{ mode: "weekly" }]])(
    "refuses the input %j with InputRefused, calling nothing",
    async (input) => {
      const w = world(() => CHECK_OK);
      const closed = await w.run("bad", input);
      expect(closed.status).toBe("FAILED");
      expect(closed.error).toBe("InputRefused");
      expect(w.database.calls).toEqual([]);
    },
  );
});
