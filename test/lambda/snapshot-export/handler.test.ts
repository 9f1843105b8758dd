import { ControlPlaneError, InvalidEventError } from "../../../lib/lambda/core/errors";
import type {
  ExportTaskView,
  SnapshotExportControl,
  SnapshotView,
  StartExportOutcome,
  StartExportRequest,
} from "../../../lib/lambda/core/snapshot-export";
import { readExportConfig } from "../../../lib/lambda/snapshot-export/env";
import { createExportHandler, type ExportHandlerDeps } from "../../../lib/lambda/snapshot-export/handler";
import { EXPORT_ENV_FIXTURE, scheduledEvent } from "./fixtures";

const config = readExportConfig(EXPORT_ENV_FIXTURE);
const HOUR_MS = 3_600_000;
const NOW = Date.UTC(2026, 10, 25, 20, 0, 0);
const BUCKET = "s3-backups-primary-dev-1a2b3c4";
const NAME = "rds-primary-dev-2026-11-25-17-05";
const ARN = `arn:aws:rds:ap-southeast-2:123456789012:snapshot:rds:${NAME}`;

const newest: SnapshotView = {
  id: `rds:${NAME}`,
  arn: ARN,
  instanceId: "rds-primary-dev",
  createdAtMs: NOW - 3 * HOUR_MS,
  status: "available",
  automated: true,
};

function task(taskId: string, status: ExportTaskView["status"], hoursAgo: number): ExportTaskView {
  return {
    taskId,
    // Task ids are snapshot names (plus -a<n> for retries), so the source follows from the id.
    sourceArn: `arn:aws:rds:ap-southeast-2:123456789012:snapshot:rds:${taskId.replace(/-a\d+$/, "")}`,
    status,
    bucket: BUCKET,
    prefix: `exports/rds-primary-dev/${taskId}`,
    startedAtMs: NOW - (hoursAgo + 1) * HOUR_MS,
    endedAtMs: NOW - hoursAgo * HOUR_MS,
    failureCause: status === "failed" ? "S3 access denied" : null,
  };
}

/** In-memory RDS: what exists, and every start request it received. */
class FakeExports implements SnapshotExportControl {
  readonly calls: string[] = [];
  readonly starts: StartExportRequest[] = [];
  startResult: StartExportOutcome | Error | null = null;

  constructor(
    private readonly snapshots: SnapshotView[],
    private readonly tasks: ExportTaskView[],
  ) {}

  async automatedSnapshots(instanceId: string) {
    this.calls.push(`snapshots ${instanceId}`);
    return this.snapshots;
  }
  async exportTasksOf(sourceArn: string) {
    this.calls.push(`tasks-of ${sourceArn}`);
    return this.tasks.filter((t) => t.sourceArn === sourceArn);
  }
  async exportTasksIn(bucket: string) {
    this.calls.push(`tasks-in ${bucket}`);
    return this.tasks.filter((t) => t.bucket === bucket);
  }
  async startExport(request: StartExportRequest): Promise<StartExportOutcome> {
    this.starts.push(request);
    if (this.startResult instanceof Error) throw this.startResult;
    return (
      this.startResult ?? {
        kind: "started",
        task: { ...task(request.taskId, "starting", 0), startedAtMs: NOW, endedAtMs: null },
      }
    );
  }
}

function build(control: FakeExports) {
  const lines: { level: string; message: string; extra: unknown }[] = [];
  const log = (level: string) => (message: string, extra?: unknown) =>
    void lines.push({ level, message, extra });
  const logger = {
    info: jest.fn(log("info")),
    warn: jest.fn(log("warn")),
    error: jest.fn(log("error")),
    appendKeys: jest.fn(),
    addContext: jest.fn(),
  };
  const stored: [string, string, number][] = [];
  const flushed: [string, string, number][][] = [];
  const metrics = {
    addMetric: jest.fn((name: string, unit: string, value: number) => void stored.push([name, unit, value])),
    hasStoredMetrics: jest.fn(() => stored.length > 0),
    publishStoredMetrics: jest.fn((): void => void flushed.push(stored.splice(0))),
  };
  const handler = createExportHandler({
    config,
    control,
    clock: { nowMs: () => NOW },
    logger: logger as unknown as ExportHandlerDeps["logger"],
    metrics: metrics as unknown as ExportHandlerDeps["metrics"],
  });
  return { handler, lines, flushed, logger };
}

