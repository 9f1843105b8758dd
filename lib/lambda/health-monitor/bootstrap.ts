/**
 * The monitor's one-time bootstrap, run on request (`{ "action": "bootstrap" }`): read the
 * RDS-managed master secret, connect to the primary as master over verified TLS, create the
 * monitor's IAM-authenticated role and the heartbeat table, disconnect. Idempotent.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { Client, type ClientConfig } from "pg";
import { bootstrapMonitorRole, type BootstrapResult, type SqlClient } from "../adapters/postgres";
import { ConfigurationError } from "../core/errors";
import type { MonitorConfig } from "./env";

/** Master credentials as RDS stores them in the managed secret (`{"username": …, "password": …}`). */
export interface MasterCredentials {
  readonly username: string;
  readonly password: string;
}

/** A connected SQL session that can be closed. */
export type ClosableSqlClient = SqlClient & { end(): Promise<void> };

/** What the bootstrap needs from outside. */
export interface BootstrapDeps {
  readonly config: MonitorConfig;
  readonly secrets: Pick<SecretsManagerClient, "send">;
  /** Opens a session on the primary as `credentials`; `connectPrimary` in Lambda. */
  readonly connect: (credentials: MasterCredentials) => Promise<ClosableSqlClient>;
}

/** What the `bootstrap` action returns. */
export interface BootstrapResponse extends BootstrapResult {
  readonly action: "bootstrap";
  readonly monitorUser: string;
  readonly primaryHost: string;
}

/** Connection and statement limits of the bootstrap session. */
export const BOOTSTRAP_CONNECT_TIMEOUT_MS = 10_000;
export const BOOTSTRAP_STATEMENT_TIMEOUT_MS = 30_000;

/**
 * Reads the master credentials out of the secret's JSON. The error never repeats the secret's
 * content, only what is wrong with its shape.
 */
export function parseMasterSecret(secretString: string | undefined, secretArn: string): MasterCredentials {
  let parsed: unknown;
  try {
    parsed = secretString === undefined ? undefined : JSON.parse(secretString);
  } catch {
    parsed = undefined;
  }
  const record = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const { username, password } = record;
  if (typeof username !== "string" || username === "" || typeof password !== "string" || password === "") {
    throw new ConfigurationError(
      `The secret ${secretArn} (MASTER_SECRET_ARN) does not hold the RDS master credentials as JSON with non-empty "username" and "password"; point MASTER_SECRET_ARN at the instance's RDS-managed master secret`,
    );
  }
  return { username, password };
}

/** `pg` settings of the master session: verified TLS (the parameter group sets `rds.force_ssl=1`). */
export function masterConnectionConfig(config: MonitorConfig, credentials: MasterCredentials): ClientConfig {
  return {
    host: config.primaryHost,
    port: config.dbPort,
    database: config.dbName,
    user: credentials.username,
    password: credentials.password,
    // Verified against the RDS CA, which Lambda's runtime trusts through NODE_EXTRA_CA_CERTS.
    ssl: { rejectUnauthorized: true },
    connectionTimeoutMillis: BOOTSTRAP_CONNECT_TIMEOUT_MS,
    statement_timeout: BOOTSTRAP_STATEMENT_TIMEOUT_MS,
    application_name: "tap-health-monitor-bootstrap",
  };
}

/** Opens the master session on the primary. */
export async function connectPrimary(
  config: MonitorConfig,
  credentials: MasterCredentials,
): Promise<ClosableSqlClient> {
  const client = new Client(masterConnectionConfig(config, credentials));
  await client.connect();
  return client;
}

/** Runs the bootstrap; safe to repeat. The session is closed whatever happens. */
export async function runBootstrap(deps: BootstrapDeps): Promise<BootstrapResponse> {
  const { config } = deps;
  const secret = await deps.secrets.send(new GetSecretValueCommand({ SecretId: config.masterSecretArn }));
  const credentials = parseMasterSecret(secret.SecretString, config.masterSecretArn);
  const client = await deps.connect(credentials);
  try {
    const result = await bootstrapMonitorRole(client, { monitorUser: config.monitorDbUser, iamAuth: true });
    return {
      action: "bootstrap",
      monitorUser: config.monitorDbUser,
      primaryHost: config.primaryHost,
      ...result,
    };
  } finally {
    await client.end();
  }
}
