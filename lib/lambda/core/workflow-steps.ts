/**
 * The steps of the failover workflow, one function per task of the state machine. Each receives
 * the execution's input and the run state the previous task returned, re-reads the real state it
 * depends on, acts only when that is still needed, and returns the new run state. A task retried
 * after a crash or a timeout therefore finds its own earlier work and skips it: never two
 * promotions, never `writer` pointed back at the old primary.
 *
 * Step Functions gives retries, waits and the failure route (`lib/workflow/definition.ts`); this
 * module gives what each step does. Errors are `StepError`s named for the state machine's
 * retriers and catchers, or the ports' own errors (the step runner names those).
 */
import { decide, isWritable, promotionBegun, replicaIneligibility, secondSignal } from "./decide";
import { WaitTimeoutError } from "./errors";
import {
  approvalClosedNotification,
  approvalRequestedNotification,
  failedNotification,
  startedNotification,
  succeededNotification,
} from "./notifications";
import { readSnapshot, reportExists, tryNotify, tryNotifyOnce } from "./orchestrator";
import { backupsProblem, restoreBegun } from "./regional";
import type { FailoverReport, Ports } from "./ports";
import { buildReport, reportId } from "./report";
import type { FailoverPolicy, FailoverStep, InstanceView } from "./types";
import {
  STEP_ERRORS,
  StepError,
  initialRun,
  type CaughtError,
  type RunState,
  type StepRequest,
  type WorkflowInput,
  type WorkflowTask,
} from "./workflow";

/** How long one caught-up check waits before the workflow's Wait state takes over. */
export const CATCH_UP_CHECK_MS = 30_000;

/** What a step needs besides its request. */
export interface StepContext {
  readonly ports: Ports;
  readonly policy: FailoverPolicy;
  /** Region of the state machine, for the approval commands. */
  readonly region: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K] };

/** The report's id for the failover an input carries out. */
function incidentReportId(input: WorkflowInput, run: RunState): string {
  return reportId(run.replica, input.decision.failureStartedAtMs ?? input.observed.takenAtMs);
}

/**
 * The instance that becomes the writer: the replica, or for a regional restore the restored
 * instance (`RunState.replica` holds whichever it is).
 */
function describeNewWriter(ports: Ports, input: WorkflowInput): Promise<InstanceView> {
  return input.action === "restore" ? ports.recovery.describeRestored() : ports.control.describe("replica");
}

