import {
  checkRestoreAvailable,
  checkRestoreDeleted,
  dataAgeSeconds,
  deleteRestoreTest,
  longestTestSeconds,
  NEW_RESTORE_TEST,
  reportRestoreTest,
  RestoreTestError,
  restoreTestFreshness,
  RestoreTestTimeoutError,
  startRestoreTest,
  type RestoreTestContext,
  type RestoreTestState,
} from "../../../lib/lambda/core/restore-test";
import {
  runRestoreTestStep,
  validateRestoreTestRequest,
} from "../../../lib/lambda/core/restore-test-request";
import { STEP_ERRORS } from "../../../lib/lambda/core/workflow";
import {
  FakeRestoreTestDatabase,
  MemoryRestoreTestMetrics,
  MemoryRestoreTestStore,
} from "../../support/restore-test-fakes";

const T0 = Date.parse("2026-12-06T03:00:00.000Z");
const EXECUTION = "weekly-20261206";
const MINUTE = 60_000;

function world(latestRestorableAgoMs = 2 * MINUTE) {
  let now = T0;
  const database = new FakeRestoreTestDatabase(() => now, latestRestorableAgoMs);
  const store = new MemoryRestoreTestStore();
  const metrics = new MemoryRestoreTestMetrics();
  const ctx: RestoreTestContext = {
    database,
    store,
    metrics,
    clock: { nowMs: () => now },
    settings: {
      instanceId: "rds-restore-test-dev",
      restoreTimeoutSeconds: 3 * 3600,
      deleteTimeoutSeconds: 3600,
      maxRestorePointAgeSeconds: 900,
    },
  };
  return { ctx, database, store, metrics, advance: (ms: number) => (now += ms), now: () => now };
}

