import { alertKey } from "../../../lib/lambda/core/alerts";
import {
  evaluateAndAct,
  readSnapshot,
  type DispatchOptions,
  type Evidence,
  type Outcome,
} from "../../../lib/lambda/core/orchestrator";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import type { FailoverStep, Trigger } from "../../../lib/lambda/core/types";
import { validateWorkflowInput, type WorkflowInput } from "../../../lib/lambda/core/workflow";
import {
  FakeCluster,
  FakeClock,
  PRIMARY_ENDPOINT,
  REPLICA_ENDPOINT,
  T0,
  primaryView,
  replicaView,
  restoredView,
} from "../../support/fake-ports";
import { RecordingWorkflow, executionArn } from "../../support/recording-workflow";
import { MONITOR_TRIGGER, lagReading, probes } from "../../support/snapshots";

const CLUSTER = { primaryInstanceId: "tap-primary-dev", replicaInstanceId: "tap-replica-dev" };
const LIMITS = {
  promotionTimeoutSeconds: 2700,
  catchUpTimeoutSeconds: 420,
  dnsTimeoutSeconds: 120,
  approvalTimeoutSeconds: 86_400,
  restoreTimeoutSeconds: 10_800,
};
const OPTIONS: DispatchOptions = {
  reportKind: "failover",
  cluster: CLUSTER,
  limits: LIMITS,
  approvals: true,
};
const NO_APPROVALS: DispatchOptions = { ...OPTIONS, approvals: false };
const REPORT_ID = "tap-replica-dev-created-20240401T000000000Z";
/** The execution of an unplanned failover of this replica, whoever triggers it. */
const INCIDENT = `failover-${REPORT_ID}`;
const DOWN: Evidence = { primaryProbes: probes("timeout", "timeout", "timeout"), lastHealthyLag: null };
const HEALTHY: Evidence = { primaryProbes: probes("ok", "ok", "ok", "ok"), lastHealthyLag: lagReading(2) };
const NO_EVIDENCE: Evidence = { primaryProbes: [], lastHealthyLag: null };
const ALARM: Trigger = {
  kind: "alarm",
  alarm: {
    alarmName: "primary-unreachable-dev",
    state: "ALARM",
    sinceMs: T0 - 60_000,
    reason: "3 of 3 breaching",
  },
};

const READ_CALLS = ["control.describe(primary)", "control.describe(replica)", "dns.read()"];
/** The look-back: 3 h plus maxLagReadingAgeSeconds. */
const LOOKBACK = 3 * 3600 + DEFAULT_POLICY.maxLagReadingAgeSeconds;
const historyCall = (nowMs: number) => `lagHistory.lagEvidence(${nowMs}, ${LOOKBACK})`;
/** The history call of the dead-primary cluster, whose clock stands at T0 + 35 s. */
const HISTORY_CALL = historyCall(T0 + 35_000);
const EXISTS_CALLS = [
  `reports.exists(failover/${REPORT_ID})`,
  `reports.exists(switchover/${REPORT_ID})`,
  `reports.exists(restore/${REPORT_ID})`,
  `reports.exists(drill/${REPORT_ID})`,
];
const ALL_STEPS: FailoverStep[] = [
  "notify-start",
  "fence-old-primary",
  "promote-replica",
  "wait-replica-writable",
  "switch-writer",
  "enable-backups",
  "write-report",
  "notify-success",
];

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

async function act(
  cluster: FakeCluster,
  trigger: Trigger,
  evidence: Evidence,
  options: DispatchOptions = OPTIONS,
  workflow = new RecordingWorkflow(() => cluster.clock.nowMs()),
): Promise<{ outcome: Outcome; workflow: RecordingWorkflow }> {
  const outcome = await evaluateAndAct(cluster.ports, workflow, trigger, evidence, DEFAULT_POLICY, options);
  return { outcome, workflow };
}

