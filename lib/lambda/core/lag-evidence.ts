/**
 * The lag evidence the guard judges, built from the monitor's history and the current run.
 * Pure: no SDK, no I/O. The CloudWatch adapter and the drill's in-memory history both answer
 * `LagHistory` with {@link lagEvidenceFromSeries}, so both worlds apply the same rule.
 *
 * The rule: only a lag reading taken while the primary answered may bound the data at risk (lag
 * read after the primary died grows by definition). Its age is judged against the first sign of
 * the failure after the primary last answered, a moment in the past that does not move, so the
 * verdict is the same 30 s or 10 minutes after the fault, whatever the trigger.
 */
import { consecutiveFailures } from "./decide";
import type { LagEvidence, LagReading, ProbeResult, Trigger } from "./types";

/** One datapoint of a per-period statistic: the period's start and its value. */
export interface MetricPoint {
  readonly atMs: number;
  readonly value: number;
}

/** No evidence at all: no reading, the primary never seen answering, no failure seen. */
export const NO_LAG_EVIDENCE: LagEvidence = Object.freeze({
  lastHealthyLag: null,
  primaryLastAnsweredAtMs: null,
  failureFirstSeenAtMs: null,
});

/**
 * Evidence from two per-period Maximum series: `HealthyLagSeconds` (emitted only for a reading
 * taken while the primary answered) and `PrimaryReachable` (1 per answered probe, 0 per failed one,
 * so a period's Maximum is 1 when the primary answered at least once in it and 0 when every
 * probe in it failed).
 *
 * A period's datapoint only says "somewhere in [start, start + period)", so times are chosen to
 * overstate the reading's age, never understate it: the reading is dated at its period's start,
 * the last answer and the first failure at their period's end (capped at `nowMs`). Points at or
 * after `nowMs` and non-finite values are ignored.
 *
 * `primaryLastAnsweredAt` (the monitor's `PrimaryLastAnsweredAt` Maximum: each run's last answered
 * probe, its time as the value in epoch seconds) dates the last answer to the second instead: its
 * newest time at or before `nowMs`, when it lies at most a period before the last answered period
 * (a run's datapoints are dated at its end); a history without it falls back to the period's end
 * (a time carried in a metric value: reference §5).
 */
export function lagEvidenceFromSeries(
  healthyLag: readonly MetricPoint[],
  primaryReachable: readonly MetricPoint[],
  periodMs: number,
  nowMs: number,
  primaryLastAnsweredAt: readonly MetricPoint[] = [],
): LagEvidence {
  const usable = (points: readonly MetricPoint[]): MetricPoint[] =>
    points.filter((p) => Number.isFinite(p.atMs) && Number.isFinite(p.value) && p.atMs < nowMs);
  const end = (p: MetricPoint): number => Math.min(p.atMs + periodMs, nowMs);

  const newestLag = usable(healthyLag).sort((a, b) => b.atMs - a.atMs)[0];
  const reachable = usable(primaryReachable).sort((a, b) => a.atMs - b.atMs);
  const lastAnswered = reachable.filter((p) => p.value >= 1).pop();
  const firstFailure = reachable.find(
    (p) => p.value < 1 && (lastAnswered === undefined || p.atMs > lastAnswered.atMs),
  );
  // The exact time of the newest answer. A run's datapoints are dated at its end, so its last answer
  // may lie up to a run (less than a period) before the period it is counted in.
  const exact = usable(primaryLastAnsweredAt)
    .map((p) => p.value * 1000)
    .filter((t) => Number.isFinite(t) && t <= nowMs);
  const answeredAt = (period: MetricPoint): number => {
    const newest = exact.length > 0 ? Math.max(...exact) : -Infinity;
    return newest >= period.atMs - periodMs ? Math.min(newest, end(period)) : end(period);
  };
  const lastHealthyLag: LagReading | null =
    newestLag === undefined
      ? null
      : {
          atMs: newestLag.atMs,
          lagSeconds: newestLag.value,
          probe: {
            target: "replica",
            atMs: newestLag.atMs,
            outcome: "ok",
            latencyMs: 0,
            detail: "from the monitor's history",
          },
        };
  return {
    lastHealthyLag,
    primaryLastAnsweredAtMs: lastAnswered === undefined ? null : answeredAt(lastAnswered),
    failureFirstSeenAtMs: firstFailure === undefined ? null : end(firstFailure),
  };
}

/** What one evaluation itself saw: the trigger, the run's probes and its own healthy reading. */
export interface CurrentEvidence {
  readonly trigger: Trigger;
  readonly primaryProbes: readonly ProbeResult[];
  readonly lastHealthyLag: LagReading | null;
}

/**
 * Merge the history with what the current evaluation saw. The newest healthy reading wins; the
 * primary's last answer is the latest of both; the first failure seen is the earliest sign of
 * failure that is not contradicted by a later answer in the current run (a failure followed by
 * an answer was a blip, not this failure): the trailing failed probes' first, the alarm's
 * `sinceMs` while it is in ALARM, the history's first failed period.
 */
export function mergeLagEvidence(history: LagEvidence, current: CurrentEvidence): LagEvidence {
  const probes = current.primaryProbes;
  const lastOk = [...probes].reverse().find((p) => p.outcome === "ok");
  const lastOkMs = lastOk?.atMs ?? -Infinity;

  const candidates: number[] = [];
  const trailing = consecutiveFailures(probes);
  if (trailing > 0) candidates.push(probes[probes.length - trailing].atMs);
  if (current.trigger.kind === "alarm" && current.trigger.alarm.state === "ALARM") {
    if (current.trigger.alarm.sinceMs > lastOkMs) candidates.push(current.trigger.alarm.sinceMs);
  }
  if (history.failureFirstSeenAtMs !== null && history.failureFirstSeenAtMs > lastOkMs) {
    candidates.push(history.failureFirstSeenAtMs);
  }

  const readings = [history.lastHealthyLag, current.lastHealthyLag].filter(
    (r): r is LagReading => r !== null,
  );
  const lastHealthyLag = readings.sort((a, b) => b.atMs - a.atMs)[0] ?? null;
  const answered = [history.primaryLastAnsweredAtMs, lastOk?.atMs ?? null].filter(
    (t): t is number => t !== null,
  );
  return {
    lastHealthyLag,
    primaryLastAnsweredAtMs: answered.length > 0 ? Math.max(...answered) : null,
    failureFirstSeenAtMs: candidates.length > 0 ? Math.min(...candidates) : null,
  };
}
