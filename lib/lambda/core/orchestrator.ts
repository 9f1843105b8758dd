/**
 * Observe → decide → act. `readSnapshot` reads the real state once, `decide` chooses purely,
 * `evaluateAndAct` carries the decision out step by step. Each step re-reads the state it
 * depends on and skips what is already done, so a run that crashed half way is resumed by the
 * next one without promoting twice or pointing `writer` back at the old primary.
 */
import { alertKey, alertVerdict, type AlertLedgerEntry } from "./alerts";
import {
  consecutiveFailures,
  decide,
  failureStartMs,
  isWritable,
  promotionBegun,
  replicaIneligibility,
} from "./decide";
import { NO_LAG_EVIDENCE, mergeLagEvidence } from "./lag-evidence";
import {
  alertNotification,
  blockedNotification,
  failedNotification,
  startedNotification,
  succeededNotification,
} from "./notifications";
import { lagHistoryLookbackSeconds } from "./policy";
import type { FailoverReport, FenceResult, Notification, Ports, TimelineEntry } from "./ports";
import { REPORT_KINDS, buildReport, reportId } from "./report";
import type {
  ClusterSnapshot,
  Decision,
  FailoverPolicy,
  FailoverStep,
  InstanceView,
  LagReading,
  ProbeResult,
  Trigger,
} from "./types";

/** What the trigger brings along: the monitor's probes and its lag reading, if any. */
export interface Evidence {
  readonly primaryProbes: readonly ProbeResult[];
  readonly lastHealthyLag: LagReading | null;
}

/** Deadlines of the slow steps, and the kind of report to write. */
export interface ActOptions {
  /** Promote call → replica writable; RDS typically needs several minutes. */
  readonly promotionTimeoutMs: number;
  /** A Route 53 change reaching INSYNC; usually under a minute. */
  readonly dnsTimeoutMs: number;
  /** A switchover's wait for the replica to replay everything the fenced primary wrote. */
  readonly catchUpTimeoutMs: number;
  readonly reportKind: "failover" | "switchover" | "drill";
  /**
   * Moment (on `ports.clock`) by which the run must have ended, e.g. Lambda's kill time. Every wait
   * is sized from the time actually left when it starts, never from a budget fixed at invocation
   * start: slow calls to an impaired region must not push the run past it. Absent = no deadline.
   */
  readonly deadlineMs?: number;
  /**
   * Time kept before `deadlineMs` for the failure path (fence undo, writer rollback,
   * `failover-failed` notice, failed report): a step or wait that would eat into it is not
   * started, and waits end early enough to leave it. Default {@link DEFAULT_FAILURE_PATH_RESERVE_MS}.
   */
  readonly failurePathReserveMs?: number;
}

/**
 * Default {@link ActOptions.failurePathReserveMs}: one re-read of the state (parallel calls, each up
 * to 3 attempts × 10 s against an impaired region), a Route 53 rollback (INSYNC generally within
 * 60 s, reference §4), the SNS notice and the S3 report in the healthy control region.
 */
export const DEFAULT_FAILURE_PATH_RESERVE_MS = 150_000;

/**
 * The last part of the reserve, kept for the `failover-failed` notice and the failed report after
 * the rollbacks: each is one call in the control region (≤ 3 attempts × 10 s).
 */
export const FAILURE_NOTICE_RESERVE_MS = 30_000;

/** What one evaluation saw, decided and did. */
export interface Outcome {
  readonly snapshot: ClusterSnapshot;
  readonly decision: Decision;
  /** True when steps were executed (even if one of them failed). */
  readonly acted: boolean;
  readonly report?: FailoverReport;
  readonly reportLocation?: string;
  /** Set when a step or a notification failed; the handler decides whether to rethrow. */
  readonly error?: string;
  /** For `alert-only` and `blocked`: whether the alert went out or was de-duplicated, and why. */
  readonly alert?: AlertDelivery;
}