/** The timeline entries of three timed-out probes 15 s apart from T0. */
const DOWN_PROBES = [T0, T0 + 15_000, T0 + 30_000].map((atMs) => ({
  atMs,
  event: "probe",
  detail: "timeout in 3000 ms",
}));
const FAILURE_STARTED = { atMs: T0, event: "failure-started", detail: "First failed check of the failure." };
const FAILURE_DETECTED = {
  atMs: T0 + 30_000,
  event: "failure-detected",
  detail: "The failure was confirmed.",
};

/** The input of the unplanned failover of the dead-primary cluster, as the monitor's run starts it. */
function failoverInput(reason: string): WorkflowInput {
  return {
    version: 1,
    incident: INCIDENT,
    action: "failover",
    approval: "none",
    cluster: CLUSTER,
    decision: {
      kind: "promote-replica",
      reason,
      steps: ALL_STEPS,
      planned: false,
      decidedAtMs: T0 + 35_000,
      failureStartedAtMs: T0,
      detectedAtMs: T0 + 30_000,
    },
    observed: {
      takenAtMs: T0 + 35_000,
      writerTarget: PRIMARY_ENDPOINT,
      lastHealthyLagSeconds: 2,
      primary: primaryView({ status: "failed", rawStatus: "failed" }),
      replica: replicaView(),
      restored: restoredView(),
    },
    timeline: [
      ...DOWN_PROBES,
      FAILURE_STARTED,
      FAILURE_DETECTED,
      { atMs: T0 + 35_000, event: "decision", detail: `promote-replica: ${reason}` },
    ],
    reportKind: "failover",
    limits: LIMITS,
    requestedBy: null,
  };
}

/** What every start must satisfy: the step runner accepts the input, and it is named after its incident. */
function expectAcceptedByStepRunner(workflow: RecordingWorkflow): void {
  for (const input of workflow.inputs) {
    expect(validateWorkflowInput(JSON.parse(JSON.stringify(input)), CLUSTER)).toEqual(input);
    expect(workflow.calls).toContain(`start(${input.incident})`);
  }
}

