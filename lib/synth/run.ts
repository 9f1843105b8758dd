/**
 * Runs the Pulumi program (`lib/program.ts`, the one `bin/tap.ts` hands to Pulumi) under
 * {@link RecordingMocks} and returns every resource it declared. Pulumi's runtime settings are
 * module state of `@pulumi/pulumi`: each run installs its own mocks and config, and a run ends only
 * when every registration it started has been answered (also when the program fails), so runs one
 * after another in one module registry record what each would record in a fresh registry
 * (`test/synth/run.integration.test.ts`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { DEFAULT_DR_REGION, PROJECT, STACK_REGION_KEY } from "../config";
import type { ProgramOptions } from "../program";
import { RecordingMocks, type RecordedResource } from "./mocks";

/** How to run the program offline. */
export interface SynthOptions extends ProgramOptions {
  /** The mocks to record into; pass them to inspect what was recorded even when the program fails. */
  readonly mocks?: RecordingMocks;
}

/** What one offline run of the program produced. */
export interface SynthResult {
  readonly resources: readonly RecordedResource[];
  /** Invoke tokens the mocks did not know; should be empty. */
  readonly unmockedCalls: readonly string[];
  /** The program's stack outputs, resolved. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

// Internal to @pulumi/pulumi (not in its .d.ts): waits until every pending registration and
// invoke has finished, which is what `pulumi up` waits for before it exits.
const waitForRPCs = (settings as unknown as { waitForRPCs: () => Promise<void> }).waitForRPCs;

function resolve(value: unknown): Promise<unknown> {
  return pulumi.Output.isInstance(value)
    ? new Promise((res) => (value as pulumi.Output<unknown>).apply((v) => res(v)))
    : Promise.resolve(value);
}

/**
 * Synthesizes stack `stack` with `config` (fully-qualified keys: `tap:…`, `aws:region`).
 * Rejects with the program's error, e.g. a `ConfigValidationError`.
 */
export async function synthesize(
  stack: string,
  config: Readonly<Record<string, string>>,
  options: SynthOptions = {},
): Promise<SynthResult> {
  const mocks = options.mocks ?? new RecordingMocks(config[STACK_REGION_KEY] ?? DEFAULT_DR_REGION);
  // preview=false: with preview the computed outputs stay unknown and never resolve.
  await pulumi.runtime.setMocks(mocks, PROJECT, stack, false);
  pulumi.runtime.setAllConfig({ ...config });
  // Loaded on first use, after the mocks and the config are set, so that no module-scope code of
  // the program runs against an unconfigured Pulumi runtime.
  const { tapProgram } = await import("../program");
  try {
    const program = await tapProgram({ bundle: options.bundle });
    const outputs: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(program)) outputs[key] = await resolve(value);
    return { resources: mocks.resources, unmockedCalls: mocks.unmockedCalls, outputs };
  } finally {
    // The next run's `setMocks` replaces the monitor: a registration still pending would reach it.
    await waitForRPCs();
  }
}
