import { GetMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { METRICS, METRIC_DIMENSION } from "../../../function-env";
import { ConfigurationError, ControlPlaneError } from "../../core/errors";
import type { LagHistory } from "../../core/ports";
import type { LagReading } from "../../core/types";
import { describeAwsError } from "./aws-errors";

/** Settings of the CloudWatch lag history (from the failover function's environment). */
export interface CloudWatchLagHistoryConfig {
  /** Namespace the monitor emits its EMF metrics under (`METRICS_NAMESPACE`). */
  readonly metricsNamespace: string;
  /** Value of the `Environment` dimension (`ENVIRONMENT_SUFFIX`). */
  readonly environmentSuffix: string;
  /** Aggregation period; the monitor runs once a minute, so 60 s holds one run. Default 60. */
  readonly periodSeconds?: number;
}

const DEFAULT_PERIOD_SECONDS = 60;

/**
 * `LagHistory` on the monitor's `HeartbeatLagSeconds` metric in CloudWatch (the DR region, where the
 * monitor runs and emits through EMF). Each minute is read as its Maximum, the worst lag seen in it,
 * because the figure bounds the data at risk. Only whole periods that ended at or before `beforeMs`
 * count, and a reading is dated at its period's start: the reading's age is over- rather than
 * under-stated. The monitor emits the metric only for a successful replica read, so a datapoint is a
 * real measurement. Throws `ControlPlaneError` when CloudWatch cannot be read: "no history" and
 * "history unreadable" are different facts, and only the first is `null`.
 */
export class CloudWatchLagHistory implements LagHistory {
  private readonly periodSeconds: number;

  constructor(
    private readonly config: CloudWatchLagHistoryConfig,
    private readonly cloudWatch: CloudWatchClient,
  ) {
    if (
      typeof config.metricsNamespace !== "string" ||
      !/^[^:][\x20-\x7e]{0,254}$/.test(config.metricsNamespace)
    ) {
      throw new ConfigurationError(
        `CloudWatchLagHistory metricsNamespace must be 1-255 printable ASCII characters not starting with ":", got ${JSON.stringify(config.metricsNamespace)} (check METRICS_NAMESPACE)`,
      );
    }
    if (typeof config.environmentSuffix !== "string" || config.environmentSuffix.trim() === "") {
      throw new ConfigurationError(
        `CloudWatchLagHistory environmentSuffix must be a non-empty string, got ${JSON.stringify(config.environmentSuffix)} (check ENVIRONMENT_SUFFIX)`,
      );
    }
    const period = config.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
    // GetMetricData accepts 1, 5, 10, 20, 30 or any multiple of 60 seconds.
    if (
      !Number.isInteger(period) ||
      period < 1 ||
      (period % 60 !== 0 && ![1, 5, 10, 20, 30].includes(period))
    ) {
      throw new ConfigurationError(
        `CloudWatchLagHistory periodSeconds must be 1, 5, 10, 20, 30 or a multiple of 60, got ${JSON.stringify(config.periodSeconds)}`,
      );
    }
    this.periodSeconds = period;
  }

  /** Newest per-period Maximum of `HeartbeatLagSeconds` within `lookbackSeconds` before `beforeMs`, or `null`. */
  async lastHealthyLag(beforeMs: number, lookbackSeconds: number): Promise<LagReading | null> {
    if (!Number.isFinite(beforeMs) || !Number.isFinite(lookbackSeconds) || lookbackSeconds <= 0) {
      throw new ControlPlaneError(
        `lastHealthyLag needs a finite beforeMs and a positive lookbackSeconds, got ${beforeMs} and ${lookbackSeconds}`,
      );
    }
    const periodMs = this.periodSeconds * 1000;
    const windowStartMs = beforeMs - lookbackSeconds * 1000;
    const startMs = Math.floor(windowStartMs / periodMs) * periodMs;
    const endMs = Math.floor(beforeMs / periodMs) * periodMs;
    if (endMs <= startMs) return null;
    let out;
    try {
      out = await this.cloudWatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            {
              Id: "heartbeatLag",
              MetricStat: {
                Metric: {
                  Namespace: this.config.metricsNamespace,
                  MetricName: METRICS.heartbeatLagSeconds,
                  Dimensions: [{ Name: METRIC_DIMENSION, Value: this.config.environmentSuffix }],
                },
                Period: this.periodSeconds,
                Stat: "Maximum",
              },
              ReturnData: true,
            },
          ],
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          // Newest first: the answer is on the first page, so NextToken never needs following.
          ScanBy: "TimestampDescending",
        }),
      );
    } catch (err) {
      throw new ControlPlaneError(
        `Reading ${METRICS.heartbeatLagSeconds} from CloudWatch failed: ${describeAwsError(err)}`,
        { cause: err },
      );
    }
    const result = out.MetricDataResults?.[0];
    const newest = (result?.Timestamps ?? [])
      .map((at, i) => ({ atMs: at.getTime(), value: result?.Values?.[i] }))
      .filter(
        (p): p is { atMs: number; value: number } =>
          typeof p.value === "number" &&
          Number.isFinite(p.value) &&
          p.atMs >= windowStartMs &&
          p.atMs + periodMs <= beforeMs,
      )
      .sort((a, b) => b.atMs - a.atMs)[0];
    if (newest === undefined) return null;
    return {
      atMs: newest.atMs,
      lagSeconds: newest.value,
      probe: { target: "replica", atMs: newest.atMs, outcome: "ok", latencyMs: 0, detail: "from CloudWatch" },
    };
  }
}
