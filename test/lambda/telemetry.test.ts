import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { createMetrics } from "../../lib/lambda/telemetry";

describe("createMetrics", () => {
  it("gives every metric exactly the Environment dimension the alarms read (no service dimension)", () => {
    const metrics = createMetrics("TapStack/DR", "health-monitor", "dev");
    metrics.addMetric("PrimaryReachable", MetricUnit.Count, 1);
    metrics.addMetric("PrimaryReachable", MetricUnit.Count, 0);
    const emf = metrics.serializeMetrics();
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "TapStack/DR",
        Dimensions: [["Environment"]],
        Metrics: [{ Name: "PrimaryReachable", Unit: "Count" }],
      },
    ]);
    expect(emf).toMatchObject({ Environment: "dev", PrimaryReachable: [1, 0] });
    expect(emf).not.toHaveProperty("service");
    metrics.clearMetrics();
  });
});
