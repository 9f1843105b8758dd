/**
 * One drill run per test file, on real PostgreSQL 14 (primary + streaming replica on loopback),
 * through the same runMonitor → evaluateAndAct code the Lambda functions run, the decision carried
 * out by the deployed failover state machine (run locally) whose tasks are the real step-runner
 * handler:
 *
 * ```ts
 * const run = useDrillRun("crash");
 * itPassesAndCleansUp(run);
 * it("…", () => { expect(run.scenario().promoted).toBe(true); });
 * ```
 *
 * The run happens in `beforeAll` with the suite's shortened options (`DRILL_TEST_ARGS`); its output
 * and cluster folders are removed in `afterAll`. One file per scenario lets jest run them in parallel.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { parseDrillArgs, type ScenarioName } from "../../lib/drill/args";
import type { DrillReport, ScenarioReport } from "../../lib/drill/report";
import { runDrill } from "../../lib/drill/runner";
import type { FailoverReport } from "../../lib/lambda/core/ports";
import { STATES } from "../../lib/workflow/definition";

/**
 * Shorter watch windows and a lower lag guard than the CLI defaults keep the suite fast; the watch
 * window still spans more than one monitor run.
 */
export const DRILL_TEST_ARGS: readonly string[] = ["--observe", "4", "--warmup", "0", "--max-lag", "3"];

/**
 * Generous: one scenario takes 10–25 s alone (the regional loss's deadline has 60 s more), longer
 * with another scenario's cluster on the same cores.
 */
export const DRILL_RUN_TIMEOUT_MS = 240_000;

/** A finished drill run of one scenario, and the folders it used. */
export interface DrillRun {
  readonly name: ScenarioName;
  readonly report: () => DrillReport;
  /** The report of the run's only scenario. */
  readonly scenario: () => ScenarioReport;
  readonly outDir: () => string;
  /** The folder the run's clusters were created under (empty again after the run). */
  readonly clusterBase: () => string;
}

/**
 * Registers the hooks that run `npm run drill -- --scenario <name>` with `DRILL_TEST_ARGS` (plus
 * `extraArgs(outDir)`) and returns accessors for its outcome.
 */
export function useDrillRun(
  name: ScenarioName,
  extraArgs: (outDir: string) => string[] = () => [],
): DrillRun {
  let outDir: string | undefined;
  let clusterBase: string | undefined;
  let report: DrillReport | undefined;
  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), `drill-out-${name}-`));
    clusterBase = fs.mkdtempSync(path.join(os.tmpdir(), `drill-clusters-${name}-`));
    fs.chmodSync(clusterBase, 0o755); // PostgreSQL runs as an unprivileged user when we are root.
    const options = parseDrillArgs(["--scenario", name, ...DRILL_TEST_ARGS, ...extraArgs(outDir)]);
    report = await runDrill(options, { outDir, cluster: { baseDir: clusterBase } });
  }, DRILL_RUN_TIMEOUT_MS);
  afterAll(() => {
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
    if (clusterBase) fs.rmSync(clusterBase, { recursive: true, force: true });
  });
  const ran = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`the ${name} drill did not run; see the beforeAll error above`);
    return value;
  };
  return {
    name,
    report: () => ran(report),
    scenario: () => {
      const found = ran(report).scenarios.find((s) => s.name === name);
      if (!found) throw new Error(`scenario ${name} missing from the report`);
      return found;
    },
    outDir: () => ran(outDir),
    clusterBase: () => ran(clusterBase),
  };
}

/** The tests every scenario's run must pass: every check, a complete cleanup, no cluster folder left. */
export function itPassesAndCleansUp(run: DrillRun): void {
  it("runs only its scenario", () => {
    expect(run.report().settings.scenarios).toEqual([run.name]);
    expect(run.report().scenarios.map((s) => s.name)).toEqual([run.name]);
  });

  it("passes every check and cleans up completely", () => {
    const s = run.scenario();
    expect(s.error).toBeUndefined();
    expect(s.checks.filter((c) => !c.passed)).toEqual([]);
    expect(s.cleanup.complete).toBe(true);
    expect(s.passed).toBe(true);
  });

  it("leaves no cluster directory behind", () => {
    expect(fs.readdirSync(run.clusterBase())).toEqual([]);
  });
}

/**
 * One workflow execution carried the failover out, through the deployed states, and the drill's
 * figures come from the report its WriteReport step stored. `executionName` is the execution's
 * expected name.
 */
export function expectFailoverExecution(s: ScenarioReport, executionName: RegExp): void {
  expect(s.executions).toHaveLength(1);
  const e = s.executions[0];
  expect(e.status).toBe("SUCCEEDED");
  expect(e.name).toMatch(executionName);
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
}

/** The name of an execution the monitor's failover decision started. */
export const FAILOVER_EXECUTION = /^failover-pg-replica-created-/;

/**
 * A lost primary (`crash`, `stop`): promoted once on the monitor's decision, writer moved, lost
 * commits listed row by row, the audit report stored, every step on the timeline, and figures
 * consistent with each other. `cause` is what the decision's reason says the primary did.
 */
export function expectFailedOverFromLostPrimary(s: ScenarioReport, cause: string): void {
  const f = s.figures!;
  expect(s.promoted).toBe(true);
  expect(f.promotions).toBe(1);
  expect(s.writer.final).not.toBe(s.writer.initial);
  const promote = s.decisions.find((d) => d.kind === "promote-replica");
  expect(promote?.trigger).toBe("monitor");
  expect(promote?.reason).toContain("3 consecutive probes of the primary pg-primary failed");
  expect(promote?.reason).toContain(cause);
  // Lost commits are counted row by row; the list and the count agree.
  expect(f.lostCommits).not.toBeNull();
  expect(f.lostCommitSeqs).toHaveLength(f.lostCommits!);
  expect(f.falseFailovers).toBe(0);
  // The workflow's WriteReport step stored the audit report in the run's folder.
  expect(s.engineReportLocation).toMatch(new RegExp(`${s.name}/reports/drill/pg-replica-created-.*\\.json$`));
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
}

/** A lost primary's figures are consistent with each other and with the probe cadence. */
export function expectConsistentFigures(s: ScenarioReport): void {
  const f = s.figures!;
  // Three failed probes one second apart: the failure cannot be confirmed sooner than 2 s after the fault.
  expect(f.detectionSeconds!).toBeGreaterThanOrEqual(2);
  expect(f.writerSwitchedSeconds!).toBeGreaterThan(f.detectionSeconds!);
  expect(f.rtoSeconds!).toBeGreaterThanOrEqual(f.writerSwitchedSeconds!);
  expect(f.promotionSeconds!).toBeGreaterThan(0);
  expect(f.orchestrationMs!).toBeGreaterThanOrEqual(0);
}
