import { parseTimeline, TimelineError } from "../../lib/simulator/timeline";

const valid = {
  name: "t",
  placement: "same-region",
  seed: 1,
  durationMinutes: 20,
  aws: { promotionSeconds: 120, rdsStatusDelaySeconds: 60, deadStatus: "failed", route53InsyncSeconds: 45 },
  workload: { commitsPerSecond: 10 },
  faults: [{ atMinute: 2, kind: "primary-dies" }],
};

describe("parseTimeline", () => {
  it("accepts the documented fields and fills the AWS defaults", () => {
    const t = parseTimeline(valid);
    expect(t.faults).toEqual([{ kind: "primary-dies", atMinute: 2, forMinutes: undefined }]);
    expect(t.aws).toMatchObject({
      promotionSeconds: 120,
      rebootSeconds: 60,
      promotionSequence: "modifying-rebooting",
    });
    expect(t.triggerPath).toBe("both");
  });

  it("reads a step runner's crash and stall at a workflow step, and the failover function's at StartExecution", () => {
    const t = parseTimeline({
      ...valid,
      faults: [
        { atMinute: 2, kind: "function-crash", function: "step-runner", step: "check-writable", times: 2 },
        { atMinute: 2, kind: "function-timeout", function: "step-runner", step: "switch-writer" },
        { atMinute: 3, kind: "function-crash", function: "failover", step: "start-execution" },
      ],
    });
    expect(t.faults).toEqual([
      { kind: "function-crash", atMinute: 2, function: "step-runner", step: "check-writable", times: 2 },
      { kind: "function-timeout", atMinute: 2, function: "step-runner", step: "switch-writer", times: 1 },
      { kind: "function-crash", atMinute: 3, function: "failover", step: "start-execution", times: 1 },
    ]);
  });

  it.each([
    [
      "an unknown placement",
      { placement: "multi-region" },
      /placement is "multi-region"; use one of "same-region", "cross-region"/,
    ],
    [
      "a promotion beyond 3 hours",
      { aws: { promotionSeconds: 10801 } },
      /aws\.promotionSeconds is 10801; set it to a number from 60 to 10800/,
    ],
    [
      "a typo in a key",
      { aws: { promotionSecs: 10 } },
      /aws\.promotionSecs is 10; remove it; known keys here are/,
    ],
    [
      "a fault after the end",
      { faults: [{ atMinute: 30, kind: "primary-dies" }] },
      /faults\[0\]\.atMinute is 30; set it to a number from 0 to 19/,
    ],
    [
      "an unknown fault kind",
      { faults: [{ atMinute: 1, kind: "meteor" }] },
      /faults\[0\]\.kind is "meteor"; use one of "primary-dies"/,
    ],
    [
      "an API fault without a service",
      { faults: [{ atMinute: 1, kind: "api-throttle", region: "primary" }] },
      /faults\[0\]\.service is nothing; use one of "rds"/,
    ],
    [
      "a bad region",
      { faults: [{ atMinute: 1, kind: "api-errors", service: "rds", region: "mars" }] },
      /faults\[0\]\.region is "mars"; use a region code/,
    ],
    [
      "a crash at a step no function runs",
      { faults: [{ atMinute: 1, kind: "function-crash", function: "step-runner", step: "dance" }] },
      /faults\[0\]\.step is "dance"; use one of "notify-start"/,
    ],
    [
      "a workflow step crashing the failover function, which only starts the workflow",
      { faults: [{ atMinute: 1, kind: "function-crash", function: "failover", step: "promote-replica" }] },
      /faults\[0\]\.step is "promote-replica"; the failover function only decides and starts the workflow \(its point is "start-execution"\); set function to "step-runner"/,
    ],
    [
      "a timeout of a function other than the step runner",
      { faults: [{ atMinute: 1, kind: "function-timeout", function: "failover", step: "start-execution" }] },
      /faults\[0\]\.function is "failover"; use one of "step-runner"/,
    ],
    ["a fractional seed", { seed: 1.5 }, /seed is 1.5; set it to a whole number/],
  ])("refuses %s with the field, the value and the fix", (_name, patch, message) => {
    expect(() => parseTimeline({ ...valid, ...patch }, "x.json")).toThrow(TimelineError);
    expect(() => parseTimeline({ ...valid, ...patch }, "x.json")).toThrow(message);
  });
});
