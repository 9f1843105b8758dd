import { alertKey } from "../../../lib/lambda/core/alerts";
import { WaitTimeoutError } from "../../../lib/lambda/core/errors";
import {
  evaluateAndAct,
  readSnapshot,
  type ActOptions,
  type Evidence,
} from "../../../lib/lambda/core/orchestrator";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import type { Trigger } from "../../../lib/lambda/core/types";
import {
  FakeCluster,
  FakeClock,
  PRIMARY_ENDPOINT,
  REPLICA_ENDPOINT,
  T0,
  errors,
} from "../../support/fake-ports";
import { MONITOR_TRIGGER, lagReading, probes } from "../../support/snapshots";

const OPTIONS: ActOptions = {
  promotionTimeoutMs: 600_000,
  dnsTimeoutMs: 90_000,
  catchUpTimeoutMs: 300_000,
  reportKind: "failover",
};
const REPORT_ID = "tap-replica-dev-created-20240401T000000000Z";
const DOWN: Evidence = { primaryProbes: probes("timeout", "timeout", "timeout"), lastHealthyLag: null };
const HEALTHY: Evidence = { primaryProbes: probes("ok", "ok", "ok", "ok"), lastHealthyLag: lagReading(2) };
const NO_EVIDENCE: Evidence = { primaryProbes: [], lastHealthyLag: null };

const READ_CALLS = ["control.describe(primary)", "control.describe(replica)", "dns.read()"];
/** The look-back: 3 h plus maxLagReadingAgeSeconds. */
const LOOKBACK = 3 * 3600 + DEFAULT_POLICY.maxLagReadingAgeSeconds;
const historyCall = (nowMs: number) => `lagHistory.lagEvidence(${nowMs}, ${LOOKBACK})`;
/** The history call of the dead-primary cluster, whose clock stands at T0 + 35 s. */
const HISTORY_CALL = historyCall(T0 + 35_000);
const EXISTS_CALLS = [
  `reports.exists(failover/${REPORT_ID})`,
  `reports.exists(switchover/${REPORT_ID})`,
  `reports.exists(drill/${REPORT_ID})`,
];
const SWITCH_CALLS = ["dns.read()", "control.describe(replica)", `dns.setWriter(${REPLICA_ENDPOINT}, 90000)`];

function manual(action: "failover" | "switchover" | "status", acceptDataLoss = false): Trigger {
  return { kind: "manual", action, requestedBy: "alice@example.com", reason: "game day", acceptDataLoss };
}

/** A primary that died at T0: RDS reports it failed, the replica was 2 s behind 5 s before. */
function deadPrimaryCluster(): FakeCluster {
  const cluster = new FakeCluster({
    primary: { status: "failed", rawStatus: "failed" },
    clock: new FakeClock(T0 + 35_000),
  });
  cluster.historyReading = lagReading(2);
  return cluster;
}

const FULL_FAILOVER_CALLS = [
  ...READ_CALLS,
  HISTORY_CALL,
  expect.stringMatching(/^alerts\.read\(failover-started-[0-9a-f]{8}\)$/),
  "notifier.notify(failover-started)",
  expect.stringMatching(/^alerts\.write\(failover-started-[0-9a-f]{8}\)$/),
  "control.describe(primary)",
  "control.fencePrimary()",
  "control.describe(replica)",
  "control.promoteReplica()",
  "control.waitUntilWritable(600000)",
  ...SWITCH_CALLS,
  "control.enableBackups()",
  ...EXISTS_CALLS,
  `reports.put(failover/${REPORT_ID})`,
  "notifier.notify(failover-succeeded)",
];

