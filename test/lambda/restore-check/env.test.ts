import { RESTORE_CHECK_ENV } from "../../../lib/function-env";
import { ConfigurationError } from "../../../lib/lambda/core/errors";
import { LAMBDA_RDS_CA_BUNDLE } from "../../../lib/lambda/health-monitor/env";
import { readRestoreCheckConfig } from "../../../lib/lambda/restore-check/env";

const ENV = {
  DB_PORT: "5432",
  DB_NAME: "appdb",
  MONITOR_DB_USER: "dr_monitor",
  CONTROL_REGION: "ap-southeast-1",
  RESTORE_TEST_MIN_ROWS: "1",
  ENVIRONMENT_SUFFIX: "dev",
};

function problemsOf(env: Record<string, string | undefined>): string {
  try {
    readRestoreCheckConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error("the environment was accepted");
}

describe("readRestoreCheckConfig", () => {
  it("reads a complete environment", () => {
    expect(readRestoreCheckConfig(ENV)).toEqual({
      dbPort: 5432,
      dbName: "appdb",
      monitorDbUser: "dr_monitor",
      controlRegion: "ap-southeast-1",
      minRows: 1,
      environmentSuffix: "dev",
    });
    expect(Object.keys(ENV).sort()).toEqual([...RESTORE_CHECK_ENV].sort());
  });

  it("names every missing variable at once", () => {
    const text = problemsOf({});
    expect(text).toContain("The restore-check function's environment is invalid (6 problems)");
    for (const name of RESTORE_CHECK_ENV) expect(text).toContain(`- ${name} is missing`);
  });

  it("refuses a minimum of 0 rows or above 1000000000, and a region that is not one", () => {
    expect(problemsOf({ ...ENV, RESTORE_TEST_MIN_ROWS: "0" })).toContain(
      '- RESTORE_TEST_MIN_ROWS="0" is not valid: expected a positive integer such as 1 (at most 1000000000)',
    );
    expect(problemsOf({ ...ENV, RESTORE_TEST_MIN_ROWS: "1000000001" })).toContain("RESTORE_TEST_MIN_ROWS");
    expect(problemsOf({ ...ENV, CONTROL_REGION: "singapore" })).toContain(
      '- CONTROL_REGION="singapore" is not valid: expected an AWS region code such as ap-southeast-1',
    );
  });

  it("in Lambda, needs NODE_EXTRA_CA_CERTS at the runtime's CA bundle", () => {
    expect(problemsOf({ ...ENV, AWS_LAMBDA_FUNCTION_NAME: "restore-check-dev" })).toContain(
      `NODE_EXTRA_CA_CERTS="" is not valid: set it to ${LAMBDA_RDS_CA_BUNDLE}`,
    );
    expect(
      readRestoreCheckConfig({
        ...ENV,
        AWS_LAMBDA_FUNCTION_NAME: "restore-check-dev",
        NODE_EXTRA_CA_CERTS: LAMBDA_RDS_CA_BUNDLE,
      }).minRows,
    ).toBe(1);
  });
});