/** What became of a de-duplicated alert. */
export interface AlertDelivery {
  /** The alert's identity in the ledger (`alertKey`). */
  readonly key: string;
  /** True when it was handed to the notifier (whether or not that succeeded: see `Outcome.error`). */
  readonly sent: boolean;
  readonly reason: string;
  /**
   * The ledger could not be read or written. Never an `Outcome.error`: the alert went out (or
   * was rightly held back), and an error would make Lambda retry the invocation and alert again.
   */
  readonly ledgerError?: string;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * How far back RDS's metric stream is read. Long enough that a primary that died a while ago (a
 * failover blocked by the lag guard, waiting for a human) still shows a stream that stopped,
 * rather than no stream at all; 60 one-minute points are one small GetMetricData page.
 */
export const RDS_METRICS_LOOKBACK_MINUTES = 60;

/** How far back earlier evaluations' view of the primary region is read: the outage window and a margin. */
export function apiHistoryLookbackMinutes(policy: FailoverPolicy): number {
  return policy.apiOutageMinutes + 10;
}

/** True when a report for this promotion exists under any kind (a drill's resume may come as a failover). */
async function reportExists(ports: Ports, id: string): Promise<boolean> {
  for (const kind of REPORT_KINDS) {
    if (await ports.reports.exists(kind, id)) return true;
  }
  return false;
}

/**
 * Read the real state once: both instances, the DNS records and the primary's health signals (in
 * parallel: in a disaster one region's API may take its full timeout), the lag evidence from
 * `LagHistory` when the evidence has no healthy reading (newest reading taken while the primary
 * answered, the primary's last answer and the first failure seen after it, over
 * `lagHistoryLookbackSeconds`), and, once the replica has been promoted, whether the report of
 * that promotion exists.
 */
export async function readSnapshot(
  ports: Ports,
  trigger: Trigger,
  evidence: Evidence,
  policy: FailoverPolicy,
): Promise<ClusterSnapshot> {
  const takenAtMs = ports.clock.nowMs();
  const [primary, replica, dns, primaryRdsMetrics, primaryApiHistory] = await Promise.all([
    ports.control.describe("primary"),
    ports.control.describe("replica"),
    ports.dns.read(),
    ports.primaryHealth.rdsMetrics(takenAtMs, RDS_METRICS_LOOKBACK_MINUTES),
    ports.primaryHealth.apiReachabilityHistory(takenAtMs, apiHistoryLookbackMinutes(policy)),
  ]);
  const failureStartedAtMs = failureStartMs(trigger, evidence.primaryProbes, takenAtMs);
  // A run whose first probe answered carries its own healthy reading, taken at its start, with
  // every probe since in its evidence: nothing older can be newer. Otherwise the history says
  // which reading was the last healthy one and when the failure was first seen, however long ago.
  const history =
    evidence.lastHealthyLag !== null
      ? NO_LAG_EVIDENCE
      : await ports.lagHistory.lagEvidence(takenAtMs, lagHistoryLookbackSeconds(policy));
  const { lastHealthyLag, primaryLastAnsweredAtMs, failureFirstSeenAtMs } = mergeLagEvidence(history, {
    trigger,
    primaryProbes: evidence.primaryProbes,
    lastHealthyLag: evidence.lastHealthyLag,
  });
  const reportWritten = promotionBegun(replica)
    ? await reportExists(ports, reportId(replica, failureStartedAtMs))
    : false;
  return {
    takenAtMs,
    trigger,
    primaryProbes: evidence.primaryProbes,
    lastHealthyLag,
    primaryLastAnsweredAtMs,
    failureFirstSeenAtMs,
    primary,
    replica,
    dns,
    primaryRdsMetrics,
    primaryApiHistory,
    reportWritten,
  };
}

/** A step that could not be carried out; the message says why, for the alert. */
class StepFailure extends Error {}

