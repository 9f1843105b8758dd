import { ControlPlaneError, WaitTimeoutError } from "../lambda/core/errors";
import { isWritable } from "../lambda/core/decide";
import type { Clock, DatabaseControl, FenceResult, UnfenceResult } from "../lambda/core/ports";
import type { DbRole, InstanceView } from "../lambda/core/types";
import type { LocalCluster, PgNode } from "./cluster";
import { formatEndpoint } from "./endpoint";
import { type PgLogin, withSession } from "./pg-session";

/** Tunables of the local control plane. */
export interface LocalControlOptions {
  /** Bound on each admin session (describe, promote, LSN reads); a frozen server never answers. */
  readonly adminTimeoutMs: number;
  /** Bound on fencing the old primary. */
  readonly fenceTimeoutMs: number;
  /** How often waits re-check the state. */
  readonly pollIntervalMs: number;
  /** Instance ids as they appear in decisions and reports. */
  readonly ids: Readonly<Record<DbRole, string>>;
  /** When the cluster was created: an instance is promoted once in its life, the report id uses it. */
  readonly createdAtMs: number;
}

/** Moments of the last promotion, for the drill's own figures. */
export interface PromotionRecord {
  readonly promoteCalledAtMs: number | null;
  readonly writableAtMs: number | null;
  /** Calls that actually turned a standby into a primary (an idempotent no-op does not count). */
  readonly promotions: number;
}

/**
 * The drill's `DatabaseControl`: the process table plus an admin connection stand in for the
 * RDS API. Status comes from whether the postmaster runs and what an admin session sees;
 * promotion is `pg_promote()`; fencing makes the old primary refuse writes
 * (`default_transaction_read_only` and its client sessions ended), which is what removing
 * client ingress from its security group achieves on AWS.
 */
export class LocalDatabaseControl implements DatabaseControl {
  private readonly stopped = new Set<DbRole>();
  private promoteCalledAtMs: number | null = null;
  private writableAtMs: number | null = null;
  private promotions = 0;

  constructor(
    private readonly cluster: LocalCluster,
    private readonly clock: Clock,
    private readonly options: LocalControlOptions,
  ) {}

  /**
   * Tells the control plane a node was shut down on purpose (the `stop` scenario), so it
   * reports `stopped` rather than `failed`, as RDS tells a stop from a crash.
   */
  markStopped(role: DbRole): void {
    this.stopped.add(role);
  }

  /** Moments of the promotion, for the drill's figures. */
  promotionRecord(): PromotionRecord {
    return {
      promoteCalledAtMs: this.promoteCalledAtMs,
      writableAtMs: this.writableAtMs,
      promotions: this.promotions,
    };
  }

  async describe(role: DbRole): Promise<InstanceView> {
    const node = this.node(role);
    const base = {
      id: this.options.ids[role],
      role,
      endpoint: formatEndpoint(node),
      apiReachable: true,
      createdAtMs: this.options.createdAtMs,
    };
    if (!this.cluster.isRunning(node)) {
      const stopped = this.stopped.has(role);
      return {
        ...base,
        status: stopped ? "stopped" : "failed",
        rawStatus: stopped ? "postmaster shut down (immediate)" : "postmaster not running (process exited)",
        // A dead node is reported the way it was last configured: only a standby has standby.signal.
        isReplica: role === "replica" && this.promotions === 0,
      };
    }
    try {
      const row = await withSession(this.login(node), this.options.adminTimeoutMs, async (client) => {
        const result = await client.query<{ in_recovery: boolean; read_only: string }>(
          "SELECT pg_is_in_recovery() AS in_recovery, current_setting('default_transaction_read_only') AS read_only",
        );
        return result.rows[0];
      });
      const view: InstanceView = {
        ...base,
        status: "available",
        rawStatus: row.in_recovery ? "available (streaming standby)" : "available (primary)",
        isReplica: row.in_recovery,
        fenced: row.read_only === "on",
      };
      // The drill's promotion figure: the first time the workflow's check saw the promoted standby
      // writable (the engine's one definition, plus the drill's own fence: read-only is not writable).
      if (role === "replica" && this.promotions > 0 && isWritable(view) && !view.fenced) {
        this.writableAtMs ??= this.clock.nowMs();
      }
      return view;
    } catch (error) {
      // The process exists but does not answer (frozen, overloaded, starting up): the local
      // "API" is reachable and says so, like RDS reporting an instance it cannot talk to.
      return {
        ...base,
        status: "unknown",
        rawStatus: `process running but not answering: ${describeError(error)}`,
        isReplica: role === "replica" && this.promotions === 0,
      };
    }
  }

