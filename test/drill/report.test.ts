import * as fs from "node:fs";
import * as path from "node:path";

import type { FailoverReport, TimelineEntry } from "../../lib/lambda/core/ports";
import { DEFAULT_POLICY } from "../../lib/lambda/core/policy";
import type { Decision } from "../../lib/lambda/core/types";
import { DRILL_POLICY } from "../../lib/drill/args";
import {
  abbreviateStates,
  computeFigures,
  type DrillReport,
  engineMoments,
  type EvaluationRecord,
  figureText,
  formatMs,
  formatSeconds,
  inLocalTerms,
  keyOutcome,
  notApplicableFigures,
  renderSummary,
  type ScenarioObservations,
  type ScenarioReport,
  targetChecks,
  translateToProduction,
  writeSeries,
} from "../../lib/drill/report";
import type { AckedCommit } from "../../lib/drill/workload";

const FAULT = 100_000;
const promote: Decision = {
  kind: "promote-replica",
  reason: "3 consecutive probes failed",
  failureStartedAtMs: FAULT + 400,
  detectedAtMs: FAULT + 2_400,
  planned: false,
  steps: [],
};
const evaluation = (over: Partial<EvaluationRecord>): EvaluationRecord => ({
  startedAtMs: FAULT + 2_450,
  finishedAtMs: FAULT + 2_900,
  trigger: "monitor",
  decision: { kind: "none", reason: "all ok" },
  acted: false,
  lastProbeAtMs: FAULT + 2_400,
  lastHealthyLagSeconds: 0.8,
  ...over,
});
const ack = (seq: number, ackedAtMs: number, endpoint = "127.0.0.1:2"): AckedCommit => ({
  seq,
  startedAtMs: ackedAtMs - 2,
  ackedAtMs,
  endpoint,
});
/** The workflow's stored report, as far as the figures read it: its timeline and its own figures. */
const engineReport = (
  timeline: [number, string][],
  dataLossWindowSeconds: number | null = 0.8,
): FailoverReport =>
  ({
    timeline: timeline.map(([atMs, event]): TimelineEntry => ({ atMs, event, detail: event })),
    figures: { detectionSeconds: null, promotionSeconds: null, rtoSeconds: null, dataLossWindowSeconds },
  }) as unknown as FailoverReport;
/** A failover as the workflow records it: decision, promote requested, promoted, writer switched. */
const failoverReport = engineReport([
  [FAULT + 2_400, "failure-detected"],
  [FAULT + 2_450, "decision"],
  [FAULT + 2_470, "workflow-started"],
  [FAULT + 2_500, "promote-requested"],
  [FAULT + 2_620, "promoted"],
  [FAULT + 2_700, "writer-switched"],
]);
const base: ScenarioObservations = {
  faultAtMs: FAULT,
  evaluations: [],
  engineReport: null,
  promotions: 0,
  writerSwitchedAtMs: null,
  firstWriteAfterFault: null,
  lostCommits: [],
  ackedCommits: 500,
  inDoubtCommits: 1,
};

