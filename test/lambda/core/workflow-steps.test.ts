import { alertKey } from "../../../lib/lambda/core/alerts";
import { FAILOVER_STEPS, SWITCHOVER_STEPS } from "../../../lib/lambda/core/decide";
import { ControlPlaneError, WaitTimeoutError } from "../../../lib/lambda/core/errors";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import type { Notification } from "../../../lib/lambda/core/ports";
import type { FailoverPolicy, InstanceView, Trigger } from "../../../lib/lambda/core/types";
import {
  StepError,
  initialRun,
  workflowInput,
  type RunState,
  type StepRequest,
  type WorkflowInput,
  type WorkflowTask,
} from "../../../lib/lambda/core/workflow";
import { CATCH_UP_CHECK_MS, causeMessage, runWorkflowStep } from "../../../lib/lambda/core/workflow-steps";
import {
  FakeClock,
  FakeCluster,
  PRIMARY_ENDPOINT,
  REPLICA_ENDPOINT,
  RESTORED_ENDPOINT,
  RESTORED_ID,
  T0,
  errors,
  primaryView,
  replicaView,
} from "../../support/fake-ports";
import { executionArn } from "../../support/recording-workflow";
import { lagReading, probes, snapshot } from "../../support/snapshots";
import {
  CLUSTER,
  LIMITS,
  REGION,
  path,
  statesEntered,
  workflowWorld,
  type WorkflowWorld,
} from "../../support/workflow-world";

const REPORT_ID = "tap-replica-dev-created-20240401T000000000Z";
const INCIDENT = `failover-${REPORT_ID}`;
const FAILED_PRIMARY = primaryView({ status: "failed", rawStatus: "failed" });
const DOWN = probes("timeout", "timeout", "timeout");
const MONITOR: Trigger = { kind: "monitor", runId: "run-1" };

/** The unplanned failover of a primary that died at T0, decided at T0 + 35 s. */
const FAILOVER: WorkflowInput = workflowInput({
  snapshot: snapshot({ takenAtMs: T0 + 35_000, primaryProbes: DOWN, primary: FAILED_PRIMARY }),
  decision: {
    kind: "promote-replica",
    reason: "The primary is down.",
    failureStartedAtMs: T0,
    detectedAtMs: T0 + 30_000,
    planned: false,
    steps: FAILOVER_STEPS,
  },
  decidedAtMs: T0 + 35_000,
  cluster: CLUSTER,
  limits: LIMITS,
  reportKind: "failover",
  timeline: [],
});
const SWITCHOVER_NAME = "switchover-tap-replica-dev-20240501T1001";
/** An operator's switchover of a healthy primary, decided at T0 + 60 s. */
const SWITCHOVER: WorkflowInput = workflowInput({
  snapshot: snapshot({
    takenAtMs: T0 + 60_000,
    primaryProbes: [],
    trigger: {
      kind: "manual",
      action: "switchover",
      requestedBy: "alice@example.com",
      reason: "patching",
      acceptDataLoss: false,
    },
  }),
  decision: {
    kind: "promote-replica",
    reason: "Planned switchover.",
    failureStartedAtMs: T0 + 60_000,
    detectedAtMs: T0 + 60_000,
    planned: true,
    steps: SWITCHOVER_STEPS,
  },
  decidedAtMs: T0 + 60_000,
  cluster: CLUSTER,
  limits: LIMITS,
  reportKind: "switchover",
  timeline: [],
});

function deadPrimary(nowMs = T0 + 35_000): FakeCluster {
  return new FakeCluster({ primary: { status: "failed", rawStatus: "failed" }, clock: new FakeClock(nowMs) });
}

/** Runs one task as the state machine would send it. */
function step(
  cluster: FakeCluster,
  task: WorkflowTask,
  input: WorkflowInput,
  run: RunState = initialRun(input),
  extra: Partial<StepRequest> = {},
): Promise<RunState> {
  const request: StepRequest = {
    step: task,
    execution: { name: input.incident, id: executionArn(input.incident) },
    input,
    run,
    ...extra,
  };
  return runWorkflowStep(
    { ports: cluster.ports, policy: DEFAULT_POLICY, region: REGION },
    request,
    input,
    run,
  );
}

async function refusalOf(promise: Promise<unknown>): Promise<StepError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof StepError) return error;
    throw error;
  }
  throw new Error("the step did not fail");
}

const events = (run: RunState) => run.timeline.map((e) => e.event);
const promotions = (cluster: FakeCluster) =>
  cluster.callNames.filter((c) => c === "control.promoteReplica").length;

describe("begin", () => {
  it("starts the run from the input and notes the execution", async () => {
    const cluster = deadPrimary();
    const run = await step(cluster, "begin", FAILOVER);
    expect(run).toEqual({
      ...initialRun(FAILOVER),
      timeline: [
        {
          atMs: T0 + 35_000,
          event: "workflow-started",
          detail: `Execution ${INCIDENT} started: ${FAILOVER_STEPS.join(" → ")}.`,
        },
      ],
    });
    expect(cluster.calls).toEqual([]);
  });
});

describe("notify-start", () => {
  it("announces once: a retried task finds the ledger's record and stays quiet", async () => {
    const cluster = deadPrimary();
    const first = await step(cluster, "notify-start", FAILOVER);
    const retried = await step(cluster, "notify-start", FAILOVER);
    expect(cluster.notifications.map((n) => n.event)).toEqual(["failover-started"]);
    expect(cluster.notifications[0]).toMatchObject({
      subject: "DR CRITICAL: Failover started: promoting tap-replica-dev",
      detail: {
        state: {
          primary: "tap-primary-dev",
          replica: "tap-replica-dev",
          writerTarget: PRIMARY_ENDPOINT,
          lastHealthyLagSeconds: 2,
          execution: executionArn(INCIDENT),
        },
      },
    });
    expect(first.completed).toEqual(["notify-start"]);
    expect(retried.completed).toEqual(["notify-start"]);
  });

  it("a failed announcement never stops the failover: noted and carried to the end", async () => {
    const cluster = deadPrimary();
    cluster.behaviour.notifyError = new Error("SNS KMSAccessDenied");
    const run = await step(cluster, "notify-start", FAILOVER);
    expect(run.completed).toEqual(["notify-start"]);
    expect(run.notificationErrors).toEqual([
      "notification failover-started failed: Error: SNS KMSAccessDenied",
    ]);
    expect(run.timeline.at(-1)).toEqual({
      atMs: T0 + 35_000,
      event: "notify-failed",
      detail: "notification failover-started failed: Error: SNS KMSAccessDenied",
    });
  });
});