describe("evaluateAndAct: port calls per decision", () => {
  it("none (healthy): reads the state only", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 50_000) });
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, HEALTHY, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls).toEqual(READ_CALLS);
    expect(outcome).toMatchObject({ acted: false, decision: { kind: "none" } });
    expect(outcome.error).toBeUndefined();
  });

  it("alert-only (primary down, RDS says available): one critical primary-suspect alert, nothing changed", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 35_000) });
    cluster.historyReading = lagReading(2);
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    const key = alertKey({
      event: "primary-suspect",
      subject: "DR CRITICAL: primary tap-primary-dev is suspect",
    });
    expect(cluster.calls).toEqual([
      ...READ_CALLS,
      HISTORY_CALL,
      `alerts.read(${key})`,
      "notifier.notify(primary-suspect)",
      `alerts.write(${key})`,
    ]);
    expect(outcome).toMatchObject({ acted: false, decision: { kind: "alert-only", severity: "critical" } });
    expect(cluster.notifications[0]).toMatchObject({
      severity: "critical",
      subject: "DR CRITICAL: primary tap-primary-dev is suspect",
    });
    expect(cluster.notifications[0].message).toMatch(/No automatic action was taken\.$/);
  });

  it("blocked (lag beyond the limit): one failover-blocked alert naming the guard, nothing changed", async () => {
    const cluster = deadPrimaryCluster();
    cluster.historyReading = lagReading(90);
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    const key = alertKey({
      event: "failover-blocked",
      subject: "DR CRITICAL: failover BLOCKED (replication-lag): tap-replica-dev not promoted",
    });
    expect(cluster.calls).toEqual([
      ...READ_CALLS,
      HISTORY_CALL,
      `alerts.read(${key})`,
      "notifier.notify(failover-blocked)",
      `alerts.write(${key})`,
    ]);
    expect(outcome).toMatchObject({ acted: false, decision: { kind: "blocked", guard: "replication-lag" } });
    expect(cluster.notifications[0]).toMatchObject({
      event: "failover-blocked",
      severity: "critical",
      subject: "DR CRITICAL: failover BLOCKED (replication-lag): tap-replica-dev not promoted",
    });
    expect(cluster.replica.isReplica).toBe(true);
  });

  it("manual status: reads and decides, never acts or notifies, even when a failover is warranted", async () => {
    const cluster = deadPrimaryCluster();
    const outcome = await evaluateAndAct(cluster.ports, manual("status"), DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL]);
    expect(outcome).toMatchObject({ acted: false, decision: { kind: "promote-replica" } });
  });

  it("promote-replica: fence, promote, wait, switch writer, report, notify — in that order", async () => {
    const cluster = deadPrimaryCluster();
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);

    expect(cluster.calls).toEqual(FULL_FAILOVER_CALLS);
    expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    expect(cluster.primary.fenced).toBe(true);
    expect(outcome.error).toBeUndefined();
    expect(outcome.acted).toBe(true);
    expect(outcome.reportLocation).toBe(`s3://tap-backups-dr-dev/reports/failover/${REPORT_ID}.json`);
    expect(outcome.report).toMatchObject({
      id: REPORT_ID,
      kind: "failover",
      outcome: "succeeded",
      startedAtMs: T0 + 35_000,
      finishedAtMs: T0 + 175_000,
      // detection: T0 → T0+30 s; promotion: promote call at T0+35 s → writable 120 s later;
      // RTO: T0 → writer switched at T0+175 s; data at risk: the 2 s lag from before the failure.
      figures: { detectionSeconds: 30, promotionSeconds: 120, rtoSeconds: 175, dataLossWindowSeconds: 2 },
      oldPrimary: { id: "tap-primary-dev", fenced: true },
      newPrimary: { id: "tap-replica-dev", isReplica: false, status: "available" },
    });
    expect(outcome.report?.timeline.map((e) => e.event)).toEqual([
      "probe",
      "failure-started",
      "probe",
      "probe",
      "failure-detected",
      "decision",
      "fenced",
      "promote-requested",
      "promoted",
      "writer-switched",
      "backups-enabled",
    ]);
    expect(cluster.notifications.map((n) => [n.event, n.subject])).toEqual([
      ["failover-started", "DR CRITICAL: Failover started: promoting tap-replica-dev"],
      ["failover-succeeded", "DR CRITICAL: Failover succeeded: tap-replica-dev is the writer"],
    ]);
    expect(cluster.notifications[1].message).toBe(
      `writer now points at ${REPLICA_ENDPOINT} (tap-replica-dev). Detection 30 s, promotion 120 s, RTO 175 s, ` +
        `data-loss window 2 s. Report: s3://tap-backups-dr-dev/reports/failover/${REPORT_ID}.json. ` +
        "tap-primary-dev must not take writes again; fail back only as a planned switchover.",
    );
  });

  it("promote-replica with the primary's region API down: fencing is skipped, the failover goes on", async () => {
    const cluster = deadPrimaryCluster();
    cluster.primary = {
      ...cluster.primary,
      apiReachable: false,
      apiError: "connectivity",
      status: "unknown",
      endpoint: undefined,
    };
    // Earlier evaluations failed to connect for 4 minutes: the API-outage second signal.
    cluster.apiHistory = {
      kind: "read",
      periodSeconds: 60,
      samples: [1, 2, 3, 4].map((ago) => ({
        atMs: Math.floor(T0 / 60_000) * 60_000 - ago * 60_000,
        reachable: false,
      })),
    };
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(outcome.error).toBeUndefined();
    expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    expect(outcome.report?.timeline.find((e) => e.event === "fence-skipped")?.detail).toBe(
      "the EC2 API of ap-southeast-2 did not answer; ingress left as is",
    );
  });

  it("complete-failover (promoted, writer not switched): switches writer and reports, never promotes", async () => {
    const cluster = deadPrimaryCluster();
    cluster.replica = { ...cluster.replica, isReplica: false };
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls).toEqual([
      ...READ_CALLS,
      HISTORY_CALL,
      ...EXISTS_CALLS,
      ...SWITCH_CALLS,
      "control.enableBackups()",
      ...EXISTS_CALLS,
      `reports.put(failover/${REPORT_ID})`,
      "notifier.notify(failover-succeeded)",
    ]);
    expect(outcome).toMatchObject({ acted: true, decision: { kind: "complete-failover" } });
    // This run did not see the promotion, so it reports no promotion time rather than a made-up one.
    expect(outcome.report?.figures).toEqual({
      detectionSeconds: null,
      promotionSeconds: null,
      rtoSeconds: 55,
      dataLossWindowSeconds: 2,
    });
  });

  it("complete-failover (writer switched, report missing): only writes the report and notifies", async () => {
    const cluster = deadPrimaryCluster();
    cluster.replica = { ...cluster.replica, isReplica: false };
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls).toEqual([
      ...READ_CALLS,
      HISTORY_CALL,
      ...EXISTS_CALLS,
      ...EXISTS_CALLS,
      `reports.put(failover/${REPORT_ID})`,
      "notifier.notify(failover-succeeded)",
    ]);
    expect(outcome.error).toBeUndefined();
  });

  it("none (already done): a report found under the first kind stops the look-up, nothing is done", async () => {
    const cluster = deadPrimaryCluster();
    cluster.replica = { ...cluster.replica, isReplica: false };
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    cluster.addReport("failover", REPORT_ID);
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL, `reports.exists(failover/${REPORT_ID})`]);
    expect(outcome).toMatchObject({ acted: false, decision: { kind: "none" } });
  });

  it("alert-only (old primary back after failover): warns, never flips writer back", async () => {
    const cluster = new FakeCluster({
      clock: new FakeClock(T0 + 50_000),
      dns: { writerTarget: REPLICA_ENDPOINT },
    });
    cluster.replica = { ...cluster.replica, isReplica: false };
    cluster.addReport("failover", REPORT_ID);
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, HEALTHY, DEFAULT_POLICY, OPTIONS);
    expect(cluster.callNames).not.toContain("dns.setWriter");
    expect(cluster.calls.at(-2)).toBe("notifier.notify(post-failover-alert)");
    expect(outcome.decision).toMatchObject({ kind: "alert-only", severity: "critical" });
  });

  it("alarm trigger: promotes on the alarm with lag history looked up before the alarm's start", async () => {
    const cluster = deadPrimaryCluster();
    cluster.historyReading = lagReading(3, 200);
    const trigger: Trigger = {
      kind: "alarm",
      alarm: {
        alarmName: "primary-unreachable-dev",
        state: "ALARM",
        sinceMs: T0 - 60_000,
        reason: "3 of 3 breaching",
      },
    };
    const outcome = await evaluateAndAct(cluster.ports, trigger, NO_EVIDENCE, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls.slice(0, 4)).toEqual([
      ...READ_CALLS,
      // From now, not from the alarm's start: the history says when the failure was first seen.
      HISTORY_CALL,
    ]);
    expect(outcome.decision).toMatchObject({ kind: "promote-replica", failureStartedAtMs: T0 - 60_000 });
    expect(outcome.report?.figures.rtoSeconds).toBe(235);
  });

  it("manual switchover: fences, waits for catch-up, then promotes; zero data-loss window", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    cluster.historyReading = lagReading(1, -55);
    const outcome = await evaluateAndAct(cluster.ports, manual("switchover"), NO_EVIDENCE, DEFAULT_POLICY, {
      ...OPTIONS,
      reportKind: "switchover",
    });
    expect(cluster.calls).toEqual([
      ...READ_CALLS,
      historyCall(T0 + 60_000),
      expect.stringMatching(/^alerts\.read\(failover-started-[0-9a-f]{8}\)$/),
      "notifier.notify(failover-started)",
      expect.stringMatching(/^alerts\.write\(failover-started-[0-9a-f]{8}\)$/),
      "control.describe(primary)",
      "control.fencePrimary()",
      "control.waitUntilCaughtUp(300000)",
      "control.describe(replica)",
      "control.promoteReplica()",
      "control.waitUntilWritable(600000)",
      ...SWITCH_CALLS,
      "control.enableBackups()",
      ...EXISTS_CALLS,
      `reports.put(switchover/${REPORT_ID})`,
      "notifier.notify(failover-succeeded)",
    ]);
    expect(outcome.report).toMatchObject({
      kind: "switchover",
      outcome: "succeeded",
      figures: { detectionSeconds: 0, promotionSeconds: 120, rtoSeconds: 142, dataLossWindowSeconds: 0 },
    });
    expect(cluster.notifications[0].subject).toBe(
      "DR CRITICAL: Switchover started: promoting tap-replica-dev",
    );
  });
});

