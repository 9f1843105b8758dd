import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import {
  CloudWatchLagHistory,
  type CloudWatchLagHistoryConfig,
} from "../../../../lib/lambda/adapters/aws/cloudwatch-lag-history";
import { ConfigurationError, ControlPlaneError } from "../../../../lib/lambda/core/errors";
import { awsError } from "./fake-clock";

const cloudWatch = mockClient(CloudWatchClient);
/** 10:05:30 UTC: the minute 10:05 is still running. */
const NOW = Date.UTC(2026, 10, 25, 10, 5, 30);
const at = (hh: number, mm: number, ss = 0) => new Date(Date.UTC(2026, 10, 25, hh, mm, ss));
const ms = (hh: number, mm: number, ss = 0) => at(hh, mm, ss).getTime();

function history(overrides: Partial<CloudWatchLagHistoryConfig> = {}) {
  return new CloudWatchLagHistory(
    { metricsNamespace: "TapStack/DR", environmentSuffix: "dev", ...overrides },
    new CloudWatchClient({ region: "ap-southeast-1" }),
  );
}

function answer(
  healthyLag: [Date, number][],
  primaryReachable: [Date, number][],
  primaryLastAnsweredAt: [Date, number][] = [],
) {
  const result = (id: string, points: [Date, number][]) => ({
    Id: id,
    Timestamps: points.map(([t]) => t),
    Values: points.map(([, v]) => v),
  });
  cloudWatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: [
      result("healthyLag", healthyLag),
      result("primaryReachable", primaryReachable),
      result("primaryLastAnsweredAt", primaryLastAnsweredAt),
    ],
  });
}

const reading = (atMs: number, lagSeconds: number) => ({
  atMs,
  lagSeconds,
  probe: { target: "replica", atMs, outcome: "ok", latencyMs: 0, detail: "from the monitor's history" },
});

beforeEach(() => cloudWatch.reset());

