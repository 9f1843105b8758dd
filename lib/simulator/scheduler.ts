/**
 * The simulator's virtual time: a discrete-event scheduler that is also the `Clock` port every
 * deployed component receives. Virtual time only advances when every runnable piece of code has
 * settled (all promise callbacks run), so a run is deterministic for a given seed and takes
 * milliseconds of real time per virtual minute.
 *
 * Each Lambda invocation sees time through a clock bound to it ({@link Scheduler.clockFor}). When
 * Lambda kills an invocation (its timeout, or an injected crash), that clock stops resuming its
 * sleeps and its SDK calls: the code stays frozen forever, exactly like a killed sandbox whose
 * pending work never comes back. (Explicit binding rather than AsyncLocalStorage: promise hooks
 * cost a fifth of the simulator's time.)
 */
import type { Clock } from "../lambda/core/ports";

/** The running invocation, as far as the scheduler needs to know it. */
export interface InvocationContext {
  readonly id: string;
  readonly functionKey: string;
  killed: boolean;
  /** Called once when the invocation is killed (Lambda records the failed attempt). */
  readonly onKill?: (reason: string) => void;
}

interface Timer {
  readonly atMs: number;
  readonly seq: number;
  readonly run: () => void;
}

/** A binary min-heap of timers ordered by (atMs, seq): same-time events run in scheduling order. */
class TimerHeap {
  private readonly items: Timer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Timer | undefined {
    return this.items[0];
  }

  push(timer: Timer): void {
    const a = this.items;
    a.push(timer);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): Timer | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** Lets every pending promise callback run: the event loop reaches the check phase only after them. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const NEVER = new Promise<never>(() => undefined);

/** Virtual time and the `Clock` every simulated component and deployed handler receives. */
export class Scheduler implements Clock {
  private now: number;
  private seq = 0;
  private readonly timers = new TimerHeap();
  /** Set when something scheduled threw: the run stops and reports it. */
  private failure: unknown = undefined;

  constructor(startMs: number) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return this.sleepFor(undefined, ms);
  }

  /** Resolves after `ms` unless `invocation` is (or gets) killed: then never. */
  sleepFor(invocation: InvocationContext | undefined, ms: number): Promise<void> {
    if (invocation?.killed) return NEVER;
    return new Promise((resolve) => {
      this.at(this.now + Math.max(0, ms), () => {
        if (invocation?.killed) return;
        resolve();
      });
    });
  }

  /** The clock of code that belongs to the invocation `current()` returns when it asks. */
  clockFor(current: () => InvocationContext | undefined): Clock {
    return { nowMs: () => this.now, sleep: (ms) => this.sleepFor(current(), ms) };
  }

  /** Runs `run` at virtual time `atMs` (now if in the past). */
  at(atMs: number, run: () => void): void {
    // Whole milliseconds, like Date.now(): code that stamps times (EMF `_aws.Timestamp`) needs integers.
    this.timers.push({ atMs: Math.max(Math.ceil(atMs), this.now), seq: this.seq++, run });
  }

  /** Runs `run` after `ms`. */
  after(ms: number, run: () => void): void {
    this.at(this.now + ms, run);
  }

  /** Runs `run` every `periodMs`, first at `firstAtMs`, until `untilMs`. */
  every(firstAtMs: number, periodMs: number, untilMs: number, run: (atMs: number) => void): void {
    const tick = (atMs: number): void => {
      if (atMs > untilMs) return;
      this.at(atMs, () => {
        run(atMs);
        tick(atMs + periodMs);
      });
    };
    tick(firstAtMs);
  }

  /** Kills `invocation` (an injected crash): nothing it awaits resumes. */
  kill(
    invocation: InvocationContext | undefined,
    reason = "Runtime exited with error: signal: killed",
  ): void {
    if (invocation === undefined || invocation.killed) return;
    invocation.killed = true;
    invocation.onKill?.(reason);
  }

  /**
   * Stalls `invocation` (a call that never returns): nothing it awaits resumes, and unlike a crash
   * Lambda learns nothing until the invocation's own timeout ends it.
   */
  stall(invocation: InvocationContext | undefined): void {
    if (invocation === undefined) return;
    invocation.killed = true;
  }

  /** `value`, or a promise that never settles when `invocation` was killed meanwhile. */
  unlessKilled<T>(invocation: InvocationContext | undefined, value: Promise<T>): Promise<T> {
    return value.then(
      (v) => (invocation?.killed ? NEVER : v),
      (e: unknown) => (invocation?.killed ? NEVER : Promise.reject(e)),
    );
  }

  /** Records a failure of simulated code (a bug in the model, not a simulated fault). */
  fail(error: unknown): void {
    this.failure ??= error;
  }

  /** Advances virtual time event by event until `untilMs` or until nothing is left to do. */
  async runUntil(untilMs: number, onTick?: (nowMs: number) => void): Promise<void> {
    for (;;) {
      await settle();
      if (this.failure !== undefined) throw this.failure;
      const next = this.timers.peek();
      if (next === undefined || next.atMs > untilMs) break;
      this.timers.pop();
      this.now = next.atMs;
      onTick?.(this.now);
      try {
        next.run();
      } catch (error) {
        this.fail(error);
      }
    }
    this.now = Math.max(this.now, untilMs);
    onTick?.(this.now);
    await settle();
    if (this.failure !== undefined) throw this.failure;
  }
}
