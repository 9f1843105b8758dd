import { runMonitor, type MonitorResult } from "../lambda/core/monitor";
import { type ActOptions, type Evidence, evaluateAndAct } from "../lambda/core/orchestrator";
import type { Clock, Ports } from "../lambda/core/ports";
import type { FailoverPolicy, LagReading, ProbeResult, Trigger } from "../lambda/core/types";
import type { MemoryLagHistory } from "./memory-lag-history";
import type { EvaluationRecord } from "./report";

/** What the loop reports as it goes (the runner turns it into the timeline). */
export interface MonitorLoopHooks {
  readonly onProbe?: (probe: ProbeResult) => void;
  readonly onLag?: (reading: LagReading) => void;
  readonly onEvaluation?: (record: EvaluationRecord) => void;
}

/**
 * A clock whose sleeps end early once `stop()` is called, so a monitor run in progress
 * finishes quickly when the drill ends instead of waiting out its remaining intervals.
 */
class StoppableClock implements Clock {
  private stopped = false;
  private readonly wake = new Set<() => void>();

  constructor(private readonly inner: Clock) {}

  nowMs(): number {
    return this.inner.nowMs();
  }

  async sleep(ms: number): Promise<void> {
    if (this.stopped) return;
    let release: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (release = resolve));
    this.wake.add(release);
    try {
      await Promise.race([this.inner.sleep(ms), woken]);
    } finally {
      this.wake.delete(release);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const release of this.wake) release();
  }
}

/**
 * The drill's stand-in for the schedule and the async destination: runs the real
 * `runMonitor` back to back at the probe cadence and hands every result to the real
 * `evaluateAndAct` with a `monitor` trigger, one evaluation at a time (the failover
 * function has a reserved concurrency of 1).
 *
 * Runs are back to back at the probe cadence. A run never ends on a failing tail short of the
 * threshold (`runMonitor` keeps probing until it succeeds or confirms), so each run's result
 * is complete evidence on its own, exactly as the failover function receives it in Lambda.
 */
export class MonitorLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: StoppableClock;
  private readonly evaluations: EvaluationRecord[] = [];
  private lastResult: MonitorResult | null = null;
  private runs = 0;

  constructor(
    private readonly ports: Ports,
    private readonly lagHistory: MemoryLagHistory,
    private readonly policy: FailoverPolicy,
    private readonly actOptions: ActOptions,
    private readonly hooks: MonitorLoopHooks = {},
  ) {
    this.clock = new StoppableClock(ports.clock);
  }

  /** Starts monitoring in the background. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the run in progress (its remaining sleeps are cut short) and the queued evaluations. */
  async stop(): Promise<void> {
    this.running = false;
    this.clock.stop();
    await this.loop;
    await this.queue;
  }

  /** Every evaluation so far, oldest first. */
  records(): readonly EvaluationRecord[] {
    return [...this.evaluations];
  }

  /** The latest completed monitor run. */
  latest(): MonitorResult | null {
    return this.lastResult;
  }

  /** Completed monitor runs. */
  runCount(): number {
    return this.runs;
  }

  /**
   * Queues one evaluation (also used for the operator's switchover request) and resolves
   * with its record once it has run.
   */
  evaluate(trigger: Trigger, evidence: Evidence): Promise<EvaluationRecord> {
    const done = this.queue.then(() => this.evaluateNow(trigger, evidence));
    this.queue = done.then(
      () => undefined,
      () => undefined,
    );
    return done;
  }

  private async run(): Promise<void> {
    const intervalMs = this.policy.probeIntervalSeconds * 1000;
    while (this.running) {
      const runId = `drill-run-${this.runs + 1}`;
      const result = await runMonitor({ probe: this.ports.probe, clock: this.clock }, this.policy, {
        runId,
        onProbe: (probe) => {
          if (this.running) this.hooks.onProbe?.(probe);
        },
      });
      if (!this.running) break;
      this.runs++;
      this.lastResult = result;
      if (result.lag) this.hooks.onLag?.(result.lag);
      if (result.lastHealthyLag) this.lagHistory.record(result.lastHealthyLag);
      for (const probe of result.primaryProbes) this.lagHistory.recordProbe(probe);
      await this.evaluate(
        { kind: "monitor", runId },
        { primaryProbes: result.primaryProbes, lastHealthyLag: result.lastHealthyLag },
      );
      // Keep the cadence: the next run's first probe comes one interval after this run's last.
      const last = result.primaryProbes.at(-1);
      if (last) {
        const waitMs = last.atMs + intervalMs - this.clock.nowMs();
        if (waitMs > 0) await this.clock.sleep(waitMs);
      }
    }
  }

  private async evaluateNow(trigger: Trigger, evidence: Evidence): Promise<EvaluationRecord> {
    const startedAtMs = this.ports.clock.nowMs();
    const lastProbe = evidence.primaryProbes.at(-1);
    let record: EvaluationRecord;
    try {
      const outcome = await evaluateAndAct(this.ports, trigger, evidence, this.policy, this.actOptions);
      record = {
        startedAtMs,
        finishedAtMs: this.ports.clock.nowMs(),
        trigger: trigger.kind === "manual" ? `manual:${trigger.action}` : trigger.kind,
        decision: outcome.decision,
        acted: outcome.acted,
        lastProbeAtMs: lastProbe?.atMs ?? null,
        lastHealthyLagSeconds: outcome.snapshot.lastHealthyLag?.lagSeconds ?? null,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(outcome.reportLocation !== undefined ? { reportLocation: outcome.reportLocation } : {}),
        ...(outcome.report !== undefined ? { report: outcome.report } : {}),
      };
    } catch (error) {
      // evaluateAndAct throws only when the snapshot cannot be read: record it, keep monitoring.
      record = {
        startedAtMs,
        finishedAtMs: this.ports.clock.nowMs(),
        trigger: trigger.kind,
        decision: { kind: "none", reason: "The snapshot could not be read." },
        acted: false,
        lastProbeAtMs: lastProbe?.atMs ?? null,
        lastHealthyLagSeconds: null,
        error: error instanceof Error ? error.message : String(error),
      };
    }
    this.evaluations.push(record);
    this.hooks.onEvaluation?.(record);
    return record;
  }
}
