/**
 * A local PostgreSQL 14 cluster for the DR drill and the integration tests: a primary and a
 * streaming replica on loopback, built in a fresh temporary directory and torn down without
 * leaving processes or files behind.
 *
 * ```ts
 * const cluster = await startCluster();
 * try {
 *   const client = new Client(cluster.clientConfig(cluster.primary, "superuser"));
 *   …
 *   await cluster.kill(cluster.primary, "SIGKILL"); // crash the primary
 *   await cluster.promote(cluster.replica);
 * } finally {
 *   await cluster.destroy();
 * }
 * ```
 *
 * Layout of the temporary directory: `primary/` and `replica/` (data directories),
 * `primary.log` and `replica.log` (server logs); with {@link ClusterOptions.backups} also
 * `dr-backups/base/` (the base backup) and `dr-backups/wal/` (the WAL archive), the DR region's
 * copy of the backups, and after {@link LocalCluster.restoreLatest} `restored/` and `restored.log`.
 *
 * Fidelity trade-offs, all for a fast start (a few seconds for both nodes) on a drill whose
 * data is thrown away: `fsync = off` (safe against a crash of PostgreSQL itself, which is
 * what the drill injects, not against losing the machine), small `shared_buffers`, no TLS,
 * password (SCRAM) authentication instead of IAM.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Client, escapeLiteral, type ClientConfig } from "pg";
import { bootstrapMonitorRole } from "../lambda/adapters/postgres/bootstrap";
import type { PgProbeConfig } from "../lambda/adapters/postgres/probe";
import { resolveBinaries, resolveOsUser, spawnIdentity, type PgBinaries, type PgOsUser } from "./pg-binaries";
import {
  archiveCommand,
  backupLayout,
  confQuote,
  copyDataDirectory,
  parseBackupLabel,
  restoreCommand,
  WalArchiveReader,
  type BackupLabel,
  type BackupLayout,
} from "./pitr";
import { TcpProxy } from "./tcp-proxy";

/**
 * The nodes, named by the role they start with (the names stay after a promotion): the primary,
 * its streaming replica, and the node {@link LocalCluster.restoreLatest} builds from the backups.
 */
export type NodeName = "primary" | "replica" | "restored";

/** The database users the cluster creates. */
export type ClusterUser = "superuser" | "monitor";

/** Signals the drill injects; see {@link LocalCluster.kill}. */
export type FaultSignal = "SIGKILL" | "SIGSTOP" | "SIGCONT" | "SIGTERM" | "SIGINT" | "SIGQUIT";

/** Options of {@link startCluster}; every field has a default. */
export interface ClusterOptions {
  /** Application database, holding the heartbeat table (default `tapdb`). */
  readonly database?: string;
  /** Superuser the drill administers the cluster with (default `drill`). */
  readonly superuser?: string;
  /** The health monitor's role, created by the same bootstrap as on RDS (default `tap_monitor`). */
  readonly monitorUser?: string;
  /** Directory holding initdb, pg_ctl and postgres; defaults to `TAP_PG_BIN`, then the embedded package. */
  readonly binDir?: string;
  /** Parent of the temporary directory (default: the system temp directory). */
  readonly baseDir?: string;
  /** Deadline for each node to accept connections, and for the replica to catch up (default 30 s). */
  readonly startTimeoutMs?: number;
  /** Progress lines (e.g. `console.log`); silent by default. */
  readonly log?: (line: string) => void;
  /**
   * Continuous backups to the "DR region" (`<cluster dir>/dr-backups/`), the local analogue of
   * RDS automated backups replicated cross-region: the primary archives every WAL segment and a
   * base backup is taken as soon as the cluster is ready, so that
   * {@link LocalCluster.restoreLatest} can restore after the primary and the replica are both
   * lost. Off by default (archiving writes a whole segment per `archiveTimeoutSeconds` under load).
   */
  readonly backups?: BackupOptions;
}

/** See {@link ClusterOptions.backups}. */
export interface BackupOptions {
  /**
   * `archive_timeout`: a segment with any activity is closed and shipped at least this often,
   * which bounds how far the archive trails the primary (RDS ships every 5 minutes). Whole
   * seconds, 1-3600; default 1.
   */
  readonly archiveTimeoutSeconds?: number;
}

/** The base backup {@link ClusterOptions.backups} took. */
export interface BaseBackupRecord extends BackupLabel {
  /** Where the backup ended (`pg_backup_stop`'s LSN); recovery is consistent from here on. */
  readonly stopLsn: string;
  /** Epoch ms when the backup was complete and its WAL archived. */
  readonly completedAtMs: number;
  readonly durationMs: number;
  readonly bytes: number;
}

/** What the last {@link LocalCluster.restoreLatest} did and how long it took. */
export interface RestoreRecord {
  /** Epoch ms of the call. */
  readonly startedAtMs: number;
  /** Epoch ms when the restored node was out of recovery (writable). */
  readonly finishedAtMs: number;
  /** `finishedAtMs - startedAtMs`: copy of the base backup, WAL replay, promotion. */
  readonly durationMs: number;
  /** {@link LocalCluster.latestRestorableTimeMs} when the restore started. */
  readonly latestRestorableTimeMs: number | null;
  /** The restored node's `pg_current_wal_lsn()` once promoted (the new timeline starts here). */
  readonly promotedAtLsn: string;
}

/** One PostgreSQL server of the cluster. */
export interface PgNode {
  readonly name: NodeName;
  /** Always 127.0.0.1: nothing listens beyond loopback. */
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Postmaster process id while the server runs, `null` when it is stopped. */
  readonly pid: number | null;
}

const HOST = "127.0.0.1";
const REPLICATION_USER = "replicator";
const REPLICATION_SLOT = "replica_slot";
const POLL_INTERVAL_MS = 50;

