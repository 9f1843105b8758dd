import { InvalidEventError } from "../../../lib/lambda/core/errors";
import type { DatabaseProbe } from "../../../lib/lambda/core/ports";
import { readMonitorConfig } from "../../../lib/lambda/health-monitor/env";
import {
  createMonitorHandler,
  splitProbe,
  type MonitorHandlerDeps,
} from "../../../lib/lambda/health-monitor/handler";
import { createMetrics } from "../../../lib/lambda/telemetry";
import { FakeCluster, T0 } from "../../support/fake-ports";
import { MONITOR_ENV_FIXTURE, scheduledEvent } from "./fixtures";

const config = readMonitorConfig(MONITOR_ENV_FIXTURE);

function build(
  cluster: FakeCluster,
  bootstrap: MonitorHandlerDeps["bootstrap"] = jest.fn(),
  probe: DatabaseProbe = cluster.probe,
) {
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
  const stored: [string, string, number][] = [];
  const flushed: [string, string, number][][] = [];
  /** The EMF timestamp each flushed blob carries (the last one set before it was written). */
  const stamps: (number | undefined)[] = [];
  let timestamp: number | undefined;
  const metrics = {
    addMetric: jest.fn((name: string, unit: string, value: number) => void stored.push([name, unit, value])),
    hasStoredMetrics: jest.fn(() => stored.length > 0),
    publishStoredMetrics: jest.fn((): void => {
      flushed.push(stored.splice(0));
      stamps.push(timestamp);
      timestamp = undefined;
    }),
    setTimestamp: jest.fn((atMs: number) => void (timestamp = atMs)),
  };
  const handler = createMonitorHandler({
    config,
    probe,
    clock: cluster.clock,
    logger: logger as unknown as MonitorHandlerDeps["logger"],
    metrics: metrics as unknown as MonitorHandlerDeps["metrics"],
    bootstrap,
  });
  return { handler, lines, flushed, logger, stamps };
}

