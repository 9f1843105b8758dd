import { InvalidEventError } from "../../../lib/lambda/core/errors";
import { MAX_REQUESTED_BY_LENGTH } from "../../../lib/lambda/event-reader";
import {
  parseFailoverEvent,
  parseMonitorResult,
  type ParsedEvent,
} from "../../../lib/lambda/failover/events";
import { alarmEvent, EXPECTATIONS, failingRun, monitorEnvelope, probe, T0_MS } from "./fixtures";

function parse(event: unknown): ParsedEvent {
  return parseFailoverEvent(event, EXPECTATIONS);
}

/** Parses and returns the InvalidEventError's message; fails the test when the event is accepted. */
function refusal(event: unknown): string {
  try {
    parse(event);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return (error as Error).message;
  }
  throw new Error("the event was accepted");
}

describe("health-monitor result (Lambda destination envelope)", () => {
  it("accepts a successful run of the monitor and hands over its probes and last healthy lag", () => {
    const run = failingRun();
    expect(parse(monitorEnvelope(run))).toEqual({
      kind: "evaluate",
      source: "monitor",
      trigger: { kind: "monitor", runId: "6f1c2b7e-run" },
      evidence: { primaryProbes: run.primaryProbes, lastHealthyLag: run.lastHealthyLag },
    });
  });

  it("keeps only the known fields of the result and of each probe", () => {
    const run = { ...failingRun(), extra: "ignored", primaryProbes: [{ ...probe(0, "ok"), extra: 1 }] };
    const parsed = parseMonitorResult({ ...run, consecutiveFailures: 0 });
    expect(parsed).not.toHaveProperty("extra");
    expect(parsed.primaryProbes).toEqual([{ target: "primary", atMs: T0_MS, outcome: "ok", latencyMs: 12 }]);
  });

  const accepted: [string, Record<string, unknown>][] = [
    ["no lag known in this run", monitorEnvelope(failingRun({ lag: null, lastHealthyLag: null }))],
    [
      "a replica that could not be read (lagSeconds null)",
      monitorEnvelope(
        failingRun({
          lag: {
            atMs: T0_MS,
            lagSeconds: null,
            probe: { target: "replica", atMs: T0_MS, outcome: "timeout", latencyMs: 3000, detail: "timeout" },
          },
        }),
      ),
    ],
    [
      "a slightly negative lag from clock skew between primary and replica",
      monitorEnvelope(
        failingRun({
          lastHealthyLag: {
            atMs: T0_MS,
            lagSeconds: -0.2,
            probe: { target: "replica", atMs: T0_MS, outcome: "ok", latencyMs: 5 },
          },
        }),
      ),
    ],
    [
      "an unqualified function ARN",
      monitorEnvelope(
        undefined,
        {},
        {
          functionArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:health-monitor-dev",
        },
      ),
    ],
    [
      "a function ARN with an alias, in another partition",
      monitorEnvelope(
        undefined,
        {},
        {
          functionArn: "arn:aws-cn:lambda:cn-north-1:123456789012:function:health-monitor-dev:live",
        },
      ),
    ],
    ["a second delivery attempt", monitorEnvelope(undefined, {}, { approximateInvokeCount: 3 })],
    ["a healthy run", monitorEnvelope(failingRun({ consecutiveFailures: 0, suspectedFailure: false }))],
  ];
  it.each(accepted)("accepts %s", (_name, event) => {
    expect(parse(event).kind).toBe("evaluate");
  });

  const refused: [string, unknown, string][] = [
    [
      "a result from another function",
      monitorEnvelope(
        undefined,
        {},
        {
          functionArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:health-monitor-prod:$LATEST",
        },
      ),
      'requestContext.functionArn "arn:aws:lambda:ap-southeast-1:123456789012:function:health-monitor-prod:$LATEST" does not name the function "health-monitor-dev" (MONITOR_FUNCTION_NAME)',
    ],
    [
      "a function whose name only starts with the monitor's",
      monitorEnvelope(
        undefined,
        {},
        {
          functionArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:health-monitor-dev-copy",
        },
      ),
      'does not name the function "health-monitor-dev"',
    ],
    [
      "a bare function name instead of an ARN",
      monitorEnvelope(undefined, {}, { functionArn: "health-monitor-dev" }),
      'requestContext.functionArn "health-monitor-dev" does not name the function',
    ],
    [
      "a failed run (on-failure destination)",
      monitorEnvelope({ errorType: "Error", errorMessage: "boom" }, {}, { condition: "RetriesExhausted" }),
      'requestContext.condition must be "Success", got the string "RetriesExhausted"',
    ],
    [
      "a function error in the response context",
      monitorEnvelope(undefined, { responseContext: { statusCode: 200, functionError: "Unhandled" } }),
      'responseContext.functionError must be absent (a successful run), got the string "Unhandled"',
    ],
    [
      "an invoke count of 0",
      monitorEnvelope(undefined, {}, { approximateInvokeCount: 0 }),
      "requestContext.approximateInvokeCount must be an integer ≥ 1, got number 0",
    ],
    [
      "a timestamp without a time zone",
      monitorEnvelope(undefined, { timestamp: "2026-03-01 10:00:48" }),
      'timestamp must be an ISO-8601 date-time with a time zone, got the string "2026-03-01 10:00:48"',
    ],
    [
      "a missing request context",
      monitorEnvelope(undefined, { requestContext: undefined }),
      "requestContext must be an object, got nothing",
    ],
    ["a null payload", monitorEnvelope(null), "responsePayload must be an object, got null"],
    [
      "a payload without runId",
      monitorEnvelope({ ...failingRun(), runId: undefined }),
      "responsePayload.runId must be a non-empty string, got nothing",
    ],
    [
      "a run without probes",
      monitorEnvelope(failingRun({ primaryProbes: [], consecutiveFailures: 0 })),
      "responsePayload.primaryProbes must be a non-empty array of probe results, got an array of 0",
    ],
    [
      "an unknown probe outcome",
      monitorEnvelope(failingRun({ primaryProbes: [{ ...probe(0, "ok"), outcome: "down" as never }] })),
      'responsePayload.primaryProbes[0].outcome must be one of "ok", "unreachable", "timeout", "auth-failed", "read-only", "error", got the string "down"',
    ],
    [
      "a replica probe among the primary's probes",
      monitorEnvelope(failingRun({ primaryProbes: [{ ...probe(0, "ok"), target: "replica" }] })),
      'responsePayload.primaryProbes[0].target must be "primary", got the string "replica"',
    ],
    [
      "probes out of order",
      monitorEnvelope(
        failingRun({ primaryProbes: [probe(15, "timeout"), probe(0, "ok")], consecutiveFailures: 0 }),
      ),
      `responsePayload.primaryProbes[1].atMs must be oldest first (≥ ${T0_MS + 15_000}), got number ${T0_MS}`,
    ],
    [
      "a latency given as a string",
      monitorEnvelope(failingRun({ primaryProbes: [{ ...probe(0, "ok"), latencyMs: "12" as never }] })),
      'responsePayload.primaryProbes[0].latencyMs must be a finite number, got the string "12"',
    ],
    [
      "an infinite probe time",
      monitorEnvelope(failingRun({ primaryProbes: [{ ...probe(0, "ok"), atMs: Infinity }] })),
      "responsePayload.primaryProbes[0].atMs must be a finite number, got number Infinity",
    ],
    [
      "a negative latency",
      monitorEnvelope(failingRun({ primaryProbes: [probe(0, "ok", -1)], consecutiveFailures: 0 })),
      "responsePayload.primaryProbes[0].latencyMs must be a number ≥ 0, got number -1",
    ],
    [
      "a probe detail that is not a string",
      monitorEnvelope(failingRun({ primaryProbes: [{ ...probe(0, "ok"), detail: 5 as never }] })),
      "responsePayload.primaryProbes[0].detail must be a string if present, got number 5",
    ],
    [
      "more consecutive failures than probes",
      monitorEnvelope(failingRun({ consecutiveFailures: 5 })),
      "responsePayload.consecutiveFailures must be at most the number of probes (4), got number 5",
    ],
    [
      "a fractional failure count",
      monitorEnvelope(failingRun({ consecutiveFailures: 1.5 })),
      "responsePayload.consecutiveFailures must be an integer ≥ 0, got number 1.5",
    ],
    [
      "suspectedFailure as a string",
      monitorEnvelope(failingRun({ suspectedFailure: "yes" as never })),
      'responsePayload.suspectedFailure must be true or false, got the string "yes"',
    ],
    [
      "a run that finished before it started",
      monitorEnvelope(failingRun({ finishedAtMs: T0_MS - 10_000 })),
      `responsePayload.finishedAtMs must be ≥ startedAtMs (${T0_MS - 600}), got number ${T0_MS - 10_000}`,
    ],
    [
      "a lag reading taken from the primary",
      monitorEnvelope(
        failingRun({
          lag: {
            atMs: T0_MS,
            lagSeconds: 1,
            probe: { target: "primary", atMs: T0_MS, outcome: "ok", latencyMs: 5 },
          },
        }),
      ),
      'responsePayload.lag.probe.target must be "replica", got the string "primary"',
    ],
    [
      "a lag given as a string",
      monitorEnvelope(
        failingRun({
          lastHealthyLag: {
            atMs: T0_MS,
            lagSeconds: "1.5" as never,
            probe: { target: "replica", atMs: T0_MS, outcome: "ok", latencyMs: 5 },
          },
        }),
      ),
      'responsePayload.lastHealthyLag.lagSeconds must be a finite number, got the string "1.5"',
    ],
    [
      "a missing lastHealthyLag (must be null when unknown)",
      monitorEnvelope({ ...failingRun(), lastHealthyLag: undefined }),
      "responsePayload.lastHealthyLag must be an object, got nothing",
    ],
  ];
  it.each(refused)("refuses %s", (_name, event, message) => {
    const text = refusal(event);
    expect(text).toContain(message);
    expect(text).toMatch(/^Refused the health-monitor result: .*\. Nothing was done\.$/s);
  });
});

