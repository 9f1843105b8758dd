/**
 * The failover state machine run locally: the deployed definition executed by
 * `aws-local-stepfunctions`, with each task bound to a step-runner invocation the caller provides
 * (the drill calls the real step-runner handler on its local ports; the simulator invokes it
 * through its Lambda model, which can throttle, crash and time out). It keeps Step Functions'
 * API behaviour the failover function relies on (reference §3): `StartExecution` is idempotent for
 * the same name and input while the execution runs, and answers `ExecutionAlreadyExists` (read
 * back here as `started: false`) once it has closed or when the input differs.
 *
 * Time: Wait states, retry intervals and task timeouts run on the engine's timers (the global
 * `setTimeout`): real time in the drill (optionally shortened per state with `waitOverridesMs`,
 * the engine's own override), virtual time in the simulator, which routes the global timers to
 * its scheduler for the duration of a run.
 */
import { StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import type { Clock, ExecutionStart, ExecutionStatus, ExecutionSummary } from "../lambda/core/ports";
import type { WorkflowInput } from "../lambda/core/workflow";
import { LAMBDA_INVOKE_WAIT_FOR_TOKEN } from "./definition";

// The engine is written for Node.js 22 and uses `Promise.withResolvers` (ES2024) for task
// timeouts; Node.js 20 lacks it. This is the standard definition, installed only where missing.
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function") {
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value: function withResolvers<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/**
 * Invokes the function a task names (`FunctionName`: the step runner, or for the restore test also
 * the restore-check function) with the task's payload and returns its result. A failure is thrown
 * as an error whose `name` is what the Lambda integration reports (the function's `errorType`, or
 * `Lambda.Unknown`, `Lambda.TooManyRequestsException`, …) and whose `message` is the `Cause`.
 */
export type StepInvoker = (payload: Record<string, unknown>, functionName?: string) => Promise<unknown>;

/** One event of an execution's history. */
export interface HistoryEvent {
  readonly type: string;
  readonly atMs: number;
  readonly state?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** A local execution and its history. */
export interface LocalExecution<Input = WorkflowInput> extends ExecutionSummary {
  readonly input: Input;
  readonly inputJson: string;
  readonly output: unknown;
  readonly error: string | null;
  readonly cause: string | null;
  readonly history: readonly HistoryEvent[];
  /** Billed state transitions: every state entered, retries included (Step Functions pricing). */
  readonly transitions: number;
  /** Resolves once the execution has closed. */
  readonly closed: Promise<LocalExecution<Input>>;
}

export interface LocalWorkflowOptions<Input = WorkflowInput> {
  readonly definition: Record<string, unknown>;
  readonly stateMachineArn: string;
  readonly invokeStep: StepInvoker;
  readonly clock: Clock;
  /** Per Wait state, milliseconds to wait instead of its `Seconds` (the drill's short polls). */
  readonly waitOverridesMs?: Readonly<Record<string, number>>;
  /** Per state, milliseconds before each retry instead of the retrier's interval. */
  readonly retryOverridesMs?: Readonly<Record<string, number>>;
  /** Called with each execution when it closes. */
  readonly onClosed?: (execution: LocalExecution<Input>) => void;
}

/** An error as the Lambda integration reports a function error (`Cause` is the error record as JSON). */
export function functionError(errorType: string, errorMessage: string): Error {
  const error = new Error(JSON.stringify({ errorType, errorMessage }));
  error.name = errorType;
  return error;
}

interface MutableExecution<Input> {
  name: string;
  arn: string;
  status: ExecutionStatus;
  startedAtMs: number;
  stoppedAtMs: number | null;
  input: Input;
  inputJson: string;
  output: unknown;
  error: string | null;
  cause: string | null;
  history: HistoryEvent[];
  transitions: number;
  closed: Promise<LocalExecution<Input>>;
}

/** A pending `waitForTaskToken` task. */
interface PendingToken {
  readonly execution: string;
  readonly state: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
}

/**
 * Definitions the engine has validated in this process. The engine validates with asl-validator,
 * which compiles its JSON schemas on every call (a third of a simulator timeline's CPU): a
 * definition is validated once, when its first machine is built, and refused there if invalid.
 */
const VALIDATED = new Set<string>();

/**
 * A state machine run locally: the failover's (`Input` = `WorkflowInput`, the default; it is then a
 * `FailoverWorkflow`) or the restore test's.
 */
export class LocalWorkflow<Input = WorkflowInput> {
  private readonly machine: StateMachine;
  private readonly executions = new Map<string, MutableExecution<Input>>();
  private readonly tokens = new Map<string, PendingToken>();
  private readonly taskStates: string[];
  private readonly tokenStates: Set<string>;

  constructor(private readonly options: LocalWorkflowOptions<Input>) {
    const definition = forLocalEngine(options.definition) as unknown as StateMachineDefinition;
    const key = JSON.stringify(definition);
    this.machine = new StateMachine(definition, {
      validationOptions: VALIDATED.has(key) ? { noValidate: true } : { checkArn: false },
    });
    VALIDATED.add(key);
    const states = (options.definition.States ?? {}) as Record<string, { Type?: string; Resource?: string }>;
    this.taskStates = Object.entries(states)
      .filter(([, s]) => s.Type === "Task")
      .map(([name]) => name);
    this.tokenStates = new Set(
      Object.entries(states)
        .filter(([, s]) => s.Resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN)
        .map(([name]) => name),
    );
  }

  private arnOf(name: string): string {
    return this.options.stateMachineArn.replace(":stateMachine:", ":execution:") + `:${name}`;
  }

  /** Every execution started so far, oldest first. */
  all(): readonly LocalExecution<Input>[] {
    return [...this.executions.values()];
  }

  get(name: string): LocalExecution<Input> | undefined {
    return this.executions.get(name);
  }

  async running(): Promise<readonly ExecutionSummary[]> {
    return this.all()
      .filter((e) => e.status === "RUNNING")
      .reverse()
      .map(summary);
  }

  async start(name: string, input: Input): Promise<ExecutionStart> {
    const inputJson = JSON.stringify(input);
    const existing = this.executions.get(name);
    if (existing !== undefined) {
      // Idempotent only while running and with the same input; otherwise ExecutionAlreadyExists.
      const started = existing.status === "RUNNING" && existing.inputJson === inputJson;
      return { ...summary(existing), started };
    }
    const execution = this.launch(name, input, inputJson);
    return { ...summary(execution), started: true };
  }

  /** Tokens of `waitForTaskToken` tasks waiting for an answer, with their execution's name. */
  pendingTokens(): readonly { token: string; execution: string }[] {
    return [...this.tokens.entries()].map(([token, p]) => ({ token, execution: p.execution }));
  }

  /** `SendTaskSuccess`: the waiting task completes with `output`. */
  sendTaskSuccess(token: string, output: unknown): void {
    const pending = this.takeToken(token);
    pending.resolve(output);
  }

  /** `SendTaskFailure`: the waiting task fails with `error` (e.g. `ApprovalRejected`). */
  sendTaskFailure(token: string, error: string, cause: string): void {
    const pending = this.takeToken(token);
    const failure = new Error(cause);
    failure.name = error;
    pending.reject(failure);
  }

  private takeToken(token: string): PendingToken {
    const pending = this.tokens.get(token);
    if (pending === undefined) {
      // Step Functions answers TaskDoesNotExist / InvalidToken for a token that is not waiting.
      throw new Error(`TaskDoesNotExist: no task waits for the token ${token.slice(0, 16)}…`);
    }
    this.tokens.delete(token);
    return pending;
  }

  /** Forget the tokens of `execution` (of its task `state` only, when given). */
  private dropTokens(execution: string, state?: string): void {
    for (const [token, pending] of this.tokens) {
      if (pending.execution === execution && (state === undefined || pending.state === state)) {
        this.tokens.delete(token);
      }
    }
  }

  private launch(name: string, input: Input, inputJson: string): MutableExecution<Input> {
    const { clock } = this.options;
    const arn = this.arnOf(name);
    let tokenSeq = 0;
    const handlers: Record<string, (params: unknown) => Promise<unknown>> = {};
    for (const state of this.taskStates) {
      handlers[state] = async (params) => {
        const { Payload, FunctionName } = params as {
          Payload?: Record<string, unknown>;
          FunctionName?: string;
        };
        const payload = Payload ?? {};
        const functionName = FunctionName ?? "";
        if (!this.tokenStates.has(state)) {
          const result = await this.options.invokeStep(payload, functionName);
          // The optimized Lambda integration's result (reference §3).
          return { ExecutedVersion: "$LATEST", Payload: result, StatusCode: 200 };
        }
        // waitForTaskToken: each attempt gets its own token; the invocation only hands it out.
        const token = `${name}:${state}:${++tokenSeq}`;
        const answer = new Promise<unknown>((resolve, reject) => {
          this.tokens.set(token, { execution: name, state, resolve, reject });
        });
        try {
          await this.options.invokeStep({ ...payload, taskToken: token }, functionName);
        } catch (error) {
          this.tokens.delete(token);
          throw error;
        }
        try {
          return await answer;
        } finally {
          this.tokens.delete(token);
        }
      };
    }
    const execution: MutableExecution<Input> = {
      name,
      arn,
      status: "RUNNING",
      startedAtMs: clock.nowMs(),
      stoppedAtMs: null,
      input,
      inputJson,
      output: null,
      error: null,
      cause: null,
      history: [],
      transitions: 0,
      closed: Promise.resolve(null as unknown as LocalExecution<Input>),
    };
    this.executions.set(name, execution);
    const run = this.machine.run(JSON.parse(inputJson), {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(this.options.waitOverridesMs ? { waitTimeOverrides: { ...this.options.waitOverridesMs } } : {}),
        ...(this.options.retryOverridesMs
          ? { retryIntervalOverrides: { ...this.options.retryOverridesMs } }
          : {}),
      },
      context: {
        Execution: { Id: arn, Name: name },
        StateMachine: { Id: this.options.stateMachineArn },
        // Only the waitForTaskToken task reads it; the handler above issues the real token.
        Task: { Token: "issued-by-the-local-task-handler" },
      },
    });
    const recording = (async () => {
      for await (const event of run.eventLogs) {
        const e = event as { type: string; state?: { name: string }; Error?: string; Cause?: unknown };
        if (e.type === "StateEntered" || e.type === "StateRetried") execution.transitions += 1;
        // A waitForTaskToken task that failed, timed out or was retried no longer waits: Step
        // Functions answers a late SendTask* with TaskTimedOut / TaskDoesNotExist.
        if (e.state !== undefined && e.type !== "StateEntered" && this.tokenStates.has(e.state.name)) {
          this.dropTokens(name, e.state.name);
        }
        execution.history.push({
          type: e.type,
          atMs: clock.nowMs(),
          ...(e.state ? { state: e.state.name } : {}),
          ...(e.Error !== undefined ? { error: e.Error } : {}),
          ...(e.Cause !== undefined
            ? { cause: typeof e.Cause === "string" ? e.Cause : JSON.stringify(e.Cause) }
            : {}),
        });
      }
    })();
    execution.closed = run.result
      .then(
        (output) => {
          execution.status = "SUCCEEDED";
          execution.output = output;
        },
        (error: unknown) => {
          execution.status = (error as Error)?.name === "ExecutionTimeoutError" ? "TIMED_OUT" : "FAILED";
        },
      )
      .then(() => recording)
      .then(() => {
        execution.stoppedAtMs = clock.nowMs();
        this.dropTokens(name);
        const failed = [...execution.history].reverse().find((h) => h.type === "ExecutionFailed");
        if (failed !== undefined) {
          execution.error = failed.error ?? null;
          execution.cause = failed.cause ?? null;
        }
        this.options.onClosed?.(execution);
        return execution;
      });
    return execution;
  }
}

/**
 * The definition as the local engine must read it. Step Functions resolves a task's
 * `TimeoutSecondsPath` against the state's input; the engine resolves it against the task's
 * processed `Parameters` (and fails the state with `States.Runtime` when the path is not there). A
 * path into the input that `Parameters` passes on (`"input.$": "$.input"` under `Payload`) is
 * rewritten to the same value inside the processed `Parameters` (`$.Payload.input…`).
 */
export function forLocalEngine(definition: Record<string, unknown>): Record<string, unknown> {
  const states = (definition.States ?? {}) as Record<string, Record<string, unknown>>;
  const rewritten: Record<string, Record<string, unknown>> = {};
  for (const [name, state] of Object.entries(states)) {
    const path = state.TimeoutSecondsPath;
    if (state.Type !== "Task" || typeof path !== "string") {
      rewritten[name] = state;
      continue;
    }
    const local = pathInParameters(path, state.Parameters, "$");
    if (local === null) {
      throw new Error(
        `${name}: TimeoutSecondsPath ${path} is not in the task's Payload, so the local engine cannot resolve it`,
      );
    }
    rewritten[name] = { ...state, TimeoutSecondsPath: local };
  }
  return { ...definition, States: rewritten };
}

/** Where `path` (into the state input) ends up in the processed `parameters`, or null. */
function pathInParameters(path: string, parameters: unknown, at: string): string | null {
  if (typeof parameters !== "object" || parameters === null) return null;
  for (const [key, value] of Object.entries(parameters as Record<string, unknown>)) {
    if (key.endsWith(".$") && typeof value === "string" && (path === value || path.startsWith(`${value}.`))) {
      return `${at}.${key.slice(0, -2)}${path.slice(value.length)}`;
    }
    const inner = pathInParameters(path, value, `${at}.${key}`);
    if (inner !== null) return inner;
  }
  return null;
}

function summary(e: ExecutionSummary): ExecutionSummary {
  return {
    name: e.name,
    arn: e.arn,
    status: e.status,
    startedAtMs: e.startedAtMs,
    stoppedAtMs: e.stoppedAtMs,
  };
}
