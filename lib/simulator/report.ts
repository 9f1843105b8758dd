/** The matrix table and its summary, as `npm run simulate -- --matrix` prints them. */
import { STATES } from "../workflow/definition";
import type { Outcome } from "./run";

/**
 * Step Functions Standard bills each state transition, retries included: $0.025 per 1,000 in the
 * DR region (Asia Pacific (Singapore)) and most others, beyond 4,000 free a month
 * (https://aws.amazon.com/step-functions/pricing/).
 */
export const USD_PER_STATE_TRANSITION = 0.025 / 1000;

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const cell = (value: number | null, digits = 0): string => (value === null ? "—" : value.toFixed(digits));

/** One row per timeline: name, promotions, executions, detection, RTO, data loss, alerts, verdict. */
export function formatMatrix(outcomes: readonly Outcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length), 8);
  const head = `${"timeline".padEnd(width)}  prom  exec  detect s  RTO s  loss s  lost  alerts  verdict`;
  const rows = outcomes.map(
    (o) =>
      `${o.name.padEnd(width)}  ${String(o.promotions).padStart(4)}  ${String(o.executions).padStart(4)}  ${cell(o.detectionSeconds).padStart(8)}  ${cell(o.rtoSeconds).padStart(5)}  ${cell(o.dataLossSeconds, 1).padStart(6)}  ${String(o.lostCommits).padStart(4)}  ${String(o.alerts.length).padStart(6)}  ${o.violations.length === 0 ? "ok" : `VIOLATED ${o.violations.join(" | ")}`}`,
  );
  return [head, ...rows].join("\n");
}

export interface MatrixFigures {
  readonly timelines: number;
  readonly violations: number;
  readonly violatedTimelines: number;
  readonly wallSeconds: number;
  /** RTO of the primary-loss rows that recovered, seconds. */
  readonly primaryLossRto: {
    readonly p50: number | null;
    readonly p95: number | null;
    readonly max: number | null;
    readonly count: number;
  };
  readonly primaryLossDetection: {
    readonly p50: number | null;
    readonly p95: number | null;
    readonly max: number | null;
  };
  /**
   * The regional-loss rows (`region-lost/restore-<s>s/…`): how many recovered on a restored writer,
   * and their RTO (fault → first write on it) and data lost, seconds.
   */
  readonly regionalLoss: {
    readonly count: number;
    readonly restored: number;
    readonly rtoMin: number | null;
    readonly rtoMax: number | null;
    readonly dataLossMax: number | null;
  };
  /**
   * The restore tests of every row: how many succeeded / failed, and the measured restore durations
   * (RestoreTestDurationSeconds) beside the simulated ones, seconds.
   */
  readonly restoreTests: {
    readonly timelines: number;
    readonly succeeded: number;
    readonly failed: number;
    /** `measured` of a restore that took `simulated`. */
    readonly durations: readonly { readonly simulated: number; readonly measured: number }[];
  };
  /** State transitions of each execution that ended with `FailoverSucceeded`, and what they cost. */
  readonly transitionsPerFailover: {
    readonly p50: number | null;
    readonly max: number | null;
    readonly count: number;
    readonly usdP50: number | null;
    readonly usdMax: number | null;
  };
}

export function summarise(
  outcomes: readonly Outcome[],
  wallSeconds: number,
): { figures: MatrixFigures; text: string } {
  const loss = outcomes.filter((o) => o.name.startsWith("primary-dies/"));
  const rto = loss
    .map((o) => o.rtoSeconds)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  const detect = loss
    .map((o) => o.detectionSeconds)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  const regional = outcomes.filter((o) => o.name.startsWith("region-lost/restore-"));
  const regionalRto = regional
    .filter((o) => o.restores > 0)
    .map((o) => o.rtoSeconds)
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  const transitions = outcomes
    .flatMap((o) => o.workflow)
    .filter((e) => e.status === "SUCCEEDED" && e.endState === STATES.succeeded)
    .map((e) => e.transitions)
    .sort((a, b) => a - b);
  const withTests = outcomes.filter(
    (o) => o.restoreTests.succeeded + o.restoreTests.failed + o.restoreTests.running > 0,
  );
  const durations = withTests
    .flatMap((o) =>
      o.restoreTests.durationsSeconds.map((measured) => ({ simulated: o.restoreSeconds, measured })),
    )
    .sort((a, b) => a.simulated - b.simulated || a.measured - b.measured);
  const usd = (n: number | null): number | null =>
    n === null ? null : Math.round(n * USD_PER_STATE_TRANSITION * 1e6) / 1e6;
  const t50 = quantile(transitions, 0.5);
  const tMax = transitions.at(-1) ?? null;
  const figures: MatrixFigures = {
    timelines: outcomes.length,
    violations: outcomes.reduce((n, o) => n + o.violations.length, 0),
    violatedTimelines: outcomes.filter((o) => o.violations.length > 0).length,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    primaryLossRto: {
      p50: quantile(rto, 0.5),
      p95: quantile(rto, 0.95),
      max: rto.at(-1) ?? null,
      count: rto.length,
    },
    primaryLossDetection: {
      p50: quantile(detect, 0.5),
      p95: quantile(detect, 0.95),
      max: detect.at(-1) ?? null,
    },
    regionalLoss: {
      count: regional.length,
      restored: regionalRto.length,
      rtoMin: regionalRto[0] ?? null,
      rtoMax: regionalRto.at(-1) ?? null,
      dataLossMax: regional.length === 0 ? null : Math.max(...regional.map((o) => o.dataLossSeconds)),
    },
    restoreTests: {
      timelines: withTests.length,
      succeeded: withTests.reduce((n, o) => n + o.restoreTests.succeeded, 0),
      failed: withTests.reduce((n, o) => n + o.restoreTests.failed, 0),
      durations,
    },
    transitionsPerFailover: {
      p50: t50,
      max: tMax,
      count: transitions.length,
      usdP50: usd(t50),
      usdMax: usd(tMax),
    },
  };
  const r = figures.primaryLossRto;
  const d = figures.primaryLossDetection;
  const t = figures.transitionsPerFailover;
  const g = figures.regionalLoss;
  const rt = figures.restoreTests;
  const text =
    `${figures.timelines} timelines, ${figures.violations} invariant violations in ${figures.violatedTimelines} timelines, ` +
    `${figures.wallSeconds} s wall time.\n` +
    `Primary loss (${loss.length} timelines, ${r.count} recovered): RTO p50 ${cell(r.p50)} s, p95 ${cell(r.p95)} s, max ${cell(r.max)} s; ` +
    `detection p50 ${cell(d.p50)} s, p95 ${cell(d.p95)} s, max ${cell(d.max)} s.\n` +
    `Regional loss, restore 10–120 min (${g.count} timelines, ${g.restored} restored): RTO ${cell(g.rtoMin)}–${cell(g.rtoMax)} s; ` +
    `data lost at most ${cell(g.dataLossMax)} s (logs shipped every 5 min).\n` +
    `Restore tests (${rt.timelines} timelines): ${rt.succeeded} succeeded, ${rt.failed} failed; measured restore ` +
    `${rt.durations.length === 0 ? "—" : rt.durations.map((d) => `${cell(d.measured)} s (simulated ${d.simulated} s)`).join(", ")}.\n` +
    `Cost per failover (${t.count} succeeded): state transitions p50 ${cell(t.p50)}, max ${cell(t.max)}; ` +
    `$${cell(t.usdP50, 4)} / $${cell(t.usdMax, 4)} at $0.025 per 1,000 (Step Functions Standard pricing).`;
  return { figures, text };
}
