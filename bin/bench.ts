/**
 * `npm run bench`: for each Lambda entry, builds the deployed (optimized) bundle and a naive
 * CommonJS bundle of the same code side by side, then measures each one's size and its cold
 * module-initialisation time: a fresh `node` process that loads the bundle, minus a fresh
 * `node -e 0`, median of 10 runs each. Module-scope environment validation runs, so every
 * variable the handlers read is set to a well-formed dummy value. No network is touched: the
 * functions create their AWS clients at start but call nothing until invoked.
 *
 * Prints a table; exits non-zero only when a bundle fails to build (timings are for reading,
 * not for failing: they depend on the machine).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT, parseCliArgs, startCli, type CliIo } from "../lib/cli/args";
import {
  LAMBDA_ENTRIES,
  buildLambdaBundle,
  bundleSizes,
  directoriesOf,
  filePaths,
  type LambdaBundle,
  type LambdaEntry,
} from "../lib/infra/bundle";

/** Runs per measurement; the median is reported. */
export const RUNS = 10;
/** Targets of the brief: each bundle at most this share of the baseline, init under this. */
const MAX_SIZE_SHARE = 0.4;
const MAX_INIT_MS = 60;
/** Sizes the brief measured for a naive CommonJS bundle of the same clients (KB). */
const BRIEF_BASELINE_KB: Record<LambdaEntry, number> = { failover: 815, "health-monitor": 528 };
const KIB = 1024;

/** Well-formed values for every variable the handlers validate at start. */
const DUMMY_ENV: Record<string, string> = {
  PRIMARY_INSTANCE_ID: "rds-primary-dev",
  REPLICA_INSTANCE_ID: "rds-replica-dev",
  PRIMARY_REGION: "ap-southeast-2",
  REPLICA_REGION: "ap-southeast-2",
  PRIMARY_SECURITY_GROUP_ID: "sg-0123456789abcdef0",
  HOSTED_ZONE_ID: "Z0123456789ABCDEFGHIJ",
  WRITER_RECORD_NAME: "writer.dev.tapstack.internal",
  READER_RECORD_NAME: "reader.dev.tapstack.internal",
  DNS_TTL_SECONDS: "30",
  ALERT_TOPIC_ARN: "arn:aws:sns:ap-southeast-1:123456789012:sns-dr-events-dev",
  REPORT_BUCKET: "s3-backups-dr-dev-0123456",
  BACKUP_RETENTION_DAYS: "7",
  MAX_REPLICATION_LAG_SECONDS: "60",
  ACCEPT_DATA_LOSS: "false",
  CONSECUTIVE_FAILURES: "3",
  PROBES_PER_RUN: "4",
  PROBE_INTERVAL_SECONDS: "15",
  PROBE_TIMEOUT_SECONDS: "3",
  PRIMARY_ALARM_NAME: "alarm-monitor-primary-unreachable-dev",
  MONITOR_FUNCTION_NAME: "lambda-health-monitor-dev",
  METRICS_NAMESPACE: "TapStack",
  ENVIRONMENT_SUFFIX: "dev",
  PRIMARY_HOST: "rds-primary-dev.c0123456789.ap-southeast-2.rds.amazonaws.com",
  REPLICA_HOST: "rds-replica-dev.c0123456789.ap-southeast-2.rds.amazonaws.com",
  DB_PORT: "5432",
  DB_NAME: "app",
  MONITOR_DB_USER: "dr_monitor",
  MASTER_SECRET_ARN: "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:rds!db-0123-abcdef",
  AWS_REGION: "ap-southeast-1",
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  // The AWS SDK warns once per process on Node 20; the warning is not part of the measurement.
  NODE_NO_WARNINGS: "1",
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Wall time of one fresh `node -e <code>`, milliseconds. Throws with stderr when it fails. */
function timeNode(code: string): number {
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ["-e", code], {
    env: { ...process.env, ...DUMMY_ENV },
    encoding: "utf8",
  });
  const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`node -e ${JSON.stringify(code)} failed:\n${run.stderr}`);
  return elapsedMs;
}

