/**
 * One-time, idempotent bootstrap of the monitor's database objects: the heartbeat table, the
 * monitor's login role and its grants. Run as the master user (RDS) or a superuser (drill);
 * safe to run any number of times, also concurrently.
 */
import { escapeIdentifier, escapeLiteral } from "pg";
import { ConfigurationError, TapError } from "../../core/errors";
import { CREATE_HEARTBEAT_TABLE_SQL, HEARTBEAT_RELATION, HEARTBEAT_SCHEMA } from "./heartbeat";

/** The bootstrap could not leave the database in the expected state; nothing was committed. */
export class MonitorBootstrapError extends TapError {}

/** The part of a `pg` client the bootstrap uses (a `Client` or a `PoolClient`). */
export interface SqlClient {
  query(text: string): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Options of {@link bootstrapMonitorRole}. */
export interface BootstrapOptions {
  /** Login role of the health monitor (`MONITOR_DB_USER`). */
  readonly monitorUser: string;
  /**
   * Grant `rds_iam`, which makes RDS accept an IAM authentication token as the role's
   * password. Only on RDS: the role does not exist in community PostgreSQL.
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAMDBAuth.DBAccounts.html
   */
  readonly iamAuth: boolean;
  /**
   * Maximum concurrent sessions of the monitor, so a monitor gone wrong can never exhaust a
   * struggling primary's connection slots. Default 5 (one run holds one connection at a time).
   */
  readonly connectionLimit?: number;
  /**
   * Revoke `CREATE ON SCHEMA public FROM PUBLIC` (PostgreSQL 15's default, and the
   * recommended "secure schema usage pattern" since CVE-2018-1058). In PostgreSQL 14 every
   * role may create tables in `public`, the monitor included. Default true; turn it off only
   * if an application relies on non-owners creating objects in `public`.
   */
  readonly revokePublicSchemaCreate?: boolean;
}

/** What the bootstrap found and did; every field is true or false on every run. */
export interface BootstrapResult {
  readonly roleCreated: boolean;
  readonly rdsIamGranted: boolean;
}

/**
 * Serialises concurrent bootstraps (two CREATE ROLE racing would fail with 23505); held until
 * the transaction ends.
 */
const BOOTSTRAP_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('tap_dr.bootstrap'))";

/** Role names we accept: a plain lower-case identifier, so it never needs quoting surprises. */
const ROLE_NAME_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
/** Roles PostgreSQL or RDS reserve; making one of them the monitor would be a grave mistake. */
const RESERVED_ROLE_PREFIXES = ["pg_", "rds"];

/**
 * Checks a monitor role name. Throws a `ConfigurationError` naming the value and the fix.
 */
export function validateMonitorUser(monitorUser: string): void {
  if (!ROLE_NAME_PATTERN.test(monitorUser)) {
    throw new ConfigurationError(
      `MONITOR_DB_USER="${monitorUser}" is not a valid role name: use 1-63 characters from a-z, 0-9 and _, ` +
        `starting with a letter or _ (e.g. "tap_monitor").`,
    );
  }
  if (RESERVED_ROLE_PREFIXES.some((prefix) => monitorUser.startsWith(prefix)) || monitorUser === "postgres") {
    throw new ConfigurationError(
      `MONITOR_DB_USER="${monitorUser}" is reserved by PostgreSQL or RDS: choose a dedicated role name ` +
        `such as "tap_monitor".`,
    );
  }
}

/**
 * The statements of one bootstrap, in order; they run in one transaction after an advisory
 * lock. Exported so the exact SQL is reviewable and tested.
 */
