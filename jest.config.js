/**
 * Two projects: `unit` (pure logic, mocks, fixtures: `npm run test:unit`, the inner loop) and
 * `integration` (`*.integration.test.ts`: real PostgreSQL, spawned CLIs, whole-program synths, the
 * simulator's timelines). `npm test` runs both.
 *
 * Type checking happens in `npm run typecheck` (tsc --noEmit); jest only transpiles, which keeps the suite fast.
 */
const common = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  setupFiles: ["<rootDir>/test/support/jest-setup.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.jest.json" }] },
};

module.exports = {
  // Jest's default is one worker fewer than the cores: on the 2-core machines the suite runs on,
  // that is one worker. Two keep both cores busy (the tests mostly wait on PostgreSQL or compute).
  maxWorkers: 2,
  // A global option: jest ignores it inside a project.
  testTimeout: 60000,
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
