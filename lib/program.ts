/**
 * The Pulumi program: validate the config, run the pre-flight topology check against the live
 * databases, and only then build the TapStack and return its outputs. `bin/tap.ts` (Pulumi's
 * `main`) hands it to Pulumi; `lib/synth` runs the same function under mocks.
 *
 * It is an async function (Pulumi awaits it and exports the returned object's properties as stack
 * outputs): the pre-flight reads are invokes, and no resource may be declared before they have
 * answered, so that a wrong `tap:activeWriter` stops `pulumi up` before any plan exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, STACK_REGION_KEY, validateConfig, type TapConfig } from "./config";
import { concurrencyPrerequisite, preflightTopology } from "./infra/preflight";
import type { Bundler } from "./infra/bundle";
import { TapStack } from "./tap-stack";

/** What a run of the program may replace. */
export interface ProgramOptions {
  /** Builds each function's package; the deployed optimized bundles when omitted. */
  readonly bundle?: Bundler;
}

/**
 * Reads the running Pulumi program's config (`tap:*` and `aws:region`) and validates it.
 * Call before declaring any resource.
 */
function readProgramConfig(): TapConfig {
  const all = pulumi.runtime.allConfig();
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(all)) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = value;
  }
  const stackRegion = all[STACK_REGION_KEY];
  if (stackRegion !== undefined) raw[STACK_REGION_KEY] = stackRegion;
  return validateConfig(raw);
}

/** Declares the whole stack from the Pulumi config and returns its outputs. */
export async function tapProgram(options: ProgramOptions = {}): Promise<Record<string, unknown>> {
  const config = readProgramConfig();
  const topology = await preflightTopology(config);
  await pulumi.log.info(concurrencyPrerequisite(config));
  const stack = new TapStack(`tap-${config.environmentSuffix}`, { config, topology, bundle: options.bundle });
  return stack.outputs();
}
