/**
 * Observe → decide → dispatch. `readSnapshot` reads the real state once, `decide` chooses purely,
 * and `evaluateAndAct` hands an acting decision to the failover workflow (Step Functions), which
 * carries it out step by step (`workflow-steps.ts`). Alerts that need no action go out from here,
 * de-duplicated through the alert ledger.
 */
import { alertKey, alertVerdict, type AlertLedgerEntry } from "./alerts";
import { decide, failureStartMs, promotionBegun } from "./decide";
import { NO_LAG_EVIDENCE, mergeLagEvidence } from "./lag-evidence";
import { alertNotification, blockedNotification } from "./notifications";
import { lagHistoryLookbackSeconds } from "./policy";
import type { ExecutionStart, FailoverWorkflow, Notification, Ports, TimelineEntry } from "./ports";
import { REPORT_KINDS, reportId } from "./report";
import type { ClusterSnapshot, Decision, FailoverPolicy, LagReading, ProbeResult, Trigger } from "./types";
import { evidencedFailureStartMs, workflowInput, type WorkflowInput, type WorkflowLimits } from "./workflow";

/** What the trigger brings along: the monitor's probes and its lag reading, if any. */
export interface Evidence {
  readonly primaryProbes: readonly ProbeResult[];
  readonly lastHealthyLag: LagReading | null;
}

/** What the failover function hands the workflow besides the decision. */
export interface DispatchOptions {
  readonly reportKind: "failover" | "switchover" | "restore" | "drill";
  readonly cluster: WorkflowInput["cluster"];
  readonly limits: WorkflowLimits;
  /**
   * True: a failover the lag guard blocked starts an execution that waits for an operator's
   * approval. False: the blocked alert is sent and nothing else happens.
   */
  readonly approvals: boolean;
}