describe("CloudWatchLagHistory.lagEvidence", () => {
  it("dates the primary's last answer to the second with PrimaryLastAnsweredAt, not at its minute's end", async () => {
    const lastProbe = at(10, 3).getTime() + 17_000;
    answer([], [[at(10, 3), 1]], [[at(10, 3), lastProbe / 1000]]);
    expect((await history().lagEvidence(NOW, 600)).primaryLastAnsweredAtMs).toBe(lastProbe);
    cloudWatch.reset();
    answer([], [[at(10, 3), 1]]);
    expect((await history().lagEvidence(NOW, 600)).primaryLastAnsweredAtMs).toBe(at(10, 4).getTime());
  });

  it("asks for the per-minute Maximum of HealthyLagSeconds, PrimaryReachable and PrimaryLastAnsweredAt, Environment=<suffix>, up to the running minute", async () => {
    answer([], []);
    await history().lagEvidence(NOW, 600);
    const metric = (id: string, name: string) => ({
      Id: id,
      MetricStat: {
        Metric: {
          Namespace: "TapStack/DR",
          MetricName: name,
          Dimensions: [{ Name: "Environment", Value: "dev" }],
        },
        Period: 60,
        Stat: "Maximum",
      },
      ReturnData: true,
    });
    expect(cloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        MetricDataQueries: [
          metric("healthyLag", "HealthyLagSeconds"),
          metric("primaryReachable", "PrimaryReachable"),
          metric("primaryLastAnsweredAt", "PrimaryLastAnsweredAt"),
        ],
        // StartTime is inclusive and rounded down to the minute, EndTime exclusive: the running
        // minute 10:05 is asked for explicitly (reference §5).
        StartTime: at(9, 55),
        EndTime: at(10, 6),
        ScanBy: "TimestampDescending",
      },
    ]);
  });

  const situations: [
    situation: string,
    healthyLag: [Date, number][],
    primaryReachable: [Date, number][],
    expected: object,
  ][] = [
    [
      "no datapoints",
      [],
      [],
      { lastHealthyLag: null, primaryLastAnsweredAtMs: null, failureFirstSeenAtMs: null },
    ],
    [
      "a healthy monitor: the newest reading, dated at its minute's start, the last answer at the running minute's end capped at now",
      [
        [at(10, 3), 0.8],
        [at(10, 5), 1.5],
        [at(10, 4), 0.4],
      ],
      [
        [at(10, 4), 1],
        [at(10, 5), 1],
      ],
      { lastHealthyLag: reading(ms(10, 5), 1.5), primaryLastAnsweredAtMs: NOW, failureFirstSeenAtMs: null },
    ],
    [
      "the primary died in minute 10:02: first failure seen at the end of the first all-failed minute",
      [
        [at(10, 1), 2],
        [at(10, 2), 2.5],
      ],
      [
        [at(10, 1), 1],
        [at(10, 2), 1],
        [at(10, 3), 0],
        [at(10, 4), 0],
        [at(10, 5), 0],
      ],
      {
        lastHealthyLag: reading(ms(10, 2), 2.5),
        primaryLastAnsweredAtMs: ms(10, 3),
        failureFirstSeenAtMs: ms(10, 4),
      },
    ],
    [
      "a blip before the last answer is not the failure",
      [[at(10, 1), 2]],
      [
        [at(10, 0), 0],
        [at(10, 1), 1],
      ],
      {
        lastHealthyLag: reading(ms(10, 1), 2),
        primaryLastAnsweredAtMs: ms(10, 2),
        failureFirstSeenAtMs: null,
      },
    ],
    [
      "a non-finite value is ignored",
      [[at(10, 4), Number.NaN]],
      [],
      { lastHealthyLag: null, primaryLastAnsweredAtMs: null, failureFirstSeenAtMs: null },
    ],
  ];
  it.each(situations)("%s", async (_s, healthyLag, primaryReachable, expected) => {
    answer(healthyLag, primaryReachable);
    await expect(history().lagEvidence(NOW, 600)).resolves.toEqual(expected);
  });

  it("throws ControlPlaneError with the cause when CloudWatch cannot be read", async () => {
    const throttled = awsError("Throttling", "Rate exceeded", 400);
    cloudWatch.on(GetMetricDataCommand).rejects(throttled);
    const evidence = history().lagEvidence(NOW, 600);
    await expect(evidence).rejects.toThrow(ControlPlaneError);
    await expect(evidence).rejects.toMatchObject({
      message:
        "Reading HealthyLagSeconds and PrimaryReachable from CloudWatch failed: Throttling: Rate exceeded (HTTP 400)",
      cause: throttled,
    });
  });

  it("rejects a non-positive lookback", async () => {
    await expect(history().lagEvidence(NOW, 0)).rejects.toThrow(
      `lagEvidence needs a finite nowMs and a positive lookbackSeconds, got ${NOW} and 0`,
    );
  });
});

describe("CloudWatchLagHistory configuration", () => {
  const bad: [situation: string, overrides: Partial<CloudWatchLagHistoryConfig>, message: string][] = [
    [
      "empty namespace",
      { metricsNamespace: "" },
      'metricsNamespace must be 1-255 printable ASCII characters not starting with ":", got "" (check METRICS_NAMESPACE)',
    ],
    ["namespace starting with a colon", { metricsNamespace: ":x" }, "(check METRICS_NAMESPACE)"],
    [
      "empty suffix",
      { environmentSuffix: " " },
      'environmentSuffix must be a non-empty string, got " " (check ENVIRONMENT_SUFFIX)',
    ],
    ["a 45 s period", { periodSeconds: 45 }, "periodSeconds must be a multiple of 60, got 45"],
    ["a 30 s period (finer than the metrics' one-minute storage)", { periodSeconds: 30 }, "got 30"],
  ];
  it.each(bad)("rejects %s", (_s, overrides, message) => {
    expect(() => history(overrides)).toThrow(ConfigurationError);
    expect(() => history(overrides)).toThrow(message);
  });
});
