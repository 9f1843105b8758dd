/**
 * `DatabaseProbe` over `pg`: the health monitor's eyes on the primary and the replica.
 */
import { Client } from "pg";
import { ConfigurationError } from "../../core/errors";
import type { DatabaseProbe } from "../../core/ports";
import type { DbRole, LagReading, ProbeResult, ReplicationPositions } from "../../core/types";
import { classifyProbeError } from "./classify";
import { DEFAULT_HEARTBEAT_SOURCE, READ_LAG_SQL, UPSERT_HEARTBEAT_SQL } from "./heartbeat";

/** Host and port of one database endpoint. */
export interface PgEndpoint {
  readonly host: string;
  readonly port: number;
}

/**
 * TLS settings. `false` only for the local drill; on RDS always verify
 * (`rds.force_ssl=1` refuses plain connections), with the RDS CA bundle in `ca` or trusted via
 * `NODE_EXTRA_CA_CERTS`.
 */
export type PgSsl = false | { readonly rejectUnauthorized: true; readonly ca?: string };

/** Configuration of {@link PgDatabaseProbe}. */
export interface PgProbeConfig {
  readonly primary: PgEndpoint;
  readonly replica: PgEndpoint;
  readonly database: string;
  readonly user: string;
  /**
   * Called for every connection. On AWS it signs a fresh IAM authentication token (valid 15
   * minutes, signed locally, no network call); locally it returns a static password.
   */
  readonly password: () => Promise<string>;
  readonly ssl: PgSsl;
  /** Heartbeat row this probe writes (default `health-monitor`). */
  readonly heartbeatSource?: string;
  /** Epoch-millisecond clock for `atMs`; defaults to `Date.now`. */
  readonly nowMs?: () => number;
}

interface Attempt<T> {
  readonly ok: boolean;
  readonly value?: T;
  readonly result: ProbeResult;
}

/** Grace period for a polite `Terminate` on a healthy connection before the socket is destroyed. */
const GRACEFUL_END_MS = 200;

/**
 * Probes with a fresh connection every time. A pooled connection would hide exactly what the
 * monitor must see: whether a *new* client can connect and authenticate right now.
 *
 * Every call is bounded end to end by its `timeoutMs` (token, TCP connect, TLS, auth and
 * queries): a frozen server (it accepts the TCP connection in the kernel backlog, then never
 * answers) gives `timeout`. The socket is always closed, and the call never throws: failures
 * are results (see `ProbeOutcome`).
 */
export class PgDatabaseProbe implements DatabaseProbe {
  private readonly nowMs: () => number;
  private readonly source: string;

  constructor(private readonly config: PgProbeConfig) {
    this.nowMs = config.nowMs ?? Date.now;
    this.source = config.heartbeatSource ?? DEFAULT_HEARTBEAT_SOURCE;
    validateConfig(config);
  }

  /** `SELECT 1`, then upsert this source's heartbeat row with the primary's clock. */
  async probePrimary(timeoutMs: number): Promise<ProbeResult> {
    const attempt = await this.attempt("primary", timeoutMs, async (client) => {
      await client.query("SELECT 1");
      await client.query(UPSERT_HEARTBEAT_SQL, [this.source]);
    });
    return attempt.result;
  }

  /**
   * Reads the lag on the replica: its clock now minus the newest heartbeat it has replayed,
   * in seconds, clamped at 0 (see `READ_LAG_SQL` for the semantics). `lagSeconds` is `null`
   * when the replica could not be read, or holds no heartbeat yet (outcome `error`).
   */
  async readReplicaLag(timeoutMs: number): Promise<LagReading> {
    const attempt = await this.attempt("replica", timeoutMs, async (client) => {
      const { rows } = await client.query<{ lag_seconds: number | null }>(READ_LAG_SQL);
      const lag = rows[0]?.lag_seconds ?? null;
      if (lag === null) {
        throw new Error(
          "the replica holds no heartbeat row yet: run the monitor bootstrap on the primary and let one " +
            "primary probe succeed",
        );
      }
      return Math.max(0, lag);
    });
    return {
      atMs: attempt.result.atMs,
      lagSeconds: attempt.ok ? (attempt.value ?? null) : null,
      probe: attempt.result,
    };
  }

