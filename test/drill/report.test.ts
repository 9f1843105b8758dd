import type { FailoverReport, TimelineEntry } from "../../lib/lambda/core/ports";
import { DEFAULT_POLICY } from "../../lib/lambda/core/policy";
import type { Decision } from "../../lib/lambda/core/types";
import { DRILL_POLICY } from "../../lib/drill/args";
import {
  abbreviateStates,
  computeFigures,
  engineMoments,
  type EvaluationRecord,
  type ScenarioObservations,
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
      { name: "detection", limit: "<= 3.5 s", value: "2.4 s", met: true },
      { name: "RTO", limit: "<= 10 s", value: "11 s", met: false },
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
