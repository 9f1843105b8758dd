import {
  DEFAULT_DRILL_OPTIONS,
  defaultScenarioTimeoutSeconds,
  DRILL_POLICY,
  DrillUsageError,
  parseDrillArgs,
  SCENARIO_NAMES,
  USAGE,
} from "../../lib/drill/args";
import { validatePolicy } from "../../lib/lambda/core/policy";

describe("the scenario deadline follows the probe cadence unless --timeout is given", () => {
  const PRODUCTION = [
    "--probe-interval",
    "15",
    "--probe-timeout",
    "3",
    "--failures",
    "3",
    "--probes-per-run",
    "4",
  ];
  it.each([
    ["the drill's cadence keeps 30 s", [], 30],
    ["production settings: two longest runs, 2 × ((4 + 3 - 1) × 15 s + 2 × 3 s)", PRODUCTION, 192],
    ["an explicit --timeout wins", [...PRODUCTION, "--timeout", "60"], 60],
  ])("%s", (_name, argv, expected) => {
    expect(parseDrillArgs(argv).scenarioTimeoutSeconds).toBe(expected);
  });

  it("is computed from the policy's longest run", () => {
    expect(
      defaultScenarioTimeoutSeconds({ ...DRILL_POLICY, probeIntervalSeconds: 10, probeTimeoutSeconds: 2 }),
    ).toBe(188);
  });
});

describe("parseDrillArgs", () => {
  it("defaults to the crash scenario with the scaled-down policy", () => {
    const options = parseDrillArgs([]);
    expect(options.scenarios).toEqual(["crash"]);
    expect(options.policy).toEqual(DRILL_POLICY);
    expect(options.commitsPerSecond).toBe(100);
    expect(options.outDir).toBeNull();
    expect(options.jsonFile).toBeNull();
  });

  it("gives a policy the engine accepts (1 s probes need a sub-second timeout)", () => {
    expect(validatePolicy(DRILL_POLICY)).toEqual(DRILL_POLICY);
  });

  const accepted: [string, string[], (o: ReturnType<typeof parseDrillArgs>) => unknown, unknown][] = [
    ["one scenario", ["--scenario", "blip"], (o) => o.scenarios, ["blip"]],
    ["--name=value form", ["--scenario=partition"], (o) => o.scenarios, ["partition"]],
    ["every scenario", ["--all"], (o) => o.scenarios, [...SCENARIO_NAMES]],
    ["JSON copy", ["--json", "out/drill.json"], (o) => o.jsonFile, "out/drill.json"],
    ["output folder", ["--out", "/tmp/x"], (o) => o.outDir, "/tmp/x"],
    ["probe interval", ["--probe-interval", "2"], (o) => o.policy.probeIntervalSeconds, 2],
    ["failures", ["--failures", "2"], (o) => o.policy.consecutiveFailuresToFailover, 2],
    ["fractional timeout", ["--probe-timeout", "0.25"], (o) => o.policy.probeTimeoutSeconds, 0.25],
    ["lag guard off by zero", ["--max-lag", "0"], (o) => o.policy.maxReplicationLagSeconds, 0],
    ["accept data loss", ["--accept-data-loss"], (o) => o.policy.acceptDataLoss, true],
    ["rate", ["--rate", "200"], (o) => o.commitsPerSecond, 200],
    ["help", ["-h"], (o) => o.help, true],
  ];
  it.each(accepted)("accepts %s", (_name, argv, pick, expected) => {
    expect(pick(parseDrillArgs(argv))).toEqual(expected);
  });

  const refused: [string, string[], string][] = [
    [
      "an unknown scenario",
      ["--scenario", "meteor"],
      '--scenario "meteor" is not a scenario; use one of: crash, stop',
    ],
    ["an unknown option", ["--fast"], 'unknown option "--fast"'],
    ["a missing value", ["--rate"], "--rate needs a value, e.g. --rate 2"],
    ["an option where a value belongs", ["--json", "--all"], "--json needs a value"],
    ["a non-number", ["--probe-interval", "fast"], '--probe-interval "fast" is not a number'],
    ["a fraction for a count", ["--failures", "2.5"], '--failures "2.5" is not a whole number'],
    ["zero rate", ["--rate", "0"], "--rate 0 is out of range; pass a number greater than 0"],
    ["a value on a flag", ["--all=yes"], '--all is a flag and takes no value, got "yes"'],
    ["a positional argument", ["crash"], 'unexpected argument "crash"'],
    ["--scenario with --all", ["--scenario", "crash", "--all"], "--scenario and --all exclude each other"],
    [
      "a timeout as long as the interval",
      ["--probe-timeout", "1"],
      "--probe-timeout 1 must be below --probe-interval 1",
    ],
    ["more failures than probes per run", ["--failures", "8"], "--failures 8 exceeds --probes-per-run 7"],
    [
      "a blip as long as the detection window",
      ["--scenario", "blip", "--blip", "2"],
      "--blip 2 must be shorter than the detection window ((--failures - 1) x --probe-interval = 2 s)",
    ],
  ];
  it.each(refused)("refuses %s with a message naming the fix", (_name, argv, message) => {
    let thrown: unknown;
    try {
      parseDrillArgs(argv);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DrillUsageError);
    expect((thrown as Error).message).toContain(message);
  });

  it("does not check the blip length when blip is not run", () => {
    expect(parseDrillArgs(["--blip", "5"]).blipSeconds).toBe(5);
  });

  it("leaves the defaults object untouched", () => {
    parseDrillArgs(["--all", "--rate", "7", "--probes-per-run", "5"]);
    expect(DEFAULT_DRILL_OPTIONS.scenarios).toEqual(["crash"]);
    expect(DRILL_POLICY.probesPerRun).toBe(7);
  });
});

describe("the drill's help", () => {
  it("gives each timing's drill default beside the production policy's value", () => {
    const lines = USAGE.split("\n").filter((l) => l.includes("production "));
    expect(lines.map((l) => l.replace(/^\s+(\S+).*\((.*)\)$/, "$1 $2"))).toEqual([
      "--probe-interval default 1; production 8",
      "--probe-timeout default 0.5; production 3",
      "--probes-per-run default 7; production 7",
      "--failures default 3; production 3",
      "--max-lag default 5; production 60",
      "--lag-age default 300; production 300",
    ]);
  });
});