describe("evaluateAndAct: what each decision does (port calls, workflow calls, the execution's input)", () => {
  it("none (healthy): reads the state only; no workflow call", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 50_000) });
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, HEALTHY);
    expect(cluster.calls).toEqual(READ_CALLS);
    expect(workflow.calls).toEqual([]);
    expect(outcome).toEqual({
      snapshot: expect.anything(),
      decision: expect.objectContaining({ kind: "none" }),
      acted: false,
    });
  });

  it("alert-only (primary down, RDS says available): one critical primary-suspect alert; no workflow call", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 35_000) });
    cluster.historyReading = lagReading(2);
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, DOWN);
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
    expect(workflow.calls).toEqual([]);
    expect(outcome).toMatchObject({ acted: false, decision: { kind: "alert-only", severity: "critical" } });
    expect(outcome.alert).toEqual({ key, sent: true, reason: expect.any(String) });
    expect(cluster.notifications[0].message).toMatch(/No automatic action was taken\.$/);
  });

  it("manual status: reads, decides and lists, never notifies or starts, even when a failover is warranted", async () => {
    const cluster = deadPrimaryCluster();
    const { outcome, workflow } = await act(cluster, manual("status"), DOWN);
    expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL]);
    expect(workflow.calls).toEqual(["running()"]);
    expect(outcome).toEqual({ snapshot: outcome.snapshot, decision: outcome.decision, acted: false });
    expect(outcome.decision.kind).toBe("promote-replica");
  });

  it("manual status while an execution runs: reports it", async () => {
    const cluster = deadPrimaryCluster();
    const running = {
      name: INCIDENT,
      arn: executionArn(INCIDENT),
      status: "RUNNING" as const,
      startedAtMs: T0,
      stoppedAtMs: null,
    };
    const workflow = new RecordingWorkflow(() => cluster.clock.nowMs());
    workflow.runningNow = [running];
    const { outcome } = await act(cluster, manual("status"), DOWN, OPTIONS, workflow);
    expect(workflow.calls).toEqual(["running()"]);
    expect(outcome).toMatchObject({ acted: false, execution: { ...running, started: false } });
    expect(outcome.error).toBeUndefined();
  });

  it("manual status when the executions cannot be listed: the state read, and the listing's error", async () => {
    const cluster = deadPrimaryCluster();
    const workflow = new RecordingWorkflow(() => cluster.clock.nowMs());
    workflow.runningError = new Error("Rate exceeded");
    const { outcome } = await act(cluster, manual("status"), DOWN, OPTIONS, workflow);
    expect(outcome).toMatchObject({
      acted: false,
      decision: { kind: "promote-replica" },
      error: "listing the failover executions failed: Error: Rate exceeded",
    });
    expect(outcome.execution).toBeUndefined();
  });

  it("promote-replica (monitor, primary dead): lists, then starts the incident's execution with the whole decision", async () => {
    const cluster = deadPrimaryCluster();
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, DOWN);
    // Reading only: every change is the execution's.
    expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL]);
    expect(workflow.calls).toEqual(["running()", `start(${INCIDENT})`]);
    expect(outcome.decision.kind).toBe("promote-replica");
    expect(workflow.inputs).toEqual([failoverInput(outcome.decision.reason)]);
    expectAcceptedByStepRunner(workflow);
    expect(outcome).toEqual({
      snapshot: outcome.snapshot,
      decision: outcome.decision,
      acted: true,
      execution: {
        name: INCIDENT,
        arn: executionArn(INCIDENT),
        status: "RUNNING",
        startedAtMs: T0 + 35_000,
        stoppedAtMs: null,
        started: true,
      },
    });
    expect(cluster.notifications).toEqual([]);
  });

  it("promote-replica (alarm): the same execution name as the monitor's, failure start from the alarm", async () => {
    const cluster = deadPrimaryCluster();
    // A reading taken before the alarm's failure began: the lag guard passes.
    cluster.historyReading = lagReading(3, 200);
    const { outcome, workflow } = await act(cluster, ALARM, NO_EVIDENCE);
    expect(outcome.decision).toMatchObject({ kind: "promote-replica", failureStartedAtMs: T0 - 60_000 });
    expect(workflow.calls).toEqual(["running()", `start(${INCIDENT})`]);
    const [input] = workflow.inputs;
    expect(input.decision).toMatchObject({ failureStartedAtMs: T0 - 60_000, planned: false });
    expect(input.timeline).toEqual([
      { atMs: T0 - 60_000, event: "failure-started", detail: "First failed check of the failure." },
      {
        atMs: outcome.decision.kind === "promote-replica" ? outcome.decision.detectedAtMs : 0,
        event: "failure-detected",
        detail: "The failure was confirmed.",
      },
      { atMs: T0 + 35_000, event: "decision", detail: `promote-replica: ${outcome.decision.reason}` },
    ]);
    expectAcceptedByStepRunner(workflow);
  });

  it("manual switchover: a switchover execution named after the request's minute, planned, report kind switchover", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    cluster.historyReading = lagReading(1, -55);
    const { outcome, workflow } = await act(cluster, manual("switchover"), NO_EVIDENCE);
    expect(outcome.decision).toMatchObject({ kind: "promote-replica", planned: true });
    const name = "switchover-tap-replica-dev-20240501T1001";
    expect(workflow.calls).toEqual(["running()", `start(${name})`]);
    expect(workflow.inputs[0]).toMatchObject({
      incident: name,
      action: "switchover",
      approval: "none",
      reportKind: "switchover",
      requestedBy: "alice@example.com",
      decision: {
        kind: "promote-replica",
        planned: true,
        steps: [
          "notify-start",
          "fence-old-primary",
          "wait-replica-caught-up",
          "promote-replica",
          "wait-replica-writable",
          "switch-writer",
          "enable-backups",
          "write-report",
          "notify-success",
        ],
      },
    });
    expectAcceptedByStepRunner(workflow);
  });

  it("manual switchover for a drill: the drill's report kind is kept", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    cluster.historyReading = lagReading(1, -55);
    const { workflow } = await act(cluster, manual("switchover"), NO_EVIDENCE, {
      ...OPTIONS,
      reportKind: "drill",
    });
    expect(workflow.inputs[0]).toMatchObject({ action: "switchover", reportKind: "drill" });
  });

  it("complete-failover (promoted, writer not switched): the missing steps only, no promotion step", async () => {
    const cluster = deadPrimaryCluster();
    cluster.replica = { ...cluster.replica, isReplica: false };
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, DOWN);
    expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL, ...EXISTS_CALLS]);
    expect(workflow.calls).toEqual(["running()", `start(${INCIDENT})`]);
    expect(workflow.inputs[0]).toEqual({
      ...failoverInput(outcome.decision.reason),
      decision: {
        kind: "complete-failover",
        reason: outcome.decision.reason,
        steps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
        planned: false,
        decidedAtMs: T0 + 35_000,
        failureStartedAtMs: T0,
        detectedAtMs: null,
      },
      observed: { ...failoverInput("").observed, replica: replicaView({ isReplica: false }) },
      timeline: [
        ...DOWN_PROBES,
        FAILURE_STARTED,
        { atMs: T0 + 35_000, event: "decision", detail: `complete-failover: ${outcome.decision.reason}` },
      ],
    });
    expect(outcome.acted).toBe(true);
    expectAcceptedByStepRunner(workflow);
  });

  it("complete-failover (writer switched, report missing): only the report and the notice", async () => {
    const cluster = deadPrimaryCluster();
    cluster.replica = { ...cluster.replica, isReplica: false };
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    const { workflow } = await act(cluster, MONITOR_TRIGGER, DOWN);
    expect(workflow.inputs[0].decision).toMatchObject({
      kind: "complete-failover",
      steps: ["write-report", "notify-success"],
    });
    expect(workflow.inputs[0].observed.writerTarget).toBe(REPLICA_ENDPOINT);
  });

  it("complete-failover on a run whose probes answered: no failure start is made up (timeline and decision agree)", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 50_000) });
    // Promoted by an earlier execution (tag and all), writer not switched, old primary fenced.
    cluster.primary = { ...cluster.primary, fenced: true };
    cluster.replica = { ...cluster.replica, isReplica: false, promotionRequestedAtMs: T0 - 600_000 };
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, HEALTHY);
    expect(outcome.decision.kind).toBe("complete-failover");
    const [input] = workflow.inputs;
    expect(input.decision.failureStartedAtMs).toBeNull();
    expect(input.timeline.map((e) => e.event)).toEqual(["probe", "probe", "probe", "probe", "decision"]);
  });

  it("none (already done): a report found under the first kind stops the look-up; no workflow call", async () => {
    const cluster = deadPrimaryCluster();
    cluster.replica = { ...cluster.replica, isReplica: false };
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    cluster.addReport("failover", REPORT_ID);
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, DOWN);
    expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL, `reports.exists(failover/${REPORT_ID})`]);
    expect(workflow.calls).toEqual([]);
    expect(outcome).toMatchObject({ acted: false, decision: { kind: "none" } });
  });

  it("alert-only (old primary back after failover): warns, never starts anything that could move writer", async () => {
    const cluster = new FakeCluster({
      clock: new FakeClock(T0 + 50_000),
      dns: { writerTarget: REPLICA_ENDPOINT },
    });
    cluster.replica = { ...cluster.replica, isReplica: false };
    cluster.addReport("failover", REPORT_ID);
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, HEALTHY);
    expect(workflow.calls).toEqual([]);
    expect(cluster.calls.at(-2)).toBe("notifier.notify(post-failover-alert)");
    expect(outcome.decision).toMatchObject({ kind: "alert-only", severity: "critical" });
  });
});