describe("computeFigures", () => {
  it("failover: detection from the confirming probe, RTO from the first write, orchestration from the workflow's moments without PostgreSQL's promotion", () => {
    const f = computeFigures(
      {
        ...base,
        evaluations: [
          evaluation({
            decision: { kind: "none", reason: "ok" },
            startedAtMs: FAULT - 900,
            finishedAtMs: FAULT - 880,
          }),
          evaluation({ decision: promote, acted: true }),
        ],
        engineReport: failoverReport,
        promotions: 1,
        // The drill's own DNS observation: writerSwitchedSeconds, not the orchestration.
        writerSwitchedAtMs: FAULT + 2_710,
        firstWriteAfterFault: ack(42, FAULT + 2_760),
        lostCommits: [ack(7, FAULT - 300, "127.0.0.1:1"), ack(8, FAULT - 100, "127.0.0.1:1")],
      },
      true,
    );
    expect(f).toEqual({
      detectionSeconds: 2.4,
      promotionSeconds: 0.12,
      // 2700 - 2450 (decision → writer switched) minus 120 ms of promotion.
      orchestrationMs: 130,
      writerSwitchedSeconds: 2.71,
      rtoSeconds: 2.76,
      lostCommits: 2,
      lostCommitSeqs: [7, 8],
      dataLossWindowSeconds: 0.8,
      measuredDataLossWindowSeconds: 0.3,
      falseFailovers: 0,
      promotions: 1,
      ackedCommits: 500,
      inDoubtCommits: 1,
    });
  });

  const cases: [
    string,
    Partial<ScenarioObservations>,
    boolean,
    Partial<ReturnType<typeof computeFigures>>,
  ][] = [
    [
      "alert without promotion: detection from the last probe of the evidence",
      {
        evaluations: [
          evaluation({
            decision: { kind: "alert-only", severity: "critical", reason: "no second signal" },
            lastProbeAtMs: FAULT + 2_980,
          }),
        ],
      },
      false,
      {
        detectionSeconds: 2.98,
        promotionSeconds: null,
        orchestrationMs: null,
        rtoSeconds: null,
        falseFailovers: 0,
      },
    ],
    [
      "a planned switchover is requested, not detected: no detection figure",
      {
        evaluations: [
          evaluation({
            trigger: "manual:switchover",
            decision: { ...promote, planned: true, failureStartedAtMs: FAULT, detectedAtMs: FAULT },
            acted: true,
          }),
        ],
        promotions: 1,
      },
      true,
      { detectionSeconds: null, promotions: 1, falseFailovers: 0 },
    ],
    [
      "an alert-only before the fault is not the detection",
      {
        evaluations: [
          evaluation({
            decision: { kind: "alert-only", severity: "warning", reason: "suspect" },
            finishedAtMs: FAULT - 10,
          }),
        ],
      },
      false,
      { detectionSeconds: null },
    ],
    [
      "a promotion where none was expected is a false failover",
      { promotions: 1 },
      false,
      { falseFailovers: 1, promotions: 1 },
    ],
    [
      "commits not checkable: lost and measured window unknown",
      { lostCommits: null },
      true,
      { lostCommits: null, lostCommitSeqs: [], measuredDataLossWindowSeconds: null },
    ],
    [
      "nothing lost: measured window 0",
      { lostCommits: [] },
      true,
      { lostCommits: 0, measuredDataLossWindowSeconds: 0 },
    ],
    [
      "the engine's own report figure wins over the snapshot's lag",
      {
        evaluations: [evaluation({ decision: promote, acted: true })],
        engineReport: engineReport([], 0),
      },
      true,
      { dataLossWindowSeconds: 0 },
    ],
    [
      "without a stored report: the acting evaluation's lag, no promotion or orchestration figure",
      { evaluations: [evaluation({ decision: promote, acted: true })], promotions: 1 },
      true,
      { dataLossWindowSeconds: 0.8, promotionSeconds: null, orchestrationMs: null },
    ],
    [
      "an approved failover: orchestration from the decision made again on the approval, not the blocked one",
      {
        engineReport: engineReport([
          [FAULT + 2_450, "decision"],
          [FAULT + 9_000, "approved"],
          [FAULT + 9_020, "decision"],
          [FAULT + 9_050, "promote-requested"],
          [FAULT + 9_900, "promoted"],
          [FAULT + 9_960, "writer-switched"],
        ]),
      },
      true,
      // (9960 - 9020) - (9900 - 9050)
      { promotionSeconds: 0.85, orchestrationMs: 90 },
    ],
    [
      "a run the workflow did not promote in (writer already switched): no orchestration figure",
      {
        engineReport: engineReport([
          [FAULT + 2_450, "decision"],
          [FAULT + 2_600, "writer-switched"],
        ]),
      },
      true,
      { promotionSeconds: null, orchestrationMs: null },
    ],
  ];
  it.each(cases)("%s", (_name, over, expected, want) => {
    expect(computeFigures({ ...base, ...over }, expected)).toMatchObject(want);
  });
});

