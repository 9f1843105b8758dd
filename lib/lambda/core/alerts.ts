/**
 * De-duplication of the alerts the failover function sends while nothing is done automatically
 * (`alert-only`, `blocked`). The function runs on every monitor result (once a minute) and on
 * every alarm event, so without a memory across invocations one standing incident pages people
 * every minute, and twice when both triggers see it. The memory is the `AlertLedger` port (S3 on
 * AWS, a map in the drill and in tests); the rule is the pure {@link alertVerdict}.
 */
import { AlertLedgerError } from "./errors";
import type { Notification, Severity } from "./ports";

/** A standing alert is repeated as a reminder after this long, even when nothing changed. */
export const ALERT_REMINDER_MS = 15 * 60_000;

/**
 * Events that may be suppressed. `failover-started` is among them: an attempt that crashed before it
 * promoted is started again by Lambda's retry or the next trigger, and the same "started" notice a
 * minute later tells nobody anything new (the success or failure notice always follows). The outcome
 * notices (`failover-succeeded`, `failover-failed`) are never suppressed: each marks a result people
 * must see every time.
 */
export const DEDUPLICATED_EVENTS: readonly string[] = [
  "primary-suspect",
  "post-failover-alert",
  "failover-blocked",
  "failover-started",
];

/** What the ledger remembers of the last time one alert was sent. */
export interface AlertRecord {
  /** {@link alertKey} of the alert. */
  readonly key: string;
  readonly event: string;
  readonly subject: string;
  readonly severity: Severity;
  /** Clock time (the injected `Clock`, epoch ms) of the last send. */
  readonly lastSentAtMs: number;
}

/** A record as read, with the version a conditional write must match. */
export interface AlertLedgerEntry {
  readonly record: AlertRecord;
  /** Opaque version of the stored record (the S3 ETag on AWS). */
  readonly version: string;
}

/**
 * Where the last send time of each alert is kept across invocations. The failover function runs
 * with reserved concurrency 1, so there is one writer at a time; writes are still conditional on
 * the version read, so a lost update shows up as an error instead of passing silently.
 */
export interface AlertLedger {
  /** The record of `key`, or `null` when this alert was never sent. Throws `AlertLedgerError` when it cannot tell. */
  read(key: string): Promise<AlertLedgerEntry | null>;
  /**
   * Store `record`, only if the stored version is still `expectedVersion` (`null`: only if no
   * record exists). Throws `AlertLedgerError` when the write fails or the condition does not hold.
   */
  write(record: AlertRecord, expectedVersion: string | null): Promise<void>;
}

/** Whether to send, and why (for the logs and the outcome). */
export interface AlertVerdict {
  readonly send: boolean;
  readonly reason: string;
}

/** FNV-1a, 32 bit: a short, stable fingerprint of the exact event and subject. */
function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}

/**
 * Identity of an alert: the same event and the same subject are the same alert. Subjects carry
 * the severity and, for a blocked failover, the guard, so a rise in severity or a different guard
 * is a different alert and is sent at once. The key is the event (readable in a bucket listing)
 * and a fingerprint of event and subject, so it needs no escaping as an object name.
 */
export function alertKey(notification: Pick<Notification, "event" | "subject">): string {
  const event =
    notification.event
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .slice(0, 40) || "alert";
  return `${event}-${fingerprint(`${notification.event}\n${notification.subject}`)}`;
}

/**
 * Decide whether an alert goes out, from the ledger's record of its last send. Pure.
 * - lifecycle notices (not in {@link DEDUPLICATED_EVENTS}): always;
 * - never sent (or the ledger holds no record): send;
 * - sent less than `reminderMs` ago: suppress;
 * - sent `reminderMs` or longer ago: send as a reminder.
 * A record dated in the future (a clock step back) does not suppress: an extra alert beats a lost one.
 */
export function alertVerdict(
  previous: AlertRecord | null,
  notification: Pick<Notification, "event" | "subject">,
  nowMs: number,
  reminderMs: number = ALERT_REMINDER_MS,
): AlertVerdict {
  if (!DEDUPLICATED_EVENTS.includes(notification.event)) {
    return { send: true, reason: `${notification.event} is a lifecycle notice and is never suppressed` };
  }
  if (previous === null) return { send: true, reason: "first time this alert is sent" };
  const ageMs = nowMs - previous.lastSentAtMs;
  if (ageMs < 0) {
    return { send: true, reason: `the last send is recorded ${-ageMs} ms in the future; sending` };
  }
  if (ageMs >= reminderMs) {
    return { send: true, reason: `reminder: last sent ${Math.round(ageMs / 1000)} s ago` };
  }
  return {
    send: false,
    reason: `suppressed: the same alert was sent ${Math.round(ageMs / 1000)} s ago; next reminder after ${Math.round(reminderMs / 1000)} s`,
  };
}

/** `AlertLedger` in memory: for the drill, whose process lives as long as the incident, and for tests. */
export class MemoryAlertLedger implements AlertLedger {
  private readonly entries = new Map<string, AlertLedgerEntry>();
  private writes = 0;

  async read(key: string): Promise<AlertLedgerEntry | null> {
    return this.entries.get(key) ?? null;
  }

  async write(record: AlertRecord, expectedVersion: string | null): Promise<void> {
    const current = this.entries.get(record.key)?.version ?? null;
    if (current !== expectedVersion) {
      throw new AlertLedgerError(
        `alert ${record.key} changed since it was read (version ${current ?? "none"}, expected ${expectedVersion ?? "none"})`,
      );
    }
    this.writes += 1;
    this.entries.set(record.key, { record, version: String(this.writes) });
  }

  /** Every stored record, for assertions and the drill's report. */
  records(): AlertRecord[] {
    return [...this.entries.values()].map((entry) => entry.record);
  }
}