/** Mutable record of one execution: what was seen and when. */
interface Run {
  readonly timeline: TimelineEntry[];
  readonly completed: FailoverStep[];
  primary: InstanceView;
  replica: InstanceView;
  /** Writer target before this run changed it; `null` until it does. */
  writerBeforeSwitch: string | null;
  writerTarget: string | null;
  promoteCalledAtMs: number | null;
  writableAtMs: number | null;
  writerSwitchedAtMs: number | null;
  /** What this run's fence did (for a switchover's undo and its caught-up check). */
  fence: FenceResult | null;
  report?: FailoverReport;
  reportLocation?: string;
}

/**
 * Read the snapshot, decide, and act on the decision:
 * - manual `status`: read and decide only (never acts, never notifies);
 * - `none`: nothing; `alert-only`: a warning or critical alert; `blocked`: a critical
 *   `failover-blocked` alert; nothing is changed in either case;
 * - `promote-replica` / `complete-failover`: execute the decision's steps in order.
 *
 * If a step fails, the remaining steps are skipped, `writer` is rolled back to its previous
 * target when it points at a replica that is not writable, `failover-failed` is sent with the
 * exact state, a `failed` report is stored when possible, and `error` is set. A failed
 * notification never stops a failover: it is recorded in the timeline and in `error`.
 *
 * Throws only when the snapshot itself cannot be read (the ports promise it can).
 */
export async function evaluateAndAct(
  ports: Ports,
  trigger: Trigger,
  evidence: Evidence,
  policy: FailoverPolicy,
  options: ActOptions,
): Promise<Outcome> {
  const snapshot = await readSnapshot(ports, trigger, evidence, policy);
  const decidedAtMs = ports.clock.nowMs();
  const decision = decide(snapshot, policy, decidedAtMs);
  const observed: Outcome = { snapshot, decision, acted: false };
  if (trigger.kind === "manual" && trigger.action === "status") return observed;

  switch (decision.kind) {
    case "none":
      return observed;
    case "alert-only": {
      const { alert, error } = await tryNotifyOnce(ports, alertNotification(decision, snapshot));
      return error === null ? { ...observed, alert } : { ...observed, alert, error };
    }
    case "blocked": {
      const { alert, error } = await tryNotifyOnce(ports, blockedNotification(decision, snapshot));
      return error === null ? { ...observed, alert } : { ...observed, alert, error };
    }
    case "promote-replica":
    case "complete-failover":
      return execute(ports, snapshot, decision, decidedAtMs, options);
  }
}

/** Send a notification; return the error text instead of throwing. */
async function tryNotify(ports: Ports, notification: Notification): Promise<string | null> {
  try {
    await ports.notifier.notify(notification);
    return null;
  } catch (error) {
    return `notification ${notification.event} failed: ${describeError(error)}`;
  }
}

/**
 * Send an alert unless the ledger shows the same alert went out less than the reminder interval
 * ago (`alertVerdict`), and record the send. If the ledger cannot be read the alert is sent: an
 * extra alert beats a lost one. A failed send is not recorded, so the next run tries again.
 */
async function tryNotifyOnce(
  ports: Ports,
  notification: Notification,
): Promise<{ alert: AlertDelivery; error: string | null }> {
  const key = alertKey(notification);
  const nowMs = ports.clock.nowMs();
  let entry: AlertLedgerEntry | null = null;
  let readError: string | null = null;
  try {
    entry = await ports.alerts.read(key);
  } catch (error) {
    readError = `reading the alert ledger failed, so the alert is sent: ${describeError(error)}`;
  }
  const verdict =
    readError === null
      ? alertVerdict(entry?.record ?? null, notification, nowMs)
      : { send: true, reason: "the alert ledger could not be read" };
  if (!verdict.send) return { alert: { key, sent: false, reason: verdict.reason }, error: null };

  const error = await tryNotify(ports, notification);
  let ledgerError = readError;
  // Without a readable version the write could not be conditional; the next run reads again.
  if (error === null && readError === null) {
    const record = {
      key,
      event: notification.event,
      subject: notification.subject,
      severity: notification.severity,
      lastSentAtMs: nowMs,
    };
    try {
      await ports.alerts.write(record, entry?.version ?? null);
    } catch (writeError) {
      ledgerError = `recording the alert failed, so the next run may send it again: ${describeError(writeError)}`;
    }
  }
  return {
    alert: { key, sent: true, reason: verdict.reason, ...(ledgerError !== null ? { ledgerError } : {}) },
    error,
  };
}

