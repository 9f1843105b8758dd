import type { Clock } from "../../core/ports";
import { WaitTimeoutError } from "../../core/errors";

/** Result of one look at the awaited state. */
export type PollCheck<T> =
  { readonly done: true; readonly value: T } | { readonly done: false; readonly state: string };

/** How to poll. */
export interface PollOptions {
  /** What is awaited, for the timeout message ("replica db-1 to become writable"). */
  readonly what: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly clock: Clock;
}

/**
 * Call `check` until it reports done, sleeping `intervalMs` between calls, and give up with a
 * `WaitTimeoutError` once `timeoutMs` has passed on `clock`. The first check happens at once; the last
 * sleep is shortened so the deadline is never overshot by more than one check. Errors thrown by
 * `check` propagate unchanged: `check` decides what is worth retrying.
 */
export async function pollUntil<T>(check: () => Promise<PollCheck<T>>, options: PollOptions): Promise<T> {
  const deadlineMs = options.clock.nowMs() + options.timeoutMs;
  let checks = 0;
  for (;;) {
    const result = await check();
    checks += 1;
    if (result.done) return result.value;
    const remainingMs = deadlineMs - options.clock.nowMs();
    if (remainingMs <= 0) {
      throw new WaitTimeoutError(
        `Timed out after ${options.timeoutMs} ms waiting for ${options.what} (${checks} checks); last state: ${result.state}`,
      );
    }
    await options.clock.sleep(Math.min(options.intervalMs, remainingMs));
  }
}
