import * as fs from "node:fs";
import * as path from "node:path";

import type { EvaluationRecord, ScenarioCheck, ScenarioFigures } from "../../lib/drill/report";
import {
  SCENARIO_NAMES,
  SCENARIOS,
  scenarioNamed,
  type ApprovalFacts,
  type DrillScenario,
  type RestoreFacts,
  type RestoreTestFacts,
  type ScenarioFacts,
  type ScenarioName,
} from "../../lib/drill/scenarios";
import type { ExecutionRecord } from "../../lib/drill/workflow";
import type { Decision } from "../../lib/lambda/core/types";
import type { RestoreTestReport } from "../../lib/lambda/core/restore-test";

const figures: ScenarioFigures = {
  detectionSeconds: 2.9,
  promotionSeconds: 0.1,
  orchestrationMs: 90,
  writerSwitchedSeconds: 3.1,
  rtoSeconds: 3.2,
  lostCommits: 0,
  lostCommitSeqs: [],
  dataLossWindowSeconds: 1,
  measuredDataLossWindowSeconds: 0,
  falseFailovers: 0,
  promotions: 1,
  ackedCommits: 600,
  inDoubtCommits: 1,
};
const evaluationOf = (decision: Decision, error?: string): EvaluationRecord => ({
  startedAtMs: 1,
  finishedAtMs: 2,
  trigger: "monitor",
  decision,
  acted: false,
  lastProbeAtMs: 1,
  lastHealthyLagSeconds: 1,
  ...(error ? { error } : {}),
});
const execution = (over: Partial<ExecutionRecord> = {}): ExecutionRecord => ({
  name: "failover-pg-replica-created-20260101T000000000Z",
  arn: "arn:aws:states:ap-southeast-1:000000000000:execution:sfn-failover-drill:failover-pg-replica-created-20260101T000000000Z",
  status: "SUCCEEDED",
  startedAtMs: 10,
  stoppedAtMs: 20,
  statesVisited: ["Begin", "Route", "NotifyStart", "PromoteReplica", "SwitchWriter", "FailoverSucceeded"],
  transitions: 6,
  error: null,
  cause: null,
  ...over,
});
const failover: ScenarioFacts = {
  figures,
  evaluations: [],
  notificationEvents: ["failover-started", "failover-succeeded"],
  writerInitial: "127.0.0.1:1",
  writerFinal: "127.0.0.1:2",
  replicaEndpoint: "127.0.0.1:2",
  writeFailuresAfterFault: 40,
  executions: [execution()],
  promoteCalledAtMs: 15,
  approval: null,
  restore: null,
};
const kept: ScenarioFacts = {
  ...failover,
  figures: { ...figures, promotions: 0, rtoSeconds: 1.5 },
  writerFinal: "127.0.0.1:1",
  notificationEvents: [],
  writeFailuresAfterFault: 0,
  executions: [],
  promoteCalledAtMs: null,
};
const failedExecution = execution({
  status: "FAILED",
  error: "FailoverFailed",
  cause: "promote-replica failed",
  statesVisited: ["Begin", "Route", "PromoteReplica", "RollBack", "FailoverFailed"],
});
const blockedByLag = evaluationOf({ kind: "blocked", guard: "replication-lag", reason: "lag 7 s > 5 s" });
const approvedFacts: ApprovalFacts = {
  requestedAtMs: 5,
  approvedAtMs: 8,
  approvedBy: "drill-operator",
  promotionsBeforeApproval: 0,
  writerAtApproval: "127.0.0.1:1",
  recordedApprovedBy: "drill-operator",
};
const approvedExecution = execution({
  statesVisited: [
    "Begin",
    "Route",
    "RequestApproval",
    "Reassess",
    "Route",
    "PromoteReplica",
    "SwitchWriter",
    "FailoverSucceeded",
  ],
});
/** The lag guard blocked, the operator approved, the failover completed. */
const approved: ScenarioFacts = {
  ...failover,
  evaluations: [blockedByLag],
  notificationEvents: ["failover-blocked", "failover-started", "failover-succeeded"],
  executions: [approvedExecution],
  promoteCalledAtMs: 9,
  approval: approvedFacts,
};
const restoredRecord: RestoreFacts = {
  restores: 1,
  restoredEndpoint: "127.0.0.1:3",
  latestRestorableTimeMs: 12,
  restoreSeconds: 0.3,
  lostBeforeRestorePoint: 0,
};
const restoreTestReport: RestoreTestReport = {
  id: "restore-test-test-20260101T000000",
  kind: "restore-test",
  outcome: "succeeded",
  instanceId: "pg-restore-test",
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:02.000Z",
  backupsArn: "local:dr-backups",
  latestRestorableTime: "2026-01-01T00:00:00.000Z",
  restoreCalledAt: "2026-01-01T00:00:00.100Z",
  availableAt: "2026-01-01T00:00:00.500Z",
  deletedAt: "2026-01-01T00:00:01.000Z",
  figures: { restoreDurationSeconds: 0.4, dataAgeSeconds: 0.2, rowCount: 1 },
  check: { newestHeartbeatAt: "2025-12-31T23:59:59.800Z", rowCount: 1, user: "tap_monitor" },
  leftoverDeleted: null,
};
const restoreTestRun = (status: string): ExecutionRecord =>
  execution({ name: "restore-test-test-20260101T000000", status, statesVisited: ["Mode", "PrepareTest"] });
