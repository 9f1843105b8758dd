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

  const refused: [string, unknown, string][] = [
    ["null", null, "expected an object, got null"],
    ["an array", [scheduledEvent()], "expected an object, got an array of 1"],
    ["a string", "bootstrap", 'expected an object, got the string "bootstrap"'],
    [
      "another action",
      { action: "failover" },
      'an operator request must be exactly {"action":"bootstrap"}, got action the string "failover"',
    ],
    [
      "bootstrap with extra keys",
      { action: "bootstrap", user: "postgres" },
      'an operator request must be exactly {"action":"bootstrap"}, got action the string "bootstrap" and unexpected keys "user"',
    ],
    [
      "an alarm event",
      { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change", id: "x" },
      'expected an EventBridge scheduled event (source "aws.events", detail-type "Scheduled Event") or {"action":"bootstrap"}, got source the string "aws.cloudwatch" and detail-type the string "CloudWatch Alarm State Change"',
    ],
    [
      "an empty object",
      {},
      'expected an EventBridge scheduled event (source "aws.events", detail-type "Scheduled Event") or {"action":"bootstrap"}, got source nothing and detail-type nothing',
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
