/**
 * `npm run iam-check -- [--stack dev] [--config <ns:key>=<value> ...] [--in synth.json]`
 *
 * Evaluates every IAM role of the synthesized stack with an IAM policy simulator against the
 * least-privilege matrix (what each role must and must never be able to do) and prints it.
 * Without `--in` or a `tap:replicaRegion` override it checks both replica placements, each in
 * its own process. Exits 1 on a mismatch, an extra permission or a role without rows; 2 on
 * bad arguments.
 */
import { spawnSync } from "node:child_process";

const USAGE =
  "usage: npm run iam-check -- [--stack <name>] [--config <ns:key>=<value> ...] [--in <synth.json>]";

function parseArgs(argv: readonly string[]): {
  stack: string;
  input?: string;
  overrides: Record<string, string>;
} {
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
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  const { PLACEMENTS, readInventory, synthesizeInventory } = await import("../policy/synth-source");
  if (!args.input && args.overrides["tap:replicaRegion"] === undefined) {
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
  const { buildMatrix, drRegionOf, findTargets, suffixOf } = await import("../policy/iam-matrix");
  const { checkLeastPrivilege, formatMatrix, passed } = await import("../policy/least-privilege");
  const synth = args.input
    ? readInventory(args.input)
    : await synthesizeInventory(args.stack, args.overrides);
  const rows = buildMatrix(findTargets(synth, drRegionOf(synth)));
  const report = await checkLeastPrivilege(synth, suffixOf(synth), rows);
  const where =
    args.input ?? `stack "${args.stack}", tap:replicaRegion=${args.overrides["tap:replicaRegion"]}`;
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