describe("evaluateAndAct: blocked decisions", () => {
  const blockedKey = (guard: string) =>
    alertKey({
      event: "failover-blocked",
      subject: `DR CRITICAL: failover BLOCKED (${guard}): tap-replica-dev not promoted`,
    });

  it.each([
    ["replication-lag", 90],
    ["lag-unknown", null],
  ] as const)(
    "lag guard %s, approvals on: an execution that waits for an operator (approval required), no alert from here",
    async (guard, lagSeconds) => {
      const cluster = deadPrimaryCluster();
      cluster.historyReading = lagSeconds === null ? null : lagReading(lagSeconds);
      const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, DOWN);
      expect(outcome.decision).toMatchObject({ kind: "blocked", guard });
      expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL]);
      expect(cluster.notifications).toEqual([]);
      expect(workflow.calls).toEqual(["running()", `start(${INCIDENT})`]);
      expect(workflow.inputs[0]).toEqual({
        ...failoverInput(outcome.decision.reason),
        approval: "required",
        decision: {
          kind: "blocked",
          reason: outcome.decision.reason,
          steps: [],
          planned: false,
          decidedAtMs: T0 + 35_000,
          failureStartedAtMs: T0,
          detectedAtMs: null,
          guard,
        },
        observed: { ...failoverInput("").observed, lastHealthyLagSeconds: lagSeconds },
        timeline: [
          ...DOWN_PROBES,
          FAILURE_STARTED,
          { atMs: T0 + 35_000, event: "decision", detail: `blocked: ${outcome.decision.reason}` },
        ],
      });
      expect(outcome).toMatchObject({ acted: true, execution: { name: INCIDENT, started: true } });
      expect(outcome.alert).toBeUndefined();
      expectAcceptedByStepRunner(workflow);
    },
  );

  it("lag guard, approvals off: the failover-blocked alert only", async () => {
    const cluster = deadPrimaryCluster();
    cluster.historyReading = lagReading(90);
    const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, DOWN, NO_APPROVALS);
    const key = blockedKey("replication-lag");
    expect(cluster.calls).toEqual([
      ...READ_CALLS,
      HISTORY_CALL,
      `alerts.read(${key})`,
      "notifier.notify(failover-blocked)",
      `alerts.write(${key})`,
    ]);
    expect(workflow.calls).toEqual([]);
    expect(outcome).toMatchObject({ acted: false, alert: { key, sent: true } });
  });

  it.each([
    [
      // Full storage comes back by itself: no regional restore, and no promotion either.
      "replica-unhealthy (the replica's storage is full)",
      "replica-unhealthy",
      (cluster: FakeCluster) => {
        cluster.replica = { ...cluster.replica, status: "storage-full", rawStatus: "storage-full" };
      },
    ],
    [
      "dns-missing (no writer record)",
      "dns-missing",
      (cluster: FakeCluster) => {
        cluster.dnsView.writerTarget = null;
      },
    ],
  ] as const)(
    "%s, approvals on: no approval can help, the blocked alert only",
    async (_situation, guard, setUp) => {
      const cluster = deadPrimaryCluster();
      setUp(cluster);
      const { outcome, workflow } = await act(cluster, MONITOR_TRIGGER, DOWN);
      expect(outcome.decision).toMatchObject({ kind: "blocked", guard });
      expect(workflow.calls).toEqual([]);
      expect(cluster.calls.slice(-3)).toEqual([
        `alerts.read(${blockedKey(guard)})`,
        "notifier.notify(failover-blocked)",
        `alerts.write(${blockedKey(guard)})`,
      ]);
      expect(outcome).toMatchObject({ acted: false, alert: { sent: true } });
      expect(outcome.execution).toBeUndefined();
    },
  );
});

