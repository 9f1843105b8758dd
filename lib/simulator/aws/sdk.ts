/**
 * Binds the deployed code's AWS SDK clients to the simulated AWS at command level: every client an
 * `AwsClients` hands out has its `send` answered by {@link SimulatedAws.call}, so the adapters build
 * and send real SDK commands and read real output shapes.
 *
 * Replacing `send` also skips the SDK's retry middleware; the SDK's retry behaviour is therefore
 * modelled here, with its documented numbers (reference §6): `standard` mode,
 * `maxAttempts` attempts in all (3 unless the client says otherwise), retrying throttling codes,
 * 5xx answers and network errors, full-jitter exponential backoff from a 100 ms base (500 ms after a
 * throttle) capped at 20 s, and `requestTimeout` per attempt for an endpoint that never answers
 * (the clients set 10 s; the SDK default of 0 would hang until the function's timeout).
 */
import type * as CloudWatch from "@aws-sdk/client-cloudwatch";
import type * as EC2 from "@aws-sdk/client-ec2";
import type * as Lambda from "@aws-sdk/client-lambda";
import type * as RDS from "@aws-sdk/client-rds";
import type * as Route53 from "@aws-sdk/client-route-53";
import type * as S3 from "@aws-sdk/client-s3";
import type * as SFN from "@aws-sdk/client-sfn";
import type * as SNS from "@aws-sdk/client-sns";
import { AwsClients, DEFAULT_AWS_CLIENT_OPTIONS } from "../../lambda/adapters/aws/clients";
import { isApiUnavailable, isThrottling } from "../../lambda/adapters/aws/aws-errors";
import type { Rng } from "../rng";
import type { InvocationContext, Scheduler } from "../scheduler";
import { SimulatedNetworkError, serverError, throttled, requestTimeout } from "./errors";

/** SDK client names as faults name them (reference: the timeline's `service`). */
export type ServiceName = "rds" | "ec2" | "route53" | "cloudwatch" | "sns" | "s3" | "lambda" | "sfn";

/** What a service does with one command: answer (possibly after virtual time) or throw. */
export type CommandHandler = (
  region: string,
  input: never,
  /** The invocation whose SDK client sent the command (none for a caller outside Lambda). */
  invocation: InvocationContext | undefined,
) => unknown;

/** A fault on one service in one region, active for a time window. */
export interface ApiFault {
  readonly kind: "api-throttle" | "api-errors" | "api-blackhole";
  readonly service: ServiceName;
  readonly region: string;
  readonly fromMs: number;
  readonly untilMs: number;
}

/** One call as the simulated AWS saw it, for the outcome and for debugging a timeline. */
export interface CallRecord {
  readonly atMs: number;
  readonly functionKey: string;
  readonly service: ServiceName;
  readonly region: string;
  readonly command: string;
  readonly attempts: number;
  readonly error?: string;
}

/**
 * Hook that may end the calling invocation right after a command reached AWS: `crash` kills it (a
 * crash mid-step), `stall` leaves it hanging until its timeout (a call that never returns).
 */
export type CrashHook = (functionKey: string, command: string) => "crash" | "stall" | null;

const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_BACKOFF_MS = 20_000;
/** Time a healthy API takes to answer one call (plus the round trip from the DR region). */
const CALL_LATENCY_MS = { min: 20, max: 120 };

