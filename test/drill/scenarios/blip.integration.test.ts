/** `blip` on real PostgreSQL 14: the primary frozen for less than the detection window; no failover. */
import { itPassesAndCleansUp, useDrillRun } from "../../support/drill-run";

describe("npm run drill -- --scenario blip on real PostgreSQL 14", () => {
  const run = useDrillRun("blip");
  itPassesAndCleansUp(run);

  it("starts no workflow execution", () => {
    expect(run.scenario().executions).toEqual([]);
  });

  it("no promotion, writer unchanged, writes resume on the primary, nothing lost", () => {
    const s = run.scenario();
    expect(s.promoted).toBe(false);
    expect(s.writer.final).toBe(s.writer.initial);
    expect(s.decisions.some((d) => d.kind === "promote-replica" || d.kind === "blocked")).toBe(false);
    expect(s.figures!.lostCommits).toBe(0);
    expect(s.figures!.rtoSeconds!).toBeGreaterThanOrEqual(1);
    expect(s.timeline.map((e) => e.event)).toContain("fault-cleared");
  });
});
