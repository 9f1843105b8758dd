import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { parseEndpoint } from "../../lib/drill/endpoint";
import { FileNotifier, FileReportStore } from "../../lib/drill/file-adapters";
import { LocalDns } from "../../lib/drill/local-dns";
import { MemoryLagHistory } from "../../lib/drill/memory-lag-history";
import { DnsChangeError, ReportStoreError } from "../../lib/lambda/core/errors";
import type { FailoverReport } from "../../lib/lambda/core/ports";
import type { LagReading, ProbeResult } from "../../lib/lambda/core/types";

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

describe("MemoryLagHistory", () => {
  const reading = (atMs: number, lagSeconds: number | null): LagReading => ({
    atMs,
    lagSeconds,
    probe: { target: "replica", atMs, outcome: lagSeconds === null ? "timeout" : "ok", latencyMs: 5 },
  });
  const probe = (atMs: number, ok: boolean): ProbeResult => ({
    target: "primary",
    atMs,
    outcome: ok ? "ok" : "timeout",
    latencyMs: 5,
  });
  const history = new MemoryLagHistory();
  for (const r of [reading(1_000, 0.5), reading(5_000, 1.5), reading(9_000, null), reading(12_000, 9)])
    history.record(r);
  for (const p of [probe(1_000, true), probe(5_000, true), probe(9_000, true), probe(13_000, false)])
    history.recordProbe(p);

  it.each([
    ["the newest reading strictly before now", 12_001, 60, 12_000],
    ["unreadable readings are ignored", 10_000, 60, 5_000],
    ["nothing within the lookback", 12_000, 2, null],
    ["a reading at the boundary of the lookback counts", 6_000, 5, 5_000],
    ["nothing before the first reading", 1_000, 60, null],
  ])("%s", async (_name, nowMs, lookbackSeconds, expectedAtMs) => {
    const found = await history.lagEvidence(nowMs, lookbackSeconds);
    expect(found.lastHealthyLag?.atMs ?? null).toBe(expectedAtMs);
  });

  it("dates the primary's last answer and the first failure seen after it to the millisecond", async () => {
    await expect(history.lagEvidence(20_000, 60)).resolves.toMatchObject({
      primaryLastAnsweredAtMs: 9_001,
      failureFirstSeenAtMs: 13_001,
    });
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
