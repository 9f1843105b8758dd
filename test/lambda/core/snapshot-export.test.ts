import {
  exportHealth,
  exportPrefix,
  exportTaskId,
  MAX_EXPORT_TASK_ID_LENGTH,
  newestAutomatedSnapshot,
  normaliseExportStatus,
  planExport,
  snapshotName,
  type ExportPlan,
  type ExportTaskStatus,
  type ExportTaskView,
  type ExportTrigger,
  type SnapshotView,
} from "../../../lib/lambda/core/snapshot-export";

const HOUR_MS = 3_600_000;
const NOW = Date.UTC(2026, 10, 25, 20, 0, 0);
const WRITER = "rds-primary-dev";
const VALID_TASK_ID = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,59}$/;

function snap(id: string, createdAtMs: number | null, overrides: Partial<SnapshotView> = {}): SnapshotView {
  return {
    id,
    arn: `arn:aws:rds:ap-southeast-2:123456789012:snapshot:${id}`,
    instanceId: WRITER,
    createdAtMs,
    status: "available",
    automated: true,
    ...overrides,
  };
}

function task(
  taskId: string,
  status: ExportTaskStatus,
  endedAtMs: number | null,
  overrides: Partial<ExportTaskView> = {},
): ExportTaskView {
  return {
    taskId,
    sourceArn: "arn:aws:rds:ap-southeast-2:123456789012:snapshot:rds:rds-primary-dev-2026-11-25-17-05",
    status,
    bucket: "s3-backups-primary-dev-1a2b3c4",
    prefix: "exports/rds-primary-dev/rds-primary-dev-2026-11-25-17-05",
    startedAtMs: endedAtMs === null ? null : endedAtMs - HOUR_MS,
    endedAtMs,
    failureCause: null,
    ...overrides,
  };
}

const TODAY = snap("rds:rds-primary-dev-2026-11-25-17-05", NOW - 3 * HOUR_MS);
const YESTERDAY = snap("rds:rds-primary-dev-2026-11-24-17-05", NOW - 27 * HOUR_MS);

describe("normaliseExportStatus", () => {
  it.each([
    ["STARTING", "starting"],
    ["IN_PROGRESS", "in-progress"],
    ["COMPLETE", "complete"],
    ["FAILED", "failed"],
    ["CANCELING", "canceling"],
    ["CANCELED", "canceled"],
    ["complete", "complete"],
    ["PAUSED", "unknown"],
    [undefined, "unknown"],
  ])("%s → %s", (raw, expected) => {
    expect(normaliseExportStatus(raw)).toBe(expected);
  });
});

