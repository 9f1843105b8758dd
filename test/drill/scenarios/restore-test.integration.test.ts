/** `restore-test` on real PostgreSQL 14: the weekly restore test on a live cluster; nothing fails over. */
import * as fs from "node:fs";

import { itPassesAndCleansUp, useDrillRun } from "../../support/drill-run";

describe("npm run drill -- --scenario restore-test on real PostgreSQL 14", () => {
  const run = useDrillRun("restore-test");
  itPassesAndCleansUp(run);

  it("the restore-test machine restored, checked and removed a temporary instance; nothing failed over", () => {
    const s = run.scenario();
    // The restore test starts no failover execution (its own are under `restoreTest`).
    expect(s.executions).toEqual([]);
    expect(s.writer.final).toBe(s.writer.initial);
    const rt = s.restoreTest!;
    expect(rt.executions.map((e) => e.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(rt.executions[0].statesVisited).toEqual(
      expect.arrayContaining([
        "StartRestore",
        "CheckRestoreAvailable",
        "RunCheckQuery",
        "DeleteTestInstance",
        "ReportSuccess",
      ]),
    );
    expect(rt.restoreDurationSeconds).toBeGreaterThan(0);
    expect(rt.dataAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(rt.rowCount).toBeGreaterThanOrEqual(1);
    const stored = JSON.parse(fs.readFileSync(rt.reportLocation!, "utf8")) as { outcome: string };
    expect(stored.outcome).toBe("succeeded");
  });
});
