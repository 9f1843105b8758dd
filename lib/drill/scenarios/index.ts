/**
 * The drill's scenarios: one file each in this folder, listed here in the order `--all` runs them.
 * Adding a scenario is adding its file and its entry below; its `checks` are required, and a test
 * holds every registered scenario to at least one check of its own.
 */
import { blip } from "./blip";
import { crash } from "./crash";
import { laggingReplica } from "./lagging-replica";
import { partition } from "./partition";
import { regionLost } from "./region-lost";
import { restoreTest } from "./restore-test";
import { stop } from "./stop";
import { switchover } from "./switchover";
import type { DrillScenario } from "./types";

/** Every scenario, in the order `--all` runs them. */
export const SCENARIOS = [
  crash,
  stop,
  blip,
  laggingReplica,
  partition,
  switchover,
  regionLost,
  restoreTest,
] as const;

/** A scenario's `--scenario` name. */
export type ScenarioName = (typeof SCENARIOS)[number]["name"];

/** The scenarios' names, in the order `--all` runs them. */
export const SCENARIO_NAMES: readonly ScenarioName[] = SCENARIOS.map((s) => s.name);

/** The registered scenario called `name`, or undefined (a report's name read back from a file). */
export function findScenario(name: string): DrillScenario<ScenarioName> | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

/** The registered scenario called `name`. */
export function scenarioNamed(name: ScenarioName): DrillScenario<ScenarioName> {
  const found = findScenario(name);
  if (found === undefined) throw new Error(`no scenario is registered as "${name}"`);
  return found;
}

export type {
  ApprovalFacts,
  DrillScenario,
  RestoreFacts,
  RestoreTestFacts,
  ScenarioContext,
  ScenarioFacts,
  ScenarioOutcome,
} from "./types";
