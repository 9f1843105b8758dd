import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { ConfigurationError } from "../../../lib/lambda/core/errors";
import {
  masterConnectionConfig,
  parseMasterSecret,
  runBootstrap,
  type ClosableSqlClient,
  type MasterCredentials,
} from "../../../lib/lambda/health-monitor/bootstrap";
import { readMonitorConfig } from "../../../lib/lambda/health-monitor/env";
import { MONITOR_ENV_FIXTURE } from "./fixtures";

const config = readMonitorConfig(MONITOR_ENV_FIXTURE);
const secretsMock = mockClient(SecretsManagerClient);
const SECRET_ARN = MONITOR_ENV_FIXTURE.MASTER_SECRET_ARN;

afterEach(() => secretsMock.reset());

/** A SQL session that answers every query with no rows and records what it was sent. */
function recordingSession() {
  const queries: string[] = [];
  const session: ClosableSqlClient & { ended: boolean } = {
    ended: false,
    query: async (text: string) => {
      queries.push(text);
      return { rows: [] };
    },
    end: async () => {
      session.ended = true;
    },
  };
  return { session, queries };
}

describe("parseMasterSecret", () => {
  it("reads RDS's managed secret format", () => {
    expect(parseMasterSecret('{"username":"postgres","password":"s3cr3t!"}', SECRET_ARN)).toEqual({
      username: "postgres",
      password: "s3cr3t!",
    });
  });

  const malformed: [string, string | undefined][] = [
    ["no SecretString (a binary secret)", undefined],
    ["not JSON", "postgres:s3cr3t"],
    ["JSON without password", '{"username":"postgres"}'],
    ["an empty password", '{"username":"postgres","password":""}'],
    ["a JSON string", '"s3cr3t"'],
  ];
  it.each(malformed)("refuses %s without repeating the secret", (_name, secretString) => {
    let error: unknown;
    try {
      parseMasterSecret(secretString, SECRET_ARN);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toBe(
      `The secret ${SECRET_ARN} (MASTER_SECRET_ARN) does not hold the RDS master credentials as JSON with non-empty "username" and "password"; point MASTER_SECRET_ARN at the instance's RDS-managed master secret`,
    );
    expect((error as Error).message).not.toContain("s3cr3t");
  });
});

describe("masterConnectionConfig", () => {
  it("connects to the primary as master over verified TLS with bounded waits", () => {
    expect(masterConnectionConfig(config, { username: "postgres", password: "pw" })).toEqual({
      host: "rds-primary-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com",
      port: 5432,
      database: "appdb",
      user: "postgres",
      password: "pw",
      ssl: { rejectUnauthorized: true },
      connectionTimeoutMillis: 10_000,
      statement_timeout: 30_000,
      application_name: "tap-health-monitor-bootstrap",
    });
  });
});

describe("runBootstrap", () => {
  it("reads the secret, bootstraps the IAM-authenticated role on the primary and closes the session", async () => {
    secretsMock
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ SecretString: '{"username":"postgres","password":"pw"}' });
    const { session, queries } = recordingSession();
    const connect = jest.fn(async (_credentials: MasterCredentials) => session);

    const result = await runBootstrap({
      config,
      secrets: new SecretsManagerClient({ region: "ap-southeast-2" }),
      connect,
    });

    expect(result).toEqual({
      action: "bootstrap",
      monitorUser: "dr_monitor",
      primaryHost: "rds-primary-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com",
      roleCreated: true,
      rdsIamGranted: true,
    });
    expect(connect).toHaveBeenCalledWith({ username: "postgres", password: "pw" });
    expect(queries[0]).toBe("BEGIN");
    expect(queries.some((q) => /GRANT rds_iam TO "?dr_monitor"?/.test(q))).toBe(true);
    expect(queries.at(-1)).toBe("COMMIT");
    expect(session.ended).toBe(true);
  });

  it("closes the session when the bootstrap fails", async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .resolves({ SecretString: '{"username":"postgres","password":"pw"}' });
    const { session } = recordingSession();
    session.query = async (text: string) => {
      if (text.startsWith("CREATE ROLE") || text.includes("CREATE ROLE"))
        throw new Error("permission denied to create role");
      return { rows: [] };
    };
    await expect(
      runBootstrap({
        config,
        secrets: new SecretsManagerClient({ region: "ap-southeast-2" }),
        connect: async () => session,
      }),
    ).rejects.toThrow("permission denied to create role");
    expect(session.ended).toBe(true);
  });

  it("never connects when the secret cannot be read", async () => {
    secretsMock
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
    const connect = jest.fn();
    await expect(
      runBootstrap({ config, secrets: new SecretsManagerClient({ region: "ap-southeast-2" }), connect }),
    ).rejects.toThrow("not authorized");
    expect(connect).not.toHaveBeenCalled();
  });
});
