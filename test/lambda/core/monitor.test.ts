import { runMonitor } from "../../../lib/lambda/core/monitor";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";

/** The cadence these tests spell out (4 probes 15 s apart, 3 s timeout), whatever the production defaults are. */
const POLICY = { ...DEFAULT_POLICY, probesPerRun: 4, probeIntervalSeconds: 15, probeTimeoutSeconds: 3 };
import type { ProbeResult } from "../../../lib/lambda/core/types";
import { FakeCluster, T0 } from "../../support/fake-ports";

function monitorOf(cluster: FakeCluster) {
  const seen: ProbeResult[] = [];
  const run = runMonitor({ probe: cluster.probe, clock: cluster.clock }, POLICY, {
    runId: "run-42",
    onProbe: (p) => seen.push(p),
  });
  return { run, seen };
}

describe("runMonitor", () => {
  it("probes 4 times 15 s apart, each bounded by 3 s, and reads the lag right after the first probe's heartbeat", async () => {
    const cluster = new FakeCluster();
    const { run, seen } = monitorOf(cluster);
    const result = await run;

    expect(cluster.calls).toEqual([
      "probe.probePrimary(3000)",
      "probe.readReplicaLag(3000)",
      "probe.probePrimary(3000)",
      "probe.probePrimary(3000)",
      "probe.probePrimary(3000)",
    ]);
    // Probes keep a 15 s cadence from the first one despite the 5 ms probes and the 4 ms lag read.
    expect(result.primaryProbes.map((p) => p.atMs - T0)).toEqual([0, 15_000, 30_000, 45_000]);
    expect(cluster.clock.sleeps).toEqual([14_991, 14_995, 14_995]);
    expect(seen).toEqual(result.primaryProbes);
    expect(result).toMatchObject({
      runId: "run-42",
      startedAtMs: T0,
      finishedAtMs: T0 + 45_005,
      consecutiveFailures: 0,
      suspectedFailure: false,
    });
    expect(result.lag).toEqual(result.lastHealthyLag);
    expect(result.lastHealthyLag?.lagSeconds).toBe(1);
  });

  it("stops as soon as 3 consecutive failures are seen and hands off", async () => {
    const cluster = new FakeCluster();
    cluster.probeScript = [
      { outcome: "timeout" },
      { outcome: "timeout" },
      { outcome: "timeout" },
      { outcome: "ok" },
    ];
    const result = await monitorOf(cluster).run;

    expect(cluster.callNames.filter((c) => c === "probe.probePrimary")).toHaveLength(3);
    expect(result.primaryProbes.map((p) => p.outcome)).toEqual(["timeout", "timeout", "timeout"]);
    expect(result.consecutiveFailures).toBe(3);
    expect(result.suspectedFailure).toBe(true);
    // The first probe failed: the reading taken after it may already be after the failure.
    expect(result.lastHealthyLag).toBeNull();
    expect(result.lag?.lagSeconds).toBe(1);
    // Timeouts take the full 3 s (and the lag read 4 ms), so the waits shrink to keep the 15 s cadence.
    expect(cluster.clock.sleeps).toEqual([11_996, 12_000]);
  });

  it("keeps the lag as healthy when the failure starts after the first probe", async () => {
    const cluster = new FakeCluster();
    cluster.probeScript = [
      { outcome: "ok" },
      { outcome: "unreachable" },
      { outcome: "unreachable" },
      { outcome: "unreachable" },
    ];
    const result = await monitorOf(cluster).run;
    expect(result.primaryProbes).toHaveLength(4);
    expect(result.consecutiveFailures).toBe(3);
    expect(result.lastHealthyLag).toEqual(result.lag);
  });

  it("reports a blip as suspected without stopping early", async () => {
    const cluster = new FakeCluster();
    cluster.probeScript = [{ outcome: "ok" }, { outcome: "timeout" }, { outcome: "ok" }, { outcome: "ok" }];
    const result = await monitorOf(cluster).run;
    expect(result.primaryProbes).toHaveLength(4);
    expect(result).toMatchObject({ consecutiveFailures: 0, suspectedFailure: true });
  });

  it("does not end on a failing tail: probes on until the threshold is met", async () => {
    const cluster = new FakeCluster();
    // The failure begins before the last scheduled probe: two extra probes confirm it.
    cluster.probeScript = [
      { outcome: "ok" },
      { outcome: "ok" },
      { outcome: "ok" },
      { outcome: "unreachable" },
      { outcome: "unreachable" },
      { outcome: "unreachable" },
      { outcome: "ok" },
    ];
    const result = await monitorOf(cluster).run;
    expect(result.primaryProbes.map((p) => p.outcome)).toEqual([
      "ok",
      "ok",
      "ok",
      "unreachable",
      "unreachable",
      "unreachable",
    ]);
    expect(result.primaryProbes.map((p) => p.atMs - T0)).toEqual([0, 15_000, 30_000, 45_000, 60_000, 75_000]);
    expect(result.consecutiveFailures).toBe(3);
  });

  it("ends an extended run at the first probe that succeeds again", async () => {
    const cluster = new FakeCluster();
    cluster.probeScript = [
      { outcome: "ok" },
      { outcome: "ok" },
      { outcome: "ok" },
      { outcome: "timeout" },
      { outcome: "ok" },
      { outcome: "timeout" },
    ];
    const result = await monitorOf(cluster).run;
    expect(result.primaryProbes.map((p) => p.outcome)).toEqual(["ok", "ok", "ok", "timeout", "ok"]);
    expect(result).toMatchObject({ consecutiveFailures: 0, suspectedFailure: true });
  });

  it("does not trust a lag reading that could not read the replica", async () => {
    const cluster = new FakeCluster();
    cluster.replicaLag = {
      atMs: T0,
      lagSeconds: null,
      probe: { target: "replica", atMs: T0, outcome: "timeout", latencyMs: 3000 },
    };
    const result = await monitorOf(cluster).run;
    expect(result.lag?.lagSeconds).toBeNull();
    expect(result.lastHealthyLag).toBeNull();
  });

  it("turns a port that throws into error results instead of failing the run", async () => {
    const cluster = new FakeCluster();
    const probe = {
      readReplicaLag: async () => {
        throw new Error("socket hang up");
      },
      probePrimary: async () => {
        cluster.clock.advance(7);
        throw new TypeError("boom");
      },
      replicationPositions: async () => {
        throw new Error("not used by a monitor run");
      },
    };
    const result = await runMonitor({ probe, clock: cluster.clock }, POLICY, { runId: "r" });
    // Read after the first (7 ms) probe.
    expect(result.lag).toEqual({
      atMs: T0 + 7,
      lagSeconds: null,
      probe: {
        target: "replica",
        atMs: T0 + 7,
        outcome: "error",
        latencyMs: 0,
        detail: "Error: socket hang up",
      },
    });
    expect(result.primaryProbes).toEqual([
      { target: "primary", atMs: T0, outcome: "error", latencyMs: 7, detail: "TypeError: boom" },
      { target: "primary", atMs: T0 + 15_000, outcome: "error", latencyMs: 7, detail: "TypeError: boom" },
      { target: "primary", atMs: T0 + 30_000, outcome: "error", latencyMs: 7, detail: "TypeError: boom" },
    ]);
  });

  it("follows a custom policy's count, interval and timeout", async () => {
    const cluster = new FakeCluster();
    const policy = {
      ...POLICY,
      probesPerRun: 2,
      probeIntervalSeconds: 10,
      probeTimeoutSeconds: 2,
      consecutiveFailuresToFailover: 2,
    };
    const result = await runMonitor({ probe: cluster.probe, clock: cluster.clock }, policy, { runId: "r" });
    expect(cluster.calls).toEqual([
      "probe.probePrimary(2000)",
      "probe.readReplicaLag(2000)",
      "probe.probePrimary(2000)",
    ]);
    expect(result.primaryProbes[1].atMs - result.primaryProbes[0].atMs).toBe(10_000);
  });
});
