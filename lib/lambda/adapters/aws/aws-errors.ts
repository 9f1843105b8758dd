/**
 * Classification of AWS SDK v3 errors, shared by the AWS adapters.
 *
 * SDK v3 errors carry the service's error code as `name`, `$fault` ("client" | "server") and
 * `$metadata.httpStatusCode`; network failures from the Node.js HTTP handler carry a system `code`
 * (`ECONNREFUSED`, …) and timeouts are named `TimeoutError`. The SDK has already retried
 * throttling, 5xx and network errors `maxAttempts` times before an adapter sees them, so an error of
 * that kind here means the service is unavailable to us right now, not a one-off blip.
 * See https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */

/** Throttling codes across RDS, EC2, Route 53, SNS, S3 and CloudWatch. */
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "BandwidthLimitExceeded",
  "SlowDown",
  // Route 53: "the previous request is still being processed"; retrying later is the documented fix.
  "PriorRequestNotComplete",
]);

/** Server-side and timeout codes that say "try again later", not "your request is wrong". */
const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  "InternalFailure",
  "InternalError",
  "InternalServerError",
  "InternalServiceError",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "Unavailable",
  "TimeoutError",
  "RequestTimeout",
  "RequestTimeoutException",
]);

/** System error codes of a request that never got an answer. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);

import type { ApiErrorKind } from "../../core/types";

interface AwsErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly message?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

function shape(err: unknown): AwsErrorShape {
  return typeof err === "object" && err !== null ? (err as AwsErrorShape) : {};
}

/** The service error code (`name`), falling back to a Query-protocol `Code` or a system `code`. */
export function awsErrorName(err: unknown): string {
  const e = shape(err);
  for (const candidate of [e.name, e.Code, e.code]) {
    if (typeof candidate === "string" && candidate !== "" && candidate !== "Error") return candidate;
  }
  return "Error";
}

/** HTTP status of the failed call, when the service answered at all. */
export function awsHttpStatus(err: unknown): number | undefined {
  const status = shape(err).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** True for throttling that outlasted the SDK's retries. */
export function isThrottling(err: unknown): boolean {
  return THROTTLING_NAMES.has(awsErrorName(err)) || awsHttpStatus(err) === 429;
}

/**
 * True when the API could not be used right now: no answer (network error, timeout), throttling
 * that outlasted the retries, or a server-side (5xx) error. False for errors that mean the
 * request itself was refused (not found, access denied, invalid state), which retrying does not fix.
 */
export function isApiUnavailable(err: unknown): boolean {
  const e = shape(err);
  const name = awsErrorName(err);
  const status = awsHttpStatus(err);
  if (typeof e.code === "string" && NETWORK_CODES.has(e.code)) return true;
  if (NETWORK_CODES.has(name)) return true;
  if (UNAVAILABLE_NAMES.has(name) || isThrottling(err)) return true;
  if (e.$fault === "server") return true;
  return status !== undefined && status >= 500;
}

/**
 * What kind of failure `err` is, for evidence (not for "retry later", which is
 * {@link isApiUnavailable}):
 * - `throttled`: a throttling code or HTTP 429, whatever else the error carries;
 * - `connectivity`: no answer at all: a Node system error (refused, reset, DNS, unreachable) or
 *   the SDK's own `TimeoutError` (connect or request timeout of the HTTP handler);
 * - `server-error`: an answer with a 5xx, a server fault or a service-side timeout/unavailable
 *   code (`RequestTimeout`, `ServiceUnavailable`, …): the endpoint is there;
 * - `refused`: any other answer (access denied, validation, not found, invalid state).
 * Reference aws-behaviour.md §6: the SDK has retried all but `refused` before we see them.
 */
export function apiErrorKind(err: unknown): ApiErrorKind {
  if (isThrottling(err)) return "throttled";
  const e = shape(err);
  const name = awsErrorName(err);
  if ((typeof e.code === "string" && NETWORK_CODES.has(e.code)) || NETWORK_CODES.has(name)) {
    return "connectivity";
  }
  const status = awsHttpStatus(err);
  // The HTTP handler's connect/request timeout is named TimeoutError and carries no HTTP status;
  // a service that answered with a timeout code carries one.
  if (name === "TimeoutError" && status === undefined) return "connectivity";
  if (UNAVAILABLE_NAMES.has(name) || e.$fault === "server" || (status !== undefined && status >= 500)) {
    return "server-error";
  }
  return "refused";
}

/** True when the error's code is one of `names` (SDK class names and raw Query-protocol codes differ). */
export function hasErrorName(err: unknown, ...names: string[]): boolean {
  const name = awsErrorName(err);
  return names.includes(name);
}

/** One line for logs, alerts and reports: `Code: message (HTTP 503)`. */
export function describeAwsError(err: unknown): string {
  const e = shape(err);
  const name = awsErrorName(err);
  const message = typeof e.message === "string" && e.message !== "" ? e.message : String(err);
  const status = awsHttpStatus(err);
  return `${name}: ${message}${status === undefined ? "" : ` (HTTP ${status})`}`;
}
