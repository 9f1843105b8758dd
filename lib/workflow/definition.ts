/**
 * The failover state machine's definition (Amazon States Language), generated once from the step
 * table below. TapStack deploys it (`lib/infra/workflow.ts`), the tests validate it with
 * `asl-validator`, and the drill and the simulator run this very definition locally with
 * `aws-local-stepfunctions` (`lib/workflow/local.ts`): there is no second orchestration.
 *
 * Every task calls the step runner through the optimized Lambda integration
 * (`arn:aws:states:::lambda:invoke`, reference §3): one function holds the step logic in
 * TypeScript (`lib/lambda/core/workflow-steps.ts`), each step re-reading the real state before it
 * acts. Waits are Wait states (they cost nothing and hold no Lambda), retries are `Retry` fields,
 * and every failure goes to one failure path (`RollBack` → `FailoverFailed`).
 */
import { STEP_ERRORS, type WorkflowTask } from "../lambda/core/workflow";

/** State names; the execution history and the dashboard show them. */
export const STATES = {
  begin: "Begin",
  route: "Route",
  requestApproval: "RequestApproval",
  reassess: "Reassess",
  approvalClosed: "ApprovalClosed",
  stayedBlocked: "StayedBlocked",
  notifyStart: "NotifyStart",
  promoteOrRestore: "PromoteOrRestore",
  fence: "FenceOldPrimary",
  fenceHeld: "FenceHeld",
  fenceRefused: "FenceRefused",
  planned: "PlannedSwitchover",
  checkCaughtUp: "CheckCaughtUp",
  caughtUp: "CaughtUp",
  waitForCatchUp: "WaitForCatchUp",
  promote: "PromoteReplica",
  waitForPromotion: "WaitForPromotion",
  checkWritable: "CheckWritable",
  writable: "Writable",
  restoreFromBackup: "RestoreFromBackup",
  waitForRestore: "WaitForRestore",
  checkRestored: "CheckRestored",
  restored: "Restored",
  verifyRestored: "VerifyRestored",
  switchWriter: "SwitchWriter",
  enableBackups: "EnableBackups",
  writeReport: "WriteReport",
  notifySuccess: "NotifySuccess",
  succeeded: "FailoverSucceeded",
  nothingToDo: "NothingToDo",
  rollBack: "RollBack",
  failed: "FailoverFailed",
  rollBackFailed: "RollBackFailed",
  inputRefused: "InputRefused",
  notStarted: "NotStarted",
} as const;

/** Resource of a task that invokes the step runner and gets its result back. */
export const LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke";
/** Resource of a task that invokes the step runner and then waits for a task token (the approval). */
export const LAMBDA_INVOKE_WAIT_FOR_TOKEN = "arn:aws:states:::lambda:invoke.waitForTaskToken";

/**
 * Errors of the Lambda integration itself that are worth retrying: AWS's suggested list plus
 * `Lambda.TooManyRequestsException`, which it leaves out (reference §3).
 */
export const LAMBDA_TRANSIENT_ERRORS = [
  "Lambda.ClientExecutionTimeoutException",
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
] as const;

/**
 * A step runner that crashed or hit its own timeout mid-step (`Lambda.Unknown`; newer runtimes
 * report `Sandbox.Timedout`), a task that exceeded its `TimeoutSeconds` (`States.Timeout`), or a
 * step that met a throttle or a 5xx (`StepRetryable`): the step is run again, and finds whatever
 * its interrupted attempt did.
 */
export const STEP_INTERRUPTED_ERRORS = [
  STEP_ERRORS.retryable,
  "Lambda.Unknown",
  "Sandbox.Timedout",
  "States.Timeout",
] as const;

