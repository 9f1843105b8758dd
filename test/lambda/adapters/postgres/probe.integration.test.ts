/**
 * PgDatabaseProbe against a real PostgreSQL 14 primary + streaming replica.
 */
import { freePort } from "../../../../lib/drill/cluster";
import { ConfigurationError } from "../../../../lib/lambda/core/errors";
import { PgDatabaseProbe, type PgProbeConfig } from "../../../../lib/lambda/adapters/postgres/probe";
import { sleep, useCluster } from "../../../support/pg-cluster";

const pg = useCluster();
const TIMEOUT_MS = 3000;

/** The monitor's own configuration, with parts replaced for one situation. */
function probeWith(overrides: Partial<PgProbeConfig> = {}): PgDatabaseProbe {
  return new PgDatabaseProbe({ ...pg().monitorProbeConfig(), ...overrides });
}

/** Sessions the probe left open on `node` (its application_name is `tap-<source>`). */
async function openProbeSessions(port: number): Promise<number> {
  const node = port === pg().replica.port ? pg().replica : pg().primary;
  const rows = await pg().query<{ n: string }>(
    node,
    "SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name LIKE 'tap-health-monitor%'",
  );
  return Number(rows[0].n);
}

/** Backends exit asynchronously after the client hangs up: poll briefly. */
async function expectNoProbeSessions(port: number): Promise<void> {
  for (let i = 0; i < 100 && (await openProbeSessions(port)) > 0; i++) await sleep(50);
  expect(await openProbeSessions(port)).toBe(0);
}

