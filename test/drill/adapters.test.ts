import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { parseEndpoint } from "../../lib/drill/endpoint";
import { FileNotifier, FileReportStore } from "../../lib/drill/file-adapters";
import { LocalDns } from "../../lib/drill/local-dns";
import { DrillMetrics } from "../../lib/drill/metrics";
import { warmUpDeadlineSeconds } from "../../lib/drill/runner";
import { DnsChangeError, ReportStoreError } from "../../lib/lambda/core/errors";
import { NO_LAG_EVIDENCE } from "../../lib/lambda/core/lag-evidence";
import { DEFAULT_POLICY } from "../../lib/lambda/core/policy";
import type { DatabaseProbe, FailoverReport } from "../../lib/lambda/core/ports";
import type { ProbeResult } from "../../lib/lambda/core/types";
import { drillMonitorConfig } from "../../lib/drill/monitor-loop";
import { createMonitorHandler } from "../../lib/lambda/health-monitor/handler";
import type { HandlerLogger } from "../../lib/lambda/telemetry";
import { FakeClock } from "../support/fake-ports";

describe("parseEndpoint", () => {
  it("parses host:port", () => {
    expect(parseEndpoint("127.0.0.1:54321")).toEqual({ host: "127.0.0.1", port: 54321 });
  });
  it.each(["127.0.0.1", "127.0.0.1:0", "127.0.0.1:70000", ":5432", "db writer:5432"])(
    "refuses %j",
    (value) => {
      expect(() => parseEndpoint(value)).toThrow(`endpoint "${value}" is not of the form host:port`);
    },
  );
});

describe("LocalDns", () => {
  it("moves writer, records the change once, and tells listeners", async () => {
    let now = 1_000;
    const dns = new LocalDns({ writer: "a:1", reader: "b:2" }, () => now);
    const seen: string[] = [];
    dns.onChange((c) => seen.push(`${c.record}:${c.from}->${c.to}`));
    now = 2_000;
    await dns.setWriter("b:2", 100);
    await dns.setWriter("b:2", 100); // same value: an UPSERT that changes nothing
    expect(dns.resolveWriter()).toBe("b:2");
    expect(await dns.read()).toEqual({ writerTarget: "b:2", readerTarget: "b:2" });
    expect(dns.changes()).toEqual([{ atMs: 2_000, record: "writer", from: "a:1", to: "b:2" }]);
    expect(seen).toEqual(["writer:a:1->b:2"]);
  });

  it("refuses to blank a record or to wait for nothing", async () => {
    const dns = new LocalDns({ writer: "a:1", reader: null });
    await expect(dns.setWriter(" ", 100)).rejects.toThrow(DnsChangeError);
    await expect(dns.setReader("b:2", 0)).rejects.toThrow(
      "timeoutMs for the reader change must be > 0, got 0",
    );
    expect(dns.resolveWriter()).toBe("a:1");
  });
});

describe("DrillMetrics: the monitor handler's EMF read back through CloudWatchLagHistory", () => {
  const MINUTE = 60_000;
  // Powertools refuses (with a warning) EMF timestamps more than 14 days from the wall clock, so the
  // runs happen in the current minute rather than at the fixed test epoch.
  const T0 = Math.floor(Date.now() / MINUTE) * MINUTE;
  const policy = { ...DEFAULT_POLICY, probesPerRun: 3, probeIntervalSeconds: 1, probeTimeoutSeconds: 0.5 };
  const config = drillMonitorConfig(policy);
  const scheduled = (id: string) => ({ id, source: "aws.events", "detail-type": "Scheduled Event" });

  /** A probe whose primary answers until `failAtMs`, with the replica `lagSeconds` behind. */
  function probe(clock: FakeClock, failAtMs: number, lagSeconds: number): DatabaseProbe {
    const result = (target: "primary" | "replica", ok: boolean): ProbeResult => ({
      target,
      atMs: clock.nowMs(),
      outcome: ok ? "ok" : "timeout",
      latencyMs: ok ? 5 : 500,
    });
    return {
      probePrimary: async () => result("primary", clock.nowMs() < failAtMs),
      readReplicaLag: async () => ({ atMs: clock.nowMs(), lagSeconds, probe: result("replica", true) }),
      replicationPositions: () => Promise.reject(new Error("not used")),
    };
  }

  async function runHandler(clock: FakeClock, failAtMs: number, lagSeconds: number, runs: number) {
    const metrics = new DrillMetrics({ clock });
    const handler = createMonitorHandler({
      config,
      probe: probe(clock, failAtMs, lagSeconds),
      clock,
      logger: {
        info() {},
        warn() {},
        error() {},
        appendKeys() {},
        addContext() {},
      } as unknown as HandlerLogger,
      metrics: metrics.metricsFor("health-monitor"),
      bootstrap: () => Promise.reject(new Error("no bootstrap")),
    });
    for (let i = 0; i < runs; i++) {
      await handler(scheduled(`run-${i}`));
      clock.advance(1_000);
    }
    return metrics;
  }

  it("has no evidence before the handler emitted anything", async () => {
    const clock = new FakeClock(T0);
    const metrics = new DrillMetrics({ clock });
    await expect(metrics.lagHistory.lagEvidence(clock.nowMs(), 300)).resolves.toEqual(NO_LAG_EVIDENCE);
    expect(metrics.linesReceived()).toBe(0);
  });

  it("answers with the healthy reading the handler emitted, dated at its minute's start", async () => {
    const clock = new FakeClock(T0 + 10_000);
    const metrics = await runHandler(clock, Number.POSITIVE_INFINITY, 0.25, 2);
    // Two runs, two blobs each: the run's metrics, then HealthyLagSeconds dated at the read.
    expect(metrics.linesReceived()).toBe(4);
    const evidence = await metrics.lagHistory.lagEvidence(clock.nowMs(), 300);
    expect(evidence.lastHealthyLag).toMatchObject({ atMs: T0, lagSeconds: 0.25 });
    // The last answer to the second (PrimaryLastAnsweredAt): the second run's last probe, 1 s ago.
    expect(evidence.primaryLastAnsweredAtMs).toBe(clock.nowMs() - 1_000);
    expect(evidence.failureFirstSeenAtMs).toBeNull();
  });

  it("sees a minute of failed probes after the last answer as the first failure, at that minute's end, and the last answer to the second", async () => {
    const clock = new FakeClock(T0 + 50_000);
    // Runs of 3 probes 1 s apart; the primary stops answering at T0 + 1 min.
    const metrics = new DrillMetrics({ clock });
    const handler = createMonitorHandler({
      config,
      probe: probe(clock, T0 + MINUTE, 2),
      clock,
      logger: {
        info() {},
        warn() {},
        error() {},
        appendKeys() {},
        addContext() {},
      } as unknown as HandlerLogger,
      metrics: metrics.metricsFor("health-monitor"),
      bootstrap: () => Promise.reject(new Error("no bootstrap")),
    });
    await handler(scheduled("healthy"));
    clock.now = T0 + MINUTE + 5_000;
    await handler(scheduled("failing"));
    const evidence = await metrics.lagHistory.lagEvidence(T0 + 2 * MINUTE + 1_000, 300);
    expect(evidence).toEqual({
      lastHealthyLag: expect.objectContaining({ atMs: T0, lagSeconds: 2 }),
      // The healthy run's last probe (T0 + 50 s, 1 s apart, 3 probes), not its minute's end.
      primaryLastAnsweredAtMs: T0 + 52_000,
      failureFirstSeenAtMs: T0 + 2 * MINUTE,
    });
  });
});

