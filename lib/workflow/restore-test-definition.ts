/**
 * The restore-test state machine's definition (Amazon States Language), in the DR region,
 * Standard. Started weekly with `{"mode":"test"}` and daily with `{"mode":"freshness"}` (or by hand:
 * `aws stepfunctions start-execution --state-machine-arn … --input '{"mode":"test"}'`).
 *
 * Test path: `PrepareTest` → `StartRestore` (step runner: RestoreDBInstanceToPointInTime from the
 * replicated backups; a leftover of an earlier execution is deleted first, `WaitForLeftover`) →
 * `WaitForRestore` / `CheckRestoreAvailable` loop (bounded by RESTORE_TIMEOUT_MINUTES) →
 * `RunCheckQuery` (the restore-check function, as the monitor's role) → `DeleteTestInstance` /
 * `WaitForDeletion` / `CheckDeleted` → `ReportSuccess`. Any failure after `PrepareTest` goes to
 * `CleanUp` (the same delete, then its wait loop) → `ReportFailure` (RestoreTestSucceeded 0) →
 * `RestoreTestFailed`. The freshness path is one task.
 *
 * Conventions of the failover's definition (`definition.ts`): every task is the optimized Lambda
 * integration with the same retriers (`RETRY_TRANSIENT`, `RETRY_INTERRUPTED`), a `TimeoutSeconds`
 * longer than the function's own, waits are Wait states. The state the steps share is `$.test`
 * (`RestoreTestState`): each step-runner task returns `{ input, test }`, the check query's result is
 * written to `$.test.check`, and a caught error to `$.test.failure` (`$.test.cleanupFailure` for
 * the cleanup's own), so every task sends the same payload and nothing is lost on the way.
 * The drill and the tests run this very definition with `aws-local-stepfunctions`
 * (`lib/workflow/local.ts`).
 */
import { NEW_RESTORE_TEST, type RestoreTestTask } from "../lambda/core/restore-test";
import { STEP_ERRORS } from "../lambda/core/workflow";
import { LAMBDA_INVOKE, RETRY_INTERRUPTED, RETRY_TRANSIENT } from "./definition";

/** What the definition is generated from (contract: RESTORE_TEST_CONTRACT.md). */
export interface RestoreTestDefinitionOptions {
  readonly stepRunnerArn: string;
  readonly restoreCheckArn: string;
  /** The step runner's timeout: each of its tasks may run this long, plus a margin. */
  readonly stepRunnerTimeoutSeconds: number;
  /** The restore-check function's timeout (60 s deployed). */
  readonly restoreCheckTimeoutSeconds: number;
  /** Seconds between two checks of the restore and of the deletion (default 60, as the regional restore). */
  readonly pollSeconds?: number;
}

/** State names; the execution history and the dashboard show them. */
export const RESTORE_TEST_STATES = {
  mode: "Mode",
  inputRefused: "InputRefused",
  prepare: "PrepareTest",
  start: "StartRestore",
  started: "RestoreStarted",
  waitForLeftover: "WaitForLeftover",
  waitForRestore: "WaitForRestore",
  checkAvailable: "CheckRestoreAvailable",
  available: "RestoreAvailable",
  checkQuery: "RunCheckQuery",
  delete: "DeleteTestInstance",
  deleted: "Deleted",
  waitForDeletion: "WaitForDeletion",
  checkDeleted: "CheckDeleted",
  reportSuccess: "ReportSuccess",
  succeeded: "RestoreTestSucceeded",
  cleanUp: "CleanUp",
  cleanedUp: "CleanedUp",
  waitForCleanUp: "WaitForCleanUp",
  checkCleanedUp: "CheckCleanedUp",
  reportFailure: "ReportFailure",
  failed: "RestoreTestFailed",
  reportFailed: "ReportFailed",
  freshness: "Freshness",
  freshnessReported: "FreshnessReported",
  freshnessFailed: "FreshnessFailed",
} as const;

/** Default seconds between two checks: a restore takes tens of minutes to hours (reference §1.6). */
export const RESTORE_TEST_POLL_SECONDS = 60;
/**
 * Longest an execution may run: the longest restore timeout (12 h), a leftover's and the test
 * instance's deletion (an hour each at most) and the check, with room. An execution that times out
 * skips its cleanup; the next one deletes the leftover first.
 */
