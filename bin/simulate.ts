/**
 * `npm run simulate`: the deterministic AWS failure simulator.
 *
 *   npm run simulate -- --timeline FILE [--json OUT]   one timeline; its outcome as JSON
 *   npm run simulate -- --matrix [--json OUT]          the built-in matrix, one table row per timeline
 *
 * Exit codes: 0 every invariant held, 1 an invariant was violated, 2 bad usage or a malformed timeline.
 */
import { fork } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_POLICY, policyProblems } from "../lib/lambda/core/policy";
import type { FailoverPolicy } from "../lib/lambda/core/types";
import { matrixTimelines } from "../lib/simulator/matrix";
import { formatMatrix, summarise } from "../lib/simulator/report";
import { runTimeline, type Outcome } from "../lib/simulator/run";
import { parseTimeline, TimelineError } from "../lib/simulator/timeline";

const USAGE = `Usage:
  npm run simulate -- --timeline FILE [--json OUT]   run one timeline file, print its outcome
  npm run simulate -- --matrix [--json OUT]          run the built-in matrix, one row per timeline
  --policy key=value,...                             try failover policy values instead of the defaults
Exit codes: 0 all invariants held, 1 an invariant was violated, 2 bad usage.`;

class UsageError extends Error {}

interface Args {
  readonly timeline?: string;
  readonly matrix: boolean;
  readonly json?: string;
  readonly help: boolean;
  /** Internal: `k/n` runs every n-th matrix timeline from k in a child process. */
  readonly shard?: { readonly index: number; readonly count: number };
  /** `--policy key=value,…`: failover policy values to try instead of the defaults. */
  readonly policy: Partial<FailoverPolicy>;
  readonly policyText?: string;
}

function parse(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        timeline: { type: "string" },
        matrix: { type: "boolean", default: false },
        json: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
        shard: { type: "string" },
        policy: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.help) return { matrix: false, help: true, policy: {} };
  if ((v.timeline === undefined) === !v.matrix)
    throw new UsageError("give exactly one of --timeline FILE or --matrix");
  if (v.timeline !== undefined && (!existsSync(v.timeline) || !statSync(v.timeline).isFile())) {
    throw new UsageError(
      `--timeline ${JSON.stringify(v.timeline)} is not a file; give the path of a timeline JSON file`,
    );
  }
  if (v.json !== undefined) {
    const dir = dirname(resolve(v.json));
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new UsageError(
        `--json ${JSON.stringify(v.json)}: the folder ${dir} does not exist; create it or choose another path`,
      );
    }
  }
  let shard: Args["shard"];
  if (v.shard !== undefined) {
    const match = /^(\d+)\/(\d+)$/.exec(v.shard);
    if (match === null || Number(match[1]) >= Number(match[2]))
      throw new UsageError(`--shard ${JSON.stringify(v.shard)} must look like 0/2`);
    shard = { index: Number(match[1]), count: Number(match[2]) };
  }
  return {
    timeline: v.timeline,
    matrix: v.matrix ?? false,
    json: v.json,
    help: false,
    shard,
    policy: v.policy === undefined ? {} : parsePolicy(v.policy),
    ...(v.policy === undefined ? {} : { policyText: v.policy }),
  };
}

/** `probeIntervalSeconds=10,consecutiveFailuresToFailover=3`: each key a failover policy field. */
function parsePolicy(text: string): Partial<FailoverPolicy> {
  const policy: Record<string, number | boolean> = {};
  for (const pair of text.split(",")) {
    const [key, value] = pair.split("=");
    if (key === undefined || value === undefined || !(key in DEFAULT_POLICY)) {
      throw new UsageError(
        `--policy ${JSON.stringify(pair)} is not key=value with a policy key; keys are ${Object.keys(DEFAULT_POLICY).join(", ")}`,
      );
    }
    policy[key] = value === "true" ? true : value === "false" ? false : Number(value);
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

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`simulate: ${error.message}`);
    console.error("Run npm run simulate -- --help for usage.");
    return 2;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  if (args.timeline !== undefined) {
    let timeline;
    try {
      timeline = parseTimeline(JSON.parse(readFileSync(args.timeline, "utf8")), args.timeline);
    } catch (error) {
      if (!(error instanceof TimelineError) && !(error instanceof SyntaxError)) throw error;
      console.error(`simulate: ${error.message}`);
      return 2;
    }
    const outcome = await runTimeline(timeline, args.policy);
    const text = JSON.stringify(outcome, null, 2);
    if (args.json !== undefined) writeFileSync(args.json, `${text}\n`);
    console.log(text);
    return outcome.violations.length === 0 ? 0 : 1;
  }
  if (args.shard !== undefined) {
    const { index, count } = args.shard;
    const mine = matrixTimelines().filter((_, i) => i % count === index);
    const outcomes: Outcome[] = [];
    for (const timeline of mine) outcomes.push(await runTimeline(timeline, args.policy));
    process.send?.(outcomes);
    return 0;
  }
  const startedAt = process.hrtime.bigint();
  const outcomes = await runMatrixInParallel(args.policyText);
  const wallSeconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
  console.log(formatMatrix(outcomes));
  const summary = summarise(outcomes, wallSeconds);
  console.log(summary.text);
  if (args.json !== undefined)
    writeFileSync(args.json, `${JSON.stringify({ summary: summary.figures, outcomes }, null, 2)}\n`);
  return summary.figures.violations === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(
      `simulate failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exitCode = 1;
  },
);
