/**
 * The events the snapshot-export function accepts: EventBridge's daily scheduled event, and an
 * operator's `{ "action": "export-now", "requestedBy": "…" }`. Anything else is refused with an
 * {@link InvalidEventError} and nothing is done. Pure.
 */
import { InvalidEventError } from "../core/errors";
import type { ExportTrigger } from "../core/snapshot-export";
import { describeValue, isRecord, MAX_REQUESTED_BY_LENGTH } from "../event-reader";

/** What the invocation asks for. */
export interface ExportRequest {
  readonly trigger: ExportTrigger;
  /** The scheduled event's id, or `requestedBy` of an operator's request, for the log. */
  readonly requestedBy: string;
}

function refuse(problem: string): never {
  throw new InvalidEventError(`Refused the snapshot-export event: ${problem}. Nothing was done.`);
}

/**
 * Parses an invocation event.
 * Scheduled events: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export function parseExportEvent(event: unknown): ExportRequest {
  if (!isRecord(event)) {
    return refuse(`expected an object, got ${describeValue(event)}`);
  }
  if ("action" in event) {
    const extra = Object.keys(event).filter((key) => key !== "action" && key !== "requestedBy");
    if (event.action !== "export-now" || extra.length > 0) {
      return refuse(
        `an operator request must be exactly {"action":"export-now","requestedBy":"<who>"}, got action ${describeValue(
          event.action,
        )}` +
          (extra.length > 0 ? ` and unexpected keys ${extra.map((k) => JSON.stringify(k)).join(", ")}` : ""),
      );
    }
    const requestedBy = typeof event.requestedBy === "string" ? event.requestedBy.trim() : "";
    if (requestedBy === "" || requestedBy.length > MAX_REQUESTED_BY_LENGTH) {
      return refuse(
        `requestedBy must name who asks, in 1 to ${MAX_REQUESTED_BY_LENGTH} characters, got ${describeValue(
          event.requestedBy,
        )}`,
      );
    }
    return { trigger: "export-now", requestedBy };
  }
  if (event.source !== "aws.events" || event["detail-type"] !== "Scheduled Event") {
    return refuse(
      `expected an EventBridge scheduled event (source "aws.events", detail-type "Scheduled Event") or {"action":"export-now","requestedBy":"<who>"}, got source ${describeValue(
        event.source,
      )} and detail-type ${describeValue(event["detail-type"])}`,
    );
  }
  if (typeof event.id !== "string" || event.id.trim() === "") {
    return refuse(`a scheduled event must carry its id, got ${describeValue(event.id)}`);
  }
  return { trigger: "scheduled", requestedBy: `schedule ${event.id}` };
}