describe("evaluateAndAct: failing steps", () => {
  it("promotion timeout: no writer change, failover-failed with the state, re-run resumes without promoting again", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.promotionDurationMs = null;
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);

    expect(cluster.calls.slice(FULL_FAILOVER_CALLS.indexOf("control.waitUntilWritable(600000)"))).toEqual([
      "control.waitUntilWritable(600000)",
      "dns.read()",
      "control.describe(replica)",
      "notifier.notify(failover-failed)",
      `reports.put(failover/${REPORT_ID}-attempt-${T0 + 35_000})`,
    ]);
    expect(cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
    expect(outcome.error).toBe(
      "wait-replica-writable failed: WaitTimeoutError: tap-replica-dev was not writable after 600000 ms",
    );
    expect(outcome.report).toMatchObject({ outcome: "failed", id: `${REPORT_ID}-attempt-${T0 + 35_000}` });
    const failed = cluster.notifications.find((n) => n.event === "failover-failed");
    expect(failed?.subject).toBe("DR CRITICAL: Failover FAILED at wait-replica-writable: tap-replica-dev");
    expect(failed?.detail).toMatchObject({
      failedStep: "wait-replica-writable",
      completedSteps: ["notify-start", "fence-old-primary", "promote-replica"],
      replica: { id: "tap-replica-dev", status: "modifying", isReplica: false },
      writerTarget: PRIMARY_ENDPOINT,
      rolledBackWriterTo: null,
    });
    expect(failed?.message).toContain(
      "re-running the failover resumes from the missing steps and never promotes again",
    );

    // The promotion finishes in the background; the next invocation completes the failover.
    cluster.behaviour.promotionDurationMs = 30_000;
    const again = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(again.decision).toMatchObject({
      kind: "complete-failover",
      steps: ["wait-replica-writable", "switch-writer", "enable-backups", "write-report", "notify-success"],
    });
    expect(again.error).toBeUndefined();
    expect(cluster.callNames.filter((c) => c === "control.promoteReplica")).toHaveLength(1);
    expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
  });

  it("DNS change failure before it applied: writer stays, alert, re-run switches it without promoting again", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.setWriterError = { error: errors.dnsTimeout(), applyBeforeFailing: false };
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(outcome.error).toBe(
      "switch-writer failed: DnsChangeError: writer change C123 did not reach INSYNC within 60000 ms",
    );
    expect(cluster.calls.filter((c) => c.startsWith("dns.setWriter"))).toEqual([
      `dns.setWriter(${REPLICA_ENDPOINT}, 90000)`,
    ]);
    expect(cluster.notifications.find((n) => n.event === "failover-failed")?.detail).toMatchObject({
      failedStep: "switch-writer",
      writerTarget: PRIMARY_ENDPOINT,
      rolledBackWriterTo: null,
      replica: { isReplica: false, status: "available" },
    });

    cluster.behaviour.setWriterError = null;
    const again = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(again.decision).toMatchObject({
      kind: "complete-failover",
      steps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
    });
    expect(cluster.callNames.filter((c) => c === "control.promoteReplica")).toHaveLength(1);
    expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
  });

  it("DNS change applied but not confirmed, new writer writable: no flip back to the old primary", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.setWriterError = { error: errors.dnsTimeout(), applyBeforeFailing: true };
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(outcome.error).toContain("switch-writer failed");
    expect(cluster.calls.filter((c) => c.startsWith("dns.setWriter"))).toHaveLength(1);
    expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    expect(cluster.notifications.at(-1)?.message).toContain(`writer points at ${REPLICA_ENDPOINT}.`);
  });

  it("DNS change applied while the new writer became unusable: writer is rolled back to where it was", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.setWriterError = {
      error: errors.dnsTimeout(),
      applyBeforeFailing: true,
      onlyForTarget: REPLICA_ENDPOINT,
      then: () => {
        cluster.replica = { ...cluster.replica, status: "failed", rawStatus: "failed" };
      },
    };
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls.slice(cluster.calls.indexOf(`dns.setWriter(${REPLICA_ENDPOINT}, 90000)`))).toEqual([
      `dns.setWriter(${REPLICA_ENDPOINT}, 90000)`,
      "dns.read()",
      "control.describe(replica)",
      `dns.setWriter(${PRIMARY_ENDPOINT}, 90000)`,
      "notifier.notify(failover-failed)",
      `reports.put(failover/${REPORT_ID}-attempt-${T0 + 35_000})`,
    ]);
    expect(cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
    const failed = cluster.notifications.find((n) => n.event === "failover-failed");
    expect(failed?.detail).toMatchObject({
      rolledBackWriterTo: PRIMARY_ENDPOINT,
      writerTarget: PRIMARY_ENDPOINT,
    });
    expect(failed?.message).toContain(`writer was rolled back to ${PRIMARY_ENDPOINT}.`);
    expect(outcome.report?.timeline.map((e) => e.event)).toContain("writer-rolled-back");
  });

  it("promotion refused by RDS: nothing promoted, nothing switched, alert", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.promoteError = errors.promoteRefused();
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(outcome.error).toBe(
      "promote-replica failed: ControlPlaneError: PromoteReadReplica refused: InvalidDBInstanceState",
    );
    expect(cluster.replica.isReplica).toBe(true);
    expect(cluster.callNames).not.toContain("dns.setWriter");
    expect(cluster.notifications.at(-1)?.message).toContain(
      "is still a replica: re-running the failover starts again",
    );
  });

  it("report store failure after the switch: no rollback, and the re-run writes only the report", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.putError = new Error("S3 503 SlowDown");
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(outcome.error).toBe(
      "write-report failed: Error: S3 503 SlowDown; failed report could not be stored: Error: S3 503 SlowDown",
    );
    expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);

    cluster.behaviour.putError = null;
    cluster.calls.length = 0;
    const again = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(again.decision).toMatchObject({
      kind: "complete-failover",
      steps: ["write-report", "notify-success"],
    });
    expect(cluster.callNames.filter((c) => c === "reports.put")).toEqual(["reports.put"]);
    expect(cluster.reports.has(`failover/${REPORT_ID}`)).toBe(true);
  });

  it("switchover whose replica cannot catch up: stops before promoting, undoes the fence exactly, writer stays", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    cluster.historyReading = lagReading(1, -55);
    cluster.behaviour.catchUpError = new WaitTimeoutError(
      "replica did not replay up to 0/3000060 in 300000 ms",
    );
    const outcome = await evaluateAndAct(cluster.ports, manual("switchover"), NO_EVIDENCE, DEFAULT_POLICY, {
      ...OPTIONS,
      reportKind: "switchover",
    });
    expect(cluster.callNames).not.toContain("control.promoteReplica");
    expect(outcome.error).toBe(
      "wait-replica-caught-up failed: WaitTimeoutError: replica did not replay up to 0/3000060 in 300000 ms; fence undone",
    );
    expect(cluster.notifications.at(-1)?.detail).toMatchObject({
      failedStep: "wait-replica-caught-up",
      primary: { fenced: false },
      completedSteps: ["notify-start", "fence-old-primary"],
      writerTarget: PRIMARY_ENDPOINT,
      fenceUndo: { restored: true, detail: "re-authorized 10.20.0.0/16 on sg-0primary" },
    });
    expect(cluster.notifications.at(-1)?.message).toContain(
      "The fence of tap-primary-dev was undone (re-authorized 10.20.0.0/16 on sg-0primary); it serves clients again.",
    );
    expect(cluster.calls).toContain("control.unfencePrimary(1)");
    expect(cluster.primaryIngress).toEqual(["10.20.0.0/16"]);
    expect(cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
    expect(cluster.replica.isReplica).toBe(true);
  });

  it("switchover whose fence undo fails: the alert says the old writer admits no client", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    cluster.historyReading = lagReading(1, -55);
    cluster.behaviour.catchUpError = new WaitTimeoutError("replica did not replay up to 0/3000060");
    cluster.behaviour.unfenceError = new Error("EC2 UnauthorizedOperation");
    const outcome = await evaluateAndAct(cluster.ports, manual("switchover"), NO_EVIDENCE, DEFAULT_POLICY, {
      ...OPTIONS,
      reportKind: "switchover",
    });
    expect(outcome.error).toBe(
      "wait-replica-caught-up failed: WaitTimeoutError: replica did not replay up to 0/3000060; " +
        "fence undo failed: Error: EC2 UnauthorizedOperation",
    );
    expect(cluster.notifications.at(-1)?.message).toContain(
      "Undoing the fence of tap-primary-dev FAILED (Error: EC2 UnauthorizedOperation): it admits no client",
    );
  });

  it("an unplanned failover never undoes its fence, even when it fails before promoting", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.promoteError = errors.promoteRefused();
    await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.callNames).not.toContain("control.unfencePrimary");
    expect(cluster.primaryIngress).toEqual([]);
  });

  it("fence tag present but ingress restored: the fence step still fences (revokes what is there)", async () => {
    // The view still says fenced (the tag), but a human put the instance back into service.
    const cluster = new FakeCluster({ primary: { fenced: true }, clock: new FakeClock(T0 + 60_000) });
    cluster.historyReading = lagReading(1, -55);
    expect(cluster.primaryIngress).toEqual(["10.20.0.0/16"]);
    const outcome = await evaluateAndAct(cluster.ports, manual("switchover"), NO_EVIDENCE, DEFAULT_POLICY, {
      ...OPTIONS,
      reportKind: "switchover",
    });
    expect(outcome.error).toBeUndefined();
    expect(cluster.calls).toContain("control.fencePrimary()");
    expect(cluster.primaryIngress).toEqual([]);
    expect(outcome.report?.timeline.find((e) => e.event === "fenced")?.detail).toBe(
      "removed client ingress 10.20.0.0/16 from sg-0primary",
    );
  });

  it("a failing notifier never stops a failover; the failures are reported", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.notifyError = new Error("SNS KMSAccessDenied");
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    expect(outcome.report?.outcome).toBe("succeeded");
    expect(outcome.error).toBe(
      "notification failover-started failed: Error: SNS KMSAccessDenied; " +
        "notification failover-succeeded failed: Error: SNS KMSAccessDenied",
    );
  });
});