describe("startRestoreTest", () => {
  it("restores from the backups to their latest restorable time and records the restore point", async () => {
    const w = world();
    const s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    expect(w.database.calls).toEqual(["describe", "backups", `restore:${EXECUTION}`]);
    expect(s).toMatchObject({
      phase: "restoring",
      startedAtMs: T0,
      restoreCalledAtMs: T0,
      restorePointMs: T0 - 2 * MINUTE,
      backupsArn: "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-test",
    });
  });

  it("asks nothing more when this execution's restore already began (a retried attempt)", async () => {
    const w = world();
    await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    w.advance(MINUTE);
    w.database.calls.length = 0;
    const s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    expect(w.database.calls).toEqual(["describe"]);
    expect(s).toMatchObject({ phase: "restoring", restoreCalledAtMs: T0, restorePointMs: T0 - 2 * MINUTE });
  });

  it("never deletes an instance of another execution that may still be running (younger than a test lives)", async () => {
    const w = world();
    await startRestoreTest(w.ctx, "manual-20261206", NEW_RESTORE_TEST);
    // 5 h 15 min: the restore timeout (3 h), twice the delete timeout (1 h), 15 min.
    expect(longestTestSeconds(w.ctx.settings)).toBe(5 * 3600 + 15 * 60);
    w.advance(5 * 3600_000);
    w.database.calls.length = 0;
    await expect(startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST)).rejects.toThrow(
      /rds-restore-test-dev of manual-20261206 exists \(available, created 300 min ago\): another restore test may still be running \(a test lives at most 315 min\), so this one stops without touching it/,
    );
    expect(w.database.calls).toEqual(["describe"]);
  });

  it("deletes a leftover of an earlier execution first, then restores once it is gone", async () => {
    const w = world();
    await startRestoreTest(w.ctx, "weekly-20261129", NEW_RESTORE_TEST);
    w.advance(6 * 3600_000); // the leftover is available, and older than any test lives
    w.database.calls.length = 0;
    let s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    expect(w.database.calls).toEqual(["describe", "delete"]);
    expect(s).toMatchObject({ phase: "clearing-leftover", leftover: "weekly-20261129" });
    w.advance(2 * MINUTE);
    s = await startRestoreTest(w.ctx, EXECUTION, s);
    expect(s.phase).toBe("clearing-leftover");
    w.advance(4 * MINUTE);
    s = await startRestoreTest(w.ctx, EXECUTION, s);
    expect(s).toMatchObject({
      phase: "restoring",
      leftover: "weekly-20261129",
      startedAtMs: T0 + 6 * 3600_000,
    });
    expect(w.database.instance?.execution).toBe(EXECUTION);
  });

  it("fails when a leftover is not gone within the delete timeout", async () => {
    const w = world();
    await startRestoreTest(w.ctx, "weekly-20261129", NEW_RESTORE_TEST);
    w.advance(6 * 3600_000);
    w.database.deleteMs = 10 * 3600_000;
    const s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    w.advance(3601_000);
    await expect(startRestoreTest(w.ctx, EXECUTION, s)).rejects.toThrow(RestoreTestTimeoutError);
  });

  it("never touches an instance under its identifier that is not a restore-test instance", async () => {
    const w = world();
    await startRestoreTest(w.ctx, "someone-else", NEW_RESTORE_TEST);
    w.database.instance!.restoreTest = false;
    w.database.calls.length = 0;
    await expect(startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST)).rejects.toThrow(
      /not tagged DR-Role=restore-test: the restore test never deletes an instance it did not create/,
    );
    expect(w.database.calls).toEqual(["describe"]);
  });

  it("refuses without backups, with unreadable backups, and with a restore point older than the limit", async () => {
    const w = world();
    w.database.backupsView = { kind: "missing", reason: "RDS lists no automated backup of rds-primary-dev" };
    await expect(startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST)).rejects.toThrow(
      "No replicated backups to restore: RDS lists no automated backup of rds-primary-dev",
    );
    w.database.backupsView = {
      kind: "unreadable",
      apiError: "throttled",
      detail: "Throttling: Rate exceeded",
    };
    await expect(startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST)).rejects.toThrow(
      "The replicated backups could not be read (throttled): Throttling: Rate exceeded",
    );
    const old = world(16 * MINUTE);
    await expect(startRestoreTest(old.ctx, EXECUTION, NEW_RESTORE_TEST)).rejects.toThrow(
      /latest restorable time 2026-12-06T02:44:00.000Z is 960 s old \(limit 900 s\)/,
    );
    expect(old.database.instance).toBeNull();
  });
});

describe("checkRestoreAvailable", () => {
  async function restoring() {
    const w = world();
    const s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    return { w, s };
  }

  it("is not available while creating, then available with its endpoint", async () => {
    const { w, s } = await restoring();
    w.advance(10 * MINUTE);
    expect(await checkRestoreAvailable(w.ctx, s)).toMatchObject({ available: false, lastStatus: "creating" });
    w.advance(20 * MINUTE);
    expect(await checkRestoreAvailable(w.ctx, s)).toMatchObject({
      available: true,
      availableAtMs: T0 + 30 * MINUTE,
      endpoint: "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com",
      port: 5432,
    });
  });

  it.each([
    "failed",
    "incompatible-restore",
    "incompatible-parameters",
    "incompatible-network",
    "restore-error",
  ])("fails at once on %s", async (status) => {
    const { w, s } = await restoring();
    w.database.finalStatus = status;
    w.advance(30 * MINUTE);
    await expect(checkRestoreAvailable(w.ctx, s)).rejects.toThrow(
      new RestoreTestError(
        `The restore of rds-restore-test-dev ended in status ${status} after 1800 s: RDS does not bring it to available by itself`,
      ),
    );
  });

  it("fails after the restore timeout", async () => {
    const w = world();
    w.database.restoreMs = 5 * 3600_000;
    const s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    w.advance(3 * 3600_000);
    expect((await checkRestoreAvailable(w.ctx, s)).available).toBe(false);
    w.advance(1000);
    await expect(checkRestoreAvailable(w.ctx, s)).rejects.toThrow(RestoreTestTimeoutError);
  });

  it("fails when the instance disappeared", async () => {
    const { w, s } = await restoring();
    w.database.instance = null;
    await expect(checkRestoreAvailable(w.ctx, s)).rejects.toThrow(/gone while it was being restored/);
  });
});

