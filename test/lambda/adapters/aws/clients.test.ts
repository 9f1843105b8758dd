import { LambdaClient } from "@aws-sdk/client-lambda";
import { RDSClient } from "@aws-sdk/client-rds";
import {
  AwsClients,
  DEFAULT_AWS_CLIENT_OPTIONS,
  awsClientConfig,
} from "../../../../lib/lambda/adapters/aws/clients";
import { ConfigurationError } from "../../../../lib/lambda/core/errors";

describe("awsClientConfig", () => {
  it("sets connection and request timeouts, attempts and retry mode", () => {
    expect(awsClientConfig("ap-southeast-2")).toEqual({
      region: "ap-southeast-2",
      maxAttempts: 3,
      retryMode: "standard",
      requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
    });
  });

  const bad: [situation: string, region: string, options: object, message: string][] = [
    ["empty region", "", {}, 'AWS region "" is not a region code'],
    ["endpoint instead of region", "rds.ap-southeast-1.amazonaws.com", {}, "is not a region code"],
    ["zero attempts", "us-east-1", { maxAttempts: 0 }, "maxAttempts must be a positive integer, got 0"],
    [
      "fractional timeout",
      "us-east-1",
      { requestTimeoutMs: 1.5 },
      "requestTimeoutMs must be a positive integer, got 1.5",
    ],
    [
      "unknown retry mode",
      "us-east-1",
      { retryMode: "legacy" },
      'retryMode must be "standard" or "adaptive", got "legacy"',
    ],
  ];
  it.each(bad)("rejects %s", (_situation, region, options, message) => {
    const call = () => awsClientConfig(region, { ...DEFAULT_AWS_CLIENT_OPTIONS, ...options } as never);
    expect(call).toThrow(ConfigurationError);
    expect(call).toThrow(message);
  });
});

describe("AwsClients", () => {
  it("builds one client per service and region and reuses it", async () => {
    const clients = new AwsClients({ retryMode: "adaptive", maxAttempts: 5 });
    const a = clients.rds("ap-southeast-2");
    expect(a).toBeInstanceOf(RDSClient);
    expect(clients.rds("ap-southeast-2")).toBe(a);
    expect(clients.rds("ap-southeast-1")).not.toBe(a);
    expect(await a.config.region()).toBe("ap-southeast-2");
    expect(await a.config.maxAttempts()).toBe(5);
    const strategy = await a.config.retryStrategy();
    expect((strategy as { mode?: string }).mode).toBe("adaptive");
    expect(clients.ec2("ap-southeast-2")).not.toBe(a as unknown);
  });

  it("builds the Lambda client with the same region, attempts and retry mode as the others", async () => {
    const clients = new AwsClients({ maxAttempts: 4 });
    const lambda = clients.lambda("ap-southeast-1");
    expect(lambda).toBeInstanceOf(LambdaClient);
    expect(clients.lambda("ap-southeast-1")).toBe(lambda);
    expect(await lambda.config.region()).toBe("ap-southeast-1");
    expect(await lambda.config.maxAttempts()).toBe(4);
    const handler = lambda.config.requestHandler as unknown as {
      configProvider: Promise<{ connectionTimeout?: number; requestTimeout?: number }>;
    };
    const configs = await handler.configProvider;
    expect(configs.connectionTimeout).toBe(3_000);
    expect(configs.requestTimeout).toBe(10_000);
  });

  it("hands the timeouts to the HTTP handler", async () => {
    const rds = new AwsClients({ connectionTimeoutMs: 1_234, requestTimeoutMs: 5_678 }).rds("eu-west-1");
    // The SDK turns the options object into a NodeHttpHandler whose options resolve lazily.
    const handler = rds.config.requestHandler as unknown as {
      constructor: { name: string };
      configProvider: Promise<{ connectionTimeout?: number; requestTimeout?: number }>;
    };
    expect(handler.constructor.name).toBe("NodeHttpHandler");
    const configs = await handler.configProvider;
    expect(configs.connectionTimeout).toBe(1_234);
    expect(configs.requestTimeout).toBe(5_678);
  });

  it("rejects bad options when built, naming the option", () => {
    expect(() => new AwsClients({ connectionTimeoutMs: -1 })).toThrow(
      "AWS client option connectionTimeoutMs must be a positive integer, got -1",
    );
  });
});
