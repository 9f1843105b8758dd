/**
 * The weekly restore test: proves that the primary's replicated automated backups restore in the DR
 * region, and measures how long it takes (the regional-loss RTO of a tier-2 restore). A Standard
 * state machine (`lib/workflow/restore-test-definition.ts`) runs these steps through the step
 * runner, one per task; the check query runs in the `restore-check` function (the only one with a
 * network path to the temporary instance). Pure step logic over narrow ports: the AWS adapters,
 * the drill (real PostgreSQL PITR) and tests plug in.
 *
 * Every step re-reads the real state before it acts, so a task retried after a crash or a timeout
 * (Step Functions' `Retry`, reference §3) never restores or deletes twice:
 * - `start` restores the temporary instance from the replicated backups to their latest
 *   restorable time. An instance tagged for this execution means an earlier attempt's call went
 *   through (nothing more is asked). An instance left over from an earlier execution (one that
 *   timed out or was aborted before its cleanup ran) is deleted first, then the test restores:
 *   the weekly proof is not lost to last week's debris. An instance under that identifier that is
 *   not a restore-test instance is never touched: the test fails and says so.
 * - `check-available` fails at once on a status RDS does not leave by itself (`failed`,
 *   `incompatible-*`, …) and after the restore timeout.
 * - `delete` and `check-deleted` remove the instance (`not-found` = done), on the success path and
 *   on the catch path alike.
 * - `report` writes the report, the metrics, and on success `latest-success.json`.
 * - `freshness` (daily) emits the age of the newest successful test.
 */
import { RESTORE_TEST_METRICS } from "../../function-env";
import { TapError } from "./errors";
import type { Clock } from "./ports";
import { MAX_AUTO_RESTORE_LOSS_SECONDS } from "./regional";
import type { BackupsView } from "./types";

/** The step runner's tasks of the restore test, beside the failover's (`WORKFLOW_TASKS`). */
export const RESTORE_TEST_TASKS = [
  "restore-test-start",
  "restore-test-check-available",
  "restore-test-delete",
  "restore-test-check-deleted",
  "restore-test-report",
  "restore-test-freshness",
] as const;
/** One of {@link RESTORE_TEST_TASKS}. */
export type RestoreTestTask = (typeof RESTORE_TEST_TASKS)[number];

/** What an execution of the restore-test machine is started with. */
export interface RestoreTestInput {
  /** `test`: the weekly restore; `freshness`: the daily age of the newest successful test. */
  readonly mode: "test" | "freshness";
}

/** What the `restore-check` function returns (contract: RESTORE_TEST_CONTRACT.md). */
export interface RestoreCheckResult {
  /** Newest `beat_at` of the heartbeat table in the restored instance, ISO 8601; `null` when empty. */
  readonly newestHeartbeatAt: string | null;
  readonly rowCount: number;
  /** The database user the check logged in as (the monitor's). */
  readonly user: string;
}

/** A step's failure as Step Functions' `Catch` hands it on (`ResultPath: $.error`). */
export interface RestoreTestFailure {
  readonly error: string;
  readonly cause: string;
}

