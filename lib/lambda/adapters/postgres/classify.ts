/**
 * Mapping of connection and server errors to probe outcomes. Pure, so every case is tested
 * as a table without a database.
 */
import type { ProbeOutcome } from "../../core/types";

/** A failed probe's outcome and the detail that goes into `ProbeResult.detail`. */
export interface ClassifiedError {
  readonly outcome: Exclude<ProbeOutcome, "ok">;
  readonly detail: string;
}

/**
 * Node socket error codes meaning "no path to the server": refused, no route, name not
 * resolved, or the connection torn down under us.
 */
const UNREACHABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/** The kernel gave up on the TCP handshake before our own deadline did. */
const TIMEOUT_SOCKET_CODES = new Set(["ETIMEDOUT"]);

/**
 * SQLSTATEs (https://www.postgresql.org/docs/14/errcodes-appendix.html):
 * 28P01 invalid_password (also a wrong or expired IAM token), 28000
 * invalid_authorization_specification (role missing, no pg_hba entry, IAM not granted).
 */
const AUTH_SQLSTATES = new Set(["28P01", "28000"]);
/** 25006 read_only_sql_transaction: a standby, or a primary fenced with default_transaction_read_only. */
const READ_ONLY_SQLSTATES = new Set(["25006"]);

/**
 * Messages `pg` raises when the server closed the socket without an error message (it
 * crashed, or a network device reset the connection).
 */
const CONNECTION_LOST_MESSAGES = ["Connection terminated unexpectedly", "Connection terminated"];

interface ErrorLike {
  readonly code?: unknown;
  readonly message?: unknown;
  readonly errors?: unknown;
}

const SQLSTATE_PATTERN = /^[0-9A-Z]{5}$/;

/**
 * Classifies an error thrown while connecting or querying.
 *
 * - socket errors (`ECONNREFUSED`, …) and a connection closed without a server message give
 *   `unreachable`; `ETIMEDOUT` gives `timeout`;
 * - SQLSTATE 28P01 / 28000 give `auth-failed`, 25006 gives `read-only`;
 * - anything else gives `error`, with `SQLSTATE <code>: <message>` as detail.
 *
 * Node 20 reports a failed connect to a name with several addresses as an `AggregateError`;
 * its first inner error decides.
 */
export function classifyProbeError(error: unknown): ClassifiedError {
  const e = (typeof error === "object" && error !== null ? error : {}) as ErrorLike;
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    return classifyProbeError(e.errors[0]);
  }
  const code = typeof e.code === "string" ? e.code : undefined;
  const message =
    typeof e.message === "string" && e.message !== "" ? e.message : String(error ?? "unknown error");

  // Socket codes first: "EPIPE" would also pass for a SQLSTATE.
  if (code && UNREACHABLE_SOCKET_CODES.has(code))
    return { outcome: "unreachable", detail: `${code}: ${message}` };
  if (code && TIMEOUT_SOCKET_CODES.has(code)) return { outcome: "timeout", detail: `${code}: ${message}` };
  if (code && SQLSTATE_PATTERN.test(code)) {
    const detail = `SQLSTATE ${code}: ${message}`;
    if (AUTH_SQLSTATES.has(code)) return { outcome: "auth-failed", detail };
    if (READ_ONLY_SQLSTATES.has(code)) return { outcome: "read-only", detail };
    return { outcome: "error", detail };
  }
  if (CONNECTION_LOST_MESSAGES.includes(message)) {
    return { outcome: "unreachable", detail: `${message} (the server or the network closed the connection)` };
  }
  return { outcome: "error", detail: code ? `${code}: ${message}` : message };
}
