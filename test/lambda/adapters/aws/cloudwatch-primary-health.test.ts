import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import {
  CloudWatchPrimaryHealth,
  type CloudWatchPrimaryHealthConfig,
} from "../../../../lib/lambda/adapters/aws/cloudwatch-primary-health";
import { ConfigurationError } from "../../../../lib/lambda/core/errors";
import { awsError, networkError } from "./fake-clock";

const primaryClient = new CloudWatchClient({ region: "ap-southeast-2" });
const controlClient = new CloudWatchClient({ region: "ap-southeast-1" });
const primaryCloudWatch = mockClient(primaryClient);
const controlCloudWatch = mockClient(controlClient);

/** 10:05:30 UTC: the minute 10:05 is still filling, 10:04 is the newest whole one. */
const NOW = Date.UTC(2026, 10, 25, 10, 5, 30);
const at = (hh: number, mm: number) => new Date(Date.UTC(2026, 10, 25, hh, mm, 0));
const ms = (hh: number, mm: number) => at(hh, mm).getTime();

function signals(overrides: Partial<CloudWatchPrimaryHealthConfig> = {}) {
  return new CloudWatchPrimaryHealth(
    {
      primaryInstanceId: "rds-primary-dev",
      metricsNamespace: "TapStack/DR",
      environmentSuffix: "dev",
      ...overrides,
    },
    { primaryCloudWatch: primaryClient, controlCloudWatch: controlClient },
  );
}

beforeEach(() => {
  primaryCloudWatch.reset();
  controlCloudWatch.reset();
});

describe("CloudWatchPrimaryHealth.rdsMetrics", () => {
  it("asks CloudWatch of the primary's region for AWS/RDS CPUUtilization SampleCount per minute, whole minutes only", async () => {
    primaryCloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: "rdsStream", Timestamps: [], Values: [] }] });
    await signals().rdsMetrics(NOW, 60);
    expect(primaryCloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        MetricDataQueries: [
          {
            Id: "rdsStream",
            MetricStat: {
              Metric: {
                Namespace: "AWS/RDS",
                MetricName: "CPUUtilization",
                Dimensions: [{ Name: "DBInstanceIdentifier", Value: "rds-primary-dev" }],
              },
              Period: 60,
              Stat: "SampleCount",
            },
            ReturnData: true,
          },
        ],
        StartTime: at(9, 5),
        EndTime: at(10, 5),
        ScanBy: "TimestampDescending",
      },
    ]);
    expect(controlCloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it("reports the minutes that hold samples, inside the window", async () => {
    primaryCloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: "rdsStream",
          // Newest first; a zero count and a point outside the window are not datapoints of the stream.
          Timestamps: [at(10, 5), at(10, 2), at(10, 1), at(10, 0), at(9, 0)],
          Values: [1, 1, 0, 1, 1],
        },
      ],
    });
    await expect(signals().rdsMetrics(NOW, 60)).resolves.toEqual({
      kind: "read",
      metricName: "CPUUtilization",
      periodSeconds: 60,
      windowStartMs: ms(9, 5),
      windowEndMs: ms(10, 5),
      datapointsAtMs: [ms(10, 2), ms(10, 0)],
    });
  });

  it("an empty answer is a read with no datapoints (not an error)", async () => {
    primaryCloudWatch.on(GetMetricDataCommand).resolves({});
    await expect(signals().rdsMetrics(NOW, 10)).resolves.toMatchObject({ kind: "read", datapointsAtMs: [] });
  });

  it.each([
    [
      "a black-holed endpoint",
      awsError("TimeoutError", "Connection timed out after 3000 ms"),
      "connectivity",
    ],
    ["connection refused", networkError("ECONNREFUSED"), "connectivity"],
    ["throttling", awsError("Throttling", "Rate exceeded", 400), "throttled"],
    ["a 5xx", awsError("InternalFailure", "internal", 500), "server-error"],
    ["access denied", awsError("AccessDenied", "not authorized", 403), "refused"],
  ])("never throws: %s gives unreadable with its kind", async (_situation, err, apiError) => {
    primaryCloudWatch.on(GetMetricDataCommand).rejects(err);
    await expect(signals().rdsMetrics(NOW, 60)).resolves.toEqual({
      kind: "unreadable",
      apiError,
      detail: expect.stringMatching(/^GetMetricData AWS\/RDS CPUUtilization: /),
    });
  });
});

describe("CloudWatchPrimaryHealth.apiReachabilityHistory", () => {
  it("asks CloudWatch of the DR region for the Maximum of PrimaryRegionApiReachable, Environment=<suffix>", async () => {
    controlCloudWatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: "primaryRegionApi", Timestamps: [], Values: [] }] });
    await signals().apiReachabilityHistory(NOW, 13);
    expect(controlCloudWatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      {
        MetricDataQueries: [
          {
            Id: "primaryRegionApi",
            MetricStat: {
              Metric: {
                Namespace: "TapStack/DR",
                MetricName: "PrimaryRegionApiReachable",
                Dimensions: [{ Name: "Environment", Value: "dev" }],
              },
              Period: 60,
              Stat: "Maximum",
            },
            ReturnData: true,
          },
        ],
        StartTime: at(9, 52),
        EndTime: at(10, 5),
        ScanBy: "TimestampDescending",
      },
    ]);
    expect(primaryCloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it("a minute is reached when any evaluation in it reached the region (Maximum 1), else unreached", async () => {
    controlCloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: "primaryRegionApi", Timestamps: [at(10, 4), at(10, 3), at(10, 1)], Values: [0, 1, 0] },
      ],
    });
    await expect(signals().apiReachabilityHistory(NOW, 13)).resolves.toEqual({
      kind: "read",
      periodSeconds: 60,
      samples: [
        { atMs: ms(10, 4), reachable: false },
        { atMs: ms(10, 3), reachable: true },
        { atMs: ms(10, 1), reachable: false },
      ],
    });
  });

  it("never throws: a DR-region CloudWatch that throttles gives unreadable", async () => {
    controlCloudWatch.on(GetMetricDataCommand).rejects(awsError("Throttling", "Rate exceeded", 400));
    await expect(signals().apiReachabilityHistory(NOW, 13)).resolves.toEqual({
      kind: "unreadable",
      apiError: "throttled",
      detail: "GetMetricData PrimaryRegionApiReachable: Throttling: Rate exceeded (HTTP 400)",
    });
  });
});

describe("CloudWatchPrimaryHealth configuration", () => {
  it.each([
    ["primaryInstanceId", { primaryInstanceId: "" }, "PRIMARY_INSTANCE_ID"],
    ["metricsNamespace", { metricsNamespace: " " }, "METRICS_NAMESPACE"],
    ["environmentSuffix", { environmentSuffix: "" }, "ENVIRONMENT_SUFFIX"],
  ])("rejects an empty %s, naming the variable", (key, override, variable) => {
    expect(() => signals(override)).toThrow(ConfigurationError);
    expect(() => signals(override)).toThrow(`CloudWatchPrimaryHealth ${key} must be a non-empty string`);
    expect(() => signals(override)).toThrow(`(check ${variable})`);
  });
});
