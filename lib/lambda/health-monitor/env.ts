/**
 * The health-monitor function's configuration, read from the environment TapStack sets
 * (names in `lib/function-env.ts`).
 */
import type { MonitorEnvName } from "../../function-env";
import { DEFAULT_POLICY } from "../core/policy";
import type { FailoverPolicy } from "../core/types";
import { EnvReader, policyFromEnv, type EnvSource } from "../env-reader";

/**
 * Where Lambda's Node.js runtime keeps the CA bundle that includes the RDS certificate
 * authorities. Node reads `NODE_EXTRA_CA_CERTS` only at process start, so the function's
 * environment must set it; without it every TLS probe fails certificate verification and the
 * monitor would report a healthy primary as down.
 * Since the Node.js 20 runtime Lambda no longer loads Amazon-specific CAs by default:
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html
 */
export const LAMBDA_RDS_CA_BUNDLE = "/var/runtime/ca-cert.pem";

/** Everything the health-monitor needs, validated. */
export interface MonitorConfig {
  /** RDS endpoint address of the primary (host name only). */
  readonly primaryHost: string;
  /** RDS endpoint address of the replica (host name only). */
  readonly replicaHost: string;
  readonly dbPort: number;
  readonly dbName: string;
  /** Role the monitor logs in as with IAM database authentication. */
  readonly monitorDbUser: string;
  /** Region of the primary: IAM auth tokens for it are signed for this region. */
  readonly primaryRegion: string;
  /** Region of the replica: IAM auth tokens for it are signed for this region. */
  readonly replicaRegion: string;
  /** RDS-managed master secret, read only by the `bootstrap` action. */
  readonly masterSecretArn: string;
  /** Region of the master secret (taken from its ARN: Secrets Manager is called there). */
  readonly masterSecretRegion: string;
  readonly metricsNamespace: string;
  readonly environmentSuffix: string;
  /** Probe cadence and the early-stop threshold of one run. */
  readonly policy: FailoverPolicy;
}

/**
 * Reads and validates the monitor's environment. Throws one {@link ConfigurationError} naming every
 * missing or malformed variable and the expected form.
 */
export function readMonitorConfig(env: EnvSource): MonitorConfig {
  const read = new EnvReader<MonitorEnvName>(env, "health-monitor");
  const masterSecretArn = read.arn(
    "MASTER_SECRET_ARN",
    "secretsmanager",
    "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:rds!db-0123-abcdef",
  );
  const config = {
    primaryHost: read.hostName("PRIMARY_HOST", "rds-primary-dev.abc123.ap-southeast-2.rds.amazonaws.com"),
    replicaHost: read.hostName("REPLICA_HOST", "rds-replica-dev.abc123.ap-southeast-2.rds.amazonaws.com"),
    dbPort: read.positiveInteger("DB_PORT", 5432, 65535),
    dbName: read.sqlIdentifier("DB_NAME", "appdb"),
    monitorDbUser: read.sqlIdentifier("MONITOR_DB_USER", "dr_monitor"),
    primaryRegion: read.region("PRIMARY_REGION"),
    replicaRegion: read.region("REPLICA_REGION"),
    masterSecretArn,
    // The arn() check above guarantees a region when the ARN is valid.
    masterSecretRegion: masterSecretArn === "" ? "" : masterSecretArn.split(":")[3],
    metricsNamespace: read.metricsNamespace("METRICS_NAMESPACE"),
    environmentSuffix: read.environmentSuffix("ENVIRONMENT_SUFFIX"),
  };
  const probesPerRun = read.positiveInteger("PROBES_PER_RUN", DEFAULT_POLICY.probesPerRun);
  const probeIntervalSeconds = read.positiveInteger(
    "PROBE_INTERVAL_SECONDS",
    DEFAULT_POLICY.probeIntervalSeconds,
  );
  const probeTimeoutSeconds = read.positiveInteger(
    "PROBE_TIMEOUT_SECONDS",
    DEFAULT_POLICY.probeTimeoutSeconds,
  );
  const consecutiveFailuresToFailover = read.positiveInteger(
    "CONSECUTIVE_FAILURES",
    DEFAULT_POLICY.consecutiveFailuresToFailover,
  );
  if (env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.NODE_EXTRA_CA_CERTS !== LAMBDA_RDS_CA_BUNDLE) {
    read.problem(
      `NODE_EXTRA_CA_CERTS=${JSON.stringify(env.NODE_EXTRA_CA_CERTS ?? "")} is not valid: set it to ${LAMBDA_RDS_CA_BUNDLE} so that TLS to RDS can be verified`,
    );
  }
  read.finish();
  return {
    ...config,
    policy: policyFromEnv(
      {
        ...DEFAULT_POLICY,
        probesPerRun,
        probeIntervalSeconds,
        probeTimeoutSeconds,
        consecutiveFailuresToFailover,
      },
      "health-monitor",
      ["PROBES_PER_RUN", "PROBE_INTERVAL_SECONDS", "PROBE_TIMEOUT_SECONDS", "CONSECUTIVE_FAILURES"],
    ),
  };
}
