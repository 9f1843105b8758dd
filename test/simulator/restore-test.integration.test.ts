/**
 * The restore test in the simulator: the deployed restore-test state machine, the real step runner
 * and restore-check handlers against the simulated RDS (restore, describe, delete of the temporary
 * instance), S3 and PostgreSQL. Positive controls for the restore-test invariants of the matrix.
 */
import { matrixTimelines } from "../../lib/simulator/matrix";
import { emfDatapoints, restoredDatabase } from "../../lib/simulator/restore-test";
import { RESTORE_TEST_MEASURE_SLACK_SECONDS, runTimeline } from "../../lib/simulator/run";
import { DEFAULT_AWS, parseTimeline, TimelineError } from "../../lib/simulator/timeline";
import type { SimInstance } from "../../lib/simulator/database";
import { READ_RESTORE_CHECK_SQL } from "../../lib/lambda/adapters/postgres/heartbeat";

const byName = (name: string) => {
  const timeline = matrixTimelines().find((t) => t.name === name);
  if (timeline === undefined) throw new Error(`no timeline ${name}`);
  return timeline;
};

describe("restore test in the simulator", () => {
  it("on a healthy stack: creating for the restore time, checked, deleted by its own execution, measured, then its age reported", async () => {
    const o = await runTimeline(byName("restore-test/healthy/restore-1800s/same-region/seed-11"));
    expect(o.violations).toEqual([]);
    expect(o.restoreTests).toMatchObject({ succeeded: 1, failed: 0, running: 0 });
    const [instance] = o.restoreTests.instances;
    expect(o.restoreTests.instances).toHaveLength(1);
    expect(instance.id).toBe("rds-restore-test-sim");
    expect((instance.availableAtMs ?? 0) - instance.createdAtMs).toBe(1800 * 1000);
    expect(instance.deletedBy).toBe(instance.execution);
    expect((instance.goneAtMs ?? 0) - (instance.deleteRequestedAtMs ?? 0)).toBe(
      DEFAULT_AWS.deleteSeconds * 1000,
    );
    // No regional restore, no failover: the test touched only its own instance.
    expect(o.restores).toBe(0);
    expect(o.executions).toBe(0);
    expect(o.finalWriter).toBe("rds-primary-sim");
    // Freshness before any success counts from its own first run (0 h); after the success, its age.
    expect(o.restoreTests.freshnessAgeHours[0]).toBe(0);
    expect(o.restoreTests.freshnessAgeHours[1]).toBeGreaterThan(0);
  });

  it.each([
    [600, 21],
    [1234, 22],
    [2400, 23],
  ])(
    "measures a %i s restore as that restore time, within the 60 s poll (seed %i)",
    async (restoreSeconds, seed) => {
      const o = await runTimeline(
        parseTimeline({
          name: `restore-${restoreSeconds}`,
          placement: "cross-region",
          seed,
          durationMinutes: Math.ceil(restoreSeconds / 60) + 15,
          aws: { restoreSeconds },
          faults: [],
          restoreTests: [{ atMinute: 1, mode: "test" }],
        }),
      );
      expect(o.violations).toEqual([]);
      expect(o.restoreTests.durationsSeconds).toHaveLength(1);
      const [measured] = o.restoreTests.durationsSeconds;
      expect(measured).toBeGreaterThanOrEqual(restoreSeconds);
      expect(measured).toBeLessThanOrEqual(restoreSeconds + RESTORE_TEST_MEASURE_SLACK_SECONDS);
    },
  );

  it("a test running when the primary's region is lost never becomes the writer nor the regional restore, and is deleted", async () => {
    const o = await runTimeline(
      byName("restore-test/region-lost-during-test/restore-600s/same-region/seed-11"),
    );
    expect(o.violations).toEqual([]);
    expect(o.restores).toBe(1);
    expect(o.finalWriter).toBe("rds-restored-sim");
    expect(o.restoreTests.instances.map((i) => i.id)).toEqual(["rds-restore-test-sim"]);
    expect(o.restoreTests.instances[0].goneAtMs).not.toBeNull();
  });

  it("without replicated backups the test fails, says why, and creates nothing", async () => {
    const o = await runTimeline(byName("restore-test/no-backups/same-region/seed-11"));
    expect(o.violations).toEqual([]);
    expect(o.restoreTests).toMatchObject({ succeeded: 0, failed: 1, durationsSeconds: [], instances: [] });
    expect(o.restoreTests.failures[0]).toMatch(/No replicated backups to restore/);
  });
});

describe("restore-test pieces of the simulator", () => {
  it("reads the datapoints of an EMF document and ignores other lines", () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 1,
        CloudWatchMetrics: [{ Namespace: "N", Metrics: [{ Name: "A" }, { Name: "B" }] }],
      },
      A: 1,
      B: [2, 3],
    });
    expect(emfDatapoints(line, 7)).toEqual([
      { atMs: 7, name: "A", value: 1 },
      { atMs: 7, name: "B", value: 2 },
      { atMs: 7, name: "B", value: 3 },
    ]);
    expect(emfDatapoints("START RequestId: x", 7)).toEqual([]);
  });

  it("a restored database holds the primary's heartbeats up to its restore point, and answers only the check", async () => {
    const primary = { heartbeats: [1_000, 2_000, 3_000] } as unknown as SimInstance;
    const restored = { restoredFromMs: 2_500 } as unknown as SimInstance;
    const db = restoredDatabase(restored, primary);
    await expect(db.query(READ_RESTORE_CHECK_SQL)).resolves.toEqual({
      rows: [{ row_count: 2, newest_ms: 2_000 }],
    });
    await expect(db.query("SELECT 1")).rejects.toThrow(/only the restore check query/);
  });

  it("a timeline's restore tests default to the schedule and refuse an unknown mode by name", () => {
    const base = { name: "t", placement: "same-region", seed: 1, durationMinutes: 20, faults: [] };
    expect(parseTimeline({ ...base, restoreTests: [{ atMinute: 1, mode: "test" }] }).restoreTests).toEqual([
      { atMinute: 1, mode: "test", by: "schedule" },
    ]);
    expect(parseTimeline(base).restoreTests).toEqual([]);
    expect(() => parseTimeline({ ...base, restoreTests: [{ atMinute: 1, mode: "weekly" }] })).toThrow(
      TimelineError,
    );
    expect(() => parseTimeline({ ...base, restoreTests: [{ atMinute: 1, mode: "weekly" }] })).toThrow(
      /restoreTests\[0\]\.mode/,
    );
  });
});
