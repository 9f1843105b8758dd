import type { ScenarioName } from "./args";
import type { EvaluationRecord, ScenarioCheck, ScenarioFigures } from "./report";

/** What a scenario does and what must come of it. */
export interface ScenarioDefinition {
  readonly name: ScenarioName;
  readonly description: string;
  readonly expectation: string;
  /** True when the replica must be promoted and `writer` moved to it. */
  readonly promotionExpected: boolean;
  /** True for the planned switchover, which an operator requests (no monitor trigger). */
  readonly planned: boolean;
}

/** The scenarios, by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioDefinition>> = {
  crash: {
    name: "crash",
    description: "the primary is killed with SIGKILL (a lost host)",
    expectation: "detect, promote the replica, move writer, writes resume; every lost commit is listed",
    promotionExpected: true,
    planned: false,
  },
  stop: {
    name: "stop",
    description: "the primary is shut down immediately (pg_ctl stop -m immediate)",
    expectation: "detect, promote the replica, move writer, writes resume; every lost commit is listed",
    promotionExpected: true,
    planned: false,
  },
  blip: {
    name: "blip",
    description: "the primary is frozen with SIGSTOP for less than the detection window, then resumed",
    expectation: "no failover: too few consecutive probes fail; writes resume on the primary",
    promotionExpected: false,
    planned: false,
  },
  "lagging-replica": {
    name: "lagging-replica",
    description:
      "replay is paused on the replica until its lag exceeds the limit, then the primary is killed",
    expectation: "no automatic promotion (it would lose data): the lag guard blocks it and alerts a human",
    promotionExpected: false,
    planned: false,
  },
  partition: {
    name: "partition",
    description: "the monitor loses its network path to the primary, which stays healthy and writable",
    expectation: "no promotion (no second signal: the primary is available); a critical alert is sent",
    promotionExpected: false,
    planned: false,
  },
  switchover: {
    name: "switchover",
    description: "planned switchover: fence the primary, wait for the replica to replay everything, promote",
    expectation: "replica promoted, writer moved, zero lost commits",
    promotionExpected: true,
    planned: true,
  },
};

/** What the checks look at, gathered by the runner after a scenario. */
export interface ScenarioFacts {
  readonly figures: ScenarioFigures;
  readonly evaluations: readonly EvaluationRecord[];
  readonly notificationEvents: readonly string[];
  readonly writerInitial: string;
  readonly writerFinal: string | null;
  /** The replica's endpoint: where `writer` must point after a promotion. */
  readonly replicaEndpoint: string;
  /** Failed write attempts that started after the fault. */
  readonly writeFailuresAfterFault: number;
}

const check = (name: string, passed: boolean, detail: string): ScenarioCheck => ({ name, passed, detail });

/** The pass/fail checks of a scenario's outcome. Pure; each check says what it saw. */
export function checkScenario(name: ScenarioName, facts: ScenarioFacts): ScenarioCheck[] {
  const { figures: f, writerFinal } = facts;
  const errors = facts.evaluations.filter((e) => e.error !== undefined);
  const checks: ScenarioCheck[] = [];
  const promotedOnce = check("replica promoted once", f.promotions === 1, `${f.promotions} promotion(s)`);
  const noPromotion = check("no promotion", f.promotions === 0, `${f.promotions} promotion(s)`);
  const writerMoved = check(
    "writer moved to the promoted replica",
    writerFinal === facts.replicaEndpoint,
    `writer → ${writerFinal ?? "missing"} (replica ${facts.replicaEndpoint})`,
  );
  const writerKept = check(
    "writer unchanged",
    writerFinal === facts.writerInitial,
    `writer → ${writerFinal ?? "missing"} (initially ${facts.writerInitial})`,
  );
  const writesResumed = check(
    "writes resumed through writer",
    f.rtoSeconds !== null,
    f.rtoSeconds === null
      ? "no write was acknowledged after the fault"
      : `first write ${f.rtoSeconds} s after the fault`,
  );
  const engineClean = check(
    "engine reported no error",
    errors.length === 0,
    errors.length === 0 ? "no evaluation returned an error" : errors.map((e) => e.error).join("; "),
  );
  switch (name) {
    case "crash":
    case "stop":
      checks.push(promotedOnce, writerMoved, writesResumed, engineClean);
      checks.push(
        check(
          "lost commits checked row by row",
          f.lostCommits !== null,
          f.lostCommits === null
            ? "the promoted server could not be read"
            : `${f.lostCommits} of ${f.ackedCommits} acknowledged commits missing`,
        ),
      );
      break;
    case "blip":
      checks.push(noPromotion, writerKept, writesResumed, engineClean);
      break;
    case "lagging-replica": {
      const blockedByLag = facts.evaluations.some(
        (e) => e.decision.kind === "blocked" && e.decision.guard === "replication-lag",
      );
      checks.push(noPromotion, writerKept);
      checks.push(
        check(
          "blocked by the replication-lag guard",
          blockedByLag,
          blockedByLag
            ? "a blocked decision named the replication-lag guard"
            : "no decision was blocked by the lag guard",
        ),
        check(
          "a human was alerted",
          facts.notificationEvents.includes("failover-blocked"),
          `notifications: ${facts.notificationEvents.join(", ") || "none"}`,
        ),
      );
      break;
    }
    case "partition": {
      const critical = facts.evaluations.some(
        (e) => e.decision.kind === "alert-only" && e.decision.severity === "critical",
      );
      checks.push(noPromotion, writerKept, engineClean);
      checks.push(
        check(
          "critical alert without failover",
          critical,
          critical
            ? "an alert-only decision with severity critical was made"
            : "no critical alert-only decision",
        ),
        check(
          "clients kept writing",
          facts.writeFailuresAfterFault === 0,
          `${facts.writeFailuresAfterFault} failed write attempts after the fault`,
        ),
      );
      break;
    }
    case "switchover":
      checks.push(promotedOnce, writerMoved, writesResumed, engineClean);
      checks.push(
        check(
          "zero lost commits",
          f.lostCommits === 0,
          f.lostCommits === null ? "the promoted server could not be read" : `${f.lostCommits} lost`,
        ),
      );
      break;
  }
  return checks;
}