/** The failover step a task belongs to, for the failure notice. */
function failedStepOf(input: WorkflowInput, run: RunState): FailoverStep {
  return input.decision.steps.find((s) => !run.completed.includes(s)) ?? "notify-success";
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Runs one task of an execution. */
export async function runWorkflowStep(
  context: StepContext,
  request: StepRequest,
  input: WorkflowInput,
  previous: RunState | null,
): Promise<RunState> {
  const { ports } = context;
  const { clock } = ports;
  const run = { ...(previous ?? initialRun(input)) } as Mutable<RunState>;
  run.timeline = [...run.timeline];
  run.completed = [...run.completed];
  run.notificationErrors = [...run.notificationErrors];
  const note = (event: string, detail: string): void => {
    run.timeline.push({ atMs: clock.nowMs(), event, detail });
  };
  const done = (step: FailoverStep): void => {
    if (!run.completed.includes(step)) run.completed.push(step);
  };
  const kind = input.reportKind;
  const limitMs = (seconds: number): number => seconds * 1000;

  const steps: Record<WorkflowTask, () => Promise<void>> = {
    begin: async () => {
      note(
        "workflow-started",
        `Execution ${request.execution.name} started: ${input.decision.steps.join(" → ") || "approval"}.`,
      );
    },

    "request-approval": async () => {
      const notification = approvalRequestedNotification({
        reason: input.decision.reason,
        guard: input.decision.guard ?? "replication-lag",
        replicaId: run.replica.id,
        lastHealthyLagSeconds: input.observed.lastHealthyLagSeconds,
        executionArn: request.execution.id,
        taskToken: String(request.taskToken),
        timeoutSeconds: input.limits.approvalTimeoutSeconds,
        region: context.region,
      });
      const { error } = await tryNotifyOnce(ports, notification);
      // The only way an operator learns how to approve: a lost alert must fail the task (retried).
      if (error !== null) throw new StepError(STEP_ERRORS.retryable, error);
    },

    reassess: async () => {
      const approval = request.approval;
      const approvedBy =
        typeof approval === "object" &&
        approval !== null &&
        typeof (approval as Record<string, unknown>).approvedBy === "string"
          ? String((approval as Record<string, unknown>).approvedBy).trim()
          : "";
      if (approvedBy === "" || approvedBy.length > 128) {
        throw new StepError(
          STEP_ERRORS.inputRefused,
          `Refused the approval: it must be {"approvedBy":"<your name>"} (1-128 characters), got ${JSON.stringify(approval) ?? "nothing"}. Nothing was done.`,
        );
      }
      run.approvedBy = approvedBy;
      note("approved", `${approvedBy} approved the failover, accepting the data loss shown in the alert.`);
      // The approval is an operator's failover request accepting data loss, judged on the state
      // as it is now: a primary that came back, or a replica that can no longer be promoted, ends it.
      const trigger = {
        kind: "manual" as const,
        action: "failover" as const,
        requestedBy: approvedBy,
        reason: `approval of ${request.execution.name}`,
        acceptDataLoss: true,
      };
      const snapshot = await readSnapshot(
        ports,
        trigger,
        { primaryProbes: [], lastHealthyLag: null },
        context.policy,
      );
      run.primary = snapshot.primary;
      run.replica = snapshot.replica;
      run.writerTarget = snapshot.dns.writerTarget;
      // An operator's failover is carried out whatever the primary's health, so a primary that
      // came back (no second signal left) must be caught here: it is no longer the failure the
      // approval accepted the data loss of, and failing over would fence a working writer.
      const signal = secondSignal(snapshot, context.policy);
      if (!signal.present && !promotionBegun(snapshot.replica)) {
        note(
          "decision",
          `none: ${snapshot.primary.id} is back (${signal.reason}); the approved failover is not carried out. ` +
            `An operator can still request {"action":"failover","acceptDataLoss":true}.`,
        );
        run.next = "done";
        return;
      }
      const decision = decide(snapshot, context.policy, clock.nowMs());
      note("decision", `${decision.kind}: ${decision.reason}`);
      // A restore runs only in a restore execution, a promotion only in a failover one: the
      // execution's action (its name, its report) says what the operator approved.
      const restoring = input.action === "restore";
      if (restoring) run.replica = snapshot.restored;
      run.next =
        (restoring && decision.kind === "restore-in-dr-region") ||
        (!restoring && (decision.kind === "promote-replica" || decision.kind === "complete-failover"))
          ? (decision.steps[0] ?? "done")
          : "done";
    },

    "approval-closed": async () => {
      const error = request.error as CaughtError | undefined;
      const why =
        error?.Error === STEP_ERRORS.approvalRejected
          ? `The failover was rejected${error.Cause ? `: ${error.Cause}` : ""}.`
          : error?.Error === "States.Timeout"
            ? `Nobody approved the failover within ${Math.round(input.limits.approvalTimeoutSeconds / 60)} min.`
            : `The approval ended with ${error?.Error ?? "an error"}${error?.Cause ? `: ${error.Cause}` : ""}.`;
      note("approval-closed", why);
      const notifyError = await tryNotify(
        ports,
        approvalClosedNotification(run.replica.id, why, request.execution.id),
      );
      if (notifyError !== null) run.notificationErrors.push(notifyError);
    },

    "notify-start": async () => {
      // De-duplicated: a retried task does not announce the same failover again.
      const { error } = await tryNotifyOnce(
        ports,
        startedNotification(
          input.decision,
          run.replica.id,
          {
            primary: run.primary.id,
            replica: run.replica.id,
            writerTarget: run.writerTarget,
            lastHealthyLagSeconds: input.observed.lastHealthyLagSeconds,
            execution: request.execution.id,
          },
          kind,
        ),
      );
      if (error !== null) {
        run.notificationErrors.push(error);
        note("notify-failed", error);
      }
      done("notify-start");
    },

    "fence-old-primary": async () => {
      const primary = await ports.control.describe("primary");
      // Always fence, even when the view says fenced: the fence tag outlives a return to service
      // (ingress restored by hand), and fencePrimary re-reads the client group, so on a fenced
      // primary it is a no-op.
      const fence = await ports.control.fencePrimary();
      run.fence = fence;
      run.primary = { ...primary, fenced: fence.fenced };
      run.fencedAtMs = clock.nowMs();
      if (fence.fenced) {
        note("fenced", fence.detail);
      } else if (input.decision.planned) {
        // A switchover promises zero data loss: that needs a primary that has stopped writing.
        run.halt = `the old primary could not be fenced (${fence.detail})`;
        note("step-failed", `fence-old-primary: ${run.halt}`);
        return;
      } else {
        // An unplanned failover goes on: the primary is down or its region unreachable (the second
        // signal), and waiting for its API would only lengthen the outage.
        note("fence-skipped", fence.detail);
      }
      done("fence-old-primary");
    },

    "check-caught-up": async () => {
      const startedAtMs = run.fencedAtMs ?? clock.nowMs();
      const leftMs = startedAtMs + limitMs(input.limits.catchUpTimeoutSeconds) - clock.nowMs();
      if (leftMs <= 0) {
        throw new StepError(
          STEP_ERRORS.timedOut,
          `${run.replica.id} had not replayed everything ${run.primary.id} wrote ${input.limits.catchUpTimeoutSeconds} s after the fence`,
        );
      }
      const fence = run.fence ?? { fenced: true, detail: "fenced before this execution" };
      try {
        await ports.control.waitUntilCaughtUp(Math.min(CATCH_UP_CHECK_MS, leftMs), fence);
      } catch (error) {
        if (!(error instanceof WaitTimeoutError)) throw error;
        run.caughtUp = false;
        return;
      }
      run.caughtUp = true;
      note("caught-up", `${run.replica.id} has replayed everything ${run.primary.id} wrote.`);
      done("wait-replica-caught-up");
    },

    "promote-replica": async () => {
      run.replica = await ports.control.describe("replica");
      if (!run.replica.isReplica && run.replica.apiReachable) {
        note(
          "promote-skipped",
          `${run.replica.id} is already promoted (${run.replica.status}); not promoting again.`,
        );
      } else if (promotionBegun(run.replica) && run.replica.status !== "available") {
        // Tagged and busy: the promotion runs (RDS shows modifying or a reboot, reference §1.2).
        note(
          "promote-skipped",
          `${run.replica.id}'s promotion is under way (${run.replica.rawStatus ?? run.replica.status}); not promoting again.`,
        );
      } else {
        // Tagged but available and still a replica: the task that tagged it may have stopped before
        // calling PromoteReadReplica; promoteReplica is idempotent and finds out.
        const problem = replicaIneligibility(run.replica);
        if (problem !== null) throw new StepError(STEP_ERRORS.failed, problem);
        run.promoteCalledAtMs = clock.nowMs();
        await ports.control.promoteReplica();
        note("promote-requested", `Promotion of ${run.replica.id} requested.`);
      }
      done("promote-replica");
    },

    "check-writable": async () => {
      const replica = await ports.control.describe("replica");
      run.replica = replica;
      if (isWritable(replica)) {
        run.writable = true;
        run.writableAtMs = clock.nowMs();
        note("promoted", `${replica.id} is a writable standalone instance (${replica.status}).`);
        done("wait-replica-writable");
        return;
      }
      run.writable = false;
      const sinceMs =
        run.promoteCalledAtMs ?? replica.promotionRequestedAtMs ?? run.fencedAtMs ?? input.observed.takenAtMs;
      if (clock.nowMs() - sinceMs > limitMs(input.limits.promotionTimeoutSeconds)) {
        throw new StepError(
          STEP_ERRORS.timedOut,
          `${replica.id} was not writable ${input.limits.promotionTimeoutSeconds / 60} min after its promotion was requested ` +
            `(${replica.rawStatus ?? replica.status}, replica: ${replica.isReplica}, API reachable: ${replica.apiReachable})`,
        );
      }
    },

    "restore-from-backup": async () => {
      const restored = await ports.recovery.describeRestored();
      run.replica = restored;
      if (restoreBegun(restored)) {
        note(
          "restore-skipped",
          `${restored.id} exists (${restored.rawStatus ?? restored.status}); not restoring again.`,
        );
      } else {
        if (!restored.apiReachable) {
          throw new StepError(
            STEP_ERRORS.retryable,
            `the DR region's RDS API did not say whether ${restored.id} exists (${restored.apiError ?? "no answer"})`,
          );
        }
        const backups = await ports.recovery.backups();
        const problem = backupsProblem(backups, clock.nowMs());
        if (problem !== null || backups.kind !== "available") {
          throw new StepError(STEP_ERRORS.failed, problem ?? "the replicated backups cannot be restored");
        }
        run.restoreCalledAtMs = clock.nowMs();
        await ports.recovery.restoreLatest(backups);
        note(
          "restore-requested",
          `Restore of ${restored.id} from ${backups.arn} to ${new Date(backups.latestRestorableTimeMs).toISOString()} requested.`,
        );
      }
      done("restore-from-backup");
    },

    "check-restored": async () => {
      const restored = await ports.recovery.describeRestored();
      run.replica = restored;
      if (isWritable(restored)) {
        run.writable = true;
        run.writableAtMs = clock.nowMs();
        note("restored", `${restored.id} is available and takes writes.`);
        done("wait-restored");
        return;
      }
      run.writable = false;
      if (restored.status === "failed" || restored.status === "deleting") {
        // RDS gave up (`restore-error`, `incompatible-restore`, …): waiting longer cannot help.
        throw new StepError(
          STEP_ERRORS.failed,
          `the restore of ${restored.id} ended ${restored.rawStatus ?? restored.status}`,
        );
      }
      const sinceMs = run.restoreCalledAtMs ?? restored.createdAtMs ?? input.observed.takenAtMs;
      if (clock.nowMs() - sinceMs > limitMs(input.limits.restoreTimeoutSeconds)) {
        throw new StepError(
          STEP_ERRORS.timedOut,
          `${restored.id} was not available ${input.limits.restoreTimeoutSeconds / 60} min after its restore was requested ` +
            `(${restored.rawStatus ?? restored.status}, API reachable: ${restored.apiReachable})`,
        );
      }
    },

    "switch-writer": async () => {
      const [dns, replica] = await Promise.all([ports.dns.read(), describeNewWriter(ports, input)]);
      run.replica = replica;
      run.writerTarget = dns.writerTarget;
      const target = replica.endpoint;
      if (!isWritable(replica) || target === undefined) {
        throw new StepError(
          STEP_ERRORS.failed,
          `${replica.id} is not a writable standalone instance (${replica.status}, replica: ${replica.isReplica}, ` +
            `endpoint: ${target ?? "unknown"}); writer was left at ${dns.writerTarget ?? "nothing"}`,
        );
      }
      if (dns.writerTarget === target) {
        note("writer-switched", `writer already points at ${target}.`);
      } else {
        run.writerBeforeSwitch = dns.writerTarget;
        await ports.dns.setWriter(target, limitMs(input.limits.dnsTimeoutSeconds));
        run.writerTarget = target;
        run.writerSwitchedAtMs = clock.nowMs();
        note("writer-switched", `writer moved from ${dns.writerTarget ?? "nothing"} to ${target}.`);
      }
      if (input.action === "restore" && dns.readerTarget !== target) {
        // The replica is lost with the writer's region: reads go to the restored writer too.
        await ports.dns.setReader(target, limitMs(input.limits.dnsTimeoutSeconds));
        note("reader-switched", `reader moved from ${dns.readerTarget ?? "nothing"} to ${target}.`);
      }
      done("switch-writer");
    },

    "enable-backups": async () => {
      note(
        "backups-enabled",
        input.action === "restore"
          ? `${run.replica.id} was restored with automated backups on (retention ${run.replica.backupRetentionDays ?? "as requested"} days).`
          : await ports.control.enableBackups(),
      );
      done("enable-backups");
    },

    "write-report": async () => {
      const id = incidentReportId(input, run);
      if (await reportExists(ports, id)) {
        note("report-exists", `Report ${id} was already written.`);
      } else {
        run.reportLocation = await ports.reports.put(report(input, run, "succeeded", id, clock.nowMs()));
      }
      done("write-report");
    },

    "notify-success": async () => {
      const error = await tryNotify(
        ports,
        succeededNotification(
          report(input, run, "succeeded", incidentReportId(input, run), clock.nowMs()),
          run.reportLocation ?? undefined,
          run.writerTarget ?? "nothing",
        ),
      );
      if (error !== null) run.notificationErrors.push(error);
      done("notify-success");
    },

    "roll-back": () => rollBack(context, request, input, run, note),
  };

  await steps[request.step]();
  return run;
}

/** The audit report of the execution so far. */
export function report(
  input: WorkflowInput,
  run: RunState,
  outcome: FailoverReport["outcome"],
  id: string,
  nowMs: number,
  error?: string,
): FailoverReport {
  return buildReport({
    id,
    kind: input.reportKind,
    startedAtMs: input.observed.takenAtMs,
    finishedAtMs: nowMs,
    outcome,
    decisions: [
      { atMs: input.decision.decidedAtMs, kind: input.decision.kind, reason: input.decision.reason },
    ],
    timeline: run.timeline,
    moments: {
      failureStartedAtMs: input.decision.failureStartedAtMs,
      detectedAtMs: input.decision.detectedAtMs,
      // For a regional restore: the restore call → the restored instance available.
      promoteCalledAtMs: run.restoreCalledAtMs ?? run.promoteCalledAtMs,
      writableAtMs: run.writableAtMs,
      writerSwitchedAtMs: run.writerSwitchedAtMs,
    },
    // A restore loses what came after its restore point; a promotion what the replica had not replayed.
    lastHealthyLagSeconds: restoreLossWindowSeconds(input) ?? input.observed.lastHealthyLagSeconds,
    planned: input.decision.planned,
    oldPrimary: run.primary,
    newPrimary: run.replica,
    ...(error !== undefined ? { error } : {}),
  });
}

/** A regional restore's data-loss window: failure start − the restore point, seconds; `null` otherwise. */
function restoreLossWindowSeconds(input: WorkflowInput): number | null {
  const { latestRestorableTimeMs, failureStartedAtMs } = input.decision;
  if (input.action !== "restore" || latestRestorableTimeMs === undefined || failureStartedAtMs === null)
    return null;
  return Math.max(0, Math.round((failureStartedAtMs - latestRestorableTimeMs) / 100) / 10);
}

/**
 * The failure path: roll `writer` back if it points at a replica that cannot take writes, undo a
 * switchover's fence when no promotion has begun, alert with the exact state, store a `failed`
 * report. Never promotes, and never moves `writer` anywhere but back to where the decision found it.
 */
async function rollBack(
  context: StepContext,
  request: StepRequest,
  input: WorkflowInput,
  run: Mutable<RunState>,
  note: (event: string, detail: string) => void,
): Promise<void> {
  const { ports } = context;
  const caught = request.error as CaughtError | undefined;
  const message = run.halt ?? causeMessage(caught);
  const failedStep = failedStepOf(input, run);
  note("step-failed", `${failedStep}: ${message}`);

  const [dns, replica] = await Promise.all([ports.dns.read(), describeNewWriter(ports, input)]);
  run.replica = replica;
  run.writerTarget = dns.writerTarget;

  // Where writer pointed before this failover touched it.
  const previousWriter = run.writerBeforeSwitch ?? input.observed.writerTarget;
  let rolledBackWriterTo: string | null = null;
  let rollbackError: string | null = null;
  const writerOnReplica = replica.endpoint !== undefined && dns.writerTarget === replica.endpoint;
  // A restore never sends writer back: the old writer's region is lost.
  if (
    input.action !== "restore" &&
    writerOnReplica &&
    !isWritable(replica) &&
    previousWriter !== null &&
    previousWriter !== dns.writerTarget
  ) {
    try {
      await ports.dns.setWriter(previousWriter, input.limits.dnsTimeoutSeconds * 1000);
      rolledBackWriterTo = previousWriter;
      run.writerTarget = previousWriter;
      note(
        "writer-rolled-back",
        `writer moved back to ${previousWriter} because ${replica.id} is not writable.`,
      );
    } catch (error) {
      rollbackError = describeError(error);
      note("rollback-failed", rollbackError);
    }
  }

  // A switchover that stopped before the replica was promoted must leave the old writer serving:
  // its fence is undone with exactly the rules it revoked. Once a promotion has begun the fence
  // stays, or clients would write to two databases.
  let fenceUndo: { restored: boolean; detail: string } | null = null;
  const promotionUntouched =
    run.promoteCalledAtMs === null || (replica.apiReachable && !promotionBegun(replica));
  const fence = run.fence;
  const fenceTouched = fence !== null && (fence.fenced || (fence.revokedIngress?.length ?? 0) > 0);
  if (input.decision.planned && fenceTouched && promotionUntouched && replica.isReplica) {
    try {
      fenceUndo = await ports.control.unfencePrimary(fence);
    } catch (error) {
      fenceUndo = { restored: false, detail: describeError(error) };
    }
    if (fenceUndo.restored) run.primary = { ...run.primary, fenced: false };
    note(fenceUndo.restored ? "fence-undone" : "fence-undo-failed", fenceUndo.detail);
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
      input.reportKind,
    ),
  );
  if (notifyError !== null) run.notificationErrors.push(notifyError);

  // The failed attempt gets its own report id: the id of the successful report stays free for
  // the execution that completes this failover.
  const nowMs = ports.clock.nowMs();
  const failed = report(
    input,
    run,
    "failed",
    `${incidentReportId(input, run)}-attempt-${input.observed.takenAtMs}`,
    nowMs,
    `${failedStep}: ${message}`,
  );
  try {
    run.reportLocation = await ports.reports.put(failed);
  } catch (error) {
    run.notificationErrors.push(`failed report could not be stored: ${describeError(error)}`);
  }
  run.halt = [
    `${failedStep} failed: ${message}`,
    ...(fenceUndo === null
      ? []
      : [fenceUndo.restored ? "fence undone" : `fence undo failed: ${fenceUndo.detail}`]),
    ...run.notificationErrors,
  ].join("; ");
}

/** The readable part of a caught error: a Lambda function error's `Cause` is its JSON error record. */
export function causeMessage(caught: CaughtError | undefined): string {
  if (caught === undefined) return "unknown error";
  const cause = caught.Cause ?? "";
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === "string") return `${caught.Error}: ${parsed.errorMessage}`;
  } catch {
    // Not JSON: a Step Functions error such as States.Timeout, whose cause is plain text.
  }
  return cause === "" ? caught.Error : `${caught.Error}: ${cause}`;
}