/** What the definition is generated from. */
export interface DefinitionOptions {
  /** ARN of the step-runner function. */
  readonly stepRunnerArn: string;
  /** The step runner's timeout: each task may run this long, plus a margin for the invocation. */
  readonly stepRunnerTimeoutSeconds: number;
  /** Seconds between two checks that the promoted replica is writable. */
  readonly promotionPollSeconds?: number;
  /** Seconds between two checks that a switchover's replica has caught up. */
  readonly catchUpPollSeconds?: number;
  /** Seconds between two checks that a regional restore's instance is available. */
  readonly restorePollSeconds?: number;
  /**
   * ARN of the restore-check function. When given, a regional restore verifies that the restored
   * instance answers as the monitor's role (the role and the heartbeat table come with the backup)
   * before `writer` moves to it: `VerifyRestored` between `Restored` and `SwitchWriter`.
   */
  readonly restoreCheckArn?: string;
  /** The restore-check function's timeout (60 s deployed); with `restoreCheckArn`. */
  readonly restoreCheckTimeoutSeconds?: number;
}

/** Default timeout of the restore-check function (the contract's 60 s). */
export const RESTORE_CHECK_TIMEOUT_SECONDS = 60;

/** Default seconds between promotion checks: RDS takes minutes; 15 s adds 7.5 s to the RTO on average. */
export const PROMOTION_POLL_SECONDS = 15;
/** Default seconds between catch-up checks (each check itself waits up to 30 s). */
export const CATCH_UP_POLL_SECONDS = 5;
/** Default seconds between restore checks: a restore takes tens of minutes to hours (reference §1.6). */
export const RESTORE_POLL_SECONDS = 60;
/** Longest an execution may run: an approval (at most 48 h) plus the failover itself. */
export const EXECUTION_TIMEOUT_SECONDS = 3 * 24 * 3600;

type State = Record<string, unknown>;

/** Retrier of the Lambda integration's transient errors (AWS's suggested one, reference §3). */
export const RETRY_TRANSIENT = {
  ErrorEquals: [...LAMBDA_TRANSIENT_ERRORS],
  IntervalSeconds: 2,
  MaxAttempts: 6,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
};
/** Retrier of a step runner that crashed, timed out or met a throttle mid-step. */
export const RETRY_INTERRUPTED = {
  ErrorEquals: [...STEP_INTERRUPTED_ERRORS],
  IntervalSeconds: 5,
  MaxAttempts: 4,
  BackoffRate: 2,
  MaxDelaySeconds: 60,
};

const TO_ROLL_BACK = { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.rollBack };

/** One row of the step table: a task state of the state machine. */
interface TaskRow {
  readonly state: string;
  readonly task: WorkflowTask;
  readonly next: string;
  readonly comment: string;
  /** Extra payload fields (JSONPath) besides the execution, the input and the run state. */
  readonly payload?: Record<string, string>;
}

/** The failover's task states, in the order a failover runs them. */
export const STEP_TABLE: readonly TaskRow[] = [
  {
    state: STATES.notifyStart,
    task: "notify-start",
    next: STATES.promoteOrRestore,
    comment: "Announce the failover (de-duplicated).",
  },
  {
    state: STATES.fence,
    task: "fence-old-primary",
    next: STATES.fenceHeld,
    comment: "Revoke the old writer's client ingress, end its sessions, tag it fenced.",
  },
  {
    state: STATES.checkCaughtUp,
    task: "check-caught-up",
    next: STATES.caughtUp,
    comment: "Switchover: has the replica replayed everything the fenced writer wrote?",
  },
  {
    state: STATES.promote,
    task: "promote-replica",
    next: STATES.waitForPromotion,
    comment: "Tag the promotion, then PromoteReadReplica (skipped when already begun).",
  },
  {
    state: STATES.checkWritable,
    task: "check-writable",
    next: STATES.writable,
    comment: "Is the replica a writable standalone instance? Fails after the promotion timeout.",
  },
  {
    state: STATES.restoreFromBackup,
    task: "restore-from-backup",
    next: STATES.waitForRestore,
    comment:
      "Regional restore: RestoreDBInstanceToPointInTime from the replicated backups (skipped when begun).",
  },
  {
    state: STATES.checkRestored,
    task: "check-restored",
    next: STATES.restored,
    comment: "Is the restored instance available? Fails after the restore timeout.",
  },
  {
    state: STATES.switchWriter,
    task: "switch-writer",
    next: STATES.enableBackups,
    comment: "Point writer (and, after a restore, reader) at the new primary and wait for INSYNC.",
  },
  {
    state: STATES.enableBackups,
    task: "enable-backups",
    next: STATES.writeReport,
    comment: "Turn automated backups on for the new primary.",
  },
  {
    state: STATES.writeReport,
    task: "write-report",
    next: STATES.notifySuccess,
    comment: "Store the audit report.",
  },
  {
    state: STATES.notifySuccess,
    task: "notify-success",
    next: STATES.succeeded,
    comment: "Announce success.",
  },
];

