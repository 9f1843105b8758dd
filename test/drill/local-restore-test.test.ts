/**
 * The drill's restore-test adapters without PostgreSQL: the temporary instance's statuses over a
 * scripted point-in-time-recovery source, and the file store's S3-like layout and conditional write.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import type { PgNode } from "../../lib/drill/cluster";
import {
  FileRestoreTestStore,
  LocalRestoreTestDatabase,
  type RestoreTestSource,
} from "../../lib/drill/local-restore-test";
import type { RestoreTestReport } from "../../lib/lambda/core/restore-test";

const node = { name: "restored", host: "127.0.0.1", port: 40123 } as unknown as PgNode;

function source() {
  let finish!: (n: PgNode) => void;
  let fail!: (e: Error) => void;
  let removed = 0;
  const src: RestoreTestSource = {
    latestRestorableTimeMs: () => 1_000,
    restoreLatest: () =>
      new Promise<PgNode>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      }),
    removeRestored: async () => {
      removed += 1;
    },
  };
  return { src, finish: (n: PgNode) => finish(n), fail: (e: Error) => fail(e), removed: () => removed };
}

const clock = { nowMs: () => 5_000, sleep: async () => undefined };
const backups = {
  kind: "available" as const,
  arn: "local:dr-backups",
  latestRestorableTimeMs: 1_000,
  earliestRestorableTimeMs: null,
  retentionDays: 7,
};
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("LocalRestoreTestDatabase", () => {
  it("is creating while the recovery runs, available with host and port after, then deleting and gone", async () => {
    const s = source();
    const db = new LocalRestoreTestDatabase(s.src, clock, { retentionDays: 7, restoreTimeoutMs: 60_000 });
    expect(await db.backups()).toEqual(backups);
    expect((await db.describeTest()).found).toBe(false);
    await db.restoreTest(backups, "restore-test-test-1");
    await db.restoreTest(backups, "restore-test-test-1");
    expect(await db.describeTest()).toMatchObject({
      found: true,
      rawStatus: "creating",
      endpoint: null,
      execution: "restore-test-test-1",
    });
    expect(await db.deleteTest()).toBe("busy");
    s.finish(node);
    await flush();
    expect(await db.describeTest()).toMatchObject({
      rawStatus: "available",
      endpoint: "127.0.0.1",
      port: 40123,
      restoreTest: true,
    });
    expect(await db.deleteTest()).toBe("requested");
    await db.settled();
    expect((await db.describeTest()).found).toBe(false);
    expect(await db.deleteTest()).toBe("gone");
    expect(s.removed()).toBe(1);
    expect(db.restoreRecord()).toMatchObject({
      restores: 1,
      restoreCalledAtMs: 5_000,
      availableAtMs: 5_000,
      removedAtMs: 5_000,
    });
  });

  it("shows a recovery that did not come up as failed", async () => {
    const s = source();
    const db = new LocalRestoreTestDatabase(s.src, clock, { retentionDays: 7, restoreTimeoutMs: 60_000 });
    await db.restoreTest(backups, "restore-test-test-2");
    s.fail(new Error("the restored node did not start"));
    await flush();
    expect((await db.describeTest()).rawStatus).toBe("failed");
    expect(db.failureDetail()).toBe("the restored node did not start");
  });
});

describe("FileRestoreTestStore", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-restore-store-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keeps the S3 layout and writes first-seen.json once", async () => {
    const store = new FileRestoreTestStore(dir);
    const report = {
      id: "restore-test-test-1",
      startedAt: "2026-12-06T03:00:00.000Z",
      finishedAt: "2026-12-06T03:00:02.000Z",
      outcome: "succeeded",
    } as RestoreTestReport;
    expect(await store.putReport(report)).toBe(
      path.join(dir, "restore-tests", "2026-12-06", "restore-test-test-1.json"),
    );
    expect(await store.latestSuccess()).toBeNull();
    await store.putLatestSuccess(report);
    expect(await store.latestSuccess()).toEqual(report);
    expect(await store.firstSeen(1_000)).toEqual({ atMs: 1_000, created: true });
    expect(await store.firstSeen(2_000)).toEqual({ atMs: 1_000, created: false });
  });
});
