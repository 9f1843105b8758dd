/**
 * `npm run synth -- [--stack dev] [--out synth.json] [--config tap:key=value ...]`
 *
 * Runs the program offline under Pulumi mocks with the config of `Pulumi.<stack>.yaml`, prints
 * the resource inventory grouped by region and DR-Role, and optionally writes it as JSON. Exits
 * 1 with the validation message when the config is invalid, 2 on bad arguments.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseStackArgs, type StackArgs } from "../lib/cli/stack-args";

const USAGE = "usage: npm run synth -- [--stack <name>] [--out <file.json>] [--config <ns:key>=<value> ...]";

async function main(): Promise<void> {
  let args: StackArgs;
  try {
    args = parseStackArgs(process.argv.slice(2), "--out", USAGE);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
  }
  if (args.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // Read when @pulumi/pulumi loads: an Output inside a plain template string then throws.
  process.env.PULUMI_ERROR_OUTPUT_STRING = "1";
  const { readStackConfig } = await import("../lib/synth/stack-file");
  const { synthesize } = await import("../lib/synth/run");
  const { toInventory, formatInventory, inventoryDocument } = await import("../lib/synth/inventory");

  const root = resolve(__dirname, "..");
  const config = { ...readStackConfig(args.stack, root), ...args.overrides };
  const result = await synthesize(args.stack, config);
  if (result.unmockedCalls.length > 0) {
    throw new Error(
      `the program made invokes the offline mocks do not know: ${result.unmockedCalls.join(", ")}`,
    );
  }
  const entries = toInventory(result.resources);
  console.log(
    formatInventory(entries, `TapStack offline synth, stack "${args.stack}" (no cloud calls; mocked ids)`),
  );
  if (args.file) {
    writeFileSync(args.file, JSON.stringify(inventoryDocument(entries), null, 2) + "\n");
    console.log(`Wrote ${entries.length} resources to ${args.file}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
