/**
 * `npm run synth -- [--stack dev] [--out synth.json] [--config tap:key=value ...]`
 *
 * Runs the program offline under Pulumi mocks with the config of `Pulumi.<stack>.yaml`, prints
 * the resource inventory grouped by region and DR-Role, and optionally writes it as JSON (what
 * `npm run policy -- --in` and `npm run iam-check -- --in` read). The arguments and the `--out`
 * path are checked before the program runs. Exits 1 with the validation message when the config
 * is invalid, 2 on bad arguments.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { EXIT, startCli, type CliIo } from "../lib/cli/args";
import { parseStackArgs } from "../lib/cli/stack-args";

export const USAGE = [
  "Usage: npm run synth -- [--stack <name>] [--out <file.json>] [--config <ns:key>=<value> ...]",
  "",
  "Runs the program offline under mocks (no cloud calls) and prints the resource inventory.",
  "  --stack NAME            stack whose Pulumi.<NAME>.yaml is read (default: dev)",
  "  --out FILE              also write the inventory as JSON (input of policy/iam-check --in)",
  "  --config NS:KEY=VALUE   override one config value; repeatable",
  "  -h, --help              print this text",
].join("\n");

/** The synth command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseStackArgs(argv, "--out");
  if (args.help) {
    io.out(USAGE);
    return EXIT.ok;
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
  io.out(
    formatInventory(entries, `TapStack offline synth, stack "${args.stack}" (no cloud calls; mocked ids)`),
  );
  if (args.file) {
    writeFileSync(args.file, JSON.stringify(inventoryDocument(entries), null, 2) + "\n");
    io.out(`Wrote ${entries.length} resources to ${args.file}`);
  }
  return EXIT.ok;
}

// The Pulumi runtime keeps handles open after the program: exit once the work is done.
if (require.main === module) startCli("synth", main, { forceExit: true });