/** WAL segment size of the local clusters, MB (initdb `--wal-segsize`; PostgreSQL's default is 16). */
export const WAL_SEGMENT_MB = 1;

/**
 * Settings shared by both nodes (the replica starts as a copy of the primary's directory).
 * Node-specific ones (`port`, `cluster_name`) go on the command line, which also keeps them
 * out of reach of `ALTER SYSTEM`.
 */
const SERVER_SETTINGS = `
# --- TapStack drill settings ---
listen_addresses = '${HOST}'
# TCP only: no socket file in /tmp that two clusters could fight over.
unix_socket_directories = ''
# max_connections, max_wal_senders, max_worker_processes stay at initdb's choice: the replica
# starts from initdb's control file and refuses to run with lower values than it records.
shared_buffers = 16MB
password_encryption = scram-sha-256
wal_level = replica
max_wal_size = 256MB
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = 1s
# The standby retries its primary quickly after a restart (default 5 s).
wal_retrieve_retry_interval = 500ms
# Asynchronous replication, like an RDS read replica: commits do not wait for the replica.
synchronous_commit = local
# Throw-away data: survive a PostgreSQL crash (the OS keeps the page cache), not a power cut.
fsync = off
# Dynamic shared memory in files under the data directory (pg_dynshmem), not in /dev/shm: a node
# the drill kills with SIGKILL cannot remove its segments, and the teardown removes the directory.
dynamic_shared_memory_type = mmap
log_line_prefix = '%m [%p] %q%a '
`;

const HBA = `# TYPE  DATABASE     USER           ADDRESS       METHOD
host    all          all            ${HOST}/32  scram-sha-256
host    replication  ${REPLICATION_USER}     ${HOST}/32  scram-sha-256
`;

interface NodeState {
  readonly name: NodeName;
  readonly port: number;
  readonly dataDir: string;
  readonly logFile: string;
  /** Extra server settings for the command line (`-c name=value`), kept for restarts. */
  readonly settings?: readonly string[];
  child?: ChildProcess;
  exited?: Promise<void>;
}

/**
 * Clusters not yet destroyed, torn down synchronously if the process exits first. Kept on the
 * process (not in this module) so that a module loaded twice in one process (a test runner's
 * per-file module registry) shares one set and installs the hooks once.
 */
const exitRegistry = ((globalThis as { [key: symbol]: unknown })[
  Symbol.for("tapstack.drill.liveClusters")
] ??= {
  clusters: new Set<LocalCluster>(),
  installed: false,
}) as { clusters: Set<LocalCluster>; installed: boolean };
const liveClusters = exitRegistry.clusters;
let copyNoted = false;

