import { classifyProbeError, type ClassifiedError } from "../../../../lib/lambda/adapters/postgres/classify";

/** An error shaped like pg's DatabaseError: SQLSTATE in `code`. */
function serverError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: "FATAL" });
}

/** An error shaped like Node's socket errors: errno name in `code`. */
function socketError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, syscall: "connect" });
}

const situations: ReadonlyArray<readonly [string, unknown, ClassifiedError]> = [
  [
    "port closed: connection refused",
    socketError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"),
    { outcome: "unreachable", detail: "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432" },
  ],
  [
    "endpoint name does not resolve",
    socketError("ENOTFOUND", "getaddrinfo ENOTFOUND db.example.internal"),
    { outcome: "unreachable", detail: "ENOTFOUND: getaddrinfo ENOTFOUND db.example.internal" },
  ],
  [
    "no route to the primary's VPC",
    socketError("EHOSTUNREACH", "connect EHOSTUNREACH 10.1.2.3:5432"),
    { outcome: "unreachable", detail: "EHOSTUNREACH: connect EHOSTUNREACH 10.1.2.3:5432" },
  ],
  [
    "firewall resets the connection",
    socketError("ECONNRESET", "read ECONNRESET"),
    { outcome: "unreachable", detail: "ECONNRESET: read ECONNRESET" },
  ],
  [
    "server closed the socket while we wrote (EPIPE is not a SQLSTATE)",
    socketError("EPIPE", "write EPIPE"),
    { outcome: "unreachable", detail: "EPIPE: write EPIPE" },
  ],
  [
    "kernel gave up the TCP handshake",
    socketError("ETIMEDOUT", "connect ETIMEDOUT 10.1.2.3:5432"),
    { outcome: "timeout", detail: "ETIMEDOUT: connect ETIMEDOUT 10.1.2.3:5432" },
  ],
  [
    "server crashed mid-conversation",
    new Error("Connection terminated unexpectedly"),
    {
      outcome: "unreachable",
      detail: "Connection terminated unexpectedly (the server or the network closed the connection)",
    },
  ],
  [
    "wrong password or expired IAM token",
    serverError("28P01", 'password authentication failed for user "tap_monitor"'),
    {
      outcome: "auth-failed",
      detail: 'SQLSTATE 28P01: password authentication failed for user "tap_monitor"',
    },
  ],
  [
    "monitor role missing",
    serverError("28000", 'role "tap_monitor" does not exist'),
    { outcome: "auth-failed", detail: 'SQLSTATE 28000: role "tap_monitor" does not exist' },
  ],
  [
    "write on a standby or a fenced primary",
    serverError("25006", "cannot execute INSERT in a read-only transaction"),
    { outcome: "read-only", detail: "SQLSTATE 25006: cannot execute INSERT in a read-only transaction" },
  ],
  [
    "server out of connection slots",
    serverError("53300", "sorry, too many clients already"),
    { outcome: "error", detail: "SQLSTATE 53300: sorry, too many clients already" },
  ],
  [
    "server starting up or in crash recovery",
    serverError("57P03", "the database system is starting up"),
    { outcome: "error", detail: "SQLSTATE 57P03: the database system is starting up" },
  ],
  [
    "heartbeat table missing (bootstrap never ran)",
    serverError("42P01", 'relation "tap_dr.heartbeat" does not exist'),
    { outcome: "error", detail: 'SQLSTATE 42P01: relation "tap_dr.heartbeat" does not exist' },
  ],
  [
    "TLS certificate not trusted",
    socketError("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"),
    { outcome: "error", detail: "SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain" },
  ],
  [
    "IAM token signing failed (no code)",
    new Error("Could not load credentials from any providers"),
    { outcome: "error", detail: "Could not load credentials from any providers" },
  ],
  [
    "happy-eyeballs connect to several addresses, all refused",
    new AggregateError([socketError("ECONNREFUSED", "connect ECONNREFUSED ::1:5432")], ""),
    { outcome: "unreachable", detail: "ECONNREFUSED: connect ECONNREFUSED ::1:5432" },
  ],
  [
    "aggregate carrying its first error's code, as Node 20's net module raises it",
    Object.assign(
      new AggregateError([socketError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.1:5432")], ""),
      {
        code: "ECONNREFUSED",
      },
    ),
    { outcome: "unreachable", detail: "ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:5432" },
  ],
  ["a thrown string", "boom", { outcome: "error", detail: "boom" }],
  ["a thrown undefined", undefined, { outcome: "error", detail: "unknown error" }],
];

describe("classifyProbeError", () => {
  it.each(situations)("%s", (_name, error, expected) => {
    expect(classifyProbeError(error)).toEqual(expected);
  });
});