describe("targetChecks", () => {
  const figures = computeFigures(
    {
      ...base,
      evaluations: [evaluation({ decision: promote, acted: true })],
      engineReport: engineReport([
        [FAULT + 2_450, "decision"],
        [FAULT + 2_500, "promote-requested"],
        [FAULT + 2_620, "promoted"],
        [FAULT + 3_300, "writer-switched"],
      ]),
      promotions: 1,
      writerSwitchedAtMs: FAULT + 3_300,
      firstWriteAfterFault: ack(1, FAULT + 11_000),
    },
    true,
  );

  it("checks detection, RTO and orchestration against the published limits", () => {
    expect(targetChecks(figures, DRILL_POLICY)).toEqual([
      { name: "detection", limit: "<= 3.5 s", value: "2.40 s", met: true },
      { name: "RTO", limit: "<= 10 s", value: "11.00 s", met: false },
      { name: "orchestration", limit: "<= 500 ms", value: "730 ms", met: false },
    ]);
  });

  it("does not apply the targets to other timings or to runs without a promotion", () => {
    expect(targetChecks(figures, { ...DRILL_POLICY, probeIntervalSeconds: 2 })).toEqual([]);
    expect(targetChecks({ ...figures, promotions: 0 }, DRILL_POLICY)).toEqual([]);
  });
});

describe("engineMoments", () => {
  it("reads the decision the promotion followed and the first promote, promoted and writer moments", () => {
    expect(
      engineMoments(
        engineReport([
          [1_000, "decision"],
          [5_000, "decision"],
          [5_100, "promote-requested"],
          [5_200, "promoted"],
          [5_300, "writer-switched"],
          [5_400, "decision"],
          [5_500, "writer-switched"],
        ]),
      ),
    ).toEqual({
      decisionAtMs: 5_000,
      promoteRequestedAtMs: 5_100,
      writableAtMs: 5_200,
      writerSwitchedAtMs: 5_300,
    });
  });

  it("has no decision moment without a decision entry", () => {
    expect(engineMoments(engineReport([[5_100, "promote-requested"]])).decisionAtMs).toBeNull();
  });
});

describe("abbreviateStates", () => {
  it("shows a wait loop once with its count and every other state as visited", () => {
    expect(
      abbreviateStates([
        "Begin",
        "PromoteReplica",
        "WaitForPromotion",
        "CheckWritable",
        "Writable",
        "WaitForPromotion",
        "CheckWritable",
        "Writable",
        "SwitchWriter",
      ]),
    ).toBe("Begin → PromoteReplica → (WaitForPromotion → CheckWritable → Writable) ×2 → SwitchWriter");
    expect(abbreviateStates(["Begin", "Route", "NothingToDo"])).toBe("Begin → Route → NothingToDo");
    expect(abbreviateStates([])).toBe("");
  });
});

describe("writeSeries", () => {
  it("buckets acknowledgements and failures by time, relative to the fault", () => {
    const series = writeSeries(
      [ack(1, 1_010), ack(2, 1_020), ack(3, 1_260), ack(4, 1_990)],
      [{ seq: 5, startedAtMs: 1_500, failedAtMs: 1_600, endpoint: null, error: "refused", inDoubt: false }],
      1_000,
      2_000,
      1_500,
    );
    expect(series).toEqual({
      startOffsetSeconds: -0.5,
      bucketMs: 250,
      acked: [2, 1, 0, 1],
      failed: [0, 0, 1, 0],
    });
  });
});

describe("translateToProduction", () => {
  it("states the production policy and what changes", () => {
    const t = translateToProduction(DRILL_POLICY, DEFAULT_POLICY, 30);
    expect(t.policy).toEqual(DEFAULT_POLICY);
    expect(t.notes[0]).toContain("production needs 3 probes 8 s apart (at most 27 s from the fault");
    expect(t.notes[2]).toContain("TTL (30 s)");
    expect(t.notes[3]).toBe(
      "Lag guard: the drill blocks automatic failover above 5 s of lag; production above 60 s.",
    );
  });
});