  async fencePrimary(): Promise<FenceResult> {
    const node = this.cluster.primary;
    const id = this.options.ids.primary;
    if (!this.cluster.isRunning(node)) {
      return {
        fenced: false,
        detail: `${id} does not run, so it cannot be told to refuse writes; it must not be restarted as a writer.`,
      };
    }
    let timer: NodeJS.Timeout | undefined;
    const fencing = this.cluster.setReadOnly(node);
    // On a frozen server the call never settles; its late rejection must not crash the drill.
    fencing.catch(() => undefined);
    try {
      await Promise.race([
        fencing,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${this.options.fenceTimeoutMs} ms`)),
            this.options.fenceTimeoutMs,
          );
        }),
      ]);
      return {
        fenced: true,
        detail: `${id} refuses writes (default_transaction_read_only = on, client sessions ended).`,
      };
    } catch (error) {
      return { fenced: false, detail: `${id} could not be fenced: ${describeError(error)}.` };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Undo a switchover's fence: the old primary takes writes again (`default_transaction_read_only`
   * off), as re-authorizing its client ingress does on AWS. Throws `ControlPlaneError` if it fails.
   */
  async unfencePrimary(_fence: FenceResult): Promise<UnfenceResult> {
    const id = this.options.ids.primary;
    try {
      await this.cluster.clearReadOnly(this.cluster.primary);
    } catch (cause) {
      throw new ControlPlaneError(`the fence of ${id} could not be undone: ${describeError(cause)}`, {
        cause,
      });
    }
    return { restored: true, detail: `${id} takes writes again (default_transaction_read_only = off)` };
  }

  /** The local cluster has no automated backups to turn on (its PITR comes from its WAL archive). */
  async enableBackups(): Promise<string> {
    return `${this.options.ids.replica}: the local cluster has no automated backups to turn on`;
  }

  async promoteReplica(): Promise<void> {
    const node = this.cluster.replica;
    const id = this.options.ids.replica;
    if (!this.cluster.isRunning(node)) {
      throw new ControlPlaneError(
        `cannot promote ${id}: its postmaster is not running (see ${node.logFile})`,
      );
    }
    try {
      await withSession(this.login(node), this.options.adminTimeoutMs, async (client) => {
        const recovery = await client.query<{ in_recovery: boolean }>(
          "SELECT pg_is_in_recovery() AS in_recovery",
        );
        if (!recovery.rows[0].in_recovery) return; // already promoted: idempotent no-op.
        this.promoteCalledAtMs = this.clock.nowMs();
        // wait => false, like PromoteReadReplica: the call only starts the promotion and the
        // workflow's check-writable step watches it finish.
        const result = await client.query<{ started: boolean }>("SELECT pg_promote(false) AS started");
        if (!result.rows[0].started) throw new Error("pg_promote() returned false (the signal was not sent)");
        this.promotions++;
      });
    } catch (cause) {
      throw new ControlPlaneError(`promotion of ${id} failed: ${describeError(cause)}`, { cause });
    }
  }

  /**
   * Local fencing ends client sessions synchronously, so the primary's WAL position read now bounds
   * every client commit; `fence` carries nothing the drill needs.
   */
  async waitUntilCaughtUp(timeoutMs: number, _fence?: FenceResult): Promise<void> {
    const { primary, replica } = this.cluster;
    const deadline = this.clock.nowMs() + timeoutMs;
    let targetLsn: string;
    try {
      targetLsn = await withSession(this.login(primary), this.options.adminTimeoutMs, async (client) => {
        const result = await client.query<{ lsn: string }>("SELECT pg_current_wal_lsn()::text AS lsn");
        return result.rows[0].lsn;
      });
    } catch (cause) {
      throw new ControlPlaneError(
        `cannot read the WAL position of ${this.options.ids.primary}: ${describeError(cause)}`,
        { cause },
      );
    }
    let replayed: string;
    for (;;) {
      try {
        const row = await withSession(this.login(replica), this.options.adminTimeoutMs, async (client) => {
          const result = await client.query<{ lsn: string | null; done: boolean }>(
            "SELECT pg_last_wal_replay_lsn()::text AS lsn, coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done",
            [targetLsn],
          );
          return result.rows[0];
        });
        replayed = row.lsn ?? "none";
        if (row.done) return;
      } catch (error) {
        replayed = `unreadable (${describeError(error)})`;
      }
      if (this.clock.nowMs() >= deadline) {
        throw new WaitTimeoutError(
          `${this.options.ids.replica} did not replay up to ${targetLsn} within ${timeoutMs} ms (replayed: ${replayed})`,
        );
      }
      await this.clock.sleep(this.options.pollIntervalMs);
    }
  }

  private node(role: DbRole): PgNode {
    return role === "primary" ? this.cluster.primary : this.cluster.replica;
  }

  private login(node: PgNode): PgLogin {
    const config = this.cluster.clientConfig(node, "superuser");
    return {
      host: node.host,
      port: node.port,
      user: String(config.user),
      password: String(config.password),
      database: String(config.database),
    };
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
