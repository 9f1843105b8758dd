/**
 * The events the failover function accepts, parsed and validated before anything else happens.
 * Anything that is not exactly one of them is refused with an {@link InvalidEventError} that says
 * why, and nothing is done: an event that triggers a failover must never be a guess.
 *
 * Accepted:
 * 1. The health-monitor's result, delivered by Lambda's asynchronous invocation destination.
 * 2. The primary-unreachable alarm's state change, delivered by EventBridge.
 * 3. An operator's request, sent with `aws lambda invoke`.
 *
 * Pure functions of their input: no I/O, no clock, no logging.
 */
import { InvalidEventError } from "../core/errors";
import type { MonitorResult } from "../core/monitor";
import type { Evidence } from "../core/orchestrator";
import {
  PROBE_OUTCOMES,
  type AlarmEvidence,
  type DbRole,
  type LagReading,
  type ProbeResult,
  type Trigger,
} from "../core/types";
import { describeValue, isRecord, MAX_REQUESTED_BY_LENGTH, type JsonObject } from "../event-reader";

/** What the orchestrator gets besides the trigger: the monitor's observations, when there are any. */
export type { Evidence };

/** Where an accepted event came from. */
export type EventSource = "monitor" | "alarm" | "manual";

/** A parsed, accepted event. */
export type ParsedEvent =
  | {
      /** Evaluate the cluster (and act if the decision says so). */
      readonly kind: "evaluate";
      readonly source: EventSource;
      readonly trigger: Trigger;
      readonly evidence: Evidence;
    }
  | {
      /** A well-formed event that asks for nothing (the alarm went back to OK). */
      readonly kind: "no-action";
      readonly source: EventSource;
      readonly reason: string;
    };

/** The names an event must carry to be believed. */
export interface EventExpectations {
  /** Only results of this Lambda function are accepted. */
  readonly monitorFunctionName: string;
  /** Only state changes of this alarm are accepted. */
  readonly primaryAlarmName: string;
}

/** Keys an operator request may have; anything else is refused so that a typo cannot act. */
export const MANUAL_REQUEST_KEYS = ["action", "requestedBy", "reason", "acceptDataLoss"] as const;
/** Actions an operator may request. */
export const MANUAL_ACTIONS = ["failover", "switchover", "status"] as const;
/** Longest `reason` accepted. */
export const MAX_REASON_LENGTH = 1024;

const DB_ROLES: readonly DbRole[] = ["primary", "replica"];
const ALARM_STATES: readonly AlarmEvidence["state"][] = ["ALARM", "OK", "INSUFFICIENT_DATA"];
/** `arn:aws:lambda:<region>:<account>:function:<name>[:<version or alias>]` */
const FUNCTION_ARN_PATTERN =
  /^arn:aws(?:-[a-z]+)*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]{1,64})(?::[A-Za-z0-9$_-]+)?$/;
/**
 * ISO-8601 date-time with a zone. CloudWatch alarm events write the offset without a colon
 * (`2019-10-02T17:04:40.985+0000`); `Date.parse` accepts that form.
 */
const DATE_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

function refuse(what: string, problem: string): never {
  throw new InvalidEventError(`Refused ${what}: ${problem}. Nothing was done.`);
}

/** Readers that refuse with the field's path and what was expected. */
class Fields {
  constructor(private readonly what: string) {}

  fail(path: string, expected: string, got: unknown): never {
    return refuse(this.what, `${path} must be ${expected}, got ${describeValue(got)}`);
  }

  record(value: unknown, path: string): JsonObject {
    return isRecord(value) ? value : this.fail(path, "an object", value);
  }

  string(value: unknown, path: string): string {
    return typeof value === "string" && value.trim() !== ""
      ? value
      : this.fail(path, "a non-empty string", value);
  }

  finite(value: unknown, path: string): number {
    return typeof value === "number" && Number.isFinite(value)
      ? value
      : this.fail(path, "a finite number", value);
  }

