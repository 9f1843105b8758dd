import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import {
  CloudWatchLagHistory,
  type CloudWatchLagHistoryConfig,
} from "../../../../lib/lambda/adapters/aws/cloudwatch-lag-history";
import { ConfigurationError, ControlPlaneError } from "../../../../lib/lambda/core/errors";
import { awsError } from "./fake-clock";

const cloudWatch = mockClient(CloudWatchClient);
/** 10:05:30 UTC: the minute 10:05 is still running, 10:04 is the newest whole one. */
const BEFORE = Date.UTC(2026, 10, 25, 10, 5, 30);
const at = (hh: number, mm: number) => new Date(Date.UTC(2026, 10, 25, hh, mm, 0));

function history(overrides: Partial<CloudWatchLagHistoryConfig> = {}) {
  return new CloudWatchLagHistory(
    { metricsNamespace: "TapStack/DR", environmentSuffix: "dev", ...overrides },
    new CloudWatchClient({ region: "ap-southeast-1" }),
  );
}

beforeEach(() => cloudWatch.reset());

describe("CloudWatchLagHistory.lastHealthyLag", () => {
  it("asks for the Maximum of HeartbeatLagSeconds per minute, Environment=<suffix>, whole minutes only", async () => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: "heartbeatLag", Timestamps: [], Values: [] }] });
    await history().lastHealthyLag(BEFORE, 600);
    expect(cloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        MetricDataQueries: [
          {
            Id: "heartbeatLag",
            MetricStat: {
              Metric: {
                Namespace: "TapStack/DR",
                MetricName: "HeartbeatLagSeconds",
                Dimensions: [{ Name: "Environment", Value: "dev" }],
              },
              Period: 60,
              Stat: "Maximum",
            },
            ReturnData: true,
          },
        ],
        StartTime: at(9, 55),
        EndTime: at(10, 5),
        ScanBy: "TimestampDescending",
      },
    ]);
  });

  it("returns the newest whole minute as a reading from CloudWatch", async () => {
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "heartbeatLag", Timestamps: [at(10, 3), at(10, 4), at(10, 2)], Values: [0.8, 1.5, 0.4] },
      ],
    });
    await expect(history().lastHealthyLag(BEFORE, 600)).resolves.toEqual({
      atMs: at(10, 4).getTime(),
      lagSeconds: 1.5,
      probe: {
        target: "replica",
        atMs: at(10, 4).getTime(),
        outcome: "ok",
        latencyMs: 0,
        detail: "from CloudWatch",
      },
    });
  });

  const ignored: [situation: string, timestamps: Date[], values: number[]][] = [
    ["no datapoints", [], []],
    ["only the running minute, which ends after beforeMs", [at(10, 5)], [0.2]],
    ["only a minute before the lookback window", [at(9, 54)], [0.2]],
    ["a non-finite value", [at(10, 4)], [Number.NaN]],
  ];
  it.each(ignored)("returns null for %s", async (_s, timestamps, values) => {
    cloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: "heartbeatLag", Timestamps: timestamps, Values: values }] });
    await expect(history().lastHealthyLag(BEFORE, 600)).resolves.toBeNull();
  });

  it("returns null without a call when the window holds no whole period", async () => {
    await expect(history().lastHealthyLag(BEFORE, 20)).resolves.toBeNull();
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it("throws ControlPlaneError with the cause when CloudWatch cannot be read", async () => {
    const throttled = awsError("Throttling", "Rate exceeded", 400);
    cloudWatch.on(GetMetricDataCommand).rejects(throttled);
    const reading = history().lastHealthyLag(BEFORE, 600);
    await expect(reading).rejects.toThrow(ControlPlaneError);
    await expect(reading).rejects.toMatchObject({
      message: "Reading HeartbeatLagSeconds from CloudWatch failed: Throttling: Rate exceeded (HTTP 400)",
      cause: throttled,
    });
  });

  it("rejects a non-positive lookback", async () => {
    await expect(history().lastHealthyLag(BEFORE, 0)).rejects.toThrow(
      `lastHealthyLag needs a finite beforeMs and a positive lookbackSeconds, got ${BEFORE} and 0`,
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
    [
      "a 45 s period",
      { periodSeconds: 45 },
      "periodSeconds must be 1, 5, 10, 20, 30 or a multiple of 60, got 45",
    ],
  ];
  it.each(bad)("rejects %s", (_s, overrides, message) => {
    expect(() => history(overrides)).toThrow(ConfigurationError);
    expect(() => history(overrides)).toThrow(message);
  });
});
