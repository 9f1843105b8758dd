import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { METRICS, METRIC_DIMENSION } from "../../../function-env";
import { ConfigurationError, ControlPlaneError } from "../../core/errors";
import type { LagHistory } from "../../core/ports";
import { lagEvidenceFromSeries, type MetricPoint } from "../../core/lag-evidence";
import type { LagEvidence } from "../../core/types";
import { describeAwsError } from "./aws-errors";

/** Settings of the CloudWatch lag history (from the failover function's environment). */
export interface CloudWatchLagHistoryConfig {
  /** Namespace the monitor emits its EMF metrics under (`METRICS_NAMESPACE`). */
  readonly metricsNamespace: string;
  /** Value of the `Environment` dimension (`ENVIRONMENT_SUFFIX`). */
  readonly environmentSuffix: string;
  /** Aggregation period, a multiple of 60; the monitor runs once a minute, so 60 s holds one run. Default 60. */
  readonly periodSeconds?: number;
}

const DEFAULT_PERIOD_SECONDS = 60;
const HEALTHY_LAG_ID = "healthyLag";
const PRIMARY_REACHABLE_ID = "primaryReachable";
const PRIMARY_LAST_ANSWERED_ID = "primaryLastAnsweredAt";

/**
 * `LagHistory` on the monitor's metrics in CloudWatch (the DR region, where the monitor runs and
 * emits through EMF): `HealthyLagSeconds` (a reading taken while the primary answered, dated at the
 * read) and `PrimaryReachable` (1 per answered probe, 0 per failed one), both read as per-period
 * Maximum in one `GetMetricData` call and turned into evidence by the core's
 * `lagEvidenceFromSeries`. `HeartbeatLagSeconds` is not read: it also holds readings taken after
 * the primary died, which grow by definition.
 *
 * `GetMetricData`'s StartTime is inclusive and rounded down to the minute, EndTime exclusive
 * (reference §5, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html),
 * so both are aligned to the period here: the request says what CloudWatch will answer, and the
 * current, still-filling period is included. Datapoints CloudWatch has not ingested yet are simply
 * absent, which makes the reading look older, never younger. Throws `ControlPlaneError` when
 * CloudWatch cannot be read: "no history" and "history unreadable" are different facts.
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
    // The monitor's metrics are standard resolution (one-minute storage), so a period shorter than
    // 60 s would not add precision; GetMetricData wants a multiple of 60 for them (reference §5).
    if (!Number.isInteger(period) || period < 60 || period % 60 !== 0) {
      throw new ConfigurationError(
        `CloudWatchLagHistory periodSeconds must be a multiple of 60, got ${JSON.stringify(config.periodSeconds)}`,
      );
    }
    this.periodSeconds = period;
  }

  private query(id: string, metricName: string): MetricDataQuery {
    return {
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: this.config.metricsNamespace,
          MetricName: metricName,
          Dimensions: [{ Name: METRIC_DIMENSION, Value: this.config.environmentSuffix }],
        },
        Period: this.periodSeconds,
        Stat: "Maximum",
      },
      ReturnData: true,
    };
  }

  /** The healthy-lag and primary-reachable history over `lookbackSeconds` up to `nowMs`. */
  async lagEvidence(nowMs: number, lookbackSeconds: number): Promise<LagEvidence> {
    if (!Number.isFinite(nowMs) || !Number.isFinite(lookbackSeconds) || lookbackSeconds <= 0) {
      throw new ControlPlaneError(
        `lagEvidence needs a finite nowMs and a positive lookbackSeconds, got ${nowMs} and ${lookbackSeconds}`,
      );
    }
    const periodMs = this.periodSeconds * 1000;
    const startMs = Math.floor((nowMs - lookbackSeconds * 1000) / periodMs) * periodMs;
    const endMs = Math.floor(nowMs / periodMs) * periodMs + periodMs;
    let out;
    try {
      // Three series of at most (lookback / period) points each: one page holds them (100,800 points),
      // so NextToken never needs following.
      out = await this.cloudWatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: [
            this.query(HEALTHY_LAG_ID, METRICS.healthyLagSeconds),
            this.query(PRIMARY_REACHABLE_ID, METRICS.primaryReachable),
            this.query(PRIMARY_LAST_ANSWERED_ID, METRICS.primaryLastAnsweredAt),
          ],
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          ScanBy: "TimestampDescending",
        }),
      );
    } catch (err) {
      throw new ControlPlaneError(
        `Reading ${METRICS.healthyLagSeconds} and ${METRICS.primaryReachable} from CloudWatch failed: ${describeAwsError(err)}`,
        { cause: err },
      );
    }
    const series = (id: string): MetricPoint[] => {
      const result = out.MetricDataResults?.find((r) => r.Id === id);
      return (result?.Timestamps ?? []).flatMap((at, i) => {
        const value = result?.Values?.[i];
        return typeof value === "number" ? [{ atMs: at.getTime(), value }] : [];
      });
    };
    return lagEvidenceFromSeries(
      series(HEALTHY_LAG_ID),
      series(PRIMARY_REACHABLE_ID),
      periodMs,
      nowMs,
      series(PRIMARY_LAST_ANSWERED_ID),
    );
  }
}