describe("PgDatabaseProbe.probePrimary", () => {
  it("ok: connects, SELECT 1, writes the heartbeat with the primary's clock, closes the connection", async () => {
    const before = await pg().query<{ now: Date }>(pg().primary, "SELECT clock_timestamp() AS now");
    const result = await probeWith({ nowMs: () => 1_700_000_000_000 }).probePrimary(TIMEOUT_MS);
    const after = await pg().query<{ now: Date }>(pg().primary, "SELECT clock_timestamp() AS now");

    expect(result).toEqual({
      target: "primary",
      atMs: 1_700_000_000_000,
      outcome: "ok",
      latencyMs: expect.any(Number),
    });
    const rows = await pg().query<{ source: string; beat_at: Date }>(
      pg().primary,
      "SELECT source, beat_at FROM tap_dr.heartbeat WHERE source = 'health-monitor'",
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].beat_at.getTime()).toBeGreaterThanOrEqual(before[0].now.getTime());
    expect(rows[0].beat_at.getTime()).toBeLessThanOrEqual(after[0].now.getTime());
    await expectNoProbeSessions(pg().primary.port);
  });

  it("ok: a custom heartbeat source writes its own row", async () => {
    await probeWith({ heartbeatSource: "drill-check" }).probePrimary(TIMEOUT_MS);
    const rows = await pg().query<{ source: string }>(
      pg().primary,
      "SELECT source FROM tap_dr.heartbeat ORDER BY source",
    );
    expect(rows.map((row) => row.source)).toEqual(["drill-check", "health-monitor"]);
  });

  it("unreachable: nothing listens on the port", async () => {
    const closedPort = await freePort();
    const result = await probeWith({ primary: { host: "127.0.0.1", port: closedPort } }).probePrimary(
      TIMEOUT_MS,
    );
    expect(result.outcome).toBe("unreachable");
    expect(result.detail).toBe(`ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${closedPort}`);
  });

  it("auth-failed: wrong password (SQLSTATE 28P01)", async () => {
    const result = await probeWith({ password: async () => "not-the-password" }).probePrimary(TIMEOUT_MS);
    expect(result.outcome).toBe("auth-failed");
    expect(result.detail).toBe('SQLSTATE 28P01: password authentication failed for user "tap_monitor"');
  });

  it("auth-failed: the role does not exist (SCRAM reports it as a failed password, SQLSTATE 28P01)", async () => {
    const result = await probeWith({ user: "no_such_role" }).probePrimary(TIMEOUT_MS);
    // PostgreSQL runs a mock SCRAM exchange for unknown roles, so it does not reveal which roles exist.
    expect(result).toMatchObject({
      outcome: "auth-failed",
      detail: 'SQLSTATE 28P01: password authentication failed for user "no_such_role"',
    });
  });

  it("read-only: the 'primary' endpoint is a standby (SQLSTATE 25006)", async () => {
    const replica = pg().replica;
    const result = await probeWith({ primary: { host: replica.host, port: replica.port } }).probePrimary(
      TIMEOUT_MS,
    );
    expect(result.outcome).toBe("read-only");
    expect(result.detail).toBe("SQLSTATE 25006: cannot execute INSERT in a read-only transaction");
  });

  it("read-only: a fenced primary (default_transaction_read_only), ok again once unfenced", async () => {
    await pg().setReadOnly(pg().primary);
    try {
      const fenced = await probeWith().probePrimary(TIMEOUT_MS);
      expect(fenced.outcome).toBe("read-only");
      expect(fenced.detail).toBe("SQLSTATE 25006: cannot execute INSERT in a read-only transaction");
    } finally {
      await pg().clearReadOnly(pg().primary);
    }
    expect((await probeWith().probePrimary(TIMEOUT_MS)).outcome).toBe("ok");
  });

  it("error: any other server error carries its SQLSTATE and message", async () => {
    const result = await probeWith({ database: "no_such_db" }).probePrimary(TIMEOUT_MS);
    expect(result.outcome).toBe("error");
    expect(result.detail).toBe('SQLSTATE 3D000: database "no_such_db" does not exist');
  });

  it("error: a failing password provider (e.g. IAM token signing) is a result, not an exception", async () => {
    const result = await probeWith({
      password: async () => {
        throw new Error("Could not load credentials from any providers");
      },
    }).probePrimary(TIMEOUT_MS);
    expect(result).toMatchObject({
      outcome: "error",
      detail: "Could not load credentials from any providers",
    });
  });

  it("timeout: a password provider that never answers (IAM signing stuck) is cut off at the deadline", async () => {
    const result = await probeWith({ password: () => new Promise<string>(() => undefined) }).probePrimary(
      300,
    );
    expect(result.outcome).toBe("timeout");
    expect(result.latencyMs).toBeGreaterThanOrEqual(300);
  });

  it("error: TLS required but the server does not offer it (verify-full against a plain server)", async () => {
    const result = await probeWith({ ssl: { rejectUnauthorized: true } }).probePrimary(TIMEOUT_MS);
    expect(result).toMatchObject({ outcome: "error", detail: "The server does not support SSL connections" });
  });

  it("error: a non-positive timeout is refused without connecting", async () => {
    const result = await probeWith().probePrimary(0);
    expect(result).toMatchObject({
      outcome: "error",
      latencyMs: 0,
      detail: "timeoutMs=0 is not a positive number of milliseconds",
    });
  });

  it("timeout: a frozen (SIGSTOPped) server is cut off at the deadline, and the socket is closed", async () => {
    const primary = pg().primary;
    const direct = probeWith({ primary: { host: primary.host, port: primary.port } });
    await pg().kill(primary, "SIGSTOP");
    let result;
    try {
      result = await direct.probePrimary(500);
    } finally {
      await pg().kill(primary, "SIGCONT");
    }
    expect(result.outcome).toBe("timeout");
    expect(result.detail).toBe(`no answer from 127.0.0.1:${primary.port} within 500 ms`);
    expect(result.latencyMs).toBeGreaterThanOrEqual(500);
    // Once resumed the server finds the socket closed and ends the half-open session.
    await expectNoProbeSessions(primary.port);
    expect((await direct.probePrimary(TIMEOUT_MS)).outcome).toBe("ok");
  });

  it("monitor path cut (drop) gives timeout, cut (reset) gives unreachable, restored gives ok", async () => {
    const proxy = pg().monitorPath;
    try {
      proxy.cut("drop");
      expect((await probeWith().probePrimary(500)).outcome).toBe("timeout");
      proxy.cut("reset");
      const reset = await probeWith().probePrimary(TIMEOUT_MS);
      expect(reset.outcome).toBe("unreachable");
    } finally {
      proxy.restore();
    }
    expect((await probeWith().probePrimary(TIMEOUT_MS)).outcome).toBe("ok");
  });

  it("validates its configuration with errors naming the key", () => {
    const base = pg().monitorProbeConfig();
    expect(() => new PgDatabaseProbe({ ...base, database: "" })).toThrow(ConfigurationError);
    expect(() => new PgDatabaseProbe({ ...base, primary: { host: "", port: 5432 } })).toThrow(
      "primary.host is empty: give the primary endpoint's host name",
    );
    expect(() => new PgDatabaseProbe({ ...base, replica: { host: "db", port: 70000 } })).toThrow(
      "replica.port=70000 is not a TCP port: use a whole number from 1 to 65535",
    );
    expect(() => new PgDatabaseProbe({ ...base, user: "" })).toThrow(
      "user is empty: give the monitor's role (MONITOR_DB_USER)",
    );
  });
});