export function bootstrapStatements(options: BootstrapOptions): string[] {
  validateMonitorUser(options.monitorUser);
  const connectionLimit = options.connectionLimit ?? 5;
  if (!Number.isInteger(connectionLimit) || connectionLimit < 1 || connectionLimit > 100) {
    throw new ConfigurationError(
      `connectionLimit=${connectionLimit} is out of range: use a whole number from 1 to 100 (default 5).`,
    );
  }
  const role = escapeIdentifier(options.monitorUser);
  const roleLiteral = escapeLiteral(options.monitorUser);
  const statements = [
    `CREATE SCHEMA IF NOT EXISTS ${HEARTBEAT_SCHEMA}`,
    CREATE_HEARTBEAT_TABLE_SQL,
    // No password: on RDS the role logs in with IAM tokens; the drill sets its own password.
    // A role that exists keeps its password, so re-running never locks the drill out.
    `DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${roleLiteral}) THEN
    CREATE ROLE ${role} LOGIN;
  END IF;
END $$`,
    // Not NOSUPERUSER / NOREPLICATION here: on RDS the master user is not a superuser, and
    // PostgreSQL lets only superusers name those attributes. They are checked after.
    `ALTER ROLE ${role} LOGIN CONNECTION LIMIT ${connectionLimit}`,
    // Server-side bounds, in case the client's own deadline fails to fire.
    `ALTER ROLE ${role} SET statement_timeout = '5s'`,
    `ALTER ROLE ${role} SET lock_timeout = '2s'`,
    `ALTER ROLE ${role} SET idle_in_transaction_session_timeout = '10s'`,
    `REVOKE ALL ON SCHEMA ${HEARTBEAT_SCHEMA} FROM PUBLIC`,
    `GRANT USAGE ON SCHEMA ${HEARTBEAT_SCHEMA} TO ${role}`,
    // Revoke then grant, so privileges added by hand converge back to exactly these three.
    `REVOKE ALL ON ${HEARTBEAT_RELATION} FROM PUBLIC`,
    `REVOKE ALL ON ${HEARTBEAT_RELATION} FROM ${role}`,
    // SELECT is needed by INSERT … ON CONFLICT (it reads the conflicting row) and the lag read.
    `GRANT SELECT, INSERT, UPDATE ON ${HEARTBEAT_RELATION} TO ${role}`,
  ];
  if (options.revokePublicSchemaCreate ?? true) {
    statements.push(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  }
  if (options.iamAuth) {
    statements.push(`GRANT rds_iam TO ${role}`);
  }
  return statements;
}

/**
 * Creates or repairs the heartbeat table, the monitor role and its grants, in one
 * transaction (all or nothing). The role gets SELECT / INSERT / UPDATE on the heartbeat table
 * and USAGE on its schema, nothing else; with `iamAuth` it is also granted `rds_iam`.
 *
 * Afterwards it checks that the role holds no dangerous attribute (superuser, createrole,
 * createdb, replication, bypassrls): a pre-existing role of that name with such power is
 * refused, not silently used.
 *
 * @throws ConfigurationError for a bad option, MonitorBootstrapError when a statement fails
 *   (with the statement and the server's message) or the role is over-privileged.
 */
export async function bootstrapMonitorRole(
  client: SqlClient,
  options: BootstrapOptions,
): Promise<BootstrapResult> {
  const statements = bootstrapStatements(options);
  await client.query("BEGIN");
  try {
    await client.query(BOOTSTRAP_LOCK_SQL);
    const existing = await client.query(
      `SELECT 1 FROM pg_roles WHERE rolname = ${escapeLiteral(options.monitorUser)}`,
    );
    for (const statement of statements) {
      try {
        await client.query(statement);
      } catch (error) {
        throw new MonitorBootstrapError(
          `bootstrap of monitor role "${options.monitorUser}" failed at: ${firstLine(statement)} — ` +
            `${(error as Error).message}${hintFor(error, options)}`,
          { cause: error },
        );
      }
    }
    const { rows } = await client.query(
      `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
       FROM pg_roles WHERE rolname = ${escapeLiteral(options.monitorUser)}`,
    );
    const powers = Object.entries(rows[0] ?? {})
      .filter(([, value]) => value === true)
      .map(([key]) => key.replace(/^rol/, ""));
    if (powers.length > 0) {
      throw new MonitorBootstrapError(
        `role "${options.monitorUser}" already exists with ${powers.join(", ")}: the monitor must be an ` +
          `unprivileged role. Drop or ALTER ROLE it to remove these attributes, or choose another MONITOR_DB_USER.`,
      );
    }
    await client.query("COMMIT");
    return { roleCreated: existing.rows.length === 0, rdsIamGranted: options.iamAuth };
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

function firstLine(statement: string): string {
  return statement.split("\n")[0];
}

function hintFor(error: unknown, options: BootstrapOptions): string {
  const code = (error as { code?: unknown }).code;
  if (code === "42704" && options.iamAuth) {
    return " (role rds_iam exists only on RDS: bootstrap with iamAuth false on community PostgreSQL)";
  }
  if (code === "42501") {
    return " (run the bootstrap as the RDS master user or a superuser)";
  }
  return "";
}
