/**
 * `npm run iam-check -- [--stack dev] [--config <ns:key>=<value> ...] [--in synth.json]`
 *
 * Evaluates every IAM role of the synthesized stack with an IAM policy simulator against the
 * least-privilege matrix (what each role must and must never be able to do) and prints it.
 * Without `--in` or a `tap:replicaRegion` override it checks both replica placements, each in
 * its own process. Exits 1 on a mismatch, an extra permission or a role without rows; 2 on
 * bad arguments.
 */
import { EXIT, startCli, type CliIo } from "../lib/cli/args";
import { offlineCheckArgs, offlineCheckUsage } from "../lib/cli/stack-args";

export const USAGE = offlineCheckUsage(
  "iam-check",
  "Checks every IAM role against the least-privilege matrix (both replica placements by default).",
);

/** The iam-check command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = await offlineCheckArgs(__filename, argv, USAGE, io.out, async () =>
    (await import("../policy/synth-source")).PLACEMENTS.map((p) => p.replicaRegion),
  );
  if (typeof args === "number") return args;
  const { readInventory, synthesizeInventory } = await import("../policy/synth-source");

  process.env.PULUMI_ERROR_OUTPUT_STRING = "1";
  const { buildMatrix, drRegionOf, findTargets, suffixOf } = await import("../policy/iam-matrix");
  const { checkLeastPrivilege, formatMatrix, passed } = await import("../policy/least-privilege");
  const synth = args.file ? readInventory(args.file) : await synthesizeInventory(args.stack, args.overrides);
  const rows = buildMatrix(findTargets(synth, drRegionOf(synth)));
  const report = await checkLeastPrivilege(synth, suffixOf(synth), rows);
  const where =
    args.file ?? `stack "${args.stack}", tap:replicaRegion=${args.overrides["tap:replicaRegion"]}`;
  io.out(formatMatrix(report, `Least-privilege matrix, ${where}`));
  const ok = passed(report);
  io.out(ok ? "\nRESULT: least privilege holds\n" : "\nRESULT: least privilege violated\n");
  return ok ? EXIT.ok : EXIT.failed;
}

if (require.main === module) startCli("iam-check", main, { forceExit: true });
