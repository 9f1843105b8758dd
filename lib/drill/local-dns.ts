import { DnsChangeError } from "../lambda/core/errors";
import type { Dns } from "../lambda/core/ports";
import type { DnsView } from "../lambda/core/types";

/** Which record changed. */
export type RecordName = "writer" | "reader";

/** One applied change of a record, kept for the drill's timeline. */
export interface DnsChange {
  readonly atMs: number;
  readonly record: RecordName;
  readonly from: string | null;
  readonly to: string;
}

/**
 * The drill's `writer` / `reader` names: an in-process record that plays the part of the
 * Route 53 private zone. A change is visible to the next resolve at once, i.e. the drill
 * behaves like Route 53 with a TTL of 0; production clients also wait out the record's TTL
 * (30 s), which the report adds when it translates the drill's figures.
 */
export class LocalDns implements Dns {
  private writer: string | null;
  private reader: string | null;
  private readonly history: DnsChange[] = [];
  private readonly listeners: ((change: DnsChange) => void)[] = [];

  /**
   * @param initial the records at the start of the drill (`writer` → primary, `reader` → replica).
   * @param nowMs clock used to stamp changes.
   */
  constructor(
    initial: { readonly writer: string | null; readonly reader: string | null },
    private readonly nowMs: () => number = Date.now,
  ) {
    this.writer = initial.writer;
    this.reader = initial.reader;
  }

  /** What the workload's connection logic calls on every (re)connect, as a client resolves the name. */
  resolveWriter(): string | null {
    return this.writer;
  }

  async read(): Promise<DnsView> {
    return { writerTarget: this.writer, readerTarget: this.reader };
  }

  async setWriter(target: string, timeoutMs: number): Promise<void> {
    this.apply("writer", target, timeoutMs);
  }

  async setReader(target: string, timeoutMs: number): Promise<void> {
    this.apply("reader", target, timeoutMs);
  }

  /** Every applied change, oldest first. */
  changes(): readonly DnsChange[] {
    return [...this.history];
  }

  /** Calls `listener` after each applied change (the runner puts it on the timeline). */
  onChange(listener: (change: DnsChange) => void): void {
    this.listeners.push(listener);
  }

  private apply(record: RecordName, target: string, timeoutMs: number): void {
    // Same contract as the Route 53 adapter: an empty target or a non-positive deadline is a
    // caller bug that must not silently blank the record clients resolve.
    if (target.trim() === "") {
      throw new DnsChangeError(
        `cannot point ${record} at an empty target; pass the new endpoint (host:port)`,
      );
    }
    if (!(timeoutMs > 0)) {
      throw new DnsChangeError(`timeoutMs for the ${record} change must be > 0, got ${timeoutMs}`);
    }
    const from = record === "writer" ? this.writer : this.reader;
    if (from === target) return; // UPSERT of the same value: nothing changes, nothing to record.
    if (record === "writer") this.writer = target;
    else this.reader = target;
    const change: DnsChange = { atMs: this.nowMs(), record, from, to: target };
    this.history.push(change);
    for (const listener of this.listeners) listener(change);
  }
}
