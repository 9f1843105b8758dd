/**
 * Snapshot exports: the daily copy of the writer's newest automated snapshot to S3 (Apache Parquet),
 * kept beside the automated backups so that data can be read back without restoring an instance.
 *
 * Pure domain: the types, the port the AWS adapter implements, and the decisions (which snapshot,
 * which task id and prefix, whether to start, how healthy the exports are). No SDK, no clock, no I/O.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
 */
import { createHash } from "node:crypto";

/** Every export of the stack is written under this top-level prefix of the backup bucket. */
export const EXPORT_PREFIX_ROOT = "exports";

/**
 * RDS export task identifiers: 1–60 letters, digits and hyphens, starting with a letter, without a
 * trailing hyphen or two hyphens in a row (the StartExportTask console and CLI constraints).
 */
export const MAX_EXPORT_TASK_ID_LENGTH = 60;
const EXPORT_TASK_ID_PATTERN = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,59}$/;

/** Window in which failed exports are counted: one daily schedule plus two hours of slack. */
export const EXPORT_HEALTH_WINDOW_HOURS = 26;

const MS_PER_HOUR = 3_600_000;

/** One DB snapshot, as far as exports care. */
export interface SnapshotView {
  /** `DBSnapshotIdentifier`; automated ones look like `rds:rds-primary-dev-2026-11-25-17-05`. */
  readonly id: string;
  readonly arn: string;
  readonly instanceId: string;
  /** `SnapshotCreateTime`; `null` while RDS has not reported it (a snapshot still being created). */
  readonly createdAtMs: number | null;
  /** Raw `Status` (`available`, `creating`, …): only an `available` snapshot can be exported. */
  readonly status: string;
  /** `SnapshotType === "automated"`. */
  readonly automated: boolean;
}

/** Export task statuses, normalised from RDS's upper-case `Status`. */
export type ExportTaskStatus =
  "starting" | "in-progress" | "complete" | "failed" | "canceling" | "canceled" | "unknown";

/** One export task as `DescribeExportTasks` reports it. */
export interface ExportTaskView {
  readonly taskId: string;
  readonly sourceArn: string;
  readonly status: ExportTaskStatus;
  readonly bucket: string;
  /** `S3Prefix` as given at start (empty when none was given). */
  readonly prefix: string;
  readonly startedAtMs: number | null;
  readonly endedAtMs: number | null;
  readonly failureCause: string | null;
}

/** Everything `StartExportTask` needs. */
export interface StartExportRequest {
  readonly taskId: string;
  readonly sourceArn: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly roleArn: string;
  readonly kmsKeyArn: string;
}

/** What came of a start request. */
export type StartExportOutcome =
  | { readonly kind: "started"; readonly task: ExportTaskView }
  /** A task with this id exists already (an earlier invocation started it): nothing new was started. */
  | { readonly kind: "already-exists"; readonly detail: string };

/**
 * The RDS calls exports need (the writer's region). Reads return what the API says; a failed call
 * throws a `ControlPlaneError` with the SDK error as `cause`.
 */
export interface SnapshotExportControl {
  /** Automated snapshots of `instanceId`, any status. */
  automatedSnapshots(instanceId: string): Promise<SnapshotView[]>;
  /** Export tasks of one snapshot (`DescribeExportTasks` by `SourceArn`), any bucket. */
  exportTasksOf(sourceArn: string): Promise<ExportTaskView[]>;
  /** Export tasks that write to `bucket`, any source. */
  exportTasksIn(bucket: string): Promise<ExportTaskView[]>;
  startExport(request: StartExportRequest): Promise<StartExportOutcome>;
}

/** Normalises an RDS export `Status` (`STARTING`, `IN_PROGRESS`, `COMPLETE`, `FAILED`, `CANCELING`, `CANCELED`). */
export function normaliseExportStatus(rawStatus: string | undefined): ExportTaskStatus {
  switch ((rawStatus ?? "").toUpperCase()) {
    case "STARTING":
      return "starting";
    case "IN_PROGRESS":
      return "in-progress";
    case "COMPLETE":
      return "complete";
    case "FAILED":
      return "failed";
    case "CANCELING":
      return "canceling";
    case "CANCELED":
      return "canceled";
    default:
      return "unknown";
  }
}

/**
 * The snapshot's name without the `rds:` that RDS puts in front of automated snapshot identifiers
 * (`rds:rds-primary-dev-2026-11-25-17-05` → `rds-primary-dev-2026-11-25-17-05`); the colon is not
 * allowed in an export task id and is awkward in an S3 key.
 */
