/**
 * Two projects: `unit` (pure logic, mocks, fixtures: `npm run test:unit`, the inner loop) and
 * `integration` (`*.integration.test.ts`: real PostgreSQL, spawned CLIs, whole-program synths, the
 * simulator's timelines). `npm test` runs both.
 *
 * Type checking happens in `npm run typecheck` (tsc --noEmit); jest only transpiles, with swc
 * (a fresh clone's first `npm test` took 157 s with ts-jest's TypeScript transpiler, 144 s with swc).
 */
const fs = require("node:fs");

// Temporary files in memory when the machine has a tmpfs at /dev/shm: the real-PostgreSQL tests
// create, copy and remove thousands of cluster files, and creating files on the machines' ext4
// disk was a fifth of the suite's CPU (`/usr/bin/time npx jest -i test/drill`: 60 s of system
// time in /tmp, 18 s with TMPDIR=/dev/shm). Set here, in jest's own process, so that the workers
// and the CLIs the tests spawn inherit it (a test file's `process.env` is a copy). A TMPDIR the
// caller set is kept.
if (process.env.TMPDIR === undefined && isWritableDirectory("/dev/shm")) process.env.TMPDIR = "/dev/shm";

function isWritableDirectory(dir) {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

const common = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  setupFiles: ["<rootDir>/test/support/jest-setup.ts"],
  transform: {
    "^.+\\.ts$": [
      "@swc/jest",
      {
        jsc: { parser: { syntax: "typescript" }, target: "es2022" },
        module: { type: "commonjs" },
        sourceMaps: "inline",
      },
    ],
  },
};

module.exports = {
  // Jest's default is one worker fewer than the cores: one on the 2-core machines the suite runs
  // on. Five keep both cores busy while the real-PostgreSQL files wait on their clusters and clocks
  // (measured on 2 cores, fresh jest cache, jest.sequencer.js's order: 108 s of jest time with four
  // workers, 103-109 s with five, where four left 16 CPU-seconds idle; two workers, with the
  // integration files first only, took 198 s).
  maxWorkers: 5,
  // Global options: jest ignores them inside a project.
  testTimeout: 60000,
  testSequencer: "<rootDir>/jest.sequencer.js",
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["**/*.test.ts"],
      testPathIgnorePatterns: ["\\.integration\\.test\\.ts$"],
    },
    { ...common, displayName: "integration", testMatch: ["**/*.integration.test.ts"] },
  ],
};
