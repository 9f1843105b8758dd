/**
 * One run of the health monitor: probe the primary several times a few seconds apart, and read
 * the replica lag once, right after the first probe wrote its heartbeat. Pure orchestration over the `DatabaseProbe` and `Clock` ports,
 * so the same code runs in Lambda, in the local drill and under a fake clock in tests.
 */
import { consecutiveFailures } from "./decide";
import type { Clock, DatabaseProbe, LagHistory } from "./ports";
import type { FailoverPolicy, LagReading, ProbeResult } from "./types";

/** What one monitor run saw; handed to the failover function as its evidence. */
export interface MonitorResult {
  readonly runId: string;
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  /** Probes of the primary, oldest first. */
  readonly primaryProbes: ProbeResult[];
  /** The replica-lag reading taken right after the run's first probe (`null` only if none was taken). */
  readonly lag: LagReading | null;
  /**
   * `lag` when it can be trusted as the lag from before a failure: the first probe of the run
   * succeeded and the replica could be read. Otherwise `null`, and the failover side asks
   * `LagHistory` for an earlier reading.
   */
  readonly lastHealthyLag: LagReading | null;
  /** Failed probes in a row at the end of the run. */
  readonly consecutiveFailures: number;
  /** True when any probe of the run failed: the failover side should evaluate. */
  readonly suspectedFailure: boolean;
}

/** Ports a monitor run needs. `lagHistory` is accepted so callers can pass one set of ports; the run itself does not read history. */
export interface MonitorDeps {
  readonly probe: DatabaseProbe;
  readonly clock: Clock;
  readonly lagHistory?: LagHistory;
}

export interface MonitorOptions {
  readonly runId: string;
  /** Called after every probe (the handler emits a metric per probe). */
  readonly onProbe?: (probe: ProbeResult) => void;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Run the monitor once.
 *
 * The primary is probed `probesPerRun` times, `probeIntervalSeconds` apart (measured from the
 * first probe, so slow probes do not stretch the run), each bounded by `probeTimeoutSeconds`,
 * extended while the last probes failed (see below). The replica lag is read right after the
 * first probe: that probe wrote the newest heartbeat, so the reading measures what the replica has
 * not replayed (plus the milliseconds between the two calls), and when the probe answered it is a
 * reading taken while the primary answered, the only kind that may bound the data at risk (lag
 * measured after the primary died grows by definition). Read before the run's first probe, the
 * newest heartbeat would be the previous run's last one, and every reading would overstate the lag
 * by the gap between runs (a whole probe interval or more), making the lag guard stricter than
 * its limit says. The run stops as soon as `consecutiveFailuresToFailover` failures in a
 * row are seen: further probes would only delay the hand-off.
 *
 * The ports promise never to throw for an unhealthy target; if one does anyway, the throw is
 * recorded as an `error` result, so one bad probe cannot hide the others.
 */
export async function runMonitor(
  deps: MonitorDeps,
  policy: FailoverPolicy,
  options: MonitorOptions,
): Promise<MonitorResult> {
  const { probe, clock } = deps;
  const timeoutMs = policy.probeTimeoutSeconds * 1000;
  const intervalMs = policy.probeIntervalSeconds * 1000;
  const startedAtMs = clock.nowMs();

  const readLag = async (): Promise<LagReading> => {
    const readAtMs = clock.nowMs();
    try {
      return await probe.readReplicaLag(timeoutMs);
    } catch (error) {
      return {
        atMs: readAtMs,
        lagSeconds: null,
        probe: {
          target: "replica",
          atMs: readAtMs,
          outcome: "error",
          latencyMs: clock.nowMs() - readAtMs,
          detail: describeError(error),
        },
      };
    }
  };

  let lag: LagReading | undefined;
  const primaryProbes: ProbeResult[] = [];
  const firstProbeAtMs = startedAtMs;
  // A run never ends on a failing tail that is still short of the threshold: it keeps probing
  // at the same cadence until a probe succeeds or the threshold is met (at most
  // `consecutiveFailuresToFailover - 1` extra probes). Otherwise a failure that begins near the
  // end of a run would need the threshold anew in the next run, and the worst-case detection
  // time would grow by almost a whole run. With the extension it is bounded by
  // `consecutiveFailuresToFailover × probeIntervalSeconds` (+ one probe timeout), whatever the
  // failure's phase against the schedule.
  for (let index = 0; index < policy.probesPerRun || consecutiveFailures(primaryProbes) > 0; index++) {
    if (index > 0) {
      const waitMs = firstProbeAtMs + index * intervalMs - clock.nowMs();
      if (waitMs > 0) await clock.sleep(waitMs);
    }
    const probeStartMs = clock.nowMs();
    let result: ProbeResult;
    try {
      result = await probe.probePrimary(timeoutMs);
    } catch (error) {
      result = {
        target: "primary",
        atMs: probeStartMs,
        outcome: "error",
        latencyMs: clock.nowMs() - probeStartMs,
        detail: describeError(error),
      };
    }
    primaryProbes.push(result);
    options.onProbe?.(result);
    // Right after the first probe's heartbeat (the threshold is at least 2, so no run stops before).
    if (index === 0) lag = await readLag();
    if (consecutiveFailures(primaryProbes) >= policy.consecutiveFailuresToFailover) break;
  }
  // The loop reads it after its first probe; this only covers a policy of zero probes per run,
  // which validation refuses, so that the result's type holds whatever the caller passed.
  lag ??= await readLag();

  const firstOk = primaryProbes.length > 0 && primaryProbes[0].outcome === "ok";
  return {
    runId: options.runId,
    startedAtMs,
    finishedAtMs: clock.nowMs(),
    primaryProbes,
    lag,
    lastHealthyLag: firstOk && lag.lagSeconds !== null ? lag : null,
    consecutiveFailures: consecutiveFailures(primaryProbes),
    suspectedFailure: primaryProbes.some((p) => p.outcome !== "ok"),
  };
}
