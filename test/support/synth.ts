/**
 * The whole program under the synth mocks, as the whole-program tests run it: a fresh module
 * registry (Pulumi's runtime settings are module state, so a registry synthesizes once), the
 * suite's stand-in bundler, and V8's plain stack traces.
 */
import { DEFAULT_DR_REGION, STACK_REGION_KEY } from "../../lib/config";
import type { ExistingDbInstances, RecordedResource } from "../../lib/synth/mocks";
import type { SynthResult } from "../../lib/synth/run";
import type { SynthOutput } from "../../policy/offline";
import { standInBundle } from "./stand-in-bundle";

/**
 * Runs `fn` with V8's own stack-trace format instead of jest's source-mapped one. Pulumi records
 * a stack trace for every promise it creates (`debuggablePromise` in @pulumi/pulumi), thousands
 * per synth, and jest maps each one through the source maps: that was 40 % of a synth's time.
 * Errors thrown inside keep their messages; their frames point into the transpiled code.
 */
export async function withPlainStackTraces<T>(fn: () => Promise<T>): Promise<T> {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, frames) =>
    `${String(error)}\n${frames.map((frame) => `    at ${frame.toString()}`).join("\n")}`;
  try {
    return await fn();
  } finally {
    Error.prepareStackTrace = prepare;
  }
}

/** What one run of the program declared, and its error when it failed. */
export interface SynthRun {
  readonly result?: SynthResult;
  readonly error?: Error;
  /** Everything declared, also when the program failed part way. */
  readonly resources: readonly RecordedResource[];
}

/**
 * Runs the program for stack `dev` with `config` (fully-qualified keys) in a fresh module registry,
 * the pre-flight check observing `existing` (the DR region's mocks: no live database when omitted).
 */
export async function runFresh(
  config: Readonly<Record<string, string>>,
  existing: ExistingDbInstances = {},
): Promise<SynthRun> {
  jest.resetModules();
  const { synthesize } = await import("../../lib/synth/run");
  const { RecordingMocks } = await import("../../lib/synth/mocks");
  const mocks = new RecordingMocks(config[STACK_REGION_KEY] ?? DEFAULT_DR_REGION, existing);
  try {
    const result = await withPlainStackTraces(() =>
      synthesize("dev", config, { mocks, bundle: standInBundle }),
    );
    return { result, resources: mocks.resources };
  } catch (error) {
    return { error: error as Error, resources: mocks.resources };
  }
}

/** {@link runFresh}, rejecting with the program's error. */
export async function synthesizeFresh(config: Readonly<Record<string, string>>): Promise<SynthResult> {
  const { result, error } = await runFresh(config);
  if (result === undefined) throw error;
  return result;
}

/** The policy checks' inventory of stack `dev` with `Pulumi.dev.yaml` plus `overrides`, in a fresh registry. */
export async function inventoryFresh(overrides: Readonly<Record<string, string>>): Promise<SynthOutput> {
  jest.resetModules();
  const { synthesizeInventory } = await import("../../policy/synth-source");
  return withPlainStackTraces(() => synthesizeInventory("dev", overrides, { bundle: standInBundle }));
}