describe("deleteRestoreTest and checkRestoreDeleted", () => {
  it("deletes once and waits until it is gone", async () => {
    const w = world();
    let s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    w.advance(30 * MINUTE);
    s = await checkRestoreAvailable(w.ctx, s);
    const check = { newestHeartbeatAt: "2026-12-06T02:57:30.000Z", rowCount: 2, user: "dr_monitor" };
    s = await deleteRestoreTest(w.ctx, EXECUTION, { ...s, check });
    expect(s).toMatchObject({ phase: "deleting", deleted: false, deleteCalledAtMs: T0 + 30 * MINUTE, check });
    // A retried delete finds it deleting and asks nothing more.
    w.database.calls.length = 0;
    s = await deleteRestoreTest(w.ctx, EXECUTION, s);
    expect(w.database.calls).toEqual(["describe"]);
    w.advance(MINUTE);
    expect((await checkRestoreDeleted(w.ctx, EXECUTION, s)).deleted).toBe(false);
    w.advance(4 * MINUTE);
    s = await checkRestoreDeleted(w.ctx, EXECUTION, s);
    expect(s).toMatchObject({ phase: "deleted", deleted: true, deletedAtMs: T0 + 35 * MINUTE });
  });

  it("leaves alone the instance of another test that is still running (an operator's test refused during the weekly one)", async () => {
    const w = world();
    await startRestoreTest(w.ctx, "weekly-20261206", NEW_RESTORE_TEST);
    w.advance(10 * MINUTE);
    const refused = {
      ...NEW_RESTORE_TEST,
      failure: { error: "StepFailed", cause: "another restore test may still be running" },
    };
    w.database.calls.length = 0;
    let s = await deleteRestoreTest(w.ctx, "manual-1", refused);
    expect(s).toMatchObject({ phase: "deleted", deleted: true });
    s = await checkRestoreDeleted(w.ctx, "manual-1", s);
    expect(s.deleted).toBe(true);
    expect(w.database.calls).toEqual(["describe", "describe"]);
    expect(w.database.instance?.execution).toBe("weekly-20261206");
  });

  it("is done at once when nothing exists (not-found = done), keeping the caught failure", async () => {
    const w = world();
    const failure = { error: "StepFailed", cause: "No replicated backups to restore" };
    const s = await deleteRestoreTest(w.ctx, EXECUTION, { ...NEW_RESTORE_TEST, failure });
    expect(s).toMatchObject({ phase: "deleted", deleted: true, failure });
    expect(w.database.calls).toEqual(["describe"]);
  });

  it("asks again while RDS refuses to delete an instance still being created", async () => {
    const w = world();
    let s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    s = await deleteRestoreTest(w.ctx, EXECUTION, {
      ...s,
      failure: { error: "StepTimedOut", cause: "too slow" },
    });
    expect(s).toMatchObject({ phase: "deleting", deleted: false });
    expect(w.database.instance?.status).toBe("creating");
    w.advance(30 * MINUTE);
    s = await checkRestoreDeleted(w.ctx, EXECUTION, s);
    expect(w.database.instance?.status).toBe("deleting");
    w.advance(5 * MINUTE);
    expect((await checkRestoreDeleted(w.ctx, EXECUTION, s)).deleted).toBe(true);
  });

  it("fails after the delete timeout", async () => {
    const w = world();
    w.database.refuseDeleteWhileCreating = false;
    w.database.deleteMs = 2 * 3600_000;
    let s = await startRestoreTest(w.ctx, EXECUTION, NEW_RESTORE_TEST);
    s = await deleteRestoreTest(w.ctx, EXECUTION, s);
    w.advance(3601_000);
    await expect(checkRestoreDeleted(w.ctx, EXECUTION, s)).rejects.toThrow(
      /after DeleteDBInstance \(limit 3600 s\): delete it by hand/,
    );
  });
});

