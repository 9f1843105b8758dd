/**
 * Runs one timeline on a fresh simulated world and turns what happened into an outcome: detection,
 * RTO and data loss as the client workload saw them, the alerts people got, and every invariant the
 * run broke. `Date` is virtual for the duration of the run (@sinonjs/fake-timers, `Date` only), so
 * code that stamps times with `Date.now()` (Powertools' EMF timestamps) agrees with the clock, and
 * so are the global `setTimeout` / `clearTimeout` (`installVirtualTimers`): the state machine
 * engine's Wait states, retry intervals and task timeouts run on the scheduler.
 */
import FakeTimers from "@sinonjs/fake-timers";
import type { FailoverPolicy, LagReading } from "../lambda/core/types";
import { readFailoverConfig } from "../lambda/failover/env";
import { simulatedDeployment } from "./config";
import { commitsAfter } from "./database";
import type { TestInstanceRecord } from "./restore-test";
import { RESTORE_TEST_POLL_SECONDS } from "../workflow/restore-test-definition";
import { installVirtualTimers } from "./virtual-timers";
import {
  type ExecutionRecord,
  type RunRecord,
  STATE_PAYLOAD_LIMIT_BYTES,
  World,
  SIM_EPOCH_MS,
} from "./world";
import type { Fault, Timeline } from "./timeline";

/** What one timeline produced (the `--json` output of `npm run simulate -- --timeline`). */
export interface Outcome {
  readonly name: string;
  readonly placement: Timeline["placement"];
  readonly seed: number;
  readonly triggerPath: Timeline["triggerPath"];
  readonly promotions: number;
  /** Regional restores RDS accepted (RestoreDBInstanceToPointInTime). */
  readonly restores: number;
  /** The timeline's simulated restore time (`aws.restoreSeconds`). */
  readonly restoreSeconds: number;
  /** PromoteReadReplica calls that reached RDS (accepted or refused). */
  readonly promoteCalls: number;
  /** Executions of the failover state machine started. */
  readonly executions: number;
  /** Each execution as the run left it. */
  readonly workflow: readonly Omit<ExecutionRecord, "states">[];
  readonly faultAtMs: number | null;
  readonly detectedAtMs: number | null;
  readonly writerAcceptingAtMs: number | null;
  readonly rtoSeconds: number | null;
  readonly detectionSeconds: number | null;
  readonly dataLossSeconds: number;
  readonly lostCommits: number;
  readonly splitBrainSeconds: number;
  readonly alerts: readonly { readonly atMs: number; readonly subject: string; readonly severity: string }[];
  readonly finalWriter: string | null;
  readonly reports: number;
  readonly invocations: {
    readonly monitor: number;
    readonly failover: number;
    readonly failoverFailed: number;
    readonly stepRunner: number;
    /** Step-runner invocations that ended in a timeout or a crash (Step Functions retried them). */
    readonly stepRunnerInterrupted: number;
  };
  readonly decisions: Readonly<Record<string, number>>;
  /** The restore-test executions of the run (`restoreTests` of the timeline). */
  readonly restoreTests: RestoreTestOutcome;
  readonly violations: readonly string[];
}

/** What the restore tests of a run did. */
export interface RestoreTestOutcome {
  /** Test-mode executions that succeeded / failed (ran to a Fail state, timed out or aborted) / still run. */
  readonly succeeded: number;
  readonly failed: number;
  readonly running: number;
  /** RestoreTestDurationSeconds of each success (RestoreDBInstanceToPointInTime call → seen available). */
  readonly durationsSeconds: readonly number[];
  /** RestoreTestAgeHours of each freshness run. */
  readonly freshnessAgeHours: readonly number[];
  /** The cause each failed test gave. */
  readonly failures: readonly string[];
  /** Each temporary instance: restored by, created, available, delete accepted (and whose), gone. */
  readonly instances: readonly TestInstanceRecord[];
}

const MINUTE_MS = 60_000;

