/**
 * Lambda as the deployed functions meet it (reference §2):
 * - asynchronous invocations queue; a function error (timeouts and crashes included) is retried
 *   after 1 minute, then 2 minutes, up to `MaximumRetryAttempts`; an event older than
 *   `MaximumEventAgeInSeconds` is discarded;
 * - reserved concurrency: an event that finds the function at its limit is throttled and goes back
 *   on the queue with a backoff from 1 s to 5 min (until it is too old);
 * - the timeout kills the invocation: nothing it was waiting for resumes;
 * - on success, the result goes to the on-success destination in Lambda's destination envelope;
 * - a synchronous invoke (the operator's `aws lambda invoke`, a Step Functions task) is throttled
 *   with 429 at the limit, and fails with what ended the invocation: a function error, a timeout or
 *   a crash ({@link InvocationFailedError}).
 */
import { functionError } from "../workflow/local";
import type { InvocationContext, Scheduler } from "./scheduler";

/** What the simulated Lambda service knows of one function. */
export interface SimFunction {
  readonly key: "monitor" | "failover" | "step-runner" | "restore-check";
  readonly name: string;
  readonly arn: string;
  readonly timeoutMs: number;
  readonly reservedConcurrency: number | null;
  readonly maxRetryAttempts: number;
  readonly maxEventAgeMs: number;
  /** Runs one invocation; `invocation` is what the scheduler freezes when Lambda kills it. */
  readonly handler: (
    event: unknown,
    context: LambdaContextLike,
    invocation: InvocationContext,
  ) => Promise<unknown>;
  /** On-success destination: receives the destination envelope. */
  readonly onSuccess?: (envelope: Record<string, unknown>) => void;
}

/** The part of the Lambda context the handlers read. */
export interface LambdaContextLike {
  readonly awsRequestId: string;
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  getRemainingTimeInMillis(): number;
}

/** What happened to one invocation attempt, for the outcome. */
export interface InvocationRecord {
  readonly functionKey: string;
  readonly requestId: string;
  readonly startedAtMs: number;
  finishedAtMs: number | null;
  result: "success" | "error" | "timeout" | "crash" | "running";
  /** `name: message` of what ended it. */
  error?: string;
  /** For a function error: the thrown error's name (Lambda's `errorType`) and message. */
  errorType?: string;
  errorMessage?: string;
  response?: unknown;
  readonly payload: unknown;
}

interface QueuedEvent {
  readonly id: string;
  readonly payload: unknown;
  readonly queuedAtMs: number;
  attempts: number;
}

/** A synchronous invocation that ran and did not succeed: a function error, a timeout or a crash. */
export class InvocationFailedError extends Error {
  override readonly name = "InvocationFailedError";
  constructor(readonly record: InvocationRecord) {
    super(record.error ?? record.result);
  }
}

/**
 * The error Step Functions' Lambda integration reports for a failed synchronous invoke of
 * `functionName` (reference §3): the function's own error by its `errorType` (its record as the
 * `Cause`), a timeout or a crash `Lambda.Unknown`, a throttle `Lambda.TooManyRequestsException`.
 */
export function lambdaIntegrationError(error: unknown, functionName: string): Error {
  if (error instanceof InvocationFailedError) {
    const record = error.record;
    if (record.result === "error") {
      return functionError(record.errorType ?? "Error", record.errorMessage ?? record.error ?? "");
    }
    const unknown = new Error(
      "The cause could not be determined because Lambda did not return an error type. " +
        `Returned payload: ${JSON.stringify({ errorMessage: `${record.requestId} ${record.error ?? record.result}` })}`,
    );
    unknown.name = "Lambda.Unknown";
    return unknown;
  }
  if ((error as Error | undefined)?.name === "TooManyRequestsException") {
    const throttle = new Error(
      `Rate Exceeded. (Service: Lambda, Status Code: 429, Function: ${functionName})`,
    );
    throttle.name = "Lambda.TooManyRequestsException";
    return throttle;
  }
  return error instanceof Error ? error : new Error(String(error));
}

const THROTTLE_BACKOFF_MS = { first: 1_000, max: 300_000 };
const RETRY_DELAYS_MS = [60_000, 120_000];
/** Time from an async Invoke to the event reaching a free function. */
const QUEUE_DELAY_MS = 200;

export class SimLambda {
  private readonly running = new Map<string, number>();
  readonly invocations: InvocationRecord[] = [];
  readonly dropped: { functionKey: string; atMs: number; why: string }[] = [];
  private seq = 0;
  /** Decides, per async event, whether it is lost, delivered once or delivered twice. */
  deliveryFilter: (fn: SimFunction, payload: unknown) => "deliver" | "lose" | "duplicate" = () => "deliver";
  /** Called as each invocation starts; may schedule a crash of it. */
  onStart: (fn: SimFunction, context: InvocationContext) => void = () => undefined;

  constructor(private readonly scheduler: Scheduler) {}

