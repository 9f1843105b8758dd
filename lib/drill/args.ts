import { DEFAULT_POLICY, longestMonitorRunSeconds, MAX_REPLICATION_LAG_RANGE } from "../lambda/core/policy";
import { parseCliArgs, UsageError, type CliOptions } from "../cli/args";
import type { FailoverPolicy } from "../lambda/core/types";
import { SCENARIO_NAMES, type ScenarioName } from "./scenarios";

/** The scenarios' names and their type come from the registry, `lib/drill/scenarios/`. */
export { SCENARIO_NAMES, type ScenarioName };

/** The command line was wrong; the message names the option, the value and the fix. */
export class DrillUsageError extends UsageError {}

/** Everything a drill run is configured with. */
export interface DrillOptions {
  readonly scenarios: readonly ScenarioName[];
  /** Output folder; `null` means `.drill/<timestamp>/`. */
  readonly outDir: string | null;
  /** Extra copy of the JSON report, when asked for. */
  readonly jsonFile: string | null;
  /** The failover policy the monitor and the decision run with (scaled down by default). */
  readonly policy: FailoverPolicy;
  /** Commits per second of the write workload. */
  readonly commitsPerSecond: number;
  /** Healthy running time before the fault: the monitor needs a healthy lag reading first. */
  readonly warmupSeconds: number;
  /** How long `blip` freezes the primary; must stay below the detection window. */
  readonly blipSeconds: number;
  /** How long scenarios that must not fail over are watched after the fault. */
  readonly observeSeconds: number;
  /** Hard deadline of one scenario, fault to end. */
  readonly scenarioTimeoutSeconds: number;
  readonly help: boolean;
}

/**
 * The drill's policy: `DEFAULT_POLICY` (the production policy, one constant) with the probe timings
 * scaled down so a game day takes seconds (1 s probes instead of 15 s). The lag guard is scaled too,
 * so the `lagging-replica` scenario can trip it in a few seconds.
 *
 * The lag reading's age limit is NOT scaled: the drill reads the monitor's history as the failover
 * function does, from per-minute CloudWatch datapoints, and a reading is dated at its minute's start
 * (overstating its age by up to a minute, never understating it), so a limit of the drill's seconds
 * would refuse readings for the resolution of CloudWatch itself, not for their real age.
 */
export const DRILL_POLICY: FailoverPolicy = Object.freeze({
  ...DEFAULT_POLICY,
  probeIntervalSeconds: 1,
  probeTimeoutSeconds: 0.5,
  maxReplicationLagSeconds: 5,
  // A regional loss is confirmed after 6 s instead of 10 minutes.
  restoreConfirmationMinutes: 0.1,
});

/** The scenario deadline at the drill's own cadence (`--timeout`'s default there). */
export const DEFAULT_SCENARIO_TIMEOUT_SECONDS = 30;

/**
 * `--timeout`'s default for `policy`: the drill's 30 s, or two of the policy's longest monitor runs
 * when that is longer. Detection ends at most one longest run after the fault (a run that ends on a
 * failing probe keeps probing until it confirms), and the local decision, promotion and writer
 * switch take seconds; the second run leaves that room at any cadence. 192 s at the production
 * cadence (15 s probes), where a fixed 30 s would end every scenario before it could be detected.
 */
export function defaultScenarioTimeoutSeconds(policy: FailoverPolicy): number {
  return Math.max(DEFAULT_SCENARIO_TIMEOUT_SECONDS, Math.ceil(2 * longestMonitorRunSeconds(policy)));
}

/** Default drill settings (see `--help`). */
export const DEFAULT_DRILL_OPTIONS: DrillOptions = {
  scenarios: ["crash"],
  outDir: null,
  jsonFile: null,
  policy: DRILL_POLICY,
  commitsPerSecond: 100,
  warmupSeconds: 2,
  blipSeconds: 1.5,
  observeSeconds: 8,
  scenarioTimeoutSeconds: defaultScenarioTimeoutSeconds(DRILL_POLICY),
  help: false,
};