/** A trimmed copy of a real `npm run drill -- --all` report (the `stop` scenario left out). */
const sample = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "all-scenarios.report.json"), "utf8"),
) as DrillReport;
const scenario = (name: string): ScenarioReport => sample.scenarios.find((s) => s.name === name)!;

describe("display formatting", () => {
  it("rounds seconds to two decimals and milliseconds to whole ones", () => {
    expect(formatSeconds(0.969209)).toBe("0.97 s");
    expect(formatSeconds(3)).toBe("3.00 s");
    expect(formatSeconds(-13.933)).toBe("-13.93 s");
    expect(formatMs(72.4)).toBe("72 ms");
  });
});

describe("notApplicableFigures and figureText", () => {
  it("marks what does not apply to each kind of scenario", () => {
    const na = Object.fromEntries(sample.scenarios.map((s) => [s.name, [...notApplicableFigures(s)].sort()]));
    expect(na).toEqual({
      crash: [],
      blip: ["dataLossWindow", "detection", "orchestration", "promotion", "writerSwitched"],
      "lagging-replica": [],
      partition: ["dataLossWindow", "orchestration", "promotion", "rto", "writerSwitched"],
      switchover: ["detection"],
      "region-lost": ["orchestration", "promotion"],
      "restore-test": ["dataLossWindow", "detection", "orchestration", "promotion", "rto", "writerSwitched"],
    });
  });

  it("shows n/a for what does not apply, whatever the value, and — for what applies but was not measured", () => {
    const switchover = scenario("switchover");
    const withZero = { ...switchover, figures: { ...switchover.figures!, detectionSeconds: 0 } };
    expect(figureText(withZero, "detection")).toBe("n/a");
    const crash = scenario("crash");
    const noWrite = { ...crash, figures: { ...crash.figures!, rtoSeconds: null } };
    expect(figureText(noWrite, "rto")).toBe("—");
    expect(figureText(crash, "rto")).toBe("3.22 s");
    expect(figureText(crash, "orchestration")).toBe("72 ms");
  });

  it("shows the promotion of a scenario that must not promote when it did (a false failover)", () => {
    const blip = scenario("blip");
    const promoted = { ...blip, figures: { ...blip.figures!, promotionSeconds: 0.2, promotions: 1 } };
    expect(figureText(promoted, "promotion")).toBe("0.20 s");
    expect(figureText(blip, "promotion")).toBe("n/a");
  });
});

describe("inLocalTerms", () => {
  it("speaks of the local control plane where the engine speaks of RDS, naming what it stands in for once", () => {
    expect(inLocalTerms(scenario("crash").decisions[0].reason)).toBe(
      "3 consecutive probes of the primary pg-primary failed since 2026-12-04T01:01:34.599Z and the local control " +
        "plane (standing in for RDS) reports the primary pg-primary as postmaster not running (process exited) " +
        "(second signal: the control plane's status). The replica was 0.03 s behind before the failure (limit 5 s). " +
        "Promoting pg-replica.",
    );
    expect(inLocalTerms(scenario("partition").decisions.at(-1)!.reason)).toContain(
      "but there is no second signal: the local control plane (standing in for RDS) still reports the primary " +
        "pg-primary as available; the database's own metrics are not observed here (the local drill has no " +
        "CloudWatch); the local control plane answers.",
    );
    expect(inLocalTerms("RDS reports the replica r1 as failed. RDS reports x.")).toBe(
      "The local control plane (standing in for RDS) reports the replica r1 as failed. The local control plane reports x.",
    );
  });

  it("rounds long decimals of seconds in the sentences", () => {
    expect(inLocalTerms("failing over would lose up to 8.023009 s of commits")).toBe(
      "failing over would lose up to 8.02 s of commits",
    );
    expect(inLocalTerms("limit 5 s, lag 0.03 s, at 12.5 s")).toBe("limit 5 s, lag 0.03 s, at 12.5 s");
  });
});

