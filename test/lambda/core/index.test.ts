import * as core from "../../../lib/lambda/core";

describe("core public surface", () => {
  it("exposes the agreed API to the handlers and the drill", () => {
    expect(Object.keys(core).sort()).toEqual(
      expect.arrayContaining([
        "DEFAULT_POLICY",
        "validatePolicy",
        "decide",
        "consecutiveFailures",
        "failoverState",
        "runMonitor",
        "readSnapshot",
        "evaluateAndAct",
        "reportId",
        "buildReport",
        "ConfigurationError",
      ]),
    );
    expect(typeof core.decide).toBe("function");
    expect(core.DEFAULT_POLICY.consecutiveFailuresToFailover).toBe(3);
  });
});
