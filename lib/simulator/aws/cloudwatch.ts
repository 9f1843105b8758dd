/**
 * CloudWatch metrics and alarms as the deployed code meets them (reference §5):
 * - datapoints become queryable only after an ingestion delay (EMF extraction latency is
 *   UNCONFIRMED, so the timeline sets it; the default is a pessimistic minute);
 * - `GetMetricData`: `StartTime` inclusive and rounded down to the minute, `EndTime` exclusive,
 *   periods aligned to the minute, `TimestampDescending` unless asked otherwise;
 * - alarms with a 60 s period are evaluated every minute over the last `EvaluationPeriods` whole
 *   periods, `DatapointsToAlarm` of them breaching, `TreatMissingData` applied, and every state
 *   change goes to EventBridge as a "CloudWatch Alarm State Change" event.
 */
import type { GetMetricDataCommandInput, GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";

interface Datapoint {
  readonly atMs: number;
  readonly value: number;
  readonly visibleAtMs: number;
}

type Stat = "Maximum" | "Minimum" | "Sum" | "Average" | "SampleCount";

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

/** The metrics of one region. */
export class MetricStore {
  private readonly series = new Map<string, Datapoint[]>();

  constructor(private readonly ingestionDelayMs: number) {}

  put(key: string, atMs: number, value: number, receivedAtMs: number): void {
    const list = this.series.get(key) ?? [];
    list.push({ atMs, value, visibleAtMs: receivedAtMs + this.ingestionDelayMs });
    this.series.set(key, list);
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
    for (const point of this.series.get(key) ?? []) {
      if (point.visibleAtMs > nowMs || point.atMs < startMs || point.atMs >= endMs) continue;
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

/** One metric alarm, as declared by the stack (`lib/infra/alerting.ts` `alarmSpecs`). */
export interface SimAlarmSpec {
  readonly name: string;
  readonly arn: string;
  readonly key: string;
  readonly statistic: Stat;
  readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: "missing" | "breaching" | "notBreaching";
}

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** CloudWatch's timestamp form in alarm events: `2019-10-02T17:04:40.989+0000` (reference §5). */
export function alarmTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

/** A metric alarm evaluated every minute; `onChange` receives the EventBridge event of each state change. */
export class SimAlarm {
  state: AlarmState = "INSUFFICIENT_DATA";
  private stateSinceMs: number;
  readonly changes: { atMs: number; state: AlarmState }[] = [];

  constructor(
    readonly spec: SimAlarmSpec,
    private readonly store: MetricStore,
    createdAtMs: number,
    private readonly onChange: (event: Record<string, unknown>) => void,
  ) {
    this.stateSinceMs = createdAtMs;
  }

  evaluate(nowMs: number): void {
    const { evaluationPeriods: n, periodSeconds, treatMissingData } = this.spec;
    const periodMs = periodSeconds * 1000;
    const endMs = Math.floor(nowMs / periodMs) * periodMs;
    // CloudWatch retrieves more datapoints than EvaluationPeriods (reference §5): with `missing`, the
    // newest N present ones in a wider range count, so a datapoint still being ingested does not
    // hide the ones before it. Two extra periods stand for that wider range.
    const lookback = treatMissingData === "missing" ? n + 2 : n;
    const startMs = endMs - lookback * periodMs;
    const present = new Map(
      this.store
        .query(this.spec.key, startMs, endMs, periodMs, this.spec.statistic, nowMs)
        .map((p) => [p.atMs, p.value]),
    );
    const breaches = (value: number): boolean =>
      this.spec.comparisonOperator === "GreaterThanThreshold"
        ? value > this.spec.threshold
        : value < this.spec.threshold;
    const considered: (boolean | undefined)[] = [];
    for (let at = endMs - periodMs; at >= startMs; at -= periodMs) {
      const value = present.get(at);
      if (value !== undefined) considered.push(breaches(value));
      else if (treatMissingData === "breaching") considered.push(true);
      else if (treatMissingData === "notBreaching") considered.push(false);
      else if (lookback === n) considered.push(undefined);
    }
    const window = considered.filter((c): c is boolean => c !== undefined).slice(0, n);
    const breaching = window.filter((c) => c).length;
    const notBreaching = window.length - breaching;
    let next: AlarmState = this.state;
    if (breaching >= this.spec.datapointsToAlarm) next = "ALARM";
    else if (notBreaching > this.spec.evaluationPeriods - this.spec.datapointsToAlarm) next = "OK";
    else if (breaching + notBreaching === 0)
      next = this.state === "INSUFFICIENT_DATA" ? "INSUFFICIENT_DATA" : this.state;
    if (next === this.state) return;
    const previous = {
      value: this.state,
      timestamp: alarmTimestamp(this.stateSinceMs),
      reason: "previous state",
      reasonData: "{}",
    };
    this.state = next;
    this.stateSinceMs = nowMs;
    this.changes.push({ atMs: nowMs, state: next });
    this.onChange({
      version: "0",
      id: `alarm-${this.spec.name}-${nowMs}`,
      "detail-type": "CloudWatch Alarm State Change",
      source: "aws.cloudwatch",
      time: new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z"),
      resources: [this.spec.arn],
      detail: {
        alarmName: this.spec.name,
        state: {
          value: next,
          reason: `Threshold Crossed: ${breaching} out of the last ${this.spec.evaluationPeriods} datapoints were breaching`,
          reasonData: JSON.stringify({ version: "1.0", threshold: this.spec.threshold }),
          timestamp: alarmTimestamp(nowMs),
        },
        previousState: previous,
        configuration: { metrics: [], description: this.spec.name },
      },
    });
  }
}
