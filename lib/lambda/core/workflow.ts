/**
 * The failover workflow's contract: what the failover function hands a Step Functions execution
 * (`WorkflowInput`), what each task of that execution carries from step to step (`RunState`), and
 * what a task asks the step runner (`StepRequest`). Pure: names, builders and validation, no I/O.
 *
 * The decision is made once, by the failover function, on one snapshot; the execution carries it
 * out. Each step re-reads the real state it depends on, so a step retried after a crash or a
 * timeout (Step Functions' `Retry`, reference §3) never promotes twice.
 */
import { ALL_STEPS, consecutiveFailures, failureStartMs, SWITCHOVER_STEPS } from "./decide";
import { RESTORE_STEPS } from "./regional";
import type { FenceResult, TimelineEntry } from "./ports";
import { REPORT_KINDS, reportId } from "./report";
import type { ClusterSnapshot, Decision, FailoverStep, InstanceView } from "./types";

/** Bumped when the input's shape changes: an execution started by other code is refused. */
export const WORKFLOW_INPUT_VERSION = 1;

/** Step Functions execution names: 1–80 characters, kept to `0-9A-Za-z-_` for CloudWatch Logs (reference §3). */
export const MAX_EXECUTION_NAME_LENGTH = 80;

/** What an execution was started for. */
export type WorkflowAction = "failover" | "switchover" | "restore";

/** How long the slow parts of an execution may take; set by the failover function from its config. */
export interface WorkflowLimits {
  /** Promote call → replica writable; RDS says "a few minutes, or longer depending on the replica's size". */
  readonly promotionTimeoutSeconds: number;
  /** Fence → replica has replayed everything the fenced primary wrote (switchover only). */
  readonly catchUpTimeoutSeconds: number;
  /** A Route 53 change reaching INSYNC (usually under 60 s, reference §4). */
  readonly dnsTimeoutSeconds: number;
  /** How long an operator has to approve a failover the lag guard blocked. */
  readonly approvalTimeoutSeconds: number;
  /** Restore call → restored instance available (AWS: "up to a few hours", reference §1.6). */
  readonly restoreTimeoutSeconds: number;
}

/** The decision an execution carries out, as the failover function made it. */
export interface WorkflowDecision {
  readonly kind: "promote-replica" | "complete-failover" | "blocked" | "restore-in-dr-region";
  readonly reason: string;
  /** The steps to run, in order (a suffix of the failover's steps for `complete-failover`). */
  readonly steps: readonly FailoverStep[];
  readonly planned: boolean;
  readonly decidedAtMs: number;
  readonly failureStartedAtMs: number | null;
  readonly detectedAtMs: number | null;
  /** For `blocked`: the guard that held the failover back (only lag guards lead to an approval). */
  readonly guard?: string;
  /** For `restore-in-dr-region`: the restore point (the backups' latest restorable time when decided). */
  readonly latestRestorableTimeMs?: number;
}

/** The input of one execution of the failover state machine. */
export interface WorkflowInput {
  readonly version: typeof WORKFLOW_INPUT_VERSION;
  /** The incident this execution handles; also the execution's name. */
  readonly incident: string;
  readonly action: WorkflowAction;
  /** `required`: the execution waits for an operator's approval before it changes anything. */
  readonly approval: "none" | "required";
  /** The cluster the decision was made for: a step runner of another cluster refuses the execution. */
  readonly cluster: { readonly primaryInstanceId: string; readonly replicaInstanceId: string };
  readonly decision: WorkflowDecision;
  /** What the decision saw. */
  readonly observed: {
    readonly takenAtMs: number;
    readonly writerTarget: string | null;
    readonly lastHealthyLagSeconds: number | null;
    readonly primary: InstanceView;
    readonly replica: InstanceView;
    /** The instance a regional restore creates (`not-found` before it). */
    readonly restored: InstanceView;
  };
  /** The evidence and the decision, as the first entries of the report's timeline. */
  readonly timeline: readonly TimelineEntry[];
  readonly reportKind: "failover" | "switchover" | "restore" | "drill";
  readonly limits: WorkflowLimits;
  /** The operator who asked, for a manual request. */
  readonly requestedBy: string | null;
}

/** Where the execution goes next (the `Route` choice state dispatches on it). */
export type WorkflowEntry = FailoverStep | "request-approval" | "done";

/**
 * What the execution knows so far, returned by every task and handed to the next. For a regional
 * restore, `replica` is the restored instance: the instance that becomes the writer.
 */
