/**
 * The local cluster on real PostgreSQL 14: topology, replication, fault injection, promotion,
 * and teardown that leaves no process and no directory behind.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { isAlive, startCluster, WAL_SEGMENT_MB } from "../../lib/drill/cluster";
import { sleep, useCluster } from "../support/pg-cluster";

/** Pids of live processes whose command line names `text` (PostgreSQL runs with `-D <its data dir>`). */
function processesMentioning(text: string): number[] {
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text);
      } catch {
        return false; // ended meanwhile
      }
    })
    .map(Number)
    .filter(isAlive);
}

const pg = useCluster();

/** `/proc/<pid>/status` fields; undefined once the process is gone (a session's backend exits). */
function procStatus(pid: number): { state: string; uid: number } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const state = /^State:\s+(\S)/m.exec(text)?.[1] ?? "?";
  const uid = Number(/^Uid:\s+(\d+)/m.exec(text)?.[1]);
  return { state, uid };
}

/** The SQLSTATE a statement fails with on a fresh connection, or "ok". */
async function sqlstate(
  config: ReturnType<ReturnType<typeof pg>["clientConfig"]>,
  sql: string,
): Promise<string> {
  const client = new Client(config);
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(sql);
    return "ok";
  } catch (error) {
    return (error as { code: string }).code;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe("startCluster", () => {
  it("runs a primary and a streaming replica on distinct loopback ports, in its own directory", async () => {
    const { primary, replica, rootDir } = pg();
    expect([primary.host, replica.host]).toEqual(["127.0.0.1", "127.0.0.1"]);
    expect(primary.port).not.toBe(replica.port);
    expect(primary.dataDir).toBe(path.join(rootDir, "primary"));
    expect(replica.dataDir).toBe(path.join(rootDir, "replica"));
    expect(await pg().isInRecovery(primary)).toBe(false);
    expect(await pg().isInRecovery(replica)).toBe(true);
    const streaming = await pg().query(
      primary,
      "SELECT application_name, state, sync_state FROM pg_stat_replication",
    );
    expect(streaming).toEqual([{ application_name: "replica", state: "streaming", sync_state: "async" }]);
    const slots = await pg().query(primary, "SELECT slot_name, slot_type, active FROM pg_replication_slots");
    expect(slots).toEqual([{ slot_name: "replica_slot", slot_type: "physical", active: true }]);
  });

  it("runs every server process as the unprivileged user, never as root", () => {
    const { osUser } = pg();
    for (const node of [pg().primary, pg().replica]) {
      const pids = pg().processIds(node);
      expect(pids.length).toBeGreaterThan(3); // postmaster, checkpointer, walwriter, …
      // A backend of the previous test's session may exit between listing and reading.
      const uids = pids.flatMap((pid) => procStatus(pid)?.uid ?? []);
      expect(uids.length).toBeGreaterThan(3);
      expect(new Set(uids)).toEqual(new Set([osUser.uid]));
      expect(fs.statSync(node.dataDir).uid).toBe(osUser.uid);
    }
    if (process.getuid?.() === 0) expect(osUser.uid).not.toBe(0);
  });

  it("applies the drill settings", async () => {
    const rows = await pg().query<{ name: string; setting: string }>(
      pg().primary,
      `SELECT name, setting FROM pg_settings
       WHERE name IN ('wal_level', 'synchronous_commit', 'fsync', 'listen_addresses', 'hot_standby', 'cluster_name',
                      'dynamic_shared_memory_type', 'wal_segment_size')
       ORDER BY name`,
    );
    // mmap: dynamic shared memory lives in the data directory, which the teardown removes, not in
    // /dev/shm, where a node killed with SIGKILL would leave it.
    expect(rows).toEqual([
      { name: "cluster_name", setting: "primary" },
      { name: "dynamic_shared_memory_type", setting: "mmap" },
      { name: "fsync", setting: "off" },
      { name: "hot_standby", setting: "on" },
      { name: "listen_addresses", setting: "127.0.0.1" },
      { name: "synchronous_commit", setting: "local" },
      { name: "wal_level", setting: "replica" },
      { name: "wal_segment_size", setting: String(WAL_SEGMENT_MB * 1024 * 1024) },
    ]);
  });

  it("accepts the superuser and the monitor with SCRAM passwords, via connection strings too", async () => {
    const client = new Client({ connectionString: pg().connectionString(pg().replica, "monitor") });
    await client.connect();
    const { rows } = await client.query("SELECT current_user AS me, current_database() AS db");
    await client.end();
    expect(rows).toEqual([{ me: "tap_monitor", db: "tapdb" }]);
    const hba = await pg().query(pg().primary, "SELECT DISTINCT auth_method FROM pg_hba_file_rules");
    expect(hba).toEqual([{ auth_method: "scram-sha-256" }]);
  });
});

describe("monitorProbeConfig", () => {
  it("sends the monitor to the primary through the monitor path and to the replica directly", () => {
    const config = pg().monitorProbeConfig();
    expect(config).toMatchObject({
      primary: { host: "127.0.0.1", port: pg().monitorPath.port },
      replica: { host: "127.0.0.1", port: pg().replica.port },
      database: "tapdb",
      user: "tap_monitor",
      ssl: false,
    });
    expect(config.primary.port).not.toBe(pg().primary.port);
  });
});

describe("replication and fault injection", () => {
  it("replicates writes from the primary to the replica", async () => {
    await pg().query(pg().primary, "CREATE TABLE orders (id int PRIMARY KEY, amount numeric)");
    await pg().query(pg().primary, "INSERT INTO orders VALUES (1, 10.50), (2, 20.00)");
    await pg().waitForReplication();
    const rows = await pg().query(pg().replica, "SELECT id, amount FROM orders ORDER BY id");
    expect(rows).toEqual([
      { id: 1, amount: "10.50" },
      { id: 2, amount: "20.00" },
    ]);
  });

  it("pauseReplay holds new writes back from the replica until resumeReplay", async () => {
    await pg().pauseReplay();
    try {
      await pg().query(pg().primary, "INSERT INTO orders VALUES (3, 30.00)");
      await expect(pg().waitForReplication(300)).rejects.toThrow(
        "timed out after 300 ms waiting for replica",
      );
      expect(await pg().query(pg().replica, "SELECT id FROM orders WHERE id = 3")).toEqual([]);
    } finally {
      await pg().resumeReplay();
    }
    await pg().waitForReplication();
    expect(await pg().query(pg().replica, "SELECT id FROM orders WHERE id = 3")).toEqual([{ id: 3 }]);
  });

  it("the replica refuses writes (SQLSTATE 25006)", async () => {
    expect(await sqlstate(pg().clientConfig(pg().replica), "INSERT INTO orders VALUES (9, 1)")).toBe("25006");
  });

  it("setReadOnly fences the primary: sessions are ended, new writes refused; clearReadOnly undoes it", async () => {
    const session = new Client(pg().clientConfig(pg().primary));
    session.on("error", () => undefined);
    await session.connect();
    const sessionEnded = new Promise<void>((resolve) => session.once("end", () => resolve()));
    await pg().setReadOnly(pg().primary);
    try {
      await sessionEnded;
      expect(await sqlstate(pg().clientConfig(pg().primary), "INSERT INTO orders VALUES (4, 1)")).toBe(
        "25006",
      );
    } finally {
      await pg().clearReadOnly(pg().primary);
    }
    expect(await sqlstate(pg().clientConfig(pg().primary), "INSERT INTO orders VALUES (4, 1)")).toBe("ok");
  });

  it("SIGSTOP freezes every process of the node; SIGCONT resumes them", async () => {
    const pids = pg().processIds(pg().replica);
    await pg().kill(pg().replica, "SIGSTOP");
    try {
      const states = pids.flatMap((pid) => procStatus(pid)?.state ?? []);
      expect(states.length).toBeGreaterThan(3);
      expect(new Set(states)).toEqual(new Set(["T"]));
    } finally {
      await pg().kill(pg().replica, "SIGCONT");
    }
    expect(pids.flatMap((pid) => procStatus(pid)?.state ?? []).filter((state) => state === "T")).toEqual([]);
  });

  it("stopImmediate stops a node; start brings it back, replicating again", async () => {
    await pg().stopImmediate(pg().replica);
    expect(pg().replica.pid).toBeNull();
    expect(pg().isRunning(pg().replica)).toBe(false);
    await pg().query(pg().primary, "INSERT INTO orders VALUES (5, 50.00)");
    await pg().start(pg().replica);
    await pg().waitForReplication();
    expect(await pg().query(pg().replica, "SELECT id FROM orders WHERE id = 5")).toEqual([{ id: 5 }]);
  });

  it("SIGKILL crashes the primary: every process of it is gone, the port refuses; start recovers it", async () => {
    const pids = pg().processIds(pg().primary);
    await pg().kill(pg().primary, "SIGKILL");
    expect(pids.filter(isAlive)).toEqual([]);
    expect(pg().primary.pid).toBeNull();
    expect(await sqlstate(pg().clientConfig(pg().replica), "SELECT 1")).toBe("ok");
    await expect(new Client(pg().clientConfig(pg().primary)).connect()).rejects.toMatchObject({
      code: "ECONNREFUSED",
    });
    await pg().start(pg().primary);
    // Crash recovery replays the WAL: committed rows survive.
    expect(await pg().query(pg().primary, "SELECT count(*)::int AS n FROM orders")).toEqual([{ n: 5 }]);
  });

  it("kill on a stopped node says so", async () => {
    await pg().stopImmediate(pg().replica);
    await expect(pg().kill(pg().replica, "SIGSTOP")).rejects.toThrow(
      "replica is not running: nothing to send SIGSTOP to",
    );
    await pg().start(pg().replica);
  });

  it("promote turns the replica into a writable primary; promoting again is a no-op", async () => {
    await pg().waitForReplication();
    await pg().kill(pg().primary, "SIGKILL");
    await pg().promote(pg().replica);
    expect(await pg().isInRecovery(pg().replica)).toBe(false);
    expect(await sqlstate(pg().clientConfig(pg().replica), "INSERT INTO orders VALUES (6, 60.00)")).toBe(
      "ok",
    );
    await pg().promote(pg().replica);
    expect(await pg().query(pg().replica, "SELECT count(*)::int AS n FROM orders")).toEqual([{ n: 6 }]);
  });
});

describe("teardown", () => {
  it("destroy stops every process (a frozen one too) and removes the directory; a second call is a no-op", async () => {
    const cluster = await startCluster();
    await cluster.kill(cluster.replica, "SIGSTOP");
    const pids = [...cluster.processIds(cluster.primary), ...cluster.processIds(cluster.replica)];
    expect(pids.length).toBeGreaterThan(8);
    await cluster.destroy();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(fs.existsSync(cluster.rootDir)).toBe(false);
    await cluster.destroy();
  });

  it("a cluster that fails to start tears down what it started and shows the server logs", async () => {
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-cluster-fail-"));
    fs.chmodSync(baseDir, 0o755);
    try {
      // 1 ms is too short for the boot: which of its phases runs out first depends on how busy
      // the machine is, so the test asserts the invariant, not the phase.
      const error = await startCluster({ baseDir, startTimeoutMs: 1 }).then(
        () => new Error("the cluster started within 1 ms"),
        (e: unknown) => e as Error,
      );
      expect(error.message).toMatch(
        /^local cluster failed to start: timed out after 1 ms waiting for (primary|replica) [^\n]+\n--- primary\.log ---\n[\s\S]*--- replica\.log ---/,
      );
      // Everything started is torn down: no directory and no process that runs in it.
      expect(fs.readdirSync(baseDir)).toEqual([]);
      expect(processesMentioning(baseDir)).toEqual([]);
    } finally {
      fs.rmSync(baseDir, { recursive: true, force: true });
    }
  });

  it("refuses a baseDir the PostgreSQL user cannot reach, leaving nothing behind", async () => {
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-cluster-locked-"));
    try {
      const attempt = startCluster({ baseDir });
      if (pg().osUser.switchUser) {
        // mkdtemp made it 0700 and root-owned: nobody cannot enter it.
        await expect(attempt).rejects.toThrow(
          `baseDir="${baseDir}" is not reachable by user "nobody", who runs PostgreSQL: give it and its ` +
            "parents search permission (chmod o+x) or leave baseDir unset (system temp directory).",
        );
      } else {
        // Not root: PostgreSQL runs as the owner of the directory, which can always reach it.
        await (await attempt).destroy();
      }
      expect(fs.readdirSync(baseDir)).toEqual([]);
    } finally {
      fs.rmSync(baseDir, { recursive: true, force: true });
    }
  });

  it("refuses a database name that is not a plain identifier", async () => {
    await expect(startCluster({ database: "my-db" })).rejects.toThrow(
      'database="my-db" is not a plain identifier: use a-z, 0-9 and _ (e.g. "tapdb")',
    );
  });

  const tsx = path.join(__dirname, "..", "..", "node_modules", ".bin", "tsx");
  const child = path.join(__dirname, "..", "support", "cluster-child.ts");

  /** Starts the child, waits for its report, optionally signals it, and waits for it to end. */
  async function runChild(
    mode: string,
    signal?: NodeJS.Signals,
  ): Promise<{ rootDir: string; pids: number[]; stderr: string }> {
    // stderr is captured, not shown: the "throw" child's stack trace is deliberate.
    const proc = spawn(tsx, [child, mode], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    const report = await new Promise<string>((resolve, reject) => {
      let out = "";
      proc.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      proc.once("exit", (code) =>
        reject(new Error(`child exited with ${code} before reporting: ${out}\n${stderr}`)),
      );
    });
    if (signal) {
      await sleep(100);
      proc.kill(signal);
    }
    await exited;
    return { ...(JSON.parse(report) as { rootDir: string; pids: number[] }), stderr };
  }

  it.each([
    ["process.exit", "exit", undefined],
    ["an uncaught exception", "throw", undefined],
    ["SIGTERM", "wait", "SIGTERM"],
    ["SIGINT", "wait", "SIGINT"],
  ] as const)(
    "a process that ends by %s without destroy() leaves no server process and no directory",
    async (_name, mode, signal) => {
      const { rootDir, pids, stderr } = await runChild(mode, signal);
      expect(stderr.includes("Error: crash without destroy()")).toBe(mode === "throw");
      expect(pids.length).toBeGreaterThan(8);
      expect(pids.filter(isAlive)).toEqual([]);
      expect(fs.existsSync(rootDir)).toBe(false);
    },
    60_000,
  );
});
