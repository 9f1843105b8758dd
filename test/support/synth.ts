/**
 * The whole program under the synth mocks, as the whole-program tests run it: the suite's stand-in
 * bundler and V8's plain stack traces. Runs share the test file's module registry (loading Pulumi's
 * and the provider's modules again for every run was a third of a whole-program test's time);
 * `test/synth/run.integration.test.ts` shows that a run records what it would in a fresh registry.
 */
import { DEFAULT_DR_REGION, STACK_REGION_KEY } from "../../lib/config";
import { RecordingMocks, type ExistingDbInstances, type RecordedResource } from "../../lib/synth/mocks";
import { synthesize, type SynthResult } from "../../lib/synth/run";
import type { SynthOutput } from "../../policy/offline";
import { synthesizeInventory } from "../../policy/synth-source";
import { standInBundle } from "./stand-in-bundle";

/**
 * Runs `fn` with V8's own stack-trace format instead of jest's source-mapped one. Pulumi records
 * a stack trace for every promise it creates (`debuggablePromise` in @pulumi/pulumi: the `stack` of
 * a bare `new Error()`, printed when the process exits with promises left pending; its
 * source-position lookup reads one the same way, which the mocks ignore), thousands per synth, and
 * jest maps each one through the source maps: that was 40 % of a synth's time. Capturing and
 * formatting their frames at all still cost a sixth of a whole-program test (topology test 13.7 →
 * 11.4 CPU-seconds without): those bare errors get no frames; an error with a message keeps up to
 * 10 frames (Node's default depth), which point into the transpiled code.
 */
export async function withPlainStackTraces<T>(fn: () => Promise<T>): Promise<T> {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  // Node's own depth: jest raises it to 100 frames, each one captured for every promise.
  Error.stackTraceLimit = 10;
  Error.prepareStackTrace = (error: Error, frames) =>
    error.message === "" && error.name === "Error"
      ? "Error"
      : `${String(error)}\n${frames.map((frame) => `    at ${frame.toString()}`).join("\n")}`;
  try {
    return await fn();
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
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
 * Runs the program for stack `dev` with `config` (fully-qualified keys), the pre-flight check
 * observing `existing` (the DR region's mocks: no live database when omitted).
 */
export async function runProgram(
  config: Readonly<Record<string, string>>,
  existing: ExistingDbInstances = {},
): Promise<SynthRun> {
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

/** {@link runProgram}, rejecting with the program's error. */
export async function synthesizeProgram(config: Readonly<Record<string, string>>): Promise<SynthResult> {
  const { result, error } = await runProgram(config);
  if (result === undefined) throw error;
  return result;
}

/** The policy checks' inventory of stack `dev` with `Pulumi.dev.yaml` plus `overrides`. */
export function programInventory(overrides: Readonly<Record<string, string>>): Promise<SynthOutput> {
  return withPlainStackTraces(() => synthesizeInventory("dev", overrides, { bundle: standInBundle }));
}
