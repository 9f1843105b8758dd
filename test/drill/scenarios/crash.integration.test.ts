/** `crash` on real PostgreSQL 14: the primary gets SIGKILL; the replica is promoted, writer moves. */
import * as fs from "node:fs";
import * as path from "node:path";

import {
  expectConsistentFigures,
  expectFailedOverFromLostPrimary,
  expectFailoverExecution,
  FAILOVER_EXECUTION,
  itPassesAndCleansUp,
  useDrillRun,
} from "../../support/drill-run";

describe("npm run drill -- --scenario crash on real PostgreSQL 14", () => {
  const run = useDrillRun("crash");
  itPassesAndCleansUp(run);

  it("one workflow execution carried the failover out, through the deployed states", () => {
    expectFailoverExecution(run.scenario(), FAILOVER_EXECUTION);
  });

  it("promotes once, moves writer, lists lost commits", () => {
    expectFailedOverFromLostPrimary(run.scenario(), "process exited");
  });

  it("figures are consistent with each other", () => {
    expectConsistentFigures(run.scenario());
  });

  it("writes the engine's notifications into the scenario's folder", () => {
    expect(fs.existsSync(path.join(run.outDir(), "crash", "notifications.jsonl"))).toBe(true);
  });
});