/** What the invariants expect of a timeline, derived from its faults. */
export interface Expectations {
  /** The primary is lost for good (a `primary-dies` without `forMinutes`). */
  readonly primaryLostAtMs: number | null;
  /** An operator asked for a failover or switchover. */
  readonly operatorAction: boolean;
  readonly switchover: boolean;
  /** No promotion may happen at all. */
  readonly noPromotion: boolean;
  /** The RTO invariants apply (healthy replica, lag within the limit, promotion path unimpaired). */
  readonly rtoApplies: boolean;
  /** Fencing was possible (the primary region's EC2 and RDS APIs answered). */
  readonly fencingPossible: boolean;
  /**
   * The primary is lost and the promotion outlasts the workflow's promotion timeout: the execution
   * must fail cleanly (writer not moved, a failover-failed alert, one promotion).
   */
  readonly promotionOutlastsTimeout: boolean;
  /** The primary's region is lost for good (`region-lost`). */
  readonly regionLostAtMs: number | null;
  /**
   * A regional restore must happen: the region is lost with the replica in it, the backups are
   * replicated, `regionalRestore` is `auto`, and no operator intervenes.
   */
  readonly restoreExpected: boolean;
  /** When the restored writer must take writes by: confirmation + restore + 15 minutes after the loss. */
  readonly restoreDeadlineMs: number | null;
}

function until(fault: Fault): number {
  return "forMinutes" in fault && fault.forMinutes !== undefined
    ? fault.atMinute + fault.forMinutes
    : Infinity;
}

export function expectations(
  timeline: Timeline,
  policy: FailoverPolicy,
  world: {
    minuteMs(m: number): number;
    primaryRegion: string;
    replicaRegion: string;
    promotionTimeoutSeconds: number;
  },
): Expectations {
  const faults = timeline.faults;
  // The primary lost for good: on its own, or with its whole region.
  const death = faults.find(
    (f) => (f.kind === "primary-dies" && f.forMinutes === undefined) || f.kind === "region-lost",
  );
  // Both instances lost for good: their shared region, or each one on its own (the API still up).
  const replicaLostWithRegion =
    (faults.some((f) => f.kind === "region-lost") && world.primaryRegion === world.replicaRegion) ||
    (faults.some((f) => f.kind === "primary-dies" && f.forMinutes === undefined) &&
      faults.some((f) => f.kind === "replica-dies"));
  const switchover = faults.some((f) => f.kind === "switchover-request");
  const operatorAction = switchover || faults.some((f) => f.kind === "manual-failover");
  const detectionWindowMinutes = (policy.consecutiveFailuresToFailover * policy.probeIntervalSeconds) / 60;
  const onlyHarmless = faults.every((f) => {
    switch (f.kind) {
      case "primary-dies":
        // A blip shorter than the detection window must never promote; a longer one may.
        return f.forMinutes !== undefined && f.forMinutes < detectionWindowMinutes;
      case "primary-reboot":
        // A maintenance reboot shorter than the alarm window (2 whole minutes breaching) must not promote.
        return f.forMinutes < 2;
      case "manual-failover":
      case "switchover-request":
        // An operator's request is meant to move the writer.
        return false;
      case "primary-storage-full":
      case "primary-refuses":
      case "replica-lag":
      case "replica-dies":
        return true;
      case "region-lost":
        // Both instances go with a same-region replica (a restore, never a promotion); a
        // cross-region replica survives and is promoted.
        return world.primaryRegion === world.replicaRegion;
      case "api-throttle":
      case "api-errors":
      case "api-blackhole":
      case "probe-path-down":
      case "function-crash":
      case "function-timeout":
      case "duplicate-events":
      case "lost-events":
      case "stale-fence-tag":
        // The primary is alive in each (full, refusing sessions, cut off, or trouble elsewhere):
        // on its own none of them may promote.
        return true;
    }
  });
  const lagAtDeath =
    death === undefined
      ? 0
      : Math.max(
          0,
          ...faults
            .filter(
              (f) => f.kind === "replica-lag" && f.atMinute <= death.atMinute && until(f) > death.atMinute,
            )
            .map((f) => (f.kind === "replica-lag" ? f.seconds : 0)),
        );
  const apiFaultOnPromotionPath = faults.some((f) => {
    if (f.kind !== "api-throttle" && f.kind !== "api-errors" && f.kind !== "api-blackhole") return false;
    const region =
      f.region === "primary" ? world.primaryRegion : f.region === "replica" ? world.replicaRegion : f.region;
    return !(region === world.primaryRegion && world.primaryRegion !== world.replicaRegion);
  });
  const promotionOutlastsTimeout =
    death !== undefined && timeline.aws.promotionSeconds > world.promotionTimeoutSeconds;
  const rtoApplies =
    death !== undefined &&
    !promotionOutlastsTimeout &&
    !operatorAction &&
    !faults.some((f) => f.kind === "replica-dies") &&
    !replicaLostWithRegion &&
    lagAtDeath <= policy.maxReplicationLagSeconds &&
    !apiFaultOnPromotionPath &&
    !(timeline.triggerPath !== "both" && faults.some((f) => f.kind === "lost-events"));
  const fencingPossible = !faults.some(
    (f) =>
      (f.kind === "api-blackhole" || f.kind === "api-errors" || f.kind === "api-throttle") &&
      (f.service === "ec2" || f.service === "rds") &&
      (f.region === "primary" || f.region === world.primaryRegion),
  );
  const regionLoss = faults.find((f) => f.kind === "region-lost");
  const bothLostAtMinute = replicaLostWithRegion
    ? Math.max(
        ...faults
          .filter((f) => ["region-lost", "primary-dies", "replica-dies"].includes(f.kind))
          .map((f) => f.atMinute),
      )
    : undefined;
  const lossAtMinute = regionLoss?.atMinute ?? bothLostAtMinute;
  const regionLostAtMs = lossAtMinute === undefined ? null : world.minuteMs(lossAtMinute);
  const restoreExpected =
    replicaLostWithRegion &&
    timeline.aws.backupsReplicated &&
    policy.regionalRestore === "auto" &&
    !operatorAction &&
    !faults.some((f) => f.kind === "lost-events") &&
    // The alarm fires once, when it enters ALARM; the confirmation window is judged by the monitor's
    // results, which come every minute (README, limits).
    timeline.triggerPath !== "alarm";
  return {
    regionLostAtMs,
    restoreExpected,
    restoreDeadlineMs:
      regionLostAtMs === null
        ? null
        : regionLostAtMs +
          (policy.restoreConfirmationMinutes + 15) * MINUTE_MS +
          timeline.aws.restoreSeconds * 1000,
    primaryLostAtMs: death === undefined ? null : world.minuteMs(death.atMinute),
    operatorAction,
    switchover,
    // "Never when the last healthy lag exceeds maxReplicationLagSeconds unless a human approves."
    noPromotion:
      replicaLostWithRegion ||
      (onlyHarmless && death === undefined) ||
      (death !== undefined && !operatorAction && lagAtDeath > policy.maxReplicationLagSeconds),
    rtoApplies,
    fencingPossible,
    promotionOutlastsTimeout,
  };
}