function installExitHooks(): void {
  if (exitRegistry.installed) return;
  exitRegistry.installed = true;
  process.on("exit", () => {
    for (const cluster of liveClusters) cluster.destroySync();
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const handler = (): void => {
      for (const cluster of liveClusters) cluster.destroySync();
      process.off(signal, handler);
      // Listening to a signal replaces Node's default (exit); when nobody else listens,
      // re-raise it so the process still ends the way the sender meant.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** A running primary + replica. Create it with {@link startCluster}. */
export class LocalCluster {
  /** The node that starts as primary. */
  readonly primary: PgNode;
  /** The node that starts as a streaming replica of `primary`. */
  readonly replica: PgNode;
  private restoredView: PgNode | null = null;
  private baseBackupRecord: BaseBackupRecord | null = null;
  private restoreRecord: RestoreRecord | null = null;
  private readonly states: { primary: NodeState; replica: NodeState; restored?: NodeState };
  private readonly passwords: Record<ClusterUser | "replication", string>;
  private proxy?: TcpProxy;
  private destroyed = false;
  private archiveReader?: WalArchiveReader;

  /** @internal use {@link startCluster}. */
  constructor(
    /** The temporary directory everything lives in. */
    readonly rootDir: string,
    readonly binaries: PgBinaries,
    readonly osUser: PgOsUser,
    readonly database: string,
    readonly superuser: string,
    readonly monitorUser: string,
    ports: Record<"primary" | "replica", number>,
    private readonly log: (line: string) => void,
    /** {@link ClusterOptions.backups} with its defaults, or null when off. */
    readonly backups: Required<BackupOptions> | null = null,
  ) {
    const state = (name: "primary" | "replica", settings?: string[]): NodeState => ({
      name,
      port: ports[name],
      dataDir: path.join(rootDir, name),
      logFile: path.join(rootDir, `${name}.log`),
      settings,
    });
    // Archiving is the primary's alone, on its command line: the replica and the base backup
    // (copies of the primary's directory) do not inherit it, so neither a promoted replica nor
    // a restored node writes into the archive they may be restored from.
    const archiving = backups
      ? [
          "archive_mode=on",
          `archive_command=${archiveCommand(backupLayout(rootDir).wal)}`,
          `archive_timeout=${backups.archiveTimeoutSeconds}`,
        ]
      : undefined;
    this.states = { primary: state("primary", archiving), replica: state("replica") };
    this.primary = this.nodeView("primary");
    this.replica = this.nodeView("replica");
    this.passwords = {
      superuser: randomPassword(),
      monitor: randomPassword(),
      replication: randomPassword(),
    };
  }

  /** The node {@link restoreLatest} built from the backups; null until then. */
  get restored(): PgNode | null {
    return this.restoredView;
  }

  /** The base backup taken at boot when {@link ClusterOptions.backups} is set; null otherwise. */
  get baseBackup(): BaseBackupRecord | null {
    return this.baseBackupRecord;
  }

  /** What the last {@link restoreLatest} did, with its duration; null before the first. */
  get lastRestore(): RestoreRecord | null {
    return this.restoreRecord;
  }

  /**
   * The TCP proxy in front of the primary that the monitor connects through (see
   * {@link monitorProbeConfig}); cut it to partition the monitor from the primary while
   * clients, which connect directly, keep writing.
   */
  get monitorPath(): TcpProxy {
    if (!this.proxy) throw new Error("the cluster has not started its monitor path yet");
    return this.proxy;
  }

  /** Connection settings for `pg` as `user`, straight to `node` (not through the proxy). */
  clientConfig(node: PgNode, user: ClusterUser = "superuser", database = this.database): ClientConfig {
    return {
      host: HOST,
      port: node.port,
      user: this.userName(user),
      password: this.passwords[user],
      database,
      application_name: `tap-drill-${user}`,
    };
  }

  /** `postgresql://` URI for `user` on `node`, e.g. for psql or a workload. */
  connectionString(node: PgNode, user: ClusterUser = "superuser", database = this.database): string {
    const name = encodeURIComponent(this.userName(user));
    const password = encodeURIComponent(this.passwords[user]);
    return `postgresql://${name}:${password}@${HOST}:${node.port}/${encodeURIComponent(database)}`;
  }

  /**
   * Configuration of the real `PgDatabaseProbe` as the health monitor: the monitor role with
   * its password, the primary through the monitor path (proxy), the replica directly.
   */
  monitorProbeConfig(): PgProbeConfig {
    const password = this.passwords.monitor;
    return {
      primary: { host: this.monitorPath.host, port: this.monitorPath.port },
      replica: { host: HOST, port: this.replica.port },
      database: this.database,
      user: this.monitorUser,
      password: async () => password,
      ssl: false,
    };
  }

  /** Runs one statement on `node` as the superuser over a fresh connection. */
  async query<R extends Record<string, unknown> = Record<string, unknown>>(
    node: PgNode,
    sql: string,
    params: unknown[] = [],
    database = this.database,
  ): Promise<R[]> {
    const client = new Client({
      ...this.clientConfig(node, "superuser", database),
      connectionTimeoutMillis: 5000,
      // A server frozen mid-statement must not hang the caller forever; long enough for
      // pg_promote(true, 60).
      query_timeout: 90_000,
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      const result = await client.query<R>(sql, params);
      return result.rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * Runs an administrative statement on `node` in the `postgres` database, which exists from
   * initdb on: a replica accepts connections before it has replayed `CREATE DATABASE`.
   */
  private admin<R extends Record<string, unknown> = Record<string, unknown>>(
    node: PgNode,
    sql: string,
    params: unknown[] = [],
  ): Promise<R[]> {
    return this.query<R>(node, sql, params, "postgres");
  }

  /** True while the postmaster of `node` runs (also when frozen). */
  isRunning(node: PgNode): boolean {
    const state = this.states[node.name];
    if (!state) return false;
    return state.child !== undefined && state.child.exitCode === null && state.child.signalCode === null;
  }

  /** The postmaster and its children (backends, WAL sender/receiver, …), postmaster first. */
  processIds(node: PgNode): number[] {
    const pid = node.pid;
    return pid === null ? [] : [pid, ...childPids(pid)];
  }

  /**
   * Injects a fault into `node`:
   * - `SIGKILL`: the server dies at once, as with a lost host: every process of the node is
   *   frozen and then killed, so none gets to write or answer in between. Resolves when all
   *   are gone.
   * - `SIGSTOP` / `SIGCONT`: freezes / resumes every process of the node. A frozen server
   *   still completes TCP handshakes in the kernel, then never answers: a probe times out.
   * - `SIGTERM` / `SIGINT` / `SIGQUIT`: PostgreSQL's smart / fast / immediate shutdown, sent
   *   to the postmaster only.
   */
  async kill(node: PgNode, signal: FaultSignal): Promise<void> {
    const pids = this.processIds(node);
    if (pids.length === 0) throw new Error(`${node.name} is not running: nothing to send ${signal} to`);
    if (signal === "SIGKILL") {
      signalAll(pids, "SIGSTOP");
      signalAll(processIdsAgain(pids[0], pids), "SIGKILL");
      await this.waitForExit(node, 10_000);
      return;
    }
    if (signal === "SIGSTOP" || signal === "SIGCONT") {
      if (signal === "SIGSTOP") {
        signalAll(pids, signal);
        // A child forked between listing and stopping the postmaster would keep running.
        pids.push(...childPids(pids[0]).filter((pid) => !pids.includes(pid)));
        signalAll(pids, signal);
      } else {
        signalAll([...pids].reverse(), signal);
      }
      // Delivery is asynchronous (a process running on another CPU stops a moment later):
      // resolve only once every process is in the state the caller asked for.
      const stopped = signal === "SIGSTOP";
      await this.pollUntil(
        async () => pids.every((pid) => !isAlive(pid) || isStopped(pid) === stopped),
        5_000,
        `${node.name} to ${stopped ? "freeze" : "resume"} after ${signal}`,
      );
      return;
    }
    process.kill(pids[0], signal);
  }

  /** `pg_ctl stop -m immediate`: the postmaster aborts every backend without a checkpoint. */
  async stopImmediate(node: PgNode): Promise<void> {
    if (!this.isRunning(node)) return;
    // A frozen server would never act on the stop request.
    signalAll([...this.processIds(node)].reverse(), "SIGCONT");
    await this.run(this.binaries.pgCtl, ["stop", "-D", node.dataDir, "-m", "immediate", "-w", "-t", "30"]);
    await this.waitForExit(node, 10_000);
  }

  /** Starts a stopped node again (after a crash or a stop) and waits until it accepts connections. */
  async start(node: PgNode, timeoutMs = 30_000): Promise<void> {
    if (this.isRunning(node)) return;
    this.spawnServer(this.stateOf(node.name));
    await this.waitUntilAccepting(node, "postgres", timeoutMs);
  }

  /** True while `node` is a standby (replaying WAL). */
  async isInRecovery(node: PgNode): Promise<boolean> {
    const rows = await this.admin<{ in_recovery: boolean }>(
      node,
      "SELECT pg_is_in_recovery() AS in_recovery",
    );
    return rows[0].in_recovery;
  }

  /** Pauses WAL replay on the replica (it keeps receiving, stops applying): its lag grows. */
  async pauseReplay(node: PgNode = this.replica): Promise<void> {
    await this.admin(node, "SELECT pg_wal_replay_pause()");
    // The pause takes effect between records; wait until replay has really stopped.
    await this.pollUntil(
      async () => {
        const rows = await this.admin<{ state: string }>(
          node,
          "SELECT pg_get_wal_replay_pause_state() AS state",
        );
        return rows[0].state === "paused";
      },
      10_000,
      `WAL replay on ${node.name} to pause`,
    );
  }

  /** Resumes WAL replay paused by {@link pauseReplay}. */
  async resumeReplay(node: PgNode = this.replica): Promise<void> {
    await this.admin(node, "SELECT pg_wal_replay_resume()");
  }

  /**
   * Promotes `node` to primary with `pg_promote(wait => true, wait_seconds => 60)`.
   * Idempotent: a node that is already out of recovery is left alone.
   */
  async promote(node: PgNode): Promise<void> {
    if (!(await this.isInRecovery(node))) return;
    const rows = await this.admin<{ promoted: boolean }>(node, "SELECT pg_promote(true, 60) AS promoted");
    if (!rows[0].promoted) {
      throw new Error(`${node.name} did not finish promotion within 60 s; see ${node.logFile}`);
    }
  }

  /**
   * Fences `node`: new transactions default to read-only and every client session is ended,
   * so writers reconnect and get SQLSTATE 25006. (A superuser can still override the default
   * per session; the drill's clients and the monitor are not superusers.)
   * Resolves once a fresh session sees the setting.
   */
  async setReadOnly(node: PgNode): Promise<void> {
    await this.setDefaultReadOnly(node, true);
  }

  /** Undoes {@link setReadOnly}. */
  async clearReadOnly(node: PgNode): Promise<void> {
    await this.setDefaultReadOnly(node, false);
  }

  /**
   * Waits until the replica has replayed everything the primary had written when the call
   * began (compares `pg_current_wal_lsn()` with `pg_last_wal_replay_lsn()`).
   */
  async waitForReplication(
    timeoutMs = 30_000,
    from: PgNode = this.primary,
    to: PgNode = this.replica,
  ): Promise<void> {
    const rows = await this.admin<{ lsn: string }>(from, "SELECT pg_current_wal_lsn()::text AS lsn");
    const target = rows[0].lsn;
    await this.pollUntil(
      async () => {
        const replayed = await this.admin<{ done: boolean }>(
          to,
          "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false) AS done",
          [target],
        );
        return replayed[0].done;
      },
      timeoutMs,
      `${to.name} to replay ${from.name}'s WAL up to ${target}`,
    );
  }

  /**
   * Stops every process the cluster started (resuming frozen ones first, then an immediate
   * shutdown), the restored node's too, closes the proxy and removes the temporary directory
   * (the backups with it). Safe to call twice.
   */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    try {
      await this.proxy?.close();
      for (const name of this.nodeNames()) {
        await this.stopNode(this.nodeView(name));
      }
    } finally {
      fs.rmSync(this.rootDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      liveClusters.delete(this);
    }
  }

  /**
   * Synchronous teardown for process exit, where no promise can settle: resume, shut down
   * immediately, wait briefly, kill what is left, remove the directory.
   */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    liveClusters.delete(this);
    const all: number[] = [];
    for (const name of this.nodeNames()) {
      const pids = this.processIds(this.nodeView(name));
      signalAll([...pids].reverse(), "SIGCONT");
      signalAll(pids.slice(0, 1), "SIGQUIT");
      all.push(...pids);
    }
    const waitUntilGone = (ms: number): void => {
      const deadline = Date.now() + ms;
      while (all.some(isAlive) && Date.now() < deadline) sleepSync(POLL_INTERVAL_MS);
    };
    waitUntilGone(3000);
    signalAll(all.filter(isAlive), "SIGKILL");
    // SIGKILL is delivered asynchronously; return only once nothing of ours runs.
    waitUntilGone(2000);
    fs.rmSync(this.rootDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  }

  /** @internal builds and starts both nodes; called once by {@link startCluster}. */
  async boot(timeoutMs: number): Promise<void> {
    const primary = this.states.primary;
    const replica = this.states.replica;
    const pwfile = path.join(this.rootDir, "superuser.pw");
    this.writeOwned(pwfile, `${this.passwords.superuser}\n`);
    this.log(`initdb ${primary.dataDir} (${this.binaries.version})`);
    await this.run(this.binaries.initdb, [
      "-D",
      primary.dataDir,
      "-U",
      this.superuser,
      `--pwfile=${pwfile}`,
      "--auth=scram-sha-256",
      "--encoding=UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
      // 1 MB WAL segments instead of 16 MB: with archive_timeout every shipped segment is a whole
      // file, so a scenario that archives every second wrote 16 MB a second (the suite wrote
      // gigabytes); the WAL reader learns the size from the segments' own headers.
      `--wal-segsize=${WAL_SEGMENT_MB}`,
    ]);
    fs.rmSync(pwfile);
    fs.appendFileSync(path.join(primary.dataDir, "postgresql.conf"), SERVER_SETTINGS);
    fs.writeFileSync(path.join(primary.dataDir, "pg_hba.conf"), HBA);

    // The replica is a cold copy of the freshly initialised, never started data directory:
    // a cleanly shut-down cluster is consistent as it lies on disk, so no backup label or
    // base backup is needed (these binaries have no pg_basebackup, and the low-level backup
    // API changed names in PostgreSQL 15). Everything created afterwards - roles, database,
    // heartbeat table - reaches the replica the way production changes do: through WAL.
    await this.run("cp", ["-a", primary.dataDir, replica.dataDir]);
    const conninfo = [
      `host=${HOST}`,
      `port=${primary.port}`,
      `user=${REPLICATION_USER}`,
      `password=${this.passwords.replication}`,
      `application_name=replica`,
    ].join(" ");
    fs.appendFileSync(
      path.join(replica.dataDir, "postgresql.conf"),
      `primary_conninfo = ${escapeLiteral(conninfo)}\nprimary_slot_name = '${REPLICATION_SLOT}'\n`,
    );
    this.writeOwned(path.join(replica.dataDir, "standby.signal"), "");

    if (this.backups) {
      // Before the primary starts: its archiver ships the first segment within seconds.
      const layout = this.backupPaths();
      for (const dir of [layout.root, layout.wal]) {
        fs.mkdirSync(dir, { mode: 0o700 });
        if (this.osUser.switchUser) fs.chownSync(dir, this.osUser.uid, this.osUser.gid);
      }
    }

    this.log(`starting primary on ${HOST}:${primary.port}`);
    this.spawnServer(primary);
    await this.waitUntilAccepting(this.primary, "postgres", timeoutMs);
    await this.setUpPrimary();

    this.log(`starting replica on ${HOST}:${replica.port}`);
    this.spawnServer(replica);
    await this.waitUntilAccepting(this.replica, "postgres", timeoutMs);
    await this.waitForReplication(timeoutMs);
    await this.pollUntil(
      async () => {
        const rows = await this.admin<{ n: string }>(
          this.primary,
          "SELECT count(*)::text AS n FROM pg_stat_replication WHERE state = 'streaming'",
        );
        return rows[0].n === "1";
      },
      timeoutMs,
      "the replica to stream from the primary",
    );

    this.proxy = await TcpProxy.start({ targetHost: HOST, targetPort: primary.port });
    if (this.backups) await this.takeBaseBackup(timeoutMs);
    this.log(`cluster ready in ${this.rootDir} (monitor path ${HOST}:${this.proxy.port})`);
  }

  /**
   * Takes the base backup into `dr-backups/base/` with the low-level (non-exclusive) backup
   * API: `pg_backup_start` (`pg_start_backup` before PostgreSQL 15), a copy of the data
   * directory, `pg_backup_stop`, whose `backup_label` goes into the copy. This is what
   * pg_basebackup does over the replication protocol; the embedded binaries ship no
   * pg_basebackup (see {@link boot}).
   *
   * The equivalent of `pg_basebackup -X none`, not `-X fetch`: the backup carries no WAL of its
   * own. The archive is the backup here - a restore replays it from the backup's start anyway, as
   * RDS restores a snapshot plus the shipped logs - and this returns only once the segment
   * holding the backup's end is archived, so the backup is restorable from the archive alone the
   * moment it exists; `-X fetch` would only duplicate those segments. The wait is ours
   * (`wait_for_archive => false`, then the segment's file is watched for), because PostgreSQL's
   * own wait sleeps in steps of a whole second.
   */
  private async takeBaseBackup(timeoutMs: number): Promise<void> {
    const layout = this.backupPaths();
    const startedAt = Date.now();
    const client = new Client({
      ...this.clientConfig(this.primary, "superuser", "postgres"),
      application_name: "tap-drill-base-backup",
      query_timeout: timeoutMs,
    });
    client.on("error", () => undefined);
    await client.connect();
    try {
      const version = await client.query<{ v: number }>(
        "SELECT current_setting('server_version_num')::int AS v",
      );
      const modern = version.rows[0].v >= 150000;
      // fast => true: an immediate checkpoint, not one spread over checkpoint_timeout.
      await client.query(
        modern ? "SELECT pg_backup_start($1, true)" : "SELECT pg_start_backup($1, true, false)",
        ["tap-drill-dr-base"],
      );
      const bytes = await copyDataDirectory(
        this.states.primary.dataDir,
        layout.base,
        this.osUser.switchUser ? this.osUser : undefined,
      );
      // The stop switches to a new segment, so the one holding the backup's end is archived next.
      const stop = await client.query<{
        lsn: string;
        segment: string;
        labelfile: string;
        spcmapfile: string;
      }>(
        `SELECT lsn::text, pg_walfile_name(lsn) AS segment, labelfile, spcmapfile FROM ${
          modern ? "pg_backup_stop(false)" : "pg_stop_backup(false, false)"
        }`,
      );
      const { lsn, segment, labelfile, spcmapfile } = stop.rows[0];
      await this.pollUntil(
        async () => fs.existsSync(path.join(layout.wal, segment)),
        Math.max(0, timeoutMs - (Date.now() - startedAt)),
        `the archiver to ship ${segment}, the base backup's last segment`,
      );
      this.writeOwned(path.join(layout.base, "backup_label"), labelfile);
      if (spcmapfile) this.writeOwned(path.join(layout.base, "tablespace_map"), spcmapfile);
      const completedAtMs = Date.now();
      this.baseBackupRecord = {
        ...parseBackupLabel(labelfile),
        stopLsn: lsn,
        completedAtMs,
        durationMs: completedAtMs - startedAt,
        bytes,
      };
      this.log(
        `base backup in ${layout.base} (${this.baseBackupRecord.startLsn} .. ${lsn}, ` +
          `${Math.round(bytes / 1e6)} MB, ${this.baseBackupRecord.durationMs} ms)`,
      );
    } finally {
      // Ending the session also aborts a backup that did not reach pg_backup_stop.
      await client.end().catch(() => undefined);
    }
  }

  /** `<cluster dir>/dr-backups/{base,wal}`: the DR region's copy of the backups. */
  backupPaths(): BackupLayout {
    return backupLayout(this.rootDir);
  }

  /**
   * The analogue of RDS `LatestRestorableTime`: the commit time (epoch ms) of the newest
   * transaction a restore to the end of the archive ({@link restoreLatest}) brings back. Null
   * when {@link ClusterOptions.backups} is off, before the base backup exists, or while the
   * archive holds no commit.
   *
   * How: the archived segments are read record by record as recovery reads them (page headers,
   * `xl_prev` chain, CRC-32C; {@link WalArchiveReader}), and the value is the `xact_time` of the
   * last COMMIT record that is complete and valid; a record that continues into a segment not
   * yet archived does not count. Only the backup directory is read, so it also works once both
   * nodes are gone. Each call parses only the segments archived since the previous call.
   *
   * Error bound:
   * - The value is PostgreSQL's own commit timestamp (the server's clock, microseconds, rounded
   *   down to ms: at most 1 ms early, never late). That commit and every commit before it in WAL
   *   order are restored; no later one is. After the restore, the restored node's
   *   `pg_last_xact_replay_timestamp()` reports the same commit (the tests check it).
   * - "Committed at or before this time" implies "restored" exactly for commits that follow each
   *   other (one session, or transactions waiting on one another). A concurrent transaction can
   *   read the clock for its commit timestamp before the last archived commit did and insert its
   *   commit record after the archive's end: it is missing although its timestamp is not later.
   *   The window is the time between a backend reading the clock and inserting its commit record
   *   (microseconds; longer only if that backend is descheduled in between).
   * - It trails the primary's newest commit by up to `archiveTimeoutSeconds` plus the copy of one
   *   segment while the primary writes (that is the restore's data loss, as on RDS), and on an
   *   idle primary it stays at the last commit, which is then exact: there is nothing newer to
   *   restore. (RDS's value keeps advancing on an idle database; the restorable data is the same.)
   */
  latestRestorableTimeMs(): number | null {
    if (!this.backups || !this.baseBackup) return null;
    const { timeline, startSegment } = this.baseBackup;
    this.archiveReader ??= new WalArchiveReader(this.backupPaths().wal, {
      timeline,
      restoreStartSegment: startSegment,
    });
    return this.archiveReader.read().lastCommit?.commitTimeMs ?? null;
  }

  /**
   * Point-in-time recovery to the end of the archive into a new node `restored`, the local
   * analogue of RDS `RestoreDBInstanceToPointInTime` with `UseLatestRestorableTime` from the
   * replicated backups: copies the base backup to `<cluster dir>/restored/`, sets
   * `restore_command` (from `dr-backups/wal/`), `recovery_target_timeline = 'latest'`, no
   * target time, `recovery_target_action = 'promote'`, creates `recovery.signal`, starts it on a
   * free port and waits until `pg_is_in_recovery()` is false. Reads only the backup directory:
   * it works with both original nodes killed and their directories gone.
   *
   * The restored node carries everything the backups hold: roles (the monitor's, with its
   * password), the heartbeat table, the data up to {@link latestRestorableTimeMs}. It does not
   * archive (a new writer's backups are a new story). {@link destroy} stops and removes it.
   * The duration is in {@link lastRestore}.
   *
   * @param timeoutMs deadline for the whole restore (copy, replay, promotion).
   */
  async restoreLatest(timeoutMs = 60_000): Promise<PgNode> {
    if (!this.backups) {
      throw new Error(
        "restoreLatest() needs backups: start the cluster with startCluster({ backups: {} }) " +
          "(ClusterOptions.backups) so that the primary archives its WAL and a base backup is taken.",
      );
    }
    if (this.destroyed) throw new Error("the cluster is destroyed: nothing to restore from");
    if (this.states.restored) {
      throw new Error(
        `a restored node exists already (${this.states.restored.dataDir}); destroy the cluster first`,
      );
    }
    if (!this.baseBackup) throw new Error("no base backup was taken: the cluster did not finish starting");
    const startedAtMs = Date.now();
    const deadline = startedAtMs + timeoutMs;
    const latestRestorableTimeMs = this.latestRestorableTimeMs();
    const layout = this.backupPaths();
    const state: NodeState = {
      name: "restored",
      port: await freePort(),
      dataDir: path.join(this.rootDir, "restored"),
      logFile: path.join(this.rootDir, "restored.log"),
    };
    this.states.restored = state;
    const node = this.nodeView("restored");
    this.restoredView = node;
    this.log(`restoring ${layout.base} + ${layout.wal} into ${state.dataDir}`);
    // As the PostgreSQL user, so the copy is theirs (the base backup is, too).
    await this.run("cp", ["-a", layout.base, state.dataDir]);
    fs.appendFileSync(
      path.join(state.dataDir, "postgresql.conf"),
      [
        "",
        "# --- TapStack drill: point-in-time recovery from the DR backups ---",
        `restore_command = ${confQuote(restoreCommand(layout.wal))}`,
        "recovery_target_timeline = 'latest'",
        // No recovery_target_time: recover to the end of the archive (UseLatestRestorableTime).
        "recovery_target_action = 'promote'",
        "archive_mode = off",
        "",
      ].join("\n"),
    );
    this.writeOwned(path.join(state.dataDir, "recovery.signal"), "");
    this.spawnServer(state);
    // hot_standby: it accepts connections once consistent, while it still replays the archive.
    await this.waitUntilAccepting(node, "postgres", Math.max(0, deadline - Date.now()));
    await this.pollUntil(
      async () => !(await this.isInRecovery(node)),
      Math.max(0, deadline - Date.now()),
      `restored to replay the archive and promote (see ${state.logFile})`,
    );
    const lsn = await this.admin<{ lsn: string }>(node, "SELECT pg_current_wal_lsn()::text AS lsn");
    const finishedAtMs = Date.now();
    this.restoreRecord = {
      startedAtMs,
      finishedAtMs,
      durationMs: finishedAtMs - startedAtMs,
      latestRestorableTimeMs,
      promotedAtLsn: lsn[0].lsn,
    };
    this.log(`restored on ${HOST}:${state.port} in ${this.restoreRecord.durationMs} ms`);
    return node;
  }

  /**
   * Stops every process of `node`: resumed first (a frozen one cannot exit), an immediate shutdown
   * (SIGQUIT to the postmaster), SIGKILL if it has not exited within 10 s.
   */
  private async stopNode(node: PgNode): Promise<void> {
    const pids = this.processIds(node);
    if (pids.length === 0) return;
    signalAll([...pids].reverse(), "SIGCONT");
    signalAll([pids[0]], "SIGQUIT");
    try {
      await this.waitForExit(node, 10_000);
    } catch {
      signalAll(processIdsAgain(pids[0], pids), "SIGKILL");
      await this.waitForExit(node, 5_000);
    }
  }

  /**
   * Stops the restored node (immediate shutdown) and removes its data directory and log: the
   * local analogue of `DeleteDBInstance` with `SkipFinalSnapshot` and `DeleteAutomatedBackups`,
   * for the restore test, which tears its temporary instance down while the primary and the
   * replica keep running. A later {@link restoreLatest} may restore again. No-op without one.
   */
  async removeRestored(): Promise<void> {
    const state = this.states.restored;
    if (!state) return;
    await this.stopNode(this.nodeView("restored"));
    fs.rmSync(state.dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    fs.rmSync(state.logFile, { force: true });
    delete this.states.restored;
    this.restoredView = null;
    this.log("removed the restored node");
  }

  private async setUpPrimary(): Promise<void> {
    // Before anything else, so the slot keeps every WAL segment the replica will need.
    await this.admin(this.primary, `SELECT pg_create_physical_replication_slot('${REPLICATION_SLOT}', true)`);
    await this.admin(
      this.primary,
      `CREATE ROLE ${REPLICATION_USER} WITH LOGIN REPLICATION PASSWORD ${escapeLiteral(this.passwords.replication)}`,
    );
    await this.admin(this.primary, `CREATE DATABASE "${this.database}"`);
    const client = new Client(this.clientConfig(this.primary, "superuser"));
    await client.connect();
    try {
      await bootstrapMonitorRole(client, { monitorUser: this.monitorUser, iamAuth: false });
      // On RDS the monitor logs in with IAM tokens; here it gets a password.
      await client.query(
        `ALTER ROLE "${this.monitorUser}" PASSWORD ${escapeLiteral(this.passwords.monitor)}`,
      );
    } finally {
      await client.end();
    }
  }

  private async setDefaultReadOnly(node: PgNode, readOnly: boolean): Promise<void> {
    const statement = readOnly
      ? "ALTER SYSTEM SET default_transaction_read_only = on"
      : "ALTER SYSTEM RESET default_transaction_read_only";
    await this.admin(node, statement);
    await this.admin(node, "SELECT pg_reload_conf()");
    // The reload is asynchronous: wait until a fresh session sees the new default, so
    // nothing connects in between and still writes.
    const expected = readOnly ? "on" : "off";
    await this.pollUntil(
      async () => {
        const rows = await this.admin<{ value: string }>(
          node,
          "SELECT current_setting('default_transaction_read_only') AS value",
        );
        return rows[0].value === expected;
      },
      10_000,
      `${node.name} to report default_transaction_read_only = ${expected}`,
    );
    if (readOnly) {
      await this.admin(
        node,
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
      );
    }
  }

  /** The nodes that exist: primary, replica, and restored once {@link restoreLatest} made it. */
  private nodeNames(): NodeName[] {
    return this.states.restored ? ["primary", "replica", "restored"] : ["primary", "replica"];
  }

  private stateOf(name: NodeName): NodeState {
    const state = this.states[name];
    if (!state) throw new Error(`the cluster has no ${name} node (restoreLatest() makes it)`);
    return state;
  }

  private nodeView(name: NodeName): PgNode {
    const state = this.stateOf(name);
    return {
      name,
      host: HOST,
      port: state.port,
      dataDir: state.dataDir,
      logFile: state.logFile,
      get pid(): number | null {
        const child = state.child;
        return child && child.pid !== undefined && child.exitCode === null && child.signalCode === null
          ? child.pid
          : null;
      },
    };
  }

  private userName(user: ClusterUser): string {
    return user === "superuser" ? this.superuser : this.monitorUser;
  }

  /** Spawns the postmaster directly (not via `pg_ctl start`), so it is our child and gets reaped. */
  private spawnServer(state: NodeState): void {
    const logFd = fs.openSync(state.logFile, "a");
    try {
      const settings = [`cluster_name=${state.name}`, ...(state.settings ?? [])];
      const child = spawn(
        this.binaries.postgres,
        ["-D", state.dataDir, "-p", String(state.port), ...settings.flatMap((setting) => ["-c", setting])],
        { ...spawnIdentity(this.osUser), stdio: ["ignore", logFd, logFd] },
      );
      state.child = child;
      state.exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.on("error", (error) => this.log(`${state.name}: ${error.message}`));
    } finally {
      fs.closeSync(logFd);
    }
  }

  private async waitUntilAccepting(node: PgNode, database: string, timeoutMs: number): Promise<void> {
    await this.pollUntil(
      async () => {
        if (!this.isRunning(node)) {
          throw new Error(`${node.name} exited during startup:\n${tail(node.logFile)}`);
        }
        try {
          await this.query(node, "SELECT 1", [], database);
          return true;
        } catch {
          return false;
        }
      },
      timeoutMs,
      `${node.name} to accept connections on ${HOST}:${node.port}`,
    );
  }

  /** Waits until the postmaster and every child of `node` are gone. */
  private async waitForExit(node: PgNode, timeoutMs: number): Promise<void> {
    const state = this.stateOf(node.name);
    const pid = state.child?.pid;
    const children = pid === undefined ? [] : childPids(pid);
    await this.pollUntil(
      async () => !this.isRunning(node) && !children.some(isAlive),
      timeoutMs,
      `${node.name} (pid ${pid}) and its ${children.length} child processes to exit`,
    );
    await state.exited;
  }

  private async pollUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  /** Runs a program as the PostgreSQL user; rejects with its output when it fails. */
  private run(command: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        ...spawnIdentity(this.osUser),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        if (code === 0) resolve();
        else
          reject(
            new Error(`${path.basename(command)} ${args.join(" ")} exited with ${code}:\n${output.trim()}`),
          );
      });
    });
  }

  /** Writes a file the PostgreSQL user owns (we may be root). */
  private writeOwned(file: string, content: string): void {
    fs.writeFileSync(file, content, { mode: 0o600 });
    if (this.osUser.switchUser) fs.chownSync(file, this.osUser.uid, this.osUser.gid);
  }
}

/**
 * Builds a primary and a streaming replica in a fresh temporary directory on free loopback
 * ports and waits until the replica streams. On failure everything started is torn down
 * before the error is thrown; on process exit, SIGINT, SIGTERM or SIGHUP clusters that were
 * not destroyed are torn down synchronously.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const osUser = resolveOsUser();
  const binaries = resolveBinaries(osUser, options.binDir);
  // Say once per process why the binaries run from a temporary copy, and that it goes away.
  if (binaries.copyNote && !copyNoted) {
    copyNoted = true;
    (options.log ?? (() => undefined))(binaries.copyNote);
  }
  const database = options.database ?? "tapdb";
  const superuser = options.superuser ?? "drill";
  for (const [key, value] of Object.entries({ database, superuser })) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value)) {
      throw new RangeError(`${key}="${value}" is not a plain identifier: use a-z, 0-9 and _ (e.g. "tapdb")`);
    }
  }
  const backups = resolveBackupOptions(options.backups);
  const baseDir = options.baseDir ?? os.tmpdir();
  const rootDir = fs.mkdtempSync(path.join(baseDir, "tap-drill-"));
  if (osUser.switchUser) {
    fs.chownSync(rootDir, osUser.uid, osUser.gid);
    // The directory is the user's now; it can still be out of reach behind a parent that
    // only root may enter (e.g. a 0700 mkdtemp directory).
    if (spawnSync("test", ["-w", rootDir], spawnIdentity(osUser)).status !== 0) {
      fs.rmSync(rootDir, { recursive: true, force: true });
      throw new Error(
        `baseDir="${baseDir}" is not reachable by user "${osUser.name}", who runs PostgreSQL: ` +
          `give it and its parents search permission (chmod o+x) or leave baseDir unset (system temp directory).`,
      );
    }
  }
  const ports = { primary: await freePort(), replica: await freePort() };
  const cluster = new LocalCluster(
    rootDir,
    binaries,
    osUser,
    database,
    superuser,
    options.monitorUser ?? "tap_monitor",
    ports,
    options.log ?? (() => undefined),
    backups,
  );
  installExitHooks();
  liveClusters.add(cluster);
  try {
    await cluster.boot(options.startTimeoutMs ?? 30_000);
  } catch (error) {
    const logs = ["primary", "replica"]
      .map((name) => `--- ${name}.log ---\n${tail(path.join(rootDir, `${name}.log`))}`)
      .join("\n");
    await cluster.destroy();
    throw new Error(`local cluster failed to start: ${(error as Error).message}\n${logs}`, { cause: error });
  }
  return cluster;
}

/** {@link ClusterOptions.backups} with defaults; throws a RangeError naming the bad value. */
function resolveBackupOptions(backups: BackupOptions | undefined): Required<BackupOptions> | null {
  if (!backups) return null;
  const archiveTimeoutSeconds = backups.archiveTimeoutSeconds ?? 1;
  if (!Number.isInteger(archiveTimeoutSeconds) || archiveTimeoutSeconds < 1 || archiveTimeoutSeconds > 3600) {
    throw new RangeError(
      `backups.archiveTimeoutSeconds=${archiveTimeoutSeconds} is out of range: use whole seconds from 1 to 3600 (default 1)`,
    );
  }
  return { archiveTimeoutSeconds };
}

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function randomPassword(): string {
  return crypto.randomBytes(18).toString("base64url");
}

/** Direct children of `parentPid`, from /proc (PostgreSQL's children all hang off the postmaster). */
export function childPids(parentPid: number): number[] {
  const result: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat && stat.ppid === parentPid && stat.state !== "Z") result.push(Number(entry));
  }
  return result;
}

/** The postmaster's current children plus those known before (it may have forked meanwhile). */
function processIdsAgain(postmaster: number, known: number[]): number[] {
  return [...new Set([...known, ...childPids(postmaster)])];
}

/** True when `pid` exists and is not a zombie (a zombie has exited and only awaits reaping). */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.state !== "X";
}

/** True while `pid` is stopped by a signal (state T). */
function isStopped(pid: number): boolean {
  return readStat(pid)?.state === "T";
}

function readStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}
