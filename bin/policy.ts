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
import { EXIT, startCli, type CliIo } from "../lib/cli/args";
import { offlineCheckArgs, offlineCheckUsage } from "../lib/cli/stack-args";

export const USAGE = offlineCheckUsage(
  "policy",
  "Runs the policy pack offline on the synthesized stack (both replica placements by default).",
);

/** The policy command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = await offlineCheckArgs(__filename, argv, USAGE, io.out, async () =>
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
  io.out(formatTable(outcomes, title));
  const failed = hasMandatoryViolation(outcomes);
  io.out(failed ? "\nRESULT: mandatory policy violated\n" : "\nRESULT: every mandatory policy passes\n");
  return failed ? EXIT.failed : EXIT.ok;
}

if (require.main === module) startCli("policy", main, { forceExit: true });
