/**
 * `npm run simulate`: the deterministic AWS failure simulator.
 *
 *   npm run simulate -- --timeline FILE [--json OUT]   one timeline; its outcome as JSON
 *   npm run simulate -- --matrix [--json OUT]          the built-in matrix, one table row per timeline
 *
 * Exit codes: 0 every invariant held, 1 an invariant was violated, 2 bad usage or a malformed
 * timeline (the arguments, the `--json` path and the timeline file are checked before any run).
 */
import { fork } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import {
  checkOutputFile,
  EXIT,
  parseCliArgs,
  startCli,
  UsageError,
  type CliIo,
  type CliOptions,
} from "../lib/cli/args";
import { DEFAULT_POLICY, policyProblems } from "../lib/lambda/core/policy";
import type { FailoverPolicy } from "../lib/lambda/core/types";
import { matrixTimelines } from "../lib/simulator/matrix";
import { formatMatrix, summarise } from "../lib/simulator/report";
import { runTimeline, type Outcome } from "../lib/simulator/run";
import { parseTimeline, TimelineError, type Timeline } from "../lib/simulator/timeline";

export const USAGE = `Usage: npm run simulate -- --timeline FILE [--json OUT] | --matrix [--json OUT]

  --timeline FILE          run one timeline file, print its outcome as JSON
  --matrix                 run the built-in matrix, one row per timeline
  --json OUT               also write the outcome (or the matrix) as JSON to OUT
  --policy key=value,...   try failover policy values instead of the defaults
  -h, --help               print this text
Exit codes: 0 all invariants held, 1 an invariant was violated, 2 bad usage or a malformed timeline.`;

const OPTIONS = {
  timeline: { type: "string", example: "timelines/defect-2-switchover-stops.json" },
  matrix: { type: "boolean" },
  json: { type: "string", example: "out.json" },
  policy: { type: "string", example: "probeIntervalSeconds=10" },
  // Internal: `k/n` runs every n-th matrix timeline from k in a child process.
  shard: { type: "string", example: "0/2" },
} as const satisfies CliOptions;

/** The checked command line: every value and path is valid, the timeline file is parsed. */
export interface SimulateArgs {
  readonly timeline?: Timeline;
  readonly json?: string;
  readonly help: boolean;
  /** Internal: `k/n` runs every n-th matrix timeline from k in a child process. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** `--policy key=value,…`: failover policy values to try instead of the defaults. */
  readonly policy: Partial<FailoverPolicy>;
  readonly policyText?: string;
}

/**
 * Parses and checks the command line before any work: the options, the policy values, the
 * `--json` path (a writable file in an existing folder) and the `--timeline` file (read and
 * parsed). Throws {@link UsageError} naming the argument, the value and the fix.
 */
export function parseSimulateArgs(argv: readonly string[]): SimulateArgs {
  const { values: v, help } = parseCliArgs(argv, OPTIONS);
  if (help) return { help: true, policy: {} };
  if ((v.timeline === undefined) === (v.matrix === undefined)) {
    throw new UsageError(
      "give exactly one of --timeline FILE or --matrix, e.g. --timeline timelines/defect-2-switchover-stops.json",
    );
  }
  if (v.json !== undefined) checkOutputFile("--json", v.json);
  let shard: SimulateArgs["shard"];
  if (v.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(v.shard);
    if (match === null || Number(match[1]) >= Number(match[2]))
      throw new UsageError(
        `--shard ${JSON.stringify(v.shard)}: expected k/n with k below n, e.g. --shard 0/2`,
      );
    shard = { index: Number(match[1]), count: Number(match[2]) };
  }
  const policy = v.policy === undefined ? {} : parsePolicy(v.policy);
  return {
    ...(v.timeline === undefined ? {} : { timeline: readTimeline(v.timeline) }),
    ...(v.json === undefined ? {} : { json: v.json }),
    help: false,
    ...(shard === undefined ? {} : { shard }),
    policy,
    ...(v.policy === undefined ? {} : { policyText: v.policy }),
  };
}

