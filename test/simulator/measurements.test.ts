/**
 * The simulator measures what it claims to: data loss, split brain, alerts and RTO come out of the
 * model with the values the scenario implies (positive controls for the invariants in the matrix).
 */
import { matrixTimelines } from "../../lib/simulator/matrix";
import { runTimeline } from "../../lib/simulator/run";
import { parseTimeline } from "../../lib/simulator/timeline";

const byName = (name: string) => {
  const timeline = matrixTimelines().find((t) => t.name === name);
  if (timeline === undefined) throw new Error(`no timeline ${name}`);
  return timeline;
};

describe("simulator measurements", () => {
  it("a forced failover with a replica 120 s behind loses 120 s of commits at 10 commits/s, and says so", async () => {
    const o = await runTimeline(byName("manual-failover-accepting-loss/same-region/seed-11"));
    expect(o.promotions).toBe(1);
    expect(o.finalWriter).toBe("rds-replica-sim");
    expect(o.dataLossSeconds).toBeGreaterThanOrEqual(120);
    expect(o.dataLossSeconds).toBeLessThan(122);
    expect(o.lostCommits).toBeGreaterThanOrEqual(1200);
    expect(o.lostCommits).toBeLessThan(1220);
    expect(o.violations).toEqual([]);
  });

  it("a planned switchover moves the writer with zero lost commits and zero split brain", async () => {
    const o = await runTimeline(byName("switchover/cross-region/seed-12"));
    expect(o).toMatchObject({
      promotions: 1,
      lostCommits: 0,
      splitBrainSeconds: 0,
      finalWriter: "rds-replica-sim",
    });
    expect(o.alerts.map((a) => a.subject)).toEqual([
      "DR CRITICAL: Switchover started: promoting rds-replica-sim",
      "DR CRITICAL: Switchover succeeded: rds-replica-sim is the writer",
    ]);
  });

  it("a partition between the regions with a healthy primary: never promoted, one critical alert per 15 minutes", async () => {
    const o = await runTimeline(byName("defect-8-alert-storm-partition"));
    expect(o.promotions).toBe(0);
    expect(o.finalWriter).toBe("rds-primary-sim");
    expect(o.alerts.map((a) => a.severity)).toEqual(["critical", "critical", "critical"]);
    const gaps = o.alerts.slice(1).map((a, i) => a.atMs - o.alerts[i].atMs);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(15 * 60_000 - 5_000);
  });

  it("a lost primary recovers on the alarm path alone, with the detection and RTO it measured", async () => {
    const o = await runTimeline(byName("primary-dies/status-0s/promote-120s/alarm/cross-region/seed-1"));
    expect(o.promotions).toBe(1);
    expect(o.detectionSeconds).toBeGreaterThan(60);
    expect(o.rtoSeconds).toBeGreaterThan(o.detectionSeconds ?? Infinity);
    expect(o.rtoSeconds).toBeLessThan(15 * 60);
    expect(o.reports).toBe(1);
  });

  it("both instances lost: nothing to promote, a blocked alert, no RTO (regional restore is not automated)", async () => {
    const o = await runTimeline(
      parseTimeline({
        name: "both-instances-lost",
        placement: "same-region",
        seed: 7,
        durationMinutes: 20,
        faults: [
          { atMinute: 2, kind: "replica-dies" },
          { atMinute: 3, kind: "primary-dies" },
        ],
      }),
    );
    expect(o.promotions).toBe(0);
    expect(o.rtoSeconds).toBeNull();
    expect(o.alerts.some((a) => a.subject.includes("BLOCKED (replica-unhealthy)"))).toBe(true);
  });
});