describe("evaluateAndAct: resume after a crash at each step", () => {
  it.each([
    ["notifier.notify(failover-started)", 1],
    ["control.fencePrimary", 1],
    ["control.promoteReplica", 1],
    ["control.waitUntilWritable", 1],
    ["dns.setWriter", 1],
    ["reports.put", 1],
    ["notifier.notify(failover-succeeded)", 1],
  ])(
    "crash after %s: the next invocation finishes, promotes once, reports once",
    async (crashPoint, promotions) => {
      const cluster = deadPrimaryCluster();
      cluster.crashAfter = crashPoint;
      // The run dies at the crash point: any port call after it throws (a crash inside the last
      // notification is absorbed like any failed notification, so that run still returns).
      const first = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS).then(
        (outcome) => outcome.error,
        (error: Error) => error.message,
      );
      expect(first).toMatch(/crashed (after|before)/);
      expect(cluster.calls.at(-1)).toContain(crashPoint);

      cluster.restart();
      cluster.clock.advance(60_000);
      const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);

      expect(outcome.error).toBeUndefined();
      expect(cluster.callNames.filter((c) => c === "control.promoteReplica")).toHaveLength(promotions);
      expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
      expect([...cluster.reports.keys()]).toEqual([`failover/${REPORT_ID}`]);
      // Once done, a further invocation changes nothing.
      const calls = cluster.calls.length;
      const thirdAtMs = cluster.clock.nowMs();
      const third = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
      expect(third.decision.kind).toBe("none");
      expect(cluster.calls.slice(calls)).toEqual([
        ...READ_CALLS,
        historyCall(thirdAtMs),
        `reports.exists(failover/${REPORT_ID})`,
      ]);
    },
  );
});

