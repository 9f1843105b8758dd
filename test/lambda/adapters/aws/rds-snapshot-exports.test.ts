import {
  DescribeDBSnapshotsCommand,
  DescribeExportTasksCommand,
  ExportTaskAlreadyExistsFault,
  RDSClient,
  StartExportTaskCommand,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import {
  RdsSnapshotExports,
  toExportTaskView,
  toSnapshotView,
} from "../../../../lib/lambda/adapters/aws/rds-snapshot-exports";
import { ControlPlaneError } from "../../../../lib/lambda/core/errors";
import type { StartExportRequest } from "../../../../lib/lambda/core/snapshot-export";
import { awsError, networkError } from "./fake-clock";

const rdsMock = mockClient(RDSClient);
const adapter = new RdsSnapshotExports(new RDSClient({ region: "ap-southeast-2" }));

const SNAPSHOT_ARN = "arn:aws:rds:ap-southeast-2:123456789012:snapshot:rds:rds-primary-dev-2026-11-25-17-05";
const CREATED = new Date(Date.UTC(2026, 10, 25, 17, 5));

const request: StartExportRequest = {
  taskId: "rds-primary-dev-2026-11-25-17-05",
  sourceArn: SNAPSHOT_ARN,
  bucket: "s3-backups-primary-dev-1a2b3c4",
  prefix: "exports/rds-primary-dev/rds-primary-dev-2026-11-25-17-05",
  roleArn: "arn:aws:iam::123456789012:role/iam-rds-export-dev-9f8e7d6",
  kmsKeyArn: "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
};

beforeEach(() => rdsMock.reset());

describe("SDK shapes to domain views", () => {
  it("maps a snapshot and drops one without identifier or ARN", () => {
    expect(
      toSnapshotView({
        DBSnapshotIdentifier: "rds:rds-primary-dev-2026-11-25-17-05",
        DBSnapshotArn: SNAPSHOT_ARN,
        DBInstanceIdentifier: "rds-primary-dev",
        SnapshotCreateTime: CREATED,
        Status: "available",
        SnapshotType: "automated",
      }),
    ).toEqual({
      id: "rds:rds-primary-dev-2026-11-25-17-05",
      arn: SNAPSHOT_ARN,
      instanceId: "rds-primary-dev",
      createdAtMs: CREATED.getTime(),
      status: "available",
      automated: true,
    });
    expect(toSnapshotView({ DBSnapshotArn: SNAPSHOT_ARN })).toBeNull();
    expect(toSnapshotView({ DBSnapshotIdentifier: "x", DBSnapshotArn: "y", SnapshotType: "manual" })).toEqual(
      {
        id: "x",
        arn: "y",
        instanceId: "",
        createdAtMs: null,
        status: "unknown",
        automated: false,
      },
    );
  });

  it("maps an export task and drops one without task id", () => {
    const end = new Date(CREATED.getTime() + 3_600_000);
    expect(
      toExportTaskView({
        ExportTaskIdentifier: "t1",
        SourceArn: SNAPSHOT_ARN,
        Status: "FAILED",
        S3Bucket: "b",
        S3Prefix: "exports/x",
        TaskStartTime: CREATED,
        TaskEndTime: end,
        FailureCause: "The IAM role is missing permissions",
      }),
    ).toEqual({
      taskId: "t1",
      sourceArn: SNAPSHOT_ARN,
      status: "failed",
      bucket: "b",
      prefix: "exports/x",
      startedAtMs: CREATED.getTime(),
      endedAtMs: end.getTime(),
      failureCause: "The IAM role is missing permissions",
    });
    expect(toExportTaskView({ SourceArn: SNAPSHOT_ARN })).toBeNull();
  });
});

describe("automatedSnapshots", () => {
  it("asks for the instance's automated snapshots and follows the marker", async () => {
    rdsMock
      .on(DescribeDBSnapshotsCommand)
      .resolvesOnce({
        DBSnapshots: [
          {
            DBSnapshotIdentifier: "rds:a",
            DBSnapshotArn: "arn:a",
            SnapshotType: "automated",
            Status: "available",
          },
        ],
        Marker: "page-2",
      })
      .resolvesOnce({
        DBSnapshots: [{ DBSnapshotIdentifier: "rds:b", DBSnapshotArn: "arn:b", SnapshotType: "automated" }],
      });
    const snapshots = await adapter.automatedSnapshots("rds-primary-dev");
    expect(snapshots.map((s) => s.id)).toEqual(["rds:a", "rds:b"]);
    const inputs = rdsMock.commandCalls(DescribeDBSnapshotsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { DBInstanceIdentifier: "rds-primary-dev", SnapshotType: "automated", MaxRecords: 100 },
      {
        DBInstanceIdentifier: "rds-primary-dev",
        SnapshotType: "automated",
        MaxRecords: 100,
        Marker: "page-2",
      },
    ]);
  });

  it("wraps an API failure in a ControlPlaneError that names the call", async () => {
    const cause = awsError("AccessDenied", "not authorized to perform rds:DescribeDBSnapshots", 403);
    rdsMock.on(DescribeDBSnapshotsCommand).rejects(cause);
    const failure = adapter.automatedSnapshots("rds-primary-dev");
    await expect(failure).rejects.toThrow(ControlPlaneError);
    await expect(failure).rejects.toThrow(
      "DescribeDBSnapshots of rds-primary-dev failed: AccessDenied: not authorized to perform rds:DescribeDBSnapshots (HTTP 403)",
    );
    await expect(failure).rejects.toMatchObject({ cause });
  });

  it("stops after 20 pages instead of reading forever", async () => {
    rdsMock.on(DescribeDBSnapshotsCommand).resolves({ DBSnapshots: [], Marker: "again" });
    await expect(adapter.automatedSnapshots("rds-primary-dev")).rejects.toThrow(
      "DescribeDBSnapshots of rds-primary-dev returned more than 2000 records",
    );
    expect(rdsMock.commandCalls(DescribeDBSnapshotsCommand)).toHaveLength(20);
  });
});