describe("reportRestoreTest", () => {
  const done: RestoreTestState = {
    ...NEW_RESTORE_TEST,
    phase: "deleted",
    startedAtMs: T0,
    backupsArn: "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-test",
    restorePointMs: T0 - 2 * MINUTE,
    restoreCalledAtMs: T0 + 1000,
    available: true,
    availableAtMs: T0 + 1000 + 1800_000,
    endpoint: "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com",
    port: 5432,
    check: { newestHeartbeatAt: "2026-12-06T02:57:20.000Z", rowCount: 2, user: "dr_monitor" },
    deleted: true,
    deletedAtMs: T0 + 2400_000,
  };

  it("stores a success with its figures, copies it to latest-success and emits the three metrics", async () => {
    const w = world();
    const { report, state } = await reportRestoreTest(w.ctx, EXECUTION, done);
    expect(report).toMatchObject({
      id: EXECUTION,
      outcome: "succeeded",
      latestRestorableTime: "2026-12-06T02:58:00.000Z",
      figures: { restoreDurationSeconds: 1800, dataAgeSeconds: 40, rowCount: 2 },
    });
    expect(w.store.reports).toEqual([report]);
    expect(w.store.latest).toEqual(report);
    expect(state.reportLocation).toBe(`memory://restore-tests/${EXECUTION}.json`);
    expect(w.metrics.recorded).toEqual([
      { name: "RestoreTestSucceeded", unit: "Count", value: 1 },
      { name: "RestoreTestDurationSeconds", unit: "Seconds", value: 1800 },
      { name: "RestoreTestDataAgeSeconds", unit: "Seconds", value: 40 },
    ]);
  });

  it("stores a failure with its error and cleanup error, emits RestoreTestSucceeded 0 and keeps latest-success", async () => {
    const w = world();
    const failure = { error: "StepFailed", cause: "restore ended in failed" };
    const cleanupFailure = { error: "StepFailed", cause: "DeleteDBInstance refused" };
    const { report } = await reportRestoreTest(w.ctx, EXECUTION, {
      ...done,
      failure,
      cleanupFailure,
      check: null,
    });
    expect(report).toMatchObject({ outcome: "failed", error: failure, cleanupError: cleanupFailure });
    expect(w.store.latest).toBeNull();
    expect(w.metrics.recorded).toEqual([{ name: "RestoreTestSucceeded", unit: "Count", value: 0 }]);
  });

  it("computes the data age as restore point minus newest heartbeat", () => {
    expect(dataAgeSeconds(T0, "2026-12-06T02:59:00.500Z")).toBe(59.5);
    // A restore that reached past the point read before the call: at least that fresh.
    expect(dataAgeSeconds(T0, "2026-12-06T03:00:00.300Z")).toBe(0);
    expect(dataAgeSeconds(T0, null)).toBeNull();
    expect(dataAgeSeconds(null, "2026-12-06T02:59:00.500Z")).toBeNull();
  });
});