export const RESTORE_TEST_EXECUTION_TIMEOUT_SECONDS = 24 * 3600;

/** The check query found the instance unusable; retried in case a new instance refused its first logins. */
export const RESTORE_CHECK_FAILED = "RestoreCheckFailed";

type State = Record<string, unknown>;

const TO_CLEAN_UP = {
  ErrorEquals: ["States.ALL"],
  ResultPath: "$.test.failure",
  Next: RESTORE_TEST_STATES.cleanUp,
};
const TO_REPORT_FAILURE = {
  ErrorEquals: ["States.ALL"],
  ResultPath: "$.test.cleanupFailure",
  Next: RESTORE_TEST_STATES.reportFailure,
};
const TO_REPORT_FAILED = {
  ErrorEquals: ["States.ALL"],
  ResultPath: "$.reportError",
  Next: RESTORE_TEST_STATES.reportFailed,
};

/** A task of the step runner on the test path: `{ step, execution, input, test }` in, `{ input, test }` out. */
function stepTask(
  o: RestoreTestDefinitionOptions,
  step: RestoreTestTask,
  next: string,
  comment: string,
  catcher: State,
): State {
  return {
    Type: "Task",
    Comment: comment,
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: o.stepRunnerArn,
      Payload: {
        step,
        execution: { "name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id" },
        "input.$": "$.input",
        "test.$": "$.test",
      },
    },
    ResultSelector: { "input.$": "$.Payload.input", "test.$": "$.Payload.test" },
    TimeoutSeconds: o.stepRunnerTimeoutSeconds + 30,
    Retry: [RETRY_TRANSIENT, RETRY_INTERRUPTED],
    Catch: [catcher],
    Next: next,
  };
}

/** A Choice on one boolean of the test state. */
function whether(variable: string, then: string, otherwise: string): State {
  return {
    Type: "Choice",
    Choices: [{ Variable: variable, BooleanEquals: true, Next: then }],
    Default: otherwise,
  };
}