describe("evaluateAndAct: an execution exists already", () => {
  it("one is running: nothing is started, its progress is the outcome (whatever triggered this run)", async () => {
    for (const [trigger, evidence] of [
      [MONITOR_TRIGGER, DOWN],
      [ALARM, NO_EVIDENCE],
      [manual("failover"), NO_EVIDENCE],
    ] as const) {
      const cluster = deadPrimaryCluster();
      const workflow = new RecordingWorkflow(() => cluster.clock.nowMs());
      workflow.runningNow = [
        {
          name: INCIDENT,
          arn: executionArn(INCIDENT),
          status: "RUNNING",
          startedAtMs: T0 + 5_000,
          stoppedAtMs: null,
        },
      ];
      const { outcome } = await act(cluster, trigger, evidence, OPTIONS, workflow);
      expect(workflow.calls).toEqual(["running()"]);
      expect(outcome).toMatchObject({
        acted: false,
        execution: {
          name: INCIDENT,
          arn: executionArn(INCIDENT),
          status: "RUNNING",
          startedAtMs: T0 + 5_000,
          stoppedAtMs: null,
          started: false,
        },
      });
      expect(outcome.error).toBeUndefined();
      expect(cluster.notifications).toEqual([]);
    }
  });

  it("the incident's execution has closed (start answers started: false): read back, not repeated, no alert", async () => {
    const cluster = deadPrimaryCluster();
    const workflow = new RecordingWorkflow(() => cluster.clock.nowMs());
    workflow.closed.set(INCIDENT, { status: "FAILED", startedAtMs: T0 + 5_000, stoppedAtMs: T0 + 20_000 });
    const { outcome } = await act(cluster, MONITOR_TRIGGER, DOWN, OPTIONS, workflow);
    expect(workflow.calls).toEqual(["running()", `start(${INCIDENT})`]);
    expect(outcome).toMatchObject({
      acted: false,
      execution: { name: INCIDENT, status: "FAILED", stoppedAtMs: T0 + 20_000, started: false },
    });
    expect(outcome.error).toBeUndefined();
    expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL]);
    expect(cluster.notifications).toEqual([]);
  });
});