export function snapshotName(snapshotId: string): string {
  return snapshotId.startsWith("rds:") ? snapshotId.slice(4) : snapshotId;
}

/**
 * A valid export task id derived from the snapshot id, so the same snapshot always maps to the same
 * task id and a second start of it is refused by RDS rather than duplicated. `attempt` > 1 (a retry
 * an operator asked for after a failed or cancelled export) appends `-a<attempt>`. Ids longer than
 * 60 characters keep their start and end with 8 hex digits of a SHA-256 of the whole name, so two
 * long names that share a start still get different ids.
 */
export function exportTaskId(snapshotId: string, attempt = 1): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) {
    throw new RangeError(`exportTaskId attempt must be an integer ≥ 1, got ${String(attempt)}`);
  }
  const name = snapshotName(snapshotId).trim();
  if (name === "") {
    throw new RangeError(`exportTaskId needs a snapshot id, got ${JSON.stringify(snapshotId)}`);
  }
  let base = name
    .replace(/[^A-Za-z0-9-]/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[^A-Za-z]+/, "")
    .replace(/-+$/, "");
  if (base === "") base = "snapshot";
  const suffix = attempt === 1 ? "" : `-a${attempt}`;
  const limit = MAX_EXPORT_TASK_ID_LENGTH - suffix.length;
  if (base !== name || base.length > limit) {
    // A rewritten or shortened name could collide with another snapshot's: the hash keeps them apart.
    const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
    base = `${base.slice(0, limit - hash.length - 1).replace(/-+$/, "")}-${hash}`;
  }
  const id = `${base}${suffix}`;
  if (!EXPORT_TASK_ID_PATTERN.test(id)) {
    throw new RangeError(`exportTaskId built ${JSON.stringify(id)} from ${JSON.stringify(snapshotId)}`);
  }
  return id;
}

/**
 * `S3Prefix` of a snapshot's export: `exports/<instance>/<snapshot name>`. RDS writes the files under
 * `<prefix>/<export task id>/<database>/…`, so one snapshot's exports (and retries) share a folder.
 */
export function exportPrefix(instanceId: string, snapshotId: string): string {
  return `${EXPORT_PREFIX_ROOT}/${instanceId}/${snapshotName(snapshotId)}`;
}

/**
 * The newest exportable automated snapshot of `instanceId`: automated, `available`, with a creation
 * time. Manual snapshots are left to whoever took them. `null` when there is none yet (a new
 * instance gets its first automated snapshot within a day).
 */
export function newestAutomatedSnapshot(
  snapshots: readonly SnapshotView[],
  instanceId: string,
): SnapshotView | null {
  let newest: SnapshotView | null = null;
  for (const snapshot of snapshots) {
    if (!snapshot.automated || snapshot.instanceId !== instanceId || snapshot.status !== "available")
      continue;
    if (snapshot.createdAtMs === null) continue;
    if (newest === null || snapshot.createdAtMs > (newest.createdAtMs as number)) newest = snapshot;
  }
  return newest;
}

/** What asked for this run. */
export type ExportTrigger = "scheduled" | "export-now";

/** What to do about the newest snapshot, with the sentence that ends up in the log. */
export type ExportPlan =
  | {
      readonly kind: "start";
      readonly reason: string;
      readonly snapshot: SnapshotView;
      readonly taskId: string;
      readonly prefix: string;
      readonly attempt: number;
    }
  | { readonly kind: "skip"; readonly reason: string; readonly snapshot: SnapshotView | null };

const ACTIVE: ReadonlySet<ExportTaskStatus> = new Set(["starting", "in-progress", "canceling"]);

/**
 * Decides whether to export `snapshot`, given the export tasks that already exist for it.
 *
 * - No snapshot: skip (nothing to export yet).
 * - A task is running (starting, in progress, cancelling) or complete: skip; exporting twice costs
 *   twice (export is billed per GB of snapshot) and gives the same files.
 * - Only failed or cancelled tasks: the schedule does not retry (a failure is usually permissions or
 *   the key, and the `SnapshotExportFailed` alarm tells someone); an operator's `export-now` retries
 *   with the next attempt number, because task ids cannot be reused.
 * - No task: start attempt 1.
 */