  /**
   * WAL positions for a switchover's caught-up check, read on both databases in parallel: the
   * primary's `pg_current_wal_lsn()` and `pg_postmaster_start_time()`, the replica's
   * `pg_last_wal_replay_lsn()`. An unreadable side is `null` with the probe's detail.
   */
  async replicationPositions(timeoutMs: number): Promise<ReplicationPositions> {
    const atMs = this.nowMs();
    const [primary, replica] = await Promise.all([
      this.attempt("primary", timeoutMs, async (client) => {
        const { rows } = await client.query<{ lsn: string; started_ms: string }>(
          "SELECT pg_current_wal_lsn()::text AS lsn, (extract(epoch FROM pg_postmaster_start_time()) * 1000)::bigint::text AS started_ms",
        );
        return { lsn: rows[0].lsn, startedAtMs: Number(rows[0].started_ms) };
      }),
      this.attempt("replica", timeoutMs, async (client) => {
        const { rows } = await client.query<{ lsn: string | null }>(
          "SELECT pg_last_wal_replay_lsn()::text AS lsn",
        );
        return rows[0]?.lsn ?? null;
      }),
    ]);
    const detail = (a: Attempt<unknown>): string =>
      `${a.result.outcome}${a.result.detail ? `: ${a.result.detail}` : ""}`;
    return {
      atMs,
      primaryLsn: primary.ok ? (primary.value?.lsn ?? null) : null,
      primaryStartedAtMs: primary.ok ? (primary.value?.startedAtMs ?? null) : null,
      ...(primary.ok ? {} : { primaryDetail: detail(primary) }),
      replicaReplayLsn: replica.ok ? (replica.value ?? null) : null,
      ...(replica.ok ? {} : { replicaDetail: detail(replica) }),
    };
  }

  private async attempt<T>(
    target: DbRole,
    timeoutMs: number,
    work: (client: Client) => Promise<T>,
  ): Promise<Attempt<T>> {
    const atMs = this.nowMs();
    const started = process.hrtime.bigint();
    const elapsedMs = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
    const endpoint = target === "primary" ? this.config.primary : this.config.replica;

    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      return {
        ok: false,
        result: {
          target,
          atMs,
          outcome: "error",
          latencyMs: 0,
          detail: `timeoutMs=${timeoutMs} is not a positive number of milliseconds`,
        },
      };
    }

    const client = new Client({
      host: endpoint.host,
      port: endpoint.port,
      database: this.config.database,
      user: this.config.user,
      password: this.config.password,
      ssl: this.config.ssl === false ? false : { ...this.config.ssl },
      application_name: `tap-${this.source}`,
      // No keepAlive and no pg timeouts: our own deadline below covers every phase.
    });
    // An error after we gave up (e.g. the destroyed socket) must not become an unhandled event.
    client.on("error", () => undefined);

    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const run = (async () => {
      await client.connect();
      return work(client);
    })();
    // Keep a rejection of the abandoned run from surfacing as unhandled after a timeout.
    run.catch(() => undefined);

    let timedOut = false;
    try {
      const winner = await Promise.race([run.then((value) => ({ value })), deadline]);
      if (winner === "timeout") {
        timedOut = true;
        return {
          ok: false,
          result: {
            target,
            atMs,
            outcome: "timeout",
            // Node timers may fire a fraction of a millisecond early by our clock; a timeout
            // took at least its full budget.
            latencyMs: Math.max(elapsedMs(), timeoutMs),
            detail: `no answer from ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`,
          },
        };
      }
      return {
        ok: true,
        value: winner.value,
        result: { target, atMs, outcome: "ok", latencyMs: elapsedMs() },
      };
    } catch (error) {
      const { outcome, detail } = classifyProbeError(error);
      return { ok: false, result: { target, atMs, outcome, latencyMs: elapsedMs(), detail } };
    } finally {
      clearTimeout(timer);
      await closeQuietly(client, !timedOut);
    }
  }
}

/**
 * Ends the connection politely when the server is answering (it then logs no "unexpected
 * EOF"), and destroys the socket in every case, so a frozen server cannot keep it open.
 */
async function closeQuietly(client: Client, gracefully: boolean): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    if (!gracefully) return;
    await Promise.race([
      client.end().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, GRACEFUL_END_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    client.connection.stream.destroy();
  }
}

/** Throws a `ConfigurationError` naming the key, the bad value and the fix. */
function validateConfig(config: PgProbeConfig): void {
  for (const role of ["primary", "replica"] as const) {
    const { host, port } = config[role];
    if (typeof host !== "string" || host === "") {
      throw new ConfigurationError(`${role}.host is empty: give the ${role} endpoint's host name`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new ConfigurationError(
        `${role}.port=${port} is not a TCP port: use a whole number from 1 to 65535`,
      );
    }
  }
  if (config.database === "")
    throw new ConfigurationError("database is empty: give the database name (DB_NAME)");
  if (config.user === "")
    throw new ConfigurationError("user is empty: give the monitor's role (MONITOR_DB_USER)");
}