/** Where `Route` sends an execution for each entry step (a resumed failover starts further on). */
const ENTRY_STATES: Record<string, string> = {
  "request-approval": STATES.requestApproval,
  "notify-start": STATES.notifyStart,
  "fence-old-primary": STATES.fence,
  "wait-replica-caught-up": STATES.checkCaughtUp,
  "promote-replica": STATES.promote,
  "wait-replica-writable": STATES.checkWritable,
  "restore-from-backup": STATES.restoreFromBackup,
  "wait-restored": STATES.checkRestored,
  "switch-writer": STATES.switchWriter,
  "enable-backups": STATES.enableBackups,
  "write-report": STATES.writeReport,
  "notify-success": STATES.notifySuccess,
};

/** The step runner's payload for a task. */
function payload(task: WorkflowTask, extra: Record<string, string> = {}): Record<string, unknown> {
  return {
    step: task,
    execution: { "name.$": "$$.Execution.Name", "id.$": "$$.Execution.Id" },
    ...(task === "begin" ? { "input.$": "$" } : { "input.$": "$.input", "run.$": "$.run" }),
    ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`${k}.$`, v])),
  };
}

function taskState(
  options: DefinitionOptions,
  row: TaskRow,
  catchers: readonly State[] = [TO_ROLL_BACK],
): State {
  return {
    Type: "Task",
    Comment: row.comment,
    Resource: LAMBDA_INVOKE,
    Parameters: { FunctionName: options.stepRunnerArn, Payload: payload(row.task, row.payload) },
    // The step runner returns { input, run }; the integration wraps it in `Payload`. The default
    // ResultPath ("$") makes that the state's output (written out, "$" is misread by the local engine).
    ResultSelector: { "input.$": "$.Payload.input", "run.$": "$.Payload.run" },
    // Longer than the function's own timeout, so Lambda's timeout (Lambda.Unknown) fires first;
    // the local engine's default of 60 s (unlike AWS's 99999999) is never relied on.
    TimeoutSeconds: options.stepRunnerTimeoutSeconds + 30,
    Retry: [RETRY_TRANSIENT, RETRY_INTERRUPTED],
    Catch: catchers,
    Next: row.next,
  };
}

/**
 * `VerifyRestored`: the restore-check function (the same one the restore test runs) logs in to the
 * restored instance as the monitor's role and reads the heartbeat table; only then does `writer`
 * move. A restored instance that does not answer goes to the failure path, with `writer` untouched.
 * Its result is kept beside the run state (`$.verified`).
 */
