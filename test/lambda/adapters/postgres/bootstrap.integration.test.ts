/**
 * The monitor bootstrap: exact statements (pure), then idempotence and least privilege on a
 * real PostgreSQL 14 primary.
 */
import { Client } from "pg";
import { ConfigurationError } from "../../../../lib/lambda/core/errors";
import {
  bootstrapMonitorRole,
  bootstrapStatements,
  MonitorBootstrapError,
  validateMonitorUser,
} from "../../../../lib/lambda/adapters/postgres/bootstrap";
import { useCluster } from "../../../support/pg-cluster";

const pg = useCluster();

/** Runs `fn` with a superuser connection to the application database on the primary. */
async function asSuperuser<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client(pg().clientConfig(pg().primary, "superuser"));
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Runs `sql` as `role` (SET ROLE from the superuser) and returns the SQLSTATE it fails with, or "ok". */
async function sqlstateAs(role: string, sql: string): Promise<string> {
  return asSuperuser(async (client) => {
    await client.query(`SET ROLE ${role}`);
    try {
      await client.query(sql);
      return "ok";
    } catch (error) {
      return (error as { code: string }).code;
    }
  });
}

/** Everything that describes the role's power, for comparing runs. */
async function roleFacts(role: string): Promise<Record<string, unknown>> {
  return asSuperuser(async (client) => {
    const attrs = await client.query(
      `SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication, r.rolbypassrls, r.rolcanlogin,
              r.rolconnlimit, a.rolpassword IS NULL AS no_password, r.rolconfig
       FROM pg_roles r JOIN pg_authid a ON a.oid = r.oid WHERE r.rolname = $1`,
      [role],
    );
    const grants = await client.query(
      `SELECT table_schema || '.' || table_name AS relation, privilege_type
       FROM information_schema.role_table_grants WHERE grantee = $1 ORDER BY 1, 2`,
      [role],
    );
    const memberships = await client.query(
      `SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
       JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1`,
      [role],
    );
    return { attrs: attrs.rows[0], grants: grants.rows, memberships: memberships.rows };
  });
}

describe("validateMonitorUser", () => {
  const refused: ReadonlyArray<readonly [string, string, string]> = [
    ["empty", "", 'MONITOR_DB_USER="" is not a valid role name'],
    [
      "upper case (would need quoting everywhere)",
      "Monitor",
      'MONITOR_DB_USER="Monitor" is not a valid role name',
    ],
    [
      "SQL injection attempt",
      'x"; DROP TABLE t; --',
      'MONITOR_DB_USER="x"; DROP TABLE t; --" is not a valid',
    ],
    ["64 characters (PostgreSQL truncates at 63)", "a".repeat(64), "is not a valid role name"],
    ["reserved pg_ prefix", "pg_monitor", 'MONITOR_DB_USER="pg_monitor" is reserved by PostgreSQL or RDS'],
    ["reserved rds prefix", "rdsadmin", 'MONITOR_DB_USER="rdsadmin" is reserved by PostgreSQL or RDS'],
    ["the default superuser", "postgres", 'MONITOR_DB_USER="postgres" is reserved by PostgreSQL or RDS'],
  ];
  it.each(refused)("refuses %s", (_name, value, message) => {
    expect(() => validateMonitorUser(value)).toThrow(ConfigurationError);
    expect(() => validateMonitorUser(value)).toThrow(message);
  });

  it.each(["tap_monitor", "_m", "monitor_2", "a".repeat(63)])("accepts %s", (value) => {
    expect(() => validateMonitorUser(value)).not.toThrow();
  });
});

