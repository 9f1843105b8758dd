import fc from "fast-check";
import { InvalidEventError } from "../../../lib/lambda/core/errors";
import { MANUAL_REQUEST_KEYS, parseFailoverEvent } from "../../../lib/lambda/failover/events";
import { EXPECTATIONS } from "./fixtures";

/** Returns the outcome of parsing as data, so properties can state what may come out. */
function outcome(event: unknown): "accepted" | "refused" | "other-error" {
  try {
    parseFailoverEvent(event, EXPECTATIONS);
    return "accepted";
  } catch (error) {
    return error instanceof InvalidEventError ? "refused" : "other-error";
  }
}

describe("failover event parsing, for any input", () => {
  it("never throws anything but InvalidEventError", () => {
    fc.assert(
      fc.property(fc.anything(), (event) => {
        expect(outcome(event)).not.toBe("other-error");
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses every operator request that carries a key outside the allowed ones", () => {
    const extraKey = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((key) => !(MANUAL_REQUEST_KEYS as readonly string[]).includes(key) && key !== "__proto__");
    fc.assert(
      fc.property(
        fc.constantFrom("failover", "switchover", "status"),
        extraKey,
        fc.jsonValue(),
        (action, key, value) => {
          const event = { action, requestedBy: "alice", reason: "game day", [key]: value };
          expect(outcome(event)).toBe("refused");
        },
      ),
    );
  });

  it("refuses every JSON value that is not an object with an accepted shape", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue().filter((v) => typeof v !== "object" || v === null || Array.isArray(v))),
        (event) => {
          expect(outcome(event)).toBe("refused");
        },
      ),
    );
  });
});
