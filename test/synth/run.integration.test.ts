/**
 * The whole-program tests run the program several times in one module registry
 * (`test/support/synth.ts`). This shows that a run records exactly what it records in a fresh
 * registry: after runs of other configs, and after a run the pre-flight guard stopped (after its
 * invokes had been answered, before any resource was declared).
 */
import { join } from "node:path";
import type { ExistingDbInstances } from "../../lib/synth/mocks";
import { observedInstances } from "../../lib/synth/observed";
import { readStackConfig } from "../../lib/synth/stack-file";
import type { SynthRun } from "../support/synth";

const DEV = readStackConfig("dev", join(__dirname, "..", ".."));
const SAME_REGION = DEV;
const CROSS_REGION = { ...DEV, "tap:replicaRegion": "ap-southeast-1" };
/** A failover happened (the replica slot is a standalone writer) and the config still says primary. */
const STOPPED_BY_PREFLIGHT = {
  config: { ...DEV, "tap:activeWriter": "primary" },
  existing: observedInstances("after-failover", {
    environmentSuffix: "dev",
    primaryRegion: "ap-southeast-2",
    replicaRegion: "ap-southeast-2",
    drRegion: "ap-southeast-1",
  }),
};

/** What a run leaves for the tests to read, as comparable JSON. */
function recorded(run: SynthRun): unknown {
  return JSON.parse(
    JSON.stringify({
      error: run.error?.message,
      resources: run.resources,
      outputs: run.result?.outputs,
      unmockedCalls: run.result?.unmockedCalls,
    }),
  );
}

/** Runs `steps` one after another in a registry of their own; returns each run's record. */
async function inFreshRegistry(
  steps: readonly { config: Record<string, string>; existing?: ExistingDbInstances }[],
): Promise<unknown[]> {
  const records: unknown[] = [];
  await jest.isolateModulesAsync(async () => {
    const { runProgram } = await import("../support/synth");
    for (const step of steps) records.push(recorded(await runProgram(step.config, step.existing)));
  });
  return records;
}

describe("runs of the program one after another in one module registry", () => {
  // Each config runs first in one registry and after other runs in the other.
  let first: unknown[];
  let second: unknown[];

  beforeAll(async () => {
    first = await inFreshRegistry([{ config: CROSS_REGION }, STOPPED_BY_PREFLIGHT, { config: SAME_REGION }]);
    second = await inFreshRegistry([{ config: SAME_REGION }, { config: CROSS_REGION }]);
  }, 300_000);

  it("the stopped run failed on the pre-flight guard without declaring anything", () => {
    expect(first[1]).toMatchObject({
      error: expect.stringContaining("rds-replica-dev is the live writer"),
      resources: [],
    });
  });

  it("a run after another config records what the first run of a registry records", () => {
    expect((second[0] as { resources: unknown[] }).resources.length).toBeGreaterThan(100);
    expect(second[1]).toEqual(first[0]);
    expect(first[0]).not.toEqual(first[2]);
  });

  it("a run after a run the pre-flight guard stopped records what the first run records", () => {
    expect(first[2]).toEqual(second[0]);
  });
});