describe("fence-old-primary", () => {
  it.each([
    [
      "reachable primary, failover: fenced, the revoked rules kept for an undo",
      FAILOVER,
      () => deadPrimary(),
      {
        fenced: true,
        halt: null,
        completed: true,
        event: "fenced",
        detail: "removed client ingress 10.20.0.0/16 from sg-0primary",
      },
    ],
    [
      "primary's region API down, failover: the fence is skipped and the failover goes on",
      FAILOVER,
      () =>
        new FakeCluster({
          primary: { status: "unknown", apiReachable: false },
          clock: new FakeClock(T0 + 35_000),
        }),
      {
        fenced: false,
        halt: null,
        completed: true,
        event: "fence-skipped",
        detail: "the EC2 API of ap-southeast-2 did not answer; ingress left as is",
      },
    ],
    [
      "primary's region API down, switchover: halts (zero data loss needs a fenced writer)",
      SWITCHOVER,
      () => new FakeCluster({ primary: { apiReachable: false }, clock: new FakeClock(T0 + 60_000) }),
      {
        fenced: false,
        halt: "the old primary could not be fenced (the EC2 API of ap-southeast-2 did not answer; ingress left as is)",
        completed: false,
        event: "step-failed",
        detail:
          "fence-old-primary: the old primary could not be fenced (the EC2 API of ap-southeast-2 did not answer; ingress left as is)",
      },
    ],
    [
      "fence tag present but ingress restored by hand: fences again (revokes what is there)",
      SWITCHOVER,
      () => new FakeCluster({ primary: { fenced: true }, clock: new FakeClock(T0 + 60_000) }),
      {
        fenced: true,
        halt: null,
        completed: true,
        event: "fenced",
        detail: "removed client ingress 10.20.0.0/16 from sg-0primary",
      },
    ],
  ] as const)("%s", async (_situation, input, make, expected) => {
    const cluster = make();
    const run = await step(cluster, "fence-old-primary", input);
    expect(cluster.calls).toEqual(["control.describe(primary)", "control.fencePrimary()"]);
    expect(run.fence?.fenced).toBe(expected.fenced);
    expect(run.primary.fenced).toBe(expected.fenced);
    expect(run.fencedAtMs).toBe(cluster.clock.nowMs());
    expect(run.halt).toBe(expected.halt);
    expect(run.completed.includes("fence-old-primary")).toBe(expected.completed);
    expect(run.timeline.at(-1)).toMatchObject({ event: expected.event, detail: expected.detail });
  });
});

describe("check-caught-up (switchover): bounded by the clock from the fence", () => {
  const fencedRun = (fencedAtMs: number): RunState => ({
    ...initialRun(SWITCHOVER),
    fencedAtMs,
    fence: { fenced: true, detail: "revoked", restartAfterMs: fencedAtMs },
  });

  it("caught up: done", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    const run = await step(cluster, "check-caught-up", SWITCHOVER, fencedRun(T0 + 60_000));
    expect(cluster.calls).toEqual([`control.waitUntilCaughtUp(${CATCH_UP_CHECK_MS})`]);
    expect(run).toMatchObject({ caughtUp: true, completed: ["wait-replica-caught-up"] });
    expect(run.timeline.at(-1)?.detail).toBe(
      "tap-replica-dev has replayed everything tap-primary-dev wrote.",
    );
  });

  it.each([
    ["a whole check fits", T0 + 60_000, CATCH_UP_CHECK_MS],
    ["20 s of the 420 s are left: the check waits 20 s", T0 + 60_000 - 400_000, 20_000],
  ])("not yet, %s: the Wait state takes over", async (_situation, fencedAtMs, waitMs) => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    cluster.behaviour.catchUpError = new WaitTimeoutError("replay at 0/3000000 of 0/3000060");
    const run = await step(cluster, "check-caught-up", SWITCHOVER, fencedRun(fencedAtMs));
    expect(cluster.calls).toEqual([`control.waitUntilCaughtUp(${waitMs})`]);
    expect(run).toMatchObject({ caughtUp: false, completed: [] });
  });

  it("the catch-up timeout has passed since the fence: StepTimedOut, without another check", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    const error = await refusalOf(
      step(cluster, "check-caught-up", SWITCHOVER, fencedRun(T0 + 60_000 - 420_000)),
    );
    expect([error.name, error.message]).toEqual([
      "StepTimedOut",
      "tap-replica-dev had not replayed everything tap-primary-dev wrote 420 s after the fence",
    ]);
    expect(cluster.calls).toEqual([]);
  });

  it("a check that fails otherwise is the step's error (the runner names it)", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 60_000) });
    cluster.behaviour.catchUpError = new ControlPlaneError("WAL positions unreadable");
    await expect(step(cluster, "check-caught-up", SWITCHOVER, fencedRun(T0 + 60_000))).rejects.toThrow(
      "WAL positions unreadable",
    );
  });
});

describe("promote-replica: re-reads the replica and never promotes twice", () => {
  it.each([
    [
      "a replicating, available replica: promoted",
      {},
      null,
      1,
      "promote-requested",
      "Promotion of tap-replica-dev requested.",
    ],
    [
      "already promoted: skipped",
      { isReplica: false },
      null,
      0,
      "promote-skipped",
      "tap-replica-dev is already promoted (available); not promoting again.",
    ],
    [
      "tagged and modifying, still naming its source: the promotion runs, skipped",
      { status: "modifying", rawStatus: "modifying", promotionRequestedAtMs: T0 + 1_000 },
      T0 + 1_000,
      0,
      "promote-skipped",
      "tap-replica-dev's promotion is under way (modifying); not promoting again.",
    ],
    [
      "tagged but available and still a replica (stopped between tag and call): promoted",
      { promotionRequestedAtMs: T0 + 1_000 },
      null,
      1,
      "promote-requested",
      "Promotion of tap-replica-dev requested.",
    ],
  ] as const)("%s", async (_situation, replica, startedAtMs, calls, event, detail) => {
    const cluster = deadPrimary();
    cluster.replica = { ...cluster.replica, ...replica };
    cluster.promotionStartedAtMs = startedAtMs;
    const run = await step(cluster, "promote-replica", FAILOVER);
    expect(promotions(cluster)).toBe(calls);
    expect(run.promoteCalledAtMs).toBe(calls === 1 ? T0 + 35_000 : null);
    expect(run.completed).toEqual(["promote-replica"]);
    expect(run.timeline.at(-1)).toMatchObject({ event, detail });
  });

  it("retried after it promoted: finds the promotion and does not call again", async () => {
    const cluster = deadPrimary();
    const first = await step(cluster, "promote-replica", FAILOVER);
    cluster.clock.advance(5_000);
    await step(cluster, "promote-replica", FAILOVER, initialRun(FAILOVER));
    expect(promotions(cluster)).toBe(1);
    expect(first.replica.isReplica).toBe(true);
  });

  it.each([
    [
      "backing up",
      { status: "backing-up" },
      "The replica tap-replica-dev is backing up; RDS refuses to promote it until the backup ends.",
    ],
    [
      "its API unreachable",
      { apiReachable: false, status: "unknown" },
      "The RDS API of the replica tap-replica-dev did not answer, so it can be neither checked nor promoted.",
    ],
  ] as const)("a replica %s: StepFailed with why, nothing promoted", async (_situation, replica, message) => {
    const cluster = deadPrimary();
    cluster.replica = { ...cluster.replica, ...replica };
    const error = await refusalOf(step(cluster, "promote-replica", FAILOVER));
    expect([error.name, error.message]).toEqual(["StepFailed", message]);
    expect(promotions(cluster)).toBe(0);
  });

  it("RDS refusing the promotion is the step's error (the runner names it)", async () => {
    const cluster = deadPrimary();
    cluster.behaviour.promoteError = errors.promoteRefused();
    await expect(step(cluster, "promote-replica", FAILOVER)).rejects.toThrow(
      "PromoteReadReplica refused: InvalidDBInstanceState",
    );
  });
});

