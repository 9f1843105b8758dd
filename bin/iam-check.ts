/**
 * `npm run iam-check -- [--stack dev] [--config <ns:key>=<value> ...] [--in synth.json]`
 *
 * Evaluates every IAM role of the synthesized stack with an IAM policy simulator against the
 * least-privilege matrix (what each role must and must never be able to do) and prints it.
 * Without `--in` or a `tap:replicaRegion` override it checks both replica placements, each in
 * its own process. Exits 1 on a mismatch, an extra permission or a role without rows; 2 on
 * bad arguments.
 */
import { parseStackArgs, runPerReplicaRegion, type StackArgs } from "../lib/cli/stack-args";

const USAGE =
  "usage: npm run iam-check -- [--stack <name>] [--config <ns:key>=<value> ...] [--in <synth.json>]";

async function main(): Promise<number> {
  let args: StackArgs;
  try {
    args = parseStackArgs(process.argv.slice(2), "--in", USAGE);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const { PLACEMENTS, readInventory, synthesizeInventory } = await import("../policy/synth-source");
  if (!args.file && args.overrides["tap:replicaRegion"] === undefined) {
    return runPerReplicaRegion(
      __filename,
      process.argv.slice(2),
      PLACEMENTS.map((p) => p.replicaRegion),
    );
  }

  process.env.PULUMI_ERROR_OUTPUT_STRING = "1";
  const { buildMatrix, drRegionOf, findTargets, suffixOf } = await import("../policy/iam-matrix");
  const { checkLeastPrivilege, formatMatrix, passed } = await import("../policy/least-privilege");
  const synth = args.file ? readInventory(args.file) : await synthesizeInventory(args.stack, args.overrides);
  const rows = buildMatrix(findTargets(synth, drRegionOf(synth)));
  const report = await checkLeastPrivilege(synth, suffixOf(synth), rows);
  const where =
    args.file ?? `stack "${args.stack}", tap:replicaRegion=${args.overrides["tap:replicaRegion"]}`;
  console.log(formatMatrix(report, `Least-privilege matrix, ${where}`));
  const ok = passed(report);
  console.log(ok ? "\nRESULT: least privilege holds\n" : "\nRESULT: least privilege violated\n");
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