export interface RunState {
  readonly next: WorkflowEntry;
  readonly timeline: readonly TimelineEntry[];
  readonly completed: readonly FailoverStep[];
  readonly primary: InstanceView;
  readonly replica: InstanceView;
  /** Writer target before this execution changed it; `null` until it does. */
  readonly writerBeforeSwitch: string | null;
  readonly writerTarget: string | null;
  readonly fencedAtMs: number | null;
  readonly promoteCalledAtMs: number | null;
  /** When this execution asked for the regional restore (`RestoreDBInstanceToPointInTime`). */
  readonly restoreCalledAtMs: number | null;
  readonly writableAtMs: number | null;
  readonly writerSwitchedAtMs: number | null;
  /** What this execution's fence did (for a switchover's undo and its caught-up check). */
  readonly fence: FenceResult | null;
  readonly reportLocation: string | null;
  /** Set by the wait loops' checks. */
  readonly caughtUp: boolean;
  readonly writable: boolean;
  /** A step found the run cannot go on (e.g. a switchover whose fence did not hold): the failure path runs. */
  readonly halt: string | null;
  readonly notificationErrors: readonly string[];
  /** Who approved a blocked failover, and when. */
  readonly approvedBy: string | null;
}

/** The task names of the step runner, beside the failover steps. */
export const WORKFLOW_TASKS = [
  "begin",
  "request-approval",
  "reassess",
  "approval-closed",
  "notify-start",
  "fence-old-primary",
  "check-caught-up",
  "promote-replica",
  "check-writable",
  "switch-writer",
  "enable-backups",
  "write-report",
  "notify-success",
  "restore-from-backup",
  "check-restored",
  "roll-back",
] as const;
export type WorkflowTask = (typeof WORKFLOW_TASKS)[number];

/** The error a task received from Step Functions' `Catch` (`ResultPath: $.error`). */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/** What a task sends the step runner. */
export interface StepRequest {
  readonly step: WorkflowTask;
  readonly execution: { readonly name: string; readonly id: string };
  readonly input: unknown;
  readonly run?: unknown;
  /** For `roll-back` and `approval-closed`: the error that was caught. */
  readonly error?: unknown;
  /** For `request-approval`: the token an operator's approval sends back. */
  readonly taskToken?: unknown;
  /** For `reassess`: the operator's answer (`send-task-success --task-output`). */
  readonly approval?: unknown;
}

/** What every task returns: the input, unchanged, and the new run state. */
export interface StepResponse {
  readonly input: WorkflowInput;
  readonly run: RunState;
}

/** Error names a step throws; the state machine's retriers and catchers match them. */
export const STEP_ERRORS = {
  /** The execution's input or a task's payload is malformed: nothing was done. */
  inputRefused: "InputRefused",
  /** A transient failure (throttling, 5xx, a network error): the task is retried. */
  retryable: "StepRetryable",
  /** The step cannot be done; the failure path runs. */
  failed: "StepFailed",
  /** A bounded wait ran out of time; the failure path runs. */
  timedOut: "StepTimedOut",
  /** An operator refused the approval (`send-task-failure --error ApprovalRejected`). */
  approvalRejected: "ApprovalRejected",
} as const;

/** A step's error, named for the state machine. */
export class StepError extends Error {
  constructor(
    readonly errorName: (typeof STEP_ERRORS)[keyof typeof STEP_ERRORS],
    message: string,
  ) {
    super(message);
    this.name = errorName;
  }
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, "-");
}

/** The execution name for an incident: deterministic, so duplicate triggers start it once. */
export function executionName(prefix: string, incident: string): string {
  return `${prefix}-${safeName(incident)}`.slice(0, MAX_EXECUTION_NAME_LENGTH);
}

/**
 * The incident a decision belongs to. An unplanned failover is named after the replica it
 * promotes (an RDS instance is promoted once in its life: `reportId`), so the monitor, the alarm
 * and a resume all name the same execution. A regional restore is named after the instance it
 * creates (an identifier exists once in a region), whatever triggered it. An operator's request is
 * named after the replica and the minute it was made: the same request sent twice within a minute
 * is one execution.
 */