/** What one evaluation saw, decided and did. */
export interface Outcome {
  readonly snapshot: ClusterSnapshot;
  readonly decision: Decision;
  /** True when this evaluation started a workflow execution. */
  readonly acted: boolean;
  /**
   * The execution that carries the decision out: the one this evaluation started, or the one
   * already running (then nothing else was started: any trigger only reports its progress).
   */
  readonly execution?: ExecutionStart;
  /** Set when starting the execution or a notification failed; the handler rethrows. */
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
export async function reportExists(ports: Ports, id: string): Promise<boolean> {
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
  const [primary, replica, dns, primaryRdsMetrics, primaryApiHistory, drBackups, restored] =
    await Promise.all([
      ports.control.describe("primary"),
      ports.control.describe("replica"),
      ports.dns.read(),
      ports.primaryHealth.rdsMetrics(takenAtMs, RDS_METRICS_LOOKBACK_MINUTES),
      ports.primaryHealth.apiReachabilityHistory(takenAtMs, apiHistoryLookbackMinutes(policy)),
      ports.recovery.backups(),
      ports.recovery.describeRestored(),
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
  // The report of the recovery that made the new writer: the promoted replica's, or the restored instance's.
  const recovered = promotionBegun(replica) ? replica : restored.status !== "not-found" ? restored : null;
  const reportWritten =
    recovered !== null ? await reportExists(ports, reportId(recovered, failureStartedAtMs)) : false;
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
    drBackups,
    restored,
    replicaInPrimaryRegion: ports.recovery.replicaInPrimaryRegion,
  };
}

/**
 * Read the snapshot, decide, and hand an acting decision to the workflow:
 * - manual `status`: read and decide only (never acts, never notifies);
 * - `none`: nothing; `alert-only`: a warning or critical alert; nothing is changed;
 * - `blocked`: with approvals and a lag guard, an execution that waits for an operator's
 *   approval; otherwise a critical `failover-blocked` alert;
 * - `promote-replica` / `complete-failover`: an execution named after the incident.
 *
 * While an execution runs, nothing else is started: the outcome reports it.
 *
 * Throws only when the snapshot itself cannot be read (the ports promise it can).
 */
export async function evaluateAndAct(
  ports: Ports,
  workflow: FailoverWorkflow,
  trigger: Trigger,
  evidence: Evidence,
  policy: FailoverPolicy,
  options: DispatchOptions,
): Promise<Outcome> {
  const snapshot = await readSnapshot(ports, trigger, evidence, policy);
  const decidedAtMs = ports.clock.nowMs();
  const decision = decide(snapshot, policy, decidedAtMs);
  const observed: Outcome = { snapshot, decision, acted: false };
  if (trigger.kind === "manual" && trigger.action === "status")
    return withRunningExecution(workflow, observed);

  switch (decision.kind) {
    case "none":
      return observed;
    case "alert-only": {
      const { alert, error } = await tryNotifyOnce(ports, alertNotification(decision, snapshot));
      return error === null ? { ...observed, alert } : { ...observed, alert, error };
    }
    case "blocked": {
      if (options.approvals && LAG_GUARDS.includes(decision.guard)) {
        return dispatch(workflow, snapshot, decision, decidedAtMs, options);
      }
      const { alert, error } = await tryNotifyOnce(ports, blockedNotification(decision, snapshot));
      return error === null ? { ...observed, alert } : { ...observed, alert, error };
    }
    case "promote-replica":
    case "complete-failover":
    case "restore-in-dr-region":
      return dispatch(workflow, snapshot, decision, decidedAtMs, options);
  }
}

/** A status answer: the state read, and the execution running now if there is one. */
async function withRunningExecution(workflow: FailoverWorkflow, observed: Outcome): Promise<Outcome> {
  try {
    const [running] = await workflow.running();
    return running === undefined ? observed : { ...observed, execution: { ...running, started: false } };
  } catch (error) {
    return { ...observed, error: `listing the failover executions failed: ${describeError(error)}` };
  }
}

/**
 * Guards a person may override: by accepting the data loss, or by approving a regional restore
 * (`tap:regionalRestore approve`). The others need the state to change.
 */
const LAG_GUARDS: readonly string[] = ["replication-lag", "lag-unknown", "regional-restore"];

/**
 * Start the execution that carries out `decision`, unless one is running: then report it.
 * Failing to list or start is the outcome's error (the handler rethrows, so an asynchronous
 * trigger is retried by Lambda and the next monitor run tries again).
 */
async function dispatch(
  workflow: FailoverWorkflow,
  snapshot: ClusterSnapshot,
  decision: Extract<
    Decision,
    { kind: "promote-replica" | "complete-failover" | "blocked" | "restore-in-dr-region" }
  >,
  decidedAtMs: number,
  options: DispatchOptions,
): Promise<Outcome> {
  const observed: Outcome = { snapshot, decision, acted: false };
  try {
    const running = await workflow.running();
    if (running.length > 0) return { ...observed, execution: { ...running[0], started: false } };
    const planned = decision.kind === "promote-replica" && decision.planned;
    const failureStartedAtMs = evidencedFailureStartMs(snapshot, decision);
    const detectedAtMs = decision.kind === "promote-replica" ? decision.detectedAtMs : null;
    const input = workflowInput({
      snapshot,
      decision,
      decidedAtMs,
      cluster: options.cluster,
      limits: options.limits,
      reportKind:
        options.reportKind !== "failover"
          ? options.reportKind
          : planned
            ? "switchover"
            : decision.kind === "restore-in-dr-region" ||
                (decision.kind === "blocked" && decision.guard === "regional-restore")
              ? "restore"
              : "failover",
      timeline: evidenceTimeline(snapshot, decision, decidedAtMs, failureStartedAtMs, detectedAtMs),
    });
    const execution = await workflow.start(input.incident, input);
    return { ...observed, acted: execution.started, execution };
  } catch (error) {
    return { ...observed, error: `starting the failover workflow failed: ${describeError(error)}` };
  }
}

/** Send a notification; return the error text instead of throwing. */
export async function tryNotify(ports: Ports, notification: Notification): Promise<string | null> {
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
export async function tryNotifyOnce(
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
