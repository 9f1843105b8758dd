import type { RestoreTestInput } from "../../lambda/core/restore-test";
import {
  check,
  clientsKeptWriting,
  describeExecutions,
  engineClean,
  noPromotion,
  noWorkflow,
  writerKept,
} from "./checks";
import type { DrillScenario } from "./types";

/** Execution name of a drill restore-test run: `restore-test-<mode>-<UTC yyyymmddThhmmss>`. */
export function restoreTestName(nowMs: number, mode: RestoreTestInput["mode"]): string {
  const stamp = new Date(nowMs).toISOString().slice(0, 19).replace(/[-:]/g, "");
  return `restore-test-${mode}-${stamp}`;
}

/**
 * The weekly restore test: nothing fails. The "fault" is the start of the test execution, which
 * restores a temporary instance from the live primary's backups, checks it and tears it down; the
 * runner then waits for it and for the freshness run after it.
 */
export const restoreTest: DrillScenario<"restore-test"> = {
  name: "restore-test",
  description:
    "the weekly restore test: while the cluster serves clients, the primary's base backup and archived WAL are " +
    "restored into a temporary instance (PostgreSQL point-in-time recovery)",
  expectation:
    "the restore-test workflow restores the temporary instance, the restore-check handler reads the heartbeat table " +
    "on it as the monitor's role, the instance is torn down and a successful report gives the restore duration, " +
    "data age and row count; no failover, writer stays, clients keep writing",
  outcome: "restore-test",
  approval: false,
  targets: true,
  requested: "restore test starts",
  async inject({ clock, fault, restoreTest: workflow }) {
    if (workflow === null) throw new Error("the restore-test workflow was not set up for this scenario");
    fault('the weekly restore test starts ({"mode":"test"}) while clients keep writing');
    await workflow.start(restoreTestName(clock.nowMs(), "test"), { mode: "test" });
  },
  checks: (facts) => {
    const t = facts.restoreTest ?? null;
    const r = t?.report ?? null;
    return [
      noPromotion(facts),
      writerKept(facts),
      engineClean(facts),
      noWorkflow(facts),
      clientsKeptWriting(facts, "during the restore test"),
      check(
        "restore test succeeded, then freshness reported",
        t !== null &&
          t.executions.length === 2 &&
          t.executions.every((e) => e.status === "SUCCEEDED") &&
          r?.outcome === "succeeded",
        describeExecutions(t?.executions ?? []) || "no restore-test execution",
      ),
      check(
        "restored once",
        t !== null && t.restores === 1,
        `${t?.restores ?? 0} restore(s) of the temporary instance`,
      ),
      check(
        "check query read the heartbeat rows as the monitor's role",
        r !== null && r.check !== null && r.check.rowCount >= 1 && r.check.newestHeartbeatAt !== null,
        r?.check
          ? `${r.check.rowCount} row(s) as ${r.check.user}, newest ${r.check.newestHeartbeatAt ?? "none"}`
          : "no check result",
      ),
      check(
        "figures measured",
        r !== null &&
          r.figures.restoreDurationSeconds !== null &&
          r.figures.dataAgeSeconds !== null &&
          r.figures.rowCount !== null,
        r === null
          ? "no report"
          : `restore ${r.figures.restoreDurationSeconds ?? "?"} s, data age ${r.figures.dataAgeSeconds ?? "?"} s, ` +
              `${r.figures.rowCount ?? "?"} row(s), restore point ${r.latestRestorableTime ?? "?"}`,
      ),
      check(
        "temporary instance torn down",
        t?.tornDown === true,
        t?.tornDownDetail ?? "the test did not run",
      ),
      check(
        "freshness counts from the new success",
        t?.ageHours !== null && t?.ageHours !== undefined && t.ageHours < 1,
        t?.ageHours === null || t?.ageHours === undefined
          ? "no freshness run"
          : `RestoreTestAgeHours ${t.ageHours}`,
      ),
    ];
  },
};