describe("bootstrapStatements", () => {
  it("grants exactly SELECT, INSERT, UPDATE on the heartbeat table and USAGE on its schema", () => {
    const statements = bootstrapStatements({ monitorUser: "tap_monitor", iamAuth: false });
    const grants = statements.filter((s) => s.startsWith("GRANT"));
    expect(grants).toEqual([
      'GRANT USAGE ON SCHEMA tap_dr TO "tap_monitor"',
      'GRANT SELECT, INSERT, UPDATE ON tap_dr.heartbeat TO "tap_monitor"',
    ]);
    expect(statements).toContain("REVOKE CREATE ON SCHEMA public FROM PUBLIC");
    expect(statements).toContain('ALTER ROLE "tap_monitor" LOGIN CONNECTION LIMIT 5');
  });

  it("grants rds_iam only with iamAuth", () => {
    expect(bootstrapStatements({ monitorUser: "m", iamAuth: true })).toContain('GRANT rds_iam TO "m"');
    expect(bootstrapStatements({ monitorUser: "m", iamAuth: false }).join("\n")).not.toContain("rds_iam");
  });

  it("leaves the public schema alone when asked", () => {
    const statements = bootstrapStatements({
      monitorUser: "m",
      iamAuth: false,
      revokePublicSchemaCreate: false,
    });
    expect(statements.join("\n")).not.toContain("SCHEMA public");
  });

  it.each([0, 101, 2.5])("refuses connectionLimit=%p naming the range", (connectionLimit) => {
    expect(() => bootstrapStatements({ monitorUser: "m", iamAuth: false, connectionLimit })).toThrow(
      `connectionLimit=${connectionLimit} is out of range: use a whole number from 1 to 100 (default 5).`,
    );
  });
});

