/**
 * `npm run build`: bundles every Lambda entry the way TapStack deploys it and writes
 * `dist/<entry>/index.mjs`, its chunks and source maps, so the packages can be inspected or
 * invoked locally. Exits 1 when a bundle does not build.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { relative } from "node:path";
import {
  LAMBDA_ENTRIES,
  REPO_ROOT,
  buildLambdaBundle,
  bundleSizes,
  directoriesOf,
  distDirectory,
  filePaths,
} from "../lib/infra/bundle";

const KIB = 1024;

async function main(): Promise<void> {
  for (const entry of LAMBDA_ENTRIES) {
    const bundle = await buildLambdaBundle(entry, "optimized");
    const directory = distDirectory(entry);
    // Chunk names carry content hashes: stale chunks of an earlier build must not linger.
    rmSync(directory, { recursive: true, force: true });
    const files = filePaths(bundle, directory);
    for (const dir of directoriesOf(files)) mkdirSync(dir, { recursive: true });
    for (const file of files) writeFileSync(file.path, file.text);
    const sizes = bundleSizes(bundle);
    console.log(
      `${entry}: ${files.length} files in ${relative(REPO_ROOT, directory)}/ ` +
        `(loaded at start ${(sizes.initBytes / KIB).toFixed(0)} KB, all JavaScript ${(sizes.totalBytes / KIB).toFixed(0)} KB, ` +
        `source maps ${(sizes.mapBytes / KIB).toFixed(0)} KB)`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
