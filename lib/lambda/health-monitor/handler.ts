/**
 * The health-monitor's handler, as a thin adapter: event → parse → runMonitor (or the bootstrap,
 * or a WAL-position read for the failover function) → metrics → result. Lambda hands a run's result to the failover function (asynchronous
 * invocation destination). Built by {@link createMonitorHandler} so tests can pass fakes;
 * `index.ts` wires the real dependencies at module scope.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { METRICS } from "../../function-env";
import { runMonitor, type MonitorResult } from "../core/monitor";
import type { Clock, DatabaseProbe } from "../core/ports";
import type { ProbeResult, ReplicationPositions } from "../core/types";
import { flushMetrics, publishMetricAt, type HandlerLogger, type HandlerMetrics } from "../telemetry";
import type { BootstrapResponse } from "./bootstrap";
import type { MonitorConfig } from "./env";
import { parseMonitorEvent } from "./events";

/** What the handler is built from. */
export interface MonitorHandlerDeps {
  readonly config: MonitorConfig;
  readonly probe: DatabaseProbe;
  readonly clock: Clock;
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
  /** The one-time bootstrap (`runBootstrap` with the real secret and connection in Lambda). */
  readonly bootstrap: () => Promise<BootstrapResponse>;
  /** The monitor run; the core's `runMonitor` unless a test replaces it. */
  readonly run?: typeof runMonitor;
}

/**
 * A `DatabaseProbe` that sends primary probes and replica reads to two different probes. An IAM
 * authentication token is bound to one host, port and region, so the primary and the replica
 * (possibly in another region) each need their own token provider, hence their own probe.
 */
export function splitProbe(primary: DatabaseProbe, replica: DatabaseProbe): DatabaseProbe {
  return {
    probePrimary: (timeoutMs) => primary.probePrimary(timeoutMs),
    readReplicaLag: (timeoutMs) => replica.readReplicaLag(timeoutMs),
    // Each side from the probe that holds its host's token.
    replicationPositions: async (timeoutMs) => {
      const [fromPrimary, fromReplica] = await Promise.all([
        primary.replicationPositions(timeoutMs),
        replica.replicationPositions(timeoutMs),
      ]);
      return {
        atMs: fromPrimary.atMs,
        primaryLsn: fromPrimary.primaryLsn,
        primaryStartedAtMs: fromPrimary.primaryStartedAtMs,
        ...(fromPrimary.primaryDetail === undefined ? {} : { primaryDetail: fromPrimary.primaryDetail }),
        replicaReplayLsn: fromReplica.replicaReplayLsn,
        ...(fromReplica.replicaDetail === undefined ? {} : { replicaDetail: fromReplica.replicaDetail }),
      };
    },
  };
}

/** Builds the handler Lambda calls. */
export function createMonitorHandler(
  deps: MonitorHandlerDeps,
): (
  event: unknown,
  context?: Partial<Context>,
) => Promise<MonitorResult | BootstrapResponse | ReplicationPositions> {
  const { config, logger, metrics } = deps;
  const run = deps.run ?? runMonitor;

  /** One value per probe: the primary-health alarm reads the Minimum, so one failure shows. */
  function recordProbe(probe: ProbeResult): void {
    metrics.addMetric(METRICS.primaryReachable, MetricUnit.Count, probe.outcome === "ok" ? 1 : 0);
    metrics.addMetric(METRICS.probeLatencyMs, MetricUnit.Milliseconds, probe.latencyMs);
    if (probe.outcome !== "ok") logger.warn("Primary probe failed", { probe });
  }

  return async function handler(event, context) {
    if (context?.awsRequestId !== undefined) logger.addContext(context as Context);
    try {
      const request = parseMonitorEvent(event);
      if (request.kind === "bootstrap") {
        const done = await deps.bootstrap();
        logger.info("Monitor bootstrap done", { bootstrap: done });
        return done;
      }
      if (request.kind === "replication-positions") {
        // A synchronous call from the failover function's catch-up wait: one bounded read of both
        // databases (in parallel through `splitProbe`), so the answer comes back within about one
        // probe timeout, well inside the caller's 10 s SDK request timeout. Not a monitor run: no
        // probe, no heartbeat, no metric (a MonitorRun here would hide a silent schedule).
        const positions = await deps.probe.replicationPositions(config.policy.probeTimeoutSeconds * 1000);
        logger.info("Replication positions read", { positions });
        return positions;
      }
      logger.appendKeys({ runId: request.runId });
      const result = await run({ probe: deps.probe, clock: deps.clock }, config.policy, {
        runId: request.runId,
        onProbe: recordProbe,
      });
      // Only a real reading: a missing value must not look like zero lag to the lag alarm.
      if (result.lag !== null && result.lag.lagSeconds !== null) {
        metrics.addMetric(METRICS.heartbeatLagSeconds, MetricUnit.Seconds, result.lag.lagSeconds);
      }
      const answered = result.primaryProbes.filter((p) => p.outcome === "ok").map((p) => p.atMs);
      if (answered.length > 0) {
        metrics.addMetric(METRICS.primaryLastAnsweredAt, MetricUnit.NoUnit, Math.max(...answered) / 1000);
      }
      metrics.addMetric(METRICS.monitorRun, MetricUnit.Count, 1);
      // The run's blob is dated by the injected clock, so a virtual clock dates it too.
      metrics.setTimestamp(deps.clock.nowMs());
      flushMetrics(metrics);
      // The lag guard's only input: a reading taken while the primary answered (the probe right
      // before it succeeded), dated at the read, not at the end of the run, in its own blob.
      const healthy = result.lastHealthyLag;
      if (healthy !== null && healthy.lagSeconds !== null) {
        publishMetricAt(
          metrics,
          METRICS.healthyLagSeconds,
          MetricUnit.Seconds,
          healthy.lagSeconds,
          healthy.atMs,
        );
      }
      logger.info("Monitor run done", {
        consecutiveFailures: result.consecutiveFailures,
        suspectedFailure: result.suspectedFailure,
        outcomes: result.primaryProbes.map((p) => p.outcome),
        lagSeconds: result.lag?.lagSeconds ?? null,
        durationMs: result.finishedAtMs - result.startedAtMs,
      });
      return result;
    } catch (error) {
      logger.error("Invocation failed", { error: error as Error });
      throw error;
    } finally {
      flushMetrics(metrics);
    }
  };
}