describe("primary-unreachable alarm (EventBridge)", () => {
  it("turns ALARM into an alarm trigger with the time the alarm state began", () => {
    expect(parse(alarmEvent())).toEqual({
      kind: "evaluate",
      source: "alarm",
      trigger: {
        kind: "alarm",
        alarm: {
          alarmName: "primary-unreachable-dev",
          state: "ALARM",
          // CloudWatch writes the offset as +0000 (no colon).
          sinceMs: Date.UTC(2026, 2, 1, 10, 3, 0, 123),
          reason: "Threshold Crossed: 3 out of the last 3 datapoints were less than the threshold (1.0).",
        },
      },
      evidence: { primaryProbes: [], lastHealthyLag: null },
    });
  });

  const noAction: [string, string][] = [
    ["OK", "Alarm primary-unreachable-dev is OK: only ALARM asks for an evaluation."],
    [
      "INSUFFICIENT_DATA",
      "Alarm primary-unreachable-dev is INSUFFICIENT_DATA: only ALARM asks for an evaluation.",
    ],
  ];
  it.each(noAction)("takes no action when the alarm goes to %s", (value, reason) => {
    expect(parse(alarmEvent({ value }))).toEqual({ kind: "no-action", source: "alarm", reason });
  });

  const refused: [string, unknown, string][] = [
    [
      "an alarm with another name",
      alarmEvent({}, { detail: { ...(alarmEvent().detail as object), alarmName: "cpu-high-dev" } }),
      'detail.alarmName "cpu-high-dev" is not the primary-unreachable alarm "primary-unreachable-dev" (PRIMARY_ALARM_NAME)',
    ],
    [
      "a lower-case state",
      alarmEvent({ value: "alarm" }),
      'detail.state.value must be one of "ALARM", "OK", "INSUFFICIENT_DATA", got the string "alarm"',
    ],
    [
      "an unparseable state timestamp",
      alarmEvent({ timestamp: "yesterday" }),
      'detail.state.timestamp must be an ISO-8601 date-time with a time zone, got the string "yesterday"',
    ],
    [
      "a state without a reason",
      alarmEvent({ reason: "" }),
      'detail.state.reason must be a non-empty string, got the string ""',
    ],
    [
      "a scheduled event sent here by mistake",
      { source: "aws.events", "detail-type": "Scheduled Event", detail: {} },
      'source must be "aws.cloudwatch", got the string "aws.events"',
    ],
    [
      "another CloudWatch event type",
      alarmEvent({}, { "detail-type": "CloudWatch Alarm Configuration Change" }),
      'detail-type must be "CloudWatch Alarm State Change", got the string "CloudWatch Alarm Configuration Change"',
    ],
    [
      "an event without detail",
      alarmEvent({}, { detail: undefined }),
      "detail must be an object, got nothing",
    ],
    [
      "a detail without state",
      alarmEvent({}, { detail: { alarmName: "primary-unreachable-dev" } }),
      "detail.state must be an object, got nothing",
    ],
  ];
  it.each(refused)("refuses %s", (_name, event, message) => {
    const text = refusal(event);
    expect(text).toContain(message);
    expect(text.startsWith("Refused the alarm event: ")).toBe(true);
  });
});