  nonNegative(value: unknown, path: string): number {
    const number = this.finite(value, path);
    return number >= 0 ? number : this.fail(path, "a number ≥ 0", value);
  }

  count(value: unknown, path: string): number {
    return Number.isSafeInteger(value) && (value as number) >= 0
      ? (value as number)
      : this.fail(path, "an integer ≥ 0", value);
  }

  boolean(value: unknown, path: string): boolean {
    return typeof value === "boolean" ? value : this.fail(path, "true or false", value);
  }

  oneOf<T extends string>(value: unknown, allowed: readonly T[], path: string): T {
    return typeof value === "string" && (allowed as readonly string[]).includes(value)
      ? (value as T)
      : this.fail(path, `one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value);
  }

  dateTimeMs(value: unknown, path: string): number {
    const text = this.string(value, path);
    const ms = DATE_TIME_PATTERN.test(text) ? Date.parse(text) : NaN;
    return Number.isFinite(ms) ? ms : this.fail(path, "an ISO-8601 date-time with a time zone", value);
  }

  probe(value: unknown, path: string, target?: DbRole): ProbeResult {
    const probe = this.record(value, path);
    const role = this.oneOf(probe.target, DB_ROLES, `${path}.target`);
    if (target !== undefined && role !== target) this.fail(`${path}.target`, JSON.stringify(target), role);
    const detail = probe.detail;
    if (detail !== undefined && typeof detail !== "string")
      this.fail(`${path}.detail`, "a string if present", detail);
    return {
      target: role,
      atMs: this.nonNegative(probe.atMs, `${path}.atMs`),
      outcome: this.oneOf(probe.outcome, PROBE_OUTCOMES, `${path}.outcome`),
      latencyMs: this.nonNegative(probe.latencyMs, `${path}.latencyMs`),
      ...(detail === undefined ? {} : { detail }),
    };
  }

  lag(value: unknown, path: string): LagReading | null {
    if (value === null) return null;
    const lag = this.record(value, path);
    // Any finite lag is accepted, negative included: the heartbeat is written with the primary's
    // clock and read with the replica's, so a small skew can give a slightly negative lag, and
    // refusing the whole result for it would hide a failing primary.
    const lagSeconds = lag.lagSeconds === null ? null : this.finite(lag.lagSeconds, `${path}.lagSeconds`);
    return {
      atMs: this.nonNegative(lag.atMs, `${path}.atMs`),
      lagSeconds,
      probe: this.probe(lag.probe, `${path}.probe`, "replica"),
    };
  }
}

/**
 * Validates a health-monitor result (the `responsePayload` of the destination envelope) and returns
 * a copy holding only the known fields.
 */
export function parseMonitorResult(value: unknown, path = "responsePayload"): MonitorResult {
  const fields = new Fields("the health-monitor result");
  const result = fields.record(value, path);
  const startedAtMs = fields.nonNegative(result.startedAtMs, `${path}.startedAtMs`);
  const finishedAtMs = fields.nonNegative(result.finishedAtMs, `${path}.finishedAtMs`);
  if (finishedAtMs < startedAtMs) {
    fields.fail(`${path}.finishedAtMs`, `≥ startedAtMs (${startedAtMs})`, finishedAtMs);
  }
  const rawProbes: unknown = result.primaryProbes;
  if (!Array.isArray(rawProbes) || rawProbes.length === 0) {
    return fields.fail(`${path}.primaryProbes`, "a non-empty array of probe results", rawProbes);
  }
  const primaryProbes = rawProbes.map((probe: unknown, index) =>
    fields.probe(probe, `${path}.primaryProbes[${index}]`, "primary"),
  );
  primaryProbes.forEach((probe, index) => {
    if (index > 0 && probe.atMs < primaryProbes[index - 1].atMs) {
      fields.fail(
        `${path}.primaryProbes[${index}].atMs`,
        `oldest first (≥ ${primaryProbes[index - 1].atMs})`,
        probe.atMs,
      );
    }
  });
  const consecutiveFailures = fields.count(result.consecutiveFailures, `${path}.consecutiveFailures`);
  if (consecutiveFailures > primaryProbes.length) {
    fields.fail(
      `${path}.consecutiveFailures`,
      `at most the number of probes (${primaryProbes.length})`,
      consecutiveFailures,
    );
  }
  return {
    runId: fields.string(result.runId, `${path}.runId`),
    startedAtMs,
    finishedAtMs,
    primaryProbes,
    lag: fields.lag(result.lag, `${path}.lag`),
    lastHealthyLag: fields.lag(result.lastHealthyLag, `${path}.lastHealthyLag`),
    consecutiveFailures,
    suspectedFailure: fields.boolean(result.suspectedFailure, `${path}.suspectedFailure`),
  };
}

/**
 * Parses the envelope Lambda sends to an asynchronous invocation's destination:
 * `{ version, timestamp, requestContext: { requestId, functionArn, condition, approximateInvokeCount },
 * requestPayload, responseContext, responsePayload }`.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export function parseMonitorEnvelope(event: JsonObject, expected: EventExpectations): ParsedEvent {
  const fields = new Fields("the health-monitor result");
  fields.string(event.version, "version");
  fields.dateTimeMs(event.timestamp, "timestamp");
  const context = fields.record(event.requestContext, "requestContext");
  fields.string(context.requestId, "requestContext.requestId");
  const functionArn = fields.string(context.functionArn, "requestContext.functionArn");
  const match = FUNCTION_ARN_PATTERN.exec(functionArn);
  if (match === null || match[1] !== expected.monitorFunctionName) {
    refuse(
      "the health-monitor result",
      `requestContext.functionArn ${JSON.stringify(functionArn)} does not name the function ${JSON.stringify(
        expected.monitorFunctionName,
      )} (MONITOR_FUNCTION_NAME)`,
    );
  }
  // Only a successful run carries a MonitorResult. On failure the payload is the error; the
  // function-errors and monitor-silent alarms report that, and guessing here would be worse.
  if (context.condition !== "Success") {
    fields.fail("requestContext.condition", '"Success"', context.condition);
  }
  if (
    !Number.isSafeInteger(context.approximateInvokeCount) ||
    (context.approximateInvokeCount as number) < 1
  ) {
    fields.fail("requestContext.approximateInvokeCount", "an integer ≥ 1", context.approximateInvokeCount);
  }
  const responseContext = fields.record(event.responseContext, "responseContext");
  if (responseContext.functionError !== undefined) {
    fields.fail("responseContext.functionError", "absent (a successful run)", responseContext.functionError);
  }
  const result = parseMonitorResult(event.responsePayload);
  return {
    kind: "evaluate",
    source: "monitor",
    trigger: { kind: "monitor", runId: result.runId },
    evidence: { primaryProbes: result.primaryProbes, lastHealthyLag: result.lastHealthyLag },
  };
}

/**
 * Parses EventBridge's `CloudWatch Alarm State Change` event for the primary-unreachable alarm.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export function parseAlarmEvent(event: JsonObject, expected: EventExpectations): ParsedEvent {
  const fields = new Fields("the alarm event");
  if (event.source !== "aws.cloudwatch") fields.fail("source", '"aws.cloudwatch"', event.source);
  if (event["detail-type"] !== "CloudWatch Alarm State Change") {
    fields.fail("detail-type", '"CloudWatch Alarm State Change"', event["detail-type"]);
  }
  const detail = fields.record(event.detail, "detail");
  const alarmName = fields.string(detail.alarmName, "detail.alarmName");
  if (alarmName !== expected.primaryAlarmName) {
    refuse(
      "the alarm event",
      `detail.alarmName ${JSON.stringify(alarmName)} is not the primary-unreachable alarm ${JSON.stringify(
        expected.primaryAlarmName,
      )} (PRIMARY_ALARM_NAME)`,
    );
  }
  const state = fields.record(detail.state, "detail.state");
  const value = fields.oneOf(state.value, ALARM_STATES, "detail.state.value");
  const reason = fields.string(state.reason, "detail.state.reason");
  const sinceMs = fields.dateTimeMs(state.timestamp, "detail.state.timestamp");
  if (value !== "ALARM") {
    return {
      kind: "no-action",
      source: "alarm",
      reason: `Alarm ${alarmName} is ${value}: only ALARM asks for an evaluation.`,
    };
  }
  return {
    kind: "evaluate",
    source: "alarm",
    trigger: { kind: "alarm", alarm: { alarmName, state: value, sinceMs, reason } },
    evidence: { primaryProbes: [], lastHealthyLag: null },
  };
}

/**
 * Parses an operator request: `{ action, requestedBy, reason, acceptDataLoss? }` and nothing else.
 */
export function parseManualRequest(event: JsonObject): ParsedEvent {
  const fields = new Fields("the operator request");
  const unexpected = Object.keys(event).filter(
    (key) => !(MANUAL_REQUEST_KEYS as readonly string[]).includes(key),
  );
  if (unexpected.length > 0) {
    refuse(
      "the operator request",
      `unexpected key${unexpected.length === 1 ? "" : "s"} ${unexpected.map((k) => JSON.stringify(k)).join(", ")}; allowed keys are ${MANUAL_REQUEST_KEYS.join(", ")}`,
    );
  }
  const action = fields.oneOf(event.action, MANUAL_ACTIONS, "action");
  const requestedBy = fields.string(event.requestedBy, "requestedBy").trim();
  if (requestedBy.length > MAX_REQUESTED_BY_LENGTH) {
    refuse(
      "the operator request",
      `requestedBy is ${requestedBy.length} characters long; at most ${MAX_REQUESTED_BY_LENGTH} are allowed`,
    );
  }
  const reason = fields.string(event.reason, "reason").trim();
  if (reason.length > MAX_REASON_LENGTH) {
    refuse(
      "the operator request",
      `reason is ${reason.length} characters long; at most ${MAX_REASON_LENGTH} are allowed`,
    );
  }
  const acceptDataLoss =
    event.acceptDataLoss === undefined ? false : fields.boolean(event.acceptDataLoss, "acceptDataLoss");
  // A switchover waits for the replica to catch up (no data loss by construction) and a status
  // request does nothing, so accepting data loss there means the operator meant something else.
  if (acceptDataLoss && action !== "failover") {
    refuse("the operator request", `acceptDataLoss applies only to action "failover", not "${action}"`);
  }
  return {
    kind: "evaluate",
    source: "manual",
    trigger: { kind: "manual", action, requestedBy, reason, acceptDataLoss },
    evidence: { primaryProbes: [], lastHealthyLag: null },
  };
}

/**
 * Parses any event the failover function receives. Throws {@link InvalidEventError} for anything
 * that is not exactly one of the accepted events.
 */
export function parseFailoverEvent(event: unknown, expected: EventExpectations): ParsedEvent {
  if (!isRecord(event)) {
    return refuse("the event", `expected an object, got ${describeValue(event)}`);
  }
  if ("requestContext" in event || "responsePayload" in event) return parseMonitorEnvelope(event, expected);
  if ("detail-type" in event || "source" in event) return parseAlarmEvent(event, expected);
  if ("action" in event) return parseManualRequest(event);
  return refuse(
    "the event",
    `it is neither a health-monitor result (requestContext, responsePayload), an alarm state change (source "aws.cloudwatch") nor an operator request (action, requestedBy, reason); keys were ${
      Object.keys(event).length === 0 ? "none" : Object.keys(event).slice(0, 10).join(", ")
    }`,
  );
}
