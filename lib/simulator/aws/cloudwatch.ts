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
import { MetricStore, type Stat } from "../../local-aws/metric-store";

// Shared with the drill, which answers the real CloudWatch adapter from what its handlers emitted.
export { MetricStore, metricKey } from "../../local-aws/metric-store";

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