/** The lag readings the failover function's lag guard judged, from its logs. */
function judgedLagReadings(record: RunRecord): { atMs: number; decision: string; reading: LagReading }[] {
  const out: { atMs: number; decision: string; reading: LagReading }[] = [];
  for (const log of record.logs) {
    if (log.functionKey !== "failover") continue;
    const decision = log.data.decision as { kind?: string; guard?: string } | undefined;
    const reading = (log.data.lastHealthyLag ??
      (log.data.snapshot as { lastHealthyLag?: unknown } | undefined)?.lastHealthyLag) as
      LagReading | null | undefined;
    if (decision?.kind === undefined || reading === null || reading === undefined) continue;
    const judged =
      decision.kind === "promote-replica" ||
      (decision.kind === "blocked" &&
        (decision.guard === "replication-lag" || decision.guard === "lag-unknown"));
    if (judged) out.push({ atMs: log.atMs, decision: decision.guard ?? decision.kind, reading });
  }
  return out;
}

/** Runs `timeline` and checks every invariant. */
export async function runTimeline(
  timeline: Timeline,
  overrides: Partial<FailoverPolicy> = {},
): Promise<Outcome> {
  const deployment = simulatedDeployment(timeline.placement, overrides);
  const policy = deployment.tap.failoverPolicy;
  const clock = FakeTimers.install({ now: SIM_EPOCH_MS, toFake: ["Date"] });
  let record: RunRecord;
  const world = new World(timeline, deployment);
  const restoreTimers = installVirtualTimers(world.scheduler);
  try {
    record = await world.run((nowMs) => clock.setSystemTime(nowMs));
  } finally {
    restoreTimers();
    clock.uninstall();
  }
  const expect = expectations(timeline, policy, {
    minuteMs: (m) => world.minuteMs(m),
    primaryRegion: deployment.primaryRegion,
    replicaRegion: deployment.replicaRegion,
    promotionTimeoutSeconds: readFailoverConfig(deployment.failoverEnv).promotionTimeoutMinutes * 60,
  });
  return outcomeOf(record, expect);
}