/** Where the test stands; every step-runner task returns it and the next one gets it. */
export interface RestoreTestState {
  readonly phase: "new" | "clearing-leftover" | "restoring" | "deleting" | "deleted";
  /** The execution's first `start`. */
  readonly startedAtMs: number | null;
  /** The execution (tag `tap:restore-test`) of a leftover instance being deleted first. */
  readonly leftover: string | null;
  readonly leftoverSeenAtMs: number | null;
  readonly backupsArn: string | null;
  /** The backups' `LatestRestorableTime` read just before the restore call: the restore point. */
  readonly restorePointMs: number | null;
  /** `RestoreDBInstanceToPointInTime` call (or, for a resumed attempt, the instance's creation). */
  readonly restoreCalledAtMs: number | null;
  /** Read by the `RestoreAvailable` choice. */
  readonly available: boolean;
  readonly availableAtMs: number | null;
  readonly endpoint: string | null;
  readonly port: number | null;
  /** The last `DBInstanceStatus` seen. */
  readonly lastStatus: string | null;
  readonly check: RestoreCheckResult | null;
  readonly deleteCalledAtMs: number | null;
  /** Read by the `Deleted` choices. */
  readonly deleted: boolean;
  readonly deletedAtMs: number | null;
  /**
   * The error that sent the execution to its catch path; the definition's `Catch` writes it here
   * (`ResultPath: $.test.failure`, Step Functions' `{Error, Cause}`), the next step normalises it.
   */
  readonly failure: RestoreTestFailure | null;
  /** Set when the cleanup itself failed (`$.test.cleanupFailure`): the instance may still exist. */
  readonly cleanupFailure: RestoreTestFailure | null;
  readonly reportLocation: string | null;
}

/** The state the test path starts from (the definition's `PrepareTest` Pass state sets it). */
export const NEW_RESTORE_TEST: RestoreTestState = Object.freeze({
  phase: "new",
  startedAtMs: null,
  leftover: null,
  leftoverSeenAtMs: null,
  backupsArn: null,
  restorePointMs: null,
  restoreCalledAtMs: null,
  available: false,
  availableAtMs: null,
  endpoint: null,
  port: null,
  lastStatus: null,
  check: null,
  deleteCalledAtMs: null,
  deleted: false,
  deletedAtMs: null,
  failure: null,
  cleanupFailure: null,
  reportLocation: null,
});

/** The temporary instance as RDS describes it. */
export interface TestInstanceView {
  /** `false` once RDS answers `DBInstanceNotFound`. */
  readonly found: boolean;
  /** `DBInstanceStatus` (`creating`, `available`, `deleting`, `failed`, …), `null` when not found. */
  readonly rawStatus: string | null;
  readonly endpoint: string | null;
  readonly port: number | null;
  /** True when it carries `DR-Role=restore-test`: only such an instance is ever deleted. */
  readonly restoreTest: boolean;
  /** Its `tap:restore-test` tag: the execution that restored it. */
  readonly execution: string | null;
  /** Its `tap:restore-point` tag. */
  readonly restorePointMs: number | null;
  readonly createdAtMs: number | null;
}

/** No instance under the test's identifier. */
export const NO_TEST_INSTANCE: TestInstanceView = {
  found: false,
  rawStatus: null,
  endpoint: null,
  port: null,
  restoreTest: false,
  execution: null,
  restorePointMs: null,
  createdAtMs: null,
};

/** The temporary instance and the backups it comes from (RDS in the DR region; PITR in the drill). */
export interface RestoreTestDatabase {
  /** The replicated backups. Never throws: an unreachable API gives `kind: "unreadable"`. */
  backups(): Promise<BackupsView>;
  /** Describe the temporary instance. Throws when RDS gives no usable answer. */
  describeTest(): Promise<TestInstanceView>;
  /**
   * Restore the temporary instance from `backups` to their latest restorable time, tagged with
   * `execution`. Idempotent: an instance of that identifier already existing is no error.
   */
  restoreTest(backups: Extract<BackupsView, { kind: "available" }>, execution: string): Promise<void>;
  /**
   * Delete the temporary instance without a final snapshot or its automated backups. `gone`: it
   * did not exist; `busy`: RDS will not delete it in its current state yet (ask again later).
   * Throws for any other refusal.
   */
  deleteTest(): Promise<DeleteOutcome>;
}

/** What a delete request came to. */
export type DeleteOutcome = "requested" | "gone" | "busy";