  /** `Invoke` with `InvocationType: Event` (schedules, destinations, EventBridge targets). */
  invokeAsync(fn: SimFunction, payload: unknown): void {
    const verdict = this.deliveryFilter(fn, payload);
    if (verdict === "lose") {
      this.dropped.push({ functionKey: fn.key, atMs: this.scheduler.nowMs(), why: "lost event" });
      return;
    }
    const copies = verdict === "duplicate" ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const event: QueuedEvent = {
        id: `evt-${++this.seq}`,
        payload,
        queuedAtMs: this.scheduler.nowMs(),
        attempts: 0,
      };
      this.scheduler.after(QUEUE_DELAY_MS + i * 1_500, () => this.deliver(fn, event, 0));
    }
  }

  /** `Invoke` with `RequestResponse`: resolves with the result, rejects on throttling or a function error. */
  invokeSync(fn: SimFunction, payload: unknown): Promise<unknown> {
    if (this.atLimit(fn)) {
      return Promise.reject(Object.assign(new Error("Rate Exceeded."), { name: "TooManyRequestsException" }));
    }
    return new Promise((resolve, reject) =>
      this.run(fn, payload, (record) =>
        record.result === "success" ? resolve(record.response) : reject(new InvocationFailedError(record)),
      ),
    );
  }

  private atLimit(fn: SimFunction): boolean {
    return fn.reservedConcurrency !== null && (this.running.get(fn.key) ?? 0) >= fn.reservedConcurrency;
  }

  private deliver(fn: SimFunction, event: QueuedEvent, throttles: number): void {
    const ageMs = this.scheduler.nowMs() - event.queuedAtMs;
    if (ageMs > fn.maxEventAgeMs) {
      this.dropped.push({
        functionKey: fn.key,
        atMs: this.scheduler.nowMs(),
        why: `event older than ${fn.maxEventAgeMs / 1000} s`,
      });
      return;
    }
    if (this.atLimit(fn)) {
      const backoff = Math.min(THROTTLE_BACKOFF_MS.max, THROTTLE_BACKOFF_MS.first * 2 ** throttles);
      this.scheduler.after(backoff, () => this.deliver(fn, event, throttles + 1));
      return;
    }
    event.attempts++;
    this.run(fn, event.payload, (record) => {
      if (record.result === "success") {
        fn.onSuccess?.(this.envelope(fn, event, record));
        return;
      }
      const retry = event.attempts - 1;
      if (retry < fn.maxRetryAttempts) {
        this.scheduler.after(RETRY_DELAYS_MS[retry] ?? RETRY_DELAYS_MS[RETRY_DELAYS_MS.length - 1], () =>
          this.deliver(fn, event, 0),
        );
      } else {
        this.dropped.push({ functionKey: fn.key, atMs: this.scheduler.nowMs(), why: "retries exhausted" });
      }
    });
  }

  private run(fn: SimFunction, payload: unknown, done: (record: InvocationRecord) => void): void {
    this.running.set(fn.key, (this.running.get(fn.key) ?? 0) + 1);
    const startedAtMs = this.scheduler.nowMs();
    const requestId = `${fn.key}-${++this.seq}`;
    const record: InvocationRecord = {
      functionKey: fn.key,
      requestId,
      startedAtMs,
      finishedAtMs: null,
      result: "running",
      payload,
    };
    this.invocations.push(record);
    let finished = false;
    const finish = (
      result: InvocationRecord["result"],
      detail?: { error?: string; errorType?: string; errorMessage?: string; response?: unknown },
    ): void => {
      if (finished) return;
      finished = true;
      this.running.set(fn.key, (this.running.get(fn.key) ?? 1) - 1);
      record.finishedAtMs = this.scheduler.nowMs();
      record.result = result;
      if (detail?.error !== undefined) record.error = detail.error;
      if (detail?.errorType !== undefined) record.errorType = detail.errorType;
      if (detail?.errorMessage !== undefined) record.errorMessage = detail.errorMessage;
      if (detail?.response !== undefined) record.response = detail.response;
      done(record);
    };
    const context: InvocationContext = {
      id: requestId,
      functionKey: fn.key,
      killed: false,
      onKill: (reason) => finish("crash", { error: reason }),
    };
    const deadlineMs = startedAtMs + fn.timeoutMs;
    this.scheduler.at(deadlineMs, () => {
      if (finished) return;
      context.killed = true;
      finish("timeout", { error: `Task timed out after ${fn.timeoutMs / 1000} seconds` });
    });
    this.onStart(fn, context);
    const lambdaContext: LambdaContextLike = {
      awsRequestId: requestId,
      functionName: fn.name,
      invokedFunctionArn: fn.arn,
      getRemainingTimeInMillis: () => Math.max(0, deadlineMs - this.scheduler.nowMs()),
    };
    void Promise.resolve()
      .then(() => fn.handler(payload, lambdaContext, context))
      .then(
        (response) => {
          if (!context.killed) finish("success", { response });
        },
        (error: unknown) => {
          if (!context.killed)
            finish("error", {
              error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
              errorType: error instanceof Error ? error.name : "Error",
              errorMessage: error instanceof Error ? error.message : String(error),
            });
        },
      );
  }

  /** The on-success destination record (reference §2). */
  private envelope(fn: SimFunction, event: QueuedEvent, record: InvocationRecord): Record<string, unknown> {
    return {
      version: "1.0",
      timestamp: new Date(this.scheduler.nowMs()).toISOString(),
      requestContext: {
        requestId: record.requestId,
        functionArn: `${fn.arn}:$LATEST`,
        condition: "Success",
        approximateInvokeCount: event.attempts,
      },
      requestPayload: event.payload,
      responseContext: { statusCode: 200, executedVersion: "$LATEST" },
      responsePayload: record.response,
    };
  }
}
