import { ConfigurationError } from "../../../lib/lambda/core/errors";
import {
  DEFAULT_POLICY,
  longestMonitorRunSeconds,
  MAX_REPLICATION_LAG_RANGE,
  POLICY_RANGES,
  policyProblems,
  validatePolicy,
  type NumericPolicyField,
} from "../../../lib/lambda/core/policy";
import type { FailoverPolicy } from "../../../lib/lambda/core/types";

/** A cadence spelled out by the tests below, independent of the production defaults. */
const FOUR_BY_15: FailoverPolicy = {
  ...DEFAULT_POLICY,
  probesPerRun: 4,
  probeIntervalSeconds: 15,
  probeTimeoutSeconds: 3,
};

describe("DEFAULT_POLICY", () => {
  it("holds the agreed production defaults", () => {
    expect(DEFAULT_POLICY).toEqual({
      probesPerRun: 7,
      probeIntervalSeconds: 8,
      probeTimeoutSeconds: 3,
      consecutiveFailuresToFailover: 3,
      maxReplicationLagSeconds: 60,
      acceptDataLoss: false,
      maxLagReadingAgeSeconds: 300,
      rdsMetricsSilentMinutes: 3,
      apiOutageMinutes: 3,
      regionalRestore: "auto",
      restoreConfirmationMinutes: 10,
    });
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
  });

  it("is valid", () => {
    expect(policyProblems(DEFAULT_POLICY)).toEqual([]);
  });
});

describe("validatePolicy", () => {
  it("returns a frozen copy of a sound policy", () => {
    const input = { ...FOUR_BY_15, maxReplicationLagSeconds: 30 };
    const result = validatePolicy(input);
    expect(result).toEqual(input);
    expect(result).not.toBe(input);
    expect(Object.isFrozen(result)).toBe(true);
  });

  it.each([
    [
      "zero probes",
      { probesPerRun: 0 },
      "probesPerRun must be a whole number from 1 to 20; got 0. Fix: set PROBES_PER_RUN to a value in that range (default 7).",
    ],
    [
      "fractional interval",
      { probeIntervalSeconds: 7.5 },
      "probeIntervalSeconds must be a whole number from 1 to 60; got 7.5. Fix: set PROBE_INTERVAL_SECONDS",
    ],
    [
      "NaN timeout",
      { probeTimeoutSeconds: Number.NaN },
      "probeTimeoutSeconds must be a number from 0.1 to 30; got NaN.",
    ],
    [
      "failing over on a single probe",
      { consecutiveFailuresToFailover: 1 },
      "consecutiveFailuresToFailover must be a whole number from 2 to 20; got 1. Fix: set CONSECUTIVE_FAILURES",
    ],
    [
      "negative lag limit",
      { maxReplicationLagSeconds: -1 },
      "maxReplicationLagSeconds must be a whole number from 0 to 60; got -1. Fix: set MAX_REPLICATION_LAG_SECONDS",
    ],
    [
      "string acceptDataLoss",
      { acceptDataLoss: "yes" },
      'acceptDataLoss must be true or false; got "yes". Fix: set ACCEPT_DATA_LOSS',
    ],
    [
      "unknown regional restore mode",
      { regionalRestore: "manual" },
      'regionalRestore must be one of auto, approve, off; got "manual". Fix: set REGIONAL_RESTORE to one of them (default auto).',
    ],
    [
      "restoring after 2 minutes of outage",
      { restoreConfirmationMinutes: 0 },
      "restoreConfirmationMinutes must be a number from 0.1 to 120; got 0. Fix: set RESTORE_CONFIRMATION_MINUTES",
    ],
    [
      "more failures needed than probes made",
      { consecutiveFailuresToFailover: 5 },
      "consecutiveFailuresToFailover (5) exceeds probesPerRun (4): one monitor run could never confirm a failure.",
    ],
    [
      "timeout as long as the interval",
      { probeTimeoutSeconds: 15 },
      "probeTimeoutSeconds (15) must be shorter than probeIntervalSeconds (15)",
    ],
    [
      "a run longer than the one-minute schedule",
      { probesPerRun: 5, probeIntervalSeconds: 15 },
      "a monitor run would last up to 63 s",
    ],
  ] as [string, Partial<Record<keyof FailoverPolicy, unknown>>, string][])(
    "rejects %s",
    (_name, change, message) => {
      const policy = { ...FOUR_BY_15, ...change } as FailoverPolicy;
      expect(() => validatePolicy(policy)).toThrow(ConfigurationError);
      expect(() => validatePolicy(policy)).toThrow(message);
    },
  );

  it.each([
    [
      "RDS metrics silence within ingestion delay",
      { rdsMetricsSilentMinutes: 2 },
      "rdsMetricsSilentMinutes must be a whole number from 3 to 60; got 2. Fix: set policy.rdsMetricsSilentMinutes to a value in that range (default 3).",
    ],
    [
      "a one-minute API outage",
      { apiOutageMinutes: 1 },
      "apiOutageMinutes must be a whole number from 2 to 60; got 1. Fix: set policy.apiOutageMinutes to a value in that range (default 3).",
    ],
    [
      "fractional API outage minutes",
      { apiOutageMinutes: 2.5 },
      "apiOutageMinutes must be a whole number from 2 to 60; got 2.5. Fix: set policy.apiOutageMinutes to a value in that range (default 3).",
    ],
  ])("rejects the second-signal thresholds: %s", (_situation, override, message) => {
    expect(policyProblems({ ...FOUR_BY_15, ...override } as FailoverPolicy)).toEqual([message]);
  });

  it("accepts a sub-second probe timeout (the local drill probes every second)", () => {
    const drill = { ...FOUR_BY_15, probeIntervalSeconds: 1, probeTimeoutSeconds: 0.5 };
    expect(validatePolicy(drill).probeTimeoutSeconds).toBe(0.5);
  });

  it("lists every problem at once", () => {
    const problems = policyProblems({ ...FOUR_BY_15, probesPerRun: 0, maxLagReadingAgeSeconds: 10 });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^probesPerRun /);
    expect(problems[1]).toMatch(/^maxLagReadingAgeSeconds must be a whole number from 60 to 86400; got 10\./);
  });
});

