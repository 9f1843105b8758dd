import { InvalidEventError } from "../../../lib/lambda/core/errors";
import type { evaluateAndAct, Outcome } from "../../../lib/lambda/core/orchestrator";
import type { ClusterSnapshot, Decision } from "../../../lib/lambda/core/types";
import { readFailoverConfig } from "../../../lib/lambda/failover/env";
import {
  createFailoverHandler,
  dispatchOptionsFor,
  FailoverIncompleteError,
  followCommands,
  NO_DATABASE_PROBE,
  type FailoverHandlerDeps,
} from "../../../lib/lambda/failover/handler";
import { FakeCluster, T0 } from "../../support/fake-ports";
import { executionArn, RecordingWorkflow } from "../../support/recording-workflow";
import { lagReading, probes, snapshot } from "../../support/snapshots";
import { alarmEvent, FAILOVER_ENV_FIXTURE, failingRun, monitorEnvelope } from "./fixtures";

const config = readFailoverConfig(FAILOVER_ENV_FIXTURE);

/** What every execution of the fixture's cluster is given (`tap:*TimeoutMinutes` 45 and 1440). */
const DISPATCH = {
  reportKind: "failover",
  cluster: { primaryInstanceId: "rds-primary-dev", replicaInstanceId: "rds-replica-dev" },
  limits: {
    promotionTimeoutSeconds: 2700,
    catchUpTimeoutSeconds: 420,
    dnsTimeoutSeconds: 120,
    approvalTimeoutSeconds: 86_400,
    restoreTimeoutSeconds: 10_800,
  },
  approvals: true,
};

/** Records what the handler logs and which metrics it stores and flushes. */
function recorders() {
  const lines: { level: string; message: string; extra: unknown }[] = [];
  const log = (level: string) => (message: string, extra?: unknown) =>
    void lines.push({ level, message, extra });
  const logger = {
    info: jest.fn(log("info")),
    warn: jest.fn(log("warn")),
    error: jest.fn(log("error")),
    appendKeys: jest.fn(),
    addContext: jest.fn(),
  };
  const stored: [string, number][] = [];
  const flushed: [string, number][][] = [];
  const timestamps: number[] = [];
  const metrics = {
    setTimestamp: jest.fn((at: number) => void timestamps.push(at)),
    addMetric: jest.fn((name: string, _unit: string, value: number) => void stored.push([name, value])),
    hasStoredMetrics: jest.fn(() => stored.length > 0),
    publishStoredMetrics: jest.fn((): void => {
      flushed.push(stored.splice(0));
    }),
  };
  return { lines, logger, metrics, flushed, timestamps };
}

function build(cluster: FakeCluster, evaluate?: FailoverHandlerDeps["evaluate"]) {
  const rec = recorders();
  const workflow = new RecordingWorkflow(() => cluster.clock.nowMs());
  const handler = createFailoverHandler({
    config,
    ports: cluster.ports,
    workflow,
    logger: rec.logger as unknown as FailoverHandlerDeps["logger"],
    metrics: rec.metrics as unknown as FailoverHandlerDeps["metrics"],
    ...(evaluate === undefined ? {} : { evaluate }),
  });
  return { handler, workflow, ...rec };
}

/** A Lambda context with `remainingMs` left. */
function lambdaContext(remainingMs: number) {
  return { awsRequestId: "req-1", functionName: "failover-dev", getRemainingTimeInMillis: () => remainingMs };
}

