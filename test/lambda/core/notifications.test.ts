import {
  MAX_SUBJECT_LENGTH,
  alertNotification,
  approvalClosedNotification,
  approvalRequestedNotification,
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
        { kind: "promote-replica", reason: "r", steps: [] },
        "tap-replica-dev",
        {},
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

describe("startedNotification", () => {
  it.each([
    ["a failover", "promote-replica", "failover", "DR CRITICAL: Failover started: promoting tap-replica-dev"],
    [
      "a resumed failover",
      "complete-failover",
      "failover",
      "DR CRITICAL: Failover resumed: promoting tap-replica-dev",
    ],
    [
      "a switchover",
      "promote-replica",
      "switchover",
      "DR CRITICAL: Switchover started: promoting tap-replica-dev",
    ],
    ["a drill", "promote-replica", "drill", "DR CRITICAL: Drill failover started: promoting tap-replica-dev"],
  ] as const)("%s: %s", (_situation, kind, operation, subject) => {
    const decision = {
      kind,
      reason: "The primary is down.",
      steps: ["switch-writer", "write-report"] as const,
    };
    const state = { primary: "tap-primary-dev", replica: "tap-replica-dev", execution: "arn:…:execution:x" };
    expect(startedNotification(decision, "tap-replica-dev", state, operation)).toEqual({
      subject,
      severity: "critical",
      event: "failover-started",
      message: "The primary is down. Steps: switch-writer → write-report.",
      detail: { decision, state },
    });
  });
});

describe("approval notifications", () => {
  const EXECUTION =
    "arn:aws:states:ap-southeast-1:123456789012:execution:sfn-failover-dev:failover-tap-replica-dev-x";
  const TOKEN = "AQCEAAAAKgAAAAMAAAAAAAAAAb+token/with=chars";
  const request = (lastHealthyLagSeconds: number | null) =>
    approvalRequestedNotification({
      reason: "The replica was 90 s behind.",
      guard: "replication-lag",
      replicaId: "tap-replica-dev",
      lastHealthyLagSeconds,
      executionArn: EXECUTION,
      taskToken: TOKEN,
      timeoutSeconds: 86_400,
      region: "ap-southeast-1",
    });
  const APPROVE =
    `aws stepfunctions send-task-success --region ap-southeast-1 --task-token '${TOKEN}' ` +
    `--task-output '{"approvedBy":"<your name>"}'`;
  const REJECT =
    `aws stepfunctions send-task-failure --region ap-southeast-1 --task-token '${TOKEN}' ` +
    "--error ApprovalRejected --cause '<why>'";

  it("an approval request: the data at risk and the exact approve and reject commands", () => {
    expect(request(90)).toEqual({
      subject: "DR CRITICAL: failover BLOCKED (replication-lag): approve or reject tap-replica-dev",
      severity: "critical",
      event: "failover-blocked",
      message:
        "The replica was 90 s behind. The failover is blocked by the replication-lag guard; nothing was changed. " +
        "Approving promotes tap-replica-dev and loses up to 90 s of committed transactions. " +
        `Approve: ${APPROVE} . Reject: ${REJECT} . Without an answer within 1440 min the failover stays blocked. ` +
        `Execution: ${EXECUTION}`,
      detail: {
        executionArn: EXECUTION,
        guard: "replication-lag",
        lastHealthyLagSeconds: 90,
        approveCommand: APPROVE,
        rejectCommand: REJECT,
      },
    });
  });

  it("an unknown lag is said as such", () => {
    expect(request(null).message).toContain(
      "Approving promotes tap-replica-dev and loses an unknown amount of committed data (no healthy lag reading). ",
    );
  });

  it("the approve command's task output is what reassess accepts", () => {
    const output = /--task-output '([^']*)'/.exec(request(90).detail?.approveCommand as string)?.[1];
    expect(JSON.parse(output ?? "")).toEqual({ approvedBy: "<your name>" });
  });

  it("an approval closed: why, nothing changed, what an operator can still do", () => {
    expect(
      approvalClosedNotification("tap-replica-dev", "The failover was rejected: too risky.", EXECUTION),
    ).toEqual({
      subject: "DR CRITICAL: failover stays BLOCKED: tap-replica-dev not promoted",
      severity: "critical",
      event: "failover-approval-closed",
      message:
        'The failover was rejected: too risky. Nothing was changed. An operator can still request {"action":"failover","acceptDataLoss":true}. ' +
        `Execution: ${EXECUTION}`,
      detail: { executionArn: EXECUTION, why: "The failover was rejected: too risky." },
    });
  });
});
