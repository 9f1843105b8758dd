/**
 * `npm run policy -- [--stack dev] [--config <ns:key>=<value> ...] [--in synth.json]`
 *
 * Runs the policy pack's policies offline (no Pulumi CLI, no cloud) against the resources
 * `npm run synth` produces and prints a policy × result table. Without `--in` or a
 * `tap:replicaRegion` override it checks both replica placements, each in its own process
 * (the program runs once per process). Exits 1 when a mandatory policy is violated, 2 on bad
 * arguments.
 */
import { resolve } from "node:path";
import { offlineCheckArgs } from "../lib/cli/stack-args";

const USAGE = "usage: npm run policy -- [--stack <name>] [--config <ns:key>=<value> ...] [--in <synth.json>]";

async function main(): Promise<number> {
  const args = await offlineCheckArgs(__filename, USAGE, async () =>
    (await import("../policy/synth-source")).PLACEMENTS.map((p) => p.replicaRegion),
  );
  if (typeof args === "number") return args;
  const { readInventory, synthesizeInventory } = await import("../policy/synth-source");

  process.env.PULUMI_ERROR_OUTPUT_STRING = "1";
  const { allPolicies } = await import("../policy/policies");
  const { formatTable, hasMandatoryViolation, runPolicies } = await import("../policy/offline");
  const { readStackConfig } = await import("../lib/synth/stack-file");

  const config = { ...readStackConfig(args.stack, resolve(__dirname, "..")), ...args.overrides };
  const synth = args.file ? readInventory(args.file) : await synthesizeInventory(args.stack, args.overrides);
  const outcomes = await runPolicies(allPolicies, synth, {
    environmentSuffix: config["tap:environmentSuffix"],
    // A stack opts in to RDS deletion protection through its own config.
    allowDeletionProtection: config["tap:deletionProtection"] === "true",
  });
  const title = args.file
    ? `Policies on ${args.file}`
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