/** Usage text printed by `--help` and after a usage error. */
export const USAGE = `Usage: npm run drill -- [options]

Runs a local DR game day on real PostgreSQL 14 (primary + streaming replica on loopback),
driving the same monitor -> decide -> act code that runs in Lambda.

Scenarios:
  --scenario NAME        one of: ${SCENARIO_NAMES.join(", ")} (default: crash)
  --all                  run every scenario, in the order above

Output:
  --out DIR              output folder (default: .drill/<timestamp>/)
  --json FILE            also write the JSON report to FILE

Timings (drill defaults are scaled down from production):
  --probe-interval S     seconds between two probes (default ${DRILL_POLICY.probeIntervalSeconds}; production ${DEFAULT_POLICY.probeIntervalSeconds})
  --probe-timeout S      timeout of one probe (default ${DRILL_POLICY.probeTimeoutSeconds}; production ${DEFAULT_POLICY.probeTimeoutSeconds})
  --probes-per-run N     probes per monitor run (default ${DRILL_POLICY.probesPerRun}; production ${DEFAULT_POLICY.probesPerRun})
  --failures N           consecutive failed probes before failing over (default ${DRILL_POLICY.consecutiveFailuresToFailover}; production ${DEFAULT_POLICY.consecutiveFailuresToFailover})
  --max-lag S            lag guard: no automatic failover above this lag (default ${DRILL_POLICY.maxReplicationLagSeconds}; production ${DEFAULT_POLICY.maxReplicationLagSeconds})
  --lag-age S            oldest usable lag reading (default ${DRILL_POLICY.maxLagReadingAgeSeconds}; production ${DEFAULT_POLICY.maxLagReadingAgeSeconds})
  --accept-data-loss     fail over even when the lag guard trips
  --rate N               workload commits per second (default ${DEFAULT_DRILL_OPTIONS.commitsPerSecond})
  --warmup S             healthy seconds before the fault (default ${DEFAULT_DRILL_OPTIONS.warmupSeconds})
  --blip S               how long 'blip' freezes the primary (default ${DEFAULT_DRILL_OPTIONS.blipSeconds})
  --observe S            how long no-failover scenarios are watched (default ${DEFAULT_DRILL_OPTIONS.observeSeconds})
  --timeout S            deadline of one scenario (default ${DEFAULT_DRILL_OPTIONS.scenarioTimeoutSeconds}; with slower probes, two of the longest monitor runs)
  -h, --help             print this text
`;

type NumberOption = {
  readonly kind: "number";
  readonly integer: boolean;
  /** Smallest accepted value; `exclusive` means the value must be strictly greater. */
  readonly min: number;
  readonly exclusive: boolean;
  readonly max: number;
  readonly apply: (o: Mutable<DrillOptions>, p: Mutable<FailoverPolicy>, v: number) => void;
};
type StringOption = {
  readonly kind: "string";
  readonly apply: (o: Mutable<DrillOptions>, v: string) => void;
};
type FlagOption = {
  readonly kind: "flag";
  readonly apply: (o: Mutable<DrillOptions>, p: Mutable<FailoverPolicy>) => void;
};
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const seconds = (apply: NumberOption["apply"], min = 0, max = 3600, exclusive = true): NumberOption => ({
  kind: "number",
  integer: false,
  min,
  max,
  exclusive,
  apply,
});
const count = (apply: NumberOption["apply"], min = 1, max = 1000): NumberOption => ({
  kind: "number",
  integer: true,
  min,
  max,
  exclusive: false,
  apply,
});

const OPTIONS: Record<string, NumberOption | StringOption | FlagOption> = {
  scenario: {
    kind: "string",
    apply: (o, v) => {
      if (!(SCENARIO_NAMES as readonly string[]).includes(v)) {
        throw new DrillUsageError(
          `--scenario "${v}" is not a scenario; use one of: ${SCENARIO_NAMES.join(", ")} (or --all)`,
        );
      }
      o.scenarios = [v as ScenarioName];
    },
  },
  all: { kind: "flag", apply: (o) => (o.scenarios = [...SCENARIO_NAMES]) },
  out: { kind: "string", apply: (o, v) => (o.outDir = v) },
  json: { kind: "string", apply: (o, v) => (o.jsonFile = v) },
  "probe-interval": seconds((_, p, v) => (p.probeIntervalSeconds = v), 0, 600),
  "probe-timeout": seconds((_, p, v) => (p.probeTimeoutSeconds = v), 0, 60),
  "probes-per-run": count((_, p, v) => (p.probesPerRun = v), 1, 100),
  failures: count((_, p, v) => (p.consecutiveFailuresToFailover = v), 1, 100),
  "max-lag": seconds(
    (_, p, v) => (p.maxReplicationLagSeconds = v),
    MAX_REPLICATION_LAG_RANGE.min,
    MAX_REPLICATION_LAG_RANGE.max,
    false,
  ),
  "lag-age": seconds((_, p, v) => (p.maxLagReadingAgeSeconds = v), 0, 86400),
  "accept-data-loss": { kind: "flag", apply: (_, p) => (p.acceptDataLoss = true) },
  rate: seconds((o, _, v) => (o.commitsPerSecond = v), 0, 2000),
  warmup: seconds((o, _, v) => (o.warmupSeconds = v), 0, 600, false),
  blip: seconds((o, _, v) => (o.blipSeconds = v), 0, 600),
  observe: seconds((o, _, v) => (o.observeSeconds = v), 0, 600),
  timeout: seconds((o, _, v) => (o.scenarioTimeoutSeconds = v), 0, 3600),
};