/** Reads and parses a timeline file; a missing or malformed one is a {@link UsageError}. */
function readTimeline(file: string): Timeline {
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new UsageError(
      `--timeline ${file}: no such file; give the path of a timeline JSON file, e.g. --timeline ${OPTIONS.timeline.example}`,
    );
  }
  try {
    return parseTimeline(JSON.parse(readFileSync(file, "utf8")), file);
  } catch (error) {
    if (error instanceof TimelineError) throw new UsageError(`--timeline ${error.message}`);
    if (error instanceof SyntaxError) {
      throw new UsageError(`--timeline ${file}: not valid JSON (${error.message}); fix the file`);
    }
    throw error;
  }
}

/** `value` read as the type of the policy default: a number, `true`/`false`, or a word. */
function asDefaultsType(fallback: unknown, value: string): number | boolean | string {
  if (typeof fallback === "number") return Number(value);
  if (typeof fallback === "boolean" && (value === "true" || value === "false")) return value === "true";
  // Anything else is checked, and refused with its fix, by policyProblems.
  return value;
}

/** `probeIntervalSeconds=10,consecutiveFailuresToFailover=3`: each key a failover policy field. */
function parsePolicy(text: string): Partial<FailoverPolicy> {
  const policy: Record<string, number | boolean | string> = {};
  for (const pair of text.split(",")) {
    const [key, value] = pair.split("=");
    if (key === undefined || value === undefined || !Object.hasOwn(DEFAULT_POLICY, key)) {
      throw new UsageError(
        `--policy ${JSON.stringify(pair)} is not key=value with a policy key; keys are ${Object.keys(DEFAULT_POLICY).join(", ")}`,
      );
    }
    policy[key] = asDefaultsType(DEFAULT_POLICY[key as keyof FailoverPolicy], value);
  }
  const problems = policyProblems({ ...DEFAULT_POLICY, ...policy } as FailoverPolicy);
  if (problems.length > 0) throw new UsageError(`--policy ${JSON.stringify(text)}: ${problems.join(" ")}`);
  return policy as Partial<FailoverPolicy>;
}

/**
 * Runs the matrix in one child process per core (timelines are independent and each run is
 * single-threaded), and returns the outcomes in matrix order.
 */
async function runMatrixInParallel(policyText: string | undefined): Promise<Outcome[]> {
  const count = Math.max(1, Math.min(4, availableParallelism()));
  const shards = await Promise.all(
    Array.from(
      { length: count },
      (_, index) =>
        new Promise<Outcome[]>((resolveShard, reject) => {
          const child = fork(
            process.argv[1],
            [
              "--matrix",
              "--shard",
              `${index}/${count}`,
              ...(policyText === undefined ? [] : ["--policy", policyText]),
            ],
            {
              execArgv: process.execArgv,
              stdio: ["ignore", "inherit", "inherit", "ipc"],
            },
          );
          let result: Outcome[] | undefined;
          child.on("message", (message) => (result = message as Outcome[]));
          child.on("error", reject);
          child.on("exit", (code) =>
            result !== undefined && code === 0
              ? resolveShard(result)
              : reject(new Error(`matrix shard ${index}/${count} exited with ${code}`)),
          );
        }),
    ),
  );
  const total = shards.reduce((n, s) => n + s.length, 0);
  return Array.from({ length: total }, (_, i) => shards[i % count][Math.floor(i / count)]);
}

/** The simulate command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseSimulateArgs(argv);
  if (args.help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  if (args.timeline !== undefined) {
    const outcome = await runTimeline(args.timeline, args.policy);
    const text = JSON.stringify(outcome, null, 2);
    if (args.json !== undefined) writeFileSync(args.json, `${text}\n`);
    io.out(text);
    return outcome.violations.length === 0 ? EXIT.ok : EXIT.failed;
  }
  if (args.shard !== undefined) {
    const { index, count } = args.shard;
    const mine = matrixTimelines().filter((_, i) => i % count === index);
    const outcomes: Outcome[] = [];
    for (const timeline of mine) outcomes.push(await runTimeline(timeline, args.policy));
    process.send?.(outcomes);
    return EXIT.ok;
  }
  const startedAt = process.hrtime.bigint();
  const outcomes = await runMatrixInParallel(args.policyText);
  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  io.out(formatMatrix(outcomes));
  const summary = summarise(outcomes, wallSeconds);
  io.out(summary.text);
  if (args.json !== undefined)
    writeFileSync(args.json, `${JSON.stringify({ summary: summary.figures, outcomes }, null, 2)}\n`);
  return summary.figures.violations === 0 ? EXIT.ok : EXIT.failed;
}

if (require.main === module) startCli("simulate", main);
