import {
  MAX_SUBJECT_LENGTH,
  alertNotification,
  blockedNotification,
  failedNotification,
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
    expect(n.subject).toBe("DR attention: tap-primary-dev / tap-replica-dev after failover");
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
    expect(n.subject).toBe("Drill failover FAILED at switch-writer: tap-replica-dev");
    expect(n.message).toBe(
      "Drill failover step switch-writer failed: DnsChangeError: throttled. Rolling writer back FAILED " +
        `(DnsChangeError: throttled). writer points at ${REPLICA_ENDPOINT}. tap-replica-dev is still a replica: ` +
        "re-running the failover starts again from the real state.",
    );
  });
});
