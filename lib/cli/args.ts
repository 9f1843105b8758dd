/**
 * The one command-line front end of every TapStack CLI (`npm run drill`, `synth`, `policy`,
 * `iam-check`, `bench`, `build`, `simulate`, and any later one): argument parsing on `node:util`
 * `parseArgs`, one-line usage errors, and the exit codes.
 *
 * A CLI declares its options, parses with {@link parseCliArgs} (which refuses unknown options,
 * missing values, values given to flags and stray positionals with a {@link UsageError}), checks
 * its values and output paths before doing any work (throwing `UsageError` again), and is
 * started with {@link startCli}:
 *
 * ```ts
 * const OPTIONS = { out: { type: "string", example: "synth.json" } } as const satisfies CliOptions;
 *
 * export async function main(argv: readonly string[], io: CliIo): Promise<number> {
 *   const { values, help } = parseCliArgs(argv, OPTIONS);
 *   if (help) { io.out(USAGE); return EXIT.ok; }
 *   if (values.out !== undefined) checkOutputFile("--out", values.out);
 *   // ... the work; return EXIT.failed when a check fails
 *   return EXIT.ok;
 * }
 * if (require.main === module) startCli("synth", main);
 * ```
 *
 * A usage error prints exactly two lines on stderr, `<tool>: <what, value, fix>` and a hint to
 * `--help`, never the whole help text (which would push the error off screen).
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";

/**
 * Exit codes shared by every CLI: `ok` (0) everything passed; `failed` (1) the command ran and a
 * check failed (or the work itself failed); `usage` (2) the command line was wrong, and nothing
 * was done.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The command line was wrong. The message is one line naming the argument, the value and the fix. */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One option a CLI accepts, spelled `--<key>` (and `-<short>` when given). */
export interface CliOption {
  /** `string` takes a value (`--out x` or `--out=x`); `boolean` is a flag and takes none. */
  readonly type: "string" | "boolean";
  /** One-letter alias, e.g. `h` for `-h`. */
  readonly short?: string;
  /** The option may be repeated; its values are collected in order. */
  readonly multiple?: boolean;
  /** Example value shown in the "needs a value" error, e.g. `synth.json`. */
  readonly example?: string;
}

/** The options of one CLI, keyed by long name without the dashes. */
export type CliOptions = Readonly<Record<string, CliOption>>;

/** Parsed values: a string (or `string[]` when `multiple`) per string option, `true` per given flag. */
export type CliValues<O extends CliOptions> = {
  -readonly [K in keyof O]?: O[K]["type"] extends "boolean"
    ? true
    : O[K]["multiple"] extends true
      ? string[]
      : string;
};

/** What {@link parseCliArgs} returns. */
export interface ParsedCli<O extends CliOptions> {
  readonly values: CliValues<O>;
  /** `--help` or `-h` was given (every CLI accepts them): print the usage and do nothing else. */
  readonly help: boolean;
  /** Long names of the options given, in command-line order (for checks between options). */
  readonly given: readonly string[];
}

const HELP: CliOption = { type: "boolean", short: "h" };

/**
 * Parses `argv` (`process.argv.slice(2)`) against `options` plus `--help`/`-h`. Accepts
 * `--name value` and `--name=value`; the last of a repeated non-`multiple` option wins. Throws
 * {@link UsageError} on an unknown option, a string option without a value (including one
 * followed by another option, as in `--json --all`), a value given to a flag, or a positional
 * argument.
 */
export function parseCliArgs<O extends CliOptions>(argv: readonly string[], options: O): ParsedCli<O> {
  const all: Record<string, CliOption> = { help: HELP, ...options };
  const { tokens } = parseArgs({
    args: [...argv],
    // Not strict: the checks below word every error the same way for every CLI.
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: Object.fromEntries(
      Object.entries(all).map(([name, spec]) => [
        name,
        { type: spec.type, ...(spec.short ? { short: spec.short } : {}) },
      ]),
    ),
  });
  const known = Object.keys(options)
    .map((name) => `--${name}`)
    .concat("--help");
  const values: Record<string, unknown> = {};
  const given: string[] = [];
  let help = false;
  for (const token of tokens) {
    if (token.kind === "option-terminator") {
      throw new UsageError(`unexpected "--"; every argument is an option, e.g. ${known[0] ?? "--help"}`);
    }
    if (token.kind === "positional") {
      throw new UsageError(
        `unexpected argument "${token.value}"; every argument is an option (${known.join(", ")})`,
      );
    }
    // Own keys only: "--constructor" must not find Object.prototype.constructor.
    const spec = Object.hasOwn(all, token.name) ? all[token.name] : undefined;
    if (!spec) {
      throw new UsageError(`unknown option "${token.rawName}"; known options: ${known.join(", ")}`);
    }
    const long = `--${token.name}`;
    if (spec.type === "boolean") {
      if (token.inlineValue) {
        throw new UsageError(
          `${long} is a flag and takes no value, got "${token.value}"; write just ${long}`,
        );
      }
      if (token.name === "help") help = true;
      else values[token.name] = true;
      given.push(token.name);
      continue;
    }
    const value = token.value;
    // parseArgs hands the next argument to a string option even when it is another option.
    const swallowedOption =
      !token.inlineValue && value !== undefined && (/^--./.test(value) || /^-[A-Za-z]$/.test(value));
    if (value === undefined || swallowedOption) {
      throw new UsageError(`${long} needs a value, e.g. ${long} ${spec.example ?? "<value>"}`);
    }
    if (value.trim() === "") {
      throw new UsageError(`${long} needs a non-empty value, e.g. ${long} ${spec.example ?? "<value>"}`);
    }
    if (spec.multiple) values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), value];
    else values[token.name] = value;
    given.push(token.name);
  }
  return { values: values as CliValues<O>, help, given };
}