/**
 * Parses the drill's command line (`process.argv.slice(2)`). Accepts `--name value` and
 * `--name=value`. Throws `DrillUsageError` naming the option, the bad value and the fix.
 */
export function parseDrillArgs(argv: readonly string[]): DrillOptions {
  const options: Mutable<DrillOptions> = { ...DEFAULT_DRILL_OPTIONS };
  const policy: Mutable<FailoverPolicy> = { ...DRILL_POLICY };
  const cliOptions: CliOptions = Object.fromEntries(
    Object.entries(OPTIONS).map(([key, spec]) => [
      key,
      { type: spec.kind === "flag" ? "boolean" : "string", example: example(`--${key}`) },
    ]),
  );
  let parsed;
  try {
    parsed = parseCliArgs(argv, cliOptions);
  } catch (error) {
    // Same message, typed as the drill's own usage error.
    if (error instanceof UsageError) throw new DrillUsageError(error.message, { cause: error });
    throw error;
  }
  const { values, help, given } = parsed;
  options.help = help;
  for (const key of new Set(given)) {
    const spec = OPTIONS[key];
    const value = values[key];
    if (spec === undefined || value === undefined) continue;
    if (spec.kind === "flag") spec.apply(options, policy);
    else if (spec.kind === "string") spec.apply(options, value as string);
    else spec.apply(options, policy, parseNumber(`--${key}`, value as string, spec));
  }
  if (given.includes("scenario") && given.includes("all")) {
    throw new DrillUsageError("--scenario and --all exclude each other; pass one of them");
  }
  options.policy = policy;
  if (!given.includes("timeout")) options.scenarioTimeoutSeconds = defaultScenarioTimeoutSeconds(policy);
  if (!help) checkCoherence(options);
  return options;
}

function example(name: string): string {
  if (name === "--scenario") return "crash";
  if (name === "--out") return ".drill/my-run";
  if (name === "--json") return "drill.json";
  return "2";
}

function parseNumber(name: string, raw: string, spec: NumberOption): number {
  const value = Number(raw);
  const what = spec.integer ? "a whole number" : "a number";
  const range = `${spec.exclusive ? "greater than" : "at least"} ${spec.min} and at most ${spec.max}`;
  if (raw.trim() === "" || !Number.isFinite(value) || (spec.integer && !Number.isInteger(value))) {
    throw new DrillUsageError(
      `${name} "${raw}" is not ${what}; pass ${what} ${range}, e.g. ${name} ${example(name)}`,
    );
  }
  if ((spec.exclusive ? value <= spec.min : value < spec.min) || value > spec.max) {
    throw new DrillUsageError(`${name} ${raw} is out of range; pass ${what} ${range}`);
  }
  return value;
}

/** Checks between options: each names both options and says which to change. */
function checkCoherence(o: DrillOptions): void {
  const p = o.policy;
  if (p.probeTimeoutSeconds >= p.probeIntervalSeconds) {
    throw new DrillUsageError(
      `--probe-timeout ${p.probeTimeoutSeconds} must be below --probe-interval ${p.probeIntervalSeconds}; ` +
        "otherwise probes overlap. Lower --probe-timeout or raise --probe-interval",
    );
  }
  if (p.consecutiveFailuresToFailover > p.probesPerRun) {
    throw new DrillUsageError(
      `--failures ${p.consecutiveFailuresToFailover} exceeds --probes-per-run ${p.probesPerRun}; ` +
        "one monitor run could never confirm a failure. Raise --probes-per-run or lower --failures",
    );
  }
  const windowSeconds = (p.consecutiveFailuresToFailover - 1) * p.probeIntervalSeconds;
  if (o.scenarios.includes("blip") && o.blipSeconds >= windowSeconds) {
    throw new DrillUsageError(
      `--blip ${o.blipSeconds} must be shorter than the detection window ` +
        `((--failures - 1) x --probe-interval = ${windowSeconds} s), or the blip is a real failure; lower --blip`,
    );
  }
}
