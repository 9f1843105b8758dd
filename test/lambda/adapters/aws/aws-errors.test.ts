import {
  apiErrorKind,
  awsErrorName,
  describeAwsError,
  hasErrorName,
  isApiUnavailable,
  isThrottling,
} from "../../../../lib/lambda/adapters/aws/aws-errors";
import type { ApiErrorKind } from "../../../../lib/lambda/core/types";
import { awsError, networkError } from "./fake-clock";

describe("isApiUnavailable, isThrottling and apiErrorKind", () => {
  const cases: [
    situation: string,
    err: unknown,
    unavailable: boolean,
    throttling: boolean,
    kind: ApiErrorKind,
  ][] = [
    [
      "RDS throttling after retries",
      awsError("ThrottlingException", "Rate exceeded", 400),
      true,
      true,
      "throttled",
    ],
    [
      "EC2 request limit",
      awsError("RequestLimitExceeded", "Request limit exceeded.", 503),
      true,
      true,
      "throttled",
    ],
    [
      "Route 53 prior request not complete",
      awsError("PriorRequestNotComplete", "busy", 400),
      true,
      true,
      "throttled",
    ],
    [
      "HTTP 429 with an unfamiliar code",
      awsError("SomethingBusy", "slow down", 429),
      true,
      true,
      "throttled",
    ],
    ["service unavailable", awsError("ServiceUnavailable", "down", 503), true, false, "server-error"],
    ["internal failure", awsError("InternalFailure", "oops", 500), true, false, "server-error"],
    ["unknown 5xx code", awsError("Whatever", "bad gateway", 502), true, false, "server-error"],
    [
      "server fault without status",
      awsError("Strange", "x", undefined, "server"),
      true,
      false,
      "server-error",
    ],
    [
      "SDK timeout",
      awsError("TimeoutError", "Connection timed out after 3000 ms"),
      true,
      false,
      "connectivity",
    ],
    ["service request timeout", awsError("RequestTimeout", "timeout", 400), true, false, "server-error"],
    ["connection refused", networkError("ECONNREFUSED"), true, false, "connectivity"],
    ["connection reset", networkError("ECONNRESET"), true, false, "connectivity"],
    ["DNS failure", networkError("ENOTFOUND"), true, false, "connectivity"],
    [
      "not found",
      awsError("DBInstanceNotFoundFault", "DBInstance db-1 not found.", 404),
      false,
      false,
      "refused",
    ],
    ["access denied", awsError("AccessDenied", "not authorized", 403), false, false, "refused"],
    ["invalid state", awsError("InvalidDBInstanceStateFault", "not available", 400), false, false, "refused"],
    ["plain Error", new Error("boom"), false, false, "refused"],
    ["a string", "boom", false, false, "refused"],
  ];
  it.each(cases)("%s", (_situation, err, unavailable, throttling, kind) => {
    expect(isApiUnavailable(err)).toBe(unavailable);
    expect(isThrottling(err)).toBe(throttling);
    expect(apiErrorKind(err)).toBe(kind);
    // Everything "try later" for an action is one of the three kinds that are not a refusal.
    expect(apiErrorKind(err) !== "refused").toBe(unavailable);
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
