import { buildReport, reportFigures, reportId, secondsBetween } from "../../../lib/lambda/core/report";
import { T0, primaryView, replicaView } from "../../support/fake-ports";

describe("reportId", () => {
  it("names the promotion by the replica's id and creation time, whatever the failure start", () => {
    const replica = replicaView({ id: "tap-replica-dev", createdAtMs: Date.UTC(2024, 3, 1, 12, 30, 5, 250) });
    expect(reportId(replica, T0)).toBe("tap-replica-dev-created-20240401T123005250Z");
    expect(reportId(replica, T0 + 60_000)).toBe(reportId(replica, T0));
  });

  it("falls back to the failure start when the creation time is unknown", () => {
    expect(reportId({ id: "tap-replica-dev" }, T0)).toBe("tap-replica-dev-failed-20240501T100000000Z");
  });

  it("keeps the id safe as an S3 key segment", () => {
    expect(reportId({ id: "arn:aws:rds:ap-southeast-1:123:db/x y" }, T0)).toBe(
      "arn-aws-rds-ap-southeast-1-123-db-x-y-failed-20240501T100000000Z",
    );
  });
});

describe("secondsBetween", () => {
  it.each([
    ["one decimal", T0, T0 + 12_345, 12.3],
    ["zero", T0, T0, 0],
    ["unknown start", null, T0, null],
    ["unknown end", T0, undefined, null],
    ["end before start is not a duration", T0 + 1, T0, null],
    ["NaN", Number.NaN, T0, null],
  ] as const)("%s", (_name, from, to, expected) => {
    expect(secondsBetween(from, to)).toBe(expected);
  });
});

describe("reportFigures", () => {
  const moments = {
    failureStartedAtMs: T0,
    detectedAtMs: T0 + 30_000,
    promoteCalledAtMs: T0 + 35_000,
    writableAtMs: T0 + 155_000,
    writerSwitchedAtMs: T0 + 175_000,
  };

  it("measures detection, promotion, RTO and the data-loss window", () => {
    expect(reportFigures(moments, 2.5, false)).toEqual({
      detectionSeconds: 30,
      promotionSeconds: 120,
      rtoSeconds: 175,
      dataLossWindowSeconds: 2.5,
    });
  });

  it("gives a planned switchover a zero data-loss window", () => {
    expect(reportFigures(moments, 2.5, true).dataLossWindowSeconds).toBe(0);
  });

  it("leaves what was not measured unknown", () => {
    expect(
      reportFigures(
        {
          failureStartedAtMs: null,
          detectedAtMs: null,
          promoteCalledAtMs: null,
          writableAtMs: null,
          writerSwitchedAtMs: T0,
        },
        null,
        false,
      ),
    ).toEqual({
      detectionSeconds: null,
      promotionSeconds: null,
      rtoSeconds: null,
      dataLossWindowSeconds: null,
    });
  });
});

describe("buildReport", () => {
  it("sorts the timeline by time, keeping the order of simultaneous entries", () => {
    const report = buildReport({
      id: "r",
      kind: "drill",
      startedAtMs: T0,
      finishedAtMs: T0 + 10,
      outcome: "succeeded",
      decisions: [],
      timeline: [
        { atMs: T0 + 5, event: "b", detail: "" },
        { atMs: T0, event: "a1", detail: "" },
        { atMs: T0, event: "a2", detail: "" },
      ],
      moments: {
        failureStartedAtMs: null,
        detectedAtMs: null,
        promoteCalledAtMs: null,
        writableAtMs: null,
        writerSwitchedAtMs: null,
      },
      lastHealthyLagSeconds: null,
      planned: false,
      oldPrimary: primaryView(),
      newPrimary: replicaView(),
    });
    expect(report.timeline.map((e) => e.event)).toEqual(["a1", "a2", "b"]);
    expect("error" in report).toBe(false);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