export function planExport(
  trigger: ExportTrigger,
  instanceId: string,
  snapshot: SnapshotView | null,
  tasksOfSnapshot: readonly ExportTaskView[],
): ExportPlan {
  if (snapshot === null) {
    return {
      kind: "skip",
      snapshot: null,
      reason: `No available automated snapshot of ${instanceId} yet: nothing to export.`,
    };
  }
  const running = tasksOfSnapshot.find((task) => ACTIVE.has(task.status));
  if (running !== undefined) {
    return {
      kind: "skip",
      snapshot,
      reason: `Export ${running.taskId} of ${snapshot.id} is ${running.status}: not starting another.`,
    };
  }
  const complete = tasksOfSnapshot.find((task) => task.status === "complete");
  if (complete !== undefined) {
    return {
      kind: "skip",
      snapshot,
      reason: `Snapshot ${snapshot.id} was already exported by ${complete.taskId} (s3://${complete.bucket}/${complete.prefix}).`,
    };
  }
  const attempt = tasksOfSnapshot.length + 1;
  if (attempt > 1 && trigger === "scheduled") {
    const last = tasksOfSnapshot[tasksOfSnapshot.length - 1];
    return {
      kind: "skip",
      snapshot,
      reason:
        `Export ${last.taskId} of ${snapshot.id} ended ${last.status}` +
        (last.failureCause === null ? "" : ` (${last.failureCause})`) +
        `; the schedule does not retry: fix the cause, then invoke the function with {"action":"export-now"}.`,
    };
  }
  return {
    kind: "start",
    snapshot,
    taskId: exportTaskId(snapshot.id, attempt),
    prefix: exportPrefix(instanceId, snapshot.id),
    attempt,
    reason:
      attempt === 1
        ? `Snapshot ${snapshot.id} has no export yet: starting one.`
        : `Every earlier export of ${snapshot.id} failed or was cancelled: starting attempt ${attempt} on request.`,
  };
}

/** How the stack's exports are doing; the two numbers become the export alarms' metrics. */
export interface ExportHealth {
  /** Failed export tasks that ended (or started, when no end is known) in the window. */
  readonly failedInWindow: number;
  readonly failedTaskIds: readonly string[];
  /**
   * Hours since the newest completed export ended, two decimals. Without any completed export it
   * counts from the oldest available automated snapshot (exports have been due since then); `null`
   * when there is neither (a new stack: nothing is overdue yet).
   */
  readonly hoursSinceLastSuccessfulExport: number | null;
  readonly lastSuccessfulTaskId: string | null;
}

function taskTimeMs(task: ExportTaskView): number | null {
  return task.endedAtMs ?? task.startedAtMs;
}

function hoursBetween(fromMs: number, toMs: number): number {
  return Math.round((Math.max(0, toMs - fromMs) / MS_PER_HOUR) * 100) / 100;
}

/**
 * Judges the stack's exports from the tasks that write to its bucket: only tasks under
 * {@link EXPORT_PREFIX_ROOT} count, so a colleague's one-off export elsewhere in the bucket neither
 * raises nor silences an alarm. `snapshots` are the writer's automated snapshots.
 */
export function exportHealth(
  tasks: readonly ExportTaskView[],
  snapshots: readonly SnapshotView[],
  nowMs: number,
  windowHours = EXPORT_HEALTH_WINDOW_HOURS,
): ExportHealth {
  const ours = tasks.filter((task) => task.prefix.startsWith(`${EXPORT_PREFIX_ROOT}/`));
  const windowStartMs = nowMs - windowHours * MS_PER_HOUR;
  const failed = ours.filter((task) => {
    const at = taskTimeMs(task);
    return task.status === "failed" && at !== null && at >= windowStartMs;
  });
  let lastSuccess: ExportTaskView | null = null;
  for (const task of ours) {
    if (task.status !== "complete" || taskTimeMs(task) === null) continue;
    if (lastSuccess === null || (taskTimeMs(task) as number) > (taskTimeMs(lastSuccess) as number)) {
      lastSuccess = task;
    }
  }
  let hours: number | null = null;
  if (lastSuccess !== null) {
    hours = hoursBetween(taskTimeMs(lastSuccess) as number, nowMs);
  } else {
    const created = snapshots
      .filter((s) => s.automated && s.status === "available" && s.createdAtMs !== null)
      .map((s) => s.createdAtMs as number);
    if (created.length > 0) hours = hoursBetween(Math.min(...created), nowMs);
  }
  return {
    failedInWindow: failed.length,
    failedTaskIds: failed.map((task) => task.taskId),
    hoursSinceLastSuccessfulExport: hours,
    lastSuccessfulTaskId: lastSuccess?.taskId ?? null,
  };
}