/** The report of one restore test. */
export interface RestoreTestReport {
  /** The execution's name; also the object's name (`restore-tests/<yyyy-mm-dd>/<id>.json`). */
  readonly id: string;
  readonly kind: "restore-test";
  readonly outcome: "succeeded" | "failed";
  readonly instanceId: string;
  readonly startedAt: string | null;
  readonly finishedAt: string;
  readonly backupsArn: string | null;
  /** The backups' LatestRestorableTime the restore went to. */
  readonly latestRestorableTime: string | null;
  readonly restoreCalledAt: string | null;
  readonly availableAt: string | null;
  readonly deletedAt: string | null;
  readonly figures: {
    /** RestoreDBInstanceToPointInTime call → available: the measured regional-loss RTO (restore part). */
    readonly restoreDurationSeconds: number | null;
    /** Restore point − newest heartbeat row: how stale the restored data was against its own point. */
    readonly dataAgeSeconds: number | null;
    readonly rowCount: number | null;
  };
  readonly check: RestoreCheckResult | null;
  /** A leftover instance of an earlier execution that this one deleted first. */
  readonly leftoverDeleted: string | null;
  readonly error?: RestoreTestFailure;
  readonly cleanupError?: RestoreTestFailure;
}

/** Where the reports go (S3 `restore-tests/` on AWS, files in the drill). */
export interface RestoreTestStore {
  /** Store the report; returns its location. */
  putReport(report: RestoreTestReport): Promise<string>;
  /** The newest successful report, `null` when there has never been one. */
  latestSuccess(): Promise<RestoreTestReport | null>;
  /** Replace `latest-success.json` with `report`. */
  putLatestSuccess(report: RestoreTestReport): Promise<string>;
  /**
   * When freshness was first computed: written once (conditional put) with `nowMs`, read back
   * ever after. `created` is true for the call that wrote it.
   */
  firstSeen(nowMs: number): Promise<{ readonly atMs: number; readonly created: boolean }>;
}

/** One metric datapoint. */
export interface RestoreTestMetric {
  readonly name: (typeof RESTORE_TEST_METRICS)[keyof typeof RESTORE_TEST_METRICS];
  /** CloudWatch has no hour unit: the age in hours is unit-less (`None`). */
  readonly unit: "Count" | "Seconds" | "None";
  readonly value: number;
}

/** Takes the datapoints (EMF through Powertools on AWS, memory in the drill). */
export interface RestoreTestMetrics {
  record(metric: RestoreTestMetric): void;
}

/** The limits of one test. */
export interface RestoreTestSettings {
  /** Identifier of the temporary instance (`rds-restore-test-<suffix>`). */
  readonly instanceId: string;
  /** Restore call → available, before the test fails (the regional restore's RESTORE_TIMEOUT_MINUTES). */
  readonly restoreTimeoutSeconds: number;
  /** Delete call → gone, before the test fails. */
  readonly deleteTimeoutSeconds: number;
  /** Oldest acceptable restore point, seconds before the start. */
  readonly maxRestorePointAgeSeconds: number;
}

/**
 * Delete call → instance gone: RDS deletes a Single-AZ instance without a final snapshot in
 * minutes; an hour means it is stuck and a person must look.
 */
export const DEFAULT_DELETE_TIMEOUT_SECONDS = 3600;
/**
 * A restore point older than this fails the test: the primary is alive while the test runs, so its
 * logs reach the replicated backups every 5 minutes (reference §1.6); the regional restore allows
 * the same three shipments before it asks a human.
 */
export const DEFAULT_MAX_RESTORE_POINT_AGE_SECONDS = MAX_AUTO_RESTORE_LOSS_SECONDS;

/**
 * `DBInstanceStatus` values a restored instance does not leave by itself (reference §1.1; the SDK
 * waiter gives up on `failed`, `incompatible-restore`, `incompatible-parameters`, `deleting`): waiting
 * for `available` longer would only run out the timeout.
 */
