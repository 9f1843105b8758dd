/**
 * What a task of the restore-test state machine sends the step runner, its validation, and the
 * dispatch to the step (`runRestoreTestStep`). Like the failover's `validateStepRequest`, a payload
 * that is not exactly what the definition sends is refused with `InputRefused` before anything is
 * done.
 */
import {
  checkRestoreAvailable,
  checkRestoreDeleted,
  deleteRestoreTest,
  reportRestoreTest,
  RESTORE_TEST_TASKS,
  restoreTestFreshness,
  startRestoreTest,
  type RestoreCheckResult,
  type RestoreTestContext,
  type RestoreTestFailure,
  type RestoreTestFreshness,
  type RestoreTestInput,
  type RestoreTestState,
  type RestoreTestTask,
} from "./restore-test";
import { STEP_ERRORS, StepError } from "./workflow";

/** A validated restore-test task request. */
export interface RestoreTestRequest {
  readonly step: RestoreTestTask;
  readonly execution: { readonly name: string; readonly id: string };
  readonly input: RestoreTestInput;
  /**
   * Every step of the test path; absent for `restore-test-freshness`. The definition writes the
   * check query's result (`$.test.check`) and caught errors (`$.test.failure`,
   * `$.test.cleanupFailure`) into it; validation normalises the latter.
   */
  readonly test: RestoreTestState | null;
}

/** What a test-path task returns; the definition's `ResultSelector` keeps both fields. */
export interface RestoreTestStepResponse {
  readonly input: RestoreTestInput;
  readonly test: RestoreTestState;
}

/** What the freshness task returns. */
export interface RestoreTestFreshnessResponse {
  readonly input: RestoreTestInput;
  readonly freshness: RestoreTestFreshness;
}

