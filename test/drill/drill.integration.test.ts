/**
 * Every drill scenario on real PostgreSQL 14 (primary + streaming replica on loopback), through
 * the same runMonitor → evaluateAndAct code the Lambda functions run, the decision carried out by
 * the deployed failover state machine (run locally) whose tasks are the real step-runner handler.
 * One run of every scenario (about 100 s); each test then checks one scenario's outcome.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { DRILL_POLICY, parseDrillArgs, SCENARIO_NAMES, type ScenarioName } from "../../lib/drill/args";
import type { DrillReport, ScenarioReport } from "../../lib/drill/report";
import { APPROVAL_TASK_OUTPUT, DRILL_OPERATOR, runDrill } from "../../lib/drill/runner";
import type { FailoverReport } from "../../lib/lambda/core/ports";
import { STATES } from "../../lib/workflow/definition";

jest.setTimeout(240_000);

let outDir: string;
let clusterBase: string;
let report: DrillReport;
const byName = (name: ScenarioName): ScenarioReport => {
  const found = report.scenarios.find((s) => s.name === name);
  if (!found) throw new Error(`scenario ${name} missing from the report`);
  return found;
};

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-out-"));
  clusterBase = fs.mkdtempSync(path.join(os.tmpdir(), "drill-clusters-"));
  fs.chmodSync(clusterBase, 0o755); // PostgreSQL runs as an unprivileged user when we are root.
  // Shorter watch windows and a lower lag guard than the CLI defaults keep the suite fast; the
  // watch window still spans more than one monitor run.
  const options = parseDrillArgs([
    "--all",
    "--observe",
    "4",
    "--warmup",
    "0",
    "--max-lag",
    "3",
    "--json",
    path.join(outDir, "copy", "drill.json"),
  ]);
  report = await runDrill(options, { outDir, cluster: { baseDir: clusterBase } });
});

afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.rmSync(clusterBase, { recursive: true, force: true });
});

describe("npm run drill --all on real PostgreSQL 14", () => {
  it("runs every scenario in order with the drill policy and PostgreSQL 14", () => {
    expect(report.scenarios.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    expect(report.settings.policy).toEqual({ ...DRILL_POLICY, maxReplicationLagSeconds: 3 });
    expect(report.settings.postgresVersion).toMatch(/^14\./);
  });

  it.each([...SCENARIO_NAMES])("%s passes every check and cleans up completely", (name) => {
    const s = byName(name);
    expect(s.error).toBeUndefined();
    expect(s.checks.filter((c) => !c.passed)).toEqual([]);
    expect(s.cleanup.complete).toBe(true);
    expect(s.passed).toBe(true);
  });

  it("restore-test: the restore-test machine restored, checked and removed a temporary instance; nothing failed over", () => {
    const s = byName("restore-test");
    expect(s.executions).toEqual([]);
    expect(s.writer.final).toBe(s.writer.initial);
    const rt = s.restoreTest!;
    expect(rt.executions.map((e) => e.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(rt.executions[0].statesVisited).toEqual(
      expect.arrayContaining([
        "StartRestore",
        "CheckRestoreAvailable",
        "RunCheckQuery",
        "DeleteTestInstance",
        "ReportSuccess",
      ]),
    );
    expect(rt.restoreDurationSeconds).toBeGreaterThan(0);
    expect(rt.dataAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(rt.rowCount).toBeGreaterThanOrEqual(1);
    const stored = JSON.parse(fs.readFileSync(rt.reportLocation!, "utf8")) as { outcome: string };
    expect(stored.outcome).toBe("succeeded");
  });

  it.each(["blip", "partition"] as const)("%s: starts no workflow execution", (name) => {
    expect(byName(name).executions).toEqual([]);
  });

  it.each(["crash", "stop", "lagging-replica", "switchover"] as const)(
    "%s: one workflow execution carried the failover out, through the deployed states",
    (name) => {
      const s = byName(name);
      expect(s.executions).toHaveLength(1);
      const e = s.executions[0];
      expect(e.status).toBe("SUCCEEDED");
      expect(e.name).toMatch(
        name === "switchover" ? /^switchover-pg-replica-\d{8}T\d{4}$/ : /^failover-pg-replica-created-/,
      );
      expect(e.error).toBeNull();
      // Begin → Route → … → PromoteReplica, at least one promotion check, SwitchWriter, … → FailoverSucceeded.
      expect(e.statesVisited.slice(0, 2)).toEqual([STATES.begin, STATES.route]);
      expect(e.statesVisited.at(-1)).toBe(STATES.succeeded);
      const order = [
        STATES.promote,
        STATES.checkWritable,
        STATES.switchWriter,
        STATES.writeReport,
        STATES.notifySuccess,
      ];
      const at = order.map((state) => e.statesVisited.indexOf(state));
      expect(at.every((i) => i >= 0)).toBe(true);
      expect([...at].sort((a, b) => a - b)).toEqual(at);
      expect(e.statesVisited.filter((state) => state === STATES.promote)).toHaveLength(1);
      // Every state entered is a billed transition (no task was retried in the drill).
      expect(e.transitions).toBe(e.statesVisited.length);
      const events = s.timeline.map((ev) => ev.event);
      expect(events).toContain("execution-started");
      expect(events).toContain("execution-closed");
      // The report the WriteReport step stored, read back: the drill's figures come from its timeline.
      const stored = JSON.parse(fs.readFileSync(s.engineReportLocation!, "utf8")) as FailoverReport;
      expect(stored.kind).toBe("drill");
      expect(stored.outcome).toBe("succeeded");
      const at2 = (event: string) => stored.timeline.find((t) => t.event === event)!.atMs;
      const promotionMs = at2("promoted") - at2("promote-requested");
      expect(s.figures!.promotionSeconds).toBe(Math.round(promotionMs) / 1000);
      // Overhead = (writer switched − the decision the promotion followed) − the promotion.
      const decidedAtMs = stored.timeline
        .filter((t) => t.event === "decision" && t.atMs <= at2("promote-requested"))
        .at(-1)!.atMs;
      expect(s.figures!.orchestrationMs).toBe(Math.round(at2("writer-switched") - decidedAtMs - promotionMs));
      expect(s.figures!.orchestrationMs!).toBeGreaterThanOrEqual(0);
    },
  );

  it("leaves no cluster directory behind", () => {
    expect(fs.readdirSync(clusterBase)).toEqual([]);
  });

  it.each(["crash", "stop"] as const)("%s: promotes once, moves writer, lists lost commits", (name) => {
    const s = byName(name);
    const f = s.figures!;
    expect(s.promoted).toBe(true);
    expect(f.promotions).toBe(1);
    expect(s.writer.final).not.toBe(s.writer.initial);
    const promote = s.decisions.find((d) => d.kind === "promote-replica");
    expect(promote?.trigger).toBe("monitor");
    expect(promote?.reason).toContain("3 consecutive probes of the primary pg-primary failed");
    expect(promote?.reason).toContain(name === "crash" ? "process exited" : "shut down (immediate)");
    // Lost commits are counted row by row; the list and the count agree.
    expect(f.lostCommits).not.toBeNull();
    expect(f.lostCommitSeqs).toHaveLength(f.lostCommits!);
    expect(f.falseFailovers).toBe(0);
    // The workflow's WriteReport step stored the audit report in the run's folder.
    expect(s.engineReportLocation).toMatch(new RegExp(`${name}/reports/drill/pg-replica-created-.*\\.json$`));
    expect(fs.existsSync(s.engineReportLocation!)).toBe(true);
    const events = s.timeline.map((e) => e.event);
    for (const event of [
      "fault-injected",
      "probe",
      "decision",
      "fence-skipped",
      "promote-called",
      "promoted",
      "writer-switched",
      "first-write",
    ]) {
      expect(events).toContain(event);
    }
  });

  it.each(["crash", "stop"] as const)("%s: figures are consistent with each other", (name) => {
    const f = byName(name).figures!;
    // Three failed probes one second apart: the failure cannot be confirmed sooner than 2 s after the fault.
    expect(f.detectionSeconds!).toBeGreaterThanOrEqual(2);
    expect(f.writerSwitchedSeconds!).toBeGreaterThan(f.detectionSeconds!);
    expect(f.rtoSeconds!).toBeGreaterThanOrEqual(f.writerSwitchedSeconds!);
    expect(f.promotionSeconds!).toBeGreaterThan(0);
    expect(f.orchestrationMs!).toBeGreaterThanOrEqual(0);
  });

  it("blip: no promotion, writer unchanged, writes resume on the primary, nothing lost", () => {
    const s = byName("blip");
    expect(s.promoted).toBe(false);
    expect(s.writer.final).toBe(s.writer.initial);
    expect(s.decisions.some((d) => d.kind === "promote-replica" || d.kind === "blocked")).toBe(false);
    expect(s.figures!.lostCommits).toBe(0);
    expect(s.figures!.rtoSeconds!).toBeGreaterThanOrEqual(1);
    expect(s.timeline.map((e) => e.event)).toContain("fault-cleared");
  });

  it("lagging-replica: blocked by the lag guard, waits for the operator, fails over on the approval", () => {
    const s = byName("lagging-replica");
    const blocked = s.decisions.filter((d) => d.kind === "blocked");
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked[0].reason).toContain("more than the 3 s limit; failing over would lose up to");
    // The blocked decision started the execution that waits; later evaluations only reported it.
    expect(blocked[0].acted).toBe(true);
    expect(blocked.slice(1).every((d) => !d.acted)).toBe(true);
    const alert = s.notifications.find((n) => n.event === "failover-blocked");
    expect(alert?.severity).toBe("critical");
    expect(alert?.subject).toContain("approve or reject pg-replica");
    // The operator approved with the alert's command, after the alert and before any promotion.
    expect(APPROVAL_TASK_OUTPUT).toBe(`{"approvedBy":"${DRILL_OPERATOR}"}`);
    const event = (name: string) => s.timeline.find((e) => e.event === name);
    expect(event("approved")?.detail).toBe(`send-task-success --task-output '${APPROVAL_TASK_OUTPUT}'`);
    expect(event("approval-requested")!.atMs).toBeGreaterThanOrEqual(alert!.atMs);
    expect(event("promote-called")!.atMs).toBeGreaterThan(event("approved")!.atMs);
    expect(s.executions[0].statesVisited.slice(0, 5)).toEqual([
      STATES.begin,
      STATES.route,
      STATES.requestApproval,
      STATES.reassess,
      STATES.route,
    ]);
    // The approved failover: promoted once, writer moved, writes resumed, the loss counted row by row.
    expect(s.promoted).toBe(true);
    expect(s.figures!.promotions).toBe(1);
    expect(s.figures!.falseFailovers).toBe(0);
    expect(s.writer.final).not.toBe(s.writer.initial);
    expect(s.figures!.rtoSeconds).not.toBeNull();
    expect(s.figures!.lostCommits).not.toBeNull();
    expect(s.figures!.dataLossWindowSeconds!).toBeGreaterThan(3);
    const stored = JSON.parse(fs.readFileSync(s.engineReportLocation!, "utf8")) as FailoverReport;
    expect(stored.timeline.find((t) => t.event === "approved")?.detail).toBe(
      `${DRILL_OPERATOR} approved the failover, accepting the data loss shown in the alert.`,
    );
    const sent = s.notifications.map((n) => n.event);
    expect(sent.indexOf("failover-blocked")).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf("failover-started")).toBeGreaterThan(sent.indexOf("failover-blocked"));
    expect(sent.indexOf("failover-succeeded")).toBeGreaterThan(sent.indexOf("failover-started"));
    // A person's wait is no automatic-failover target.
    expect(s.targets).toEqual([]);
  });

  it("partition: critical alert, no promotion, clients never stopped writing", () => {
    const s = byName("partition");
    expect(s.promoted).toBe(false);
    const alert = s.decisions.find((d) => d.kind === "alert-only");
    expect(alert?.reason).toContain("still reports the primary pg-primary as available");
    expect(s.notifications.some((n) => n.severity === "critical")).toBe(true);
    expect(s.figures!.lostCommits).toBe(0);
    // While the path is cut the probes time out (dropped packets), and only then.
    const restoredAt = s.timeline.find((e) => e.event === "fault-cleared")!.offsetSeconds;
    const duringCut = s.timeline.filter(
      (e) => e.event === "probe" && e.offsetSeconds > 0 && e.offsetSeconds < restoredAt,
    );
    expect(duringCut.length).toBeGreaterThanOrEqual(3);
    // Dropped packets show as timeouts (a probe stalled at the moment of the restore may end in a reset).
    expect(duringCut.filter((e) => e.detail.startsWith("timeout")).length).toBeGreaterThanOrEqual(3);
    expect(s.timeline.filter((e) => e.event === "probe" && e.offsetSeconds < 0).every((e) => e.ok)).toBe(
      true,
    );
  });

  it("switchover: planned, zero lost commits, old primary fenced", () => {
    const s = byName("switchover");
    const f = s.figures!;
    expect(s.promoted).toBe(true);
    expect(f.lostCommits).toBe(0);
    expect(f.lostCommitSeqs).toEqual([]);
    expect(f.ackedCommits).toBeGreaterThan(50);
    expect(s.decisions[0].trigger).toBe("manual:switchover");
    expect(s.decisions[0].reason).toContain("with zero data loss");
    const events = s.timeline.map((e) => e.event);
    expect(events).toContain("fenced");
    expect(events).toContain("caught-up");
    expect(s.executions[0].statesVisited).toEqual(
      expect.arrayContaining([STATES.fence, STATES.planned, STATES.checkCaughtUp, STATES.caughtUp]),
    );
    expect(s.targets).toEqual([]);
  });

  it("writes report.json, the --json copy and the SVG chart", () => {
    const written = JSON.parse(fs.readFileSync(path.join(outDir, "report.json"), "utf8")) as DrillReport;
    expect(written.schemaVersion).toBe(1);
    expect(written.scenarios).toHaveLength(SCENARIO_NAMES.length);
    // The restore test starts no failover execution (its own are under `restoreTest`).
    expect(written.scenarios.map((s) => s.executions.length)).toEqual([1, 1, 0, 1, 0, 1, 1, 0]);
    expect(fs.readFileSync(path.join(outDir, "copy", "drill.json"), "utf8")).toBe(
      fs.readFileSync(path.join(outDir, "report.json"), "utf8"),
    );
    const svg = fs.readFileSync(path.join(outDir, "timeline.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/class="scenario"/g)).toHaveLength(SCENARIO_NAMES.length);
    expect(fs.existsSync(path.join(outDir, "crash", "notifications.jsonl"))).toBe(true);
  });
});