async function execute(
  ports: Ports,
  snapshot: ClusterSnapshot,
  decision: Extract<Decision, { kind: "promote-replica" | "complete-failover" }>,
  decidedAtMs: number,
  options: ActOptions,
): Promise<Outcome> {
  const { clock } = ports;
  const planned = decision.kind === "promote-replica" && decision.planned;
  const failureStartedAtMs =
    decision.kind === "promote-replica"
      ? decision.failureStartedAtMs
      : consecutiveFailures(snapshot.primaryProbes) > 0 || snapshot.trigger.kind === "alarm"
        ? failureStartMs(snapshot.trigger, snapshot.primaryProbes, snapshot.takenAtMs)
        : null;
  const detectedAtMs = decision.kind === "promote-replica" ? decision.detectedAtMs : null;
  const id = reportId(snapshot.replica, failureStartedAtMs ?? snapshot.takenAtMs);

  const run: Run = {
    timeline: evidenceTimeline(snapshot, decision, decidedAtMs, failureStartedAtMs, detectedAtMs),
    completed: [],
    primary: snapshot.primary,
    replica: snapshot.replica,
    writerBeforeSwitch: null,
    writerTarget: snapshot.dns.writerTarget,
    promoteCalledAtMs: null,
    writableAtMs: null,
    writerSwitchedAtMs: null,
    fence: null,
  };
  const note = (event: string, detail: string): void => {
    run.timeline.push({ atMs: clock.nowMs(), event, detail });
  };
  const notificationErrors: string[] = [];
  const notify = async (notification: Notification): Promise<void> => {
    const error = await tryNotify(ports, notification);
    if (error !== null) {
      notificationErrors.push(error);
      note("notify-failed", error);
    }
  };
  const report = (
    outcome: FailoverReport["outcome"],
    reportIdValue: string,
    error?: string,
  ): FailoverReport =>
    buildReport({
      id: reportIdValue,
      kind: options.reportKind,
      startedAtMs: snapshot.takenAtMs,
      finishedAtMs: clock.nowMs(),
      outcome,
      decisions: [{ atMs: decidedAtMs, kind: decision.kind, reason: decision.reason }],
      timeline: run.timeline,
      moments: {
        failureStartedAtMs,
        detectedAtMs,
        promoteCalledAtMs: run.promoteCalledAtMs,
        writableAtMs: run.writableAtMs,
        writerSwitchedAtMs: run.writerSwitchedAtMs,
      },
      lastHealthyLagSeconds: snapshot.lastHealthyLag?.lagSeconds ?? null,
      planned,
      oldPrimary: run.primary,
      newPrimary: run.replica,
      ...(error !== undefined ? { error } : {}),
    });

  const deadlineMs = options.deadlineMs;
  const reserveMs = options.failurePathReserveMs ?? DEFAULT_FAILURE_PATH_RESERVE_MS;
  /** A wait's timeout: its own, cut to the time left before the failure path's reserve. */
  const waitBudget = (ownTimeoutMs: number, what: string): number => {
    if (deadlineMs === undefined) return ownTimeoutMs;
    const leftMs = deadlineMs - clock.nowMs() - reserveMs;
    if (leftMs <= 0) {
      throw new StepFailure(
        `no time left for ${what}: ${Math.max(0, deadlineMs - clock.nowMs())} ms of the invocation remain, ` +
          `all kept for the failure path (${reserveMs} ms)`,
      );
    }
    return Math.min(ownTimeoutMs, leftMs);
  };

  const steps: Record<FailoverStep, () => Promise<void>> = {
    "notify-start": async () => {
      // De-duplicated: a restarted attempt does not announce the same failover again.
      const { error } = await tryNotifyOnce(
        ports,
        startedNotification(decision, snapshot, options.reportKind),
      );
      if (error !== null) {
        notificationErrors.push(error);
        note("notify-failed", error);
      }
    },

    "fence-old-primary": async () => {
      run.primary = await ports.control.describe("primary");
      // Always fence, even when the view says fenced: the fence tag outlives a return to service
      // (ingress restored by hand), and fencePrimary re-reads the client group and revokes and
      // reboots whatever it finds, so on a fenced primary it is a no-op.
      const fence = await ports.control.fencePrimary();
      run.fence = fence;
      run.primary = { ...run.primary, fenced: fence.fenced };
      if (fence.fenced) {
        note("fenced", fence.detail);
        return;
      }
      // A switchover promises zero data loss: that needs a primary that has stopped writing.
      if (planned) throw new StepFailure(`the old primary could not be fenced (${fence.detail})`);
      // An unplanned failover goes on: the primary is down or its region unreachable (the second
      // signal), and waiting for its API would only lengthen the outage.
      note("fence-skipped", fence.detail);
    },

    "wait-replica-caught-up": async () => {
      const fence = run.fence ?? { fenced: true, detail: "fenced before this run" };
      await ports.control.waitUntilCaughtUp(waitBudget(options.catchUpTimeoutMs, "the catch-up wait"), fence);
      note("caught-up", `${run.replica.id} has replayed everything ${run.primary.id} wrote.`);
    },

    "promote-replica": async () => {
      run.replica = await ports.control.describe("replica");
      if (!run.replica.isReplica && run.replica.apiReachable) {
        note(
          "promote-skipped",
          `${run.replica.id} is already promoted (${run.replica.status}); not promoting again.`,
        );
        return;
      }
      if (promotionBegun(run.replica) && run.replica.status !== "available") {
        // Tagged and busy: the promotion runs (RDS shows modifying or a reboot, reference §1.2).
        note(
          "promote-skipped",
          `${run.replica.id}'s promotion is under way (${run.replica.rawStatus ?? run.replica.status}); not promoting again.`,
        );
        return;
      }
      // Tagged but available and still a replica: the run that tagged it may have stopped before
      // calling PromoteReadReplica; promoteReplica is idempotent and finds out.
      const problem = replicaIneligibility(run.replica);
      if (problem !== null) throw new StepFailure(problem);
      run.promoteCalledAtMs = clock.nowMs();
      await ports.control.promoteReplica();
      note("promote-requested", `Promotion of ${run.replica.id} requested.`);
    },

    "wait-replica-writable": async () => {
      run.replica = await ports.control.waitUntilWritable(
        waitBudget(options.promotionTimeoutMs, "the promotion wait"),
      );
      run.writableAtMs = clock.nowMs();
      note("promoted", `${run.replica.id} is a writable standalone instance (${run.replica.status}).`);
    },

    "switch-writer": async () => {
      const [dns, replica] = await Promise.all([ports.dns.read(), ports.control.describe("replica")]);
      run.replica = replica;
      run.writerTarget = dns.writerTarget;
      const target = replica.endpoint;
      if (!isWritable(replica) || target === undefined) {
        throw new StepFailure(
          `${replica.id} is not a writable standalone instance (${replica.status}, replica: ${replica.isReplica}, ` +
            `endpoint: ${target ?? "unknown"}); writer was left at ${dns.writerTarget ?? "nothing"}`,
        );
      }
      if (dns.writerTarget === target) {
        note("writer-switched", `writer already points at ${target}.`);
        return;
      }
      run.writerBeforeSwitch = dns.writerTarget;
      await ports.dns.setWriter(target, waitBudget(options.dnsTimeoutMs, "the writer switch"));
      run.writerTarget = target;
      run.writerSwitchedAtMs = clock.nowMs();
      note("writer-switched", `writer moved from ${dns.writerTarget ?? "nothing"} to ${target}.`);
    },

    "enable-backups": async () => {
      note("backups-enabled", await ports.control.enableBackups());
    },

    "write-report": async () => {
      if (await reportExists(ports, id)) {
        note("report-exists", `Report ${id} was already written.`);
        return;
      }
      run.report = report("succeeded", id);
      run.reportLocation = await ports.reports.put(run.report);
    },

    "notify-success": () =>
      notify(
        succeededNotification(
          run.report ?? report("succeeded", id),
          run.reportLocation,
          run.writerTarget ?? "nothing",
        ),
      ),
  };

  for (const step of decision.steps) {
    try {
      if (deadlineMs !== undefined && deadlineMs - clock.nowMs() < reserveMs) {
        throw new StepFailure(
          `only ${Math.max(0, deadlineMs - clock.nowMs())} ms of the invocation were left, less than the ` +
            `${reserveMs} ms kept for the failure path; the step was not started`,
        );
      }
      await steps[step]();
      run.completed.push(step);
    } catch (error) {
      const message = error instanceof StepFailure ? error.message : describeError(error);
      note("step-failed", `${step}: ${message}`);
      return fail(
        ports,
        snapshot,
        decision,
        run,
        step,
        message,
        options,
        report,
        notificationErrors,
        planned,
      );
    }
  }
  const finalReport = run.report;
  return {
    snapshot,
    decision,
    acted: true,
    ...(finalReport !== undefined ? { report: finalReport } : {}),
    ...(run.reportLocation !== undefined ? { reportLocation: run.reportLocation } : {}),
    ...(notificationErrors.length > 0 ? { error: notificationErrors.join("; ") } : {}),
  };
}