describe("snapshot names, task ids and prefixes", () => {
  it("drops the rds: of automated snapshot ids and keeps manual ids", () => {
    expect(snapshotName("rds:rds-primary-dev-2026-11-25-17-05")).toBe("rds-primary-dev-2026-11-25-17-05");
    expect(snapshotName("before-upgrade")).toBe("before-upgrade");
  });

  it("uses the snapshot name itself when it is already a valid task id", () => {
    expect(exportTaskId("rds:rds-primary-dev-2026-11-25-17-05")).toBe("rds-primary-dev-2026-11-25-17-05");
  });

  it("numbers retries after the first attempt", () => {
    expect(exportTaskId("rds:rds-primary-dev-2026-11-25-17-05", 2)).toBe(
      "rds-primary-dev-2026-11-25-17-05-a2",
    );
  });

  it("shortens a long name to 60 characters with a hash of the whole name", () => {
    const longInstance = "rds-primary-" + "x".repeat(40);
    const id = exportTaskId(`rds:${longInstance}-2026-11-25-17-05`);
    expect(id).toHaveLength(MAX_EXPORT_TASK_ID_LENGTH);
    expect(id).toMatch(VALID_TASK_ID);
    expect(id.startsWith("rds-primary-xxxxxxxx")).toBe(true);
    // Two names that differ only after the cut get different ids.
    const other = exportTaskId(`rds:${longInstance}-2026-11-26-17-05`);
    expect(other).toHaveLength(MAX_EXPORT_TASK_ID_LENGTH);
    expect(other).not.toBe(id);
    // The same name always gives the same id, so a second start is refused by RDS, not duplicated.
    expect(exportTaskId(`rds:${longInstance}-2026-11-25-17-05`)).toBe(id);
  });

  it("keeps the attempt suffix inside the 60 characters", () => {
    const id = exportTaskId(`rds:rds-primary-${"y".repeat(60)}`, 12);
    expect(id).toHaveLength(MAX_EXPORT_TASK_ID_LENGTH);
    expect(id.endsWith("-a12")).toBe(true);
    expect(id).toMatch(VALID_TASK_ID);
  });

  it.each([
    ["underscores and dots", "awsbackup:job_1.2", /^awsbackup-job-1-2-[0-9a-f]{8}$/],
    ["a leading digit", "2026-snapshot", /^snapshot-[0-9a-f]{8}$/],
    ["double hyphens", "a--b", /^a-b-[0-9a-f]{8}$/],
    ["nothing usable", "1234", /^snapshot-[0-9a-f]{8}$/],
  ])("rewrites %s into a valid id", (_name, snapshotId, expected) => {
    const id = exportTaskId(snapshotId);
    expect(id).toMatch(expected);
    expect(id).toMatch(VALID_TASK_ID);
  });

  it("refuses attempt 0 and an empty snapshot id", () => {
    expect(() => exportTaskId("rds:x", 0)).toThrow("attempt must be an integer ≥ 1, got 0");
    expect(() => exportTaskId("rds:")).toThrow('needs a snapshot id, got "rds:"');
  });

  it("puts each snapshot's export under exports/<instance>/<snapshot name>", () => {
    expect(exportPrefix(WRITER, "rds:rds-primary-dev-2026-11-25-17-05")).toBe(
      "exports/rds-primary-dev/rds-primary-dev-2026-11-25-17-05",
    );
  });
});

describe("newestAutomatedSnapshot", () => {
  const cases: [string, SnapshotView[], string | null][] = [
    ["none at all", [], null],
    ["the newest of several", [YESTERDAY, TODAY], TODAY.id],
    ["not one still being created", [YESTERDAY, { ...TODAY, status: "creating" }], YESTERDAY.id],
    ["not one without a creation time", [YESTERDAY, { ...TODAY, createdAtMs: null }], YESTERDAY.id],
    ["not a manual snapshot", [YESTERDAY, { ...TODAY, automated: false }], YESTERDAY.id],
    ["not another instance's", [YESTERDAY, { ...TODAY, instanceId: "rds-replica-dev" }], YESTERDAY.id],
  ];
  it.each(cases)("%s", (_name, snapshots, expected) => {
    expect(newestAutomatedSnapshot(snapshots, WRITER)?.id ?? null).toBe(expected);
  });
});