function outcomeOf(record: RunRecord, expect: Expectations): Outcome {
  const { timeline, primary, replica, faultAtMs } = record;
  const rate = timeline.workload.commitsPerSecond;
  const promotions = primary.promotionsAccepted + replica.promotionsAccepted;
  const started = record.alerts.find((a) => a.event === "failover-started");
  const detectedAtMs = started?.atMs ?? null;
  const finalWriter =
    [primary, replica, ...(record.restored === null ? [] : [record.restored])].find(
      (i) => i.endpoint === record.writerTargetAtEnd,
    )?.id ?? null;
  const promoted = replica.promotionsAccepted > 0;
  const restored = record.restored;
  const writerAcceptingAtMs = promoted
    ? (record.firstCommitAfterFault.get(replica.id) ?? null)
    : restored !== null
      ? (record.firstCommitAfterFault.get(restored.id) ?? null)
      : record.writesInterruptedAfterFault
        ? (record.firstCommitAfterFault.get(primary.id) ?? null)
        : null;
  // What the new writer has of the primary's data: what the replica replayed, or the restore point.
  const keptUpToMs = promoted ? replica.frozenReplayMs : (restored?.restoredFromMs ?? null);
  const lost = keptUpToMs !== null ? commitsAfter(primary, keptUpToMs, rate) : { count: 0, lastMs: null };
  const dataLossSeconds =
    lost.lastMs === null || keptUpToMs === null ? 0 : Math.max(0, (lost.lastMs - keptUpToMs) / 1000);
  const violations: string[] = [];
  const seconds = (ms: number): string => `${Math.round(ms / 100) / 10} s`;

  if (promotions > 1)
    violations.push(`at-most-one-promotion: ${promotions} PromoteReadReplica calls were accepted`);
  if (expect.noPromotion && promotions > 0)
    violations.push(`no-false-failover: the replica was promoted though no fault warranted it`);

  if (expect.rtoApplies && expect.primaryLostAtMs !== null) {
    const promotionSeconds = timeline.aws.promotionSeconds;
    if (writerAcceptingAtMs === null) {
      violations.push(
        `writer-recovers: the primary was lost and the writer never accepted writes again (promotions ${promotions})`,
      );
    } else {
      const rtoMs = writerAcceptingAtMs - expect.primaryLostAtMs;
      if (promotionSeconds <= 480 && rtoMs > 15 * MINUTE_MS) {
        violations.push(
          `rto-15-min-of-fault: writes resumed ${seconds(rtoMs)} after the fault (promotion ${promotionSeconds} s)`,
        );
      }
      if (
        promotionSeconds <= 120 &&
        detectedAtMs !== null &&
        writerAcceptingAtMs - detectedAtMs > 5 * MINUTE_MS
      ) {
        violations.push(
          `rto-5-min-of-detection: writes resumed ${seconds(writerAcceptingAtMs - detectedAtMs)} after detection (promotion ${promotionSeconds} s)`,
        );
      }
    }
  }

  if (expect.primaryLostAtMs !== null) {
    for (const judged of judgedLagReadings(record)) {
      if (judged.reading.atMs >= expect.primaryLostAtMs) {
        violations.push(
          `lag-guard-pre-failure-only: a ${judged.decision} decision at ${seconds(judged.atMs - expect.primaryLostAtMs)} after the fault judged a lag of ${judged.reading.lagSeconds} s read ${seconds(judged.reading.atMs - expect.primaryLostAtMs)} after it`,
        );
        break;
      }
    }
  }

  if (expect.switchover) {
    const completed = promoted && finalWriter === replica.id;
    if (completed && lost.count > 0)
      violations.push(`switchover-zero-loss: the switchover lost ${lost.count} commits`);
    if (!completed) {
      const lastSegment = [...primary.commitSegments].sort((a, b) => b.toMs - a.toMs)[0];
      const serving =
        finalWriter === primary.id &&
        primary.clientRules.size > 0 &&
        lastSegment !== undefined &&
        lastSegment.toMs >= record.endMs;
      if (!serving) {
        violations.push(
          `switchover-undoes-fence: the switchover did not complete and the old writer is not serving (writer → ${finalWriter ?? "nothing"}, client rules ${primary.clientRules.size})`,
        );
      }
    }
  }

  const bySubject = new Map<string, number[]>();
  for (const alert of record.alerts)
    bySubject.set(alert.subject, [...(bySubject.get(alert.subject) ?? []), alert.atMs]);
  // An alert goes out before the ledger records it (at least once: better twice than never), so an
  // invocation killed right after its Publish reached SNS sends it again when its task is retried:
  // allowed when that copy's own Publish (answered within a second) was the one interrupted.
  const republished = (sentAtMs: number): boolean =>
    record.interruptions.some(
      (i) => i.command === "Publish" && i.atMs >= sentAtMs && i.atMs - sentAtMs <= 1_000,
    );
  for (const [subject, times] of bySubject) {
    // The ledger dates a send before SNS records it; a few seconds of API latency is not a repeat.
    const tooSoon = times.findIndex(
      (t, i) => i > 0 && t - times[i - 1] < 15 * MINUTE_MS - 5_000 && !republished(times[i - 1]),
    );
    if (tooSoon > 0) {
      violations.push(
        `alert-dedup-15-min: "${subject}" was sent ${times.length} times, twice within ${seconds(times[tooSoon] - times[tooSoon - 1])}`,
      );
    }
  }

  const reports = record.s3Keys.filter((k) => k.startsWith("reports/")).length;
  if ((promotions > 0 || record.restores > 0 || expect.switchover) && reports === 0)
    violations.push("report-after-action: the failover acted but no report was written");

  if (expect.fencingPossible && record.splitBrainMs > 0) {
    violations.push(
      `no-split-brain: two instances took client writes at once for ${seconds(record.splitBrainMs)}`,
    );
  }

  const promotedAtMs = record.aws.calls.find(
    (c) => c.command === "PromoteReadReplica" && c.error === undefined,
  )?.atMs;
  if (promotedAtMs !== undefined) {
    const blockedAfter = record.logs.find(
      (l) =>
        l.functionKey === "failover" &&
        l.atMs > promotedAtMs &&
        (l.data.decision as { kind?: string } | undefined)?.kind === "blocked",
    );
    if (blockedAfter !== undefined) {
      violations.push(
        `resume-after-promotion: ${seconds(blockedAfter.atMs - promotedAtMs)} after the promotion was requested a decision was blocked (${(blockedAfter.data.decision as { reason?: string }).reason ?? ""})`.slice(
          0,
          300,
        ),
      );
    }
  }

  const killed = record.lambda.invocations.filter(
    (i) => i.functionKey === "failover" && i.result === "timeout",
  );
  if (killed.length > 0) {
    violations.push(
      `no-silent-kill: Lambda killed ${killed.length} failover invocation(s) at the timeout, mid-work, with no failure notice of their own`,
    );
  }

  // A PromoteReadReplica that reached RDS: accepted, or refused by RDS itself (not a throttle, a 5xx
  // or no answer, which the SDK or the workflow retries).
  const promoteCalls = record.aws.calls.filter(
    (c) => c.command === "PromoteReadReplica" && (c.error === undefined || /Fault$/.test(c.error)),
  ).length;
  if (promoteCalls > 1)
    violations.push(`one-promote-call: PromoteReadReplica reached RDS ${promoteCalls} times in one incident`);

  const oldPrimaryEndpoint = primary.endpoint;
  const backToOld = record.writerChanges.find((w) => w.afterPromotion && w.target === oldPrimaryEndpoint);
  if (backToOld !== undefined) {
    violations.push(
      `writer-never-back: ${seconds(backToOld.atMs - (faultAtMs ?? 0))} after the fault writer was pointed back at the old primary after the replica's promotion`,
    );
  }

  if (record.maxRunningExecutions > 1)
    violations.push(
      `one-execution-at-a-time: ${record.maxRunningExecutions} failover executions ran at once`,
    );

  const unclosed = record.executions.filter((e) => e.status === "RUNNING" && !e.awaitingApproval);
  for (const e of unclosed) {
    violations.push(
      `every-execution-closes: ${e.name} was still running at the end (${seconds(record.endMs - e.startedAtMs)} after it started, in ${e.states.at(-1) ?? "no state"})`,
    );
  }

  if (record.largestStatePayloadBytes > STATE_PAYLOAD_LIMIT_BYTES) {
    violations.push(
      `state-payload-limit: a task exchanged ${record.largestStatePayloadBytes} bytes with the state machine (limit ${STATE_PAYLOAD_LIMIT_BYTES})`,
    );
  }

  if (expect.promotionOutlastsTimeout) {
    const failedAlert = record.alerts.some((a) => a.event === "failover-failed");
    const moved = record.writerChanges.some((w) => w.target === replica.endpoint);
    const failedExecution = record.executions.some(
      (e) => e.status === "FAILED" && e.error === "FailoverFailed",
    );
    if (!failedAlert || moved || !failedExecution) {
      violations.push(
        `promotion-timeout-fails-cleanly: a promotion longer than the timeout must fail the execution (failed: ${failedExecution}), ` +
          `alert failover-failed (sent: ${failedAlert}) and leave writer alone (moved: ${moved})`,
      );
    }
  }

  if (record.restores > 1) violations.push(`one-restore: ${record.restores} regional restores were accepted`);
  if (record.restores > 0 && record.restoreWhile !== null)
    violations.push(
      `no-restore-while-promotable: a restore was accepted while ${record.restoreWhile} could serve`,
    );
  if (record.restores > 0 && expect.regionLostAtMs === null)
    violations.push("no-false-restore: a regional restore ran though no region was lost");
  if (expect.restoreExpected && expect.restoreDeadlineMs !== null) {
    if (restored === null || writerAcceptingAtMs === null) {
      violations.push(
        `restore-recovers: the region was lost and no restored writer took writes (restores ${record.restores})`,
      );
    } else if (writerAcceptingAtMs > expect.restoreDeadlineMs) {
      violations.push(
        `restore-rto: writes resumed on the restored writer ${seconds(writerAcceptingAtMs - (expect.regionLostAtMs ?? 0))} after the loss, ` +
          `past confirmation + restore + 15 min`,
      );
    }
    if (!record.s3Keys.some((k) => k.startsWith("reports/restore/")))
      violations.push("restore-reported: the restore's report (with its data-loss window) was not stored");
  }
  if (expect.regionLostAtMs !== null && !expect.restoreExpected && !timeline.aws.backupsReplicated) {
    if (!record.alerts.some((a) => a.severity === "critical"))
      violations.push("restore-impossible-alerts: no backups to restore and no critical alert said so");
  }

  const restoreTests = restoreTestOutcome(record);
  violations.push(...restoreTestViolations(record, restoreTests, restored?.id ?? null));

  const gaps = record.aws.calls.filter((c) => c.error === "NotSimulated");
  if (gaps.length > 0)
    violations.push(
      `model-gap: the deployed code called ${gaps[0].service}:${gaps[0].command}, which the simulator does not model`,
    );

  const decisions: Record<string, number> = {};
  for (const log of record.logs) {
    const kind = (log.data.decision as { kind?: string } | undefined)?.kind;
    if (log.functionKey === "failover" && kind !== undefined) decisions[kind] = (decisions[kind] ?? 0) + 1;
  }
  const failoverRuns = record.lambda.invocations.filter((i) => i.functionKey === "failover");
  const stepRuns = record.lambda.invocations.filter((i) => i.functionKey === "step-runner");
  return {
    name: timeline.name,
    placement: timeline.placement,
    seed: timeline.seed,
    triggerPath: timeline.triggerPath,
    promotions,
    restores: record.restores,
    restoreSeconds: timeline.aws.restoreSeconds,
    promoteCalls,
    executions: record.executions.length,
    workflow: record.executions.map(({ states: _states, ...e }) => e),
    faultAtMs,
    detectedAtMs,
    writerAcceptingAtMs,
    rtoSeconds:
      writerAcceptingAtMs === null || faultAtMs === null ? null : (writerAcceptingAtMs - faultAtMs) / 1000,
    detectionSeconds: detectedAtMs === null || faultAtMs === null ? null : (detectedAtMs - faultAtMs) / 1000,
    dataLossSeconds: Math.round(dataLossSeconds * 10) / 10,
    lostCommits: lost.count,
    splitBrainSeconds: Math.round(record.splitBrainMs / 100) / 10,
    alerts: record.alerts.map((a) => ({ atMs: a.atMs, subject: a.subject, severity: a.severity })),
    finalWriter,
    reports,
    invocations: {
      monitor: record.lambda.invocations.filter((i) => i.functionKey === "monitor").length,
      failover: failoverRuns.length,
      failoverFailed: failoverRuns.filter((i) => i.result !== "success" && i.result !== "running").length,
      stepRunner: stepRuns.length,
      stepRunnerInterrupted: stepRuns.filter((i) => i.result === "timeout" || i.result === "crash").length,
    },
    decisions,
    restoreTests,
    violations,
  };
}

