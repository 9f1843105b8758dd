import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { checkOutputFile, parseCliArgs, UsageError, type CliOptions } from "./args";

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
  /** Values of the tool's own extra string options, by long name. */
  readonly extra: Readonly<Record<string, string | undefined>>;
}

const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

function stackOptions(fileFlag: "--out" | "--in", extra: CliOptions): CliOptions {
  return {
    ...extra,
    stack: { type: "string", example: "dev" },
    config: { type: "string", multiple: true, example: "tap:replicaRegion=ap-southeast-1" },
    [fileFlag.slice(2)]: { type: "string", example: "synth.json" },
  };
}

/**
 * Parses `argv` and checks the file option before any work: `--out` must be writable (its
 * folder exists), `--in` must be an existing file. Throws {@link UsageError} naming the bad
 * argument, its value and the fix.
 */
export function parseStackArgs(
  argv: readonly string[],
  fileFlag: "--out" | "--in",
  extraOptions: CliOptions = {},
): StackArgs {
  const { values, help } = parseCliArgs(argv, stackOptions(fileFlag, extraOptions));
  const stack = (values.stack as string | undefined) ?? "dev";
  if (!STACK_NAME.test(stack)) {
    throw new UsageError(
      `--stack ${JSON.stringify(stack)}: a stack name has only letters, digits, _, . and -, e.g. --stack dev`,
    );
  }
  const overrides: Record<string, string> = {};
  for (const pair of (values.config as string[] | undefined) ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || !pair.slice(0, eq).includes(":")) {
      throw new UsageError(
        `--config ${pair}: expected <namespace:key>=<value>, e.g. --config tap:replicaRegion=ap-southeast-1`,
      );
    }
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const file = values[fileFlag.slice(2)] as string | undefined;
  if (file !== undefined && !help) {
    if (fileFlag === "--out") checkOutputFile("--out", file);
    else if (!existsSync(file) || !statSync(file).isFile()) {
      throw new UsageError(
        `--in ${file}: no such file; write one with npm run synth -- --out ${file}, then pass it to --in`,
      );
    }
  }
  const extra = Object.fromEntries(
    Object.keys(extraOptions).map((k) => [k, values[k] as string | undefined]),
  );
  return { stack, ...(file !== undefined ? { file } : {}), overrides, help, extra };
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
 * arguments (a usage error throws {@link UsageError}) and either finish (help → prints `usage`
 * and returns 0; no file and no placement given → runs `script` once per replica region and
 * returns the worst exit code) or return the arguments for checking one inventory in this
 * process.
 */
export async function offlineCheckArgs(
  script: string,
  argv: readonly string[],
  usage: string,
  print: (line: string) => void,
  replicaRegions: () => Promise<readonly string[]>,
): Promise<StackArgs | number> {
  const args = parseStackArgs(argv, "--in");
  if (args.help) {
    print(usage);
    return 0;
  }
  if (!args.file && args.overrides["tap:replicaRegion"] === undefined) {
    return runPerReplicaRegion(script, argv, await replicaRegions());
  }
  return args;
}

/** The usage text of an offline check (`policy`, `iam-check`): its own first lines, then the shared options. */
export function offlineCheckUsage(tool: string, what: string): string {
  return [
    `Usage: npm run ${tool} -- [--stack <name>] [--config <ns:key>=<value> ...] [--in <synth.json>]`,
    "",
    what,
    "  --stack NAME            stack whose Pulumi.<NAME>.yaml is read (default: dev)",
    "  --config NS:KEY=VALUE   override one config value; repeatable",
    "  --in FILE               check a file written by npm run synth -- --out FILE instead",
    "  -h, --help              print this text",
  ].join("\n");
}