describe("readSnapshot", () => {
  it("uses the evidence's lag and skips history and reports while the replica replicates", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 50_000) });
    const snap = await readSnapshot(cluster.ports, MONITOR_TRIGGER, HEALTHY, DEFAULT_POLICY);
    expect(cluster.calls).toEqual(READ_CALLS);
    expect(snap).toMatchObject({
      takenAtMs: T0 + 50_000,
      lastHealthyLag: HEALTHY.lastHealthyLag,
      reportWritten: false,
      dns: { writerTarget: PRIMARY_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
    });
  });

  it("reads the primary's health signals at the snapshot's time: 60 min of RDS metrics, the outage window + 10 min of history", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 50_000) });
    cluster.rdsMetrics = {
      kind: "unreadable",
      apiError: "connectivity",
      detail: "TimeoutError: Connection timed out after 3000 ms",
    };
    cluster.apiHistory = {
      kind: "read",
      periodSeconds: 60,
      samples: [{ atMs: T0 - 60_000, reachable: false }],
    };
    const snap = await readSnapshot(cluster.ports, MONITOR_TRIGGER, HEALTHY, {
      ...DEFAULT_POLICY,
      apiOutageMinutes: 5,
    });
    expect(cluster.healthQueries).toEqual([
      `rdsMetrics(${T0 + 50_000}, 60)`,
      `apiReachabilityHistory(${T0 + 50_000}, 15)`,
    ]);
    expect(snap.primaryRdsMetrics).toEqual(cluster.rdsMetrics);
    expect(snap.primaryApiHistory).toEqual(cluster.apiHistory);
  });

  it("asks lag history for the evidence up to now, 3 h past maxLagReadingAgeSeconds, and merges it with the run's", async () => {
    const cluster = deadPrimaryCluster();
    const evidence: Evidence = {
      primaryProbes: probes("ok", "timeout", "timeout", "timeout"),
      lastHealthyLag: null,
    };
    cluster.historyMoments = { primaryLastAnsweredAtMs: T0 - 5_000, failureFirstSeenAtMs: null };
    const snap = await readSnapshot(cluster.ports, MONITOR_TRIGGER, evidence, {
      ...DEFAULT_POLICY,
      maxLagReadingAgeSeconds: 120,
    });
    expect(cluster.calls).toEqual([
      ...READ_CALLS,
      `lagHistory.lagEvidence(${T0 + 35_000}, ${3 * 3600 + 120})`,
    ]);
    expect(snap).toMatchObject({
      lastHealthyLag: lagReading(2),
      // The run's own probes: it answered at T0, then failed from T0 + 15 s.
      primaryLastAnsweredAtMs: T0,
      failureFirstSeenAtMs: T0 + 15_000,
    });
  });

  it("finds a report written under another kind (a drill resumed as a failover)", async () => {
    const cluster = deadPrimaryCluster();
    cluster.replica = { ...cluster.replica, isReplica: false };
    cluster.addReport("drill", REPORT_ID);
    const snap = await readSnapshot(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY);
    expect(snap.reportWritten).toBe(true);
    expect(cluster.calls.slice(-3)).toEqual(EXISTS_CALLS);
  });
});

