/**
 * What a drill run writes, whatever its scenarios: report.json, the --json copy, the SVG chart
 * and the settings, from one run of a cheap scenario (`blip`) on real PostgreSQL 14. Each
 * scenario's own outcome is tested in `test/drill/scenarios/<name>.integration.test.ts`; the
 * order `--all` runs them in, in `test/drill/scenarios.test.ts` and `test/drill/args.test.ts`.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import { DRILL_POLICY } from "../../lib/drill/args";
import type { DrillReport } from "../../lib/drill/report";
import { useDrillRun } from "../support/drill-run";

describe("npm run drill -- --scenario blip --json FILE on real PostgreSQL 14", () => {
  const run = useDrillRun("blip", (outDir) => ["--json", path.join(outDir, "copy", "drill.json")]);

  it("runs with the drill policy and PostgreSQL 14", () => {
    const report = run.report();
    expect(report.settings.scenarios).toEqual(["blip"]);
    expect(report.settings.policy).toEqual({ ...DRILL_POLICY, maxReplicationLagSeconds: 3 });
    expect(report.settings.postgresVersion).toMatch(/^14\./);
    expect(report.passed).toBe(true);
  });

  it("writes report.json, the --json copy and the SVG chart", () => {
    const outDir = run.outDir();
    const written = JSON.parse(fs.readFileSync(path.join(outDir, "report.json"), "utf8")) as DrillReport;
    expect(written.schemaVersion).toBe(1);
    expect(written).toEqual(JSON.parse(JSON.stringify(run.report())));
    expect(written.scenarios.map((s) => s.executions.length)).toEqual([0]);
    expect(fs.readFileSync(path.join(outDir, "copy", "drill.json"), "utf8")).toBe(
      fs.readFileSync(path.join(outDir, "report.json"), "utf8"),
    );
    const svg = fs.readFileSync(path.join(outDir, "timeline.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/class="scenario"/g)).toHaveLength(written.scenarios.length);
  });

  it("leaves no cluster directory behind", () => {
    expect(fs.readdirSync(run.clusterBase())).toEqual([]);
  });
});
