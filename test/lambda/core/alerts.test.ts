import {
  ALERT_REMINDER_MS,
  MemoryAlertLedger,
  alertKey,
  alertVerdict,
  type AlertRecord,
} from "../../../lib/lambda/core/alerts";
import { AlertLedgerError } from "../../../lib/lambda/core/errors";

const NOW = Date.UTC(2024, 4, 1, 10, 0, 0);
const BLOCKED = {
  event: "failover-blocked",
  subject: "DR CRITICAL: failover BLOCKED (replication-lag): r not promoted",
};

function sentAgo(ms: number, alert = BLOCKED): AlertRecord {
  return {
    key: alertKey(alert),
    event: alert.event,
    subject: alert.subject,
    severity: "critical",
    lastSentAtMs: NOW - ms,
  };
}

describe("alertVerdict: when a de-duplicated alert goes out", () => {
  it.each([
    ["never sent", null, BLOCKED, true, "first time this alert is sent"],
    [
      "sent a minute ago",
      sentAgo(60_000),
      BLOCKED,
      false,
      "suppressed: the same alert was sent 60 s ago; next reminder after 900 s",
    ],
    [
      "sent just under 15 min ago",
      sentAgo(ALERT_REMINDER_MS - 1),
      BLOCKED,
      false,
      "suppressed: the same alert was sent 900 s ago; next reminder after 900 s",
    ],
    [
      "sent exactly 15 min ago: reminder",
      sentAgo(ALERT_REMINDER_MS),
      BLOCKED,
      true,
      "reminder: last sent 900 s ago",
    ],
    [
      "record in the future (clock stepped back)",
      sentAgo(-5_000),
      BLOCKED,
      true,
      "the last send is recorded 5000 ms in the future; sending",
    ],
    [
      "failover-started is suppressed like an alert (a restarted attempt)",
      sentAgo(1_000),
      { event: "failover-started", subject: "s" },
      false,
      "suppressed: the same alert was sent 1 s ago; next reminder after 900 s",
    ],
    [
      "failover-succeeded is never suppressed",
      sentAgo(1_000),
      { event: "failover-succeeded", subject: "s" },
      true,
      "failover-succeeded is a lifecycle notice and is never suppressed",
    ],
    [
      "failover-failed is never suppressed",
      sentAgo(1_000),
      { event: "failover-failed", subject: "s" },
      true,
      "failover-failed is a lifecycle notice and is never suppressed",
    ],
  ] as const)("%s", (_situation, previous, alert, send, reason) => {
    expect(alertVerdict(previous, alert, NOW)).toEqual({ send, reason });
  });
});

describe("alertKey: the identity of an alert", () => {
  it("is the event and a fingerprint of event and subject, safe as an object name", () => {
    expect(alertKey(BLOCKED)).toMatch(/^failover-blocked-[0-9a-f]{8}$/);
  });
  it.each([
    [
      "another severity",
      { event: "primary-suspect", subject: "DR warning: primary p is suspect" },
      { event: "primary-suspect", subject: "DR CRITICAL: primary p is suspect" },
    ],
    [
      "another guard",
      BLOCKED,
      { ...BLOCKED, subject: BLOCKED.subject.replace("replication-lag", "lag-unknown") },
    ],
    ["another event, same subject", BLOCKED, { ...BLOCKED, event: "primary-suspect" }],
  ])("differs for %s", (_situation, a, b) => {
    expect(alertKey(a)).not.toBe(alertKey(b));
  });
  it("is stable", () => {
    expect(alertKey({ ...BLOCKED })).toBe(alertKey(BLOCKED));
  });
  it("turns an unexpected event name into a safe one", () => {
    expect(alertKey({ event: "Weird Event/../x", subject: "s" })).toMatch(/^weird-event-x-[0-9a-f]{8}$/);
  });
});

describe("MemoryAlertLedger", () => {
  it("stores and returns records with a version that conditional writes must match", async () => {
    const ledger = new MemoryAlertLedger();
    const record = sentAgo(0);
    expect(await ledger.read(record.key)).toBeNull();
    await ledger.write(record, null);
    const entry = await ledger.read(record.key);
    expect(entry).toEqual({ record, version: "1" });
    await expect(ledger.write(record, null)).rejects.toThrow(
      new AlertLedgerError(`alert ${record.key} changed since it was read (version 1, expected none)`),
    );
    await ledger.write({ ...record, lastSentAtMs: NOW + 1 }, "1");
    expect(ledger.records()).toEqual([{ ...record, lastSentAtMs: NOW + 1 }]);
  });
});