describe("check-writable: one describe per check, the promotion timeout by the clock", () => {
  async function promoted(durationMs: number | null): Promise<{ cluster: FakeCluster; run: RunState }> {
    const cluster = deadPrimary();
    cluster.behaviour.promotionDurationMs = durationMs;
    const run = await step(cluster, "promote-replica", FAILOVER);
    cluster.calls.length = 0;
    return { cluster, run };
  }

  it.each([
    ["1 s before the promotion finishes: not yet", 119_000, false],
    ["when it finishes: writable", 120_000, true],
  ])("%s", async (_situation, afterMs, writable) => {
    const { cluster, run } = await promoted(120_000);
    cluster.clock.advance(afterMs);
    const next = await step(cluster, "check-writable", FAILOVER, run);
    expect(cluster.calls).toEqual(["control.describe(replica)"]);
    expect(next.writable).toBe(writable);
    expect(next.writableAtMs).toBe(writable ? T0 + 35_000 + afterMs : null);
    expect(next.completed).toEqual(
      writable ? ["promote-replica", "wait-replica-writable"] : ["promote-replica"],
    );
    expect(next.replica).toMatchObject({ isReplica: false, status: writable ? "available" : "modifying" });
  });

  it.each([
    ["45 min after the promote call: still waiting", 2_700_000, null],
    [
      "past 45 min: StepTimedOut with the state seen",
      2_700_001,
      "tap-replica-dev was not writable 45 min after its promotion was requested (modifying, replica: false, API reachable: true)",
    ],
  ])("a promotion that never finishes, %s", async (_situation, afterMs, message) => {
    const { cluster, run } = await promoted(null);
    cluster.clock.advance(afterMs);
    const checking = step(cluster, "check-writable", FAILOVER, run);
    if (message === null) {
      await expect(checking).resolves.toMatchObject({ writable: false });
    } else {
      const error = await refusalOf(checking);
      expect([error.name, error.message]).toEqual(["StepTimedOut", message]);
    }
  });

  it("a resumed execution (promote call not its own) times the promotion from the replica's tag", async () => {
    const cluster = deadPrimary(T0 + 3_000_000);
    cluster.replica = {
      ...cluster.replica,
      isReplica: false,
      status: "modifying",
      promotionRequestedAtMs: T0,
    };
    cluster.promotionStartedAtMs = T0;
    cluster.behaviour.promotionDurationMs = null;
    const error = await refusalOf(step(cluster, "check-writable", FAILOVER));
    expect(error.name).toBe("StepTimedOut");
  });
});

describe("switch-writer", () => {
  const writableReplica = replicaView({ isReplica: false });

  it("moves writer from where it points to the new primary, and remembers where that was", async () => {
    const cluster = deadPrimary();
    cluster.replica = writableReplica;
    const run = await step(cluster, "switch-writer", FAILOVER);
    expect(cluster.calls).toEqual([
      "dns.read()",
      "control.describe(replica)",
      `dns.setWriter(${REPLICA_ENDPOINT}, 120000)`,
    ]);
    expect(run).toMatchObject({
      writerBeforeSwitch: PRIMARY_ENDPOINT,
      writerTarget: REPLICA_ENDPOINT,
      writerSwitchedAtMs: T0 + 35_000 + 20_000,
      completed: ["switch-writer"],
    });
  });

  it("writer already on the new primary (a retry after the change applied): no second change", async () => {
    const cluster = deadPrimary();
    cluster.replica = writableReplica;
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    const run = await step(cluster, "switch-writer", FAILOVER);
    expect(cluster.callNames).not.toContain("dns.setWriter");
    expect(run).toMatchObject({
      writerBeforeSwitch: null,
      writerSwitchedAtMs: null,
      completed: ["switch-writer"],
    });
    expect(run.timeline.at(-1)?.detail).toBe(`writer already points at ${REPLICA_ENDPOINT}.`);
  });

  it("a replica that is not writable: StepFailed, writer left where it was", async () => {
    const cluster = deadPrimary();
    cluster.replica = replicaView({ isReplica: false, status: "modifying", rawStatus: "modifying" });
    const error = await refusalOf(step(cluster, "switch-writer", FAILOVER));
    expect([error.name, error.message]).toEqual([
      "StepFailed",
      `tap-replica-dev is not a writable standalone instance (modifying, replica: false, endpoint: ${REPLICA_ENDPOINT}); ` +
        `writer was left at ${PRIMARY_ENDPOINT}`,
    ]);
    expect(cluster.callNames).not.toContain("dns.setWriter");
  });
});

describe("write-report and notify-success", () => {
  const afterSwitch = (cluster: FakeCluster): RunState => {
    cluster.replica = replicaView({ isReplica: false });
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    return { ...initialRun(FAILOVER), replica: cluster.replica, writerTarget: REPLICA_ENDPOINT };
  };

  it("stores the succeeded report once: a retry finds it under any kind", async () => {
    const cluster = deadPrimary();
    const run = await step(cluster, "write-report", FAILOVER, afterSwitch(cluster));
    expect(run.reportLocation).toBe(`s3://tap-backups-dr-dev/reports/failover/${REPORT_ID}.json`);
    expect(cluster.reports.get(`failover/${REPORT_ID}`)).toMatchObject({
      outcome: "succeeded",
      kind: "failover",
    });
    const retried = await step(cluster, "write-report", FAILOVER, afterSwitch(cluster));
    expect(cluster.callNames.filter((c) => c === "reports.put")).toHaveLength(1);
    expect(retried.timeline.at(-1)?.detail).toBe(`Report ${REPORT_ID} was already written.`);
  });

  it("a drill's report already stored counts (a drill resumed as a failover)", async () => {
    const cluster = deadPrimary();
    cluster.addReport("drill", REPORT_ID);
    await step(cluster, "write-report", FAILOVER, afterSwitch(cluster));
    expect(cluster.callNames).not.toContain("reports.put");
  });

  it("notify-success names the writer and the report; a failed send is carried, not thrown", async () => {
    const cluster = deadPrimary();
    const stored = await step(cluster, "write-report", FAILOVER, afterSwitch(cluster));
    cluster.behaviour.notifyError = new Error("SNS down");
    const run = await step(cluster, "notify-success", FAILOVER, stored);
    expect(run.notificationErrors).toEqual(["notification failover-succeeded failed: Error: SNS down"]);
    expect(run.completed).toEqual(["write-report", "notify-success"]);
    cluster.behaviour.notifyError = null;
    await step(cluster, "notify-success", FAILOVER, stored);
    expect(cluster.notifications.at(-1)?.message).toMatch(
      new RegExp(
        `^writer now points at ${REPLICA_ENDPOINT.replace(/\./g, "\\.")} \\(tap-replica-dev\\)\\. .*Report: s3://tap-backups-dr-dev/reports/failover/${REPORT_ID}\\.json\\. `,
      ),
    );
  });
});

