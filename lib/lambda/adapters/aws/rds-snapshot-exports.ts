import {
  DescribeDBSnapshotsCommand,
  DescribeExportTasksCommand,
  StartExportTaskCommand,
  type DBSnapshot,
  type ExportTask,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { ControlPlaneError } from "../../core/errors";
import {
  normaliseExportStatus,
  type ExportTaskView,
  type SnapshotExportControl,
  type SnapshotView,
  type StartExportOutcome,
  type StartExportRequest,
} from "../../core/snapshot-export";
import { describeAwsError, hasErrorName } from "./aws-errors";

/**
 * Largest page both describe calls accept (the API's maximum is 100, its minimum 20). A writer keeps
 * 7 days of automated snapshots, so one page is the normal case; pagination covers the rest.
 */
const PAGE_SIZE = 100;
/**
 * Pages read before giving up: a bucket with more than 2,000 export tasks means something else is
 * writing there, and reading on would only burn the function's time.
 */
const MAX_PAGES = 20;

function toMs(date: Date | undefined): number | null {
  return date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : null;
}

/** An SDK `DBSnapshot` as the domain sees it; `null` when RDS left out the identifying fields. */
export function toSnapshotView(snapshot: DBSnapshot): SnapshotView | null {
  if (snapshot.DBSnapshotIdentifier === undefined || snapshot.DBSnapshotArn === undefined) return null;
  return {
    id: snapshot.DBSnapshotIdentifier,
    arn: snapshot.DBSnapshotArn,
    instanceId: snapshot.DBInstanceIdentifier ?? "",
    createdAtMs: toMs(snapshot.SnapshotCreateTime),
    status: snapshot.Status ?? "unknown",
    automated: snapshot.SnapshotType === "automated",
  };
}

/** An SDK `ExportTask` as the domain sees it; `null` when RDS left out the task id or source. */
export function toExportTaskView(task: ExportTask): ExportTaskView | null {
  if (task.ExportTaskIdentifier === undefined || task.SourceArn === undefined) return null;
  return {
    taskId: task.ExportTaskIdentifier,
    sourceArn: task.SourceArn,
    status: normaliseExportStatus(task.Status),
    bucket: task.S3Bucket ?? "",
    prefix: task.S3Prefix ?? "",
    startedAtMs: toMs(task.TaskStartTime),
    endedAtMs: toMs(task.TaskEndTime),
    failureCause: task.FailureCause ?? null,
  };
}

/**
 * {@link SnapshotExportControl} on the RDS API of the writer's region (snapshots, export tasks, the
 * bucket and the key must all be in one region). Every failed call becomes a `ControlPlaneError`
 * naming the call and keeping the SDK error as `cause`; the SDK has already retried throttling and
 * server errors by then.
 */
export class RdsSnapshotExports implements SnapshotExportControl {
  constructor(private readonly rds: RDSClient) {}

  async automatedSnapshots(instanceId: string): Promise<SnapshotView[]> {
    const snapshots: SnapshotView[] = [];
    await this.paginate(`DescribeDBSnapshots of ${instanceId}`, async (marker) => {
      const page = await this.rds.send(
        new DescribeDBSnapshotsCommand({
          DBInstanceIdentifier: instanceId,
          SnapshotType: "automated",
          MaxRecords: PAGE_SIZE,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      for (const raw of page.DBSnapshots ?? []) {
        const view = toSnapshotView(raw);
        if (view !== null) snapshots.push(view);
      }
      return page.Marker;
    });
    return snapshots;
  }

  exportTasksOf(sourceArn: string): Promise<ExportTaskView[]> {
    return this.exportTasks(`DescribeExportTasks of ${sourceArn}`, { SourceArn: sourceArn });
  }

  exportTasksIn(bucket: string): Promise<ExportTaskView[]> {
    return this.exportTasks(`DescribeExportTasks into s3://${bucket}`, {
      Filters: [{ Name: "s3-bucket", Values: [bucket] }],
    });
  }

  async startExport(request: StartExportRequest): Promise<StartExportOutcome> {
    try {
      const task = await this.rds.send(
        new StartExportTaskCommand({
          ExportTaskIdentifier: request.taskId,
          SourceArn: request.sourceArn,
          S3BucketName: request.bucket,
          S3Prefix: request.prefix,
          IamRoleArn: request.roleArn,
          KmsKeyId: request.kmsKeyArn,
        }),
      );
      const view = toExportTaskView(task);
      return {
        kind: "started",
        task: view ?? {
          taskId: request.taskId,
          sourceArn: request.sourceArn,
          status: "starting",
          bucket: request.bucket,
          prefix: request.prefix,
          startedAtMs: null,
          endedAtMs: null,
          failureCause: null,
        },
      };
    } catch (error) {
      // Task ids are unique per account and region: an earlier invocation (a retry after a timeout)
      // already started this very task, which is the outcome we wanted.
      if (hasErrorName(error, "ExportTaskAlreadyExistsFault", "ExportTaskAlreadyExists")) {
        return { kind: "already-exists", detail: describeAwsError(error) };
      }
      throw new ControlPlaneError(
        `StartExportTask ${request.taskId} of ${request.sourceArn} into s3://${request.bucket}/${request.prefix} failed: ${describeAwsError(error)}`,
        { cause: error },
      );
    }
  }

  private async exportTasks(
    what: string,
    input: { SourceArn?: string; Filters?: { Name: string; Values: string[] }[] },
  ): Promise<ExportTaskView[]> {
    const tasks: ExportTaskView[] = [];
    await this.paginate(what, async (marker) => {
      const page = await this.rds.send(
        new DescribeExportTasksCommand({
          ...input,
          MaxRecords: PAGE_SIZE,
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
      );
      for (const raw of page.ExportTasks ?? []) {
        const view = toExportTaskView(raw);
        if (view !== null) tasks.push(view);
      }
      return page.Marker;
    });
    return tasks;
  }

  /** Calls `readPage` until it returns no marker, wrapping any failure in a `ControlPlaneError`. */
  private async paginate(what: string, readPage: (marker?: string) => Promise<string | undefined>) {
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      try {
        marker = await readPage(marker);
      } catch (error) {
        throw new ControlPlaneError(`${what} failed: ${describeAwsError(error)}`, { cause: error });
      }
      if (marker === undefined || marker === "") return;
    }
    throw new ControlPlaneError(
      `${what} returned more than ${MAX_PAGES * PAGE_SIZE} records; something other than this stack writes here`,
    );
  }
}
