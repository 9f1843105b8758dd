/**
 * `npm run policy -- [--stack dev] [--config <ns:key>=<value> ...] [--in synth.json]`
 *
 * Runs the policy pack's policies offline (no Pulumi CLI, no cloud) against the resources
 * `npm run synth` produces and prints a policy × result table. Without `--in` or a
 * `tap:replicaRegion` override it checks both replica placements, each in its own process
 * (the program runs once per process). Exits 1 when a mandatory policy is violated, 2 on bad
 * arguments.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

const USAGE = "usage: npm run policy -- [--stack <name>] [--config <ns:key>=<value> ...] [--in <synth.json>]";

interface CliArgs {
  readonly stack: string;
  readonly input?: string;
  readonly overrides: Record<string, string>;
}

function parseArgs(argv: readonly string[]): CliArgs {
  let stack = "dev";
  let input: string | undefined;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    if (arg === "--stack") stack = next();
    else if (arg === "--in") input = next();
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
  return { stack, input, overrides };
}

async function main(): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const { PLACEMENTS, readInventory, synthesizeInventory } = await import("../policy/synth-source");

  if (!args.input && args.overrides["tap:replicaRegion"] === undefined) {
    // One child process per placement: the program registers its resources once per process.
    let worst = 0;
    for (const p of PLACEMENTS) {
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          __filename,
          ...process.argv.slice(2),
          "--config",
          `tap:replicaRegion=${p.replicaRegion}`,
        ],
        { stdio: "inherit" },
      );
      worst = Math.max(worst, child.status ?? 1);
    }
    return worst;
  }

  process.env.PULUMI_ERROR_OUTPUT_STRING = "1";
  const { allPolicies } = await import("../policy/policies");
  const { formatTable, hasMandatoryViolation, runPolicies } = await import("../policy/offline");
  const { readStackConfig } = await import("../lib/synth/stack-file");

  const config = { ...readStackConfig(args.stack, resolve(__dirname, "..")), ...args.overrides };
  const synth = args.input
    ? readInventory(args.input)
    : await synthesizeInventory(args.stack, args.overrides);
  const outcomes = await runPolicies(allPolicies, synth, {
    environmentSuffix: config["tap:environmentSuffix"],
    // A stack opts in to RDS deletion protection through its own config.
    allowDeletionProtection: config["tap:deletionProtection"] === "true",
  });
  const title = args.input
    ? `Policies on ${args.input}`
    : `Policies on stack "${args.stack}", tap:replicaRegion=${config["tap:replicaRegion"]} (${synth.resources.length} resources)`;
  console.log(formatTable(outcomes, title));
  const failed = hasMandatoryViolation(outcomes);
  console.log(failed ? "\nRESULT: mandatory policy violated\n" : "\nRESULT: every mandatory policy passes\n");
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
