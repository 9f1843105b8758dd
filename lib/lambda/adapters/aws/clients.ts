import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { EC2Client } from "@aws-sdk/client-ec2";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SFNClient } from "@aws-sdk/client-sfn";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { ConfigurationError } from "../../core/errors";

/** Timeouts and retries of every AWS client the functions create. */
export interface AwsClientOptions {
  /** Time to establish the TCP + TLS connection before the attempt fails. */
  readonly connectionTimeoutMs: number;
  /** Time to wait for the response once connected, per attempt. */
  readonly requestTimeoutMs: number;
  /** Attempts per call, including the first (the SDK retries throttling, 5xx and network errors). */
  readonly maxAttempts: number;
  /**
   * `standard` retries with exponential backoff and a retry quota; `adaptive` adds client-side
   * rate limiting on throttling. https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
   */
  readonly retryMode: "standard" | "adaptive";
}

/**
 * Defaults sized for a Lambda that must finish a failover within minutes: the SDK's own defaults
 * have no connection or request timeout at all, so a black-holed regional endpoint (exactly what a
 * regional outage looks like) would hang a call until the function times out. 3 s to connect,
 * 10 s to answer, 3 attempts: a dead endpoint costs about 10 s, not 15 minutes.
 */
export const DEFAULT_AWS_CLIENT_OPTIONS: AwsClientOptions = {
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
  maxAttempts: 3,
  retryMode: "standard",
};

/** The constructor configuration shared by every client, for one region. */
export interface AwsClientConfig {
  readonly region: string;
  readonly maxAttempts: number;
  readonly retryMode: "standard" | "adaptive";
  /**
   * Constructor options of the default `NodeHttpHandler`; the SDK accepts them in place of a handler
   * instance, so no direct dependency on `@smithy/node-http-handler` is needed.
   */
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number };
}

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function validateOptions(options: AwsClientOptions): void {
  const positive: (keyof AwsClientOptions)[] = ["connectionTimeoutMs", "requestTimeoutMs", "maxAttempts"];
  for (const key of positive) {
    const value = options[key];
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
      throw new ConfigurationError(
        `AWS client option ${key} must be a positive integer, got ${JSON.stringify(value)}; fix the value passed to AwsClients`,
      );
    }
  }
  if (options.retryMode !== "standard" && options.retryMode !== "adaptive") {
    throw new ConfigurationError(
      `AWS client option retryMode must be "standard" or "adaptive", got ${JSON.stringify(options.retryMode)}`,
    );
  }
}

/** Client configuration for `region` with the given timeouts and retries. */
export function awsClientConfig(
  region: string,
  options: AwsClientOptions = DEFAULT_AWS_CLIENT_OPTIONS,
): AwsClientConfig {
  if (!REGION_PATTERN.test(region)) {
    throw new ConfigurationError(
      `AWS region ${JSON.stringify(region)} is not a region code; expected something like "ap-southeast-1" (check PRIMARY_REGION / REPLICA_REGION)`,
    );
  }
  validateOptions(options);
  return {
    region,
    maxAttempts: options.maxAttempts,
    retryMode: options.retryMode,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
    },
  };
}

/**
 * Builds each AWS client once per region and hands out the same instance afterwards. Create one
 * `AwsClients` at module scope in a handler, so warm invocations reuse the clients' connections
 * and credentials (Powertools for AWS Lambda style).
 */
export class AwsClients {
  private readonly options: AwsClientOptions;
  private readonly cache = new Map<string, unknown>();

  constructor(options: Partial<AwsClientOptions> = {}) {
    this.options = { ...DEFAULT_AWS_CLIENT_OPTIONS, ...options };
    validateOptions(this.options);
  }

  /** RDS API of `region`. */
  rds(region: string): RDSClient {
    return this.once("rds", region, (config) => new RDSClient(config));
  }

  /** EC2 API of `region` (security groups). */
  ec2(region: string): EC2Client {
    return this.once("ec2", region, (config) => new EC2Client(config));
  }

  /** CloudWatch metrics API of `region`. */
  cloudWatch(region: string): CloudWatchClient {
    return this.once("cloudwatch", region, (config) => new CloudWatchClient(config));
  }

  /** SNS API of `region` (a topic is called in its own region). */
  sns(region: string): SNSClient {
    return this.once("sns", region, (config) => new SNSClient(config));
  }

  /** S3 API of `region` (the bucket's region avoids a redirect). */
  s3(region: string): S3Client {
    return this.once("s3", region, (config) => new S3Client(config));
  }

  /**
   * Lambda API of `region` (the failover function invokes the health-monitor synchronously; both
   * run in the DR region). The 10 s request timeout bounds one invocation's answer.
   */
  lambda(region: string): LambdaClient {
    return this.once("lambda", region, (config) => new LambdaClient(config));
  }

  /** Step Functions API of `region` (the failover function starts and reads the failover workflow there). */
  sfn(region: string): SFNClient {
    return this.once("sfn", region, (config) => new SFNClient(config));
  }

  /**
   * Route 53 API. Route 53 is a global service with one endpoint in the aws partition; the region
   * only seeds the SDK's endpoint resolution, which signs for us-east-1 whatever region is given.
   */
  route53(region: string): Route53Client {
    return this.once("route53", region, (config) => new Route53Client(config));
  }

  private once<T>(service: string, region: string, build: (config: AwsClientConfig) => T): T {
    const key = `${service}:${region}`;
    if (!this.cache.has(key)) this.cache.set(key, build(awsClientConfig(region, this.options)));
    return this.cache.get(key) as T;
  }
}
