/**
 * The messages the failover engine sends to people, built purely from decisions and state so
 * their exact wording is tested. Events: `failover-started`, `failover-succeeded`,
 * `failover-failed`, `failover-blocked` (critical), `primary-suspect` (alert-only before a
 * failover) and `post-failover-alert` (alert-only after one).
 */
import { failoverState } from "./decide";
import type { FailoverReport, Notification, Severity } from "./ports";
import type { ClusterSnapshot, Decision, FailoverStep, InstanceView } from "./types";

/** SNS rejects a subject longer than 100 characters (https://docs.aws.amazon.com/sns/latest/api/API_Publish.html). */
export const MAX_SUBJECT_LENGTH = 100;

/** Cut a subject to what SNS accepts, marking the cut. */
export function subjectLine(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length <= MAX_SUBJECT_LENGTH ? oneLine : `${oneLine.slice(0, MAX_SUBJECT_LENGTH - 1)}…`;
}

const SEVERITY_PREFIX: Record<Severity, string> = {
  critical: "DR CRITICAL",
  warning: "DR warning",
  info: "DR info",
};

/**
 * The one place a subject gets its severity: `DR CRITICAL: …`, `DR warning: …` or `DR info: …`,
 * so a reader (and a mail filter) can tell a page from a notice before opening it. The prefix is
 * part of the alert's identity for de-duplication, so a change of severity is a new alert.
 */
export function severitySubject(severity: Severity, text: string): string {
  return subjectLine(`${SEVERITY_PREFIX[severity]}: ${text}`);
}

type OperationKind = FailoverReport["kind"];

function operationName(kind: OperationKind): string {
  return kind === "switchover"
    ? "Switchover"
    : kind === "restore"
      ? "Regional restore"
      : kind === "drill"
        ? "Drill failover"
        : "Failover";
}

function instanceSummary(view: InstanceView): Record<string, unknown> {
  return {
    id: view.id,
    status: view.status,
    isReplica: view.isReplica,
    apiReachable: view.apiReachable,
    endpoint: view.endpoint ?? null,
    fenced: view.fenced ?? null,
  };
}

/** The state part every notification carries, so a reader needs nothing else to act. */
export function stateDetail(snapshot: ClusterSnapshot): Record<string, unknown> {
  return {
    primary: instanceSummary(snapshot.primary),
    replica: instanceSummary(snapshot.replica),
    writerTarget: snapshot.dns.writerTarget,
    readerTarget: snapshot.dns.readerTarget,
    lastHealthyLagSeconds: snapshot.lastHealthyLag?.lagSeconds ?? null,
    reportWritten: snapshot.reportWritten,
    trigger: snapshot.trigger,
  };
}

/** Warning or critical alert for an `alert-only` decision: nothing is done automatically. */
export function alertNotification(
  decision: Extract<Decision, { kind: "alert-only" }>,
  snapshot: ClusterSnapshot,
): Notification {
  const afterFailover = failoverState(snapshot).phase !== "not-started";
  return {
    subject: severitySubject(
      decision.severity,
      afterFailover
        ? `${snapshot.primary.id} / ${snapshot.replica.id} need attention after failover`
        : `primary ${snapshot.primary.id} is suspect`,
    ),
    severity: decision.severity,
    event: afterFailover ? "post-failover-alert" : "primary-suspect",
    message: `${decision.reason} No automatic action was taken.`,
    detail: { decision, state: stateDetail(snapshot) },
  };
}

/** Critical alert for a `blocked` decision: a failover is warranted but a guard stopped it. */
export function blockedNotification(
  decision: Extract<Decision, { kind: "blocked" }>,
  snapshot: ClusterSnapshot,
): Notification {
  return {
    subject: severitySubject(
      "critical",
      `failover BLOCKED (${decision.guard}): ${snapshot.replica.id} not promoted`,
    ),
    severity: "critical",
    event: "failover-blocked",
    message:
      `${decision.reason} The failover is blocked by the ${decision.guard} guard; nothing was changed. ` +
      `An operator can request {"action":"failover","acceptDataLoss":true} to override the lag guard.`,
    detail: { decision, state: stateDetail(snapshot) },
  };
}

/** Sent before the first step that changes anything. */
export function startedNotification(
  decision: {
    readonly kind: string;
    readonly reason: string;
    readonly steps: readonly FailoverStep[];
    readonly guard?: string;
  },
  replicaId: string,
  state: Record<string, unknown>,
  kind: OperationKind,
): Notification {
  const verb =
    decision.kind === "complete-failover" || decision.reason.startsWith("Resuming") ? "resumed" : "started";
  const what =
    decision.kind === "restore-in-dr-region" || decision.guard === "regional-restore"
      ? `restoring ${replicaId} in the DR region`
      : `promoting ${replicaId}`;
  return {
    subject: severitySubject("critical", `${operationName(kind)} ${verb}: ${what}`),
    severity: "critical",
    event: "failover-started",
    message: `${decision.reason} Steps: ${decision.steps.join(" → ")}.`,
    detail: { decision, state },
  };
}

/**
 * Sent when the lag guard blocked a failover and the workflow waits for a person: the data at
 * risk, and the one command that approves (or rejects) the failover.
 */
