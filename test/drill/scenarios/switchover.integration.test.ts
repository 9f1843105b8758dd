/** `switchover` on real PostgreSQL 14: a planned switchover; fence, catch up, promote, zero loss. */
import { STATES } from "../../../lib/workflow/definition";
import { expectFailoverExecution, itPassesAndCleansUp, useDrillRun } from "../../support/drill-run";

describe("npm run drill -- --scenario switchover on real PostgreSQL 14", () => {
  const run = useDrillRun("switchover");
  itPassesAndCleansUp(run);

  it("one workflow execution carried the switchover out, through the deployed states", () => {
    expectFailoverExecution(run.scenario(), /^switchover-pg-replica-\d{8}T\d{4}$/);
  });

  it("planned, zero lost commits, old primary fenced", () => {
    const s = run.scenario();
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
});
