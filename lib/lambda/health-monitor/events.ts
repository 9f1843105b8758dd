/**
 * The events the health-monitor accepts: EventBridge's scheduled tick (run the monitor), an
 * operator's `{ "action": "bootstrap" }` (create the monitor's role and heartbeat table once) and
 * the failover function's `{ "action": "replication-positions" }` (read both databases' WAL
 * positions for a switchover's catch-up check). Anything else is refused with an
 * {@link InvalidEventError}, and nothing is done. Pure.
 */
import { REPLICATION_POSITIONS_ACTION } from "../../function-env";
import { InvalidEventError } from "../core/errors";
import { describeValue, isRecord } from "../event-reader";

/** The operator and function requests, each accepted only as exactly `{ "action": <name> }`. */
const ACTIONS = ["bootstrap", REPLICATION_POSITIONS_ACTION] as const;
const ACTION_SHAPES = ACTIONS.map((a) => `{"action":${JSON.stringify(a)}}`).join(" or ");

/** What the invocation asks for. */
export type MonitorRequest =
  | {
      readonly kind: "run";
      /** The scheduled event's id: unique per tick, and the same on Lambda's retries of that tick. */
      readonly runId: string;
    }
  | { readonly kind: "bootstrap" }
  /** The failover function asks for both databases' WAL positions (no probe, no heartbeat). */
  | { readonly kind: "replication-positions" };

function refuse(problem: string): never {
  throw new InvalidEventError(`Refused the health-monitor event: ${problem}. Nothing was done.`);
}

/**
 * Parses an invocation event of the health-monitor.
 * Scheduled events: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export function parseMonitorEvent(event: unknown): MonitorRequest {
  if (!isRecord(event)) {
    return refuse(`expected an object, got ${describeValue(event)}`);
  }
  if ("action" in event) {
    const extra = Object.keys(event).filter((key) => key !== "action");
    const action = ACTIONS.find((a) => a === event.action);
    if (action === undefined || extra.length > 0) {
      return refuse(
        `a request must be exactly ${ACTION_SHAPES}, got action ${describeValue(event.action)}` +
          (extra.length > 0 ? ` and unexpected keys ${extra.map((k) => JSON.stringify(k)).join(", ")}` : ""),
      );
    }
    return action === "bootstrap" ? { kind: "bootstrap" } : { kind: "replication-positions" };
  }
  if (event.source !== "aws.events" || event["detail-type"] !== "Scheduled Event") {
    return refuse(
      `expected an EventBridge scheduled event (source "aws.events", detail-type "Scheduled Event") or ${ACTION_SHAPES}, got source ${describeValue(
        event.source,
      )} and detail-type ${describeValue(event["detail-type"])}`,
    );
  }
  if (typeof event.id !== "string" || event.id.trim() === "") {
    return refuse(`a scheduled event must carry its id, got ${describeValue(event.id)}`);
  }
  return { kind: "run", runId: event.id };
}