export const RESTORE_DEAD_END_STATUSES: ReadonlySet<string> = new Set([
  "failed",
  "restore-error",
  "incompatible-network",
  "incompatible-option-group",
  "incompatible-parameters",
  "incompatible-restore",
  "inaccessible-encryption-credentials",
  "inaccessible-encryption-credentials-recoverable",
  "insufficient-capacity",
  "storage-full",
  "deleting",
  "delete-precheck",
  "stopping",
  "stopped",
]);

/** The restore test cannot go on; the execution's catch path runs (`StepFailed`). */
export class RestoreTestError extends TapError {}
/** A bounded wait of the restore test ran out (`StepTimedOut`). */
export class RestoreTestTimeoutError extends TapError {}

/** What the steps run on. */
export interface RestoreTestContext {
  readonly database: RestoreTestDatabase;
  readonly store: RestoreTestStore;
  readonly metrics: RestoreTestMetrics;
  readonly clock: Pick<Clock, "nowMs">;
  readonly settings: RestoreTestSettings;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The longest a restore test can run: clearing a leftover and deleting its own instance (each
 * bounded by the delete timeout), its restore (bounded by the restore timeout), and a quarter of an
 * hour for the check, the waits between polls and the report. An instance under the test's
 * identifier that is younger may belong to a test still running.
 */
export function longestTestSeconds(settings: RestoreTestSettings): number {
  return settings.restoreTimeoutSeconds + 2 * settings.deleteTimeoutSeconds + 15 * 60;
}

/**
 * `start`: restore the temporary instance, or find this execution's restore already begun, or
 * delete a leftover first (phase `clearing-leftover`: the machine waits and calls `start` again).
 */
export async function startRestoreTest(
  ctx: RestoreTestContext,
  execution: string,
  state: RestoreTestState,
): Promise<RestoreTestState> {
  const nowMs = ctx.clock.nowMs();
  const { instanceId } = ctx.settings;
  const s: RestoreTestState = { ...state, startedAtMs: state.startedAtMs ?? nowMs };
  const instance = await ctx.database.describeTest();
  if (instance.found) {
    if (!instance.restoreTest) {
      throw new RestoreTestError(
        `${instanceId} exists (${instance.rawStatus ?? "no status"}) but is not tagged DR-Role=restore-test: ` +
          "the restore test never deletes an instance it did not create; rename or remove it, then start a test again",
      );
    }
    if (instance.execution === execution) {
      // An earlier attempt of this step called the restore and died before it returned.
      return {
        ...s,
        phase: "restoring",
        leftover: null,
        restoreCalledAtMs: s.restoreCalledAtMs ?? instance.createdAtMs ?? nowMs,
        restorePointMs: s.restorePointMs ?? instance.restorePointMs,
        lastStatus: instance.rawStatus,
      };
    }
    // A test started by hand while another runs shares the identifier: an instance younger than the
    // longest a test can live may be that test's, and is never deleted from under it.
    const ageMs = instance.createdAtMs === null ? 0 : nowMs - instance.createdAtMs;
    if (s.leftover === null && ageMs < longestTestSeconds(ctx.settings) * 1000) {
      throw new RestoreTestError(
        `${instanceId} of ${instance.execution ?? "an unknown execution"} exists (${instance.rawStatus ?? "no status"}, ` +
          `${instance.createdAtMs === null ? "still being created" : `created ${Math.round(ageMs / 60_000)} min ago`}): ` +
          `another restore test may still be running (a test lives at most ${Math.round(longestTestSeconds(ctx.settings) / 60)} min), ` +
          "so this one stops without touching it; start it again once that test has ended",
      );
    }
    const leftoverSeenAtMs = s.leftoverSeenAtMs ?? nowMs;
    if (nowMs - leftoverSeenAtMs > ctx.settings.deleteTimeoutSeconds * 1000) {
      throw new RestoreTestTimeoutError(
        `The leftover ${instanceId} of ${instance.execution ?? "an unknown execution"} is still ${instance.rawStatus ?? "there"} ` +
          `${Math.round((nowMs - leftoverSeenAtMs) / 1000)} s after this test asked to delete it (limit ${ctx.settings.deleteTimeoutSeconds} s)`,
      );
    }
    if (instance.rawStatus !== "deleting") await ctx.database.deleteTest();
    return {
      ...s,
      phase: "clearing-leftover",
      leftover: instance.execution ?? "unknown",
      leftoverSeenAtMs,
      lastStatus: instance.rawStatus,
    };
  }
  const backups = await ctx.database.backups();
  if (backups.kind !== "available") {
    throw new RestoreTestError(
      backups.kind === "missing"
        ? `No replicated backups to restore: ${backups.reason}`
        : `The replicated backups could not be read (${backups.apiError}): ${backups.detail}`,
    );
  }
  const ageSeconds = (nowMs - backups.latestRestorableTimeMs) / 1000;
  if (ageSeconds > ctx.settings.maxRestorePointAgeSeconds) {
    throw new RestoreTestError(
      `The replicated backups' latest restorable time ${new Date(backups.latestRestorableTimeMs).toISOString()} is ` +
        `${Math.round(ageSeconds)} s old (limit ${ctx.settings.maxRestorePointAgeSeconds} s): logs are not reaching the DR region ` +
        `(${backups.arn})`,
    );
  }
  const calledAtMs = ctx.clock.nowMs();
  await ctx.database.restoreTest(backups, execution);
  return {
    ...s,
    phase: "restoring",
    leftover: state.leftover,
    backupsArn: backups.arn,
    restorePointMs: backups.latestRestorableTimeMs,
    restoreCalledAtMs: calledAtMs,
    lastStatus: "creating",
  };
}

/** `check-available`: is the temporary instance available? Fails on a dead end or after the timeout. */
export async function checkRestoreAvailable(
  ctx: RestoreTestContext,
  state: RestoreTestState,
): Promise<RestoreTestState> {
  const nowMs = ctx.clock.nowMs();
  const { instanceId, restoreTimeoutSeconds } = ctx.settings;
  const instance = await ctx.database.describeTest();
  const since = state.restoreCalledAtMs ?? state.startedAtMs ?? nowMs;
  if (!instance.found) {
    throw new RestoreTestError(
      `${instanceId} is gone while it was being restored (RDS answers DBInstanceNotFound): someone deleted it`,
    );
  }
  const status = instance.rawStatus ?? "unknown";
  if (status === "available" && instance.endpoint !== null) {
    return {
      ...state,
      available: true,
      availableAtMs: nowMs,
      endpoint: instance.endpoint,
      port: instance.port ?? 5432,
      lastStatus: status,
    };
  }
  if (RESTORE_DEAD_END_STATUSES.has(status)) {
    throw new RestoreTestError(
      `The restore of ${instanceId} ended in status ${status} after ${Math.round((nowMs - since) / 1000)} s: ` +
        "RDS does not bring it to available by itself",
    );
  }
  if (nowMs - since > restoreTimeoutSeconds * 1000) {
    throw new RestoreTestTimeoutError(
      `${instanceId} is still ${status} ${Math.round((nowMs - since) / 1000)} s after the restore call ` +
        `(RESTORE_TIMEOUT_MINUTES allows ${restoreTimeoutSeconds} s)`,
    );
  }
  return { ...state, available: false, lastStatus: status };
}

/**
 * Whether the instance under the test's identifier is this execution's to delete: the one it
 * restored (tagged with its name), the leftover it was clearing, or one without an execution tag
 * (nobody else can claim it).
 */
function ownedBy(
  instance: { readonly execution?: string | null },
  execution: string,
  state: RestoreTestState,
): boolean {
  const owner = instance.execution ?? null;
  return owner === null || owner === execution || owner === state.leftover;
}

/**
 * `delete`: delete the temporary instance (idempotent), on the success path (after the check
 * query) and on the catch path alike.
 */
export async function deleteRestoreTest(
  ctx: RestoreTestContext,
  execution: string,
  state: RestoreTestState,
): Promise<RestoreTestState> {
  const nowMs = ctx.clock.nowMs();
  const s = state;
  const instance = await ctx.database.describeTest();
  // Only this execution's instance, or the leftover it was clearing, is its to delete: one of
  // another test (an operator's test refused while the weekly one runs) is left alone.
  if (!instance.found || !ownedBy(instance, execution, s))
    return { ...s, phase: "deleted", deleted: true, deletedAtMs: s.deletedAtMs ?? nowMs };
  if (!instance.restoreTest) {
    throw new RestoreTestError(
      `${ctx.settings.instanceId} is not tagged DR-Role=restore-test: the restore test does not delete it`,
    );
  }
  const outcome = instance.rawStatus === "deleting" ? "requested" : await ctx.database.deleteTest();
  if (outcome === "gone")
    return { ...s, phase: "deleted", deleted: true, deletedAtMs: s.deletedAtMs ?? nowMs };
  return {
    ...s,
    phase: "deleting",
    deleted: false,
    deleteCalledAtMs: s.deleteCalledAtMs ?? nowMs,
    lastStatus: instance.rawStatus,
  };
}

/** `check-deleted`: is the temporary instance gone? Fails after the delete timeout. */
export async function checkRestoreDeleted(
  ctx: RestoreTestContext,
  execution: string,
  state: RestoreTestState,
): Promise<RestoreTestState> {
  const nowMs = ctx.clock.nowMs();
  const instance = await ctx.database.describeTest();
  if (!instance.found || !ownedBy(instance, execution, state))
    return { ...state, phase: "deleted", deleted: true, deletedAtMs: nowMs };
  const since = state.deleteCalledAtMs ?? nowMs;
  if (nowMs - since > ctx.settings.deleteTimeoutSeconds * 1000) {
    throw new RestoreTestTimeoutError(
      `${ctx.settings.instanceId} is still ${instance.rawStatus ?? "there"} ${Math.round((nowMs - since) / 1000)} s ` +
        `after DeleteDBInstance (limit ${ctx.settings.deleteTimeoutSeconds} s): delete it by hand`,
    );
  }
  // A delete refused while the instance was busy (e.g. still `creating` on the catch path) is asked again.
  if (instance.restoreTest && instance.rawStatus !== "deleting") await ctx.database.deleteTest();
  return { ...state, deleted: false, lastStatus: instance.rawStatus };
}

/**
 * Restore point − newest heartbeat, seconds (one decimal); `null` when either is unknown. The
 * restore point is the LatestRestorableTime read just before the restore call; the restore itself
 * (`UseLatestRestorableTime`) may reach a little further when logs arrived meanwhile, so a heartbeat
 * newer than the point means data at least that fresh: 0, never a negative age.
 */
export function dataAgeSeconds(
  restorePointMs: number | null,
  newestHeartbeatAt: string | null,
): number | null {
  if (restorePointMs === null || newestHeartbeatAt === null) return null;
  const beatMs = Date.parse(newestHeartbeatAt);
  if (!Number.isFinite(beatMs)) return null;
  return Math.max(0, Math.round((restorePointMs - beatMs) / 100) / 10);
}

/** The report of a test in `state`, finished at `nowMs`. */
export function restoreTestReport(
  execution: string,
  instanceId: string,
  state: RestoreTestState,
  nowMs: number,
): RestoreTestReport {
  const succeeded = state.failure === null && state.check !== null && state.deleted;
  const duration =
    state.restoreCalledAtMs !== null && state.availableAtMs !== null
      ? Math.round((state.availableAtMs - state.restoreCalledAtMs) / 100) / 10
      : null;
  return {
    id: execution,
    kind: "restore-test",
    outcome: succeeded ? "succeeded" : "failed",
    instanceId,
    startedAt: iso(state.startedAtMs),
    finishedAt: new Date(nowMs).toISOString(),
    backupsArn: state.backupsArn,
    latestRestorableTime: iso(state.restorePointMs),
    restoreCalledAt: iso(state.restoreCalledAtMs),
    availableAt: iso(state.availableAtMs),
    deletedAt: iso(state.deletedAtMs),
    figures: {
      restoreDurationSeconds: duration,
      dataAgeSeconds: dataAgeSeconds(state.restorePointMs, state.check?.newestHeartbeatAt ?? null),
      rowCount: state.check?.rowCount ?? null,
    },
    check: state.check,
    leftoverDeleted: state.leftover,
    ...(state.failure !== null ? { error: state.failure } : {}),
    ...(state.cleanupFailure !== null ? { cleanupError: state.cleanupFailure } : {}),
  };
}

/**
 * `report`: store the report and emit the metrics; a success also becomes `latest-success.json`.
 * A test is a success only with no failure recorded, a check result and the instance deleted.
 */
export async function reportRestoreTest(
  ctx: RestoreTestContext,
  execution: string,
  state: RestoreTestState,
): Promise<{ readonly state: RestoreTestState; readonly report: RestoreTestReport }> {
  const s = state;
  const report = restoreTestReport(execution, ctx.settings.instanceId, s, ctx.clock.nowMs());
  const location = await ctx.store.putReport(report);
  if (report.outcome === "succeeded") await ctx.store.putLatestSuccess(report);
  ctx.metrics.record({
    name: RESTORE_TEST_METRICS.succeeded,
    unit: "Count",
    value: report.outcome === "succeeded" ? 1 : 0,
  });
  if (report.outcome === "succeeded" && report.figures.restoreDurationSeconds !== null) {
    ctx.metrics.record({
      name: RESTORE_TEST_METRICS.durationSeconds,
      unit: "Seconds",
      value: report.figures.restoreDurationSeconds,
    });
  }
  if (report.outcome === "succeeded" && report.figures.dataAgeSeconds !== null) {
    ctx.metrics.record({
      name: RESTORE_TEST_METRICS.dataAgeSeconds,
      unit: "Seconds",
      value: report.figures.dataAgeSeconds,
    });
  }
  return { state: { ...s, reportLocation: location }, report };
}

/** What the freshness mode found. */
export interface RestoreTestFreshness {
  readonly ageHours: number;
  /** `latest-success`: since the newest successful test finished; `first-seen`: no success ever. */
  readonly since: "latest-success" | "first-seen";
  readonly sinceAt: string;
  readonly latestSuccessId: string | null;
}

/**
 * `freshness`: hours since the newest successful test finished, or, with none ever, since the first
 * freshness run (so "no successful test in 8 days" also fires for a stack that never had one).
 */
export async function restoreTestFreshness(ctx: RestoreTestContext): Promise<RestoreTestFreshness> {
  const nowMs = ctx.clock.nowMs();
  const latest = await ctx.store.latestSuccess();
  let sinceMs: number;
  let since: RestoreTestFreshness["since"];
  if (latest !== null) {
    sinceMs = Date.parse(latest.finishedAt);
    if (!Number.isFinite(sinceMs)) {
      throw new RestoreTestError(
        `latest-success.json has no valid finishedAt (${JSON.stringify(latest.finishedAt)}): delete it so the age counts from first-seen`,
      );
    }
    since = "latest-success";
  } else {
    sinceMs = (await ctx.store.firstSeen(nowMs)).atMs;
    since = "first-seen";
  }
  const ageHours = Math.round((Math.max(0, nowMs - sinceMs) / 3_600_000) * 100) / 100;
  ctx.metrics.record({ name: RESTORE_TEST_METRICS.ageHours, unit: "None", value: ageHours });
  return { ageHours, since, sinceAt: new Date(sinceMs).toISOString(), latestSuccessId: latest?.id ?? null };
}