describe("PgDatabaseProbe.readReplicaLag", () => {
  it("is near zero on a healthy system right after a heartbeat", async () => {
    const probe = probeWith({ nowMs: () => 42 });
    expect((await probe.probePrimary(TIMEOUT_MS)).outcome).toBe("ok");
    await pg().waitForReplication();
    const reading = await probe.readReplicaLag(TIMEOUT_MS);
    expect(reading.probe).toEqual({
      target: "replica",
      atMs: 42,
      outcome: "ok",
      latencyMs: expect.any(Number),
    });
    expect(reading.atMs).toBe(42);
    expect(reading.lagSeconds).toBeGreaterThanOrEqual(0);
    // Loose bound: replay is milliseconds here; this only catches a unit or sign mistake.
    expect(reading.lagSeconds).toBeLessThan(5);
    await expectNoProbeSessions(pg().replica.port);
  });

  it("grows while replay is paused and falls back once it resumes", async () => {
    const probe = probeWith();
    await probe.probePrimary(TIMEOUT_MS);
    await pg().waitForReplication();
    await pg().pauseReplay();
    let first, second;
    try {
      await sleep(1200);
      await probe.probePrimary(TIMEOUT_MS); // written on the primary, not replayed
      first = await probe.readReplicaLag(TIMEOUT_MS);
      await sleep(800);
      second = await probe.readReplicaLag(TIMEOUT_MS);
    } finally {
      await pg().resumeReplay();
    }
    // The replica still shows the heartbeat from before the pause: at least 1.2 s old.
    expect(first.lagSeconds).toBeGreaterThanOrEqual(1.2);
    expect(second.lagSeconds).toBeGreaterThanOrEqual((first.lagSeconds ?? 0) + 0.8);

    await pg().waitForReplication();
    const resumed = await probe.readReplicaLag(TIMEOUT_MS);
    expect(resumed.lagSeconds).toBeLessThan(first.lagSeconds ?? 0);
  });

  it("unreachable replica: lagSeconds null, the probe says why", async () => {
    const closedPort = await freePort();
    const reading = await probeWith({ replica: { host: "127.0.0.1", port: closedPort } }).readReplicaLag(
      TIMEOUT_MS,
    );
    expect(reading.lagSeconds).toBeNull();
    expect(reading.probe).toMatchObject({ target: "replica", outcome: "unreachable" });
  });

  it("no heartbeat replayed yet: lagSeconds null with an error saying what to do", async () => {
    await pg().query(pg().primary, "DELETE FROM tap_dr.heartbeat");
    await pg().waitForReplication();
    const reading = await probeWith().readReplicaLag(TIMEOUT_MS);
    expect(reading.lagSeconds).toBeNull();
    expect(reading.probe.outcome).toBe("error");
    expect(reading.probe.detail).toBe(
      "the replica holds no heartbeat row yet: run the monitor bootstrap on the primary and let one primary " +
        "probe succeed",
    );
  });
});
