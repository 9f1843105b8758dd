/**
 * The restore-check function's configuration, read from the environment TapStack sets
 * (names in `lib/function-env.ts`, `RESTORE_CHECK_ENV`).
 */
import type { RestoreCheckEnvName } from "../../function-env";
import { EnvReader, type EnvSource } from "../env-reader";
import { LAMBDA_RDS_CA_BUNDLE } from "../health-monitor/env";

/** Most heartbeat rows a check may require (`tap:restoreTestMinRows`' upper bound). */
export const MAX_RESTORE_TEST_MIN_ROWS = 1_000_000_000;

/** Everything the restore-check function needs, validated. */
export interface RestoreCheckConfig {
  readonly dbPort: number;
  readonly dbName: string;
  /** The monitor's role: it comes with the backup, with `rds_iam`. */
  readonly monitorDbUser: string;
  /** The DR region, where the temporary instance runs: IAM tokens are signed for it. */
  readonly controlRegion: string;
  readonly minRows: number;
  readonly environmentSuffix: string;
}

/**
 * Reads and validates the function's environment. Throws one `ConfigurationError` naming every
 * missing or malformed variable. In Lambda, `NODE_EXTRA_CA_CERTS` must point at the runtime's CA
 * bundle, as for the monitor: without it TLS to RDS cannot be verified and every check fails.
 */
export function readRestoreCheckConfig(env: EnvSource): RestoreCheckConfig {
  const read = new EnvReader<RestoreCheckEnvName>(env, "restore-check");
  const config = {
    dbPort: read.positiveInteger("DB_PORT", 5432, 65535),
    dbName: read.sqlIdentifier("DB_NAME", "appdb"),
    monitorDbUser: read.sqlIdentifier("MONITOR_DB_USER", "dr_monitor"),
    controlRegion: read.region("CONTROL_REGION"),
    minRows: read.positiveInteger("RESTORE_TEST_MIN_ROWS", 1, MAX_RESTORE_TEST_MIN_ROWS),
    environmentSuffix: read.environmentSuffix("ENVIRONMENT_SUFFIX"),
  };
  if (env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.NODE_EXTRA_CA_CERTS !== LAMBDA_RDS_CA_BUNDLE) {
    read.problem(
      `NODE_EXTRA_CA_CERTS=${JSON.stringify(env.NODE_EXTRA_CA_CERTS ?? "")} is not valid: set it to ${LAMBDA_RDS_CA_BUNDLE} so that TLS to RDS can be verified`,
    );
  }
  read.finish();
  return config;
}