describe("rejected events take no action at all", () => {
  const rejected: [string, unknown][] = [
    ["null", null],
    ["an array", []],
    [
      "a result from another function",
      monitorEnvelope(
        undefined,
        {},
        { functionArn: "arn:aws:lambda:ap-southeast-1:123456789012:function:other" },
      ),
    ],
    ["a malformed monitor result", monitorEnvelope({ runId: "x" })],
    [
      "an alarm with another name",
      alarmEvent({}, { detail: { ...(alarmEvent().detail as object), alarmName: "cpu-high-dev" } }),
    ],
    [
      "an operator request with an extra key",
      { action: "failover", requestedBy: "alice", reason: "r", force: true },
    ],
    ["an operator request without requestedBy", { action: "failover", reason: "r" }],
  ];
  it.each(rejected)("%s: InvalidEventError, logged, no port call, no metric", async (_name, event) => {
    const cluster = new FakeCluster();
    const evaluate = jest.fn();
    const { handler, lines, flushed } = build(cluster, evaluate);
    await expect(handler(event, lambdaContext(900_000))).rejects.toBeInstanceOf(InvalidEventError);
    expect(evaluate).not.toHaveBeenCalled();
    expect(cluster.calls).toEqual([]);
    expect(flushed).toEqual([]);
    expect(lines).toEqual([
      {
        level: "error",
        message: "Invocation failed; nothing more was done",
        extra: { error: expect.any(InvalidEventError) },
      },
    ]);
  });

  it("an alarm back to OK returns a no-action result without reading anything", async () => {
    const cluster = new FakeCluster();
    const { handler, lines } = build(cluster);
    await expect(handler(alarmEvent({ value: "OK" }))).resolves.toEqual({
      source: "alarm",
      trigger: "alarm",
      decision: "none",
      reason: "Alarm primary-unreachable-dev is OK: only ALARM asks for an evaluation.",
      acted: false,
      execution: null,
      error: null,
    });
    expect(cluster.calls).toEqual([]);
    expect(lines.map((l) => l.message)).toEqual(["Event asks for no action"]);
  });
});

