/**
 * `lagging-replica` on real PostgreSQL 14: the lag guard blocks the failover, the drill's operator
 * approves it, the failover completes accepting the data loss.
 */
import * as fs from "node:fs";

import { APPROVAL_TASK_OUTPUT, DRILL_OPERATOR } from "../../../lib/drill/runner";
import type { FailoverReport } from "../../../lib/lambda/core/ports";
import { STATES } from "../../../lib/workflow/definition";
import {
  expectFailoverExecution,
  FAILOVER_EXECUTION,
  itPassesAndCleansUp,
  useDrillRun,
} from "../../support/drill-run";

describe("npm run drill -- --scenario lagging-replica on real PostgreSQL 14", () => {
  const run = useDrillRun("lagging-replica");
  itPassesAndCleansUp(run);

  it("one workflow execution carried the failover out, through the deployed states", () => {
    expectFailoverExecution(run.scenario(), FAILOVER_EXECUTION);
  });

  it("blocked by the lag guard, waits for the operator, fails over on the approval", () => {
    const s = run.scenario();
    const blocked = s.decisions.filter((d) => d.kind === "blocked");
    expect(blocked.length).toBeGreaterThan(0);
    expect(blocked[0].reason).toContain("more than the 3 s limit; failing over would lose up to");
    // The blocked decision started the execution that waits; later evaluations only reported it.
    expect(blocked[0].acted).toBe(true);
    expect(blocked.slice(1).every((d) => !d.acted)).toBe(true);
    const alert = s.notifications.find((n) => n.event === "failover-blocked");
    expect(alert?.severity).toBe("critical");
    expect(alert?.subject).toContain("approve or reject pg-replica");
    // The operator approved with the alert's command, after the alert and before any promotion.
    expect(APPROVAL_TASK_OUTPUT).toBe(`{"approvedBy":"${DRILL_OPERATOR}"}`);
    const event = (name: string) => s.timeline.find((e) => e.event === name);
    expect(event("approved")?.detail).toBe(`send-task-success --task-output '${APPROVAL_TASK_OUTPUT}'`);
    expect(event("approval-requested")!.atMs).toBeGreaterThanOrEqual(alert!.atMs);
    expect(event("promote-called")!.atMs).toBeGreaterThan(event("approved")!.atMs);
    expect(s.executions[0].statesVisited.slice(0, 5)).toEqual([
      STATES.begin,
      STATES.route,
      STATES.requestApproval,
      STATES.reassess,
      STATES.route,
    ]);
    // The approved failover: promoted once, writer moved, writes resumed, the loss counted row by row.
    expect(s.promoted).toBe(true);
    expect(s.figures!.promotions).toBe(1);
    expect(s.figures!.falseFailovers).toBe(0);
    expect(s.writer.final).not.toBe(s.writer.initial);
    expect(s.figures!.rtoSeconds).not.toBeNull();
    expect(s.figures!.lostCommits).not.toBeNull();
    expect(s.figures!.dataLossWindowSeconds!).toBeGreaterThan(3);
    const stored = JSON.parse(fs.readFileSync(s.engineReportLocation!, "utf8")) as FailoverReport;
    expect(stored.timeline.find((t) => t.event === "approved")?.detail).toBe(
      `${DRILL_OPERATOR} approved the failover, accepting the data loss shown in the alert.`,
    );
    const sent = s.notifications.map((n) => n.event);
    expect(sent.indexOf("failover-blocked")).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf("failover-started")).toBeGreaterThan(sent.indexOf("failover-blocked"));
    expect(sent.indexOf("failover-succeeded")).toBeGreaterThan(sent.indexOf("failover-started"));
    // A person's wait is no automatic-failover target.
    expect(s.targets).toEqual([]);
  });
});