describe("bootstrapMonitorRole on PostgreSQL 14", () => {
  const role = "tap_monitor_b";

  it("creates the role on the first run and changes nothing on the second", async () => {
    const first = await asSuperuser((client) =>
      bootstrapMonitorRole(client, { monitorUser: role, iamAuth: false }),
    );
    const afterFirst = await roleFacts(role);
    const second = await asSuperuser((client) =>
      bootstrapMonitorRole(client, { monitorUser: role, iamAuth: false }),
    );
    const afterSecond = await roleFacts(role);

    expect(first).toEqual({ roleCreated: true, rdsIamGranted: false });
    expect(second).toEqual({ roleCreated: false, rdsIamGranted: false });
    expect(afterSecond).toEqual(afterFirst);
    expect(afterFirst).toEqual({
      attrs: {
        rolsuper: false,
        rolcreaterole: false,
        rolcreatedb: false,
        rolreplication: false,
        rolbypassrls: false,
        rolcanlogin: true,
        rolconnlimit: 5,
        no_password: true,
        rolconfig: ["statement_timeout=5s", "lock_timeout=2s", "idle_in_transaction_session_timeout=10s"],
      },
      grants: [
        { relation: "tap_dr.heartbeat", privilege_type: "INSERT" },
        { relation: "tap_dr.heartbeat", privilege_type: "SELECT" },
        { relation: "tap_dr.heartbeat", privilege_type: "UPDATE" },
      ],
      memberships: [],
    });
  });

  it("keeps a password set after the first run (the drill's monitor can still log in)", async () => {
    // The cluster's own monitor was bootstrapped, then given a password; bootstrap it again.
    await asSuperuser((client) =>
      bootstrapMonitorRole(client, { monitorUser: pg().monitorUser, iamAuth: false }),
    );
    const client = new Client(pg().clientConfig(pg().primary, "monitor"));
    await client.connect();
    const { rows } = await client.query("SELECT current_user AS me");
    await client.end();
    expect(rows).toEqual([{ me: pg().monitorUser }]);
  });

  it("converges privileges added by hand back to exactly the three", async () => {
    await asSuperuser((client) => client.query(`GRANT DELETE, TRUNCATE ON tap_dr.heartbeat TO ${role}`));
    await asSuperuser((client) => bootstrapMonitorRole(client, { monitorUser: role, iamAuth: false }));
    const facts = await roleFacts(role);
    expect((facts.grants as { privilege_type: string }[]).map((g) => g.privilege_type)).toEqual([
      "INSERT",
      "SELECT",
      "UPDATE",
    ]);
  });

  it("is safe when two bootstraps run at the same time", async () => {
    const results = await Promise.all(
      [1, 2].map(() =>
        asSuperuser((client) =>
          bootstrapMonitorRole(client, { monitorUser: "tap_monitor_c", iamAuth: false }),
        ),
      ),
    );
    expect(results.map((r) => r.roleCreated).sort()).toEqual([false, true]);
  });

  describe("the monitor role can do its job and nothing else", () => {
    beforeAll(async () => {
      await asSuperuser(async (client) => {
        await bootstrapMonitorRole(client, { monitorUser: role, iamAuth: false });
        await client.query(
          "CREATE TABLE IF NOT EXISTS public.accounts (id int PRIMARY KEY, balance numeric)",
        );
      });
    });

    const allowed: ReadonlyArray<readonly [string, string]> = [
      [
        "upsert its heartbeat",
        "INSERT INTO tap_dr.heartbeat (source, beat_at) VALUES ('x', clock_timestamp()) " +
          "ON CONFLICT (source) DO UPDATE SET beat_at = EXCLUDED.beat_at",
      ],
      ["read the heartbeat", "SELECT max(beat_at) FROM tap_dr.heartbeat"],
    ];
    it.each(allowed)("may %s", async (_name, sql) => {
      expect(await sqlstateAs(role, sql)).toBe("ok");
    });

    // 42501 insufficient_privilege.
    const refused: ReadonlyArray<readonly [string, string]> = [
      ["create a table in public", "CREATE TABLE public.sneaky (x int)"],
      ["create a table in tap_dr", "CREATE TABLE tap_dr.sneaky (x int)"],
      ["read an application table", "SELECT * FROM public.accounts"],
      ["write an application table", "INSERT INTO public.accounts VALUES (1, 100)"],
      ["delete heartbeats", "DELETE FROM tap_dr.heartbeat"],
      ["truncate the heartbeat table", "TRUNCATE tap_dr.heartbeat"],
      ["drop the heartbeat table", "DROP TABLE tap_dr.heartbeat"],
      ["create a schema", "CREATE SCHEMA sneaky"],
      ["create a role", "CREATE ROLE sneaky"],
    ];
    it.each(refused)("may not %s (SQLSTATE 42501)", async (_name, sql) => {
      expect(await sqlstateAs(role, sql)).toBe("42501");
    });
  });

  it("refuses a pre-existing role that holds dangerous attributes, committing nothing", async () => {
    await asSuperuser((client) => client.query("CREATE ROLE tap_powerful LOGIN CREATEDB CREATEROLE"));
    const attempt = asSuperuser((client) =>
      bootstrapMonitorRole(client, { monitorUser: "tap_powerful", iamAuth: false }),
    );
    await expect(attempt).rejects.toThrow(MonitorBootstrapError);
    await expect(attempt).rejects.toThrow(
      'role "tap_powerful" already exists with createrole, createdb: the monitor must be an unprivileged role.',
    );
    const facts = await roleFacts("tap_powerful");
    expect(facts.grants).toEqual([]);
  });

  it("iamAuth grants rds_iam where it exists (as on RDS), once, however often it runs", async () => {
    // RDS ships rds_iam as a NOLOGIN role; stand it in here.
    await asSuperuser((client) => client.query("CREATE ROLE rds_iam NOLOGIN"));
    try {
      for (let run = 0; run < 2; run++) {
        const result = await asSuperuser((client) =>
          bootstrapMonitorRole(client, { monitorUser: "tap_iam_ok", iamAuth: true }),
        );
        expect(result).toEqual({ roleCreated: run === 0, rdsIamGranted: true });
      }
      expect((await roleFacts("tap_iam_ok")).memberships).toEqual([{ rolname: "rds_iam" }]);
    } finally {
      await asSuperuser(async (client) => {
        await client.query("REVOKE rds_iam FROM tap_iam_ok");
        await client.query("DROP ROLE rds_iam");
      });
    }
  });

  it("iamAuth on community PostgreSQL fails with a hint, and rolls everything back", async () => {
    const attempt = asSuperuser((client) =>
      bootstrapMonitorRole(client, { monitorUser: "tap_iam", iamAuth: true }),
    );
    await expect(attempt).rejects.toThrow(
      'bootstrap of monitor role "tap_iam" failed at: GRANT rds_iam TO "tap_iam" — role "rds_iam" does not exist ' +
        "(role rds_iam exists only on RDS: bootstrap with iamAuth false on community PostgreSQL)",
    );
    const rows = await pg().query(pg().primary, "SELECT 1 FROM pg_roles WHERE rolname = 'tap_iam'");
    expect(rows).toEqual([]);
  });
});