const restoreTestFacts: RestoreTestFacts = {
  executions: [restoreTestRun("SUCCEEDED"), execution({ name: "restore-test-freshness-20260101T000002" })],
  restores: 1,
  report: restoreTestReport,
  tornDown: true,
  tornDownDetail: "stopped and /tmp/x/restored removed",
  ageHours: 0,
};
/** The weekly restore test on a healthy cluster: nothing failed over, writes went on. */
const restoreTested: ScenarioFacts = { ...kept, restoreTest: restoreTestFacts };
/** Both instances lost, a writer restored by point-in-time recovery, writes resumed on it. */
const restoredFacts: ScenarioFacts = {
  ...failover,
  figures: { ...figures, promotions: 0, lostCommits: 1, lostCommitSeqs: [7] },
  writerFinal: "127.0.0.1:3",
  promoteCalledAtMs: null,
  restore: restoredRecord,
};
const criticalAlert = evaluationOf({ kind: "alert-only", severity: "critical", reason: "no second signal" });

const checkScenario = (name: ScenarioName, facts: ScenarioFacts): ScenarioCheck[] =>
  scenarioNamed(name).checks(facts);
const failed = (name: ScenarioName, facts: ScenarioFacts): string[] =>
  checkScenario(name, facts)
    .filter((c) => !c.passed)
    .map((c) => c.name);

/** Each scenario's outcome as it should be: a new scenario must add its own (the record is exhaustive). */
const REPRESENTATIVE: Record<ScenarioName, ScenarioFacts> = {
  crash: failover,
  stop: failover,
  blip: kept,
  "lagging-replica": approved,
  partition: { ...kept, evaluations: [criticalAlert] },
  switchover: failover,
  "region-lost": restoredFacts,
  "restore-test": restoreTested,
};

describe("the scenario registry", () => {
  const folder = path.join(__dirname, "../../lib/drill/scenarios");
  /** The registry's own modules; every other file in the folder is one scenario. */
  const SHARED = ["index.ts", "types.ts", "checks.ts"];
  const scenarioFiles = fs
    .readdirSync(folder)
    .filter((f) => f.endsWith(".ts") && !SHARED.includes(f))
    .sort();

  it("runs the scenarios in the documented order (--all, the report, the chart)", () => {
    expect(SCENARIO_NAMES).toEqual([
      "crash",
      "stop",
      "blip",
      "lagging-replica",
      "partition",
      "switchover",
      "region-lost",
      "restore-test",
    ]);
    expect(SCENARIOS.map((s) => s.name)).toEqual(SCENARIO_NAMES);
  });

  it("has unique names", () => {
    expect(new Set(SCENARIO_NAMES).size).toBe(SCENARIO_NAMES.length);
  });

  it("registers every scenario file, each exporting the scenario its file is named after", () => {
    expect(scenarioFiles.map((f) => f.replace(/\.ts$/, ""))).toEqual([...SCENARIO_NAMES].sort());
    for (const file of scenarioFiles) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exported = Object.values(require(path.join(folder, file)) as Record<string, unknown>).filter(
        (v): v is DrillScenario =>
          typeof v === "object" && v !== null && "checks" in v && "inject" in v && "name" in v,
      );
      expect(exported).toHaveLength(1);
      expect(exported[0].name).toBe(file.replace(/\.ts$/, ""));
      expect(scenarioNamed(exported[0].name as ScenarioName)).toBe(exported[0]);
    }
  });

  it.each([...SCENARIO_NAMES])("%s has checks of its own, all passed by the outcome it expects", (name) => {
    const checks = checkScenario(name, REPRESENTATIVE[name]);
    expect(checks.length).toBeGreaterThan(0);
    expect(new Set(checks.map((c) => c.name)).size).toBe(checks.length);
    expect(checks.filter((c) => !c.passed)).toEqual([]);
  });

  it("finds a registered scenario by name and refuses an unknown one", () => {
    expect(scenarioNamed("partition").description).toContain("monitor loses its network path");
    expect(() => scenarioNamed("meteor" as ScenarioName)).toThrow('no scenario is registered as "meteor"');
  });

  const shapes: [ScenarioName, DrillScenario["outcome"], boolean, boolean, boolean, string | undefined][] = [
    ["crash", "promotion", false, true, false, undefined],
    ["stop", "promotion", false, true, false, undefined],
    ["blip", "observe", false, true, false, undefined],
    ["lagging-replica", "promotion", true, false, false, undefined],
    ["partition", "observe", false, true, true, undefined],
    ["switchover", "promotion", false, false, false, "switchover requested"],
    ["region-lost", "restore", false, true, false, undefined],
    ["restore-test", "restore-test", false, true, false, "restore test starts"],
  ];
  it.each(shapes)(
    "%s: waits for %s; approval %s, recovery targets %s, a fault to clear %s, requested as %s",
    (name, outcome, approval, targets, clears, requested) => {
      const s = scenarioNamed(name);
      expect(s.outcome).toBe(outcome);
      expect(s.approval).toBe(approval);
      expect(s.targets).toBe(targets);
      expect(s.clear !== undefined).toBe(clears);
      expect(s.requested).toBe(requested);
    },
  );
});