describe("wiring to the orchestrator (core mocked)", () => {
  const promote: Decision = {
    kind: "promote-replica",
    reason: "3 consecutive failed probes and RDS reports the primary as failed.",
    failureStartedAtMs: T0 + 15_000,
    detectedAtMs: T0 + 45_000,
    planned: false,
    steps: [
      "notify-start",
      "fence-old-primary",
      "promote-replica",
      "wait-replica-writable",
      "switch-writer",
      "notify-success",
      "write-report",
    ],
  };
  const started = {
    name: "failover-tap-replica-dev-20260301T1000Z",
    arn: executionArn("failover-tap-replica-dev-20260301T1000Z"),
    status: "RUNNING",
    startedAtMs: T0 + 46_000,
    stoppedAtMs: null,
  } as const;
  const situations: [
    string,
    Outcome,
    { decision: string; acted: boolean; started: boolean | null; metrics: [string, number][] },
  ][] = [
    [
      "none",
      { snapshot: snapshot(), decision: { kind: "none", reason: "Primary healthy." }, acted: false },
      {
        decision: "none",
        acted: false,
        started: null,
        metrics: [
          ["PrimaryRegionApiReachable", 1],
          ["FailoverActed", 0],
          ["FailoverFailed", 0],
        ],
      },
    ],
    [
      "alert-only",
      {
        snapshot: snapshot(),
        decision: { kind: "alert-only", reason: "One failed probe.", severity: "warning" },
        acted: false,
      },
      {
        decision: "alert-only",
        acted: false,
        started: null,
        metrics: [
          ["PrimaryRegionApiReachable", 1],
          ["FailoverActed", 0],
          ["FailoverFailed", 0],
        ],
      },
    ],
    [
      "blocked, waiting for an approval in a new execution",
      {
        snapshot: snapshot(),
        decision: { kind: "blocked", reason: "Lag 90 s > 60 s.", guard: "replication-lag" },
        acted: true,
        execution: { ...started, started: true },
      },
      {
        decision: "blocked",
        acted: true,
        started: true,
        metrics: [
          ["PrimaryRegionApiReachable", 1],
          ["FailoverActed", 1],
          ["FailoverFailed", 0],
        ],
      },
    ],
    [
      "promote-replica, execution started",
      { snapshot: snapshot(), decision: promote, acted: true, execution: { ...started, started: true } },
      {
        decision: "promote-replica",
        acted: true,
        started: true,
        metrics: [
          ["PrimaryRegionApiReachable", 1],
          ["FailoverActed", 1],
          ["FailoverFailed", 0],
        ],
      },
    ],
    [
      "promote-replica while the execution runs: its progress only",
      { snapshot: snapshot(), decision: promote, acted: false, execution: { ...started, started: false } },
      {
        decision: "promote-replica",
        acted: false,
        started: false,
        metrics: [
          ["PrimaryRegionApiReachable", 1],
          ["FailoverActed", 0],
          ["FailoverFailed", 0],
        ],
      },
    ],
    [
      "complete-failover, execution started",
      {
        snapshot: snapshot(),
        decision: {
          kind: "complete-failover",
          reason: "Promoted; writer not switched.",
          steps: ["switch-writer", "notify-success", "write-report"],
        },
        acted: true,
        execution: { ...started, started: true },
      },
      {
        decision: "complete-failover",
        acted: true,
        started: true,
        metrics: [
          ["PrimaryRegionApiReachable", 1],
          ["FailoverActed", 1],
          ["FailoverFailed", 0],
        ],
      },
    ],
  ];
  it.each(situations)(
    "%s: hands over trigger and evidence, returns the compact result",
    async (_name, outcome, expected) => {
      const cluster = new FakeCluster();
      const evaluate = jest.fn(async () => outcome);
      const { handler, workflow, flushed } = build(cluster, evaluate);
      const run = failingRun();
      const response = await handler(monitorEnvelope(run), lambdaContext(60_000));

      expect(evaluate).toHaveBeenCalledTimes(1);
      expect(evaluate).toHaveBeenCalledWith(
        cluster.ports,
        workflow,
        { kind: "monitor", runId: run.runId },
        { primaryProbes: run.primaryProbes, lastHealthyLag: run.lastHealthyLag },
        config.policy,
        DISPATCH,
      );
      expect(response).toEqual({
        source: "monitor",
        trigger: "monitor",
        decision: expected.decision,
        reason: outcome.decision.reason,
        acted: expected.acted,
        execution:
          expected.started === null
            ? null
            : { ...started, started: expected.started, follow: followCommands(started.arn) },
        error: null,
      });
      expect(flushed).toEqual([expected.metrics]);
      // The handler itself touches no port and no workflow: everything goes through the orchestrator.
      expect(cluster.calls).toEqual([]);
      expect(workflow.calls).toEqual([]);
    },
  );

  const blackHoled = snapshot({
    primary: {
      ...snapshot().primary,
      apiReachable: false,
      apiError: "connectivity",
      status: "unknown",
    },
  });
  const throttled = snapshot({
    primary: { ...snapshot().primary, apiReachable: false, apiError: "throttled", status: "unknown" },
  });
  const cloudWatchDown = snapshot({
    primaryRdsMetrics: { kind: "unreadable", apiError: "connectivity", detail: "ECONNREFUSED" },
  });
  it.each([
    ["RDS answered", snapshot(), 1],
    ["RDS describe black-holed", blackHoled, 0],
    ["RDS describe throttled: an answer, not an outage", throttled, 1],
    ["CloudWatch of the primary region refused the connection", cloudWatchDown, 0],
  ])(
    "records PrimaryRegionApiReachable dated at the snapshot: %s",
    async (_situation, seen: ClusterSnapshot, value) => {
      const at = seen.takenAtMs + 7_000;
      const taken = { ...seen, takenAtMs: at };
      const { handler, flushed, timestamps } = build(
        new FakeCluster(),
        jest.fn(
          async () =>
            ({ snapshot: taken, decision: { kind: "none", reason: "ok" }, acted: false }) as Outcome,
        ),
      );
      await handler(monitorEnvelope());
      expect(timestamps).toEqual([at]);
      expect(flushed).toEqual([
        [
          ["PrimaryRegionApiReachable", value],
          ["FailoverActed", 0],
          ["FailoverFailed", 0],
        ],
      ]);
    },
  );

  it("passes an alarm trigger with empty evidence (the orchestrator asks LagHistory)", async () => {
    const evaluate = jest.fn(async (..._args: Parameters<typeof evaluateAndAct>): Promise<Outcome> => ({
      snapshot: snapshot(),
      decision: { kind: "none", reason: "ok" },
      acted: false,
    }));
    const { handler } = build(new FakeCluster(), evaluate);
    await handler(alarmEvent());
    expect(evaluate.mock.calls[0]).toEqual([
      expect.anything(),
      expect.anything(),
      {
        kind: "alarm",
        alarm: {
          alarmName: "primary-unreachable-dev",
          state: "ALARM",
          sinceMs: Date.parse("2026-03-01T10:03:00.123Z"),
          reason: "Threshold Crossed: 3 out of the last 3 datapoints were less than the threshold (1.0).",
        },
      },
      { primaryProbes: [], lastHealthyLag: null },
      config.policy,
      DISPATCH,
    ]);
  });

  it("a switchover request gets the same options: the orchestrator makes a planned promotion a switchover", async () => {
    const evaluate = jest.fn(async (..._args: Parameters<typeof evaluateAndAct>): Promise<Outcome> => ({
      snapshot: snapshot(),
      decision: { kind: "none", reason: "ok" },
      acted: false,
    }));
    const { handler } = build(new FakeCluster(), evaluate);
    await handler({ action: "switchover", requestedBy: "alice", reason: "game day" }, lambdaContext(60_000));
    expect(evaluate.mock.calls[0]?.[2]).toEqual({
      kind: "manual",
      action: "switchover",
      requestedBy: "alice",
      reason: "game day",
      acceptDataLoss: false,
    });
    expect(evaluate.mock.calls[0]?.[5]).toEqual(DISPATCH);
  });

  it("a status request returns the snapshot that was read", async () => {
    const seen = snapshot({ primaryProbes: probes("ok") });
    const evaluate = jest.fn(async (..._args: Parameters<typeof evaluateAndAct>): Promise<Outcome> => ({
      snapshot: seen,
      decision: { kind: "none", reason: "Status: all good." },
      acted: false,
    }));
    const { handler } = build(new FakeCluster(), evaluate);
    const response = await handler({ action: "status", requestedBy: "oncall", reason: "check" });
    expect(response).toEqual({
      source: "manual",
      trigger: "manual",
      decision: "none",
      reason: "Status: all good.",
      acted: false,
      execution: null,
      error: null,
      snapshot: seen,
    });
  });

  it("an outcome with an error is logged with the state and rethrown, metrics still flushed", async () => {
    const failed: Outcome = {
      snapshot: snapshot(),
      decision: {
        kind: "complete-failover",
        reason: "Promoted; writer not switched.",
        steps: ["switch-writer"],
      },
      acted: false,
      error: "starting the failover workflow failed: ThrottlingException: Rate exceeded",
    };
    const { handler, lines, flushed } = build(
      new FakeCluster(),
      jest.fn(async () => failed),
    );
    const attempt = handler(monitorEnvelope());
    await expect(attempt).rejects.toBeInstanceOf(FailoverIncompleteError);
    await expect(attempt).rejects.toThrow(
      "complete-failover ended with an error: starting the failover workflow failed: ThrottlingException: Rate exceeded",
    );
    expect(lines.filter((l) => l.level === "error")).toEqual([
      {
        level: "error",
        message: "Evaluation ended with an error",
        extra: expect.objectContaining({ decision: failed.decision, snapshot: failed.snapshot }),
      },
    ]);
    expect(flushed).toEqual([
      [
        ["PrimaryRegionApiReachable", 1],
        ["FailoverActed", 0],
        ["FailoverFailed", 1],
      ],
    ]);
  });

  it("an orchestrator that throws is logged and rethrown", async () => {
    const boom = new Error("describe failed");
    const { handler, lines, flushed } = build(
      new FakeCluster(),
      jest.fn(async () => Promise.reject(boom)),
    );
    await expect(handler(monitorEnvelope())).rejects.toBe(boom);
    expect(lines.filter((l) => l.level === "error")).toEqual([
      { level: "error", message: "Invocation failed; nothing more was done", extra: { error: boom } },
    ]);
    expect(flushed).toEqual([]);
  });
});