/** Median cold module-initialisation time of the bundle's entry file, ms (interleaved with empty runs). */
function initMs(entryPath: string): number {
  const load = entryPath.endsWith(".mjs")
    ? `import(${JSON.stringify(`file://${entryPath}`)}).catch((e) => { console.error(e); process.exit(1); })`
    : `require(${JSON.stringify(entryPath)})`;
  const loads: number[] = [];
  const empties: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    empties.push(timeNode("0"));
    loads.push(timeNode(load));
  }
  return median(loads) - median(empties);
}

function writeBundle(bundle: LambdaBundle, directory: string): string {
  const files = filePaths(bundle, directory);
  for (const dir of directoriesOf(files)) mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(f.path, f.text);
  return join(directory, bundle.entryFile);
}

interface Row {
  readonly bundle: string;
  readonly initKb: number;
  readonly totalKb: number;
  readonly initMs: number;
  readonly vsNaive: string;
}

export const USAGE = [
  "Usage: npm run bench",
  "",
  `Builds each engine Lambda bundle (deployed and naive) and measures its size and cold start (median of ${RUNS}).`,
  "  -h, --help   print this text",
].join("\n");

/** The bench command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  if (parseCliArgs(argv, {}).help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const work = mkdtempSync(join(tmpdir(), "tap-bench-"));
  const rows: Row[] = [];
  const verdicts: string[] = [];
  try {
    for (const entry of LAMBDA_ENTRIES) {
      let naive: LambdaBundle;
      let optimized: LambdaBundle;
      try {
        naive = await buildLambdaBundle(entry, "naive");
        optimized = await buildLambdaBundle(entry, "optimized");
      } catch (error) {
        io.err(`bench: ${error instanceof Error ? error.message : String(error)}`);
        return EXIT.failed;
      }
      const naiveSizes = bundleSizes(naive);
      const optSizes = bundleSizes(optimized);
      const naiveMs = initMs(writeBundle(naive, join(work, entry, "naive")));
      const optMs = initMs(writeBundle(optimized, join(work, entry, "optimized")));
      rows.push({
        bundle: `${entry} naive CJS`,
        initKb: naiveSizes.initBytes / KIB,
        totalKb: naiveSizes.totalBytes / KIB,
        initMs: naiveMs,
        vsNaive: "baseline",
      });
      rows.push({
        bundle: `${entry} deployed ESM`,
        initKb: optSizes.initBytes / KIB,
        totalKb: optSizes.totalBytes / KIB,
        initMs: optMs,
        vsNaive:
          `start ${((100 * optSizes.initBytes) / naiveSizes.initBytes).toFixed(0)}% / ` +
          `all ${((100 * optSizes.totalBytes) / naiveSizes.totalBytes).toFixed(0)}% / ` +
          `init ${((100 * optMs) / naiveMs).toFixed(0)}%`,
      });
      const brief = BRIEF_BASELINE_KB[entry];
      const share = (kb: number): string => `${((100 * kb) / brief).toFixed(0)}%`;
      verdicts.push(
        `${entry}: loaded at start ${(optSizes.initBytes / KIB).toFixed(0)} KB = ${share(optSizes.initBytes / KIB)} ` +
          `and all JavaScript ${(optSizes.totalBytes / KIB).toFixed(0)} KB = ${share(optSizes.totalBytes / KIB)} ` +
          `of the brief's ${brief} KB baseline (target <= ${MAX_SIZE_SHARE * 100}%); ` +
          `init ${optMs.toFixed(0)} ms (target < ${MAX_INIT_MS} ms)`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const header = ["bundle", "start KB", "all JS KB", `init ms (median of ${RUNS})`, "vs naive CJS"];
  const table = rows.map((r) => [
    r.bundle,
    r.initKb.toFixed(0),
    r.totalKb.toFixed(0),
    r.initMs.toFixed(0),
    r.vsNaive,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  io.out(`Node ${process.version}, ${RUNS} fresh processes per measurement (init = load - empty node)`);
  io.out(line(header));
  io.out(widths.map((w) => "-".repeat(w)).join("  "));
  for (const t of table) io.out(line(t));
  io.out("");
  for (const v of verdicts) io.out(v);
  return EXIT.ok;
}

if (require.main === module) startCli("bench", main);
