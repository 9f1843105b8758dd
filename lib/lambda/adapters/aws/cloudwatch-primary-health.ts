import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import { METRICS, METRIC_DIMENSION } from "../../../function-env";
import { ConfigurationError } from "../../core/errors";
import type { PrimaryHealthSignals } from "../../core/ports";
import type { ApiReachabilityHistory, RdsMetricsObservation } from "../../core/types";
import { apiErrorKind, describeAwsError } from "./aws-errors";

/** Settings of the CloudWatch health signals (from the failover function's environment). */
export interface CloudWatchPrimaryHealthConfig {
  /** RDS identifier of the primary (`PRIMARY_INSTANCE_ID`): the `DBInstanceIdentifier` dimension. */
  readonly primaryInstanceId: string;
  /** Namespace the failover function emits `PrimaryRegionApiReachable` under (`METRICS_NAMESPACE`). */
  readonly metricsNamespace: string;
  /** Value of the `Environment` dimension (`ENVIRONMENT_SUFFIX`). */
  readonly environmentSuffix: string;
}

/** The two CloudWatch endpoints the signals come from. */
export interface CloudWatchPrimaryHealthClients {
  /** CloudWatch of the primary's region: RDS publishes an instance's metrics in its own region. */
  readonly primaryCloudWatch: CloudWatchClient;
  /** CloudWatch of the DR region, where the failover function runs and emits its EMF metrics. */
  readonly controlCloudWatch: CloudWatchClient;
}

/** RDS's per-instance metric whose stream is watched; RDS publishes it for every instance. */
export const RDS_STREAM_METRIC = "CPUUtilization";
/** RDS publishes instance metrics every minute (reference aws-behaviour.md §1.4). */
const PERIOD_SECONDS = 60;
const PERIOD_MS = PERIOD_SECONDS * 1000;

/**
 * The whole minutes before `nowMs`: `[end - lookback, end)` with `end` the start of the current
 * minute. GetMetricData's StartTime is inclusive and EndTime exclusive (reference §5), so the
 * current, still filling minute is never read and no answer depends on how CloudWatch treats a
 * partial period.
 */
function window(nowMs: number, lookbackMinutes: number): { startMs: number; endMs: number } {
  const endMs = Math.floor(nowMs / PERIOD_MS) * PERIOD_MS;
  return { startMs: endMs - lookbackMinutes * PERIOD_MS, endMs };
}

function requireText(key: keyof CloudWatchPrimaryHealthConfig, value: unknown, source: string): void {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigurationError(
      `CloudWatchPrimaryHealth ${key} must be a non-empty string, got ${JSON.stringify(value)} (check ${source})`,
    );
  }
}

/**
 * `PrimaryHealthSignals` on CloudWatch, one `GetMetricData` call per signal (50 TPS per account
 * and region, reference §5; one evaluation a minute uses two):
 * - RDS's `AWS/RDS` `CPUUtilization` `SampleCount` per minute for the primary, read in the
 *   primary's region: which minutes RDS published anything in;
 * - the failover function's own `PrimaryRegionApiReachable` `Maximum` per minute, read in the DR
 *   region: a minute is "unreached" only when no evaluation in it reached the primary region.
 * Never throws: a CloudWatch that gives no usable answer is reported `unreadable` with the kind of
 * failure, which the decision never reads as "metrics stopped".
 */
export class CloudWatchPrimaryHealth implements PrimaryHealthSignals {
  constructor(
    private readonly config: CloudWatchPrimaryHealthConfig,
    private readonly clients: CloudWatchPrimaryHealthClients,
  ) {
    requireText("primaryInstanceId", config.primaryInstanceId, "PRIMARY_INSTANCE_ID");
    requireText("metricsNamespace", config.metricsNamespace, "METRICS_NAMESPACE");
    requireText("environmentSuffix", config.environmentSuffix, "ENVIRONMENT_SUFFIX");
  }

  async rdsMetrics(nowMs: number, lookbackMinutes: number): Promise<RdsMetricsObservation> {
    const { startMs, endMs } = window(nowMs, lookbackMinutes);
    const read = await this.read(this.clients.primaryCloudWatch, startMs, endMs, {
      Id: "rdsStream",
      MetricStat: {
        Metric: {
          Namespace: "AWS/RDS",
          MetricName: RDS_STREAM_METRIC,
          Dimensions: [{ Name: "DBInstanceIdentifier", Value: this.config.primaryInstanceId }],
        },
        Period: PERIOD_SECONDS,
        Stat: "SampleCount",
      },
      ReturnData: true,
    });
    if (!read.ok) {
      return {
        kind: "unreadable",
        apiError: read.apiError,
        detail: `GetMetricData AWS/RDS ${RDS_STREAM_METRIC}: ${read.detail}`,
      };
    }
    return {
      kind: "read",
      metricName: RDS_STREAM_METRIC,
      periodSeconds: PERIOD_SECONDS,
      windowStartMs: startMs,
      windowEndMs: endMs,
      datapointsAtMs: read.points.filter((p) => p.value > 0).map((p) => p.atMs),
    };
  }

  async apiReachabilityHistory(nowMs: number, lookbackMinutes: number): Promise<ApiReachabilityHistory> {
    const { startMs, endMs } = window(nowMs, lookbackMinutes);
    const read = await this.read(this.clients.controlCloudWatch, startMs, endMs, {
      Id: "primaryRegionApi",
      MetricStat: {
        Metric: {
          Namespace: this.config.metricsNamespace,
          MetricName: METRICS.primaryRegionApiReachable,
          Dimensions: [{ Name: METRIC_DIMENSION, Value: this.config.environmentSuffix }],
        },
        Period: PERIOD_SECONDS,
        Stat: "Maximum",
      },
      ReturnData: true,
    });
    if (!read.ok) {
      return {
        kind: "unreadable",
        apiError: read.apiError,
        detail: `GetMetricData ${METRICS.primaryRegionApiReachable}: ${read.detail}`,
      };
    }
    return {
      kind: "read",
      periodSeconds: PERIOD_SECONDS,
      samples: read.points.map((p) => ({ atMs: p.atMs, reachable: p.value > 0 })),
    };
  }

  private async read(
    client: CloudWatchClient,
    startMs: number,
    endMs: number,
    query: MetricDataQuery,
  ): Promise<
    | { readonly ok: true; readonly points: readonly { atMs: number; value: number }[] }
    | { readonly ok: false; readonly apiError: ReturnType<typeof apiErrorKind>; readonly detail: string }
  > {
    try {
      const out = await client.send(
        new GetMetricDataCommand({
          MetricDataQueries: [query],
          StartTime: new Date(startMs),
          EndTime: new Date(endMs),
          // At most 70 one-minute points: one page, so NextToken never needs following.
          ScanBy: "TimestampDescending",
        }),
      );
      const result = out.MetricDataResults?.find((r) => r.Id === query.Id) ?? out.MetricDataResults?.[0];
      const points = (result?.Timestamps ?? [])
        .map((at, i) => ({ atMs: at.getTime(), value: result?.Values?.[i] }))
        .filter(
          (p): p is { atMs: number; value: number } =>
            typeof p.value === "number" && Number.isFinite(p.value) && p.atMs >= startMs && p.atMs < endMs,
        );
      return { ok: true, points };
    } catch (err) {
      return { ok: false, apiError: apiErrorKind(err), detail: describeAwsError(err) };
    }
  }
}