describe("warmUpDeadlineSeconds: the first monitor run's worst case, or the warm-up asked for, plus a margin", () => {
  it.each([
    [
      "the drill's default cadence: (4 + 3 - 1) × 1 s + 2 × 0.5 s",
      { probeIntervalSeconds: 1, probeTimeoutSeconds: 0.5 },
      2,
      17,
    ],
    ["4 probes 15 s apart: (4 + 3 - 1) × 15 s + 2 × 3 s", {}, 2, 106],
    ["a long warm-up asked for wins", { probeIntervalSeconds: 1, probeTimeoutSeconds: 0.5 }, 60, 70],
  ])("%s", (_name, overrides, warmupSeconds, expected) => {
    // The cadence each case spells out (4 probes per run), whatever the production defaults are.
    const policy = {
      ...DEFAULT_POLICY,
      probesPerRun: 4,
      probeIntervalSeconds: 15,
      probeTimeoutSeconds: 3,
      ...overrides,
    };
    expect(warmUpDeadlineSeconds(policy, warmupSeconds)).toBe(expected);
  });
});

describe("FileNotifier and FileReportStore", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-files-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("appends notifications as JSON lines", async () => {
    const notifier = new FileNotifier(dir, () => 42);
    await notifier.notify({ subject: "s1", severity: "critical", event: "failover-blocked", message: "m1" });
    await notifier.notify({ subject: "s2", severity: "warning", event: "primary-suspect", message: "m2" });
    const lines = fs.readFileSync(path.join(dir, "notifications.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { atMs: 42, subject: "s1", severity: "critical", event: "failover-blocked", message: "m1" },
      { atMs: 42, subject: "s2", severity: "warning", event: "primary-suspect", message: "m2" },
    ]);
    expect(notifier.notifications().map((n) => n.event)).toEqual(["failover-blocked", "primary-suspect"]);
  });

  it("stores reports under reports/<kind>/<id>.json and finds them again", async () => {
    const store = new FileReportStore(dir);
    const report = {
      id: "pg-replica-created-x",
      kind: "drill",
      outcome: "succeeded",
    } as unknown as FailoverReport;
    expect(await store.exists("drill", report.id)).toBe(false);
    const where = await store.put(report);
    expect(where).toBe(path.join(dir, "reports", "drill", "pg-replica-created-x.json"));
    expect(await store.exists("drill", report.id)).toBe(true);
    expect(await store.exists("failover", report.id)).toBe(false);
    expect(await store.read("drill", report.id)).toEqual(report);
    expect(fs.readdirSync(path.dirname(where))).toEqual(["pg-replica-created-x.json"]);
  });

  it.each(["../escape", ".hidden", "a/b"])("refuses the unsafe report id %j", async (id) => {
    const store = new FileReportStore(dir);
    await expect(store.exists("drill", id)).rejects.toThrow(ReportStoreError);
    await expect(store.put({ id, kind: "drill" } as unknown as FailoverReport)).rejects.toThrow(
      `report id "${id}" is not a safe file name`,
    );
  });
});
