/**
 * Errors shaped the way AWS SDK v3 surfaces them (`name`, `$fault`, `$metadata.httpStatusCode`, and a
 * Node `code` for network failures), so the deployed adapters classify simulated failures with the
 * same code that classifies real ones (`lib/lambda/adapters/aws/aws-errors.ts`).
 */

/** An error a simulated service answers with. */
export class SimulatedServiceError extends Error {
  readonly $fault: "client" | "server";
  readonly $metadata: { readonly httpStatusCode: number; readonly attempts?: number };
  readonly code?: string;

  constructor(name: string, message: string, httpStatusCode: number, code?: string) {
    super(message);
    this.name = name;
    this.$fault = httpStatusCode >= 500 ? "server" : "client";
    this.$metadata = { httpStatusCode };
    if (code !== undefined) this.code = code;
  }
}

/** A client-side failure (no answer at all): the SDK's request timeout or a refused connection. */
export class SimulatedNetworkError extends Error {
  readonly code: string;
  readonly $metadata: Record<string, never> = {};

  constructor(name: string, code: string, message: string) {
    super(message);
    this.name = name;
    this.code = code;
  }
}

/** The throttling error code each service uses (SDK v3 error `name`). */
export const THROTTLING_CODE: Readonly<Record<string, string>> = {
  rds: "Throttling",
  ec2: "RequestLimitExceeded",
  route53: "Throttling",
  cloudwatch: "Throttling",
  sns: "Throttling",
  s3: "SlowDown",
  lambda: "TooManyRequestsException",
  sfn: "ThrottlingException",
};

export function throttled(service: string): SimulatedServiceError {
  const status = service === "s3" ? 503 : service === "lambda" ? 429 : 400;
  return new SimulatedServiceError(THROTTLING_CODE[service] ?? "Throttling", "Rate exceeded", status);
}

export function serverError(): SimulatedServiceError {
  return new SimulatedServiceError(
    "InternalFailure",
    "We encountered an internal error. Please try again.",
    500,
  );
}

export function requestTimeout(timeoutMs: number): SimulatedNetworkError {
  return new SimulatedNetworkError("TimeoutError", "ETIMEDOUT", `Connection timed out after ${timeoutMs} ms`);
}

/** An RDS fault (SDK v3 names the class after the fault: `InvalidDBInstanceStateFault`, …). */
export function rdsFault(name: string, message: string): SimulatedServiceError {
  return new SimulatedServiceError(name, message, name.endsWith("NotFoundFault") ? 404 : 400);
}
