/**
 * Endpoints of the local cluster are `host:port` strings. They play the part of RDS
 * endpoint host names: `DatabaseControl.describe` reports them, the `writer` / `reader`
 * records point at them, and the workload connects to whatever `writer` resolves to.
 */

/** A parsed `host:port` endpoint. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** Formats an endpoint as `host:port`, the form the local DNS records hold. */
export function formatEndpoint(endpoint: Endpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/**
 * Parses `host:port`. Throws a `RangeError` naming the bad value and the expected form,
 * because a malformed record would otherwise surface later as a confusing connect error.
 */
export function parseEndpoint(value: string): Endpoint {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new RangeError(
      `endpoint "${value}" is not of the form host:port with a port from 1 to 65535 (e.g. "127.0.0.1:54321")`,
    );
  }
  return { host: match[1], port };
}
