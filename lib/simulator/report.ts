/** The matrix table and its summary, as `npm run simulate -- --matrix` prints them. */
import type { Outcome } from "./run";

function quantile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

const cell = (value: number | null, digits = 0): string => (value === null ? "—" : value.toFixed(digits));

/** One row per timeline: name, promotions, detection, RTO, data loss, alerts, verdict. */
export function formatMatrix(outcomes: readonly Outcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length), 8);
  const head = `${"timeline".padEnd(width)}  prom  detect s  RTO s  loss s  lost  alerts  verdict`;
  const rows = outcomes.map(
    (o) =>
      `${o.name.padEnd(width)}  ${String(o.promotions).padStart(4)}  ${cell(o.detectionSeconds).padStart(8)}  ${cell(o.rtoSeconds).padStart(5)}  ${cell(o.dataLossSeconds, 1).padStart(6)}  ${String(o.lostCommits).padStart(4)}  ${String(o.alerts.length).padStart(6)}  ${o.violations.length === 0 ? "ok" : `VIOLATED ${o.violations.join(" | ")}`}`,
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
  };
  const r = figures.primaryLossRto;
  const d = figures.primaryLossDetection;
  const text =
    `${figures.timelines} timelines, ${figures.violations} invariant violations in ${figures.violatedTimelines} timelines, ` +
    `${figures.wallSeconds} s wall time.\n` +
    `Primary loss (${loss.length} timelines, ${r.count} recovered): RTO p50 ${cell(r.p50)} s, p95 ${cell(r.p95)} s, max ${cell(r.max)} s; ` +
    `detection p50 ${cell(d.p50)} s, p95 ${cell(d.p95)} s, max ${cell(d.max)} s.`;
  return { figures, text };
}