describe("dispatchOptionsFor", () => {
  it.each([
    ["the defaults: 45 min to writable, 24 h to approve", "45", "1440", 2700, 86_400],
    ["the smallest allowed values", "5", "15", 300, 900],
    ["a large replica: 3 h to writable, 2 days to approve", "180", "2880", 10_800, 172_800],
  ])("%s", (_name, promotion, approval, promotionSeconds, approvalSeconds) => {
    const c = readFailoverConfig({
      ...FAILOVER_ENV_FIXTURE,
      PROMOTION_TIMEOUT_MINUTES: promotion,
      APPROVAL_TIMEOUT_MINUTES: approval,
    });
    expect(dispatchOptionsFor(c)).toEqual({
      ...DISPATCH,
      limits: {
        promotionTimeoutSeconds: promotionSeconds,
        catchUpTimeoutSeconds: 420,
        dnsTimeoutSeconds: 120,
        approvalTimeoutSeconds: approvalSeconds,
        restoreTimeoutSeconds: 10_800,
      },
    });
  });
});

describe("followCommands", () => {
  it("describes the execution and its latest history, in the execution's region", () => {
    const arn = "arn:aws:states:eu-west-2:123456789012:execution:sfn-failover-prod:failover-x";
    expect(followCommands(arn)).toBe(
      `aws stepfunctions describe-execution --region eu-west-2 --execution-arn ${arn} ; ` +
        `aws stepfunctions get-execution-history --region eu-west-2 --execution-arn ${arn} --reverse-order --max-items 20`,
    );
  });
});