describe("snapshot-export handler", () => {
  it("starts the export of a new snapshot into the writer's folder and reports health", async () => {
    const control = new FakeExports([newest], [task("rds-primary-dev-2026-11-24-17-05", "complete", 24.5)]);
    const { handler, flushed } = build(control);
    const result = await handler(scheduledEvent(), { awsRequestId: "req-1" });
    expect(result).toEqual({
      trigger: "scheduled",
      requestedBy: "schedule 7bf73129-1428-4cd3-a780-95db273d1602",
      writerInstanceId: "rds-primary-dev",
      snapshotId: `rds:${NAME}`,
      action: "started",
      reason: `Snapshot rds:${NAME} has no export yet: starting one.`,
      taskId: NAME,
      destination: `s3://${BUCKET}/exports/rds-primary-dev/${NAME}/`,
      failedExportsInWindow: 0,
      hoursSinceLastSuccessfulExport: 24.5,
    });
    expect(control.starts).toEqual([
      {
        taskId: NAME,
        sourceArn: ARN,
        bucket: BUCKET,
        prefix: `exports/rds-primary-dev/${NAME}`,
        roleArn: "arn:aws:iam::123456789012:role/iam-rds-export-dev-9f8e7d6",
        kmsKeyArn: "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      },
    ]);
    expect(control.calls).toEqual([`snapshots rds-primary-dev`, `tasks-in ${BUCKET}`, `tasks-of ${ARN}`]);
    expect(flushed).toEqual([
      [
        ["SnapshotExportFailed", "Count", 0],
        ["HoursSinceLastSuccessfulExport", "None", 24.5],
      ],
    ]);
  });

  it("skips a snapshot that is already exported and starts nothing", async () => {
    const control = new FakeExports([newest], [task(NAME, "complete", 1)]);
    const { handler } = build(control);
    const result = await handler({ action: "export-now", requestedBy: "alice" });
    expect(result).toMatchObject({
      trigger: "export-now",
      action: "skipped",
      taskId: null,
      destination: null,
    });
    expect(result.reason).toBe(
      `Snapshot rds:${NAME} was already exported by ${NAME} (s3://${BUCKET}/exports/rds-primary-dev/${NAME}).`,
    );
    expect(control.starts).toEqual([]);
  });

  it("counts a recent failure, warns, and leaves the retry to an operator", async () => {
    const control = new FakeExports([newest], [task(NAME, "failed", 2)]);
    const { handler, lines, flushed } = build(control);
    const result = await handler(scheduledEvent());
    expect(result).toMatchObject({ action: "skipped", failedExportsInWindow: 1 });
    expect(lines).toContainEqual({
      level: "warn",
      message: "Snapshot exports failed recently",
      extra: { failedTaskIds: [NAME] },
    });
    expect(flushed[0]).toContainEqual(["SnapshotExportFailed", "Count", 1]);
    expect(control.starts).toEqual([]);
  });

  it("retries a failed export as attempt 2 on an operator's request", async () => {
    const control = new FakeExports([newest], [task(NAME, "failed", 2)]);
    const { handler } = build(control);
    const result = await handler({ action: "export-now", requestedBy: "alice" });
    expect(result).toMatchObject({ action: "started", taskId: `${NAME}-a2` });
    expect(control.starts.map((s) => s.taskId)).toEqual([`${NAME}-a2`]);
  });

  it("reports an export task that already exists without starting another", async () => {
    const control = new FakeExports([newest], []);
    control.startResult = {
      kind: "already-exists",
      detail: "ExportTaskAlreadyExistsFault: exists (HTTP 400)",
    };
    const { handler } = build(control);
    const result = await handler(scheduledEvent());
    expect(result).toMatchObject({
      action: "already-exists",
      taskId: NAME,
      reason: `Export task ${NAME} exists already (ExportTaskAlreadyExistsFault: exists (HTTP 400)): nothing new was started.`,
    });
  });

  it("skips without asking for tasks of a snapshot when there is none, and emits no overdue hours", async () => {
    const control = new FakeExports([], []);
    const { handler, flushed } = build(control);
    const result = await handler(scheduledEvent());
    expect(result).toMatchObject({
      action: "skipped",
      snapshotId: null,
      hoursSinceLastSuccessfulExport: null,
    });
    expect(control.calls).toEqual([`snapshots rds-primary-dev`, `tasks-in ${BUCKET}`]);
    expect(flushed).toEqual([[["SnapshotExportFailed", "Count", 0]]]);
  });

  it("still flushes the health metrics when the start fails, then rethrows", async () => {
    const control = new FakeExports([newest], []);
    const failure = new ControlPlaneError("StartExportTask failed: KMSKeyNotAccessibleFault");
    control.startResult = failure;
    const { handler, flushed, lines } = build(control);
    await expect(handler(scheduledEvent())).rejects.toBe(failure);
    expect(flushed).toEqual([
      [
        ["SnapshotExportFailed", "Count", 0],
        ["HoursSinceLastSuccessfulExport", "None", 3],
      ],
    ]);
    expect(lines.at(-1)).toEqual({ level: "error", message: "Invocation failed", extra: { error: failure } });
  });

  it("refuses an unknown event: logged, nothing read, nothing started, no metrics", async () => {
    const control = new FakeExports([newest], []);
    const { handler, flushed, lines } = build(control);
    await expect(handler({ action: "export-now" })).rejects.toThrow(InvalidEventError);
    expect(control.calls).toEqual([]);
    expect(control.starts).toEqual([]);
    expect(flushed).toEqual([]);
    expect(lines.map((l) => [l.level, l.message])).toEqual([["error", "Invocation failed"]]);
  });
});