describe("operator request", () => {
  const accepted: [string, Record<string, unknown>, ParsedEvent][] = [
    [
      "a failover accepting data loss",
      {
        action: "failover",
        requestedBy: "alice@example.com",
        reason: "primary AZ lost",
        acceptDataLoss: true,
      },
      {
        kind: "evaluate",
        source: "manual",
        trigger: {
          kind: "manual",
          action: "failover",
          requestedBy: "alice@example.com",
          reason: "primary AZ lost",
          acceptDataLoss: true,
        },
        evidence: { primaryProbes: [], lastHealthyLag: null },
      },
    ],
    [
      "a switchover (acceptDataLoss defaults to false, whitespace trimmed)",
      { action: "switchover", requestedBy: "  bob  ", reason: " quarterly game day " },
      {
        kind: "evaluate",
        source: "manual",
        trigger: {
          kind: "manual",
          action: "switchover",
          requestedBy: "bob",
          reason: "quarterly game day",
          acceptDataLoss: false,
        },
        evidence: { primaryProbes: [], lastHealthyLag: null },
      },
    ],
    [
      "a status request with acceptDataLoss false",
      { action: "status", requestedBy: "oncall", reason: "check", acceptDataLoss: false },
      {
        kind: "evaluate",
        source: "manual",
        trigger: {
          kind: "manual",
          action: "status",
          requestedBy: "oncall",
          reason: "check",
          acceptDataLoss: false,
        },
        evidence: { primaryProbes: [], lastHealthyLag: null },
      },
    ],
  ];
  it.each(accepted)("accepts %s", (_name, event, expected) => {
    expect(parse(event)).toEqual(expected);
  });

  it(`accepts requestedBy of exactly ${MAX_REQUESTED_BY_LENGTH} characters`, () => {
    const requestedBy = "a".repeat(MAX_REQUESTED_BY_LENGTH);
    const parsed = parse({ action: "status", requestedBy, reason: "check" });
    expect(parsed.kind === "evaluate" && parsed.trigger.kind === "manual" && parsed.trigger.requestedBy).toBe(
      requestedBy,
    );
  });

  const refused: [string, unknown, string][] = [
    [
      "a typo in acceptDataLoss",
      { action: "failover", requestedBy: "alice", reason: "r", acceptDataloss: true },
      'unexpected key "acceptDataloss"; allowed keys are action, requestedBy, reason, acceptDataLoss',
    ],
    [
      "two unexpected keys",
      { action: "failover", requestedBy: "alice", reason: "r", force: true, target: "x" },
      'unexpected keys "force", "target"',
    ],
    [
      "a missing requestedBy",
      { action: "failover", reason: "r" },
      "requestedBy must be a non-empty string, got nothing",
    ],
    [
      "a blank requestedBy",
      { action: "failover", requestedBy: "   ", reason: "r" },
      'requestedBy must be a non-empty string, got the string "   "',
    ],
    [
      "a requestedBy one character too long",
      { action: "status", requestedBy: "a".repeat(MAX_REQUESTED_BY_LENGTH + 1), reason: "r" },
      "requestedBy is 129 characters long; at most 128 are allowed",
    ],
    [
      "a missing reason",
      { action: "switchover", requestedBy: "alice" },
      "reason must be a non-empty string, got nothing",
    ],
    [
      "a reason longer than 1024 characters",
      { action: "switchover", requestedBy: "alice", reason: "x".repeat(1025) },
      "reason is 1025 characters long; at most 1024 are allowed",
    ],
    [
      "an action in the wrong case",
      { action: "Failover", requestedBy: "alice", reason: "r" },
      'action must be one of "failover", "switchover", "status", got the string "Failover"',
    ],
    [
      "acceptDataLoss given as a string",
      { action: "failover", requestedBy: "alice", reason: "r", acceptDataLoss: "true" },
      'acceptDataLoss must be true or false, got the string "true"',
    ],
    [
      "acceptDataLoss on a switchover",
      { action: "switchover", requestedBy: "alice", reason: "r", acceptDataLoss: true },
      'acceptDataLoss applies only to action "failover", not "switchover"',
    ],
    [
      "acceptDataLoss on a status request",
      { action: "status", requestedBy: "alice", reason: "r", acceptDataLoss: true },
      'acceptDataLoss applies only to action "failover", not "status"',
    ],
  ];
  it.each(refused)("refuses %s", (_name, event, message) => {
    const text = refusal(event);
    expect(text).toContain(message);
    expect(text.startsWith("Refused the operator request: ")).toBe(true);
  });
});

describe("anything else", () => {
  const refused: [string, unknown, string][] = [
    ["null", null, "Refused the event: expected an object, got null. Nothing was done."],
    ["undefined", undefined, "Refused the event: expected an object, got nothing. Nothing was done."],
    [
      "an array",
      [{ action: "failover" }],
      "Refused the event: expected an object, got an array of 1. Nothing was done.",
    ],
    [
      "a string",
      "failover",
      'Refused the event: expected an object, got the string "failover". Nothing was done.',
    ],
    ["a number", 42, "Refused the event: expected an object, got number 42. Nothing was done."],
    [
      "an empty object",
      {},
      'Refused the event: it is neither a health-monitor result (requestContext, responsePayload), an alarm state change (source "aws.cloudwatch") nor an operator request (action, requestedBy, reason); keys were none. Nothing was done.',
    ],
    [
      "an object of unknown shape",
      { command: "failover", user: "alice" },
      "keys were command, user. Nothing was done.",
    ],
  ];
  it.each(refused)("refuses %s", (_name, event, message) => {
    expect(refusal(event)).toContain(message);
  });
});
