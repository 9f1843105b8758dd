/**
 * Where the offline checks get their inventory: `npm run synth`'s program run in this
 * process (ids and mocked outputs included, so references between resources resolve), or a
 * file written by `npm run synth -- --out <file>`.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { ProgramOptions } from "../lib/program";
import type { RecordedResource } from "../lib/synth/mocks";
import { parseSynthOutput, type SynthOutput } from "./offline";

/** Replica placements the checks cover: same-region (the brief's default) and cross-region. */
export const PLACEMENTS = [
  { label: "replica in ap-southeast-2 (same region as the primary)", replicaRegion: "ap-southeast-2" },
  { label: "replica in ap-southeast-1 (cross-region, DR region)", replicaRegion: "ap-southeast-1" },
] as const;

/**
 * Runs the TapStack program under the synth mocks with `Pulumi.<stack>.yaml` plus `overrides`.
 */
export async function synthesizeInventory(
  stack: string,
  overrides: Readonly<Record<string, string>>,
  options: ProgramOptions = {},
  root = resolve(__dirname, ".."),
): Promise<SynthOutput> {
  const { readStackConfig } = await import("../lib/synth/stack-file");
  const { synthesize } = await import("../lib/synth/run");
  const { redactSecrets } = await import("../lib/synth/mocks");
  const result = await synthesize(stack, { ...readStackConfig(stack, root), ...overrides }, options);
  if (result.unmockedCalls.length > 0) {
    throw new Error(
      `the program made invokes the offline mocks do not know: ${result.unmockedCalls.join(", ")}`,
    );
  }
  return inventoryOf(result.resources, redactSecrets);
}

/** The checks' view of recorded resources: inputs and mocked outputs, secrets redacted, ids kept. */
export function inventoryOf(
  resources: readonly RecordedResource[],
  redact: (value: unknown) => unknown,
): SynthOutput {
  return {
    resources: resources.map((r) => ({
      type: r.type,
      name: r.name,
      ...(r.provider ? { provider: r.provider } : {}),
      region: r.region,
      inputs: redact(r.inputs) as Record<string, unknown>,
      id: r.id,
      outputs: redact(r.state) as Record<string, unknown>,
    })),
  };
}

/**
 * Reads a `npm run synth -- --out <file>` document. Throws naming the first resource without
 * an `id` or `outputs` (a file written before the synth recorded them, or by hand): without
 * them references between resources do not resolve, and every check that follows one (a
 * bucket's encryption, policy, public-access block, versioning; a role's policies) would report
 * a false violation.
 */
export function readInventory(file: string): SynthOutput {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(
      `${file}: cannot read the synth output (${(e as Error).message}); write it with npm run synth -- --out ${file}`,
      { cause: e },
    );
  }
  const synth = parseSynthOutput(json, file);
  const lacking = synth.resources.findIndex(
    (r) => typeof r.id !== "string" || r.outputs === null || typeof r.outputs !== "object",
  );
  if (lacking >= 0) {
    const r = synth.resources[lacking];
    const missing = [typeof r.id !== "string" ? '"id"' : "", typeof r.outputs !== "object" ? '"outputs"' : ""]
      .filter(Boolean)
      .join(" and ");
    throw new Error(
      `${file}: resources[${lacking}] (${r.type} ${r.name}) has no ${missing}, which the checks need to ` +
        `resolve references between resources; write the file again with npm run synth -- --out ${file}`,
    );
  }
  return synth;
}