describe("each scenario's checks", () => {
  const table: [string, ScenarioName, ScenarioFacts, string[]][] = [
    ["crash that failed over cleanly", "crash", failover, []],
    [
      "stop that never promoted",
      "stop",
      kept,
      ["replica promoted once", "writer moved to the promoted replica", "one workflow execution, succeeded"],
    ],
    [
      "crash whose promoted server could not be read",
      "crash",
      { ...failover, figures: { ...figures, lostCommits: null } },
      ["lost commits checked row by row"],
    ],
    [
      "crash where the engine returned an error",
      "crash",
      { ...failover, evaluations: [evaluationOf({ kind: "none", reason: "x" }, "fence failed")] },
      ["engine reported no error"],
    ],
    [
      "crash whose workflow failed after the promotion",
      "crash",
      { ...failover, executions: [failedExecution] },
      ["one workflow execution, succeeded"],
    ],
    [
      "crash that started a second execution",
      "crash",
      { ...failover, executions: [execution(), execution({ name: "failover-again" })] },
      ["one workflow execution, succeeded"],
    ],
    [
      "crash where no execution was started",
      "crash",
      { ...failover, executions: [] },
      ["one workflow execution, succeeded"],
    ],
    ["blip that rode it out", "blip", kept, []],
    [
      "blip that failed over (a false failover)",
      "blip",
      failover,
      ["no promotion", "writer unchanged", "no workflow execution"],
    ],
    ["lagging replica blocked, approved, failed over", "lagging-replica", approved, []],
    [
      "lagging replica blocked silently",
      "lagging-replica",
      { ...approved, notificationEvents: ["failover-started", "failover-succeeded"] },
      ["a human was alerted"],
    ],
    [
      "lagging replica blocked for another reason",
      "lagging-replica",
      {
        ...approved,
        evaluations: [evaluationOf({ kind: "blocked", guard: "replica-unhealthy", reason: "x" })],
      },
      ["blocked by the replication-lag guard"],
    ],
    [
      "lagging replica promoted before the operator answered",
      "lagging-replica",
      { ...approved, promoteCalledAtMs: 6, approval: { ...approvedFacts, promotionsBeforeApproval: 1 } },
      ["nothing changed while waiting for the approval", "promoted only after the approval"],
    ],
    [
      "lagging replica whose writer moved while waiting",
      "lagging-replica",
      { ...approved, approval: { ...approvedFacts, writerAtApproval: "127.0.0.1:2" } },
      ["nothing changed while waiting for the approval"],
    ],
    [
      "lagging replica that never waited for an approval (promoted automatically)",
      "lagging-replica",
      { ...approved, approval: null, executions: [execution()] },
      [
        "nothing changed while waiting for the approval",
        "promoted only after the approval",
        "the approval was carried out",
      ],
    ],
    [
      "lagging replica whose execution recorded another approver",
      "lagging-replica",
      { ...approved, approval: { ...approvedFacts, recordedApprovedBy: null } },
      ["the approval was carried out"],
    ],
    [
      "lagging replica approved but the failover ended in NothingToDo",
      "lagging-replica",
      {
        ...approved,
        figures: { ...figures, promotions: 0, rtoSeconds: null },
        writerFinal: "127.0.0.1:1",
        promoteCalledAtMs: null,
        executions: [
          execution({
            statesVisited: ["Begin", "Route", "RequestApproval", "Reassess", "Route", "NothingToDo"],
          }),
        ],
      },
      [
        "promoted only after the approval",
        "the approval was carried out",
        "replica promoted once",
        "writer moved to the promoted replica",
        "writes resumed through writer",
      ],
    ],
    ["partition with a critical alert", "partition", { ...kept, evaluations: [criticalAlert] }, []],
    [
      "partition that started a workflow execution",
      "partition",
      { ...kept, evaluations: [criticalAlert], executions: [failedExecution] },
      ["no workflow execution"],
    ],
    [
      "partition where clients could not write",
      "partition",
      { ...kept, evaluations: [criticalAlert], writeFailuresAfterFault: 3 },
      ["clients kept writing"],
    ],
    [
      "partition with only a warning",
      "partition",
      {
        ...kept,
        evaluations: [evaluationOf({ kind: "alert-only", severity: "warning", reason: "suspect" })],
      },
      ["critical alert without failover"],
    ],
    ["switchover without loss", "switchover", failover, []],
    [
      "switchover whose workflow rolled back",
      "switchover",
      { ...failover, executions: [failedExecution] },
      ["one workflow execution, succeeded"],
    ],
    [
      "switchover that lost a commit",
      "switchover",
      { ...failover, figures: { ...figures, lostCommits: 1, lostCommitSeqs: [9] } },
      ["zero lost commits"],
    ],
    ["region lost, restored, only commits after the restore point lost", "region-lost", restoredFacts, []],
    [
      "region lost and the replica promoted instead",
      "region-lost",
      { ...restoredFacts, figures: { ...restoredFacts.figures, promotions: 1 } },
      ["no promotion"],
    ],
    [
      "region lost, restored twice",
      "region-lost",
      { ...restoredFacts, restore: { ...restoredRecord, restores: 2 } },
      ["restored once"],
    ],
    [
      "region lost, writer left on the dead primary",
      "region-lost",
      { ...restoredFacts, writerFinal: "127.0.0.1:1" },
      ["writer moved to the restored instance"],
    ],
    [
      "region lost, a commit acknowledged before the restore point missing",
      "region-lost",
      { ...restoredFacts, restore: { ...restoredRecord, lostBeforeRestorePoint: 1 } },
      ["only commits after the restore point lost"],
    ],
    ["restore test passed, cluster undisturbed", "restore-test", restoreTested, []],
    [
      "restore test whose execution failed and left its instance",
      "restore-test",
      {
        ...restoreTested,
        restoreTest: {
          ...restoreTestFacts,
          executions: [restoreTestRun("FAILED")],
          report: { ...restoreTestReport, outcome: "failed", check: null },
          tornDown: false,
          tornDownDetail: "the restored node still runs",
          ageHours: null,
        },
      },
      [
        "restore test succeeded, then freshness reported",
        "check query read the heartbeat rows as the monitor's role",
        "temporary instance torn down",
        "freshness counts from the new success",
      ],
    ],
    [
      "restore test that disturbed the cluster (a failover, failed writes)",
      "restore-test",
      { ...restoreTested, writeFailuresAfterFault: 2, executions: [failedExecution] },
      ["no workflow execution", "clients kept writing"],
    ],
    [
      "region lost and nothing restored",
      "region-lost",
      { ...restoredFacts, restore: null, writerFinal: "127.0.0.1:1", executions: [] },
      [
        "restored once",
        "writer moved to the restored instance",
        "one workflow execution, succeeded",
        "only commits after the restore point lost",
      ],
    ],
  ];
  it.each(table)("%s", (_name, scenario, facts, expectedFailures) => {
    expect(failed(scenario, facts)).toEqual(expectedFailures);
  });

  it("says what it saw in each check", () => {
    expect(checkScenario("crash", { ...failover, executions: [failedExecution] })).toContainEqual({
      name: "one workflow execution, succeeded",
      passed: false,
      detail:
        "failover-pg-replica-created-20260101T000000000Z FAILED (FailoverFailed: promote-replica failed)",
    });
    expect(checkScenario("lagging-replica", approved)).toEqual(
      expect.arrayContaining([
        {
          name: "nothing changed while waiting for the approval",
          passed: true,
          detail: "waited 3 ms in RequestApproval: 0 promotion(s), writer → 127.0.0.1:1",
        },
        {
          name: "promoted only after the approval",
          passed: true,
          detail: "pg_promote() 1 ms after the approval",
        },
        {
          name: "the approval was carried out",
          passed: true,
          detail:
            "approved by drill-operator; the execution recorded drill-operator and visited RequestApproval, Reassess, SwitchWriter",
        },
      ]),
    );
    expect(checkScenario("crash", failover)).toContainEqual({
      name: "lost commits checked row by row",
      passed: true,
      detail: "0 of 600 acknowledged commits missing",
    });
    expect(checkScenario("partition", { ...kept, writeFailuresAfterFault: 3 })).toContainEqual({
      name: "clients kept writing",
      passed: false,
      detail: "3 failed write attempts after the fault",
    });
  });
});