describe("NO_DATABASE_PROBE", () => {
  it("refuses to probe: the failover function cannot reach the database", async () => {
    await expect(NO_DATABASE_PROBE.probePrimary(3000)).rejects.toThrow("never probes it");
    await expect(NO_DATABASE_PROBE.readReplicaLag(3000)).rejects.toThrow("never reads replica lag");
    await expect(NO_DATABASE_PROBE.replicationPositions(3000)).rejects.toThrow(
      "cannot read WAL positions itself",
    );
  });
});

describe("end to end with the real orchestrator and fake ports", () => {
  /** A monitor run at the fake cluster's T0: first probe ok, then three failures. */
  function runAtT0(outcomes: Parameters<typeof probes>) {
    const primaryProbes = probes(...outcomes);
    return failingRun({
      startedAtMs: T0 - 100,
      finishedAtMs: T0 + 60_000,
      primaryProbes,
      lag: lagReading(2),
      lastHealthyLag: lagReading(2),
      consecutiveFailures: outcomes.length - outcomes.lastIndexOf("ok") - 1,
      suspectedFailure: outcomes.some((o) => o !== "ok"),
    });
  }

  it("a confirmed failure starts one execution named after the incident and changes nothing itself", async () => {
    const cluster = new FakeCluster({ primary: { status: "failed", rawStatus: "failed" } });
    cluster.clock.now = T0 + 60_000;
    const { handler, workflow } = build(cluster);
    const response = await handler(
      monitorEnvelope(runAtT0(["ok", "timeout", "timeout", "timeout"])),
      lambdaContext(60_000),
    );
    expect(response).toMatchObject({
      source: "monitor",
      decision: "promote-replica",
      acted: true,
      error: null,
    });
    const name = workflow.inputs[0]?.incident ?? "";
    expect(workflow.calls).toEqual(["running()", `start(${name})`]);
    expect(response.execution).toEqual({
      name,
      arn: executionArn(name),
      status: "RUNNING",
      startedAtMs: T0 + 60_000,
      stoppedAtMs: null,
      started: true,
      follow: followCommands(executionArn(name)),
    });
    expect(workflow.inputs[0]).toMatchObject({
      action: "failover",
      approval: "none",
      cluster: DISPATCH.cluster,
      limits: DISPATCH.limits,
      decision: { kind: "promote-replica", planned: false },
    });
    // Acting is the workflow's: the function only read the state.
    expect(cluster.callNames.filter((c) => !/describe|read|exists|lastHealthyLag/.test(c))).toEqual([]);
  });

  it("a second trigger while the execution runs reports it and starts nothing", async () => {
    const cluster = new FakeCluster({ primary: { status: "failed", rawStatus: "failed" } });
    cluster.clock.now = T0 + 60_000;
    const { handler, workflow } = build(cluster);
    const running = {
      name: "failover-earlier",
      arn: executionArn("failover-earlier"),
      status: "RUNNING" as const,
      startedAtMs: T0,
      stoppedAtMs: null,
    };
    workflow.runningNow = [running];
    const response = await handler(monitorEnvelope(runAtT0(["ok", "timeout", "timeout", "timeout"])));
    expect(workflow.calls).toEqual(["running()"]);
    expect(response).toMatchObject({
      decision: "promote-replica",
      acted: false,
      execution: { ...running, started: false },
    });
  });

  it("a healthy run reads the state and does nothing", async () => {
    const cluster = new FakeCluster();
    cluster.clock.now = T0 + 60_000;
    const { handler } = build(cluster);
    const response = await handler(monitorEnvelope(runAtT0(["ok", "ok", "ok", "ok"])));
    expect(response).toMatchObject({ decision: "none", acted: false, error: null });
    expect(cluster.callNames.filter((c) => !/describe|read|exists|lastHealthyLag/.test(c))).toEqual([]);
  });

  it("a status request never acts, even when a failover would be due", async () => {
    const cluster = new FakeCluster({ primary: { status: "failed", rawStatus: "failed" } });
    const { handler } = build(cluster);
    const response = await handler({ action: "status", requestedBy: "oncall", reason: "check" });
    expect(response.acted).toBe(false);
    expect(response.snapshot?.primary.status).toBe("failed");
    expect(cluster.callNames.filter((c) => !/describe|read|exists|lagEvidence/.test(c))).toEqual([]);
  });
});

