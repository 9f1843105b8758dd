/**
 * `npm run drill`: a local DR game day on real PostgreSQL 14. See the README (section "The local DR drill").
 * Exit code 0 when every scenario passed, 1 when one failed, 2 on a usage error.
 */
import * as path from "node:path";

import { DrillUsageError, parseDrillArgs, USAGE } from "../lib/drill/args";
import { renderSummary } from "../lib/drill/report";
import { runDrill } from "../lib/drill/runner";

/** `.drill/<UTC timestamp>`: sortable, and safe as a directory name on every platform. */
function defaultOutDir(now: Date): string {
  return path.join(".drill", now.toISOString().replace(/[:.]/g, "-"));
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseDrillArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof DrillUsageError) {
      process.stderr.write(`drill: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const outDir = options.outDir ?? defaultOutDir(new Date());
  try {
    const report = await runDrill(options, { outDir, log: (line) => process.stdout.write(`${line}\n`) });
    process.stdout.write(`\n${renderSummary(report)}\n`);
    return report.passed ? 0 : 1;
  } catch (error) {
    if (error instanceof DrillUsageError) {
      process.stderr.write(`drill: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
