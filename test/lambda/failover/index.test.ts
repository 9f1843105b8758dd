import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { ConfigurationError, InvalidEventError } from "../../../lib/lambda/core/errors";
import { FAILOVER_ENV_FIXTURE } from "./fixtures";

const sdk = [
  mockClient(RDSClient),
  mockClient(EC2Client),
  mockClient(Route53Client),
  mockClient(SNSClient),
  mockClient(S3Client),
  mockClient(CloudWatchClient),
];

/** Loads a fresh copy of the entry module with `env` as the function's environment. */
function loadEntry(
  env: Record<string, string | undefined>,
): typeof import("../../../lib/lambda/failover/index") {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  try {
    let loaded: typeof import("../../../lib/lambda/failover/index") | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<typeof import("../../../lib/lambda/failover/index")>(
        "../../../lib/lambda/failover/index",
      );
    });
    return loaded!;
  } finally {
    process.env = saved;
  }
}

afterEach(() => sdk.forEach((m) => m.reset()));

describe("failover entry module", () => {
  // The module is loaded in its own registry, so its error classes are other instances: compare names.
  it("fails the cold start with every bad variable named", () => {
    const load = () =>
      loadEntry({ ...FAILOVER_ENV_FIXTURE, REPORT_BUCKET: undefined, ACCEPT_DATA_LOSS: "yes" });
    expect(load).toThrow(expect.objectContaining({ name: ConfigurationError.name }));
    expect(load).toThrow(
      /\(2 problems\)[\s\S]*REPORT_BUCKET is missing[\s\S]*ACCEPT_DATA_LOSS="yes" is not valid/,
    );
  });

  it("refuses a bad event without a single AWS call", async () => {
    const { handler } = loadEntry(FAILOVER_ENV_FIXTURE);
    const typo = { action: "failover", requestedBy: "alice", reason: "r", acceptDataloss: true };
    await expect(handler(typo)).rejects.toMatchObject({ name: InvalidEventError.name });
    expect(sdk.map((m) => m.calls().length)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
