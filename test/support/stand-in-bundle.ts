/**
 * The suite's bundler for whole-program runs: a package per entry that names the entry, built
 * without esbuild. Every synth would otherwise bundle all the functions again (each test file has
 * its own module registry, so the program's memoised bundles do not carry over); the real bundles
 * are built and checked once, in `test/infra/bundle.test.ts`.
 */
import type { Bundler, DeployedEntry, LambdaBundle } from "../../lib/infra/bundle";

/** The text of a stand-in package's `index.mjs`: which entry it stands for. */
export const standInSource = (entry: DeployedEntry): string =>
  `// stand-in for lib/lambda/${entry}/index.ts\nexport const handler = () => { throw new Error("stand-in"); };\n`;

/** Builds the stand-in package of `entry`: `index.mjs` and its (empty) source map. */
export const standInBundle: Bundler = (entry) => {
  const bundle: LambdaBundle = {
    entry,
    style: "optimized",
    entryFile: "index.mjs",
    files: [
      { path: "index.mjs", text: standInSource(entry) },
      { path: "index.mjs.map", text: '{"version":3,"sources":[],"mappings":""}' },
    ],
    initFiles: ["index.mjs"],
  };
  return Promise.resolve(bundle);
};