describe("scheduled run", () => {
  it("a healthy primary: one lag read, four probes, one reachable/latency pair per probe, lag and run", async () => {
    const cluster = new FakeCluster();
    const { handler, flushed } = build(cluster);
    const result = await handler(scheduledEvent());

    expect(cluster.callNames).toEqual([
      "probe.probePrimary",
      "probe.readReplicaLag",
      "probe.probePrimary",
      "probe.probePrimary",
      "probe.probePrimary",
    ]);
    expect(cluster.calls[1]).toBe("probe.readReplicaLag(3000)");
    expect(result).toMatchObject({
      runId: "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
      startedAtMs: T0,
      consecutiveFailures: 0,
      suspectedFailure: false,
    });
    expect(result).toHaveProperty("lastHealthyLag.lagSeconds", 1);
    expect(flushed).toEqual([
      [
        ["PrimaryReachable", "Count", 1],
        ["ProbeLatencyMs", "Milliseconds", 5],
        ["PrimaryReachable", "Count", 1],
        ["ProbeLatencyMs", "Milliseconds", 5],
        ["PrimaryReachable", "Count", 1],
        ["ProbeLatencyMs", "Milliseconds", 5],
        ["PrimaryReachable", "Count", 1],
        ["ProbeLatencyMs", "Milliseconds", 5],
        ["HeartbeatLagSeconds", "Seconds", 1],
        // The last answered probe's time, to the second: the fourth probe.
        [
          "PrimaryLastAnsweredAt",
          "None",
          (result as { primaryProbes: { atMs: number }[] }).primaryProbes[3].atMs / 1000,
        ],
        ["MonitorRun", "Count", 1],
      ],
      [["HealthyLagSeconds", "Seconds", 1]],
    ]);
    // Probes are 15 s apart, measured from the first probe (the first wait also absorbs the lag read).
    expect(cluster.clock.sleeps).toEqual([14_991, 14_995, 14_995]);
  });

  it("a reading taken while the primary answered is published as HealthyLagSeconds in its own blob, dated at the read", async () => {
    const cluster = new FakeCluster();
    const { handler, flushed, stamps } = build(cluster);
    const result = (await handler(scheduledEvent())) as { lastHealthyLag: { atMs: number } };
    expect(flushed[1]).toEqual([["HealthyLagSeconds", "Seconds", 1]]);
    // The run's blob is dated by the injected clock at the end of the run, the lag at its read.
    expect(stamps).toEqual([cluster.clock.nowMs(), result.lastHealthyLag.atMs]);
  });

  it("the first probe failed: HeartbeatLagSeconds still feeds the lag alarm, but no HealthyLagSeconds", async () => {
    const cluster = new FakeCluster();
    cluster.probeScript = [{ outcome: "timeout" }, { outcome: "timeout" }, { outcome: "timeout" }];
    const { handler, flushed } = build(cluster);
    await handler(scheduledEvent());
    expect(flushed[0]?.map(([name]) => name)).toContain("HeartbeatLagSeconds");
    expect(flushed.flat().map(([name]) => name)).not.toContain("HealthyLagSeconds");
    // No probe answered: no last-answer time.
    expect(flushed.flat().map(([name]) => name)).not.toContain("PrimaryLastAnsweredAt");
  });

  it("with Powertools' real EMF output every blob carries the Environment dimension alone, which the lag history and alarms read", async () => {
    const cluster = new FakeCluster();
    // Real Powertools refuses (and warns about) datapoints older than 14 days: date them now.
    cluster.clock.now = Date.now();
    const lines: string[] = [];
    const real = createMetrics("TapStack", "health-monitor", "dev");
    (real as unknown as { console: { log: (line: string) => void } }).console = {
      log: (line) => void lines.push(line),
    };
    const handler = createMonitorHandler({
      config: readMonitorConfig(MONITOR_ENV_FIXTURE),
      probe: cluster.probe,
      clock: cluster.clock,
      logger: build(cluster).logger as unknown as MonitorHandlerDeps["logger"],
      metrics: real,
      bootstrap: () => Promise.reject(new Error("not used")),
    });
    await handler(scheduledEvent());
    const blobs = lines.map(
      (line) =>
        JSON.parse(line) as { _aws: { Timestamp: number; CloudWatchMetrics: { Dimensions: string[][] }[] } },
    );
    expect(blobs).toHaveLength(2);
    for (const blob of blobs) expect(blob._aws.CloudWatchMetrics[0].Dimensions).toEqual([["Environment"]]);
    expect(blobs[1]).toMatchObject({ HealthyLagSeconds: 1, Environment: "dev" });
  });

  it("a failing primary: the run stops at 3 consecutive failures and each failure shows as 0", async () => {
    const cluster = new FakeCluster();
    cluster.probeScript = [
      { outcome: "ok" },
      { outcome: "timeout" },
      { outcome: "unreachable", latencyMs: 40 },
      { outcome: "timeout" },
    ];
    const { handler, flushed, lines } = build(cluster);
    const result = await handler(scheduledEvent());

    expect(result).toMatchObject({ consecutiveFailures: 3, suspectedFailure: true });
    expect(flushed[0]?.filter(([name]) => name === "PrimaryReachable").map(([, , v]) => v)).toEqual([
      1, 0, 0, 0,
    ]);
    expect(flushed[0]?.filter(([name]) => name === "ProbeLatencyMs").map(([, , v]) => v)).toEqual([
      5, 3000, 40, 3000,
    ]);
    expect(lines.filter((l) => l.message === "Primary probe failed")).toHaveLength(3);
  });

  it("an unreadable replica emits no lag value (a gap, not a zero)", async () => {
    const cluster = new FakeCluster();
    cluster.replicaLag = {
      atMs: T0,
      lagSeconds: null,
      probe: { target: "replica", atMs: T0, outcome: "timeout", latencyMs: 3000, detail: "no answer" },
    };
    const { handler, flushed } = build(cluster);
    const result = await handler(scheduledEvent());
    expect(result).toHaveProperty("lastHealthyLag", null);
    expect(flushed[0]?.map(([name]) => name)).not.toContain("HeartbeatLagSeconds");
    expect(flushed[0]?.at(-1)).toEqual(["MonitorRun", "Count", 1]);
    // The primary answered, but with no reading there is nothing healthy to publish.
    expect(flushed).toHaveLength(1);
  });
});