/** Seconds a measured restore may exceed the simulated one: the 60 s poll and the tasks' latency. */
export const RESTORE_TEST_MEASURE_SLACK_SECONDS = RESTORE_TEST_POLL_SECONDS + 10;

/** Hours a reported age may differ from the simulated one: its 0.01 h rounding and the report step's own time. */
const RESTORE_TEST_AGE_TOLERANCE_HOURS = 0.02;

function restoreTestOutcome(record: RunRecord): RestoreTestOutcome {
  const tests = record.restoreTestExecutions.filter((e) => e.mode === "test");
  const metric = (name: string): number[] =>
    record.restoreTestMetrics.filter((m) => m.name === name).map((m) => m.value);
  return {
    succeeded: tests.filter((e) => e.status === "SUCCEEDED").length,
    failed: tests.filter((e) => e.status !== "SUCCEEDED" && e.status !== "RUNNING").length,
    running: tests.filter((e) => e.status === "RUNNING").length,
    durationsSeconds: metric("RestoreTestDurationSeconds"),
    freshnessAgeHours: metric("RestoreTestAgeHours"),
    failures: tests.filter((e) => e.status === "FAILED").map((e) => `${e.error ?? "?"}: ${e.cause ?? ""}`),
    instances: record.testInstances.map((t) => ({ ...t })),
  };
}