/** The restore-test state machine's definition. */
export function restoreTestDefinition(o: RestoreTestDefinitionOptions): Record<string, unknown> {
  const S = RESTORE_TEST_STATES;
  const poll = o.pollSeconds ?? RESTORE_TEST_POLL_SECONDS;
  const states: Record<string, State> = {
    [S.mode]: {
      Type: "Choice",
      Comment:
        'Weekly {"mode":"test"} restores; daily {"mode":"freshness"} reports the newest success\'s age.',
      Choices: [
        // In order: a missing or non-string mode must never reach a string comparison.
        { Variable: "$.mode", IsPresent: false, Next: S.inputRefused },
        { Variable: "$.mode", IsString: false, Next: S.inputRefused },
        { Variable: "$.mode", StringEquals: "test", Next: S.prepare },
        { Variable: "$.mode", StringEquals: "freshness", Next: S.freshness },
      ],
      Default: S.inputRefused,
    },
    [S.inputRefused]: {
      Type: "Fail",
      Error: STEP_ERRORS.inputRefused,
      Cause: 'The input must be {"mode":"test"} or {"mode":"freshness"}. Nothing was done.',
    },
    [S.prepare]: {
      Type: "Pass",
      Comment: "The test's state, carried by every task from here on.",
      Parameters: { "input.$": "$", test: NEW_RESTORE_TEST },
      Next: S.start,
    },
    [S.start]: stepTask(
      o,
      "restore-test-start",
      S.started,
      "RestoreDBInstanceToPointInTime from the replicated backups (a leftover test instance is deleted first).",
      TO_CLEAN_UP,
    ),
    [S.started]: {
      Type: "Choice",
      Choices: [{ Variable: "$.test.phase", StringEquals: "clearing-leftover", Next: S.waitForLeftover }],
      Default: S.waitForRestore,
    },
    [S.waitForLeftover]: { Type: "Wait", Seconds: poll, Next: S.start },
    [S.waitForRestore]: {
      Type: "Wait",
      Comment: "A restore takes tens of minutes to hours; the wait holds no Lambda and costs nothing.",
      Seconds: poll,
      Next: S.checkAvailable,
    },
    [S.checkAvailable]: stepTask(
      o,
      "restore-test-check-available",
      S.available,
      "Is the test instance available? Fails on failed / incompatible-* and after the restore timeout.",
      TO_CLEAN_UP,
    ),
    [S.available]: whether("$.test.available", S.checkQuery, S.waitForRestore),
    [S.checkQuery]: {
      Type: "Task",
      Comment: "The restore-check function logs in as the monitor's role and reads the heartbeat table.",
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: o.restoreCheckArn,
        Payload: { "host.$": "$.test.endpoint", "port.$": "$.test.port" },
      },
      ResultSelector: {
        "newestHeartbeatAt.$": "$.Payload.newestHeartbeatAt",
        "rowCount.$": "$.Payload.rowCount",
        "user.$": "$.Payload.user",
      },
      ResultPath: "$.test.check",
      TimeoutSeconds: o.restoreCheckTimeoutSeconds + 30,
      Retry: [
        RETRY_TRANSIENT,
        { ...RETRY_INTERRUPTED, ErrorEquals: ["Lambda.Unknown", "Sandbox.Timedout", "States.Timeout"] },
        { ErrorEquals: [RESTORE_CHECK_FAILED], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 },
      ],
      Catch: [TO_CLEAN_UP],
      Next: S.delete,
    },
    [S.delete]: stepTask(
      o,
      "restore-test-delete",
      S.deleted,
      "DeleteDBInstance (SkipFinalSnapshot, DeleteAutomatedBackups); gone is done.",
      TO_CLEAN_UP,
    ),
    [S.deleted]: whether("$.test.deleted", S.reportSuccess, S.waitForDeletion),
    [S.waitForDeletion]: { Type: "Wait", Seconds: poll, Next: S.checkDeleted },
    [S.checkDeleted]: stepTask(
      o,
      "restore-test-check-deleted",
      S.deleted,
      "Is the test instance gone?",
      TO_CLEAN_UP,
    ),
    [S.reportSuccess]: stepTask(
      o,
      "restore-test-report",
      S.succeeded,
      "Report, RestoreTestSucceeded 1 / duration / data age, latest-success.json.",
      TO_REPORT_FAILED,
    ),
    [S.succeeded]: { Type: "Succeed", Comment: "The backups restored; the test instance is gone." },
    [S.cleanUp]: stepTask(
      o,
      "restore-test-delete",
      S.cleanedUp,
      "The catch path: delete the test instance whatever failed.",
      TO_REPORT_FAILURE,
    ),
    [S.cleanedUp]: whether("$.test.deleted", S.reportFailure, S.waitForCleanUp),
    [S.waitForCleanUp]: { Type: "Wait", Seconds: poll, Next: S.checkCleanedUp },
    [S.checkCleanedUp]: stepTask(
      o,
      "restore-test-check-deleted",
      S.cleanedUp,
      "Is the test instance gone?",
      TO_REPORT_FAILURE,
    ),
    [S.reportFailure]: stepTask(
      o,
      "restore-test-report",
      S.failed,
      "The failed report and RestoreTestSucceeded 0.",
      TO_REPORT_FAILED,
    ),
    [S.failed]: { Type: "Fail", Error: "RestoreTestFailed", CausePath: "$.test.failure.cause" },
    [S.reportFailed]: { Type: "Fail", Error: "ReportFailed", CausePath: "$.reportError.Cause" },
    [S.freshness]: {
      Type: "Task",
      Comment: "RestoreTestAgeHours: hours since the newest successful test (or the first freshness run).",
      Resource: LAMBDA_INVOKE,
      Parameters: {
        FunctionName: o.stepRunnerArn,
        Payload: {
          step: "restore-test-freshness",
          execution: { "name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id" },
          "input.$": "$",
        },
      },
      ResultSelector: { "input.$": "$.Payload.input", "freshness.$": "$.Payload.freshness" },
      TimeoutSeconds: o.stepRunnerTimeoutSeconds + 30,
      Retry: [RETRY_TRANSIENT, RETRY_INTERRUPTED],
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: S.freshnessFailed }],
      Next: S.freshnessReported,
    },
    [S.freshnessReported]: { Type: "Succeed" },
    [S.freshnessFailed]: { Type: "Fail", Error: "FreshnessFailed", CausePath: "$.error.Cause" },
  };
  return {
    Comment:
      "TapStack restore test: restores the replicated backups into a temporary instance, checks, deletes, reports.",
    StartAt: S.mode,
    TimeoutSeconds: RESTORE_TEST_EXECUTION_TIMEOUT_SECONDS,
    States: states,
  };
}