describe("keyOutcome", () => {
  it("names the first failed check of a failed scenario and how many more failed", () => {
    const crash = scenario("crash");
    const failed = {
      ...crash,
      passed: false,
      checks: [
        { name: "replica promoted once", passed: false, detail: "0 promotion(s)" },
        { name: "writes resumed through writer", passed: false, detail: "no write after the fault" },
        { name: "cleanup complete", passed: true, detail: "ok" },
      ],
    };
    expect(keyOutcome(failed, sample.settings.policy)).toBe(
      "✗ replica promoted once: 0 promotion(s) (+1 more)",
    );
    expect(keyOutcome({ ...crash, error: "the cluster did not start" }, sample.settings.policy)).toBe(
      "error: the cluster did not start",
    );
  });
});

describe("renderSummary", () => {
  const summary = renderSummary(sample).split("\n");

  it("ends a multi-scenario run with one row per scenario, after the details", () => {
    const start = summary.findIndex((l) => l.startsWith("Summary:"));
    expect(start).toBeGreaterThan(summary.findIndex((l) => l.startsWith("■ restore-test")));
    expect(summary.slice(start)).toEqual([
      "Summary: 7 of 7 scenarios passed (n/a: does not apply to the scenario; —: not measured)",
      "  scenario         result  promoted  detection  RTO     lost commits  what matters",
      "  crash            passed  yes       2.95 s     3.22 s  0 of 751      automatic failover: promotion 0.11 s, orchestration 72 ms",
      "  blip             passed  no        n/a        1.52 s  0 of 1252     no failover: at most 1 consecutive failed probe, 3 needed",
      "  lagging-replica  passed  yes       2.99 s     6.30 s  0 of 2125     lag guard blocked (lag 8.02 s > 5 s); an operator approved after 3.03 s",
      "  partition        passed  no        2.97 s     n/a     0 of 1594     critical alert, no failover; clients unaffected",
      "  switchover       passed  yes       n/a        0.35 s  0 of 752      planned: fenced, caught up, promoted (orchestration 169 ms)",
      "  region-lost      passed  no        2.73 s     7.69 s  30 of 746     no replica left: restored from the DR backups in 1.79 s; lost only commits after the restore point",
      "  restore-test     passed  no        n/a        n/a     0 of 795      restored in 2.00 s, data age 0.00 s, 1 heartbeat row read; writer unchanged",
      "",
      "Report: /tmp/drill-output-run/report.json, chart: /tmp/drill-output-run/timeline.svg",
    ]);
  });

  it("rounds every figure of the details and marks what does not apply", () => {
    expect(summary).toContain(
      "  detection 2.95 s | promotion 0.11 s | orchestration 72 ms | writer switched 3.16 s | RTO 3.22 s",
    );
    expect(summary).toContain(
      "  commits acknowledged 751 (in doubt 1) | lost 0 | data-loss window: engine 0.03 s, measured 0.00 s | false failovers 0",
    );
    expect(summary).toContain(
      "  detection n/a | promotion 0.12 s | orchestration 169 ms | writer switched 0.30 s | RTO 0.35 s",
    );
    expect(summary).toContain(
      "  detection 2.97 s | promotion n/a | orchestration n/a | writer switched n/a | RTO n/a",
    );
    expect(summary).toContain("  target RTO <= 10 s: 3.22 s (met)");
    expect(summary.join("\n")).not.toMatch(/\d\.\d{3,} s/);
    expect(summary.join("\n")).not.toContain("RDS reports");
  });

  it("prints no table for a single scenario", () => {
    const single = renderSummary({ ...sample, scenarios: [scenario("crash")] });
    expect(single).not.toContain("Summary:");
    expect(single).toContain("■ crash — passed");
  });
});
