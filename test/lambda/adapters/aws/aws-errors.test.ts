import {
  awsErrorName,
  describeAwsError,
  hasErrorName,
  isApiUnavailable,
  isThrottling,
} from "../../../../lib/lambda/adapters/aws/aws-errors";
import { awsError, networkError } from "./fake-clock";

describe("isApiUnavailable", () => {
  const cases: [situation: string, err: unknown, unavailable: boolean, throttling: boolean][] = [
    ["RDS throttling after retries", awsError("ThrottlingException", "Rate exceeded", 400), true, true],
    ["EC2 request limit", awsError("RequestLimitExceeded", "Request limit exceeded.", 503), true, true],
    ["Route 53 prior request not complete", awsError("PriorRequestNotComplete", "busy", 400), true, true],
    ["HTTP 429 with an unfamiliar code", awsError("SomethingBusy", "slow down", 429), true, true],
    ["service unavailable", awsError("ServiceUnavailable", "down", 503), true, false],
    ["internal failure", awsError("InternalFailure", "oops", 500), true, false],
    ["unknown 5xx code", awsError("Whatever", "bad gateway", 502), true, false],
    ["server fault without status", awsError("Strange", "x", undefined, "server"), true, false],
    ["SDK timeout", awsError("TimeoutError", "Connection timed out after 3000 ms"), true, false],
    ["service request timeout", awsError("RequestTimeout", "timeout", 400), true, false],
    ["connection refused", networkError("ECONNREFUSED"), true, false],
    ["DNS failure", networkError("ENOTFOUND"), true, false],
    ["not found", awsError("DBInstanceNotFoundFault", "DBInstance db-1 not found.", 404), false, false],
    ["access denied", awsError("AccessDenied", "not authorized", 403), false, false],
    ["invalid state", awsError("InvalidDBInstanceStateFault", "not available", 400), false, false],
    ["plain Error", new Error("boom"), false, false],
    ["a string", "boom", false, false],
  ];
  it.each(cases)("%s", (_situation, err, unavailable, throttling) => {
    expect(isApiUnavailable(err)).toBe(unavailable);
    expect(isThrottling(err)).toBe(throttling);
  });
});

describe("awsErrorName and describeAwsError", () => {
  it("prefer the service code, then a system code", () => {
    expect(awsErrorName(awsError("DBInstanceNotFoundFault", "x"))).toBe("DBInstanceNotFoundFault");
    expect(awsErrorName(networkError("ECONNRESET"))).toBe("ECONNRESET");
    expect(awsErrorName(new Error("plain"))).toBe("Error");
    expect(awsErrorName(undefined)).toBe("Error");
  });

  it("matches any of the names given", () => {
    const err = awsError("InvalidDBInstanceState", "x");
    expect(hasErrorName(err, "InvalidDBInstanceStateFault", "InvalidDBInstanceState")).toBe(true);
    expect(hasErrorName(err, "DBInstanceNotFoundFault")).toBe(false);
  });

  it("renders code, message and HTTP status on one line", () => {
    expect(describeAwsError(awsError("ServiceUnavailable", "Service is down", 503))).toBe(
      "ServiceUnavailable: Service is down (HTTP 503)",
    );
    expect(describeAwsError(networkError("ECONNREFUSED"))).toBe(
      "ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:443",
    );
    expect(describeAwsError("raw")).toBe("Error: raw");
  });
});