export function incidentName(
  snapshot: ClusterSnapshot,
  nowMs: number,
  decision?: Pick<Decision, "kind">,
): string {
  const trigger = snapshot.trigger;
  if (
    decision?.kind === "restore-in-dr-region" ||
    (decision?.kind === "blocked" && (decision as { guard?: string }).guard === "regional-restore")
  ) {
    return executionName("restore", snapshot.restored.id);
  }
  if (trigger.kind === "manual") {
    const minute = new Date(Math.floor(nowMs / 60_000) * 60_000)
      .toISOString()
      .slice(0, 16)
      .replace(/[-:]/g, "");
    return executionName(trigger.action, `${snapshot.replica.id}-${minute}`);
  }
  return executionName(
    "failover",
    reportId(snapshot.replica, failureStartMs(trigger, snapshot.primaryProbes, snapshot.takenAtMs)),
  );
}

/** The first state an execution runs for a decision. */
export function firstEntry(input: Pick<WorkflowInput, "approval" | "decision">): WorkflowEntry {
  if (input.approval === "required") return "request-approval";
  return input.decision.steps[0] ?? "done";
}

/** The run state an execution starts from. */
export function initialRun(input: WorkflowInput): RunState {
  return {
    next: firstEntry(input),
    timeline: [...input.timeline],
    completed: [],
    primary: input.observed.primary,
    replica: input.action === "restore" ? input.observed.restored : input.observed.replica,
    writerBeforeSwitch: null,
    writerTarget: input.observed.writerTarget,
    fencedAtMs: null,
    promoteCalledAtMs: null,
    restoreCalledAtMs: null,
    writableAtMs: null,
    writerSwitchedAtMs: null,
    fence: null,
    reportLocation: null,
    caughtUp: false,
    writable: false,
    halt: null,
    notificationErrors: [],
    approvedBy: null,
  };
}

/**
 * When the failure an execution handles began, as far as the evidence shows: the decision's own
 * for a promotion; for a resumed or blocked failover the first failed probe of the run or the
 * alarm's start, and `null` without either (an operator's request, or a run whose probes answered),
 * so the report's figures never start from a made-up moment.
 */
export function evidencedFailureStartMs(
  snapshot: ClusterSnapshot,
  decision: Extract<
    Decision,
    { kind: "promote-replica" | "complete-failover" | "blocked" | "restore-in-dr-region" }
  >,
): number | null {
  if (decision.kind === "promote-replica" || decision.kind === "restore-in-dr-region")
    return decision.failureStartedAtMs;
  const trigger = snapshot.trigger;
  return consecutiveFailures(snapshot.primaryProbes) > 0 || trigger.kind === "alarm"
    ? failureStartMs(trigger, snapshot.primaryProbes, snapshot.takenAtMs)
    : null;
}

