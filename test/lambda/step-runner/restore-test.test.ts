/**
 * The step runner serving the restore-test machine: routing by step, validation, error names, and
 * the EMF flush after every invocation (with the Powertools metrics the deployed wiring uses).
 */
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import type { Ports } from "../../../lib/lambda/core/ports";
import { NEW_RESTORE_TEST, type RestoreTestContext } from "../../../lib/lambda/core/restore-test";
import { STEP_ERRORS, StepError } from "../../../lib/lambda/core/workflow";
import { createStepRunnerHandler } from "../../../lib/lambda/step-runner/handler";
import { powertoolsRestoreTestMetrics } from "../../../lib/lambda/step-runner/restore-test";
import { createMetrics } from "../../../lib/lambda/telemetry";
import { FakeRestoreTestDatabase, MemoryRestoreTestStore } from "../../support/restore-test-fakes";

const T0 = Date.parse("2026-12-06T03:00:00.000Z");
const NAME = "weekly-20261206";
const EXECUTION = {
  name: NAME,
  id: `arn:aws:states:ap-southeast-1:123456789012:execution:sfn-restore-test-dev:${NAME}`,
};

function setup(options: { configured?: boolean } = {}) {
  let now = T0;
  const database = new FakeRestoreTestDatabase(() => now, 60_000);
  const store = new MemoryRestoreTestStore();
  const metrics = createMetrics("TapStack/DR", "step-runner", "dev");
  const sink = powertoolsRestoreTestMetrics(metrics);
  const flushes: number[] = [];
  const ctx: RestoreTestContext & { flushMetrics: () => void } = {
    database,
    store,
    metrics: sink,
    clock: { nowMs: () => now },
    settings: {
      instanceId: "rds-restore-test-dev",
      restoreTimeoutSeconds: 10_800,
      deleteTimeoutSeconds: 3600,
      maxRestorePointAgeSeconds: 900,
    },
    flushMetrics: () => {
      flushes.push(now);
      sink.flush();
    },
  };
  const logger = {
    info: jest.fn(),
    warn: jest.fn(),
    error: jest.fn(),
    appendKeys: jest.fn(),
    addContext: jest.fn(),
  };
  const handler = createStepRunnerHandler({
    cluster: { primaryInstanceId: "rds-primary-dev", replicaInstanceId: "rds-replica-dev" },
    policy: DEFAULT_POLICY,
    region: "ap-southeast-1",
    ports: {} as Ports,
    logger,
    ...(options.configured === false ? {} : { restoreTest: ctx }),
  });
  return { handler, database, store, flushes, logger, advance: (ms: number) => (now += ms) };
}

/** The EMF blobs written to stdout (Powertools writes them with `process.stdout.write`). */
let written: string[] = [];
const emf = () =>
  written
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line._aws !== undefined);

let stdout: jest.SpyInstance;
beforeEach(() => {
  written = [];
  stdout = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => stdout.mockRestore());

async function failureOf(promise: Promise<unknown>): Promise<StepError> {
  const error = await promise.then(
    () => {
      throw new Error("the step succeeded");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepError);
  return error as StepError;
}

describe("step runner: restore-test steps", () => {
  it("starts the restore and returns { input, test }", async () => {
    const { handler, database, flushes } = setup();
    const response = await handler({
      step: "restore-test-start",
      execution: EXECUTION,
      input: { mode: "test" },
      test: NEW_RESTORE_TEST,
    });
    expect(response).toEqual({
      input: { mode: "test" },
      test: expect.objectContaining({
        phase: "restoring",
        restoreCalledAtMs: T0,
        restorePointMs: T0 - 60_000,
      }),
    });
    expect(database.calls).toEqual(["describe", "backups", `restore:${NAME}`]);
    expect(flushes).toEqual([T0]);
  });

  it("reports a failure with RestoreTestSucceeded 0 in one EMF blob, namespace and Environment dimension", async () => {
    const { handler, store } = setup();
    await handler({
      step: "restore-test-report",
      execution: EXECUTION,
      input: { mode: "test" },
      // Where the definition's Catch wrote the error (ResultPath $.test.failure).
      test: {
        ...NEW_RESTORE_TEST,
        failure: { Error: "StepFailed", Cause: "No replicated backups to restore" },
      },
    });
    expect(store.reports.map((r) => [r.outcome, r.error])).toEqual([
      ["failed", { error: "StepFailed", cause: "No replicated backups to restore" }],
    ]);
    const [blob] = emf();
    expect(blob).toMatchObject({
      Environment: "dev",
      RestoreTestSucceeded: 0,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "TapStack/DR",
            Dimensions: [["Environment"]],
            Metrics: [{ Name: "RestoreTestSucceeded", Unit: "Count" }],
          },
        ],
      },
    });
    expect(blob).not.toHaveProperty("service");
  });

  it("names a refused restore StepFailed and a restore past its timeout StepTimedOut", async () => {
    const { handler, database, advance } = setup();
    database.backupsView = { kind: "missing", reason: "RDS lists no automated backup of rds-primary-dev" };
    const refused = await failureOf(
      handler({
        step: "restore-test-start",
        execution: EXECUTION,
        input: { mode: "test" },
        test: NEW_RESTORE_TEST,
      }),
    );
    expect(refused.name).toBe(STEP_ERRORS.failed);
    expect(refused.message).toBe(
      "RestoreTestError: No replicated backups to restore: RDS lists no automated backup of rds-primary-dev",
    );
    database.backupsView = null;
    database.restoreMs = 5 * 3600_000;
    const started = (await handler({
      step: "restore-test-start",
      execution: EXECUTION,
      input: { mode: "test" },
      test: NEW_RESTORE_TEST,
    })) as { test: unknown };
    advance(10_801_000);
    const timedOut = await failureOf(
      handler({
        step: "restore-test-check-available",
        execution: EXECUTION,
        input: { mode: "test" },
        test: started.test,
      }),
    );
    expect(timedOut.name).toBe(STEP_ERRORS.timedOut);
  });

  it("refuses a malformed payload with InputRefused, and a restore-test step it is not configured for", async () => {
    const { handler, database } = setup();
    const refused = await failureOf(
      handler({
        step: "restore-test-start",
        execution: EXECUTION,
        input: { mode: "weekly" },
        test: NEW_RESTORE_TEST,
      }),
    );
    expect(refused.name).toBe(STEP_ERRORS.inputRefused);
    expect(database.calls).toEqual([]);
    const unconfigured = setup({ configured: false });
    const failed = await failureOf(
      unconfigured.handler({
        step: "restore-test-freshness",
        execution: EXECUTION,
        input: { mode: "freshness" },
      }),
    );
    expect(failed.name).toBe(STEP_ERRORS.failed);
    expect(failed.message).toBe(
      "This step runner is not configured for restore tests: set RESTORE_TEST_INSTANCE_ID, RESTORE_TEST_SECURITY_GROUP_IDS and RESTORE_TIMEOUT_MINUTES on it",
    );
  });

  it("emits RestoreTestAgeHours in freshness mode", async () => {
    const { handler } = setup();
    expect(
      await handler({ step: "restore-test-freshness", execution: EXECUTION, input: { mode: "freshness" } }),
    ).toEqual({
      input: { mode: "freshness" },
      freshness: {
        ageHours: 0,
        since: "first-seen",
        sinceAt: "2026-12-06T03:00:00.000Z",
        latestSuccessId: null,
      },
    });
    expect(emf()[0]).toMatchObject({ RestoreTestAgeHours: 0 });
  });
});
