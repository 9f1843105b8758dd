/**
 * `region-lost` on real PostgreSQL 14: both instances killed; a new writer restored by
 * point-in-time recovery from the archived WAL.
 */
import { itPassesAndCleansUp, useDrillRun } from "../../support/drill-run";

describe("npm run drill -- --scenario region-lost on real PostgreSQL 14", () => {
  const run = useDrillRun("region-lost");
  itPassesAndCleansUp(run);

  it("one workflow execution restored the writer", () => {
    expect(run.scenario().executions).toHaveLength(1);
  });
});
