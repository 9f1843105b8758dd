/**
 * The health-monitor's and the snapshot export's event parsers, for any input: they either accept
 * exactly their few shapes or refuse with an InvalidEventError, never anything else; and an
 * operator request with any key beyond the allowed ones is refused.
 */
import fc from "fast-check";
import { InvalidEventError } from "../../lib/lambda/core/errors";
import { parseMonitorEvent } from "../../lib/lambda/health-monitor/events";
import { parseExportEvent } from "../../lib/lambda/snapshot-export/events";

const RUNS = 2000;

function outcome(parse: (event: unknown) => unknown, event: unknown): "accepted" | "refused" | "other-error" {
  try {
    parse(event);
    return "accepted";
  } catch (error) {
    return error instanceof InvalidEventError ? "refused" : "other-error";
  }
}

/** Arbitrary values, plus near misses of the scheduled event. */
const anyEvent = fc.oneof(
  fc.anything(),
  fc.record({
    source: fc.oneof(fc.constant("aws.events"), fc.string()),
    "detail-type": fc.oneof(fc.constant("Scheduled Event"), fc.string()),
    id: fc.anything(),
  }),
);

describe.each([
  ["health-monitor", parseMonitorEvent as (event: unknown) => unknown, { action: "bootstrap" }],
  [
    "snapshot-export",
    parseExportEvent as (event: unknown) => unknown,
    { action: "export-now", requestedBy: "alice" },
  ],
])("%s event parsing, for any input", (_name, parse, request) => {
  it("accepts or refuses with InvalidEventError, never throws anything else", () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        expect(outcome(parse, event)).not.toBe("other-error");
      }),
      { numRuns: RUNS },
    );
  });

  it("accepts a scheduled event only from EventBridge's scheduler with an id", () => {
    fc.assert(
      fc.property(anyEvent, (event) => {
        if (outcome(parse, event) !== "accepted") return;
        const e = event as Record<string, unknown>;
        expect(e.source).toBe("aws.events");
        expect(e["detail-type"]).toBe("Scheduled Event");
        expect(typeof e.id).toBe("string");
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses an operator request with any extra key", () => {
    const extraKey = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((key) => !Object.keys(request).includes(key) && key !== "__proto__");
    fc.assert(
      fc.property(extraKey, fc.jsonValue(), (key, value) => {
        expect(outcome(parse, { ...request, [key]: value })).toBe("refused");
      }),
      { numRuns: RUNS },
    );
  });
});
