/**
 * What every function's event parser shares: how a received value is described in a refusal, the
 * object test, and the limit on an operator's name. Pure: no I/O, no clock, no logging.
 */

/** A JSON object as received (keys not yet checked). */
export type JsonObject = Record<string, unknown>;

/** Longest operator name (`requestedBy`) accepted: it lands in SNS subjects, logs and reports. */
export const MAX_REQUESTED_BY_LENGTH = 128;

/** True for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A short description of what was received, for error messages: never the whole payload, which
 * may be large or hold what an operator should not see in a log line.
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") {
    return value.length > 40
      ? `the string ${JSON.stringify(value.slice(0, 40))}…`
      : `the string ${JSON.stringify(value)}`;
  }
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
