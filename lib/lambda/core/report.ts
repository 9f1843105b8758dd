/**
 * The audit report of a failover, switchover or drill: its stable id and the pure building of
 * its figures. Regulators hold the firm to its RTO and RPO; these figures are the evidence.
 */
import type { FailoverReport, TimelineEntry } from "./ports";
import type { InstanceView } from "./types";

/** Report kinds, in the order `readSnapshot` looks for an existing one. */
export const REPORT_KINDS: readonly FailoverReport["kind"][] = ["failover", "switchover", "restore", "drill"];

function compactIso(ms: number): string {
  // 2024-05-01T10:00:00.000Z → 20240501T100000000Z: sortable and safe in an S3 key.
  return new Date(ms).toISOString().replace(/[-:.]/g, "");
}

/**
 * The report id of the failover that promotes `replica`, deterministic so that a resumed run
 * finds the report of the run it continues instead of writing a second one.
 *
 * An RDS instance can be promoted only once in its life, so its id plus its creation time
 * names exactly one failover, whichever trigger (monitor, alarm, operator) resumes it. When the
 * creation time is unknown, the failure start stands in: stable across retries of the same
 * event, but a resume from a different trigger may then write a second report.
 */
export function reportId(
  replica: Pick<InstanceView, "id" | "createdAtMs">,
  failureStartedAtMs: number,
): string {
  const safeId = replica.id.replace(/[^A-Za-z0-9_-]/g, "-");
  return replica.createdAtMs !== undefined && Number.isFinite(replica.createdAtMs)
    ? `${safeId}-created-${compactIso(replica.createdAtMs)}`
    : `${safeId}-failed-${compactIso(failureStartedAtMs)}`;
}

/** Milliseconds between two moments as seconds with one decimal, or `null` when either is unknown. */
export function secondsBetween(
  fromMs: number | null | undefined,
  toMs: number | null | undefined,
): number | null {
  if (fromMs === null || fromMs === undefined || toMs === null || toMs === undefined) return null;
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) return null;
  return Math.round((toMs - fromMs) / 100) / 10;
}

/** The moments a run measured; `null` for what it did not see (e.g. steps done by an earlier, interrupted run). */
export interface ReportMoments {
  readonly failureStartedAtMs: number | null;
  readonly detectedAtMs: number | null;
  readonly promoteCalledAtMs: number | null;
  readonly writableAtMs: number | null;
  readonly writerSwitchedAtMs: number | null;
}

/**
 * The report figures:
 * - detectionSeconds = detected − failure start;
 * - promotionSeconds = promote call → replica writable;
 * - rtoSeconds = failure start → writer switched (the last step clients need);
 * - dataLossWindowSeconds = the last healthy replication lag (0 for a planned switchover, which
 *   waits for the replica to replay everything before promoting).
 */
export function reportFigures(
  moments: ReportMoments,
  lastHealthyLagSeconds: number | null,
  planned: boolean,
): FailoverReport["figures"] {
  return {
    detectionSeconds: secondsBetween(moments.failureStartedAtMs, moments.detectedAtMs),
    promotionSeconds: secondsBetween(moments.promoteCalledAtMs, moments.writableAtMs),
    rtoSeconds: secondsBetween(moments.failureStartedAtMs, moments.writerSwitchedAtMs),
    dataLossWindowSeconds: planned ? 0 : lastHealthyLagSeconds,
  };
}

/** Everything a report is built from. */
export interface ReportInput {
  readonly id: string;
  readonly kind: FailoverReport["kind"];
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly outcome: FailoverReport["outcome"];
  readonly decisions: FailoverReport["decisions"];
  readonly timeline: readonly TimelineEntry[];
  readonly moments: ReportMoments;
  readonly lastHealthyLagSeconds: number | null;
  readonly planned: boolean;
  readonly oldPrimary: InstanceView;
  readonly newPrimary: InstanceView;
  readonly error?: string;
}

/** Build the report; the timeline is sorted by time (stable for equal times). */
export function buildReport(input: ReportInput): FailoverReport {
  const timeline = input.timeline
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => a.entry.atMs - b.entry.atMs || a.index - b.index)
    .map(({ entry }) => entry);
  return {
    id: input.id,
    kind: input.kind,
    startedAtMs: input.startedAtMs,
    finishedAtMs: input.finishedAtMs,
    outcome: input.outcome,
    decisions: input.decisions,
    timeline,
    figures: reportFigures(input.moments, input.lastHealthyLagSeconds, input.planned),
    oldPrimary: input.oldPrimary,
    newPrimary: input.newPrimary,
    ...(input.error !== undefined ? { error: input.error } : {}),
  };
}
