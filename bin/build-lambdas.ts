/**
 * `npm run build`: type-checks the project (`tsc --noEmit`), then bundles every Lambda entry the
 * stack deploys (`DEPLOYED_ENTRIES`: the health monitor, which the bootstrap function also runs,
 * the failover function, the failover workflow's step runner, the snapshot export and the restore
 * test's check query) the way TapStack deploys it and writes `dist/<entry>/index.mjs`, its chunks
 * and source maps, so the packages can be inspected or invoked locally. Exits 1 when the type check
 * or a bundle fails, 2 on bad arguments.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import { EXIT, parseCliArgs, startCli, type CliIo } from "../lib/cli/args";
import {
  DEPLOYED_ENTRIES,
  REPO_ROOT,
  buildLambdaBundle,
  bundleSizes,
  directoriesOf,
  distDirectory,
  filePaths,
} from "../lib/infra/bundle";

const KIB = 1024;

export const USAGE = [
  "Usage: npm run build",
  "",
  "Type-checks the project, then writes every deployed Lambda bundle to dist/<entry>/.",
  "  -h, --help   print this text",
].join("\n");

/** The build command; returns its exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  if (parseCliArgs(argv, {}).help) {
    io.out(USAGE);
    return EXIT.ok;
  }
  const tsc = spawnSync(process.execPath, [require.resolve("typescript/bin/tsc"), "--noEmit"], {
    cwd: REPO_ROOT,
    stdio: "inherit",
  });
  if (tsc.status !== 0) {
    io.err("build: the type check (tsc --noEmit) failed; fix the errors above");
    return EXIT.failed;
  }
  for (const entry of DEPLOYED_ENTRIES) {
    const bundle = await buildLambdaBundle(entry, "optimized");
    const directory = distDirectory(entry);
    // Chunk names carry content hashes: stale chunks of an earlier build must not linger.
    rmSync(directory, { recursive: true, force: true });
    const files = filePaths(bundle, directory);
    for (const dir of directoriesOf(files)) mkdirSync(dir, { recursive: true });
    for (const file of files) writeFileSync(file.path, file.text);
    const sizes = bundleSizes(bundle);
    io.out(
      `${entry}: ${files.length} files in ${relative(REPO_ROOT, directory)}/ ` +
        `(loaded at start ${(sizes.initBytes / KIB).toFixed(0)} KB, all JavaScript ${(sizes.totalBytes / KIB).toFixed(0)} KB, ` +
        `source maps ${(sizes.mapBytes / KIB).toFixed(0)} KB)`,
    );
  }
  return EXIT.ok;
}

if (require.main === module) startCli("build", main);
