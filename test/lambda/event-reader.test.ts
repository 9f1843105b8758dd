import { describeValue, isRecord, MAX_REQUESTED_BY_LENGTH } from "../../lib/lambda/event-reader";

describe("describeValue: what a refusal says it received", () => {
  const situations: ReadonlyArray<readonly [string, unknown, string]> = [
    ["a missing field", undefined, "nothing"],
    ["null", null, "null"],
    ["an array says only its length", [1, 2, 3], "an array of 3"],
    ["a short string is quoted whole", "ALARM", 'the string "ALARM"'],
    ["a string of exactly 40 characters is quoted whole", "x".repeat(40), `the string "${"x".repeat(40)}"`],
    ["a longer string is cut at 40 characters", "y".repeat(41), `the string "${"y".repeat(40)}"…`],
    ["an object never shows its content", { secret: "s3cr3t" }, "an object"],
    ["a number", 42, "number 42"],
    ["a boolean", false, "boolean false"],
  ];
  it.each(situations)("%s", (_situation, value, expected) => {
    expect(describeValue(value)).toBe(expected);
  });
});

describe("isRecord: only a plain JSON object is an event", () => {
  const situations: ReadonlyArray<readonly [string, unknown, boolean]> = [
    ["an object", { source: "aws.events" }, true],
    ["an empty object", {}, true],
    ["null", null, false],
    ["an array", [], false],
    ["a string", "{}", false],
    ["nothing", undefined, false],
  ];
  it.each(situations)("%s", (_situation, value, expected) => {
    expect(isRecord(value)).toBe(expected);
  });
});

describe("MAX_REQUESTED_BY_LENGTH", () => {
  it("is the one limit on an operator's name, shared by the failover and snapshot-export requests", () => {
    expect(MAX_REQUESTED_BY_LENGTH).toBe(128);
  });
});
