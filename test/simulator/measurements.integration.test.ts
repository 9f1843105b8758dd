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
    // Critical alerts only: while the execution fences the old writer, the monitor sees it fail and
    // the failover function, free meanwhile, may warn that the primary is suspect.
    expect(o.alerts.filter((a) => a.severity === "critical").map((a) => a.subject)).toEqual([
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

  it("both instances lost: no promotion; after the 10-minute confirmation a writer restored from the replicated backups", async () => {
    const o = await runTimeline(
      parseTimeline({
        name: "both-instances-lost",
        placement: "same-region",
        seed: 7,
        durationMinutes: 60,
        aws: { restoreSeconds: 1800 },
        faults: [
          { atMinute: 2, kind: "replica-dies" },
          { atMinute: 3, kind: "primary-dies" },
        ],
      }),
    );
    expect(o).toMatchObject({
      promotions: 0,
      restores: 1,
      finalWriter: "rds-restored-sim",
      reports: 1,
      violations: [],
    });
    // The loss confirmed for 10 minutes, the 30-minute restore, then the writer switch: at most 15 minutes more.
    expect(o.rtoSeconds).toBeGreaterThan((10 + 30) * 60);
    expect(o.rtoSeconds).toBeLessThan((10 + 30 + 15) * 60);
    // Logs reach the backups every 5 minutes: what came after the last shipment is lost.
    expect(o.dataLossSeconds).toBeGreaterThan(0);
    expect(o.dataLossSeconds).toBeLessThanOrEqual(300);
    expect(o.alerts.map((a) => a.subject)).toContain(
      "DR CRITICAL: Regional restore succeeded: rds-restored-sim is the writer",
    );
  });

  it("the region lost and only the alarm reaches the failover function: alerts, never restores (the alarm fires once)", async () => {
    const o = await runTimeline(
      parseTimeline({
        name: "region-lost-alarm-only",
        placement: "same-region",
        seed: 7,
        durationMinutes: 40,
        triggerPath: "alarm",
        faults: [{ atMinute: 2, kind: "region-lost" }],
      }),
    );
    expect(o).toMatchObject({ promotions: 0, restores: 0, violations: [] });
    expect(o.alerts.some((a) => a.severity === "critical")).toBe(true);
  });

  it("a 20-minute promotion completes within the 45-minute promotion timeout: one execution, one promotion", async () => {
    const o = await runTimeline(byName("workflow-promotion-20-min"));
    expect(o).toMatchObject({
      promotions: 1,
      promoteCalls: 1,
      executions: 1,
      finalWriter: "rds-replica-sim",
    });
    expect(o.workflow[0]).toMatchObject({
      status: "SUCCEEDED",
      endState: "FailoverSucceeded",
      stateErrors: [],
    });
    // Detection, then 20 minutes of promotion, then DNS: writes resume after more than the promotion.
    expect(o.rtoSeconds).toBeGreaterThan(1200);
    expect(o.rtoSeconds).toBeLessThan(1200 + 5 * 60);
    expect(o.violations).toEqual([]);
  });

  it("a promotion longer than the timeout fails the execution cleanly: writer stays, one promotion, failover-failed", async () => {
    const o = await runTimeline(byName("workflow-promotion-outlasts-timeout"));
    expect(o).toMatchObject({
      promotions: 1,
      promoteCalls: 1,
      executions: 1,
      finalWriter: "rds-primary-sim",
    });
    expect(o.workflow[0]).toMatchObject({
      status: "FAILED",
      error: "FailoverFailed",
      endState: "FailoverFailed",
    });
    expect(o.workflow[0].cause).toMatch(
      /rds-replica-sim was not writable 45 min after its promotion was requested/,
    );
    expect(o.workflow[0].stateErrors).toEqual([{ state: "CheckWritable", error: "StepTimedOut" }]);
    const failed = o.alerts.filter((a) =>
      a.subject.startsWith("DR CRITICAL: Failover FAILED at wait-replica-writable"),
    );
    expect(failed).toHaveLength(1);
    expect(o.violations).toEqual([]);
  });

  it("a step runner whose call never returns is ended by Lambda's timeout; Step Functions retries the task (Lambda.Unknown)", async () => {
    const o = await runTimeline(byName("step-runner-times-out-twice-at-check-writable/cross-region/seed-11"));
    expect(o.invocations.stepRunnerInterrupted).toBe(2);
    expect(o.workflow).toHaveLength(1);
    expect(o.workflow[0]).toMatchObject({ status: "SUCCEEDED", endState: "FailoverSucceeded" });
    expect(o.workflow[0].stateErrors).toEqual([
      { state: "CheckWritable", error: "Lambda.Unknown" },
      { state: "CheckWritable", error: "Lambda.Unknown" },
    ]);
    expect(o.promotions).toBe(1);
    expect(o.violations).toEqual([]);
  });

  it("a step runner that crashes right after PromoteReadReplica: the retried step finds the promotion and never calls it again", async () => {
    const o = await runTimeline(byName("step-runner-crashes-at-promote-replica/same-region/seed-11"));
    expect(o.workflow[0].stateErrors).toEqual([{ state: "PromoteReplica", error: "Lambda.Unknown" }]);
    expect(o).toMatchObject({
      promotions: 1,
      promoteCalls: 1,
      executions: 1,
      finalWriter: "rds-replica-sim",
    });
  });

  it("Step Functions throttling StartExecution delays the failover; it starts once the throttle ends, once", async () => {
    const o = await runTimeline(byName("workflow-sfn-throttled"));
    const faultAtMs = o.faultAtMs ?? 0;
    expect(o.executions).toBe(1);
    expect(o.invocations.failoverFailed).toBeGreaterThan(0);
    // The throttle lasts minutes 2-8: the failover can only have been announced after it.
    expect(o.detectedAtMs).toBeGreaterThanOrEqual(faultAtMs + 6 * 60_000);
    expect(o).toMatchObject({ promotions: 1, finalWriter: "rds-replica-sim" });
    expect(o.violations).toEqual([]);
  });

  it("the failover function dying right after StartExecution: its retries start nothing more", async () => {
    const o = await runTimeline(byName("failover-crashes-at-start-execution/cross-region/seed-12"));
    expect(o.invocations.failoverFailed).toBe(1);
    expect(o).toMatchObject({ executions: 1, promotions: 1, finalWriter: "rds-replica-sim" });
  });

  it("an execution still running when the timeline ends is reported as a violation", async () => {
    const o = await runTimeline(
      parseTimeline({
        name: "ends-mid-promotion",
        placement: "cross-region",
        seed: 5,
        durationMinutes: 10,
        aws: { promotionSeconds: 1200 },
        faults: [{ atMinute: 2, kind: "primary-dies" }],
      }),
    );
    expect(o.workflow[0]?.status).toBe("RUNNING");
    expect(o.violations).toEqual([
      "writer-recovers: the primary was lost and the writer never accepted writes again (promotions 1)",
      "report-after-action: the failover acted but no report was written",
      expect.stringMatching(
        /^every-execution-closes: failover-rds-replica-sim-\S+ was still running at the end \(.* in (WaitForPromotion|CheckWritable|Writable)\)$/,
      ),
    ]);
  });

  it("a failover the lag guard blocked waits for an approval; the operator's approval carries it out in the same execution", async () => {
    const waiting = await runTimeline(byName("replica-lag-120s-then-loss/cross-region/seed-11"));
    expect(waiting.workflow).toEqual([
      expect.objectContaining({ status: "RUNNING", endState: "RequestApproval", awaitingApproval: true }),
    ]);
    expect(waiting.promotions).toBe(0);
    const approved = await runTimeline(byName("manual-failover-accepting-loss/cross-region/seed-11"));
    expect(approved.workflow).toEqual([
      expect.objectContaining({
        status: "SUCCEEDED",
        endState: "FailoverSucceeded",
        awaitingApproval: false,
      }),
    ]);
    expect(approved).toMatchObject({ executions: 1, promotions: 1, finalWriter: "rds-replica-sim" });
  });
});