describe("export tasks", () => {
  it("reads one snapshot's tasks by SourceArn", async () => {
    rdsMock.on(DescribeExportTasksCommand).resolves({
      ExportTasks: [{ ExportTaskIdentifier: "t1", SourceArn: SNAPSHOT_ARN, Status: "COMPLETE" }],
    });
    const tasks = await adapter.exportTasksOf(SNAPSHOT_ARN);
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([["t1", "complete"]]);
    expect(rdsMock.commandCalls(DescribeExportTasksCommand)[0].args[0].input).toEqual({
      SourceArn: SNAPSHOT_ARN,
      MaxRecords: 100,
    });
  });

  it("reads a bucket's tasks with the s3-bucket filter, across pages", async () => {
    rdsMock
      .on(DescribeExportTasksCommand)
      .resolvesOnce({
        ExportTasks: [{ ExportTaskIdentifier: "t1", SourceArn: "arn:1", Status: "FAILED" }],
        Marker: "m",
      })
      .resolvesOnce({
        ExportTasks: [{ ExportTaskIdentifier: "t2", SourceArn: "arn:2", Status: "STARTING" }],
      });
    const tasks = await adapter.exportTasksIn("s3-backups-primary-dev-1a2b3c4");
    expect(tasks.map((t) => [t.taskId, t.status])).toEqual([
      ["t1", "failed"],
      ["t2", "starting"],
    ]);
    expect(rdsMock.commandCalls(DescribeExportTasksCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: "s3-bucket", Values: ["s3-backups-primary-dev-1a2b3c4"] }], MaxRecords: 100 },
      {
        Filters: [{ Name: "s3-bucket", Values: ["s3-backups-primary-dev-1a2b3c4"] }],
        MaxRecords: 100,
        Marker: "m",
      },
    ]);
  });

  it("wraps a network failure with the bucket in the message", async () => {
    rdsMock.on(DescribeExportTasksCommand).rejects(networkError("ETIMEDOUT"));
    await expect(adapter.exportTasksIn("bucket-x")).rejects.toThrow(
      "DescribeExportTasks into s3://bucket-x failed: ETIMEDOUT: connect ETIMEDOUT 10.0.0.1:443",
    );
  });
});

describe("startExport", () => {
  it("sends every parameter and returns the task RDS reports", async () => {
    rdsMock.on(StartExportTaskCommand).resolves({
      ExportTaskIdentifier: request.taskId,
      SourceArn: SNAPSHOT_ARN,
      Status: "STARTING",
      S3Bucket: request.bucket,
      S3Prefix: request.prefix,
    });
    const outcome = await adapter.startExport(request);
    expect(outcome).toMatchObject({ kind: "started", task: { taskId: request.taskId, status: "starting" } });
    expect(rdsMock.commandCalls(StartExportTaskCommand)[0].args[0].input).toEqual({
      ExportTaskIdentifier: "rds-primary-dev-2026-11-25-17-05",
      SourceArn: SNAPSHOT_ARN,
      S3BucketName: "s3-backups-primary-dev-1a2b3c4",
      S3Prefix: "exports/rds-primary-dev/rds-primary-dev-2026-11-25-17-05",
      IamRoleArn: "arn:aws:iam::123456789012:role/iam-rds-export-dev-9f8e7d6",
      KmsKeyId: "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    });
  });

  it("describes the requested task when the answer has no identifier", async () => {
    rdsMock.on(StartExportTaskCommand).resolves({});
    expect(await adapter.startExport(request)).toEqual({
      kind: "started",
      task: {
        taskId: request.taskId,
        sourceArn: SNAPSHOT_ARN,
        status: "starting",
        bucket: request.bucket,
        prefix: request.prefix,
        startedAtMs: null,
        endedAtMs: null,
        failureCause: null,
      },
    });
  });

  it("treats an existing task of the same id as already started", async () => {
    rdsMock.on(StartExportTaskCommand).rejects(
      new ExportTaskAlreadyExistsFault({
        message: "The export task with the ID rds-primary-dev-2026-11-25-17-05 already exists.",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    expect(await adapter.startExport(request)).toEqual({
      kind: "already-exists",
      detail:
        "ExportTaskAlreadyExistsFault: The export task with the ID rds-primary-dev-2026-11-25-17-05 already exists. (HTTP 400)",
    });
  });

  it.each([
    ["the role lacks permissions", awsError("IamRoleMissingPermissionsFault", "role cannot write", 400)],
    ["the key is not usable", awsError("KMSKeyNotAccessibleFault", "key disabled", 400)],
    ["the snapshot is not ready", awsError("InvalidExportSourceStateFault", "snapshot creating", 400)],
  ])("fails with a ControlPlaneError when %s", async (_name, cause) => {
    rdsMock.on(StartExportTaskCommand).rejects(cause);
    const failure = adapter.startExport(request);
    await expect(failure).rejects.toThrow(ControlPlaneError);
    await expect(failure).rejects.toThrow(
      `StartExportTask rds-primary-dev-2026-11-25-17-05 of ${SNAPSHOT_ARN} into s3://s3-backups-primary-dev-1a2b3c4/exports/rds-primary-dev/rds-primary-dev-2026-11-25-17-05 failed: ${cause.name}: ${cause.message} (HTTP 400)`,
    );
    await expect(failure).rejects.toMatchObject({ cause });
  });
});