/** The simulated AWS's command dispatcher: faults, SDK retries, latency, then the service. */
export class SimulatedAws {
  private readonly handlers = new Map<string, CommandHandler>();
  readonly calls: CallRecord[] = [];
  private readonly faults: ApiFault[] = [];
  crashHook: CrashHook = () => null;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Rng,
  ) {}

  /** Registers the handler of `service`'s `command` (e.g. `rds`, `DescribeDBInstances`). */
  handle(service: ServiceName, command: string, handler: CommandHandler): void {
    this.handlers.set(`${service}:${command}`, handler);
  }

  addFault(fault: ApiFault): void {
    this.faults.push(fault);
  }

  private activeFault(service: ServiceName, region: string, atMs: number): ApiFault | undefined {
    return this.faults.find(
      (f) => f.service === service && f.region === region && f.fromMs <= atMs && atMs < f.untilMs,
    );
  }

  /**
   * One SDK `send`: up to `maxAttempts` attempts with the SDK's backoff; each attempt meets the
   * active fault, or the service.
   */
  async call(
    invocation: InvocationContext | undefined,
    functionKey: string,
    service: ServiceName,
    region: string,
    command: string,
    input: unknown,
  ): Promise<unknown> {
    const handler = this.handlers.get(`${service}:${command}`);
    const startedAtMs = this.scheduler.nowMs();
    const maxAttempts = DEFAULT_AWS_CLIENT_OPTIONS.maxAttempts;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const output = await this.attempt(invocation, service, region, command, handler, input);
        this.calls.push({ atMs: startedAtMs, functionKey, service, region, command, attempts: attempt });
        const fate = this.crashHook(functionKey, command);
        if (fate === "crash") this.scheduler.kill(invocation);
        if (fate === "stall") this.scheduler.stall(invocation);
        return output;
      } catch (error) {
        lastError = error;
        const retryable = isApiUnavailable(error) && !(error instanceof NotSimulatedError);
        if (!retryable || attempt === maxAttempts) break;
        const base = isThrottling(error) ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
        const delayMs = this.rng.next() * Math.min(MAX_BACKOFF_MS, base * 2 ** (attempt - 1));
        await this.scheduler.sleepFor(invocation, delayMs);
      }
    }
    this.calls.push({
      atMs: startedAtMs,
      functionKey,
      service,
      region,
      command,
      attempts: maxAttempts,
      error: lastError instanceof Error ? lastError.name : String(lastError),
    });
    throw lastError;
  }

  private async attempt(
    invocation: InvocationContext | undefined,
    service: ServiceName,
    region: string,
    command: string,
    handler: CommandHandler | undefined,
    input: unknown,
  ): Promise<unknown> {
    const fault = this.activeFault(service, region, this.scheduler.nowMs());
    if (fault?.kind === "api-blackhole") {
      const timeoutMs = DEFAULT_AWS_CLIENT_OPTIONS.requestTimeoutMs;
      await this.scheduler.sleepFor(invocation, timeoutMs);
      throw requestTimeout(timeoutMs);
    }
    await this.scheduler.sleepFor(invocation, this.rng.between(CALL_LATENCY_MS.min, CALL_LATENCY_MS.max));
    if (fault?.kind === "api-throttle") throw throttled(service);
    if (fault?.kind === "api-errors") throw serverError();
    if (handler === undefined) throw new NotSimulatedError(service, command);
    return await handler(region, input as never, invocation);
  }
}

/** A command the simulator does not model: a gap in the model, reported loudly, never retried. */
export class NotSimulatedError extends SimulatedNetworkError {
  constructor(service: string, command: string) {
    super("NotSimulated", "ENOTSIMULATED", `the simulator does not model ${service}:${command}`);
  }
}

type AnyClient = { send: (...args: never[]) => unknown };
type SentCommand = { constructor: { name: string }; input: unknown };

/**
 * `AwsClients` whose clients are answered by the simulated AWS: the deployed wiring
 * (`buildFailoverPorts`) receives it in place of the real one.
 */
export class SimulatedAwsClients extends AwsClients {
  private readonly bound = new Set<unknown>();

  constructor(
    private readonly aws: SimulatedAws,
    private readonly scheduler: Scheduler,
    private readonly functionKey: string,
    /** The invocation of the function these clients belong to that is running now. */
    private readonly current: () => InvocationContext | undefined,
  ) {
    super();
  }

  override rds(region: string): RDS.RDSClient {
    return this.bind("rds", region, super.rds(region));
  }

  override ec2(region: string): EC2.EC2Client {
    return this.bind("ec2", region, super.ec2(region));
  }

  override cloudWatch(region: string): CloudWatch.CloudWatchClient {
    return this.bind("cloudwatch", region, super.cloudWatch(region));
  }

  override sns(region: string): SNS.SNSClient {
    return this.bind("sns", region, super.sns(region));
  }

  override s3(region: string): S3.S3Client {
    return this.bind("s3", region, super.s3(region));
  }

  // The failover function's switchover invokes the health-monitor for WAL positions.
  override lambda(region: string): Lambda.LambdaClient {
    return this.bind("lambda", region, super.lambda(region));
  }

  // The failover function starts and lists the failover workflow's executions.
  override sfn(region: string): SFN.SFNClient {
    return this.bind("sfn", region, super.sfn(region));
  }

  override route53(region: string): Route53.Route53Client {
    return this.bind("route53", region, super.route53(region));
  }

  private bind<C extends AnyClient>(service: ServiceName, region: string, client: C): C {
    if (this.bound.has(client)) return client;
    this.bound.add(client);
    // The client's own `send` is replaced on the instance (as aws-sdk-client-mock does, without its
    // call recording: a timeline sends thousands of commands), so one fake answers every command of
    // the client by its class name (`DescribeDBInstancesCommand` → `DescribeDBInstances`).
    // Route 53 is global: its API lives in us-east-1 whatever region seeded the client (reference §4).
    const apiRegion = service === "route53" ? "us-east-1" : region;
    (client as unknown as { send: (command: SentCommand) => Promise<unknown> }).send = (command) => {
      const invocation = this.current();
      return this.scheduler.unlessKilled(
        invocation,
        this.aws.call(
          invocation,
          this.functionKey,
          service,
          apiRegion,
          command.constructor.name.replace(/Command$/, ""),
          command.input,
        ),
      );
    };
    return client;
  }
}
