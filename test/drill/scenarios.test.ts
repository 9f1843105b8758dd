import type { ScenarioName } from "../../lib/drill/args";
import type { EvaluationRecord, ScenarioFigures } from "../../lib/drill/report";
import { checkScenario, type ScenarioFacts } from "../../lib/drill/scenarios";
import type { Decision } from "../../lib/lambda/core/types";

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
const failover: ScenarioFacts = {
  figures,
  evaluations: [],
  notificationEvents: ["failover-started", "failover-succeeded"],
  writerInitial: "127.0.0.1:1",
  writerFinal: "127.0.0.1:2",
  replicaEndpoint: "127.0.0.1:2",
  writeFailuresAfterFault: 40,
};
const kept: ScenarioFacts = {
  ...failover,
  figures: { ...figures, promotions: 0, rtoSeconds: 1.5 },
  writerFinal: "127.0.0.1:1",
  notificationEvents: [],
  writeFailuresAfterFault: 0,
};
const blockedByLag = evaluationOf({ kind: "blocked", guard: "replication-lag", reason: "lag 7 s > 5 s" });
const criticalAlert = evaluationOf({ kind: "alert-only", severity: "critical", reason: "no second signal" });

const failed = (name: ScenarioName, facts: ScenarioFacts): string[] =>
  checkScenario(name, facts)
    .filter((c) => !c.passed)
    .map((c) => c.name);

describe("checkScenario", () => {
  const table: [string, ScenarioName, ScenarioFacts, string[]][] = [
    ["crash that failed over cleanly", "crash", failover, []],
    [
      "stop that never promoted",
      "stop",
      kept,
      ["replica promoted once", "writer moved to the promoted replica"],
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
    ["blip that rode it out", "blip", kept, []],
    ["blip that failed over (a false failover)", "blip", failover, ["no promotion", "writer unchanged"]],
    [
      "lagging replica blocked with an alert",
      "lagging-replica",
      { ...kept, evaluations: [blockedByLag], notificationEvents: ["failover-blocked"] },
      [],
    ],
    [
      "lagging replica blocked silently",
      "lagging-replica",
      { ...kept, evaluations: [blockedByLag] },
      ["a human was alerted"],
    ],
    [
      "lagging replica blocked for another reason",
      "lagging-replica",
      {
        ...kept,
        evaluations: [evaluationOf({ kind: "blocked", guard: "replica-unhealthy", reason: "x" })],
        notificationEvents: ["failover-blocked"],
      },
      ["blocked by the replication-lag guard"],
    ],
    ["partition with a critical alert", "partition", { ...kept, evaluations: [criticalAlert] }, []],
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
      "switchover that lost a commit",
      "switchover",
      { ...failover, figures: { ...figures, lostCommits: 1, lostCommitSeqs: [9] } },
      ["zero lost commits"],
    ],
  ];
  it.each(table)("%s", (_name, scenario, facts, expectedFailures) => {
    expect(failed(scenario, facts)).toEqual(expectedFailures);
  });

  it("says what it saw in each check", () => {
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