describe("POLICY_RANGES: the one range of every numeric field", () => {
  const fields = Object.keys(POLICY_RANGES) as NumericPolicyField[];

  it("covers every numeric field of the policy, and the lag limit's range is the same object", () => {
    expect(fields.sort()).toEqual(
      (Object.keys(DEFAULT_POLICY) as (keyof FailoverPolicy)[])
        .filter((k) => k !== "acceptDataLoss" && k !== "regionalRestore")
        .sort(),
    );
    expect(MAX_REPLICATION_LAG_RANGE).toBe(POLICY_RANGES.maxReplicationLagSeconds);
  });

  it.each(fields)("%s: validation accepts the range's ends and refuses just outside them", (field) => {
    const { min, max, integer } = POLICY_RANGES[field];
    // Cross-field rules aside: only the range's own problem is looked for.
    const own = (value: number): string[] =>
      policyProblems({ ...FOUR_BY_15, [field]: value }).filter((p) => p.startsWith(`${field} must be`));
    expect(own(min)).toEqual([]);
    expect(own(max)).toEqual([]);
    expect(own(min - (integer ? 1 : 0.01))).toHaveLength(1);
    expect(own(max + 1)).toHaveLength(1);
    if (integer) expect(own(min + 0.5)).toHaveLength(1);
  });
});

describe("longestMonitorRunSeconds: the lag read, the probes and their extension while the last ones fail", () => {
  it.each([
    ["4 probes 15 s apart: (4 + 3 - 1) × 15 s + 2 × 3 s", FOUR_BY_15, 96],
    [
      "the local drill's cadence: (4 + 3 - 1) × 1 s + 2 × 0.5 s",
      { ...FOUR_BY_15, probeIntervalSeconds: 1, probeTimeoutSeconds: 0.5 },
      7,
    ],
    [
      "a longer threshold extends the run: (4 + 4 - 1) × 15 s + 2 × 3 s",
      { ...FOUR_BY_15, consecutiveFailuresToFailover: 4 },
      111,
    ],
  ])("%s → %d s", (_name, policy, expected) => {
    expect(longestMonitorRunSeconds(policy)).toBe(expected);
  });
});
