import { spawnSync } from "node:child_process";

/**
 * Command-line arguments shared by the offline tools (`npm run synth`, `policy`, `iam-check`):
 * `--stack <name>`, repeatable `--config <namespace:key>=<value>`, and one file option
 * (`--out` for synth, `--in` for the checks). Errors name the argument and the expected form.
 */

export interface StackArgs {
  readonly stack: string;
  /** Value of the tool's file option, when given. */
  readonly file?: string;
  /** Config overrides, `namespace:key` → value. */
  readonly overrides: Record<string, string>;
  /** `--help` or `-h` was given: print the usage and stop. */
  readonly help: boolean;
}

/** Parses `argv`; throws an Error whose message names the bad argument and ends with `usage`. */
export function parseStackArgs(
  argv: readonly string[],
  fileFlag: "--out" | "--in",
  usage: string,
): StackArgs {
  let stack = "dev";
  let file: string | undefined;
  let help = false;
  const overrides: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string => {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value\n${usage}`);
      return value;
    };
    if (arg === "--stack") stack = next();
    else if (arg === fileFlag) file = next();
    else if (arg === "--config") {
      const pair = next();
      const eq = pair.indexOf("=");
      if (eq <= 0 || !pair.slice(0, eq).includes(":")) {
        throw new Error(
          `--config ${pair}: expected <namespace:key>=<value>, e.g. tap:replicaRegion=ap-southeast-1\n${usage}`,
        );
      }
      overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (arg === "--help" || arg === "-h") help = true;
    else throw new Error(`unknown argument ${arg}\n${usage}`);
  }
  return { stack, ...(file !== undefined ? { file } : {}), overrides, help };
}

/**
 * Runs `script` once per replica region, each in its own process with the same arguments plus
 * `--config tap:replicaRegion=<region>` (the Pulumi program registers its resources once per
 * process), and returns the worst exit code.
 */
function runPerReplicaRegion(script: string, argv: readonly string[], regions: readonly string[]): number {
  let worst = 0;
  for (const region of regions) {
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, script, ...argv, "--config", `tap:replicaRegion=${region}`],
      { stdio: "inherit" },
    );
    worst = Math.max(worst, child.status ?? 1);
  }
  return worst;
}

/**
 * The common start of an offline check (`npm run policy`, `npm run iam-check`): parse the
 * arguments and either finish (usage error → 2, help → 0, no file and no placement given → run
 * `script` once per replica region and return the worst exit code) or return the arguments for
 * checking one inventory in this process.
 */
export async function offlineCheckArgs(
  script: string,
  usage: string,
  replicaRegions: () => Promise<readonly string[]>,
): Promise<StackArgs | number> {
  const argv = process.argv.slice(2);
  let args: StackArgs;
  try {
    args = parseStackArgs(argv, "--in", usage);
  } catch (err) {
    console.error((err as Error).message);
    return 2;
  }
  if (args.help) {
    console.log(usage);
    return 0;
  }
  if (!args.file && args.overrides["tap:replicaRegion"] === undefined) {
    return runPerReplicaRegion(script, argv, await replicaRegions());
  }
  return args;
}
