/**
 * CloudWatch metrics as the deployed code meets them (reference aws-behaviour.md §5), for the two
 * local worlds that run the real handlers and adapters: the simulator and the drill.
 * - EMF lines a function printed become datapoints dated by `_aws.Timestamp` (epoch ms);
 * - datapoints become queryable only after an ingestion delay (EMF extraction latency is
 *   UNCONFIRMED, so the caller chooses it);
 * - `GetMetricData`: `StartTime` inclusive and rounded down to the minute, `EndTime` exclusive,
 *   periods aligned to the start, `TimestampDescending` unless asked otherwise.
 * No AWS SDK client here: only the command's input and output types.
 */
import type { GetMetricDataCommandInput, GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";

interface Datapoint {
  readonly atMs: number;
  readonly value: number;
  readonly visibleAtMs: number;
}

/** The statistics the deployed code and the stack's alarms use. */
export type Stat = "Maximum" | "Minimum" | "Sum" | "Average" | "SampleCount";

/** Identity of a metric: namespace, name and the exact set of dimensions (reference: CloudWatch concepts). */
export function metricKey(
  namespace: string,
  name: string,
  dimensions: readonly { Name?: string; Value?: string }[],
): string {
  const dims = [...dimensions]
    .map((d) => `${d.Name}=${d.Value}`)
    .sort()
    .join(",");
  return `${namespace}|${name}|${dims}`;
}

function aggregate(values: readonly number[], stat: Stat): number {
  switch (stat) {
    case "Maximum":
      return Math.max(...values);
    case "Minimum":
      return Math.min(...values);
    case "Sum":
      return values.reduce((a, b) => a + b, 0);
    case "Average":
      return values.reduce((a, b) => a + b, 0) / values.length;
    case "SampleCount":
      return values.length;
  }
}

const MINUTE_MS = 60_000;

/** Index of the first point of `points` (ordered by `atMs`) dated at or after `atMs`. */
function firstAtOrAfter(points: readonly Datapoint[], atMs: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (points[mid].atMs < atMs) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The metrics of one region. */
export class MetricStore {
  /** Each metric's datapoints ordered by their date, so that a query reads only its window. */
  private readonly series = new Map<string, Datapoint[]>();

  constructor(private readonly ingestionDelayMs: number) {}

  put(key: string, atMs: number, value: number, receivedAtMs: number): void {
    let list = this.series.get(key);
    if (list === undefined) {
      list = [];
      this.series.set(key, list);
    }
    const point = { atMs, value, visibleAtMs: receivedAtMs + this.ingestionDelayMs };
    // Points mostly arrive in date order; one dated earlier (a late EMF line) goes after its peers.
    if (list.length === 0 || list[list.length - 1].atMs <= atMs) list.push(point);
    else list.splice(firstAtOrAfter(list, atMs + 1), 0, point);
  }

  /**
   * Ingests one line a function printed: an Embedded Metric Format document becomes datapoints
   * (`_aws.Timestamp` in epoch ms dates them; reference §5), anything else is ignored.
   */
  ingestEmf(line: string, receivedAtMs: number): void {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const meta = doc._aws as
      | {
          Timestamp?: number;
          CloudWatchMetrics?: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[];
        }
      | undefined;
    if (meta?.CloudWatchMetrics === undefined || typeof meta.Timestamp !== "number") return;
    for (const directive of meta.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        const dims = dimensionSet.map((name) => ({ Name: name, Value: String(doc[name]) }));
        for (const metric of directive.Metrics) {
          const raw = doc[metric.Name];
          const values = Array.isArray(raw) ? raw : [raw];
          for (const value of values) {
            if (typeof value === "number")
              this.put(
                metricKey(directive.Namespace, metric.Name, dims),
                meta.Timestamp,
                value,
                receivedAtMs,
              );
          }
        }
      }
    }
  }

  /** Aggregated values of one metric per period in [startMs, endMs), as visible at `nowMs`. */
  query(
    key: string,
    startMs: number,
    endMs: number,
    periodMs: number,
    stat: Stat,
    nowMs: number,
  ): { atMs: number; value: number }[] {
    const buckets = new Map<number, number[]>();
    const points = this.series.get(key) ?? [];
    for (let i = firstAtOrAfter(points, startMs); i < points.length && points[i].atMs < endMs; i++) {
      const point = points[i];
      if (point.visibleAtMs > nowMs) continue;
      const bucket = startMs + Math.floor((point.atMs - startMs) / periodMs) * periodMs;
      const values = buckets.get(bucket) ?? [];
      values.push(point.value);
      buckets.set(bucket, values);
    }
    return [...buckets.entries()].map(([atMs, values]) => ({ atMs, value: aggregate(values, stat) }));
  }

  /** `GetMetricData` with `MetricStat` queries (the only form the deployed code sends). */
  getMetricData(input: GetMetricDataCommandInput, nowMs: number): GetMetricDataCommandOutput {
    const startMs = Math.floor(new Date(input.StartTime as Date).getTime() / MINUTE_MS) * MINUTE_MS;
    const endMs = new Date(input.EndTime as Date).getTime();
    const ascending = input.ScanBy === "TimestampAscending";
    return {
      $metadata: {},
      MetricDataResults: (input.MetricDataQueries ?? []).map((q) => {
        const stat = q.MetricStat;
        if (stat?.Metric === undefined)
          throw new Error(`query ${q.Id} has no MetricStat: the simulator models MetricStat queries only`);
        const key = metricKey(
          stat.Metric.Namespace ?? "",
          stat.Metric.MetricName ?? "",
          stat.Metric.Dimensions ?? [],
        );
        const points = this.query(
          key,
          startMs,
          endMs,
          (stat.Period ?? 60) * 1000,
          stat.Stat as Stat,
          nowMs,
        ).sort((a, b) => (ascending ? a.atMs - b.atMs : b.atMs - a.atMs));
        return {
          Id: q.Id,
          Label: stat.Metric.MetricName,
          Timestamps: points.map((p) => new Date(p.atMs)),
          Values: points.map((p) => p.value),
          StatusCode: "Complete",
        };
      }),
    };
  }
}
