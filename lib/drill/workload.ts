import { type Client, DatabaseError } from "pg";

import type { Clock } from "../lambda/core/ports";
import { parseEndpoint } from "./endpoint";
import { connectBounded, destroyClient, type PgLogin, withSession } from "./pg-session";

/** The table the workload commits into; one row per attempted commit, keyed by its sequence number. */
export const WORKLOAD_TABLE = "drill_commits";

/** A commit the server acknowledged (COMMIT returned). These are the rows that must survive a failover. */
export interface AckedCommit {
  readonly seq: number;
  /** When the attempt started (the INSERT was sent, or the connection was being opened). */
  readonly startedAtMs: number;
  /** When the acknowledgement arrived. */
  readonly ackedAtMs: number;
  /** The endpoint `writer` resolved to for this attempt. */
  readonly endpoint: string;
}

/** An attempt that did not get an acknowledgement. */
export interface FailedWrite {
  readonly seq: number;
  readonly startedAtMs: number;
  readonly failedAtMs: number;
  readonly endpoint: string | null;
  readonly error: string;
  /**
   * True when the INSERT had already been sent: the row may or may not be committed.
   * Such rows are never counted as lost (nobody was told they were committed).
   */
  readonly inDoubt: boolean;
}

/** Login details without host and port: those come from resolving `writer`. */
export type WorkloadLogin = Omit<PgLogin, "host" | "port">;

/** Settings of the write workload. */
export interface WorkloadOptions {
  /** Resolves `writer` to `host:port`; called on every (re)connect, as clients resolve Route 53. */
  readonly resolveWriter: () => string | null;
  readonly login: WorkloadLogin;
  /** Target commit rate. Each commit is one INSERT in its own transaction. */
  readonly commitsPerSecond: number;
  /** Bound on connect and on each INSERT; a frozen server otherwise blocks the client forever. */
  readonly statementTimeoutMs: number;
  /** Pause before reconnecting after a failure, so a dead writer is not hammered. */
  readonly reconnectDelayMs: number;
  readonly clock: Clock;
}

/**
 * Creates the workload table on the primary (idempotent). Run before the workload starts,
 * so streaming replication carries it to the replica.
 */
