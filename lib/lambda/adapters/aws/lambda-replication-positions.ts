/**
 * WAL positions of both databases, read by invoking the health-monitor synchronously: the failover
 * function runs outside any VPC and has no network path to the databases, while the monitor runs in
 * the DR VPC and reaches both. This is the `positions` dependency of `RdsDatabaseControl`, which
 * polls it during a switchover's catch-up wait.
 */
import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from "@aws-sdk/client-lambda";
import { REPLICATION_POSITIONS_ACTION } from "../../../function-env";
import { ConfigurationError } from "../../core/errors";
import type { Clock, DatabaseProbe } from "../../core/ports";
import type { ReplicationPositions } from "../../core/types";
import { describeAwsError } from "./aws-errors";

/** The exact payload the monitor accepts (`parseMonitorEvent` refuses anything else). */
export const REPLICATION_POSITIONS_PAYLOAD: Readonly<{ action: string }> = {
  action: REPLICATION_POSITIONS_ACTION,
};

/** Longest excerpt of a monitor's answer quoted in a detail: reports stay readable. */
const MAX_EXCERPT_CHARS = 300;

/** Keys a `ReplicationPositions` may carry; any other key means the answer is not one. */
const REQUIRED_KEYS = ["atMs", "primaryLsn", "primaryStartedAtMs", "replicaReplayLsn"] as const;
const OPTIONAL_KEYS = ["primaryDetail", "replicaDetail"] as const;
const KNOWN_KEYS: ReadonlySet<string> = new Set<string>([...REQUIRED_KEYS, ...OPTIONAL_KEYS]);

/** `pg_lsn` text: two hexadecimal numbers of up to 32 bits each, `X/Y`. */
const LSN_PATTERN = /^[0-9A-Fa-f]{1,8}\/[0-9A-Fa-f]{1,8}$/;

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length <= MAX_EXCERPT_CHARS ? flat : `${flat.slice(0, MAX_EXCERPT_CHARS)}...`;
}

const isEpochMs = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v >= 0;

/**
 * Checks that `value` is exactly a `ReplicationPositions` (the monitor's answer), returning it or
 * the first problem found. Pure; exported for its tests.
 */
export function validateReplicationPositions(value: unknown): ReplicationPositions | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `expected an object, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`;
  }
  const record = value as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => !KNOWN_KEYS.has(k));
  if (unknownKeys.length > 0) {
    return `unexpected keys ${unknownKeys.map((k) => JSON.stringify(k)).join(", ")}`;
  }
  const missing = REQUIRED_KEYS.filter((k) => !(k in record));
  if (missing.length > 0) return `missing keys ${missing.map((k) => JSON.stringify(k)).join(", ")}`;
  if (!isEpochMs(record.atMs)) return `atMs must be epoch milliseconds, got ${JSON.stringify(record.atMs)}`;
  for (const key of ["primaryLsn", "replicaReplayLsn"] as const) {
    const lsn = record[key];
    if (lsn !== null && (typeof lsn !== "string" || !LSN_PATTERN.test(lsn))) {
      return `${key} must be null or a WAL position like "0/3000060", got ${JSON.stringify(lsn)}`;
    }
  }
  if (record.primaryStartedAtMs !== null && !isEpochMs(record.primaryStartedAtMs)) {
    return `primaryStartedAtMs must be null or epoch milliseconds, got ${JSON.stringify(record.primaryStartedAtMs)}`;
  }
  for (const key of OPTIONAL_KEYS) {
    if (key in record && typeof record[key] !== "string") {
      return `${key} must be a string when present, got ${JSON.stringify(record[key])}`;
    }
  }
  return record as unknown as ReplicationPositions;
}

