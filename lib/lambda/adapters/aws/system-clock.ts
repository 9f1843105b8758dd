import type { Clock } from "../../core/ports";

/** The real clock: `Date.now()` and `setTimeout`. Tests inject a fake `Clock` instead. */
export class SystemClock implements Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number {
    return Date.now();
  }

  /** Resolve after `ms` milliseconds; zero or negative resolves on the next macrotask. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }
}

/** Shared instance for module-scope wiring in the handlers. */
export const systemClock: Clock = new SystemClock();
