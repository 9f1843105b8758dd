import {
  MAX_SUBJECT_LENGTH,
  alertNotification,
  blockedNotification,
  failedNotification,
  severitySubject,
  startedNotification,
  subjectLine,
} from "../../../lib/lambda/core/notifications";
import { PRIMARY_ENDPOINT, REPLICA_ENDPOINT, primaryView, replicaView } from "../../support/fake-ports";
import { snapshot, promotedReplica } from "../../support/snapshots";

describe("subjectLine", () => {
  it("keeps a short subject as one line", () => {
    expect(subjectLine("Failover  started:\npromoting x")).toBe("Failover started: promoting x");
  });
  it("cuts a long subject to the SNS limit of 100 characters", () => {
    const subject = subjectLine("x".repeat(250));
    expect(subject).toHaveLength(MAX_SUBJECT_LENGTH);
    expect(subject.endsWith("…")).toBe(true);
  });
});

describe("severitySubject: the one place a subject gets its severity", () => {
  it.each([
    ["critical", "DR CRITICAL: primary p is suspect"],
    ["warning", "DR warning: primary p is suspect"],
    ["info", "DR info: primary p is suspect"],
  ] as const)("%s", (severity, expected) => {
    expect(severitySubject(severity, "primary p is suspect")).toBe(expected);
  });
  it("still respects the SNS subject limit", () => {
    expect(severitySubject("critical", "x".repeat(200))).toHaveLength(MAX_SUBJECT_LENGTH);
  });
});

describe("exact subjects, by situation", () => {
  const before = snapshot();
  const after = snapshot({
    replica: promotedReplica,
    dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: null },
  });
  it.each([
    [
      "suspect primary, probes only (warning)",
      alertNotification({ kind: "alert-only", severity: "warning", reason: "r" }, before).subject,
      "DR warning: primary tap-primary-dev is suspect",
    ],
    [
      "probe-path partition: RDS says available (critical)",
      alertNotification({ kind: "alert-only", severity: "critical", reason: "r" }, before).subject,
      "DR CRITICAL: primary tap-primary-dev is suspect",
    ],
    [
      "old primary back after failover (critical)",
      alertNotification({ kind: "alert-only", severity: "critical", reason: "r" }, after).subject,
      "DR CRITICAL: tap-primary-dev / tap-replica-dev need attention after failover",
    ],
    [
      "old primary available after failover (warning)",
      alertNotification({ kind: "alert-only", severity: "warning", reason: "r" }, after).subject,
      "DR warning: tap-primary-dev / tap-replica-dev need attention after failover",
    ],
    [
      "blocked by the lag guard",
      blockedNotification({ kind: "blocked", guard: "replication-lag", reason: "r" }, before).subject,
      "DR CRITICAL: failover BLOCKED (replication-lag): tap-replica-dev not promoted",
    ],
    [
      "failover started",
      startedNotification(
        {
          kind: "promote-replica",
          reason: "r",
          failureStartedAtMs: 0,
          detectedAtMs: 0,
          planned: false,
          steps: [],
        },
        before,
        "failover",
      ).subject,
      "DR CRITICAL: Failover started: promoting tap-replica-dev",
    ],
  ])("%s", (_situation, subject, expected) => {
    expect(subject).toBe(expected);
  });
});

describe("notifications", () => {
  it("alert before a failover is a primary-suspect event carrying the state", () => {
    const n = alertNotification(
      { kind: "alert-only", severity: "warning", reason: "2 of 4 probes failed." },
      snapshot(),
    );
    expect(n).toMatchObject({
      event: "primary-suspect",
      severity: "warning",
      message: "2 of 4 probes failed. No automatic action was taken.",
    });
    expect(n.detail?.state).toMatchObject({ writerTarget: PRIMARY_ENDPOINT, lastHealthyLagSeconds: 2 });
  });

  it("alert after a failover is a post-failover-alert", () => {
    const n = alertNotification(
      { kind: "alert-only", severity: "critical", reason: "Old primary back." },
      snapshot({ replica: promotedReplica, dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: null } }),
    );
    expect(n.event).toBe("post-failover-alert");
    expect(n.subject).toBe("DR CRITICAL: tap-primary-dev / tap-replica-dev need attention after failover");
  });

  it("blocked names the guard and how an operator overrides the lag guard", () => {
    const n = blockedNotification(
      { kind: "blocked", guard: "lag-unknown", reason: "Lag unknown." },
      snapshot(),
    );
    expect(n.severity).toBe("critical");
    expect(n.message).toBe(
      'Lag unknown. The failover is blocked by the lag-unknown guard; nothing was changed. An operator can request {"action":"failover","acceptDataLoss":true} to override the lag guard.',
    );
  });

  it("failure reports a failed rollback loudly", () => {
    const n = failedNotification(
      {
        failedStep: "switch-writer",
        error: "DnsChangeError: throttled",
        completedSteps: ["notify-start"],
        primary: primaryView(),
        replica: replicaView({ status: "failed" }),
        writerTarget: REPLICA_ENDPOINT,
        rolledBackWriterTo: null,
        rollbackError: "DnsChangeError: throttled",
      },
      "drill",
    );
    expect(n.subject).toBe("DR CRITICAL: Drill failover FAILED at switch-writer: tap-replica-dev");
    expect(n.message).toBe(
      "Drill failover step switch-writer failed: DnsChangeError: throttled. Rolling writer back FAILED " +
        `(DnsChangeError: throttled). writer points at ${REPLICA_ENDPOINT}. tap-replica-dev is still a replica: ` +
        "re-running the failover starts again from the real state.",
    );
  });
});
