/**
 * Lambda entry point of the restore-check function (`index.handler`), in the DR VPC's monitor
 * subnets: the only place with a network path to the restore test's temporary instance. It logs in
 * as the monitor's role with IAM database authentication (token signed locally for the DR region:
 * no NAT, no endpoint) over verified TLS (the RDS CA through `NODE_EXTRA_CA_CERTS`, checked by
 * `env.ts`). Configuration and logger are built once per execution environment.
 */
import { IamAuthTokenProvider } from "../adapters/aws/iam-token";
import { runRestoreCheck } from "../adapters/postgres/restore-check";
import { createLogger } from "../telemetry";
import { readRestoreCheckConfig } from "./env";
import { createRestoreCheckHandler } from "./handler";

/** Connect and query, each: the function's 60 s timeout leaves room for both and the token. */
const CHECK_TIMEOUT_MS = 20_000;

const config = readRestoreCheckConfig(process.env);

/** The function's handler. */
export const handler = createRestoreCheckHandler({
  config,
  logger: createLogger("restore-check", config.environmentSuffix),
  // A token is bound to host and port, and the endpoint is new every week: one provider per check.
  check: (endpoint, minRows) =>
    runRestoreCheck(
      {
        host: endpoint.host,
        port: endpoint.port,
        database: config.dbName,
        user: config.monitorDbUser,
        password: new IamAuthTokenProvider({
          hostname: endpoint.host,
          port: endpoint.port,
          region: config.controlRegion,
          username: config.monitorDbUser,
        }).password,
        ssl: { rejectUnauthorized: true },
        timeoutMs: CHECK_TIMEOUT_MS,
      },
      minRows,
    ),
});