describe("planExport decision table", () => {
  const base = "rds-primary-dev-2026-11-25-17-05";
  type Row = [string, ExportTrigger, SnapshotView | null, ExportTaskView[], Partial<ExportPlan>];
  const rows: Row[] = [
    [
      "no snapshot yet",
      "scheduled",
      null,
      [],
      { kind: "skip", reason: "No available automated snapshot of rds-primary-dev yet: nothing to export." },
    ],
    [
      "first export of a new snapshot",
      "scheduled",
      TODAY,
      [],
      {
        kind: "start",
        taskId: base,
        prefix: `exports/rds-primary-dev/${base}`,
        attempt: 1,
        reason: `Snapshot rds:${base} has no export yet: starting one.`,
      },
    ],
    [
      "an export is running",
      "scheduled",
      TODAY,
      [task(base, "in-progress", null)],
      { kind: "skip", reason: `Export ${base} of rds:${base} is in-progress: not starting another.` },
    ],
    [
      "an export is starting, even on request",
      "export-now",
      TODAY,
      [task(base, "starting", null)],
      { kind: "skip", reason: `Export ${base} of rds:${base} is starting: not starting another.` },
    ],
    [
      "a cancel is under way",
      "export-now",
      TODAY,
      [task(base, "canceling", null)],
      { kind: "skip", reason: `Export ${base} of rds:${base} is canceling: not starting another.` },
    ],
    [
      "already exported",
      "export-now",
      TODAY,
      [task(base, "complete", NOW - HOUR_MS)],
      {
        kind: "skip",
        reason: `Snapshot rds:${base} was already exported by ${base} (s3://s3-backups-primary-dev-1a2b3c4/exports/rds-primary-dev/${base}).`,
      },
    ],
    [
      "failed before: the schedule does not retry",
      "scheduled",
      TODAY,
      [task(base, "failed", NOW - HOUR_MS, { failureCause: "KMSKeyNotAccessibleFault" })],
      {
        kind: "skip",
        reason: `Export ${base} of rds:${base} ended failed (KMSKeyNotAccessibleFault); the schedule does not retry: fix the cause, then invoke the function with {"action":"export-now"}.`,
      },
    ],
    [
      "failed before: an operator's request retries with attempt 2",
      "export-now",
      TODAY,
      [task(base, "failed", NOW - HOUR_MS)],
      {
        kind: "start",
        taskId: `${base}-a2`,
        attempt: 2,
        reason: `Every earlier export of rds:${base} failed or was cancelled: starting attempt 2 on request.`,
      },
    ],
    [
      "failed then cancelled: attempt 3",
      "export-now",
      TODAY,
      [task(base, "failed", NOW - 2 * HOUR_MS), task(`${base}-a2`, "canceled", NOW - HOUR_MS)],
      { kind: "start", taskId: `${base}-a3`, attempt: 3 },
    ],
    [
      "a retry succeeded after a failure",
      "export-now",
      TODAY,
      [task(base, "failed", NOW - 2 * HOUR_MS), task(`${base}-a2`, "complete", NOW - HOUR_MS)],
      { kind: "skip" },
    ],
  ];

  it.each(rows)("%s", (_name, trigger, snapshot, tasks, expected) => {
    expect(planExport(trigger, WRITER, snapshot, tasks)).toMatchObject(expected);
  });
});

describe("exportHealth", () => {
  const ok = (id: string, hoursAgo: number) => task(id, "complete", NOW - hoursAgo * HOUR_MS);
  const failed = (id: string, hoursAgo: number) => task(id, "failed", NOW - hoursAgo * HOUR_MS);

  it("counts failures of the last 26 hours and the hours since the newest success", () => {
    const health = exportHealth(
      [ok("d1", 49.5), ok("d2", 25.25), failed("f-old", 27), failed("f1", 3), failed("f2", 25.9)],
      [TODAY],
      NOW,
    );
    expect(health).toEqual({
      failedInWindow: 2,
      failedTaskIds: ["f1", "f2"],
      hoursSinceLastSuccessfulExport: 25.25,
      lastSuccessfulTaskId: "d2",
    });
  });

  it("dates a failure without an end time by its start", () => {
    const health = exportHealth([task("f", "failed", null, { startedAtMs: NOW - HOUR_MS })], [], NOW);
    expect(health.failedInWindow).toBe(1);
  });

  it("ignores exports outside the stack's exports/ prefix", () => {
    const health = exportHealth(
      [
        task("adhoc-ok", "complete", NOW - HOUR_MS, { prefix: "adhoc/analytics" }),
        task("adhoc-failed", "failed", NOW - HOUR_MS, { prefix: "" }),
      ],
      [YESTERDAY],
      NOW,
    );
    expect(health.failedInWindow).toBe(0);
    expect(health.lastSuccessfulTaskId).toBeNull();
    // No export of ours ever succeeded: overdue since the oldest snapshot could have been exported.
    expect(health.hoursSinceLastSuccessfulExport).toBe(27);
  });

  it("reports nothing overdue on a new stack without snapshots", () => {
    expect(exportHealth([], [], NOW)).toEqual({
      failedInWindow: 0,
      failedTaskIds: [],
      hoursSinceLastSuccessfulExport: null,
      lastSuccessfulTaskId: null,
    });
  });

  it("uses the oldest available automated snapshot, not a manual one, when nothing succeeded", () => {
    const manual = snap("before-upgrade", NOW - 100 * HOUR_MS, { automated: false });
    expect(exportHealth([], [manual, TODAY, YESTERDAY], NOW).hoursSinceLastSuccessfulExport).toBe(27);
  });

  it("honours a custom window", () => {
    expect(exportHealth([failed("f", 10)], [], NOW, 8).failedInWindow).toBe(0);
    expect(exportHealth([failed("f", 10)], [], NOW, 12).failedInWindow).toBe(1);
  });
});
