import { InvalidEventError } from "../../../lib/lambda/core/errors";
import { parseMonitorEvent } from "../../../lib/lambda/health-monitor/events";
import { scheduledEvent } from "./fixtures";

describe("parseMonitorEvent", () => {
  it("turns a scheduled tick into a run named after the event id", () => {
    expect(parseMonitorEvent(scheduledEvent())).toEqual({
      kind: "run",
      runId: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    });
  });

  it("accepts exactly {action: bootstrap}", () => {
    expect(parseMonitorEvent({ action: "bootstrap" })).toEqual({ kind: "bootstrap" });
  });

  it("accepts exactly {action: replication-positions}", () => {
    expect(parseMonitorEvent({ action: "replication-positions" })).toEqual({ kind: "replication-positions" });
  });

  const SHAPES = '{"action":"bootstrap"} or {"action":"replication-positions"}';
  const refused: [string, unknown, string][] = [
    ["null", null, "expected an object, got null"],
    ["an array", [scheduledEvent()], "expected an object, got an array of 1"],
    ["a string", "bootstrap", 'expected an object, got the string "bootstrap"'],
    [
      "another action",
      { action: "failover" },
      `a request must be exactly ${SHAPES}, got action the string "failover"`,
    ],
    [
      "bootstrap with extra keys",
      { action: "bootstrap", user: "postgres" },
      `a request must be exactly ${SHAPES}, got action the string "bootstrap" and unexpected keys "user"`,
    ],
    [
      "replication-positions with extra keys",
      { action: "replication-positions", timeoutMs: 60_000 },
      `a request must be exactly ${SHAPES}, got action the string "replication-positions" and unexpected keys "timeoutMs"`,
    ],
    [
      "the action in another case",
      { action: "Replication-Positions" },
      `a request must be exactly ${SHAPES}, got action the string "Replication-Positions"`,
    ],
    [
      "an action that is not a string",
      { action: ["replication-positions"] },
      `a request must be exactly ${SHAPES}, got action an array of 1`,
    ],
    [
      "an alarm event",
      { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", id: "x" },
      `expected an EventBridge scheduled event (source "aws.events", detail-type "Scheduled Event") or ${SHAPES}, got source the string "aws.cloudwatch" and detail-type the string "CloudWatch Alarm State Change"`,
    ],
    [
      "an empty object",
      {},
      `expected an EventBridge scheduled event (source "aws.events", detail-type "Scheduled Event") or ${SHAPES}, got source nothing and detail-type nothing`,
    ],
    [
      "a scheduled event without id",
      { ...scheduledEvent(), id: "" },
      'a scheduled event must carry its id, got the string ""',
    ],
  ];
  it.each(refused)("refuses %s", (_name, event, message) => {
    let error: unknown;
    try {
      parseMonitorEvent(event);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toBe(`Refused the health-monitor event: ${message}. Nothing was done.`);
  });
});
