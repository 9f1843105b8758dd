/**
 * The restore-check function's handler with the real check (`runRestoreCheck`) against a real
 * PostgreSQL 14 primary, logging in as the monitor's role as it does on a restored instance.
 */
import { freePort } from "../../../lib/drill/cluster";
import { RestoreCheckFailed, runRestoreCheck } from "../../../lib/lambda/adapters/postgres/restore-check";
import { UPSERT_HEARTBEAT_SQL } from "../../../lib/lambda/adapters/postgres/heartbeat";
import { InvalidEventError } from "../../../lib/lambda/core/errors";
import type { RestoreCheckConfig } from "../../../lib/lambda/restore-check/env";
import { createRestoreCheckHandler, parseRestoreCheckEvent } from "../../../lib/lambda/restore-check/handler";
import { useCluster } from "../../support/pg-cluster";

const pg = useCluster();

const CONFIG: RestoreCheckConfig = {
  dbPort: 5432,
  dbName: "tapdb",
  monitorDbUser: "dr_monitor",
  controlRegion: "ap-southeast-1",
  minRows: 2,
  environmentSuffix: "dev",
};

const logger = () => ({
  info: jest.fn(),
  warn: jest.fn(),
  error: jest.fn(),
  appendKeys: jest.fn(),
  addContext: jest.fn(),
});

/** The handler as the drill wires it: the monitor's login of the local cluster, no TLS. */
function handlerFor(config: Partial<RestoreCheckConfig> = {}, database?: string) {
  const monitor = pg().monitorProbeConfig();
  const log = logger();
  const handler = createRestoreCheckHandler({
    config: { ...CONFIG, ...config },
    logger: log,
    check: (endpoint, minRows) =>
      runRestoreCheck(
        {
          host: endpoint.host,
          port: endpoint.port,
          database: database ?? monitor.database,
          user: monitor.user,
          password: monitor.password,
          ssl: false,
          timeoutMs: 5000,
        },
        minRows,
      ),
  });
  return { handler, log, user: monitor.user };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error("the check passed");
    },
    (e: unknown) => e as Error,
  );
}

describe("restore-check handler on real PostgreSQL", () => {
  beforeAll(async () => {
    for (const source of ["health-monitor", "restore-check-test"]) {
      await pg().query(pg().primary, UPSERT_HEARTBEAT_SQL, [source]);
    }
  });

  it("reads the heartbeat rows and the newest one as the monitor's role", async () => {
    const { handler, user } = handlerFor();
    const [{ newest, n }] = await pg().query<{ newest: Date; n: number }>(
      pg().primary,
      "SELECT max(beat_at) AS newest, count(*)::int AS n FROM tap_dr.heartbeat",
    );
    const result = await handler({ host: "127.0.0.1", port: pg().primary.port });
    expect(result).toEqual({ newestHeartbeatAt: newest.toISOString(), rowCount: n, user });
    expect(n).toBeGreaterThanOrEqual(2);
  });

  it("fails with RestoreCheckFailed when the table holds fewer rows than the minimum", async () => {
    const { handler, log } = handlerFor({ minRows: 1_000 });
    const error = await failureOf(handler({ host: "127.0.0.1", port: pg().primary.port }));
    expect(error).toBeInstanceOf(RestoreCheckFailed);
    expect(error.name).toBe("RestoreCheckFailed");
    expect(error.message).toMatch(
      /^tap_dr\.heartbeat in the restored database holds \d+ row\(s\), fewer than RESTORE_TEST_MIN_ROWS=1000$/,
    );
    expect(log.error).toHaveBeenCalledWith("Restore check failed", {
      error: "RestoreCheckFailed",
      message: error.message,
    });
  });

  it("fails with RestoreCheckFailed when the heartbeat table is missing", async () => {
    const { handler } = handlerFor({}, "postgres");
    const error = await failureOf(handler({ host: "127.0.0.1", port: pg().primary.port }));
    expect(error).toBeInstanceOf(RestoreCheckFailed);
    expect(error.message).toMatch(/^tap_dr\.heartbeat does not exist in the restored database/);
  });

  it("fails with RestoreCheckFailed when nothing listens", async () => {
    const { handler } = handlerFor();
    const port = await freePort();
    const error = await failureOf(handler({ host: "127.0.0.1", port }));
    expect(error).toBeInstanceOf(RestoreCheckFailed);
    expect(error.message).toMatch(new RegExp(`^Cannot connect to 127\\.0\\.0\\.1:${port}/tapdb as `));
  });
});

describe("parseRestoreCheckEvent", () => {
  it("takes the endpoint and port, the stack's DB_PORT when the port is left out", () => {
    expect(
      parseRestoreCheckEvent(
        { host: "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com", port: 5433 },
        5432,
      ),
    ).toEqual({
      host: "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com",
      port: 5433,
    });
    expect(parseRestoreCheckEvent({ host: "db.internal" }, 5432)).toEqual({
      host: "db.internal",
      port: 5432,
    });
  });

  it.each([
    [null, /expects \{"host": "<endpoint address>", "port": 5432\}, got null/],
    [{ host: "postgres://db:5432" }, /host must be the instance's endpoint address/],
    [{ host: "db.internal", port: 70000 }, /port must be a TCP port \(1-65535\), got 70000/],
  ])("refuses %j", (event, message) => {
    expect(() => parseRestoreCheckEvent(event, 5432)).toThrow(InvalidEventError);
    expect(() => parseRestoreCheckEvent(event, 5432)).toThrow(message);
  });
});

describe("parseRestoreCheckEvent: the failover's { endpoint } form", () => {
  it("takes an address, or an address with its port (the drill's endpoints)", () => {
    expect(
      parseRestoreCheckEvent({ endpoint: "rds-restored-dev.abc.ap-southeast-1.rds.amazonaws.com" }, 5432),
    ).toEqual({
      host: "rds-restored-dev.abc.ap-southeast-1.rds.amazonaws.com",
      port: 5432,
    });
    expect(parseRestoreCheckEvent({ endpoint: "127.0.0.1:40123" }, 5432)).toEqual({
      host: "127.0.0.1",
      port: 40123,
    });
  });

  it.each([[{ endpoint: null }], [{ endpoint: "db:5432:1" }], [{ endpoint: "db:99999" }]])(
    "refuses %j",
    (event) => {
      expect(() => parseRestoreCheckEvent(event, 5432)).toThrow(InvalidEventError);
    },
  );
});
