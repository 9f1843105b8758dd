/**
 * The restore-check function's handler: the restore test's check query on the temporary instance,
 * invoked by the restore-test state machine with `{ "host": "<endpoint>", "port": 5432 }`. A thin
 * adapter: validate the event, run the check as the monitor's role (`runRestoreCheck`), return
 * `{ newestHeartbeatAt, rowCount, user }`. A failed check throws `RestoreCheckFailed`; a malformed
 * event `InvalidEventError`. Both reach the state machine's catch path, which deletes the instance.
 */
import type { Context } from "aws-lambda";
import { InvalidEventError } from "../core/errors";
import type { RestoreCheckResult } from "../core/restore-test";
import type { HandlerLogger } from "../telemetry";
import type { RestoreCheckConfig } from "./env";

/** The endpoint to check. */
export interface RestoreCheckEvent {
  readonly host: string;
  readonly port: number;
}

/** What the handler is built from. */
export interface RestoreCheckDeps {
  readonly config: RestoreCheckConfig;
  /** Runs the check on `endpoint` as the monitor's role (IAM token on AWS, a password in the drill). */
  readonly check: (endpoint: RestoreCheckEvent, minRows: number) => Promise<RestoreCheckResult>;
  readonly logger: HandlerLogger;
}

const HOST =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * Checks the state machine's event. Two forms: the restore test's `{ host, port }` (`port` may be
 * left out: the stack's DB_PORT then), and the failover's `{ endpoint }`, the restored instance's
 * endpoint as its run state holds it (`address`, or `address:port` where a port is part of it, as
 * in the drill). Throws `InvalidEventError` naming the problem.
 */
export function parseRestoreCheckEvent(event: unknown, defaultPort: number): RestoreCheckEvent {
  const raw = event as { endpoint?: unknown } | null;
  if (typeof raw === "object" && raw !== null && !Array.isArray(raw) && "endpoint" in raw) {
    const m = typeof raw.endpoint === "string" ? /^([^:\s]+)(?::(\d{1,5}))?$/.exec(raw.endpoint) : null;
    if (m === null) {
      throw new InvalidEventError(
        `restore-check: endpoint must be "<address>" or "<address>:<port>", got ${JSON.stringify(raw.endpoint) ?? "nothing"}`,
      );
    }
    return parseRestoreCheckEvent(
      { host: m[1], ...(m[2] === undefined ? {} : { port: Number(m[2]) }) },
      defaultPort,
    );
  }
  const e = event as Partial<Record<keyof RestoreCheckEvent, unknown>> | null;
  if (typeof e !== "object" || e === null || Array.isArray(e)) {
    throw new InvalidEventError(
      `restore-check expects {"host": "<endpoint address>", "port": 5432}, got ${JSON.stringify(event) ?? "nothing"}`,
    );
  }
  if (typeof e.host !== "string" || !HOST.test(e.host)) {
    throw new InvalidEventError(
      `restore-check: host must be the instance's endpoint address (a host name, no scheme or port), got ${JSON.stringify(e.host) ?? "nothing"}`,
    );
  }
  const port = e.port ?? defaultPort;
  if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) {
    throw new InvalidEventError(
      `restore-check: port must be a TCP port (1-65535), got ${JSON.stringify(e.port) ?? "nothing"}`,
    );
  }
  return { host: e.host, port: port as number };
}

/** Builds the handler Lambda calls. */
export function createRestoreCheckHandler(
  deps: RestoreCheckDeps,
): (event: unknown, context?: Partial<Context>) => Promise<RestoreCheckResult> {
  const { logger, config } = deps;
  return async function handler(event, context) {
    if (context?.awsRequestId !== undefined) logger.addContext(context as Context);
    try {
      const endpoint = parseRestoreCheckEvent(event, config.dbPort);
      logger.appendKeys({ host: endpoint.host });
      const result = await deps.check(endpoint, config.minRows);
      logger.info("Restore check passed", { ...result });
      return result;
    } catch (error) {
      logger.error("Restore check failed", {
        error: error instanceof Error ? error.name : "Error",
        message: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  };
}