describe("evaluateAndAct: the workflow cannot be reached", () => {
  it.each([
    ["listing fails", "runningError", ["running()"]],
    ["starting fails", "startError", ["running()", `start(${INCIDENT})`]],
  ] as const)(
    "%s: the outcome's error (the handler rethrows), nothing else done",
    async (_situation, knob, calls) => {
      const cluster = deadPrimaryCluster();
      const workflow = new RecordingWorkflow(() => cluster.clock.nowMs());
      workflow[knob] = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      const { outcome } = await act(cluster, MONITOR_TRIGGER, DOWN, OPTIONS, workflow);
      expect(workflow.calls).toEqual(calls);
      expect(outcome.error).toBe("starting the failover workflow failed: ThrottlingException: Rate exceeded");
      expect(outcome).toMatchObject({ acted: false, decision: { kind: "promote-replica" } });
      expect(outcome.execution).toBeUndefined();
      expect(cluster.calls).toEqual([...READ_CALLS, HISTORY_CALL]);
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
    expect(cluster.calls.slice(-4)).toEqual(EXISTS_CALLS);
  });
});

describe("evaluateAndAct: alert de-duplication across invocations (one ledger, a minute apart; approvals off)", () => {
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
        new RecordingWorkflow(() => cluster.clock.nowMs()),
        MONITOR_TRIGGER,
        evidence(minute, startMs),
        DEFAULT_POLICY,
        NO_APPROVALS,
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
      new RecordingWorkflow(() => cluster.clock.nowMs()),
      MONITOR_TRIGGER,
      downRun(T0 + MINUTE, 90),
      DEFAULT_POLICY,
      NO_APPROVALS,
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
      new RecordingWorkflow(() => cluster.clock.nowMs()),
      MONITOR_TRIGGER,
      downRun(T0, 2),
      DEFAULT_POLICY,
      NO_APPROVALS,
    );
    cluster.clock.advance(20_000);
    const fromAlarm = await evaluateAndAct(
      cluster.ports,
      new RecordingWorkflow(() => cluster.clock.nowMs()),
      alarm,
      NO_EVIDENCE,
      DEFAULT_POLICY,
      NO_APPROVALS,
    );
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
      new RecordingWorkflow(() => cluster.clock.nowMs()),
      MONITOR_TRIGGER,
      downRun(T0 + 3 * MINUTE, 90),
      DEFAULT_POLICY,
      NO_APPROVALS,
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
      new RecordingWorkflow(() => cluster.clock.nowMs()),
      MONITOR_TRIGGER,
      downRun(T0, 90),
      DEFAULT_POLICY,
      NO_APPROVALS,
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
      new RecordingWorkflow(() => cluster.clock.nowMs()),
      MONITOR_TRIGGER,
      downRun(T0 + MINUTE, 90),
      DEFAULT_POLICY,
      NO_APPROVALS,
    );
    expect(second.alert?.sent).toBe(true);
    expect(cluster.notifications).toHaveLength(1);
  });
});