describe("restoreTestFreshness", () => {
  it("counts hours since the newest success", async () => {
    const w = world();
    await reportRestoreTest(w.ctx, EXECUTION, {
      ...NEW_RESTORE_TEST,
      check: { newestHeartbeatAt: null, rowCount: 1, user: "u" },
      deleted: true,
    });
    w.metrics.recorded.length = 0;
    w.advance(36 * 3600_000);
    expect(await restoreTestFreshness(w.ctx)).toEqual({
      ageHours: 36,
      since: "latest-success",
      sinceAt: "2026-12-06T03:00:00.000Z",
      latestSuccessId: EXECUTION,
    });
    expect(w.metrics.recorded).toEqual([{ name: "RestoreTestAgeHours", unit: "None", value: 36 }]);
    expect(w.store.firstSeenAtMs).toBeNull();
  });

  it("without any success counts from the first freshness run, written once", async () => {
    const w = world();
    expect((await restoreTestFreshness(w.ctx)).ageHours).toBe(0);
    w.advance(9 * 24 * 3600_000);
    expect(await restoreTestFreshness(w.ctx)).toEqual({
      ageHours: 216,
      since: "first-seen",
      sinceAt: "2026-12-06T03:00:00.000Z",
      latestSuccessId: null,
    });
  });
});

describe("validateRestoreTestRequest", () => {
  const base = {
    step: "restore-test-start",
    execution: {
      name: EXECUTION,
      id: `arn:aws:states:ap-southeast-1:123456789012:execution:sfn-restore-test-dev:${EXECUTION}`,
    },
    input: { mode: "test" },
    test: NEW_RESTORE_TEST,
  };

  it("accepts what the definition sends", () => {
    expect(validateRestoreTestRequest(base)).toEqual({ ...base, test: NEW_RESTORE_TEST });
  });

  it("accepts an operator's execution name with a dot, as Step Functions does", () => {
    const dotted = { ...base, execution: { name: "weekly.rerun", id: "arn:x:weekly.rerun" } };
    expect(validateRestoreTestRequest(dotted).execution.name).toBe("weekly.rerun");
  });

  it.each([
    [{ ...base, step: "restore-test-nope" }, /step must be one of restore-test-start/],
    [
      { ...base, input: { mode: "weekly" } },
      /input must be \{"mode":"test"\} or \{"mode":"freshness"\}, got \{"mode":"weekly"\}/,
    ],
    [
      { ...base, step: "restore-test-freshness" },
      /the step restore-test-freshness does not run in mode "test"/,
    ],
    [{ ...base, test: { ...NEW_RESTORE_TEST, phase: "lost" } }, /test.phase must be one of/],
    [{ ...base, test: { ...NEW_RESTORE_TEST, available: "yes" } }, /test.available must be true or false/],
    [{ ...base, execution: { name: "a b", id: "x" } }, /execution must be \{name, id\}/],
    [
      { ...base, test: { ...NEW_RESTORE_TEST, check: { rowCount: -1, user: "u", newestHeartbeatAt: null } } },
      /check must be the restore-check result/,
    ],
    [
      { ...base, test: { ...NEW_RESTORE_TEST, failure: "boom" } },
      /test.failure must be null or a caught error/,
    ],
  ])("refuses %j", (raw, message) => {
    let error: unknown;
    try {
      validateRestoreTestRequest(raw);
    } catch (e) {
      error = e;
    }
    expect((error as Error).name).toBe(STEP_ERRORS.inputRefused);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/Nothing was done\.$/);
  });

  it("normalises an error a Catch wrote into the test state", () => {
    const request = validateRestoreTestRequest({
      ...base,
      step: "restore-test-delete",
      test: { ...NEW_RESTORE_TEST, failure: { Error: "StepTimedOut", Cause: "still creating" } },
    });
    expect(request.test?.failure).toEqual({ error: "StepTimedOut", cause: "still creating" });
  });

  it("dispatches the freshness step without a test state", async () => {
    const w = world();
    const request = validateRestoreTestRequest({
      step: "restore-test-freshness",
      execution: base.execution,
      input: { mode: "freshness" },
    });
    expect(await runRestoreTestStep(w.ctx, request)).toEqual({
      input: { mode: "freshness" },
      freshness: {
        ageHours: 0,
        since: "first-seen",
        sinceAt: "2026-12-06T03:00:00.000Z",
        latestSuccessId: null,
      },
    });
  });
});