/**
 * Checks, before any work, that `file` can be written as a new or replaced file: it is not a
 * folder, and its folder is a writable folder. With `createFolders` (the command creates the
 * missing folders of the path itself) the folder may be missing as long as its nearest existing
 * ancestor is a writable folder. Throws {@link UsageError} naming `option`, the path and the fix.
 */
export function checkOutputFile(
  option: string,
  file: string,
  opts: { readonly createFolders?: boolean } = {},
): void {
  const absolute = resolve(file);
  let existing = absolute;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  if (existing === absolute && statSync(absolute).isDirectory()) {
    throw new UsageError(`${option} ${file}: is a folder; give a file path, e.g. ${option} ${file}/out.json`);
  }
  if (opts.createFolders) {
    if (existing !== absolute) checkWritableFolder(option, file, existing, "");
    else checkWritableFolder(option, file, dirname(absolute), "its folder");
  } else checkWritableFolder(option, file, dirname(absolute), "its folder");
}

/**
 * Checks, before any work, that `folder` can be used as an output folder: it is a writable
 * folder, or it does not exist yet and its nearest existing ancestor is a writable folder (it
 * will be created). Throws {@link UsageError} naming `option`, the path and the fix.
 */
export function checkOutputFolder(option: string, folder: string): void {
  const absolute = resolve(folder);
  let existing = absolute;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  checkWritableFolder(option, folder, existing, "");
}

/** `what` names `folder` in the message ("its folder"), or is empty to name it by its path only. */
function checkWritableFolder(option: string, given: string, folder: string, what: string): void {
  const subject = what === "" || what === folder ? folder : `${what} ${folder}`;
  if (!existsSync(folder)) {
    throw new UsageError(
      `${option} ${given}: ${subject} does not exist; create it first or give a path in an existing folder`,
    );
  }
  if (!statSync(folder).isDirectory()) {
    throw new UsageError(`${option} ${given}: ${subject} is a file, not a folder; give another path`);
  }
  try {
    accessSync(folder, constants.W_OK | constants.X_OK);
  } catch {
    throw new UsageError(`${option} ${given}: ${subject} is not writable; give a path you can write`);
  }
}

/** Where a CLI writes: one line at a time, newline added. */
export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

/** The process's stdout and stderr. */
export const PROCESS_IO: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** The one-line hint printed after a usage error. */
export function helpHint(tool: string): string {
  return `Run "npm run ${tool} -- --help" for the options.`;
}

/** A CLI's entry: parses `argv`, does the work, returns an {@link EXIT} code. */
export type CliMain = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * Runs `main` and maps what it throws to an exit code: a {@link UsageError} prints
 * `<tool>: <message>` and {@link helpHint} and returns `EXIT.usage`; any other error prints
 * `<tool>: <message>` (its stack only when `TAP_DEBUG=1`) and returns `EXIT.failed`.
 */
export async function runCli(
  tool: string,
  main: CliMain,
  argv: readonly string[],
  io: CliIo,
): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${tool}: ${error.message}`);
      io.err(helpHint(tool));
      return EXIT.usage;
    }
    const detail =
      error instanceof Error
        ? process.env.TAP_DEBUG === "1"
          ? (error.stack ?? error.message)
          : error.message
        : String(error);
    io.err(`${tool}: ${detail}`);
    return EXIT.failed;
  }
}

/**
 * Turns off the AWS SDK's warning that its releases after January 2027 need Node >= 22 (the
 * SDK's own switch, read when a client is created), unless the caller set the variable. The CLIs
 * run on Node 20 by design (package.json `engines`; the Lambdas run on Node 22), and the warning's
 * nine lines would land in the middle of a drill's or a simulation's output, once per process.
 * Set on `process.env`, so child processes (simulator shards, drill helpers) inherit it.
 */
export function quietSdkNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}

/**
 * Starts `main` as the process's command with `process.argv.slice(2)`. The exit code is set when
 * `main` settles; with `forceExit` the process exits then (for programs that leave handles open,
 * such as the Pulumi runtime), otherwise it ends once pending cleanup has finished.
 */
export function startCli(tool: string, main: CliMain, opts: { readonly forceExit?: boolean } = {}): void {
  quietSdkNodeVersionWarning();
  void runCli(tool, main, process.argv.slice(2), PROCESS_IO).then((code) => {
    process.exitCode = code;
    if (opts.forceExit) process.exit(code);
  });
}