function refuse(problem: string): never {
  throw new StepError(
    STEP_ERRORS.inputRefused,
    `Refused the restore-test request: ${problem}. Nothing was done.`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const show = (v: unknown): string => JSON.stringify(v) ?? "nothing";
const PHASES: readonly string[] = ["new", "clearing-leftover", "restoring", "deleting", "deleted"];
const NULLABLE_NUMBERS = [
  "startedAtMs",
  "leftoverSeenAtMs",
  "restorePointMs",
  "restoreCalledAtMs",
  "availableAtMs",
  "port",
  "deleteCalledAtMs",
  "deletedAtMs",
] as const;
const NULLABLE_STRINGS = ["leftover", "backupsArn", "endpoint", "lastStatus", "reportLocation"] as const;

/** True when `raw` is a step request of the restore-test machine (its `step` says so). */
export function isRestoreTestRequest(raw: unknown): boolean {
  return isObject(raw) && RESTORE_TEST_TASKS.includes(raw.step as RestoreTestTask);
}

/**
 * A failure record: `null`, one already normalised (`{error, cause}`), or the error a `Catch`
 * wrote (`{Error, Cause}`), which is normalised.
 */
function failureOf(key: string, value: unknown): RestoreTestFailure | null {
  if (value === null || value === undefined) return null;
  if (isObject(value) && typeof value.error === "string" && typeof value.cause === "string") {
    return { error: value.error, cause: value.cause };
  }
  if (!isObject(value) || typeof value.Error !== "string" || value.Error === "") {
    refuse(`${key} must be null or a caught error {"Error": …, "Cause": …}, got ${show(value)}`);
  }
  return { error: value.Error, cause: typeof value.Cause === "string" ? value.Cause : "" };
}

function checkResult(value: unknown): RestoreCheckResult {
  if (
    !isObject(value) ||
    !(value.newestHeartbeatAt === null || typeof value.newestHeartbeatAt === "string") ||
    !Number.isInteger(value.rowCount) ||
    (value.rowCount as number) < 0 ||
    typeof value.user !== "string"
  ) {
    refuse(`check must be the restore-check result {newestHeartbeatAt, rowCount, user}, got ${show(value)}`);
  }
  return { newestHeartbeatAt: value.newestHeartbeatAt, rowCount: value.rowCount as number, user: value.user };
}

function testState(value: unknown): RestoreTestState {
  if (!isObject(value)) refuse(`test must be the restore test's state, got ${show(value)}`);
  if (!PHASES.includes(value.phase as string)) {
    refuse(`test.phase must be one of ${PHASES.join(", ")}, got ${show(value.phase)}`);
  }
  for (const key of NULLABLE_NUMBERS) {
    const v = value[key];
    if (v !== null && !(typeof v === "number" && Number.isFinite(v))) {
      refuse(`test.${key} must be a number or null, got ${show(v)}`);
    }
  }
  for (const key of NULLABLE_STRINGS) {
    const v = value[key];
    if (v !== null && typeof v !== "string") refuse(`test.${key} must be a string or null, got ${show(v)}`);
  }
  for (const key of ["available", "deleted"] as const) {
    if (typeof value[key] !== "boolean") refuse(`test.${key} must be true or false, got ${show(value[key])}`);
  }
  return {
    ...(value as unknown as RestoreTestState),
    check: value.check === null || value.check === undefined ? null : checkResult(value.check),
    failure: failureOf("test.failure", value.failure),
    cleanupFailure: failureOf("test.cleanupFailure", value.cleanupFailure),
  };
}

/** Checks a restore-test task's payload. Throws `InputRefused` naming the first problem. */
export function validateRestoreTestRequest(raw: unknown): RestoreTestRequest {
  if (!isObject(raw)) refuse(`it must be an object, got ${show(raw)}`);
  const step = raw.step as RestoreTestTask;
  if (!RESTORE_TEST_TASKS.includes(step)) {
    refuse(`step must be one of ${RESTORE_TEST_TASKS.join(", ")}, got ${show(raw.step)}`);
  }
  const execution = raw.execution;
  if (
    !isObject(execution) ||
    typeof execution.name !== "string" ||
    // Step Functions allows dots in execution names (`weekly.rerun`); they are safe in S3 keys and tags.
    !/^[A-Za-z0-9._-]{1,80}$/.test(execution.name) ||
    typeof execution.id !== "string" ||
    execution.id === ""
  ) {
    refuse(
      `execution must be {name, id} of a Step Functions execution (name of 1-80 A-Z a-z 0-9 . - _), got ${show(execution)}`,
    );
  }
  const input = raw.input;
  if (!isObject(input) || (input.mode !== "test" && input.mode !== "freshness")) {
    refuse(`input must be {"mode":"test"} or {"mode":"freshness"}, got ${show(input)}`);
  }
  const freshnessStep = step === "restore-test-freshness";
  if (freshnessStep !== (input.mode === "freshness")) {
    refuse(`the step ${step} does not run in mode ${show(input.mode)}`);
  }
  return {
    step,
    execution: { name: execution.name, id: execution.id },
    input: { mode: input.mode },
    test: freshnessStep ? null : testState(raw.test),
  };
}

/** Runs one restore-test task on `ctx`. */
export async function runRestoreTestStep(
  ctx: RestoreTestContext,
  request: RestoreTestRequest,
): Promise<RestoreTestStepResponse | RestoreTestFreshnessResponse> {
  const { input, execution } = request;
  if (request.step === "restore-test-freshness") return { input, freshness: await restoreTestFreshness(ctx) };
  const test = request.test as RestoreTestState;
  switch (request.step) {
    case "restore-test-start":
      return { input, test: await startRestoreTest(ctx, execution.name, test) };
    case "restore-test-check-available":
      return { input, test: await checkRestoreAvailable(ctx, test) };
    case "restore-test-delete":
      return { input, test: await deleteRestoreTest(ctx, execution.name, test) };
    case "restore-test-check-deleted":
      return { input, test: await checkRestoreDeleted(ctx, execution.name, test) };
    case "restore-test-report": {
      const { state } = await reportRestoreTest(ctx, execution.name, test);
      return { input, test: state };
    }
  }
}
