/**
 * The restore test's check query over `pg`: log in to a restored instance as the monitor's role,
 * read the heartbeat table's row count and newest row. Used by the `restore-check` function (IAM
 * token, TLS verified) and by the drill (password, loopback): one code path.
 */
import { Client, type ClientConfig } from "pg";
import { ConfigurationError, TapError } from "../../core/errors";
import type { RestoreCheckResult } from "../../core/restore-test";
import type { SqlClient } from "./bootstrap";
import { HEARTBEAT_RELATION, READ_RESTORE_CHECK_SQL } from "./heartbeat";
import type { PgSsl } from "./probe";

/**
 * The check failed: no connection, no heartbeat table, or fewer rows than required. The name is
 * what the state machine's catcher sees (`RestoreCheckFailed`, contract).
 */
export class RestoreCheckFailed extends TapError {}

/** How the check connects. */
export interface RestoreCheckConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** Called for the connection: an IAM token on AWS, a static password locally. */
  readonly password: () => Promise<string>;
  readonly ssl: PgSsl;
  /** Bound on connecting and on the query, each. */
  readonly timeoutMs: number;
}

/** Reads the check from an open session; throws `RestoreCheckFailed` with the cause. */
export async function readRestoreCheck(
  client: SqlClient,
  user: string,
  minRows: number,
): Promise<RestoreCheckResult> {
  let row: Record<string, unknown> | undefined;
  try {
    row = (await client.query(READ_RESTORE_CHECK_SQL)).rows[0];
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new RestoreCheckFailed(
      code === "42P01"
        ? `${HEARTBEAT_RELATION} does not exist in the restored database: the backup is not the monitored database's (or the monitor was never bootstrapped)`
        : `Reading ${HEARTBEAT_RELATION} as ${user} failed: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const rowCount = Number(row?.row_count ?? 0);
  const newestMs = row?.newest_ms === null || row?.newest_ms === undefined ? null : Number(row.newest_ms);
  if (rowCount < minRows) {
    throw new RestoreCheckFailed(
      `${HEARTBEAT_RELATION} in the restored database holds ${rowCount} row(s), fewer than RESTORE_TEST_MIN_ROWS=${minRows}`,
    );
  }
  return {
    newestHeartbeatAt:
      newestMs === null || !Number.isFinite(newestMs) ? null : new Date(newestMs).toISOString(),
    rowCount,
    user,
  };
}

/**
 * Connects as `c.user`, runs the check, closes the session. Every failure (connection refused,
 * authentication, TLS, timeout, missing table, too few rows) is a `RestoreCheckFailed`.
 */
export async function runRestoreCheck(
  c: RestoreCheckConnection,
  minRows: number,
): Promise<RestoreCheckResult> {
  if (!Number.isInteger(minRows) || minRows < 1) {
    throw new ConfigurationError(`minRows must be an integer of at least 1, got ${JSON.stringify(minRows)}`);
  }
  const config: ClientConfig = {
    host: c.host,
    port: c.port,
    database: c.database,
    user: c.user,
    password: c.password,
    ssl: c.ssl === false ? false : { ...c.ssl },
    application_name: "tap-restore-check",
    connectionTimeoutMillis: c.timeoutMs,
    query_timeout: c.timeoutMs,
  };
  const client = new Client(config);
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new RestoreCheckFailed(
      `Cannot connect to ${c.host}:${c.port}/${c.database} as ${c.user}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    return await readRestoreCheck(client, c.user, minRows);
  } finally {
    await client.end().catch(() => undefined);
  }
}
