/**
 * Routes the global `setTimeout` / `clearTimeout` to the simulator's scheduler for the duration of
 * a run, so that code which only knows real timers — the `aws-local-stepfunctions` engine's Wait
 * states, retry intervals and task timeouts — runs on virtual time, deterministically. Only for a
 * whole-process virtual world (the simulator): test runners keep their own timer references.
 */
import type { Scheduler } from "./scheduler";

interface VirtualTimeout {
  cancelled: boolean;
  ref(): VirtualTimeout;
  unref(): VirtualTimeout;
  hasRef(): boolean;
  refresh(): VirtualTimeout;
}

/** Installs the virtual timers; returns the function that puts the real ones back. */
export function installVirtualTimers(scheduler: Scheduler): () => void {
  const realSetTimeout = globalThis.setTimeout;
  const realClearTimeout = globalThis.clearTimeout;
  const virtualSetTimeout = (
    fn: (...args: unknown[]) => void,
    ms?: number,
    ...args: unknown[]
  ): VirtualTimeout => {
    const handle: VirtualTimeout = {
      cancelled: false,
      ref: () => handle,
      unref: () => handle,
      hasRef: () => false,
      refresh: () => handle,
    };
    scheduler.after(Math.max(0, ms ?? 0), () => {
      if (!handle.cancelled) fn(...args);
    });
    return handle;
  };
  const virtualClearTimeout = (handle: unknown): void => {
    if (typeof handle === "object" && handle !== null && "cancelled" in handle) {
      (handle as VirtualTimeout).cancelled = true;
      return;
    }
    realClearTimeout(handle as Parameters<typeof clearTimeout>[0]);
  };
  globalThis.setTimeout = virtualSetTimeout as unknown as typeof setTimeout;
  globalThis.clearTimeout = virtualClearTimeout as typeof clearTimeout;
  return () => {
    globalThis.setTimeout = realSetTimeout;
    globalThis.clearTimeout = realClearTimeout;
  };
}

/** Advances `scheduler` until `promise` settles (or nothing is left to run), then returns its result. */
export async function runVirtually<T>(
  scheduler: Scheduler,
  promise: Promise<T>,
  horizonMs = 7 * 24 * 3600_000,
): Promise<T> {
  let settled = false;
  const tracked = promise.finally(() => {
    settled = true;
  });
  const end = scheduler.nowMs() + horizonMs;
  while (!settled && scheduler.nowMs() < end) {
    await scheduler.runUntil(Math.min(end, scheduler.nowMs() + 60_000));
  }
  return tracked;
}
