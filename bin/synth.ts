/**
 * `npm run synth -- [--stack dev] [--out synth.json] [--observed <state>] [--config tap:key=value ...]`
 *
 * Runs the program offline under Pulumi mocks with the config of `Pulumi.<stack>.yaml`, prints
 * the resource inventory grouped by region and DR-Role, and optionally writes it as JSON (what
 * `npm run policy -- --in` and `npm run iam-check -- --in` read). The arguments and the `--out`
 * path are checked before the program runs. Exits 1 with the validation message when the config
 * is invalid, 2 on bad arguments. `--observed` tells the mocks which databases already exist
 * (`lib/synth/observed.ts`), to show the stack after a failover without an AWS account.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { EXIT, startCli, UsageError, type CliIo } from "../lib/cli/args";
import { parseStackArgs } from "../lib/cli/stack-args";

export const USAGE = [
  "Usage: npm run synth -- [--stack <name>] [--out <file.json>] [--observed <state>] [--config <ns:key>=<value> ...]",
  "",
  "Runs the program offline under mocks (no cloud calls) and prints the resource inventory.",
  "  --stack NAME            stack whose Pulumi.<NAME>.yaml is read (default: dev)",
  "  --out FILE              also write the inventory as JSON (input of policy/iam-check --in)",
  "  --observed STATE        the databases the pre-flight check finds (default: none, a first deployment):",
  "                          deployed (primary writes, replica replicates), after-failover (the replica",
  "                          was promoted; declared with tap:activeWriter replica), after-restore (a",
  "                          regional restore created rds-restored-<suffix>; tap:activeWriter restored).",
  "                          --config tap:activeWriter=... overrides the mode",
  "  --config NS:KEY=VALUE   override one config value; repeatable",
  "  -h, --help              print this text",
].join("\n");

/** The synth command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseStackArgs(argv, "--out", { observed: { type: "string", example: "after-failover" } });
  if (args.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  // Read when @pulumi/pulumi loads: an Output inside a plain template string then throws.
  process.env.PULUMI_ERROR_OUTPUT_STRING = "1";
  const { OBSERVED_STATES, OBSERVED_WRITER, observedInstances } = await import("../lib/synth/observed");
  const observedText = args.extra.observed ?? "none";
  if (!(OBSERVED_STATES as readonly string[]).includes(observedText)) {
    throw new UsageError(
      `--observed ${JSON.stringify(observedText)}: expected one of ${OBSERVED_STATES.join(", ")}, e.g. --observed after-failover`,
    );
  }
  const observed = observedText as (typeof OBSERVED_STATES)[number];
  const { readStackConfig } = await import("../lib/synth/stack-file");
  const { synthesize } = await import("../lib/synth/run");
  const { toInventory, formatInventory, inventoryDocument } = await import("../lib/synth/inventory");
  const { RecordingMocks } = await import("../lib/synth/mocks");
  const { DEFAULT_DR_REGION, STACK_REGION_KEY, validateConfig } = await import("../lib/config");

  const root = resolve(__dirname, "..");
  const config: Record<string, string> = {
    ...readStackConfig(args.stack, root),
    "tap:activeWriter": OBSERVED_WRITER[observed],
    ...args.overrides,
  };
  // The observed instances are named and placed by the stack's config; invalid config is
  // reported by the program itself, with every problem at once.
  const existing = (() => {
    try {
      const raw = Object.fromEntries(
        Object.entries(config).map(([k, v]) => [k.startsWith("tap:") ? k.slice(4) : k, v]),
      );
      return observedInstances(observed, validateConfig(raw));
    } catch {
      return {};
    }
  })();
  const mocks = new RecordingMocks(config[STACK_REGION_KEY] ?? DEFAULT_DR_REGION, existing);
  const result = await synthesize(args.stack, config, { mocks });
  if (result.unmockedCalls.length > 0) {
    throw new Error(
      `the program made invokes the offline mocks do not know: ${result.unmockedCalls.join(", ")}`,
    );
  }
  const entries = toInventory(result.resources);
  io.out(
    formatInventory(
      entries,
      `TapStack offline synth, stack "${args.stack}", observed databases: ${observed}, ` +
        `tap:activeWriter ${config["tap:activeWriter"]} (no cloud calls; mocked ids)`,
    ),
  );
  if (args.file) {
    writeFileSync(args.file, JSON.stringify(inventoryDocument(entries), null, 2) + "\n");
    io.out(`Wrote ${entries.length} resources to ${args.file}`);
  }
  return EXIT.ok;
}

// The Pulumi runtime keeps handles open after the program: exit once the work is done.
if (require.main === module) startCli("synth", main, { forceExit: true });
