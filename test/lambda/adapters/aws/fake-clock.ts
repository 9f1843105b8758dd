import type { Clock } from "../../../../lib/lambda/core/ports";

/** A clock whose `sleep` advances time at once and records each pause, so waits run instantly. */
export class FakeClock implements Clock {
  readonly sleeps: number[] = [];

  constructor(private currentMs: number) {}

  nowMs(): number {
    return this.currentMs;
  }

  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.currentMs += ms;
  }

  advance(ms: number): void {
    this.currentMs += ms;
  }
}

/** An SDK-shaped service error: `name` is the error code, `$metadata.httpStatusCode` the HTTP status. */
export function awsError(
  name: string,
  message: string,
  httpStatusCode?: number,
  fault?: "client" | "server",
): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: fault ?? (httpStatusCode !== undefined && httpStatusCode >= 500 ? "server" : "client"),
    $metadata: httpStatusCode === undefined ? {} : { httpStatusCode },
  });
}

/** A Node.js system error as the HTTP handler raises it when no answer comes back. */
export function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}