describe("bootstrap", () => {
  it("runs the bootstrap only, probes nothing and emits no metric", async () => {
    const cluster = new FakeCluster();
    const done = {
      action: "bootstrap" as const,
      monitorUser: "dr_monitor",
      primaryHost: "h",
      roleCreated: true,
      rdsIamGranted: true,
    };
    const bootstrap = jest.fn(async () => done);
    const { handler, flushed } = build(cluster, bootstrap);
    await expect(handler({ action: "bootstrap" })).resolves.toEqual(done);
    expect(bootstrap).toHaveBeenCalledTimes(1);
    expect(cluster.calls).toEqual([]);
    expect(flushed).toEqual([]);
  });

  it("a failing bootstrap is logged and rethrown", async () => {
    const failure = new Error("permission denied to create role");
    const { handler, lines } = build(
      new FakeCluster(),
      jest.fn(async () => Promise.reject(failure)),
    );
    await expect(handler({ action: "bootstrap" })).rejects.toBe(failure);
    expect(lines).toEqual([{ level: "error", message: "Invocation failed", extra: { error: failure } }]);
  });
});

describe("replication-positions", () => {
  it("reads both positions once with the policy's probe timeout: no probe, no heartbeat, no metric", async () => {
    const cluster = new FakeCluster();
    const bootstrap = jest.fn();
    const { handler, flushed, logger } = build(cluster, bootstrap);
    await expect(handler({ action: "replication-positions" })).resolves.toEqual({
      atMs: T0,
      primaryLsn: "0/3000060",
      primaryStartedAtMs: T0 - 86_400_000,
      replicaReplayLsn: "0/3000060",
    });
    // PROBE_TIMEOUT_SECONDS=3 in the fixture.
    expect(cluster.calls).toEqual(["probe.replicationPositions(3000)"]);
    expect(bootstrap).not.toHaveBeenCalled();
    expect(flushed).toEqual([]);
    expect(logger.appendKeys).not.toHaveBeenCalled();
  });

  it("a failing read is logged and rethrown, so the caller sees a FunctionError", async () => {
    const failure = new Error("probe broke");
    const probe = {
      probePrimary: jest.fn(),
      readReplicaLag: jest.fn(),
      replicationPositions: jest.fn(async () => Promise.reject(failure)),
    };
    const { handler, lines, flushed } = build(
      new FakeCluster(),
      jest.fn(),
      probe as unknown as DatabaseProbe,
    );
    await expect(handler({ action: "replication-positions" })).rejects.toBe(failure);
    expect(probe.probePrimary).not.toHaveBeenCalled();
    expect(flushed).toEqual([]);
    expect(lines).toEqual([{ level: "error", message: "Invocation failed", extra: { error: failure } }]);
  });
});

describe("anything else", () => {
  const rejected: [string, unknown][] = [
    ["null", null],
    ["a failover request", { action: "failover", requestedBy: "a", reason: "r" }],
    ["an alarm event", { source: "aws.cloudwatch", "detail-type": "CloudWatch Alarm State Change" }],
  ];
  it.each(rejected)(
    "%s: InvalidEventError, logged, no probe, no bootstrap, no metric",
    async (_name, event) => {
      const cluster = new FakeCluster();
      const bootstrap = jest.fn();
      const { handler, flushed, lines } = build(cluster, bootstrap);
      await expect(handler(event)).rejects.toBeInstanceOf(InvalidEventError);
      expect(cluster.calls).toEqual([]);
      expect(bootstrap).not.toHaveBeenCalled();
      expect(flushed).toEqual([]);
      expect(lines).toEqual([
        { level: "error", message: "Invocation failed", extra: { error: expect.any(InvalidEventError) } },
      ]);
    },
  );
});

describe("splitProbe", () => {
  it("sends primary probes to one probe and replica reads to the other", async () => {
    const primary = { probePrimary: jest.fn(async () => "p"), readReplicaLag: jest.fn() };
    const replica = { probePrimary: jest.fn(), readReplicaLag: jest.fn(async () => "r") };
    const probe = splitProbe(primary as unknown as DatabaseProbe, replica as unknown as DatabaseProbe);
    await expect(probe.probePrimary(3000)).resolves.toBe("p");
    await expect(probe.readReplicaLag(2000)).resolves.toBe("r");
    expect(primary.probePrimary).toHaveBeenCalledWith(3000);
    expect(replica.readReplicaLag).toHaveBeenCalledWith(2000);
    expect(primary.readReplicaLag).not.toHaveBeenCalled();
    expect(replica.probePrimary).not.toHaveBeenCalled();
  });
});