export async function createWorkloadTable(login: PgLogin, timeoutMs: number): Promise<void> {
  await withSession(login, timeoutMs, async (client) => {
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${WORKLOAD_TABLE} (
         seq bigint PRIMARY KEY,
         client_started_at_ms bigint NOT NULL,
         committed_at timestamptz NOT NULL DEFAULT clock_timestamp()
       )`,
    );
  });
}

/** Result of checking acknowledged commits row by row on a server. */
export interface CommitCheck {
  /** Acknowledged commits whose row is missing: lost. */
  readonly lost: readonly AckedCommit[];
  /** How many acknowledged commits were checked. */
  readonly checked: number;
}

/**
 * Checks, row by row, which acknowledged commits are missing on the server behind `login`.
 * This is the drill's measure of lost commits: not an estimate from lag, the rows themselves.
 */
export async function findLostCommits(
  login: PgLogin,
  acked: readonly AckedCommit[],
  timeoutMs: number,
): Promise<CommitCheck> {
  if (acked.length === 0) return { lost: [], checked: 0 };
  const present = await withSession(login, timeoutMs, async (client) => {
    const result = await client.query<{ seq: string }>(
      `SELECT seq FROM ${WORKLOAD_TABLE} WHERE seq = ANY($1::bigint[])`,
      [acked.map((a) => a.seq)],
    );
    // bigint comes back as a string from node-postgres (it may exceed 2^53); ours never do.
    return new Set(result.rows.map((r) => Number(r.seq)));
  });
  return { lost: acked.filter((a) => !present.has(a.seq)), checked: acked.length };
}

/**
 * A client that commits numbered rows through `writer` at a steady rate, records every
 * acknowledged commit, and reconnects through `writer` after any failure. It never bursts
 * to catch up after an outage: a real client that timed out does not replay its backlog
 * at once either, and a burst would distort the figures right after recovery.
 */
export class Workload {
  private readonly acked: AckedCommit[] = [];
  private readonly failed: FailedWrite[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private client: Client | undefined;
  private clientEndpoint: string | null = null;
  private nextSeq = 1;

  constructor(private readonly options: WorkloadOptions) {
    if (!(options.commitsPerSecond > 0)) {
      throw new RangeError(`commitsPerSecond must be > 0, got ${options.commitsPerSecond}`);
    }
  }

  /** Starts committing in the background. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the attempt in flight and closes the connection. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.disconnect();
  }

  /** Acknowledged commits, in order. */
  acks(): readonly AckedCommit[] {
    return [...this.acked];
  }

  /** Failed attempts, in order. */
  failures(): readonly FailedWrite[] {
    return [...this.failed];
  }

  /**
   * The first commit acknowledged for an attempt that started at or after `fromMs`
   * (optionally: on `endpoint`). An attempt that started before a fault may be acknowledged
   * just after it, from a server that was still up; it proves nothing about recovery.
   */
  firstAckFrom(fromMs: number, endpoint?: string): AckedCommit | undefined {
    return this.acked.find(
      (a) => a.startedAtMs >= fromMs && (endpoint === undefined || a.endpoint === endpoint),
    );
  }

  /** Resolves once `count` commits are acknowledged in total; rejects after `timeoutMs`. */
  async waitForAcks(count: number, timeoutMs: number): Promise<void> {
    const deadline = this.options.clock.nowMs() + timeoutMs;
    while (this.acked.length < count) {
      if (this.options.clock.nowMs() > deadline) {
        const last = this.failed.at(-1);
        throw new Error(
          `workload acknowledged ${this.acked.length} of ${count} commits within ${timeoutMs} ms` +
            (last ? `; last error: ${last.error}` : ""),
        );
      }
      await this.options.clock.sleep(20);
    }
  }

  private async run(): Promise<void> {
    const { clock, commitsPerSecond, reconnectDelayMs } = this.options;
    const periodMs = 1000 / commitsPerSecond;
    let nextAtMs = clock.nowMs();
    while (this.running) {
      const ok = await this.attempt();
      if (!ok) await clock.sleep(reconnectDelayMs);
      nextAtMs += periodMs;
      const now = clock.nowMs();
      // Behind schedule (slow commit or an outage): restart the schedule from now instead of bursting.
      if (nextAtMs < now) nextAtMs = now;
      else await clock.sleep(nextAtMs - now);
    }
  }

  private async attempt(): Promise<boolean> {
    const { clock, statementTimeoutMs } = this.options;
    const seq = this.nextSeq++;
    const startedAtMs = clock.nowMs();
    let sent = false;
    let endpoint: string | null = this.clientEndpoint;
    try {
      if (!this.client) {
        endpoint = this.options.resolveWriter();
        if (endpoint === null) throw new Error("the writer record is missing");
        const { host, port } = parseEndpoint(endpoint);
        this.client = await connectBounded({ ...this.options.login, host, port }, statementTimeoutMs);
        this.clientEndpoint = endpoint;
      }
      sent = true;
      await this.client.query(`INSERT INTO ${WORKLOAD_TABLE} (seq, client_started_at_ms) VALUES ($1, $2)`, [
        seq,
        startedAtMs,
      ]);
      this.acked.push({ seq, startedAtMs, ackedAtMs: clock.nowMs(), endpoint: endpoint as string });
      return true;
    } catch (error) {
      this.failed.push({
        seq,
        startedAtMs,
        failedAtMs: clock.nowMs(),
        endpoint,
        error: error instanceof Error ? error.message : String(error),
        // A server error response (it carries a SQLSTATE `code`) means the statement was
        // rolled back; only a lost connection or timeout after sending leaves the row in doubt.
        inDoubt: sent && !hasSqlState(error),
      });
      // Whatever went wrong, the next attempt resolves `writer` again on a fresh connection.
      this.disconnect();
      return false;
    }
  }

  private disconnect(): void {
    if (this.client) destroyClient(this.client);
    this.client = undefined;
    this.clientEndpoint = null;
  }
}

function hasSqlState(error: unknown): boolean {
  // Socket errors also carry a string `code` (ECONNRESET, EPIPE): only the server's own error counts.
  return error instanceof DatabaseError;
}