/** The evidence and the decision, as the first entries of the timeline. */
function evidenceTimeline(
  snapshot: ClusterSnapshot,
  decision: Decision,
  decidedAtMs: number,
  failureStartedAtMs: number | null,
  detectedAtMs: number | null,
): TimelineEntry[] {
  const timeline: TimelineEntry[] = snapshot.primaryProbes.map((p) => ({
    atMs: p.atMs,
    event: "probe",
    detail: `${p.outcome} in ${p.latencyMs} ms${p.detail ? `: ${p.detail}` : ""}`,
  }));
  if (failureStartedAtMs !== null) {
    timeline.push({
      atMs: failureStartedAtMs,
      event: "failure-started",
      detail: "First failed check of the failure.",
    });
  }
  if (detectedAtMs !== null) {
    timeline.push({ atMs: detectedAtMs, event: "failure-detected", detail: "The failure was confirmed." });
  }
  timeline.push({ atMs: decidedAtMs, event: "decision", detail: `${decision.kind}: ${decision.reason}` });
  return timeline;
}

/**
 * After a failed step: roll `writer` back if it points at a replica that cannot take writes,
 * alert with the exact state, store a `failed` report when possible. Never promotes and never
 * moves `writer` anywhere but back to where this failover found it.
 */
async function fail(
  ports: Ports,
  snapshot: ClusterSnapshot,
  decision: Decision,
  run: Run,
  failedStep: FailoverStep,
  message: string,
  options: ActOptions,
  report: (outcome: FailoverReport["outcome"], id: string, error?: string) => FailoverReport,
  notificationErrors: string[],
  planned: boolean,
): Promise<Outcome> {
  const [dns, replica] = await Promise.all([ports.dns.read(), ports.control.describe("replica")]);
  run.replica = replica;
  run.writerTarget = dns.writerTarget;

  // Where writer pointed before this failover touched it. A resumed run that found writer
  // already on the replica has nothing of its own to undo.
  const previousWriter = run.writerBeforeSwitch ?? snapshot.dns.writerTarget;
  let rolledBackWriterTo: string | null = null;
  let rollbackError: string | null = null;
  const writerOnReplica = replica.endpoint !== undefined && dns.writerTarget === replica.endpoint;
  if (
    writerOnReplica &&
    !isWritable(replica) &&
    previousWriter !== null &&
    previousWriter !== dns.writerTarget
  ) {
    // Clients sent to a replica that cannot write get errors; where they were before is better.
    try {
      // Bounded by the time left, keeping the end of the reserve for the notice and the report.
      const leftMs =
        options.deadlineMs === undefined
          ? options.dnsTimeoutMs
          : options.deadlineMs - ports.clock.nowMs() - FAILURE_NOTICE_RESERVE_MS;
      await ports.dns.setWriter(previousWriter, Math.max(1_000, Math.min(options.dnsTimeoutMs, leftMs)));
      rolledBackWriterTo = previousWriter;
      run.writerTarget = previousWriter;
      run.timeline.push({
        atMs: ports.clock.nowMs(),
        event: "writer-rolled-back",
        detail: `writer moved back to ${previousWriter} because ${replica.id} is not writable.`,
      });
    } catch (error) {
      rollbackError = describeError(error);
      run.timeline.push({ atMs: ports.clock.nowMs(), event: "rollback-failed", detail: rollbackError });
    }
  }

  // A switchover that stopped before the replica was promoted must leave the old writer serving:
  // its fence is undone with exactly the rules it revoked (writer never left it). Once a promotion
  // has begun the fence stays, or clients would write to two databases.
  let fenceUndo: { restored: boolean; detail: string } | null = null;
  const promotionUntouched =
    run.promoteCalledAtMs === null || (replica.apiReachable && !promotionBegun(replica));
  const fenceTouched =
    run.fence !== null && (run.fence.fenced || (run.fence.revokedIngress?.length ?? 0) > 0);
  if (planned && fenceTouched && promotionUntouched && run.fence !== null) {
    try {
      fenceUndo = await ports.control.unfencePrimary(run.fence);
    } catch (error) {
      fenceUndo = { restored: false, detail: describeError(error) };
    }
    if (fenceUndo.restored) run.primary = { ...run.primary, fenced: false };
    run.timeline.push({
      atMs: ports.clock.nowMs(),
      event: fenceUndo.restored ? "fence-undone" : "fence-undo-failed",
      detail: fenceUndo.detail,
    });
  }

  const notifyError = await tryNotify(
    ports,
    failedNotification(
      {
        failedStep,
        error: message,
        completedSteps: [...run.completed],
        primary: run.primary,
        replica,
        writerTarget: run.writerTarget,
        rolledBackWriterTo,
        rollbackError,
        fenceUndo,
      },
      options.reportKind,
    ),
  );
  if (notifyError !== null) notificationErrors.push(notifyError);

  // The failed attempt gets its own report id: the id of the successful report stays free for
  // the run that completes this failover.
  const failedReport = report(
    "failed",
    `${reportId(replica, snapshot.takenAtMs)}-attempt-${snapshot.takenAtMs}`,
    `${failedStep}: ${message}`,
  );
  let reportLocation: string | undefined;
  try {
    reportLocation = await ports.reports.put(failedReport);
  } catch (error) {
    notificationErrors.push(`failed report could not be stored: ${describeError(error)}`);
  }

  return {
    snapshot,
    decision,
    acted: true,
    report: failedReport,
    ...(reportLocation !== undefined ? { reportLocation } : {}),
    error: [
      `${failedStep} failed: ${message}`,
      ...(fenceUndo === null
        ? []
        : [fenceUndo.restored ? "fence undone" : `fence undo failed: ${fenceUndo.detail}`]),
      ...notificationErrors,
    ].join("; "),
  };
}