describe("evaluateAndAct: alert de-duplication across invocations (one ledger, a minute apart)", () => {
  const MINUTE = 60_000;

  /** A monitor run that started `startMs`: three timed-out probes, and the lag 5 s before. */
  function downRun(startMs: number, lagSeconds: number | null): Evidence {
    return {
      primaryProbes: probes("timeout", "timeout", "timeout").map((p) => ({
        ...p,
        atMs: p.atMs - T0 + startMs,
      })),
      lastHealthyLag: { ...lagReading(lagSeconds), atMs: startMs - 5_000 },
    };
  }

  /** Run the failover function once a minute for `minutes`, the clock 35 s into each monitor run. */
  async function everyMinute(
    cluster: FakeCluster,
    minutes: number,
    evidence: (minute: number, startMs: number) => Evidence,
  ): Promise<{ minute: number; sent: boolean; error?: string }[]> {
    const runs: { minute: number; sent: boolean; error?: string }[] = [];
    for (let minute = 0; minute < minutes; minute += 1) {
      const startMs = T0 + minute * MINUTE;
      cluster.clock.now = startMs + 35_000;
      const outcome = await evaluateAndAct(
        cluster.ports,
        MONITOR_TRIGGER,
        evidence(minute, startMs),
        DEFAULT_POLICY,
        OPTIONS,
      );
      runs.push({
        minute,
        sent: outcome.alert?.sent ?? false,
        ...(outcome.error ? { error: outcome.error } : {}),
      });
    }
    return runs;
  }

  const sentMinutes = (runs: { minute: number; sent: boolean }[]): number[] =>
    runs.filter((r) => r.sent).map((r) => r.minute);

  it("the same blocked decision every minute for 40 minutes is sent 3 times: at once, then reminders at 15 and 30 min", async () => {
    const cluster = deadPrimaryCluster();
    const runs = await everyMinute(cluster, 40, (_m, start) => downRun(start, 90));
    expect(sentMinutes(runs)).toEqual([0, 15, 30]);
    expect(cluster.notifications.map((n) => n.event)).toEqual(Array(3).fill("failover-blocked"));
    expect(runs.every((r) => r.error === undefined)).toBe(true);
    expect(cluster.alertLedger.records()).toEqual([
      {
        key: alertKey(cluster.notifications[0]),
        event: "failover-blocked",
        subject: "DR CRITICAL: failover BLOCKED (replication-lag): tap-replica-dev not promoted",
        severity: "critical",
        lastSentAtMs: T0 + 30 * MINUTE + 35_000,
      },
    ]);
  });

  it("a suppressed run says why, and touches neither notifier nor ledger write", async () => {
    const cluster = deadPrimaryCluster();
    await everyMinute(cluster, 1, (_m, start) => downRun(start, 90));
    cluster.calls.length = 0;
    cluster.clock.now = T0 + MINUTE + 35_000;
    const outcome = await evaluateAndAct(
      cluster.ports,
      MONITOR_TRIGGER,
      downRun(T0 + MINUTE, 90),
      DEFAULT_POLICY,
      OPTIONS,
    );
    expect(outcome.alert).toEqual({
      key: alertKey(cluster.notifications[0]),
      sent: false,
      reason: "suppressed: the same alert was sent 60 s ago; next reminder after 900 s",
    });
    expect(cluster.callNames).not.toContain("notifier.notify");
    expect(cluster.callNames).not.toContain("alerts.write");
  });

  it("a rise in severity is sent at once: suspect (warning) → partition with RDS available (critical)", async () => {
    const cluster = new FakeCluster();
    const suspect = (startMs: number): Evidence => ({
      primaryProbes: probes("ok", "timeout", "ok", "timeout").map((p) => ({
        ...p,
        atMs: p.atMs - T0 + startMs,
      })),
      lastHealthyLag: { ...lagReading(2), atMs: startMs - 5_000 },
    });
    const runs = await everyMinute(cluster, 4, (minute, start) =>
      minute < 2 ? suspect(start) : downRun(start, 2),
    );
    expect(sentMinutes(runs)).toEqual([0, 2]);
    expect(cluster.notifications.map((n) => [n.severity, n.subject])).toEqual([
      ["warning", "DR warning: primary tap-primary-dev is suspect"],
      ["critical", "DR CRITICAL: primary tap-primary-dev is suspect"],
    ]);
  });

  it("a change of the blocking guard is sent at once: replication-lag → lag-unknown", async () => {
    const cluster = deadPrimaryCluster();
    const runs = await everyMinute(cluster, 4, (minute, start) => downRun(start, minute < 2 ? 90 : null));
    expect(sentMinutes(runs)).toEqual([0, 2]);
    expect(cluster.notifications.map((n) => n.subject)).toEqual([
      "DR CRITICAL: failover BLOCKED (replication-lag): tap-replica-dev not promoted",
      "DR CRITICAL: failover BLOCKED (lag-unknown): tap-replica-dev not promoted",
    ]);
  });

  it("the partition alert reaches people once although both the monitor result and the alarm event report it", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 35_000) });
    const alarm: Trigger = {
      kind: "alarm",
      alarm: {
        alarmName: "primary-unreachable-dev",
        state: "ALARM",
        sinceMs: T0 - 60_000,
        reason: "3 of 3 breaching",
      },
    };
    const fromMonitor = await evaluateAndAct(
      cluster.ports,
      MONITOR_TRIGGER,
      downRun(T0, 2),
      DEFAULT_POLICY,
      OPTIONS,
    );
    cluster.clock.advance(20_000);
    const fromAlarm = await evaluateAndAct(cluster.ports, alarm, NO_EVIDENCE, DEFAULT_POLICY, OPTIONS);
    expect([fromMonitor.decision.kind, fromAlarm.decision.kind]).toEqual(["alert-only", "alert-only"]);
    expect([fromMonitor.alert?.sent, fromAlarm.alert?.sent]).toEqual([true, false]);
    expect(cluster.notifications).toHaveLength(1);
  });

  it("an unreadable ledger sends the alert and says why, without failing the invocation", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.alertReadError = new Error("AccessDenied");
    const runs = await everyMinute(cluster, 3, (_m, start) => downRun(start, 90));
    expect(sentMinutes(runs)).toEqual([0, 1, 2]);
    expect(runs.every((r) => r.error === undefined)).toBe(true);
    cluster.clock.advance(MINUTE);
    const outcome = await evaluateAndAct(
      cluster.ports,
      MONITOR_TRIGGER,
      downRun(T0 + 3 * MINUTE, 90),
      DEFAULT_POLICY,
      OPTIONS,
    );
    expect(outcome.alert).toMatchObject({
      sent: true,
      reason: "the alert ledger could not be read",
      ledgerError: "reading the alert ledger failed, so the alert is sent: Error: AccessDenied",
    });
    // Without the version read, no write is attempted.
    expect(cluster.callNames).not.toContain("alerts.write");
  });

  it("a failed ledger write is reported but is not an invocation error (a retry would alert again)", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.alertWriteError = new Error("SlowDown");
    const outcome = await evaluateAndAct(
      cluster.ports,
      MONITOR_TRIGGER,
      downRun(T0, 90),
      DEFAULT_POLICY,
      OPTIONS,
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.alert?.ledgerError).toBe(
      "recording the alert failed, so the next run may send it again: Error: SlowDown",
    );
    expect(cluster.notifications).toHaveLength(1);
  });

  it("a failed send is not recorded, so the next run sends again", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.notifyError = new Error("SNS down");
    const first = await everyMinute(cluster, 1, (_m, start) => downRun(start, 90));
    expect(first[0].error).toBe("notification failover-blocked failed: Error: SNS down");
    expect(cluster.alertLedger.records()).toEqual([]);
    cluster.behaviour.notifyError = null;
    cluster.clock.now = T0 + MINUTE + 35_000;
    const second = await evaluateAndAct(
      cluster.ports,
      MONITOR_TRIGGER,
      downRun(T0 + MINUTE, 90),
      DEFAULT_POLICY,
      OPTIONS,
    );
    expect(second.alert?.sent).toBe(true);
    expect(cluster.notifications).toHaveLength(1);
  });

  it("the start notice is recorded in the ledger; the outcome notice never consults it", async () => {
    const cluster = deadPrimaryCluster();
    await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.calls.filter((c) => c.startsWith("alerts."))).toEqual([
      expect.stringMatching(/^alerts\.read\(failover-started-/),
      expect.stringMatching(/^alerts\.write\(failover-started-/),
    ]);
    expect(cluster.notifications.map((n) => n.event)).toEqual(["failover-started", "failover-succeeded"]);
  });

  it("an attempt restarted a minute after a crash does not announce the same failover again", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.fenceError = new Error("EC2 RequestLimitExceeded");
    await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    cluster.behaviour.fenceError = null;
    cluster.clock.now += 60_000;
    await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
    expect(cluster.notifications.map((n) => n.event)).toEqual([
      "failover-started",
      "failover-failed",
      "failover-succeeded",
    ]);
  });
});
describe("evaluateAndAct: time budget from the time actually left", () => {
  it("slow calls to an impaired region: each wait is cut to the time left, and the failure path runs before the deadline", async () => {
    const cluster = deadPrimaryCluster();
    // Every control and DNS call takes 30 s (3 attempts × 10 s request timeout).
    cluster.behaviour.callLatencyMs = 30_000;
    cluster.behaviour.promotionDurationMs = null;
    const start = cluster.clock.nowMs();
    const deadlineMs = start + 900_000;
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, {
      ...OPTIONS,
      deadlineMs,
      failurePathReserveMs: 150_000,
    });
    const wait = cluster.calls.find((c) => c.startsWith("control.waitUntilWritable("));
    // The reads (the fake answers them one after the other: 90 s), describe + fence (60 s),
    // describe + promote (60 s): 210 s spent, so the wait gets 900 − 210 − 150 = 540 s, not its own 600 s.
    expect(wait).toBe("control.waitUntilWritable(540000)");
    expect(outcome.error).toMatch(/^wait-replica-writable failed: WaitTimeoutError/);
    expect(cluster.notifications.at(-1)?.event).toBe("failover-failed");
    expect(cluster.callNames).toContain("reports.put");
    expect(cluster.clock.nowMs()).toBeLessThanOrEqual(deadlineMs);
  });

  it("a step is not started when only the failure path's reserve is left", async () => {
    const cluster = deadPrimaryCluster();
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, {
      ...OPTIONS,
      deadlineMs: cluster.clock.nowMs() + 100_000,
      failurePathReserveMs: 150_000,
    });
    expect(outcome.error).toContain(
      "notify-start failed: only 100000 ms of the invocation were left, less than the 150000 ms kept for the failure path",
    );
    expect(cluster.callNames).not.toContain("control.fencePrimary");
    expect(cluster.notifications.at(-1)?.event).toBe("failover-failed");
  });

  it("a wait with no time left is refused with the numbers, not started", async () => {
    const cluster = deadPrimaryCluster();
    cluster.behaviour.callLatencyMs = 30_000;
    const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, {
      ...OPTIONS,
      // The switch starts 360 s in with 180 s left; its two reads take 60 s, leaving only 120 s.
      deadlineMs: cluster.clock.nowMs() + 540_000,
      failurePathReserveMs: 150_000,
    });
    expect(outcome.error).toContain(
      "switch-writer failed: no time left for the writer switch: 120000 ms of the invocation remain, all kept for the failure path (150000 ms)",
    );
    expect(cluster.callNames).not.toContain("dns.setWriter");
  });
});

describe("evaluateAndAct: an interrupted promotion resumes whatever RDS shows", () => {
  it.each([
    ["modifying, still naming its source", "modifying", true],
    ["rebooting, source cleared", "rebooting", false],
    ["available, still naming its source (the run stopped between tag and call)", "available", true],
  ] as const)(
    "tagged replica %s: resumes instead of blocking, promotes at most once",
    async (_n, status, isReplica) => {
      const cluster = deadPrimaryCluster();
      cluster.replica = {
        ...cluster.replica,
        status,
        rawStatus: status,
        isReplica,
        promotionRequestedAtMs: T0 + 1_000,
      };
      const outcome = await evaluateAndAct(cluster.ports, MONITOR_TRIGGER, DOWN, DEFAULT_POLICY, OPTIONS);
      expect(outcome.decision.kind).toBe("complete-failover");
      expect(outcome.error).toBeUndefined();
      expect(cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
      const promotes = cluster.callNames.filter((c) => c === "control.promoteReplica").length;
      expect(promotes).toBe(status === "available" && isReplica ? 1 : 0);
    },
  );
});
