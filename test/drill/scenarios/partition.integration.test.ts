/** `partition` on real PostgreSQL 14: the monitor's path is cut, the primary stays healthy; no failover. */
import { itPassesAndCleansUp, useDrillRun } from "../../support/drill-run";

describe("npm run drill -- --scenario partition on real PostgreSQL 14", () => {
  const run = useDrillRun("partition");
  itPassesAndCleansUp(run);

  it("starts no workflow execution", () => {
    expect(run.scenario().executions).toEqual([]);
  });

  it("critical alert, no promotion, clients never stopped writing", () => {
    const s = run.scenario();
    expect(s.promoted).toBe(false);
    const alert = s.decisions.find((d) => d.kind === "alert-only");
    expect(alert?.reason).toContain("still reports the primary pg-primary as available");
    expect(s.notifications.some((n) => n.severity === "critical")).toBe(true);
    expect(s.figures!.lostCommits).toBe(0);
    // While the path is cut the probes time out (dropped packets), and only then.
    const restoredAt = s.timeline.find((e) => e.event === "fault-cleared")!.offsetSeconds;
    const duringCut = s.timeline.filter(
      (e) => e.event === "probe" && e.offsetSeconds > 0 && e.offsetSeconds < restoredAt,
    );
    expect(duringCut.length).toBeGreaterThanOrEqual(3);
    // Dropped packets show as timeouts (a probe stalled at the moment of the restore may end in a reset).
    expect(duringCut.filter((e) => e.detail.startsWith("timeout")).length).toBeGreaterThanOrEqual(3);
    expect(s.timeline.filter((e) => e.event === "probe" && e.offsetSeconds < 0).every((e) => e.ok)).toBe(
      true,
    );
  });
});
