/**
 * `npm run synth -- [--stack dev] [--out synth.json] [--config tap:key=value ...]`
 *
 * Runs the program offline under Pulumi mocks with the config of `Pulumi.<stack>.yaml`, prints
 * the resource inventory grouped by region and DR-Role, and optionally writes it as JSON. Exits
 * 1 with the validation message when the config is invalid, 2 on bad arguments.
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";

interface CliArgs {
  readonly stack: string;
  readonly out?: string;
  readonly overrides: Record<string, string>;
}

const USAGE = "usage: npm run synth -- [--stack <name>] [--out <file.json>] [--config <ns:key>=<value> ...]";

function parseArgs(argv: readonly string[]): CliArgs {
  let stack = "dev";
  let out: string | undefined;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === "--stack") stack = next();
    else if (arg === "--out") out = next();
    else if (arg === "--config") {
      const pair = next();
      const eq = pair.indexOf("=");
      if (eq <= 0 || !pair.slice(0, eq).includes(":")) {
        throw new Error(
          `--config ${pair}: expected <namespace:key>=<value>, e.g. tap:replicaRegion=ap-southeast-1`,
        );
      }
      overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  return { stack, out, overrides };
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(2);
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
  if (args.out) {
    writeFileSync(args.out, JSON.stringify(inventoryDocument(entries), null, 2) + "\n");
    console.log(`Wrote ${entries.length} resources to ${args.out}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
