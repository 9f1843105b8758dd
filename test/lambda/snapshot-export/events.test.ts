import { InvalidEventError } from "../../../lib/lambda/core/errors";
import { parseExportEvent } from "../../../lib/lambda/snapshot-export/events";
import { scheduledEvent } from "./fixtures";

describe("parseExportEvent", () => {
  it("accepts the scheduled event", () => {
    expect(parseExportEvent(scheduledEvent())).toEqual({
      trigger: "scheduled",
      requestedBy: "schedule 7bf73129-1428-4cd3-a780-95db273d1602",
    });
  });

  it("accepts an operator's export-now with who asked", () => {
    expect(parseExportEvent({ action: "export-now", requestedBy: " alice@example.com " })).toEqual({
      trigger: "export-now",
      requestedBy: "alice@example.com",
    });
  });

  const refused: [string, unknown, string][] = [
    ["null", null, "expected an object, got null"],
    ["an array", [], "expected an object, got an array of 0"],
    ["a string", "export", 'expected an object, got the string "export"'],
    ["another action", { action: "failover", requestedBy: "bob" }, 'got action the string "failover"'],
    [
      "extra keys",
      { action: "export-now", requestedBy: "bob", snapshot: "rds:x" },
      'and unexpected keys "snapshot"',
    ],
    [
      "no requestedBy",
      { action: "export-now" },
      "requestedBy must name who asks, in 1 to 128 characters, got nothing",
    ],
    ["a blank requestedBy", { action: "export-now", requestedBy: "  " }, "requestedBy must name who asks"],
    [
      "a too long requestedBy",
      { action: "export-now", requestedBy: "x".repeat(129) },
      "requestedBy must name who asks",
    ],
    [
      "an alarm event",
      { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change" },
      'got source the string "aws.cloudwatch" and detail-type the string "CloudWatch Alarm State Change"',
    ],
    ["a scheduled event without id", scheduledEvent({ id: "" }), 'must carry its id, got the string ""'],
  ];
  it.each(refused)("refuses %s and says why", (_name, event, message) => {
    expect(() => parseExportEvent(event)).toThrow(InvalidEventError);
    expect(() => parseExportEvent(event)).toThrow(message);
    expect(() => parseExportEvent(event)).toThrow(
      /^Refused the snapshot-export event: .*Nothing was done\.$/s,
    );
  });
});
