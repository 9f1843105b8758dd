/**
 * Lambda entry point of the health-monitor bundle (`index.handler`), deployed twice (see
 * `lib/infra/functions.ts`): as the health-monitor, which runs in the DR VPC's monitor subnets
 * and reaches the databases on port 5432 (the primary VPC's through the peering, a cross-region
 * replica in its own VPC); and as `db-bootstrap`, which runs in the primary VPC and is invoked
 * once with `{"action":"bootstrap"}`. Configuration, logger, metrics and clients are built once
 * per execution environment, at module scope.
 *
 * Probes authenticate with IAM database authentication: tokens are signed locally, so the VPC
 * needs no NAT and no endpoint for them. TLS is verified (`rejectUnauthorized: true`) against
 * the RDS CA, which the runtime trusts through `NODE_EXTRA_CA_CERTS` (checked by `env.ts`).
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { awsClientConfig } from "../adapters/aws/clients";
import { IamAuthTokenProvider } from "../adapters/aws/iam-token";
import { systemClock } from "../adapters/aws/system-clock";
import { PgDatabaseProbe } from "../adapters/postgres";
import type { DatabaseProbe } from "../core/ports";
import type { DbRole } from "../core/types";
import { createLogger, createMetrics } from "../telemetry";
import { connectPrimary, runBootstrap } from "./bootstrap";
import { readMonitorConfig, type MonitorConfig } from "./env";
import { createMonitorHandler, splitProbe } from "./handler";

/** A probe whose connections to `role` log in with IAM tokens signed for that instance's host and region. */
function iamProbe(config: MonitorConfig, role: DbRole): DatabaseProbe {
  const host = role === "primary" ? config.primaryHost : config.replicaHost;
  const tokens = new IamAuthTokenProvider({
    hostname: host,
    port: config.dbPort,
    region: role === "primary" ? config.primaryRegion : config.replicaRegion,
    username: config.monitorDbUser,
  });
  return new PgDatabaseProbe({
    primary: { host: config.primaryHost, port: config.dbPort },
    replica: { host: config.replicaHost, port: config.dbPort },
    database: config.dbName,
    user: config.monitorDbUser,
    password: tokens.password,
    ssl: { rejectUnauthorized: true },
  });
}

/** The monitor's probe: primary and replica each with their own IAM token provider. */
export function buildMonitorProbe(config: MonitorConfig): DatabaseProbe {
  return splitProbe(iamProbe(config, "primary"), iamProbe(config, "replica"));
}

const config = readMonitorConfig(process.env);
const logger = createLogger("health-monitor", config.environmentSuffix);
const metrics = createMetrics(config.metricsNamespace, "health-monitor", config.environmentSuffix);
// Secrets Manager of the secret's own (the primary's) region. Only the bootstrap reads it, running
// as `db-bootstrap` in the primary VPC through that VPC's interface endpoint; the monitor's own role
// may not read the secret, and the DR VPC has no such endpoint.
const secrets = new SecretsManagerClient(awsClientConfig(config.masterSecretRegion));

/** The function's handler. */
export const handler = createMonitorHandler({
  config,
  probe: buildMonitorProbe(config),
  clock: systemClock,
  logger,
  metrics,
  bootstrap: () =>
    runBootstrap({ config, secrets, connect: (credentials) => connectPrimary(config, credentials) }),
});
