/** `stop` on real PostgreSQL 14: an immediate shutdown of the primary; the replica is promoted. */
import {
  expectConsistentFigures,
  expectFailedOverFromLostPrimary,
  expectFailoverExecution,
  FAILOVER_EXECUTION,
  itPassesAndCleansUp,
  useDrillRun,
} from "../../support/drill-run";

describe("npm run drill -- --scenario stop on real PostgreSQL 14", () => {
  const run = useDrillRun("stop");
  itPassesAndCleansUp(run);

  it("one workflow execution carried the failover out, through the deployed states", () => {
    expectFailoverExecution(run.scenario(), FAILOVER_EXECUTION);
  });

  it("promotes once, moves writer, lists lost commits", () => {
    expectFailedOverFromLostPrimary(run.scenario(), "shut down (immediate)");
  });

  it("figures are consistent with each other", () => {
    expectConsistentFigures(run.scenario());
  });
});