describe("roll-back: undoes only what is reversible, alerts with the exact state, stores a failed report", () => {
  const caught = (message: string) => ({
    Error: "StepFailed",
    Cause: JSON.stringify({ errorType: "StepFailed", errorMessage: message }),
  });
  const ATTEMPT = (input: WorkflowInput) => `${REPORT_ID}-attempt-${input.observed.takenAtMs}`;

  async function rollBack(cluster: FakeCluster, input: WorkflowInput, run: RunState, message = "it broke") {
    const next = await step(cluster, "roll-back", input, run, { error: caught(message) });
    const failed = cluster.notifications.find((n) => n.event === "failover-failed") as Notification;
    return { next, failed };
  }

  it("writer on a replica that is not writable: moved back to where the decision found it", async () => {
    const cluster = deadPrimary();
    cluster.replica = replicaView({ isReplica: false, status: "failed", rawStatus: "failed" });
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    const run: RunState = {
      ...initialRun(FAILOVER),
      completed: ["notify-start", "fence-old-primary", "promote-replica", "wait-replica-writable"],
      writerBeforeSwitch: PRIMARY_ENDPOINT,
    };
    const { next, failed } = await rollBack(cluster, FAILOVER, run, "DnsChangeError: not INSYNC");
    expect(cluster.calls).toEqual([
      "dns.read()",
      "control.describe(replica)",
      `dns.setWriter(${PRIMARY_ENDPOINT}, 120000)`,
      "notifier.notify(failover-failed)",
      `reports.put(failover/${ATTEMPT(FAILOVER)})`,
    ]);
    expect(failed.subject).toBe("DR CRITICAL: Failover FAILED at switch-writer: tap-replica-dev");
    expect(failed.detail).toEqual({
      failedStep: "switch-writer",
      error: "StepFailed: DnsChangeError: not INSYNC",
      completedSteps: ["notify-start", "fence-old-primary", "promote-replica", "wait-replica-writable"],
      primary: {
        id: "tap-primary-dev",
        status: "failed",
        isReplica: false,
        apiReachable: true,
        endpoint: PRIMARY_ENDPOINT,
        fenced: false,
      },
      replica: {
        id: "tap-replica-dev",
        status: "failed",
        isReplica: false,
        apiReachable: true,
        endpoint: REPLICA_ENDPOINT,
        fenced: null,
      },
      writerTarget: PRIMARY_ENDPOINT,
      rolledBackWriterTo: PRIMARY_ENDPOINT,
      rollbackError: null,
    });
    expect(failed.message).toBe(
      "Failover step switch-writer failed: StepFailed: DnsChangeError: not INSYNC. " +
        `writer was rolled back to ${PRIMARY_ENDPOINT}. writer points at ${PRIMARY_ENDPOINT}. ` +
        "tap-replica-dev is promoted: re-running the failover resumes from the missing steps and never promotes again.",
    );
    expect(events(next).slice(-2)).toEqual(["step-failed", "writer-rolled-back"]);
    expect(next.halt).toBe("switch-writer failed: StepFailed: DnsChangeError: not INSYNC");
    expect(cluster.reports.get(`failover/${ATTEMPT(FAILOVER)}`)).toMatchObject({
      outcome: "failed",
      error: "switch-writer: StepFailed: DnsChangeError: not INSYNC",
    });
  });

  it.each([
    [
      "writer on the new primary, which is writable: it stays (never back to the old primary)",
      true,
      REPLICA_ENDPOINT,
    ],
    ["writer still on the old primary: nothing to roll back", false, PRIMARY_ENDPOINT],
  ])("%s", async (_situation, writable, writer) => {
    const cluster = deadPrimary();
    cluster.replica = replicaView({ isReplica: false, ...(writable ? {} : { status: "modifying" }) });
    cluster.dnsView.writerTarget = writer;
    const { failed } = await rollBack(cluster, FAILOVER, {
      ...initialRun(FAILOVER),
      writerBeforeSwitch: PRIMARY_ENDPOINT,
    });
    expect(cluster.callNames).not.toContain("dns.setWriter");
    expect(failed.detail).toMatchObject({
      writerTarget: writer,
      rolledBackWriterTo: null,
      rollbackError: null,
    });
  });

  it("a roll-back of writer that fails is said loudly", async () => {
    const cluster = deadPrimary();
    cluster.replica = replicaView({ isReplica: false, status: "failed" });
    cluster.dnsView.writerTarget = REPLICA_ENDPOINT;
    cluster.behaviour.setWriterError = { error: errors.dnsTimeout(), applyBeforeFailing: false };
    const { failed } = await rollBack(cluster, FAILOVER, initialRun(FAILOVER));
    expect(failed.detail).toMatchObject({
      rolledBackWriterTo: null,
      rollbackError: "DnsChangeError: writer change C123 did not reach INSYNC within 60000 ms",
      writerTarget: REPLICA_ENDPOINT,
    });
    expect(failed.message).toContain(
      "Rolling writer back FAILED (DnsChangeError: writer change C123 did not reach INSYNC within 60000 ms). ",
    );
  });

  const fenced = {
    fenced: true,
    detail: "removed client ingress 10.20.0.0/16 from sg-0primary",
    revokedIngress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "10.20.0.0/16" }],
  };

  it.each([
    [
      "a switchover stopped before promoting: the fence is undone exactly",
      SWITCHOVER,
      null,
      true,
      ["control.unfencePrimary(1)"],
    ],
    ["a switchover that had promoted: the fence stays", SWITCHOVER, T0 + 70_000, false, []],
    ["an unplanned failover: the fence stays, even before promoting", FAILOVER, null, false, []],
  ] as const)("%s", async (_situation, input, promoteCalledAtMs, undone, unfenceCalls) => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 90_000) });
    cluster.primaryIngress = [];
    cluster.primary = { ...cluster.primary, fenced: true };
    if (promoteCalledAtMs !== null) {
      cluster.replica = {
        ...cluster.replica,
        isReplica: false,
        status: "modifying",
        promotionRequestedAtMs: promoteCalledAtMs,
      };
    }
    const run: RunState = { ...initialRun(input), fence: fenced, fencedAtMs: T0 + 65_000, promoteCalledAtMs };
    const { next, failed } = await rollBack(cluster, input, run);
    expect(cluster.calls.filter((c) => c.startsWith("control.unfence"))).toEqual(unfenceCalls);
    expect(cluster.primaryIngress).toEqual(undone ? ["10.20.0.0/16"] : []);
    if (undone) {
      expect(failed.detail?.fenceUndo).toEqual({
        restored: true,
        detail: "re-authorized 10.20.0.0/16 on sg-0primary",
      });
      expect(failed.message).toContain(
        "The fence of tap-primary-dev was undone (re-authorized 10.20.0.0/16 on sg-0primary); it serves clients again. ",
      );
      expect(next.halt).toBe(`${input.decision.steps[0]} failed: StepFailed: it broke; fence undone`);
    } else {
      expect(failed.detail).not.toHaveProperty("fenceUndo");
    }
  });

  it("a fence undo that fails: the alert says the old writer admits no client", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 90_000) });
    cluster.behaviour.unfenceError = new Error("EC2 UnauthorizedOperation");
    const run: RunState = { ...initialRun(SWITCHOVER), fence: fenced, fencedAtMs: T0 + 65_000 };
    const { next, failed } = await rollBack(cluster, SWITCHOVER, run);
    expect(failed.message).toContain(
      "Undoing the fence of tap-primary-dev FAILED (Error: EC2 UnauthorizedOperation): it admits no client until its ingress is restored by hand. ",
    );
    expect(next.halt).toBe(
      "notify-start failed: StepFailed: it broke; fence undo failed: Error: EC2 UnauthorizedOperation",
    );
  });

  it("a halt from a step (a fence that did not hold) is the failure's message", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 90_000) });
    const run: RunState = {
      ...initialRun(SWITCHOVER),
      completed: ["notify-start"],
      halt: "the old primary could not be fenced (no answer)",
    };
    const next = await step(cluster, "roll-back", SWITCHOVER, run, {
      error: { Error: "FenceNotHeld", Cause: "the old primary could not be fenced" },
    });
    expect(cluster.notifications[0].subject).toBe(
      "DR CRITICAL: Switchover FAILED at fence-old-primary: tap-replica-dev",
    );
    expect(next.halt).toBe("fence-old-primary failed: the old primary could not be fenced (no answer)");
  });

  it("a failed notice and a failed report store are carried in the halt, not thrown", async () => {
    const cluster = deadPrimary();
    cluster.behaviour.notifyError = new Error("SNS down");
    cluster.behaviour.putError = new Error("S3 503 SlowDown");
    const next = await step(
      cluster,
      "roll-back",
      FAILOVER,
      { ...initialRun(FAILOVER), notificationErrors: ["earlier"] },
      {
        error: caught("it broke"),
      },
    );
    expect(next.halt).toBe(
      "notify-start failed: StepFailed: it broke; earlier; notification failover-failed failed: Error: SNS down; " +
        "failed report could not be stored: Error: S3 503 SlowDown",
    );
  });

  it.each([
    ["a step runner's error record", caught("replica gone"), "StepFailed: replica gone"],
    [
      "a Step Functions error with plain text",
      { Error: "States.Timeout", Cause: "Task timed out" },
      "States.Timeout: Task timed out",
    ],
    ["an error without a cause", { Error: "Lambda.Unknown" }, "Lambda.Unknown"],
    ["nothing caught", undefined, "unknown error"],
  ])("causeMessage: %s", (_situation, error, message) => {
    expect(causeMessage(error)).toBe(message);
  });
});