/**
 * The `replicationPositions` part of `DatabaseProbe`, answered by the health-monitor through
 * `InvokeCommand` (RequestResponse). It never throws: every failure (an SDK error, a non-200 status,
 * a `FunctionError`, an unparsable or malformed payload) becomes positions with both WAL positions
 * `null` and a detail saying why, which the catch-up wait treats as "not yet" and keeps polling
 * until its own timeout.
 *
 * Invoke answers a synchronous call with HTTP 200, and a function error is still a 200 carrying
 * `FunctionError` (reference aws-behaviour.md §2, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 * The SDK client retries throttles (`TooManyRequestsException`), 5xx and timeouts (reference §6);
 * the monitor's read is idempotent, so a repeated invocation is harmless. The `aws lambda invoke`
 * CLI's 60 s read timeout (reference §2) does not apply here: the client's own request timeout
 * (`AwsClients`, 10 s) bounds each attempt, and the monitor answers within about one probe timeout.
 */
export class LambdaReplicationPositions implements Pick<DatabaseProbe, "replicationPositions"> {
  /**
   * @param monitorFunctionName the health-monitor's function name (`MONITOR_FUNCTION_NAME`),
   *   invoked unqualified, so the role needs `lambda:InvokeFunction` on its unqualified ARN only.
   * @param lambda a Lambda client in the monitor's region.
   * @param clock dates the positions of a failed read.
   */
  constructor(
    private readonly monitorFunctionName: string,
    private readonly lambda: LambdaClient,
    private readonly clock: Clock,
  ) {
    if (monitorFunctionName.trim() === "") {
      throw new ConfigurationError(
        "LambdaReplicationPositions needs the health-monitor's function name; set MONITOR_FUNCTION_NAME",
      );
    }
  }

  /**
   * One invocation of the monitor. `timeoutMs` is not sent: the monitor accepts exactly
   * `{"action":"replication-positions"}` and bounds its read by its own probe timeout, and the
   * client's request timeout bounds the call.
   */
  async replicationPositions(_timeoutMs: number): Promise<ReplicationPositions> {
    const fn = this.monitorFunctionName;
    let out: InvokeCommandOutput;
    try {
      out = await this.lambda.send(
        new InvokeCommand({
          FunctionName: fn,
          InvocationType: "RequestResponse",
          Payload: new TextEncoder().encode(JSON.stringify(REPLICATION_POSITIONS_PAYLOAD)),
        }),
      );
    } catch (err) {
      return this.unread(`invoking ${fn} failed: ${describeAwsError(err)}`);
    }
    const text = out.Payload === undefined ? "" : new TextDecoder().decode(out.Payload);
    if (out.StatusCode !== 200) {
      return this.unread(
        `${fn} answered with status ${String(out.StatusCode)}, expected 200 (RequestResponse)`,
      );
    }
    if (out.FunctionError !== undefined && out.FunctionError !== "") {
      return this.unread(
        `${fn} failed (FunctionError ${JSON.stringify(out.FunctionError)}): ${describeFunctionError(text)}`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.unread(`${fn} answered with a payload that is not JSON: ${JSON.stringify(excerpt(text))}`);
    }
    const positions = validateReplicationPositions(parsed);
    if (typeof positions === "string") {
      return this.unread(`${fn} answered with a payload that is not WAL positions (${positions})`);
    }
    return positions;
  }

  /** Positions that say nothing is known, and why. */
  private unread(why: string): ReplicationPositions {
    return {
      atMs: this.clock.nowMs(),
      primaryLsn: null,
      primaryStartedAtMs: null,
      primaryDetail: why,
      replicaReplayLsn: null,
      replicaDetail: why,
    };
  }
}

/**
 * The error a failed invocation's payload describes. The Node.js runtime's `errorType` /
 * `errorMessage` object is used when present; anything else (a bare runtime crash text) is quoted.
 */
function describeFunctionError(text: string): string {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body === "object" && body !== null) {
      const { errorType, errorMessage } = body as { errorType?: unknown; errorMessage?: unknown };
      if (typeof errorMessage === "string") {
        return excerpt(typeof errorType === "string" ? `${errorType}: ${errorMessage}` : errorMessage);
      }
    }
  } catch {
    // Not JSON: quoted as is below.
  }
  return text === "" ? "no payload" : JSON.stringify(excerpt(text));
}
