import { runMonitor, type MonitorResult } from "../lambda/core/monitor";
import { type DispatchOptions, type Evidence, evaluateAndAct } from "../lambda/core/orchestrator";
import type { Clock, FailoverWorkflow, Ports } from "../lambda/core/ports";
import type { FailoverPolicy, LagReading, ProbeResult, Trigger } from "../lambda/core/types";
import { parseFailoverEvent } from "../lambda/failover/events";
import type { MonitorConfig } from "../lambda/health-monitor/env";
import { createMonitorHandler } from "../lambda/health-monitor/handler";
import type { HandlerLogger } from "../lambda/telemetry";
import { DRILL_ENVIRONMENT_SUFFIX, DRILL_METRICS_NAMESPACE, type DrillMetrics } from "./metrics";
import type { EvaluationRecord } from "./report";

/** Names the drill's "deployment" gives its functions, so the failover side checks the sender as in AWS. */
export const DRILL_FUNCTIONS = {
  monitorFunctionName: "lambda-health-monitor-drill",
  monitorFunctionArn: "arn:aws:lambda:ap-southeast-1:000000000000:function:lambda-health-monitor-drill",
  primaryAlarmName: "alarm-monitor-primary-unreachable-drill",
} as const;

/** The handlers' logs are not the drill's output: its timeline and report are. */
export const QUIET_LOGGER: HandlerLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  appendKeys: () => undefined,
  addContext: () => undefined,
} as unknown as HandlerLogger;

/** What the loop reports as it goes (the runner turns it into the timeline). */
export interface MonitorLoopHooks {
  readonly onProbe?: (probe: ProbeResult) => void;
  readonly onLag?: (reading: LagReading) => void;
  readonly onEvaluation?: (record: EvaluationRecord) => void;
}

/**
 * The monitor's configuration in the drill: the handler reads only the policy and the metric names;
 * the rest describes the drill's "deployment" on loopback.
 */
export function drillMonitorConfig(policy: FailoverPolicy): MonitorConfig {
  return {
    primaryHost: "127.0.0.1",
    replicaHost: "127.0.0.1",
    dbPort: 5432,
    dbName: "drill",
    monitorDbUser: "dr_monitor",
    primaryRegion: "local",
    replicaRegion: "local",
    masterSecretArn: "",
    masterSecretRegion: "",
    metricsNamespace: DRILL_METRICS_NAMESPACE,
    environmentSuffix: DRILL_ENVIRONMENT_SUFFIX,
    policy,
  };
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
 * The drill's stand-in for the schedule and the async destination, on the deployed path:
 * - the REAL health-monitor handler (`createMonitorHandler`, with the drill's probe and clock and
 *   real Powertools metrics whose EMF lines go to the drill's CloudWatch) is invoked with a
 *   scheduled event, back to back at the probe cadence;
 * - its result travels as Lambda's on-success destination record (JSON, reference aws-behaviour.md
 *   §2) and is parsed by the failover function's own `parseFailoverEvent`, which checks the sender;
 * - the parsed trigger and evidence go to the real `evaluateAndAct`, one evaluation at a time (the
 *   failover function has a reserved concurrency of 1), whose `LagHistory` is the real
 *   `CloudWatchLagHistory` reading what the handler emitted; an acting decision starts an
 *   execution of the failover workflow (`workflow`), which carries it out while monitoring goes on.
 *
 * A run never ends on a failing tail short of the threshold (`runMonitor` keeps probing until it
 * succeeds or confirms), so each run's result is complete evidence on its own, exactly as the
 * failover function receives it in Lambda.
 */
export class MonitorLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: StoppableClock;
  private readonly evaluations: EvaluationRecord[] = [];
  private readonly handler: ReturnType<typeof createMonitorHandler>;
  private lastResult: MonitorResult | null = null;
  private runs = 0;

  /**
   * @param ports the failover side's ports (its `lagHistory` should be `metrics.lagHistory`).
   * @param metrics the drill's CloudWatch, fed by the monitor handler's EMF output.
   * @param workflow the failover workflow an acting decision starts.
   */
  constructor(
    private readonly ports: Ports,
    metrics: DrillMetrics,
    private readonly policy: FailoverPolicy,
    private readonly workflow: FailoverWorkflow,
    private readonly dispatch: DispatchOptions,
    private readonly hooks: MonitorLoopHooks = {},
  ) {
    this.clock = new StoppableClock(ports.clock);
    this.handler = createMonitorHandler({
      config: drillMonitorConfig(policy),
      probe: ports.probe,
      clock: this.clock,
      logger: QUIET_LOGGER,
      metrics: metrics.metricsFor("health-monitor"),
      bootstrap: () => Promise.reject(new Error("the drill's cluster needs no bootstrap")),
      // The core's runMonitor, as in Lambda; the hook only adds the drill's timeline entries.
      run: (deps, runPolicy, options) =>
        runMonitor(deps, runPolicy, {
          ...options,
          onProbe: (probe) => {
            options.onProbe?.(probe);
            if (this.running) this.hooks.onProbe?.(probe);
          },
        }),
    });
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

  /** One scheduled invocation of the monitor handler, as EventBridge sends it. */
  private scheduledEvent(runId: string): Record<string, unknown> {
    return {
      version: "0",
      id: runId,
      "detail-type": "Scheduled Event",
      source: "aws.events",
      account: "000000000000",
      time: new Date(this.clock.nowMs()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: "ap-southeast-1",
      resources: ["arn:aws:events:ap-southeast-1:000000000000:rule/events-monitor-schedule-drill"],
      detail: {},
    };
  }

  /** Lambda's on-success destination record of one monitor invocation (reference §2), as JSON arrives. */
  private destinationRecord(event: Record<string, unknown>, result: MonitorResult): unknown {
    return JSON.parse(
      JSON.stringify({
        version: "1.0",
        timestamp: new Date(this.clock.nowMs()).toISOString(),
        requestContext: {
          requestId: `${String(event.id)}-request`,
          functionArn: `${DRILL_FUNCTIONS.monitorFunctionArn}:$LATEST`,
          condition: "Success",
          approximateInvokeCount: 1,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: "$LATEST" },
        responsePayload: result,
      }),
    );
  }

  private async run(): Promise<void> {
    const intervalMs = this.policy.probeIntervalSeconds * 1000;
    while (this.running) {
      const runId = `drill-run-${this.runs + 1}`;
      const event = this.scheduledEvent(runId);
      const result = (await this.handler(event)) as MonitorResult;
      if (!this.running) break;
      this.runs++;
      this.lastResult = result;
      if (result.lag) this.hooks.onLag?.(result.lag);
      // The failover function's own parser: it checks the sender and rebuilds the evidence.
      const parsed = parseFailoverEvent(this.destinationRecord(event, result), DRILL_FUNCTIONS);
      if (parsed.kind === "evaluate") await this.evaluate(parsed.trigger, parsed.evidence);
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
      const outcome = await evaluateAndAct(
        this.ports,
        this.workflow,
        trigger,
        evidence,
        this.policy,
        this.dispatch,
      );
      record = {
        startedAtMs,
        finishedAtMs: this.ports.clock.nowMs(),
        trigger: trigger.kind === "manual" ? `manual:${trigger.action}` : trigger.kind,
        decision: outcome.decision,
        acted: outcome.acted,
        lastProbeAtMs: lastProbe?.atMs ?? null,
        lastHealthyLagSeconds: outcome.snapshot.lastHealthyLag?.lagSeconds ?? null,
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
        ...(outcome.execution !== undefined
          ? { execution: { name: outcome.execution.name, started: outcome.execution.started } }
          : {}),
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
