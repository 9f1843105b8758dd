/**
 * `npm run drill`: a local DR game day on real PostgreSQL 14. See the README (section "The local DR drill").
 * Exit code 0 when every scenario passed, 1 when one failed, 2 on a usage error (nothing run);
 * ended by Ctrl-C: 130, with the local cluster torn down and an empty run folder removed.
 */
import * as path from "node:path";

import { checkOutputFile, checkOutputFolder, EXIT, startCli, type CliIo } from "../lib/cli/args";
import { parseDrillArgs, USAGE } from "../lib/drill/args";
import { renderSummary } from "../lib/drill/report";
import { onStopSignal, RunFolder, signalExitCode } from "../lib/drill/run-folder";
import { runDrill } from "../lib/drill/runner";

/** `.drill/<UTC timestamp>`: sortable, and safe as a directory name on every platform. */
function defaultOutDir(now: Date): string {
  return path.join(".drill", now.toISOString().replace(/[:.]/g, "-"));
}

/** The drill command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const options = parseDrillArgs(argv);
  if (options.help) {
    io.out(USAGE.trimEnd());
    return EXIT.ok;
  }
  const outDir = options.outDir ?? defaultOutDir(new Date());
  // Every path is checked before the cluster starts: a bad one must not cost a whole drill.
  checkOutputFolder(options.outDir ? "--out" : "the output folder", outDir);
  if (options.jsonFile) checkOutputFile("--json", options.jsonFile, { createFolders: true });

  const folder = new RunFolder(outDir);
  const uninstall = onStopSignal((signal) => {
    const removed = folder.removeIfEmpty();
    io.err(
      `drill: stopped by ${signal}; the local cluster is torn down` +
        (removed ? ` and the empty ${outDir} removed` : `; partial output kept in ${outDir}`),
    );
    // `exit` hooks tear down the clusters still running and remove the PostgreSQL copy.
    process.exit(signalExitCode(signal));
  });
  try {
    const report = await runDrill(options, { outDir, log: io.out });
    io.out(`\n${renderSummary(report)}`);
    return report.passed ? EXIT.ok : EXIT.failed;
  } catch (error) {
    folder.removeIfEmpty();
    throw error;
  } finally {
    uninstall();
  }
}

if (require.main === module) startCli("drill", main);
