/**
 * Point-in-time recovery from the DR backups on real PostgreSQL 14, the "region-lost" scenario:
 * the primary archives its WAL into `dr-backups/`, both nodes are SIGKILLed and their data
 * directories removed, and `restoreLatest()` builds a new writer from the backups alone.
 *
 * What a restore brings back is asserted as an invariant, row by row: a row is restored exactly
 * when its transaction's COMMIT record is in the archive (read from the archive's files, by
 * transaction id), never because of how long anything took. The archive and restore commands
 * are also run on their own, through the shell as PostgreSQL runs them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { isAlive, startCluster, type LocalCluster, type PgNode } from "../../lib/drill/cluster";
import { archiveCommand, crc32c, restoreCommand, WalArchiveReader } from "../../lib/drill/pitr";
import { UPSERT_HEARTBEAT_SQL } from "../../lib/lambda/adapters/postgres/heartbeat";
import { CLUSTER_START_TIMEOUT_MS, sleep } from "../support/pg-cluster";

/** Runs an archive or restore command as PostgreSQL would: `%p`, `%f`, `%%` expanded, `sh -c`, in `cwd`. */
function runCommand(
  command: string,
  cwd: string,
  p: string,
  f: string,
): { status: number | null; output: string } {
  const expanded = command.replace(/%([pf%])/g, (_all, key: string) =>
    key === "p" ? p : key === "f" ? f : "%",
  );
  const result = spawnSync("sh", ["-c", expanded], { cwd, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Polls `check` every 50 ms; throws after `timeoutMs` (a guard against hanging, not a speed assertion). */
async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe("archiveCommand and restoreCommand", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-pitr-commands-"));
    fs.mkdirSync(path.join(dir, "data", "pg_wal"), { recursive: true });
    // A space, a quote and a "%f" in the archive path: quoted for the shell, % escaped.
    fs.mkdirSync(path.join(dir, "dr backups's %f wal"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("ships a segment under its own name, accepts an identical re-archive, refuses to overwrite a different file", () => {
    const wal = path.join(dir, "dr backups's %f wal");
    const data = path.join(dir, "data");
    const segment = "000000010000000000000007";
    fs.writeFileSync(path.join(data, "pg_wal", segment), "first");
    const archive = (): { status: number | null; output: string } =>
      runCommand(archiveCommand(wal), data, `pg_wal/${segment}`, segment);

    expect(archive()).toEqual({ status: 0, output: "" });
    expect(fs.readdirSync(wal)).toEqual([segment]); // no temporary file left behind
    expect(fs.readFileSync(path.join(wal, segment), "utf8")).toBe("first");
    // The archiver retries a segment whose success it never learnt of: same content is success.
    expect(archive().status).toBe(0);
    // A different segment under the same name (another cluster, a reused directory) is refused,
    // so the archiver keeps it in pg_wal and retries, and the archived copy stays intact.
    fs.writeFileSync(path.join(data, "pg_wal", segment), "second");
    expect(archive().status).not.toBe(0);
    expect(fs.readFileSync(path.join(wal, segment), "utf8")).toBe("first");
  });

  it("restores a file from the archive, and exits 1 quietly for one the archive does not hold", () => {
    const wal = path.join(dir, "dr backups's %f wal");
    const data = path.join(dir, "data");
    fs.writeFileSync(path.join(wal, "000000010000000000000003"), "wal bytes");
    const restore = (name: string): { status: number | null; output: string } =>
      runCommand(restoreCommand(wal), data, "pg_wal/RECOVERYXLOG", name);

    expect(restore("000000010000000000000003")).toEqual({ status: 0, output: "" });
    expect(fs.readFileSync(path.join(data, "pg_wal", "RECOVERYXLOG"), "utf8")).toBe("wal bytes");
    expect(restore("00000002.history")).toEqual({ status: 1, output: "" });
  });

  it("WAL records are checked with CRC-32C (Castagnoli)", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283);
  });
});

describe("startCluster({ backups })", () => {
  it.each([0, 1.5, 3601])("refuses archiveTimeoutSeconds=%p, naming the option", async (value) => {
    await expect(startCluster({ backups: { archiveTimeoutSeconds: value } })).rejects.toThrow(
      `backups.archiveTimeoutSeconds=${value} is out of range: use whole seconds from 1 to 3600 (default 1)`,
    );
  });
});

interface AckedRow {
  readonly seq: number;
  /** The transaction id (32 bits, as in the WAL's commit record). */
  readonly xid: number;
  /** When the client had the commit's acknowledgement (epoch ms, the same clock as PostgreSQL's). */
  readonly ackedAtMs: number;
}

/**
 * One session committing numbered rows, one INSERT per transaction, each recording its own
 * transaction id; stops at the first error (the crash). A row whose statement was sent but never
 * acknowledged is "in doubt": it may or may not have committed.
 */
class Writer {
  readonly acked: AckedRow[] = [];
  inDoubt: number | null = null;
  readonly done: Promise<void>;

  constructor(client: Client) {
    this.done = (async () => {
      for (let seq = 1; ; seq++) {
        try {
          const result = await client.query<{ xid: string }>(
            "INSERT INTO dr_rows (seq, xid) VALUES ($1, txid_current()) RETURNING xid::text",
            [seq],
          );
          this.acked.push({
            seq,
            xid: Number(BigInt(result.rows[0].xid) % 2n ** 32n),
            ackedAtMs: Date.now(),
          });
        } catch {
          this.inDoubt = seq;
          return;
        }
        await sleep(1); // a steady load, not a busy loop on a shared machine
      }
    })();
  }
}

describe("restoreLatest after the primary and the replica are lost together", () => {
  let cluster: LocalCluster;
  let restored: PgNode;
  beforeAll(async () => {
    cluster = await startCluster({ backups: {} });
  }, CLUSTER_START_TIMEOUT_MS);
  afterAll(async () => {
    await cluster?.destroy();
  }, CLUSTER_START_TIMEOUT_MS);

  it("restores exactly the commits the archive holds: all before the latest restorable time, only unarchived ones missing", async () => {
    const { primary, replica } = cluster;
    expect(cluster.baseBackup).toMatchObject({
      timeline: 1,
      startSegment: expect.stringMatching(/^00000001/),
    });
    const settings = await cluster.query(
      primary,
      "SELECT name, setting FROM pg_settings WHERE name IN ('archive_mode', 'archive_timeout') ORDER BY name",
    );
    expect(settings).toEqual([
      { name: "archive_mode", setting: "on" },
      { name: "archive_timeout", setting: "1" },
    ]);
    // Only the primary archives: the replica and any node built from the backup do not.
    expect(await cluster.query(replica, "SHOW archive_mode")).toEqual([{ archive_mode: "off" }]);

    await cluster.query(primary, "CREATE TABLE dr_rows (seq int PRIMARY KEY, xid bigint NOT NULL)");
    const client = new Client(cluster.clientConfig(primary));
    client.on("error", () => undefined);
    await client.connect();
    const writer = new Writer(client);

    // A first batch, acknowledged; then the archive must come to cover it (under load, a segment
    // is shipped at least every archive_timeout).
    await waitFor("200 acknowledged commits", () => writer.acked.length >= 200);
    const firstBatch = [...writer.acked];
    const firstBatchAckedAtMs = firstBatch[firstBatch.length - 1].ackedAtMs;
    await waitFor(
      "latestRestorableTimeMs() to pass the first batch",
      () => (cluster.latestRestorableTimeMs() ?? 0) >= firstBatchAckedAtMs,
    );
    // More writes, then the region is lost: both nodes killed at once, their storage gone.
    const written = writer.acked.length;
    await waitFor("200 more acknowledged commits", () => writer.acked.length >= written + 200);
    await Promise.all([cluster.kill(primary, "SIGKILL"), cluster.kill(replica, "SIGKILL")]);
    await writer.done;
    await client.end().catch(() => undefined);
    fs.rmSync(primary.dataDir, { recursive: true });
    fs.rmSync(replica.dataDir, { recursive: true });

    const latestRestorableTimeMs = cluster.latestRestorableTimeMs();
    // What the archive holds, read from its files: the transaction ids of its COMMIT records.
    const archivedXids = new Set<number>();
    const archive = new WalArchiveReader(cluster.backupPaths().wal, {
      restoreStartSegment: cluster.baseBackup?.startSegment,
      onCommit: (commit) => archivedXids.add(commit.xid),
    }).read();
    expect(archive.invalidWal).toBeNull();
    expect(archive.lastCommit?.commitTimeMs).toBe(latestRestorableTimeMs);
    expect(latestRestorableTimeMs).toBeGreaterThanOrEqual(firstBatchAckedAtMs);

    restored = await cluster.restoreLatest(60_000);
    expect(restored).toMatchObject({ name: "restored", host: "127.0.0.1" });
    expect(restored.dataDir).toBe(path.join(cluster.rootDir, "restored"));
    expect(cluster.lastRestore).toMatchObject({ latestRestorableTimeMs });
    expect(cluster.lastRestore?.durationMs).toBeGreaterThan(0);
    // PostgreSQL's own account of the recovery agrees: the last transaction it replayed (kept
    // after the promotion) committed at the latest restorable time.
    const replayed = await cluster.query<{ ms: string }>(
      restored,
      "SELECT floor(extract(epoch FROM pg_last_xact_replay_timestamp()) * 1000)::bigint::text AS ms",
    );
    expect(Number(replayed[0].ms)).toBe(latestRestorableTimeMs);

    const rows = await cluster.query<{ seq: number; xid: string }>(
      restored,
      "SELECT seq, xid::text FROM dr_rows ORDER BY seq",
    );
    const present = new Map(rows.map((row) => [row.seq, Number(row.xid)]));
    const acked = writer.acked;
    // Nothing restored that was never written; an in-doubt row only if its commit was archived.
    for (const [seq, xid] of present) {
      if (seq === writer.inDoubt) expect(archivedXids.has(xid)).toBe(true);
      else expect(acked[seq - 1]).toEqual(expect.objectContaining({ seq, xid }));
    }
    // Every acknowledged commit up to the latest restorable time is back (one session: commit
    // order is time order), the first batch among them.
    const lrt = latestRestorableTimeMs as number;
    expect(acked.filter((row) => row.ackedAtMs <= lrt && !present.has(row.seq))).toEqual([]);
    expect(firstBatch.filter((row) => !present.has(row.seq))).toEqual([]);
    // A row is restored exactly when its COMMIT record was archived: the missing ones are the
    // commits after the last archived segment, all of them later than every restored row.
    expect(acked.filter((row) => present.has(row.seq) !== archivedXids.has(row.xid))).toEqual([]);
    const missing = acked.filter((row) => !present.has(row.seq));
    const restoredAcked = acked.filter((row) => present.has(row.seq));
    expect(restoredAcked.map((row) => row.seq)).toEqual(
      acked.slice(0, restoredAcked.length).map((row) => row.seq),
    );
    expect(missing.every((row) => row.ackedAtMs > lrt)).toBe(true);

    // A writable primary on a new timeline.
    expect(await cluster.isInRecovery(restored)).toBe(false);
    await cluster.query(restored, "INSERT INTO dr_rows (seq, xid) VALUES (0, txid_current())");
    expect(await cluster.query(restored, "SELECT count(*)::int AS n FROM dr_rows WHERE seq = 0")).toEqual([
      { n: 1 },
    ]);

    // The monitor's role and heartbeat table came with the backup: it logs in and beats.
    const monitor = new Client(cluster.clientConfig(restored, "monitor"));
    await monitor.connect();
    try {
      const me = await monitor.query("SELECT current_user AS me");
      expect(me.rows).toEqual([{ me: "tap_monitor" }]);
      await monitor.query(UPSERT_HEARTBEAT_SQL, ["restore-check"]);
    } finally {
      await monitor.end();
    }
  });

  it("destroy() stops the restored node too and leaves no process and no directory", async () => {
    const pids = cluster.processIds(restored);
    expect(pids.length).toBeGreaterThan(3); // postmaster, checkpointer, walwriter, …
    await cluster.destroy();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(cluster.isRunning(restored)).toBe(false);
    expect(fs.existsSync(cluster.rootDir)).toBe(false);
  });
});

describe("removeRestored: the restore test's teardown while the cluster keeps running", () => {
  it(
    "stops the restored node and removes its directory; the primary still writes; a second restore works",
    async () => {
      const cluster = await startCluster({ backups: { archiveTimeoutSeconds: 1 } });
      try {
        await cluster.query(cluster.primary, "CREATE TABLE t (n int)");
        await cluster.query(cluster.primary, "INSERT INTO t VALUES (1)");
        await waitFor("the insert to be archived", () => cluster.latestRestorableTimeMs() !== null);
        const restored = await cluster.restoreLatest(60_000);
        const pids = cluster.processIds(restored);
        const dataDir = restored.dataDir;
        expect(pids.length).toBeGreaterThan(0);
        await cluster.removeRestored();
        expect(pids.filter(isAlive)).toEqual([]);
        expect(fs.existsSync(dataDir)).toBe(false);
        expect(cluster.restored).toBeNull();
        // The live cluster was not touched: the primary takes writes, the replica still runs.
        await cluster.query(cluster.primary, "INSERT INTO t VALUES (2)");
        expect(cluster.isRunning(cluster.replica)).toBe(true);
        const again = await cluster.restoreLatest(60_000);
        expect(cluster.isRunning(again)).toBe(true);
        await cluster.removeRestored();
        await cluster.removeRestored(); // nothing left: a no-op
      } finally {
        await cluster.destroy();
      }
    },
    CLUSTER_START_TIMEOUT_MS + 120_000,
  );
});

describe("restoreLatest without backups", () => {
  it("fails with an error naming ClusterOptions.backups; there is no latest restorable time", async () => {
    const cluster = await startCluster();
    try {
      expect(cluster.latestRestorableTimeMs()).toBeNull();
      await expect(cluster.restoreLatest()).rejects.toThrow(
        "restoreLatest() needs backups: start the cluster with startCluster({ backups: {} }) " +
          "(ClusterOptions.backups) so that the primary archives its WAL and a base backup is taken.",
      );
      expect(cluster.restored).toBeNull();
      expect(fs.existsSync(cluster.backupPaths().root)).toBe(false);
    } finally {
      await cluster.destroy();
    }
  });
});