function verifyRestored(options: DefinitionOptions): State {
  return {
    Type: "Task",
    Comment:
      "Does the restored instance answer as the monitor's role, with the heartbeat table from the backup?",
    Resource: LAMBDA_INVOKE,
    Parameters: {
      FunctionName: options.restoreCheckArn,
      Payload: { "endpoint.$": "$.run.replica.endpoint" },
    },
    ResultSelector: { "rowCount.$": "$.Payload.rowCount", "user.$": "$.Payload.user" },
    ResultPath: "$.verified",
    TimeoutSeconds: (options.restoreCheckTimeoutSeconds ?? RESTORE_CHECK_TIMEOUT_SECONDS) + 30,
    Retry: [
      RETRY_TRANSIENT,
      { ...RETRY_INTERRUPTED, ErrorEquals: ["Lambda.Unknown", "Sandbox.Timedout", "States.Timeout"] },
      // A newly available instance may refuse its first logins; the restore test retries the same way.
      { ErrorEquals: ["RestoreCheckFailed"], IntervalSeconds: 30, MaxAttempts: 2, BackoffRate: 2 },
    ],
    Catch: [TO_ROLL_BACK],
    Next: STATES.switchWriter,
  };
}

/** The failover state machine's definition. */
export function failoverDefinition(options: DefinitionOptions): Record<string, unknown> {
  const promotionPoll = options.promotionPollSeconds ?? PROMOTION_POLL_SECONDS;
  const catchUpPoll = options.catchUpPollSeconds ?? CATCH_UP_POLL_SECONDS;
  const restorePoll = options.restorePollSeconds ?? RESTORE_POLL_SECONDS;
  const states: Record<string, State> = {
    [STATES.begin]: taskState(
      options,
      {
        state: STATES.begin,
        task: "begin",
        next: STATES.route,
        comment: "Refuse a malformed input; start the run state.",
      },
      // Nothing has been done before Begin succeeds, so there is nothing to roll back.
      [
        { ErrorEquals: [STEP_ERRORS.inputRefused], ResultPath: "$.error", Next: STATES.inputRefused },
        { ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.notStarted },
      ],
    ),
    [STATES.route]: {
      Type: "Choice",
      Comment:
        "Start where the decision says: the approval, the first step, or a resumed failover's next step.",
      Choices: Object.entries(ENTRY_STATES).map(([entry, state]) => ({
        Variable: "$.run.next",
        StringEquals: entry,
        Next: state,
      })),
      Default: STATES.nothingToDo,
    },
    [STATES.requestApproval]: {
      Type: "Task",
      Comment:
        "The lag guard blocked the failover: alert with the approve/reject commands and wait for the answer.",
      Resource: LAMBDA_INVOKE_WAIT_FOR_TOKEN,
      Parameters: {
        FunctionName: options.stepRunnerArn,
        Payload: payload("request-approval", { taskToken: "$$.Task.Token" }),
      },
      TimeoutSecondsPath: "$.input.limits.approvalTimeoutSeconds",
      ResultPath: "$.approval",
      // Not States.Timeout: here it means nobody approved in time.
      Retry: [
        RETRY_TRANSIENT,
        { ...RETRY_INTERRUPTED, ErrorEquals: [STEP_ERRORS.retryable, "Lambda.Unknown", "Sandbox.Timedout"] },
      ],
      Catch: [
        {
          ErrorEquals: [STEP_ERRORS.approvalRejected, "States.Timeout"],
          ResultPath: "$.error",
          Next: STATES.approvalClosed,
        },
        TO_ROLL_BACK,
      ],
      Next: STATES.reassess,
    },
    [STATES.reassess]: taskState(options, {
      state: STATES.reassess,
      task: "reassess",
      next: STATES.route,
      comment: "Approved: decide again on the state as it is now, accepting the data loss.",
      payload: { approval: "$.approval" },
    }),
    [STATES.approvalClosed]: taskState(options, {
      state: STATES.approvalClosed,
      task: "approval-closed",
      next: STATES.stayedBlocked,
      comment: "Rejected or expired: say so; nothing was changed.",
      payload: { error: "$.error" },
    }),
    [STATES.stayedBlocked]: { Type: "Succeed", Comment: "The failover stays blocked; nothing was changed." },
    [STATES.promoteOrRestore]: {
      Type: "Choice",
      Comment: "A regional restore has nothing to fence or promote: the writer's region is gone.",
      Choices: [{ Variable: "$.input.action", StringEquals: "restore", Next: STATES.restoreFromBackup }],
      Default: STATES.fence,
    },
    [STATES.fenceHeld]: {
      Type: "Choice",
      Comment: "A switchover whose fence did not hold cannot promise zero data loss.",
      Choices: [{ Variable: "$.run.halt", IsString: true, Next: STATES.fenceRefused }],
      Default: STATES.planned,
    },
    [STATES.fenceRefused]: {
      Type: "Pass",
      Result: { Error: "FenceNotHeld", Cause: "the old primary could not be fenced" },
      ResultPath: "$.error",
      Next: STATES.rollBack,
    },
    [STATES.planned]: {
      Type: "Choice",
      Comment: "Only a switchover waits for the replica to catch up.",
      Choices: [{ Variable: "$.input.decision.planned", BooleanEquals: true, Next: STATES.checkCaughtUp }],
      Default: STATES.promote,
    },
    [STATES.caughtUp]: {
      Type: "Choice",
      Choices: [{ Variable: "$.run.caughtUp", BooleanEquals: true, Next: STATES.promote }],
      Default: STATES.waitForCatchUp,
    },
    [STATES.waitForCatchUp]: { Type: "Wait", Seconds: catchUpPoll, Next: STATES.checkCaughtUp },
    [STATES.waitForPromotion]: {
      Type: "Wait",
      Comment: "RDS promotes in minutes; the wait holds no Lambda and costs nothing.",
      Seconds: promotionPoll,
      Next: STATES.checkWritable,
    },
    [STATES.writable]: {
      Type: "Choice",
      Choices: [{ Variable: "$.run.writable", BooleanEquals: true, Next: STATES.switchWriter }],
      Default: STATES.waitForPromotion,
    },
    [STATES.waitForRestore]: {
      Type: "Wait",
      Comment: "A restore takes tens of minutes to hours; the wait holds no Lambda and costs nothing.",
      Seconds: restorePoll,
      Next: STATES.checkRestored,
    },
    [STATES.restored]: {
      Type: "Choice",
      Choices: [
        {
          Variable: "$.run.writable",
          BooleanEquals: true,
          Next: options.restoreCheckArn === undefined ? STATES.switchWriter : STATES.verifyRestored,
        },
      ],
      Default: STATES.waitForRestore,
    },
    ...(options.restoreCheckArn === undefined ? {} : { [STATES.verifyRestored]: verifyRestored(options) }),
    [STATES.succeeded]: { Type: "Succeed", Comment: "writer points at the new primary; report stored." },
    [STATES.nothingToDo]: { Type: "Succeed", Comment: "The state as it is now needs no failover." },
    [STATES.rollBack]: {
      ...taskState(options, {
        state: STATES.rollBack,
        task: "roll-back",
        next: STATES.failed,
        comment:
          "Undo what is reversible (writer; a switchover's fence), alert failover-failed, store the failed report.",
        payload: { error: "$.error" },
      }),
      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: STATES.rollBackFailed }],
    },
    [STATES.failed]: { Type: "Fail", Error: "FailoverFailed", CausePath: "$.run.halt" },
    [STATES.rollBackFailed]: { Type: "Fail", Error: "RollBackFailed", CausePath: "$.error.Cause" },
    [STATES.inputRefused]: { Type: "Fail", Error: STEP_ERRORS.inputRefused, CausePath: "$.error.Cause" },
    [STATES.notStarted]: { Type: "Fail", Error: "NotStarted", CausePath: "$.error.Cause" },
  };
  for (const row of STEP_TABLE) states[row.state] = taskState(options, row);
  return {
    Comment: "TapStack failover: carries out the failover function's decision, step by step.",
    StartAt: STATES.begin,
    TimeoutSeconds: EXECUTION_TIMEOUT_SECONDS,
    States: states,
  };
}
