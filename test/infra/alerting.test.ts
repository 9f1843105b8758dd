import { validateConfig } from "../../lib/config";
import { alarmSpecs } from "../../lib/infra/alerting";

const config = validateConfig({ environmentSuffix: "dev", "aws:region": "ap-southeast-1" });

describe("alarmSpecs", () => {
  const specs = alarmSpecs(config);
  const byKey = new Map(specs.map((s) => [`${s.subject}-${s.id}`, s]));

  it("declares exactly these alarms", () => {
    expect([...byKey.keys()]).toEqual([
      "primary-cpu",
      "primary-connections",
      "primary-free-storage",
      "primary-freeable-memory",
      "primary-write-latency",
      "replica-cpu",
      "replica-connections",
      "replica-free-storage",
      "replica-freeable-memory",
      "replica-replica-lag",
      "monitor-heartbeat-lag",
      "monitor-primary-unreachable",
      "monitor-monitor-silent",
    ]);
  });

  it.each([
    // [key, metric, statistic, comparison, threshold in the metric's unit, period s, periods, missing data]
    ["primary-cpu", "CPUUtilization", "Average", "GreaterThanThreshold", 80, 60, 5, "missing"],
    ["primary-connections", "DatabaseConnections", "Maximum", "GreaterThanThreshold", 320, 60, 5, "missing"],
    // 10% of 50 GiB, in bytes.
    [
      "primary-free-storage",
      "FreeStorageSpace",
      "Minimum",
      "LessThanThreshold",
      5368709120,
      300,
      1,
      "missing",
    ],
    // 256 MiB in bytes.
    [
      "primary-freeable-memory",
      "FreeableMemory",
      "Minimum",
      "LessThanThreshold",
      268435456,
      300,
      3,
      "missing",
    ],
    // 20 ms in seconds, WriteLatency's unit.
    ["primary-write-latency", "WriteLatency", "Average", "GreaterThanThreshold", 0.02, 60, 5, "missing"],
    ["replica-replica-lag", "ReplicaLag", "Maximum", "GreaterThanThreshold", 60, 60, 3, "missing"],
    ["monitor-heartbeat-lag", "HeartbeatLagSeconds", "Maximum", "GreaterThanThreshold", 60, 60, 3, "missing"],
    // A silent monitor is no evidence the primary is down: missing data keeps the state.
    ["monitor-primary-unreachable", "PrimaryReachable", "Maximum", "LessThanThreshold", 1, 60, 2, "missing"],
    // ...but a silent monitor is itself an alarm.
    ["monitor-monitor-silent", "MonitorRun", "Sum", "LessThanThreshold", 1, 60, 3, "breaching"],
  ])(
    "%s: %s %s %s %d",
    (
      key,
      metricName,
      statistic,
      comparisonOperator,
      threshold,
      periodSeconds,
      evaluationPeriods,
      treatMissingData,
    ) => {
      expect(byKey.get(key)).toMatchObject({
        metricName,
        statistic,
        comparisonOperator,
        threshold,
        periodSeconds,
        evaluationPeriods,
        treatMissingData,
      });
    },
  );

  it("follows the configured lag threshold in both lag alarms", () => {
    const strict = alarmSpecs({
      ...config,
      failoverPolicy: { ...config.failoverPolicy, maxReplicationLagSeconds: 15 },
    });
    expect(strict.filter((s) => /lag/.test(s.id)).map((s) => [s.id, s.threshold])).toEqual([
      ["replica-lag", 15],
      ["heartbeat-lag", 15],
    ]);
  });

  it("reads monitor metrics from the TapStack namespace and RDS metrics from AWS/RDS", () => {
    expect(new Set(specs.map((s) => `${s.subject}:${s.namespace}`))).toEqual(
      new Set(["primary:AWS/RDS", "replica:AWS/RDS", "monitor:TapStack"]),
    );
  });
});
