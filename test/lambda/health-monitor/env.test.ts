import { ConfigurationError } from "../../../lib/lambda/core/errors";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import { LAMBDA_RDS_CA_BUNDLE, readMonitorConfig } from "../../../lib/lambda/health-monitor/env";
import { MONITOR_ENV_FIXTURE } from "./fixtures";

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    readMonitorConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error("the environment was accepted");
}

describe("readMonitorConfig", () => {
  it("reads a complete environment", () => {
    expect(readMonitorConfig(MONITOR_ENV_FIXTURE)).toEqual({
      primaryHost: "rds-primary-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com",
      replicaHost: "rds-replica-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com",
      dbPort: 5432,
      dbName: "appdb",
      monitorDbUser: "dr_monitor",
      primaryRegion: "ap-southeast-2",
      replicaRegion: "ap-southeast-2",
      masterSecretArn: "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:rds!db-1a2b3c-AbCdEf",
      masterSecretRegion: "ap-southeast-2",
      metricsNamespace: "TapStack/DR",
      environmentSuffix: "dev",
      // The fixture's cadence (4 probes 15 s apart, 3 s timeout), not the production default.
      policy: { ...DEFAULT_POLICY, probesPerRun: 4, probeIntervalSeconds: 15, probeTimeoutSeconds: 3 },
    });
  });

  it("maps the probe variables onto the policy", () => {
    const config = readMonitorConfig({
      ...MONITOR_ENV_FIXTURE,
      PROBES_PER_RUN: "5",
      PROBE_INTERVAL_SECONDS: "10",
      PROBE_TIMEOUT_SECONDS: "2",
      CONSECUTIVE_FAILURES: "4",
    });
    expect(config.policy).toEqual({
      ...DEFAULT_POLICY,
      probesPerRun: 5,
      probeIntervalSeconds: 10,
      probeTimeoutSeconds: 2,
      consecutiveFailuresToFailover: 4,
    });
  });

  const rules: [string, Record<string, string | undefined>, string][] = [
    [
      "a missing variable",
      { PRIMARY_HOST: undefined },
      "PRIMARY_HOST is missing: set it to a host name without scheme or port, such as rds-primary-dev.abc123.ap-southeast-2.rds.amazonaws.com",
    ],
    [
      "a blank variable",
      { DB_NAME: "  " },
      "DB_NAME is missing: set it to a lower-case PostgreSQL identifier",
    ],
    [
      "a host with a scheme",
      { REPLICA_HOST: "postgres://replica:5432" },
      'REPLICA_HOST="postgres://replica:5432" is not valid: expected a host name without scheme or port',
    ],
    [
      "a port that is not a number",
      { DB_PORT: "postgres" },
      'DB_PORT="postgres" is not valid: expected a positive integer such as 5432 (at most 65535)',
    ],
    ["a port out of range", { DB_PORT: "70000" }, 'DB_PORT="70000" is not valid'],
    [
      "a zero probe count",
      { PROBES_PER_RUN: "0" },
      'PROBES_PER_RUN="0" is not valid: expected a positive integer such as 7',
    ],
    ["a fractional interval", { PROBE_INTERVAL_SECONDS: "1.5" }, 'PROBE_INTERVAL_SECONDS="1.5" is not valid'],
    ["a negative timeout", { PROBE_TIMEOUT_SECONDS: "-3" }, 'PROBE_TIMEOUT_SECONDS="-3" is not valid'],
    [
      "a region that is not a region code",
      { PRIMARY_REGION: "Sydney" },
      'PRIMARY_REGION="Sydney" is not valid: expected an AWS region code such as ap-southeast-1',
    ],
    [
      "a secret ARN of another service",
      { MASTER_SECRET_ARN: "arn:aws:ssm:ap-southeast-2:123456789012:parameter/master" },
      'MASTER_SECRET_ARN="arn:aws:ssm:ap-southeast-2:123456789012:parameter/master" is not valid: expected an ARN of the secretsmanager service, such as',
    ],
    [
      "a role name with capitals (it would need quoting)",
      { MONITOR_DB_USER: "DrMonitor" },
      'MONITOR_DB_USER="DrMonitor" is not valid: expected a lower-case PostgreSQL identifier',
    ],
    [
      "a reserved metrics namespace",
      { METRICS_NAMESPACE: "AWS/RDS" },
      'METRICS_NAMESPACE="AWS/RDS" is not valid: expected a CloudWatch namespace of at most 255 characters not starting with "AWS/"',
    ],
    [
      "a suffix with spaces",
      { ENVIRONMENT_SUFFIX: "my dev" },
      'ENVIRONMENT_SUFFIX="my dev" is not valid: expected the stack\'s environment suffix',
    ],
    ["a missing failure threshold", { CONSECUTIVE_FAILURES: undefined }, "CONSECUTIVE_FAILURES is missing"],
  ];
  it.each(rules)("refuses %s, naming the variable and the expected form", (_name, change, message) => {
    const text = problemsOf({ ...MONITOR_ENV_FIXTURE, ...change });
    expect(text).toContain(message);
    expect(text).toContain("The health-monitor function's environment is invalid (1 problem)");
  });

  it("lists every bad variable in one error", () => {
    const text = problemsOf({
      ...MONITOR_ENV_FIXTURE,
      PRIMARY_HOST: undefined,
      DB_PORT: "x",
      PRIMARY_REGION: "",
    });
    expect(text).toContain("(3 problems)");
    expect(text.split("\n").slice(1)).toEqual([
      expect.stringMatching(/^- PRIMARY_HOST is missing/),
      expect.stringMatching(/^- DB_PORT="x" is not valid/),
      expect.stringMatching(/^- PRIMARY_REGION is missing/),
    ]);
  });

  it("restates a policy the core refuses in terms of the environment", () => {
    const text = problemsOf({ ...MONITOR_ENV_FIXTURE, PROBES_PER_RUN: "2", CONSECUTIVE_FAILURES: "3" });
    expect(text).toContain(
      "The health-monitor function's environment gives an invalid failover policy (PROBES_PER_RUN, PROBE_INTERVAL_SECONDS, PROBE_TIMEOUT_SECONDS, CONSECUTIVE_FAILURES)",
    );
    expect(text).toContain("consecutiveFailuresToFailover (3) exceeds probesPerRun (2)");
  });

  describe("inside Lambda (AWS_LAMBDA_FUNCTION_NAME set)", () => {
    const inLambda = { ...MONITOR_ENV_FIXTURE, AWS_LAMBDA_FUNCTION_NAME: "health-monitor-dev" };

    it("requires NODE_EXTRA_CA_CERTS to name the runtime's CA bundle, or TLS to RDS cannot be verified", () => {
      expect(problemsOf(inLambda)).toContain(
        'NODE_EXTRA_CA_CERTS="" is not valid: set it to /var/runtime/ca-cert.pem so that TLS to RDS can be verified',
      );
      expect(problemsOf({ ...inLambda, NODE_EXTRA_CA_CERTS: "/tmp/ca.pem" })).toContain(
        'NODE_EXTRA_CA_CERTS="/tmp/ca.pem" is not valid',
      );
    });

    it("accepts the runtime's CA bundle", () => {
      expect(readMonitorConfig({ ...inLambda, NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE }).dbPort).toBe(5432);
    });
  });
});
