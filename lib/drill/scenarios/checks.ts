/**
 * Check builders shared by several scenarios. Each takes the facts the runner gathered and returns
 * one pass/fail check whose detail says what it saw; a scenario's own checks live in its file.
 */
import type { ScenarioCheck } from "../report";
import type { ExecutionRecord } from "../workflow";
import type { ScenarioFacts } from "./types";

/** One check: its name, whether it passed, and what it saw. */
export const check = (name: string, passed: boolean, detail: string): ScenarioCheck => ({
  name,
  passed,
  detail,
});

/** `name STATUS (error: cause)` for each execution, `; `-separated (empty when there is none). */
export function describeExecutions(executions: readonly ExecutionRecord[]): string {
  return executions
    .map((e) => `${e.name} ${e.status}${e.error ? ` (${e.error}: ${e.cause ?? ""})` : ""}`)
    .join("; ");
}

/** The replica was promoted exactly once. */
export const promotedOnce = ({ figures: f }: ScenarioFacts): ScenarioCheck =>
  check("replica promoted once", f.promotions === 1, `${f.promotions} promotion(s)`);

/** Nothing was promoted. */
export const noPromotion = ({ figures: f }: ScenarioFacts): ScenarioCheck =>
  check("no promotion", f.promotions === 0, `${f.promotions} promotion(s)`);

/** `writer` ends on the promoted replica. */
export const writerMoved = (facts: ScenarioFacts): ScenarioCheck =>
  check(
    "writer moved to the promoted replica",
    facts.writerFinal === facts.replicaEndpoint,
    `writer → ${facts.writerFinal ?? "missing"} (replica ${facts.replicaEndpoint})`,
  );

/** `writer` ends where it started. */
export const writerKept = (facts: ScenarioFacts): ScenarioCheck =>
  check(
    "writer unchanged",
    facts.writerFinal === facts.writerInitial,
    `writer → ${facts.writerFinal ?? "missing"} (initially ${facts.writerInitial})`,
  );

/** A write started after the fault was acknowledged through `writer`. */
export const writesResumed = ({ figures: f }: ScenarioFacts): ScenarioCheck =>
  check(
    "writes resumed through writer",
    f.rtoSeconds !== null,
    f.rtoSeconds === null
      ? "no write was acknowledged after the fault"
      : `first write ${f.rtoSeconds} s after the fault`,
  );

/** No evaluation of the engine returned an error. */
export const engineClean = (facts: ScenarioFacts): ScenarioCheck => {
  const errors = facts.evaluations.filter((e) => e.error !== undefined);
  return check(
    "engine reported no error",
    errors.length === 0,
    errors.length === 0 ? "no evaluation returned an error" : errors.map((e) => e.error).join("; "),
  );
};

/** Exactly one failover execution ran, and it succeeded. */
export const workflowSucceeded = (facts: ScenarioFacts): ScenarioCheck =>
  check(
    "one workflow execution, succeeded",
    facts.executions.length === 1 && facts.executions[0].status === "SUCCEEDED",
    describeExecutions(facts.executions) || "no execution was started",
  );

/** No failover execution was started. */
export const noWorkflow = (facts: ScenarioFacts): ScenarioCheck =>
  check(
    "no workflow execution",
    facts.executions.length === 0,
    describeExecutions(facts.executions) || "no execution was started",
  );

/** The final writer could be read, so the lost commits were counted row by row. */
export const lostListed = ({ figures: f }: ScenarioFacts): ScenarioCheck =>
  check(
    "lost commits checked row by row",
    f.lostCommits !== null,
    f.lostCommits === null
      ? "the promoted server could not be read"
      : `${f.lostCommits} of ${f.ackedCommits} acknowledged commits missing`,
  );

/** No write attempt failed after the fault; `during` ends the detail ("after the fault", …). */
export const clientsKeptWriting = (facts: ScenarioFacts, during: string): ScenarioCheck =>
  check(
    "clients kept writing",
    facts.writeFailuresAfterFault === 0,
    `${facts.writeFailuresAfterFault} failed write attempts ${during}`,
  );

/** The checks of a failover that promotes the replica and must resume writes on it. */
export const failedOver = (facts: ScenarioFacts): ScenarioCheck[] => [
  promotedOnce(facts),
  writerMoved(facts),
  writesResumed(facts),
  engineClean(facts),
  workflowSucceeded(facts),
  lostListed(facts),
];
