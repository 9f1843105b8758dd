/**
 * Logger and metrics of the two functions (Powertools for AWS Lambda), created once per
 * execution environment at module scope and reused by every invocation.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, type MetricUnit } from "@aws-lambda-powertools/metrics";

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];
import { METRIC_DIMENSION } from "../function-env";

/** The part of Powertools' `Logger` the handlers use, so tests can pass a recording fake. */
export type HandlerLogger = Pick<Logger, "info" | "warn" | "error" | "appendKeys" | "addContext">;
/** The part of Powertools' `Metrics` the handlers use, so tests can pass a recording fake. */
export type HandlerMetrics = Pick<
  Metrics,
  "addMetric" | "hasStoredMetrics" | "publishStoredMetrics" | "setTimestamp"
>;
/**
 * The failover function's metrics also carry an explicit EMF timestamp (`_aws.Timestamp`, epoch
 * ms, reference aws-behaviour.md §5): the time of the observation, read from the injected clock.
 */
export type FailoverHandlerMetrics = HandlerMetrics & Pick<Metrics, "setTimestamp">;

/** A structured JSON logger for `serviceName`, with the stack's suffix on every line. */
export function createLogger(serviceName: string, environmentSuffix: string): Logger {
  return new Logger({ serviceName, persistentKeys: { environment: environmentSuffix } });
}

/**
 * Metrics in `namespace` whose only dimension is `Environment=<suffix>`.
 *
 * Powertools adds a `service` dimension to every metric by default. CloudWatch identifies a
 * metric by its exact set of dimensions, and the stack's alarms (primary unreachable, monitor
 * silent) and the Route 53 health check read the metric with `Environment` alone, so the extra
 * dimension would leave them reading an empty metric forever: an alarm that never fires.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Dimension
 */
export function createMetrics(namespace: string, serviceName: string, environmentSuffix: string): Metrics {
  const metrics = new Metrics({ namespace, serviceName });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [METRIC_DIMENSION]: environmentSuffix });
  return metrics;
}

/** Writes the stored metrics (one EMF line on stdout), skipping Powertools' warning when there are none. */
export function flushMetrics(metrics: HandlerMetrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * Publishes one metric at once in its own EMF blob dated `atMs` (`_aws.Timestamp`, epoch ms, sets
 * the datapoint's time: reference §5). One blob carries one timestamp, so a value that must be
 * dated at the moment it was measured, not at the end of the run, cannot share the run's blob.
 * The blob keeps the default dimensions (`Environment`).
 */
export function publishMetricAt(
  metrics: HandlerMetrics,
  name: string,
  unit: Unit,
  value: number,
  atMs: number,
): void {
  // Not Powertools' singleMetric(): it starts from a fresh instance that puts the `service`
  // dimension back, so its datapoint would land in a metric nobody reads (see createMetrics).
  flushMetrics(metrics);
  metrics.setTimestamp(atMs);
  metrics.addMetric(name, unit, value);
  metrics.publishStoredMetrics();
}