/** Builds the input of the execution that carries out `decision`. */
export function workflowInput(args: {
  readonly snapshot: ClusterSnapshot;
  readonly decision: Extract<
    Decision,
    { kind: "promote-replica" | "complete-failover" | "blocked" | "restore-in-dr-region" }
  >;
  readonly decidedAtMs: number;
  readonly cluster: WorkflowInput["cluster"];
  readonly limits: WorkflowLimits;
  readonly reportKind: WorkflowInput["reportKind"];
  readonly timeline: readonly TimelineEntry[];
}): WorkflowInput {
  const { snapshot, decision } = args;
  const trigger = snapshot.trigger;
  const planned = decision.kind === "promote-replica" && decision.planned;
  const failureStartedAtMs = evidencedFailureStartMs(snapshot, decision);
  return {
    version: WORKFLOW_INPUT_VERSION,
    incident: incidentName(snapshot, args.decidedAtMs, decision),
    action:
      decision.kind === "restore-in-dr-region" ||
      (decision.kind === "blocked" && decision.guard === "regional-restore")
        ? "restore"
        : planned
          ? "switchover"
          : "failover",
    approval: decision.kind === "blocked" ? "required" : "none",
    cluster: args.cluster,
    decision: {
      kind: decision.kind,
      reason: decision.reason,
      steps: decision.kind === "blocked" ? [] : [...decision.steps],
      planned,
      decidedAtMs: args.decidedAtMs,
      failureStartedAtMs,
      detectedAtMs:
        decision.kind === "promote-replica" || decision.kind === "restore-in-dr-region"
          ? decision.detectedAtMs
          : null,
      ...(decision.kind === "blocked" ? { guard: decision.guard } : {}),
      ...(decision.kind === "restore-in-dr-region"
        ? { latestRestorableTimeMs: decision.latestRestorableTimeMs }
        : {}),
    },
    observed: {
      takenAtMs: snapshot.takenAtMs,
      writerTarget: snapshot.dns.writerTarget,
      lastHealthyLagSeconds: snapshot.lastHealthyLag?.lagSeconds ?? null,
      primary: snapshot.primary,
      replica: snapshot.replica,
      restored: snapshot.restored,
    },
    timeline: args.timeline,
    reportKind: args.reportKind,
    limits: args.limits,
    requestedBy: trigger.kind === "manual" ? trigger.requestedBy : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Validation: a task refuses a payload that is not exactly what the state machine sends.

function refuse(what: string, problem: string): never {
  throw new StepError(STEP_ERRORS.inputRefused, `Refused ${what}: ${problem}. Nothing was done.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function field<T>(
  what: string,
  obj: Record<string, unknown>,
  key: string,
  check: (v: unknown) => v is T,
  expected: string,
): T {
  const value = obj[key];
  if (!check(value)) refuse(what, `${key} must be ${expected}, got ${JSON.stringify(value) ?? "nothing"}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isNullableString = (v: unknown): v is string | null => v === null || isString(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isNullableNumber = (v: unknown): v is number | null => v === null || isFiniteNumber(v);
const isPositiveInteger = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;
const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isInstanceView = (v: unknown): v is InstanceView =>
  isObject(v) && isString(v.id) && (v.role === "primary" || v.role === "replica") && isString(v.status);

/**
 * Checks an execution's input: its version, incident, action, decision and limits, and that it is
 * for `cluster` (a step runner serves one cluster). Throws `InputRefused` naming the first problem.
 */
export function validateWorkflowInput(raw: unknown, cluster: WorkflowInput["cluster"]): WorkflowInput {
  const what = "the workflow input";
  if (!isObject(raw)) refuse(what, `it must be an object, got ${JSON.stringify(raw) ?? "nothing"}`);
  if (raw.version !== WORKFLOW_INPUT_VERSION) {
    refuse(
      what,
      `version must be ${WORKFLOW_INPUT_VERSION}, got ${JSON.stringify(raw.version) ?? "nothing"}`,
    );
  }
  const incident = field(what, raw, "incident", isString, "the incident's name");
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(incident)) {
    refuse(
      what,
      `incident must be 1-80 characters of A-Z, a-z, 0-9, - and _, got ${JSON.stringify(incident)}`,
    );
  }
  const action = raw.action;
  if (action !== "failover" && action !== "switchover" && action !== "restore") {
    refuse(
      what,
      `action must be "failover", "switchover" or "restore", got ${JSON.stringify(action) ?? "nothing"}`,
    );
  }
  if (raw.approval !== "none" && raw.approval !== "required") {
    refuse(what, `approval must be "none" or "required", got ${JSON.stringify(raw.approval) ?? "nothing"}`);
  }
  const c = field(what, raw, "cluster", isObject, "an object");
  if (
    c.primaryInstanceId !== cluster.primaryInstanceId ||
    c.replicaInstanceId !== cluster.replicaInstanceId
  ) {
    refuse(
      what,
      `it is for the cluster ${JSON.stringify(c.primaryInstanceId)} → ${JSON.stringify(c.replicaInstanceId)}, ` +
        `this step runner serves ${cluster.primaryInstanceId} → ${cluster.replicaInstanceId}`,
    );
  }
  const d = field(what, raw, "decision", isObject, "an object");
  if (
    d.kind !== "promote-replica" &&
    d.kind !== "complete-failover" &&
    d.kind !== "blocked" &&
    d.kind !== "restore-in-dr-region"
  ) {
    refuse(
      what,
      `decision.kind must be promote-replica, complete-failover, blocked or restore-in-dr-region, got ${JSON.stringify(d.kind)}`,
    );
  }
  if ((d.kind === "restore-in-dr-region") !== (action === "restore") && d.kind !== "blocked") {
    refuse(what, `a ${String(d.kind)} decision cannot run as a ${String(action)}`);
  }
  field(what, d, "reason", isString, "a sentence");
  const steps = field(what, d, "steps", isArray, "a list of steps");
  for (const step of steps) {
    if (!ALL_STEPS.includes(step as FailoverStep)) {
      refuse(what, `decision.steps holds ${JSON.stringify(step)}, not a failover step`);
    }
  }
  if (d.kind === "blocked" ? raw.approval !== "required" : steps.length === 0) {
    refuse(
      what,
      `a ${d.kind} decision needs ${d.kind === "blocked" ? 'approval "required"' : "at least one step"}`,
    );
  }
  // Each action runs its own steps: a restore never fences or promotes, a failover never restores.
  const allowed: readonly string[] = action === "restore" ? RESTORE_STEPS : SWITCHOVER_STEPS;
  const foreign = steps.find((step) => !allowed.includes(step as FailoverStep));
  if (foreign !== undefined) {
    refuse(what, `decision.steps holds ${JSON.stringify(foreign)}, which a ${String(action)} does not run`);
  }
  if (d.kind === "blocked" && (d.guard === "regional-restore") !== (action === "restore")) {
    refuse(what, `a blocked decision by the ${String(d.guard)} guard cannot run as a ${String(action)}`);
  }
  if (
    action === "restore" &&
    d.kind === "restore-in-dr-region" &&
    !isFiniteNumber(d.latestRestorableTimeMs)
  ) {
    refuse(what, "a regional restore needs decision.latestRestorableTimeMs, its restore point");
  }
  field(what, d, "planned", isBoolean, "true or false");
  if ((d.planned === true) !== (action === "switchover")) {
    refuse(what, `decision.planned is ${String(d.planned)} but the action is ${action}`);
  }
  field(what, d, "decidedAtMs", isFiniteNumber, "a time in milliseconds");
  field(what, d, "failureStartedAtMs", isNullableNumber, "a time in milliseconds or null");
  field(what, d, "detectedAtMs", isNullableNumber, "a time in milliseconds or null");
  const o = field(what, raw, "observed", isObject, "an object");
  field(what, o, "takenAtMs", isFiniteNumber, "a time in milliseconds");
  field(what, o, "writerTarget", isNullableString, "a host name or null");
  field(what, o, "lastHealthyLagSeconds", isNullableNumber, "seconds or null");
  field(what, o, "primary", isInstanceView, "an instance view");
  field(what, o, "replica", isInstanceView, "an instance view");
  field(what, o, "restored", isInstanceView, "an instance view");
  field(what, raw, "timeline", isArray, "a list of timeline entries");
  if (!REPORT_KINDS.includes(raw.reportKind as WorkflowInput["reportKind"])) {
    refuse(what, `reportKind must be ${REPORT_KINDS.join(", ")}, got ${JSON.stringify(raw.reportKind)}`);
  }
  const l = field(what, raw, "limits", isObject, "an object");
  for (const key of [
    "promotionTimeoutSeconds",
    "catchUpTimeoutSeconds",
    "dnsTimeoutSeconds",
    "approvalTimeoutSeconds",
    "restoreTimeoutSeconds",
  ]) {
    field(what, l, key, isPositiveInteger, "a whole number of seconds above 0");
  }
  field(what, raw, "requestedBy", isNullableString, "a name or null");
  return raw as unknown as WorkflowInput;
}

/** Checks a task's payload; the run state must come from an earlier task of the same execution. */
export function validateStepRequest(
  raw: unknown,
  cluster: WorkflowInput["cluster"],
): { request: StepRequest; input: WorkflowInput; run: RunState | null } {
  const what = "the step request";
  if (!isObject(raw)) refuse(what, `it must be an object, got ${JSON.stringify(raw) ?? "nothing"}`);
  const step = raw.step;
  if (!WORKFLOW_TASKS.includes(step as WorkflowTask)) {
    refuse(
      what,
      `step must be one of ${WORKFLOW_TASKS.join(", ")}, got ${JSON.stringify(step) ?? "nothing"}`,
    );
  }
  const execution = field(what, raw, "execution", isObject, "the execution's name and id");
  field(what, execution, "name", isString, "the execution's name");
  field(what, execution, "id", isString, "the execution's ARN");
  const input = validateWorkflowInput(raw.input, cluster);
  if (execution.name !== input.incident) {
    refuse(
      what,
      `the execution ${JSON.stringify(execution.name)} is not named after its incident ${input.incident}`,
    );
  }
  let run: RunState | null = null;
  if (step !== "begin") {
    const r = field(what, raw, "run", isObject, "the run state of an earlier task");
    field(what, r, "timeline", isArray, "a list");
    field(what, r, "completed", isArray, "a list");
    field(what, r, "primary", isInstanceView, "an instance view");
    field(what, r, "replica", isInstanceView, "an instance view");
    run = r as unknown as RunState;
  }
  if (step === "request-approval") field(what, raw, "taskToken", isString, "the task token");
  return { request: raw as unknown as StepRequest, input, run };
}