describe("request-approval, reassess, approval-closed", () => {
  const BLOCKED = workflowInput({
    snapshot: snapshot({
      takenAtMs: T0 + 35_000,
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      lastHealthyLag: lagReading(90),
    }),
    decision: { kind: "blocked", guard: "replication-lag", reason: "The replica was 90 s behind." },
    decidedAtMs: T0 + 35_000,
    cluster: CLUSTER,
    limits: LIMITS,
    reportKind: "failover",
    timeline: [],
  });

  it("request-approval alerts once with the token; an alert that cannot be sent is retried (the only way to approve)", async () => {
    const cluster = deadPrimary();
    await step(cluster, "request-approval", BLOCKED, initialRun(BLOCKED), { taskToken: "TOKEN-1" });
    await step(cluster, "request-approval", BLOCKED, initialRun(BLOCKED), { taskToken: "TOKEN-1" });
    expect(cluster.notifications).toHaveLength(1);
    expect(cluster.notifications[0].message).toContain("--task-token 'TOKEN-1'");
    expect(cluster.calls[0]).toBe(`alerts.read(${alertKey(cluster.notifications[0])})`);

    const failing = deadPrimary();
    failing.behaviour.notifyError = new Error("SNS down");
    const error = await refusalOf(
      step(failing, "request-approval", BLOCKED, initialRun(BLOCKED), { taskToken: "T" }),
    );
    expect([error.name, error.message]).toEqual([
      "StepRetryable",
      "notification failover-blocked failed: Error: SNS down",
    ]);
  });

  it.each([
    ["nothing", undefined],
    ["an empty name", { approvedBy: "  " }],
    ["a name of 129 characters", { approvedBy: "a".repeat(129) }],
    ["a number", { approvedBy: 7 }],
  ])("reassess refuses an approval with %s", async (_situation, approval) => {
    const cluster = deadPrimary();
    const error = await refusalOf(step(cluster, "reassess", BLOCKED, initialRun(BLOCKED), { approval }));
    expect([error.name, error.message]).toEqual([
      "InputRefused",
      `Refused the approval: it must be {"approvedBy":"<your name>"} (1-128 characters), got ${JSON.stringify(approval) ?? "nothing"}. Nothing was done.`,
    ]);
    expect(cluster.calls).toEqual([]);
  });

  it("reassess decides again on the state as it is now, accepting the data loss", async () => {
    const cluster = deadPrimary(T0 + 600_000);
    cluster.historyReading = lagReading(90);
    const run = await step(cluster, "reassess", BLOCKED, initialRun(BLOCKED), {
      approval: { approvedBy: " bob " },
    });
    expect(run.approvedBy).toBe("bob");
    expect(run.next).toBe("notify-start");
    expect(events(run)).toEqual(["approved", "decision"]);
    expect(run.timeline[0].detail).toBe(
      "bob approved the failover, accepting the data loss shown in the alert.",
    );
    expect(run.timeline[1].detail).toMatch(/^promote-replica: /);
  });

  it("reassess ends the run when the primary came back meanwhile (no second signal): a working writer is not fenced", async () => {
    const cluster = new FakeCluster({ clock: new FakeClock(T0 + 600_000) });
    cluster.historyReading = lagReading(90);
    const run = await step(cluster, "reassess", BLOCKED, initialRun(BLOCKED), {
      approval: { approvedBy: "bob" },
    });
    expect(run.next).toBe("done");
    expect(run.timeline.at(-1)?.detail).toMatch(
      /^none: tap-primary-dev is back \(there is no second signal: .*\); the approved failover is not carried out\. /,
    );
    // Read only: nothing fenced, nothing promoted.
    expect(cluster.callNames).toEqual([
      "control.describe",
      "control.describe",
      "dns.read",
      "lagHistory.lagEvidence",
    ]);
  });

  it.each([
    [
      "rejected",
      { Error: "ApprovalRejected", Cause: "lag too high" },
      "The failover was rejected: lag too high.",
    ],
    ["not answered", { Error: "States.Timeout" }, "Nobody approved the failover within 1440 min."],
    [
      "ended otherwise",
      { Error: "States.Runtime", Cause: "bad path" },
      "The approval ended with States.Runtime: bad path.",
    ],
  ])("approval-closed, %s: says why, changes nothing", async (_situation, error, why) => {
    const cluster = deadPrimary();
    const run = await step(cluster, "approval-closed", BLOCKED, initialRun(BLOCKED), { error });
    expect(run.timeline.at(-1)).toMatchObject({ event: "approval-closed", detail: why });
    expect(cluster.calls).toEqual(["notifier.notify(failover-approval-closed)"]);
    expect(cluster.notifications[0].message).toBe(
      `${why} Nothing was changed. An operator can still request {"action":"failover","acceptDataLoss":true}. ` +
        `Execution: ${executionArn(INCIDENT)}`,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The whole state machine (aws-local-stepfunctions) over the fake cluster, on virtual time.

describe("the whole workflow: a failover on virtual time", () => {
  const DOWN_EVIDENCE = { primaryProbes: DOWN, lastHealthyLag: null };
  const HAPPY_PATH =
    "Begin > Route > NotifyStart > PromoteOrRestore > FenceOldPrimary > FenceHeld > PlannedSwitchover > PromoteReplica > " +
    "(WaitForPromotion > CheckWritable > Writable) ×8 > SwitchWriter > EnableBackups > WriteReport > NotifySuccess > FailoverSucceeded";
  let world: WorkflowWorld;
  afterEach(() => world.dispose());

  function deadPrimaryWorld(): WorkflowWorld {
    world = workflowWorld({ startMs: T0 + 35_000, primary: { status: "failed", rawStatus: "failed" } });
    world.cluster.historyReading = lagReading(2);
    return world;
  }

  async function failover(w: WorkflowWorld, trigger: Trigger = MONITOR) {
    const outcome = await w.evaluate(
      trigger,
      trigger.kind === "monitor" ? DOWN_EVIDENCE : { primaryProbes: [], lastHealthyLag: null },
    );
    expect(outcome.error).toBeUndefined();
    expect(outcome.execution?.started).toBe(true);
    return { outcome, execution: await w.closed(outcome.execution!.name) };
  }

  /** What every successful failover leaves: one promotion, writer on the new primary and never back, one report. */
  function expectFailedOverOnce(w: WorkflowWorld): void {
    expect(promotions(w.cluster)).toBeLessThanOrEqual(1);
    expect(w.cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    expect(w.cluster.calls.filter((c) => c.startsWith(`dns.setWriter(${PRIMARY_ENDPOINT}`))).toEqual([]);
    expect([...w.cluster.reports.keys()]).toEqual([`failover/${REPORT_ID}`]);
    expect(w.cluster.notifications.at(-1)?.event).toBe("failover-succeeded");
  }

  it("a dead primary: promoted once, writer switched, report stored, started and succeeded announced", async () => {
    const w = deadPrimaryWorld();
    const { execution } = await failover(w);
    expect(execution).toMatchObject({ name: INCIDENT, status: "SUCCEEDED", error: null });
    expect(path(execution)).toBe(HAPPY_PATH);
    expectFailedOverOnce(w);
    expect(promotions(w.cluster)).toBe(1);
    expect(w.cluster.notifications.map((n) => n.event)).toEqual(["failover-started", "failover-succeeded"]);
    // Detection T0 → T0+30 s; promote at T0+35 s, writable at the 8th check 120 s later; writer in sync 20 s after.
    expect(w.cluster.reports.get(`failover/${REPORT_ID}`)).toMatchObject({
      outcome: "succeeded",
      figures: { detectionSeconds: 30, promotionSeconds: 120, rtoSeconds: 175, dataLossWindowSeconds: 2 },
      oldPrimary: { id: "tap-primary-dev", fenced: true },
      newPrimary: { id: "tap-replica-dev", isReplica: false, status: "available" },
    });
    expect(w.stepErrors).toEqual([]);
  });

  it("duplicate triggers while it runs start nothing: the alarm and the next monitor run see the execution", async () => {
    const w = deadPrimaryWorld();
    const first = await w.evaluate(MONITOR, DOWN_EVIDENCE);
    const alarm = await w.evaluate(
      {
        kind: "alarm",
        alarm: { alarmName: "primary-unreachable-dev", state: "ALARM", sinceMs: T0, reason: "3 of 3" },
      },
      { primaryProbes: [], lastHealthyLag: null },
    );
    expect(alarm).toMatchObject({
      acted: false,
      execution: { name: INCIDENT, status: "RUNNING", started: false },
    });
    await w.closed(INCIDENT);
    const after = await w.evaluate(MONITOR, {
      primaryProbes: probes("timeout", "timeout", "timeout"),
      lastHealthyLag: null,
    });
    expect(first.execution?.name).toBe(INCIDENT);
    expect(after.decision.kind).not.toBe("promote-replica");
    expect(w.workflow.all()).toHaveLength(1);
    expectFailedOverOnce(w);
  });

  it("an operator's switchover: fenced, caught up, promoted with zero data loss", async () => {
    world = workflowWorld({ startMs: T0 + 60_000 });
    world.cluster.historyReading = lagReading(1, -55);
    const { execution } = await failover(world, {
      kind: "manual",
      action: "switchover",
      requestedBy: "alice@example.com",
      reason: "patching",
      acceptDataLoss: false,
    });
    expect(execution).toMatchObject({ name: SWITCHOVER_NAME, status: "SUCCEEDED" });
    expect(statesEntered(execution).slice(0, 10)).toEqual([
      "Begin",
      "Route",
      "NotifyStart",
      "PromoteOrRestore",
      "FenceOldPrimary",
      "FenceHeld",
      "PlannedSwitchover",
      "CheckCaughtUp",
      "CaughtUp",
      "PromoteReplica",
    ]);
    expect(world.cluster.reports.get(`switchover/${REPORT_ID}`)).toMatchObject({
      kind: "switchover",
      outcome: "succeeded",
      figures: { dataLossWindowSeconds: 0 },
    });
    expect(world.cluster.notifications[0].subject).toBe(
      "DR CRITICAL: Switchover started: promoting tap-replica-dev",
    );
  });

  describe("a step runner that dies mid-step: the task is retried and finds what it did", () => {
    it.each([
      ["notifier.notify(failover-started)", "NotifyStart"],
      ["control.fencePrimary", "FenceOldPrimary"],
      ["control.promoteReplica", "PromoteReplica"],
      ["dns.setWriter", "SwitchWriter"],
      ["control.enableBackups", "EnableBackups"],
      ["reports.put", "WriteReport"],
      ["notifier.notify(failover-succeeded)", "NotifySuccess"],
    ])(
      "dies after %s: %s retried, promoted once, writer never back, one report",
      async (crashPoint, state) => {
        const w = deadPrimaryWorld();
        w.cluster.crashAfter = crashPoint;
        const { execution } = await failover(w);
        expect(execution.status).toBe("SUCCEEDED");
        expect(w.crashes).toHaveLength(1);
        expect(execution.history.filter((h) => h.type === "StateRetried").map((h) => h.state)).toEqual([
          state,
        ]);
        expect(promotions(w.cluster)).toBe(1);
        expectFailedOverOnce(w);
      },
    );
  });

  describe("an interrupted promotion resumes whatever RDS shows", () => {
    it.each([
      ["modifying, still naming its source", "modifying", true, true, 0],
      ["rebooting, source cleared", "rebooting", false, true, 0],
      ["available, still naming its source (stopped between tag and call)", "available", true, false, 1],
    ] as const)(
      "tagged replica %s: a resumed execution, promotes at most once",
      async (_n, status, isReplica, running, calls) => {
        const w = deadPrimaryWorld();
        w.cluster.replica = {
          ...w.cluster.replica,
          status,
          rawStatus: status,
          isReplica,
          promotionRequestedAtMs: T0 + 1_000,
        };
        if (running) w.cluster.promotionStartedAtMs = T0 + 1_000;
        const { outcome, execution } = await failover(w);
        expect(outcome.decision.kind).toBe("complete-failover");
        expect(execution.status).toBe("SUCCEEDED");
        expect(promotions(w.cluster)).toBe(calls);
        expectFailedOverOnce(w);
      },
    );
  });

  describe("failing steps: the failure path rolls back what it may, alerts and fails the execution", () => {
    const failedNotice = (w: WorkflowWorld) =>
      w.cluster.notifications.find((n) => n.event === "failover-failed");
    const ATTEMPT = `failover/${REPORT_ID}-attempt-${T0 + 35_000}`;

    it("a promotion that never finishes: writer stays, failed after 45 min; the monitor does not repeat it; an operator's request resumes without promoting again", async () => {
      const w = deadPrimaryWorld();
      w.cluster.behaviour.promotionDurationMs = null;
      const { execution } = await failover(w);
      expect(execution).toMatchObject({
        status: "FAILED",
        error: "FailoverFailed",
        cause:
          "wait-replica-writable failed: StepTimedOut: tap-replica-dev was not writable 45 min after its promotion was " +
          "requested (modifying, replica: false, API reachable: true)",
      });
      expect(statesEntered(execution).slice(-3)).toEqual(["CheckWritable", "RollBack", "FailoverFailed"]);
      expect(w.cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
      expect(failedNotice(w)?.detail).toMatchObject({
        failedStep: "wait-replica-writable",
        completedSteps: ["notify-start", "fence-old-primary", "promote-replica"],
        writerTarget: PRIMARY_ENDPOINT,
        rolledBackWriterTo: null,
      });
      expect([...w.cluster.reports.keys()]).toEqual([ATTEMPT]);

      // The promotion finishes in the background.
      w.cluster.behaviour.promotionDurationMs = 0;
      const monitor = await w.evaluate(MONITOR, {
        primaryProbes: probes("timeout", "timeout", "timeout"),
        lastHealthyLag: null,
      });
      expect(monitor).toMatchObject({
        decision: { kind: "complete-failover" },
        acted: false,
        execution: { name: INCIDENT, status: "FAILED", started: false },
      });
      expect(w.workflow.all()).toHaveLength(1);

      const { outcome, execution: resumed } = await failover(w, {
        kind: "manual",
        action: "failover",
        requestedBy: "alice@example.com",
        reason: "finish it",
        acceptDataLoss: false,
      });
      expect(outcome.decision).toMatchObject({
        kind: "complete-failover",
        steps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
      });
      expect(resumed.status).toBe("SUCCEEDED");
      expect(promotions(w.cluster)).toBe(1);
      expect(w.cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
      expect(w.cluster.reports.has(`failover/${REPORT_ID}`)).toBe(true);
    });

    it.each([
      [
        "a DNS change that never applied: writer stays on the old primary",
        { applyBeforeFailing: false },
        PRIMARY_ENDPOINT,
        null,
      ],
      [
        "a DNS change applied but not confirmed, the new writer writable: no flip back",
        { applyBeforeFailing: true },
        REPLICA_ENDPOINT,
        null,
      ],
      [
        "a DNS change applied while the new writer became unusable: rolled back to where it was",
        { applyBeforeFailing: true, failReplica: true },
        PRIMARY_ENDPOINT,
        PRIMARY_ENDPOINT,
      ],
    ])("%s", async (_situation, how, writer, rolledBackTo) => {
      const w = deadPrimaryWorld();
      w.cluster.behaviour.setWriterError = {
        error: errors.dnsTimeout(),
        applyBeforeFailing: how.applyBeforeFailing,
        onlyForTarget: REPLICA_ENDPOINT,
        ...("failReplica" in how
          ? {
              then: () =>
                (w.cluster.replica = { ...w.cluster.replica, status: "failed", rawStatus: "failed" }),
            }
          : {}),
      };
      const { execution } = await failover(w);
      expect(execution).toMatchObject({ status: "FAILED", error: "FailoverFailed" });
      expect(execution.cause).toBe(
        "switch-writer failed: StepFailed: DnsChangeError: writer change C123 did not reach INSYNC within 60000 ms",
      );
      expect(w.cluster.dnsView.writerTarget).toBe(writer);
      expect(w.cluster.calls.filter((c) => c.startsWith("dns.setWriter"))).toEqual([
        `dns.setWriter(${REPLICA_ENDPOINT}, 120000)`,
        ...(rolledBackTo === null ? [] : [`dns.setWriter(${rolledBackTo}, 120000)`]),
      ]);
      expect(failedNotice(w)?.detail).toMatchObject({
        failedStep: "switch-writer",
        writerTarget: writer,
        rolledBackWriterTo: rolledBackTo,
      });
      expect(promotions(w.cluster)).toBe(1);
    });

    it("RDS refuses the promotion: nothing promoted or switched, the alert says it is still a replica", async () => {
      const w = deadPrimaryWorld();
      w.cluster.behaviour.promoteError = errors.promoteRefused();
      const { execution } = await failover(w);
      expect(execution.cause).toBe(
        "promote-replica failed: StepFailed: ControlPlaneError: PromoteReadReplica refused: InvalidDBInstanceState",
      );
      expect(w.cluster.replica.isReplica).toBe(true);
      expect(w.cluster.callNames).not.toContain("dns.setWriter");
      expect(w.cluster.callNames).not.toContain("control.unfencePrimary");
      expect(failedNotice(w)?.message).toContain("is still a replica: re-running the failover starts again");
    });

    it("the report cannot be stored after the switch: no roll-back, and the halt says both puts failed", async () => {
      const w = deadPrimaryWorld();
      w.cluster.behaviour.putError = new Error("S3 503 SlowDown");
      const { execution } = await failover(w);
      expect(execution.cause).toBe(
        "write-report failed: StepFailed: Error: S3 503 SlowDown; failed report could not be stored: Error: S3 503 SlowDown",
      );
      expect(w.cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    });

    it("a failing notifier never stops a failover; its failures are in the execution's output", async () => {
      const w = deadPrimaryWorld();
      w.cluster.behaviour.notifyError = new Error("SNS KMSAccessDenied");
      const { execution } = await failover(w);
      expect(execution.status).toBe("SUCCEEDED");
      expect((execution.output as { run: RunState }).run.notificationErrors).toEqual([
        "notification failover-started failed: Error: SNS KMSAccessDenied",
        "notification failover-succeeded failed: Error: SNS KMSAccessDenied",
      ]);
      expect(w.cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    });

    describe("a switchover that cannot promise zero data loss stops before promoting and undoes its fence", () => {
      const SWITCH: Trigger = {
        kind: "manual",
        action: "switchover",
        requestedBy: "alice@example.com",
        reason: "patching",
        acceptDataLoss: false,
      };
      function switchoverWorld(): WorkflowWorld {
        world = workflowWorld({ startMs: T0 + 60_000 });
        world.cluster.historyReading = lagReading(1, -55);
        return world;
      }

      it("the replica does not catch up within 420 s: StepTimedOut, fence undone exactly, writer stays", async () => {
        const w = switchoverWorld();
        w.cluster.behaviour.catchUpError = new WaitTimeoutError("replay at 0/3000000 of 0/3000060");
        const { execution } = await failover(w, SWITCH);
        expect(execution.cause).toBe(
          "wait-replica-caught-up failed: StepTimedOut: tap-replica-dev had not replayed everything tap-primary-dev " +
            "wrote 420 s after the fence; fence undone",
        );
        expect(w.cluster.callNames).not.toContain("control.promoteReplica");
        expect(w.cluster.calls).toContain("control.unfencePrimary(1)");
        expect(w.cluster.primaryIngress).toEqual(["10.20.0.0/16"]);
        expect(w.cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
        expect(failedNotice(w)?.detail).toMatchObject({
          failedStep: "wait-replica-caught-up",
          completedSteps: ["notify-start", "fence-old-primary"],
          fenceUndo: { restored: true, detail: "re-authorized 10.20.0.0/16 on sg-0primary" },
        });
      });

      it("the fence does not hold: halted at FenceHeld, nothing promoted", async () => {
        const w = switchoverWorld();
        w.cluster.behaviour.fenceRefusal = "RevokeSecurityGroupIngress was throttled";
        const { execution } = await failover(w, SWITCH);
        expect(statesEntered(execution).slice(-4)).toEqual([
          "FenceHeld",
          "FenceRefused",
          "RollBack",
          "FailoverFailed",
        ]);
        expect(execution.cause).toBe(
          "fence-old-primary failed: the old primary could not be fenced (RevokeSecurityGroupIngress was throttled)",
        );
        expect(w.cluster.callNames).not.toContain("control.promoteReplica");
        expect(w.cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
      });
    });
  });

  describe("a failover the lag guard blocked waits for an operator", () => {
    function blockedWorld(): WorkflowWorld {
      const w = deadPrimaryWorld();
      w.cluster.historyReading = lagReading(90);
      return w;
    }
    async function waitingForApproval(w: WorkflowWorld): Promise<string> {
      const outcome = await w.evaluate(MONITOR, DOWN_EVIDENCE);
      expect(outcome).toMatchObject({
        decision: { kind: "blocked" },
        execution: { name: INCIDENT, started: true },
      });
      await w.wait(60_000);
      const tokens = w.workflow.pendingTokens();
      expect(tokens).toHaveLength(1);
      expect(w.cluster.notifications.map((n) => n.event)).toEqual(["failover-blocked"]);
      expect(w.cluster.notifications[0].message).toContain(`--task-token '${tokens[0].token}'`);
      expect(w.cluster.callNames).not.toContain("control.fencePrimary");
      return tokens[0].token;
    }

    it("approved: decided again, then the failover runs", async () => {
      const w = blockedWorld();
      const token = await waitingForApproval(w);
      w.workflow.sendTaskSuccess(token, { approvedBy: "bob" });
      const execution = await w.closed(INCIDENT);
      expect(execution.status).toBe("SUCCEEDED");
      expect(statesEntered(execution).slice(0, 6)).toEqual([
        "Begin",
        "Route",
        "RequestApproval",
        "Reassess",
        "Route",
        "NotifyStart",
      ]);
      expect(promotions(w.cluster)).toBe(1);
      expect(w.cluster.dnsView.writerTarget).toBe(REPLICA_ENDPOINT);
    });

    it("rejected: the failover stays blocked, nothing changed", async () => {
      const w = blockedWorld();
      const token = await waitingForApproval(w);
      w.workflow.sendTaskFailure(token, "ApprovalRejected", "too much loss");
      const execution = await w.closed(INCIDENT);
      expect(execution.status).toBe("SUCCEEDED");
      expect(statesEntered(execution).slice(-3)).toEqual([
        "RequestApproval",
        "ApprovalClosed",
        "StayedBlocked",
      ]);
      expect(w.cluster.notifications.map((n) => n.event)).toEqual([
        "failover-blocked",
        "failover-approval-closed",
      ]);
      expect(w.cluster.notifications[1].message).toMatch(
        /^The failover was rejected: too much loss\. Nothing was changed\./,
      );
      expect(promotions(w.cluster)).toBe(0);
      expect(w.cluster.callNames).not.toContain("control.fencePrimary");
    });

    it("not answered within the approval timeout: closed, nothing changed", async () => {
      const w = blockedWorld();
      await waitingForApproval(w);
      const execution = await w.closed(INCIDENT);
      expect(statesEntered(execution).slice(-2)).toEqual(["ApprovalClosed", "StayedBlocked"]);
      expect(execution.stoppedAtMs! - execution.startedAtMs).toBeGreaterThanOrEqual(86_400_000);
      expect(w.cluster.notifications[1].message).toMatch(/^Nobody approved the failover within 1440 min\./);
      expect(promotions(w.cluster)).toBe(0);
    });
  });
});

describe("the whole workflow: a regional restore on virtual time", () => {
  let world: WorkflowWorld;
  afterEach(() => world.dispose());

  const lost = (view: InstanceView): InstanceView => ({
    ...view,
    apiReachable: false,
    apiError: "connectivity",
    status: "unknown",
    rawStatus: "TimeoutError: Connection timed out after 3000 ms",
    endpoint: undefined,
  });

  /** The primary's region lost at T0 and still lost 12 minutes later, with its API unreachable since. */
  function regionLostWorld(policy: Partial<FailoverPolicy> = {}): WorkflowWorld {
    world = workflowWorld({ startMs: T0 + 12 * 60_000, policy: { ...DEFAULT_POLICY, ...policy } });
    const c = world.cluster;
    c.primary = lost(c.primary);
    c.replica = lost(c.replica);
    c.historyMoments = { primaryLastAnsweredAtMs: T0 - 60_000, failureFirstSeenAtMs: T0 };
    c.apiHistory = {
      kind: "read",
      periodSeconds: 60,
      samples: Array.from({ length: 12 }, (_, i) => ({ atMs: T0 + i * 60_000, reachable: false })),
    };
    return world;
  }

  const DOWN_NOW = {
    primaryProbes: probes("timeout", "timeout", "timeout").map((p) => ({ ...p, atMs: p.atMs + 11 * 60_000 })),
    lastHealthyLag: null,
  };

  it("restores once, waits for it, moves writer and reader, reports the restore point and the data lost", async () => {
    const w = regionLostWorld();
    const outcome = await w.evaluate(MONITOR, DOWN_NOW);
    expect(outcome.decision.kind).toBe("restore-in-dr-region");
    expect(outcome.execution).toMatchObject({ name: `restore-${RESTORED_ID}`, started: true });
    const execution = await w.closed(`restore-${RESTORED_ID}`);
    expect(execution).toMatchObject({ status: "SUCCEEDED", error: null });
    // A 30-minute restore polled every minute.
    expect(path(execution)).toBe(
      "Begin > Route > NotifyStart > PromoteOrRestore > RestoreFromBackup > " +
        "(WaitForRestore > CheckRestored > Restored) ×30 > " +
        "SwitchWriter > EnableBackups > WriteReport > NotifySuccess > FailoverSucceeded",
    );
    const c = w.cluster;
    expect(c.calls.filter((call) => call.startsWith("recovery.restoreLatest"))).toHaveLength(1);
    expect(c.calls.filter((call) => /promote|fence|reboot/i.test(call))).toEqual([]);
    expect(c.dnsView).toEqual({ writerTarget: RESTORED_ENDPOINT, readerTarget: RESTORED_ENDPOINT });
    const [key, report] = [...c.reports.entries()][0];
    expect(key).toMatch(/^restore\/tap-restored-dev-created-/);
    expect(report).toMatchObject({
      kind: "restore",
      outcome: "succeeded",
      newPrimary: { id: RESTORED_ID, status: "available" },
      // The loss's earliest sign (the primary's last answer, T0 − 60 s) − the restore point (T0 − 120 s).
      figures: { dataLossWindowSeconds: 60, promotionSeconds: 1800 },
    });
    expect(c.notifications.map((n) => n.subject)).toEqual([
      "DR CRITICAL: Regional restore started: restoring tap-restored-dev in the DR region",
      "DR CRITICAL: Regional restore succeeded: tap-restored-dev is the writer",
    ]);

    // The next trigger finds the restore done: nothing more, and never a second restore.
    const again = await w.evaluate(MONITOR, DOWN_NOW);
    expect(again.decision).toMatchObject({ kind: "none" });
    expect(c.calls.filter((call) => call.startsWith("recovery.restoreLatest"))).toHaveLength(1);
  });

  it("tap:regionalRestore approve: nothing until an operator approves, then the restore, never a promotion", async () => {
    const w = regionLostWorld({ regionalRestore: "approve" });
    const outcome = await w.evaluate(MONITOR, DOWN_NOW);
    expect(outcome.decision).toMatchObject({ kind: "blocked", guard: "regional-restore" });
    const name = outcome.execution!.name;
    expect(name).toBe(`restore-${RESTORED_ID}`);
    await w.wait(60_000);
    const [pending] = w.workflow.pendingTokens();
    expect(pending.execution).toBe(name);
    expect(w.cluster.calls.filter((c) => c.startsWith("recovery.restoreLatest"))).toEqual([]);
    expect(w.cluster.notifications[0]).toMatchObject({ event: "failover-blocked" });
    expect(w.cluster.notifications[0].message).toContain(
      "Approving restores tap-restored-dev in the DR region",
    );
    w.workflow.sendTaskSuccess(pending.token, { approvedBy: "alice" });
    const execution = await w.closed(name);
    expect(execution).toMatchObject({ status: "SUCCEEDED" });
    expect(statesEntered(execution)).toContain("RestoreFromBackup");
    expect(statesEntered(execution)).not.toContain("PromoteReplica");
    expect(w.cluster.calls.filter((c) => c.startsWith("recovery.restoreLatest"))).toHaveLength(1);
    expect(w.cluster.dnsView.writerTarget).toBe(RESTORED_ENDPOINT);
  });

  it("a restore RDS gives up on fails at once, without waiting out the timeout, and writer stays", async () => {
    const w = regionLostWorld();
    const outcome = await w.evaluate(MONITOR, DOWN_NOW);
    await w.wait(30_000);
    // RDS reports the restore failed (`restore-error`).
    const restoredNow = w.cluster.restoredNow.bind(w.cluster);
    w.cluster.restoredNow = () => ({ ...restoredNow(), status: "failed", rawStatus: "restore-error" });
    const execution = await w.closed(outcome.execution!.name);
    expect(execution).toMatchObject({ status: "FAILED" });
    expect(execution.stoppedAtMs! - execution.startedAtMs).toBeLessThan(10 * 60_000);
    expect(w.cluster.notifications.at(-1)?.message).toContain(
      "the restore of tap-restored-dev ended restore-error",
    );
    expect(w.cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
  });

  it("a restore that outlasts its timeout fails the execution, alerts, and leaves writer where it was", async () => {
    const w = regionLostWorld();
    w.cluster.restoreDurationMs = 4 * 3600_000;
    const outcome = await w.evaluate(MONITOR, DOWN_NOW);
    const execution = await w.closed(outcome.execution!.name);
    expect(execution).toMatchObject({ status: "FAILED", error: "FailoverFailed" });
    expect(w.cluster.dnsView.writerTarget).toBe(PRIMARY_ENDPOINT);
    expect(w.cluster.notifications.at(-1)).toMatchObject({ event: "failover-failed" });
    expect(w.cluster.notifications.at(-1)?.message).toContain(
      "was not available 180 min after its restore was requested",
    );
  });
});