/**
 * The restore test's invariants:
 * - `restore-test-never-writer`: `writer` never points at a test instance, no client commits on
 *   one, and the regional restore never takes the test's identifier;
 * - `restore-test-cleans-up`: every test instance of a closed execution is deleted (or being
 *   deleted), and none is deleted by another execution while the one that restored it still runs;
 * - `restore-test-measures`: each success published one duration, from the simulated restore time
 *   to it plus the poll (and RestoreTestSucceeded 1; a failure RestoreTestSucceeded 0 and a cause);
 * - `restore-test-succeeds`: on a stack without faults, with replicated backups, a test that runs
 *   alone succeeds; `restore-test-says-why`: without replicated backups it fails saying so;
 * - `restore-test-freshness`: RestoreTestAgeHours is the time since the newest success (or, with
 *   none yet, since the first freshness run).
 */
function restoreTestViolations(
  record: RunRecord,
  outcome: RestoreTestOutcome,
  regionalRestoreId: string | null,
): string[] {
  const { timeline } = record;
  const out: string[] = [];
  const testId = record.config.restoreTestInstanceId;
  const endpoints = new Set(record.testInstances.map((t) => t.endpoint));
  const towardTest = record.writerChanges.filter((w) => endpoints.has(w.target));
  if (towardTest.length > 0 || record.testInstanceCommitSegments > 0 || regionalRestoreId === testId)
    out.push(
      `restore-test-never-writer: writer moved to a test instance ${towardTest.length} time(s), ` +
        `${record.testInstanceCommitSegments} client session(s) committed on one, regional restore into ${String(regionalRestoreId)}`,
    );
  const byName = new Map(record.restoreTestExecutions.map((e) => [e.name, e]));
  for (const t of record.testInstances) {
    const owner = t.execution === null ? undefined : byName.get(t.execution);
    if (owner !== undefined && owner.status !== "RUNNING" && t.deleteRequestedAtMs === null)
      out.push(`restore-test-cleans-up: ${owner.name} ended ${owner.status} and left ${t.id} undeleted`);
    if (
      t.deleteRequestedAtMs !== null &&
      t.deletedBy !== null &&
      t.deletedBy !== t.execution &&
      owner !== undefined &&
      (owner.stoppedAtMs === null || owner.stoppedAtMs > t.deleteRequestedAtMs)
    )
      out.push(
        `restore-test-cleans-up: ${t.deletedBy} deleted the instance of ${owner.name} while it still ran`,
      );
  }
  const succeeded = record.restoreTestMetrics.filter((m) => m.name === "RestoreTestSucceeded");
  if (outcome.durationsSeconds.length !== outcome.succeeded)
    out.push(
      `restore-test-measures: ${outcome.succeeded} test(s) succeeded but ${outcome.durationsSeconds.length} duration(s) were published`,
    );
  const restoreSeconds = timeline.aws.restoreSeconds;
  for (const d of outcome.durationsSeconds) {
    if (d < restoreSeconds || d > restoreSeconds + RESTORE_TEST_MEASURE_SLACK_SECONDS)
      out.push(
        `restore-test-measures: measured ${d} s for a ${restoreSeconds} s restore (allowed up to +${RESTORE_TEST_MEASURE_SLACK_SECONDS} s)`,
      );
  }
  const ones = succeeded.filter((m) => m.value === 1).length;
  const zeros = succeeded.filter((m) => m.value === 0).length;
  const failedWithReport = record.restoreTestExecutions.filter(
    (e) => e.mode === "test" && e.status === "FAILED" && e.error === "RestoreTestFailed",
  ).length;
  if (ones !== outcome.succeeded || zeros !== failedWithReport)
    out.push(
      `restore-test-measures: RestoreTestSucceeded 1×${ones} / 0×${zeros} for ${outcome.succeeded} succeeded / ${failedWithReport} failed test(s)`,
    );
  // Freshness: hours since the newest success before it, or since the first freshness run.
  const successes = record.restoreTestExecutions
    .filter((e) => e.mode === "test" && e.status === "SUCCEEDED" && e.stoppedAtMs !== null)
    .map((e) => e.stoppedAtMs as number);
  const firstFreshness =
    record.restoreTestExecutions.find((e) => e.mode === "freshness")?.startedAtMs ?? null;
  for (const m of record.restoreTestMetrics.filter((x) => x.name === "RestoreTestAgeHours")) {
    const since = successes.filter((ms) => ms <= m.atMs).at(-1) ?? firstFreshness;
    if (since === null) continue;
    const expected = (m.atMs - since) / 3_600_000;
    if (Math.abs(m.value - expected) > RESTORE_TEST_AGE_TOLERANCE_HOURS)
      out.push(
        `restore-test-freshness: RestoreTestAgeHours ${m.value} where ${expected.toFixed(2)} h passed since ` +
          `${successes.some((ms) => ms <= m.atMs) ? "the last success" : "the first freshness run"}`,
      );
  }
  const tests = timeline.restoreTests.filter((t) => t.mode === "test");
  const alone = tests.length === 1;
  if (timeline.faults.length === 0 && timeline.aws.backupsReplicated && alone && outcome.succeeded !== 1)
    out.push(
      `restore-test-succeeds: a test on a healthy stack did not succeed (${outcome.failures.join(" | ") || `${outcome.running} still running`})`,
    );
  if (!timeline.aws.backupsReplicated && tests.length > 0) {
    if (outcome.succeeded > 0 || !outcome.failures.every((f) => /no replicated backups/i.test(f)))
      out.push(
        `restore-test-says-why: without replicated backups the test must fail naming them (${outcome.failures.join(" | ") || "no failure"})`,
      );
  }
  return out;
}
