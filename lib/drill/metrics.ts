/**
 * The drill's CloudWatch: what the real health-monitor handler emitted (Embedded Metric Format lines
 * from a real Powertools `Metrics`, captured instead of printed) kept in a local metric store, and
 * read back by the failover side through the real `CloudWatchLagHistory` adapter, whose
 * `GetMetricData` calls an aws-sdk-client-mock client answers from that store. The lag guard's
 * evidence thus takes the deployed path: handler → EMF → CloudWatch → GetMetricData → evidence.
 */
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchLagHistory } from "../lambda/adapters/aws/cloudwatch-lag-history";
import type { Clock, LagHistory } from "../lambda/core/ports";
import { createMetrics, type HandlerMetrics } from "../lambda/telemetry";
import { MetricStore } from "../local-aws/metric-store";

/** Namespace of the drill's metrics (the stack's is `TapStack`; a drill's must never mix with it). */
export const DRILL_METRICS_NAMESPACE = "TapStack/Drill";
/** `Environment` dimension of the drill's metrics (the stack's environment suffix in AWS). */
export const DRILL_ENVIRONMENT_SUFFIX = "drill";

/** What the drill's CloudWatch is built from. */
export interface DrillMetricsOptions {
  /** The drill's clock: EMF lines are received, and `GetMetricData` answers, at its time. */
  readonly clock: Clock;
  /**
   * How long after it was printed a datapoint becomes queryable. EMF extraction latency is
   * UNCONFIRMED (reference aws-behaviour.md §5); the drill measures the engine on a real database,
   * not CloudWatch's ingestion, so it defaults to 0 (the simulator models the delay).
   */
  readonly ingestionDelayMs?: number;
}

/** A local CloudWatch fed by the drill's handlers and read through the real adapter. */
export class DrillMetrics {
  private readonly store: MetricStore;
  private readonly clock: Clock;
  private lines = 0;
  /** The `LagHistory` the failover side reads: the real CloudWatch adapter. */
  readonly lagHistory: LagHistory;

  constructor(options: DrillMetricsOptions) {
    this.clock = options.clock;
    this.store = new MetricStore(options.ingestionDelayMs ?? 0);
    // The region and credentials are never used: the mock answers before any request is signed.
    const client = new CloudWatchClient({
      region: "ap-southeast-1",
      credentials: { accessKeyId: "drill", secretAccessKey: "drill" },
    });
    // mockClient(instance) replaces this one client's `send` only, never the SDK's other clients.
    mockClient(client)
      .on(GetMetricDataCommand)
      .callsFake((input) => this.store.getMetricData(input, this.clock.nowMs()));
    this.lagHistory = new CloudWatchLagHistory(
      { metricsNamespace: DRILL_METRICS_NAMESPACE, environmentSuffix: DRILL_ENVIRONMENT_SUFFIX },
      client,
    );
  }

  /**
   * Real Powertools metrics for `service` (the functions' own `createMetrics`: `Environment` the
   * only dimension) whose EMF lines go to this store instead of stdout, as Lambda's log pipeline
   * would hand them to CloudWatch.
   */
  metricsFor(service: string): HandlerMetrics {
    const metrics = createMetrics(DRILL_METRICS_NAMESPACE, service, DRILL_ENVIRONMENT_SUFFIX);
    // Powertools writes each EMF document with `this.console.log` (one JSON line per flush).
    (metrics as unknown as { console: { log: (line: string) => void } }).console = {
      log: (line: string) => this.ingest(line),
    };
    return metrics;
  }

  /** Takes one printed line: an EMF document becomes datapoints, anything else is ignored. */
  ingest(line: string): void {
    this.lines++;
    this.store.ingestEmf(line, this.clock.nowMs());
  }

  /** EMF lines received so far. */
  linesReceived(): number {
    return this.lines;
  }
}