export function approvalRequestedNotification(args: {
  readonly reason: string;
  readonly guard: string;
  readonly replicaId: string;
  readonly lastHealthyLagSeconds: number | null;
  readonly executionArn: string;
  readonly taskToken: string;
  readonly timeoutSeconds: number;
  readonly region: string;
}): Notification {
  const lag =
    args.lastHealthyLagSeconds === null
      ? "an unknown amount of committed data (no healthy lag reading)"
      : `up to ${args.lastHealthyLagSeconds} s of committed transactions`;
  const approve =
    `aws stepfunctions send-task-success --region ${args.region} --task-token '${args.taskToken}' ` +
    `--task-output '{"approvedBy":"<your name>"}'`;
  const reject =
    `aws stepfunctions send-task-failure --region ${args.region} --task-token '${args.taskToken}' ` +
    `--error ApprovalRejected --cause '<why>'`;
  return {
    subject: severitySubject(
      "critical",
      `failover BLOCKED (${args.guard}): approve or reject ${args.replicaId}`,
    ),
    severity: "critical",
    event: "failover-blocked",
    message:
      `${args.reason} The failover is blocked by the ${args.guard} guard; nothing was changed. ` +
      (args.guard === "regional-restore"
        ? `Approving restores ${args.replicaId} in the DR region from the replicated backups, losing the commits after their restore point (above). `
        : `Approving promotes ${args.replicaId} and loses ${lag}. `) +
      `Approve: ${approve} . Reject: ${reject} . Without an answer within ${Math.round(args.timeoutSeconds / 60)} min ` +
      `the failover stays blocked. Execution: ${args.executionArn}`,
    detail: {
      executionArn: args.executionArn,
      guard: args.guard,
      lastHealthyLagSeconds: args.lastHealthyLagSeconds,
      approveCommand: approve,
      rejectCommand: reject,
    },
  };
}

/** Sent when an approval was rejected or timed out: the failover stays blocked. */
export function approvalClosedNotification(
  replicaId: string,
  why: string,
  executionArn: string,
): Notification {
  return {
    subject: severitySubject("critical", `failover stays BLOCKED: ${replicaId} not promoted`),
    severity: "critical",
    event: "failover-approval-closed",
    message:
      `${why} Nothing was changed. An operator can still request {"action":"failover","acceptDataLoss":true}. ` +
      `Execution: ${executionArn}`,
    detail: { executionArn, why },
  };
}

/** Sent once the writer points at the new primary and the report is stored. */
export function succeededNotification(
  report: FailoverReport,
  reportLocation: string | undefined,
  writerTarget: string,
): Notification {
  const f = report.figures;
  const figure = (value: number | null): string => (value === null ? "unknown" : `${value} s`);
  return {
    subject: severitySubject(
      "critical",
      `${operationName(report.kind)} succeeded: ${report.newPrimary.id} is the writer`,
    ),
    severity: "critical",
    event: "failover-succeeded",
    message:
      `writer now points at ${writerTarget} (${report.newPrimary.id}). Detection ${figure(f.detectionSeconds)}, ` +
      `promotion ${figure(f.promotionSeconds)}, RTO ${figure(f.rtoSeconds)}, data-loss window ` +
      `${figure(f.dataLossWindowSeconds)}. Report: ${reportLocation ?? "not stored"}. ` +
      `${report.oldPrimary.id} must not take writes again; fail back only as a planned switchover.`,
    detail: { reportId: report.id, reportLocation: reportLocation ?? null, figures: f },
  };
}

/** The exact state after a failed step, as the failure notification reports it. */
export interface FailureState {
  readonly failedStep: FailoverStep;
  readonly error: string;
  readonly completedSteps: readonly FailoverStep[];
  readonly primary: InstanceView;
  readonly replica: InstanceView;
  readonly writerTarget: string | null;
  readonly rolledBackWriterTo: string | null;
  readonly rollbackError: string | null;
  /**
   * A switchover that stopped before promoting undoes its fence: what the undo did, or `null`
   * when there was nothing to undo.
   */
  readonly fenceUndo?: { readonly restored: boolean; readonly detail: string } | null;
}

/** Sent when a step failed: what failed, what was undone, where everything stands. */
export function failedNotification(state: FailureState, kind: OperationKind): Notification {
  const promoted = !state.replica.isReplica;
  const rollback =
    state.rolledBackWriterTo !== null
      ? `writer was rolled back to ${state.rolledBackWriterTo}. `
      : state.rollbackError !== null
        ? `Rolling writer back FAILED (${state.rollbackError}). `
        : "";
  const undo =
    state.fenceUndo == null
      ? ""
      : state.fenceUndo.restored
        ? `The fence of ${state.primary.id} was undone (${state.fenceUndo.detail}); it serves clients again. `
        : `Undoing the fence of ${state.primary.id} FAILED (${state.fenceUndo.detail}): it admits no client until its ingress is restored by hand. `;
  const next = promoted
    ? `${state.replica.id} is promoted: re-running the failover resumes from the missing steps and never promotes again.`
    : `${state.replica.id} is still a replica: re-running the failover starts again from the real state.`;
  return {
    subject: severitySubject(
      "critical",
      `${operationName(kind)} FAILED at ${state.failedStep}: ${state.replica.id}`,
    ),
    severity: "critical",
    event: "failover-failed",
    message:
      `${operationName(kind)} step ${state.failedStep} failed: ${state.error}. ${rollback}${undo}` +
      `writer points at ${state.writerTarget ?? "nothing"}. ${next}`,
    detail: {
      failedStep: state.failedStep,
      error: state.error,
      completedSteps: state.completedSteps,
      primary: instanceSummary(state.primary),
      replica: instanceSummary(state.replica),
      writerTarget: state.writerTarget,
      rolledBackWriterTo: state.rolledBackWriterTo,
      rollbackError: state.rollbackError,
      ...(state.fenceUndo == null ? {} : { fenceUndo: state.fenceUndo }),
    },
  };
}