describe("alert de-duplication is logged, never an invocation error", () => {
  const blockedOutcome = (alert: NonNullable<Outcome["alert"]>): Outcome => ({
    snapshot: snapshot(),
    decision: { kind: "blocked", reason: "Lag 90 s > 60 s.", guard: "replication-lag" },
    acted: false,
    alert,
  });
  it.each([
    [
      "suppressed",
      {
        key: "failover-blocked-0a1b2c3d",
        sent: false,
        reason: "suppressed: the same alert was sent 60 s ago",
      },
      { level: "info", message: "Alert de-duplicated" },
    ],
    [
      "ledger unreadable",
      {
        key: "failover-blocked-0a1b2c3d",
        sent: true,
        reason: "the alert ledger could not be read",
        ledgerError: "reading the alert ledger failed, so the alert is sent: AlertLedgerError: 503",
      },
      { level: "warn", message: "Alert ledger unavailable" },
    ],
  ] as const)("%s", async (_name, alert, line) => {
    const cluster = new FakeCluster();
    const { handler, lines } = build(
      cluster,
      jest.fn(async () => blockedOutcome(alert)),
    );
    const response = await handler(monitorEnvelope(failingRun()), lambdaContext(900_000));
    expect(response.error).toBeNull();
    expect(lines).toContainEqual({ ...line, extra: { alert } });
  });
});
