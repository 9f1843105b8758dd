import {
  DeleteDBInstanceCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { RdsRestoreTestDatabase } from "../../../../lib/lambda/adapters/aws/rds-restore-test";
import { ControlPlaneError } from "../../../../lib/lambda/core/errors";
import { awsError } from "./fake-clock";

const rds = mockClient(RDSClient);
const BACKUPS_ARN =
  "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-0123456789abcdefghijklmnopqrstuvwxyz012";
const LATEST = new Date("2026-12-06T03:00:00.000Z");
const EXECUTION = "weekly-2026-12-06";

function database() {
  return new RdsRestoreTestDatabase(
    {
      primaryInstanceId: "rds-primary-dev",
      primaryRegion: "ap-southeast-2",
      environmentSuffix: "dev",
      target: {
        instanceId: "rds-restore-test-dev",
        subnetGroupName: "dbsubnets-dr-dev",
        securityGroupIds: ["sg-0123456789abcdef0"],
        parameterGroupName: "pg-postgres14-dr-dev",
        instanceClass: "db.t3.medium",
      },
    },
    new RDSClient({ region: "ap-southeast-1" }),
  );
}

const AVAILABLE = {
  kind: "available" as const,
  arn: BACKUPS_ARN,
  latestRestorableTimeMs: LATEST.getTime(),
  earliestRestorableTimeMs: null,
  retentionDays: 7,
};

beforeEach(() => rds.reset());

describe("RdsRestoreTestDatabase.restoreTest", () => {
  it("restores the replicated backups into the test instance with exactly the test's parameters", async () => {
    rds.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    await database().restoreTest(AVAILABLE, EXECUTION);
    const calls = rds.commandCalls(RestoreDBInstanceToPointInTimeCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      SourceDBInstanceAutomatedBackupsArn: BACKUPS_ARN,
      TargetDBInstanceIdentifier: "rds-restore-test-dev",
      UseLatestRestorableTime: true,
      DBInstanceClass: "db.t3.medium",
      DBSubnetGroupName: "dbsubnets-dr-dev",
      VpcSecurityGroupIds: ["sg-0123456789abcdef0"],
      DBParameterGroupName: "pg-postgres14-dr-dev",
      MultiAZ: false,
      PubliclyAccessible: false,
      EnableIAMDatabaseAuthentication: true,
      StorageType: "gp3",
      AutoMinorVersionUpgrade: true,
      EngineLifecycleSupport: "open-source-rds-extended-support-disabled",
      BackupRetentionPeriod: 0,
      DeletionProtection: false,
      CopyTagsToSnapshot: false,
      Tags: [
        { Key: "Name", Value: "rds-restore-test-dev" },
        { Key: "Environment", Value: "dev" },
        { Key: "DR-Role", Value: "restore-test" },
        { Key: "tap:restore-test", Value: EXECUTION },
        { Key: "tap:restored-from", Value: BACKUPS_ARN },
        { Key: "tap:restore-point", Value: "2026-12-06T03:00:00.000Z" },
      ],
    });
  });

  it("treats DBInstanceAlreadyExists as an earlier attempt's call that went through", async () => {
    rds
      .on(RestoreDBInstanceToPointInTimeCommand)
      .rejects(awsError("DBInstanceAlreadyExistsFault", "exists", 400));
    await expect(database().restoreTest(AVAILABLE, EXECUTION)).resolves.toBeUndefined();
  });

  it("throws any other refusal as ControlPlaneError with the SDK error as cause", async () => {
    const refusal = awsError("InvalidParameterCombinationFault", "no such parameter group", 400);
    rds.on(RestoreDBInstanceToPointInTimeCommand).rejects(refusal);
    const error = await database()
      .restoreTest(AVAILABLE, EXECUTION)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect((error as Error).message).toContain("RestoreDBInstanceToPointInTime rds-restore-test-dev");
    expect((error as Error).cause).toBe(refusal);
  });
});

describe("RdsRestoreTestDatabase.backups", () => {
  it("reads the same replicated backups as the regional restore", async () => {
    rds.on(DescribeDBInstanceAutomatedBackupsCommand, { DBInstanceIdentifier: "rds-primary-dev" }).resolves({
      DBInstanceAutomatedBackups: [
        {
          DBInstanceIdentifier: "rds-primary-dev",
          DBInstanceAutomatedBackupsArn: BACKUPS_ARN,
          Region: "ap-southeast-2",
          Status: "replicating",
          BackupRetentionPeriod: 7,
          RestoreWindow: { LatestTime: LATEST },
        },
      ],
    });
    expect(await database().backups()).toEqual(AVAILABLE);
  });
});

describe("RdsRestoreTestDatabase.describeTest", () => {
  it("reads status, endpoint and the restore-test tags", async () => {
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: "rds-restore-test-dev" }).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: "rds-restore-test-dev",
          DBInstanceStatus: "available",
          Endpoint: { Address: "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com", Port: 5432 },
          InstanceCreateTime: new Date("2026-12-06T03:01:00.000Z"),
          TagList: [
            { Key: "DR-Role", Value: "restore-test" },
            { Key: "tap:restore-test", Value: EXECUTION },
            { Key: "tap:restore-point", Value: "2026-12-06T03:00:00.000Z" },
          ],
        },
      ],
    });
    expect(await database().describeTest()).toEqual({
      found: true,
      rawStatus: "available",
      endpoint: "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com",
      port: 5432,
      restoreTest: true,
      execution: EXECUTION,
      restorePointMs: LATEST.getTime(),
      createdAtMs: Date.parse("2026-12-06T03:01:00.000Z"),
    });
  });

  it("answers found: false for DBInstanceNotFound", async () => {
    rds.on(DescribeDBInstancesCommand).rejects(awsError("DBInstanceNotFoundFault", "not found", 404));
    expect((await database().describeTest()).found).toBe(false);
  });

  it("says an instance without DR-Role=restore-test is not a test instance", async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { DBInstanceIdentifier: "rds-restore-test-dev", DBInstanceStatus: "available", TagList: [] },
      ],
    });
    expect(await database().describeTest()).toMatchObject({
      found: true,
      restoreTest: false,
      execution: null,
    });
  });

  it("throws a throttle with the SDK error as cause (the step runner retries it)", async () => {
    const throttle = awsError("Throttling", "Rate exceeded", 400);
    rds.on(DescribeDBInstancesCommand).rejects(throttle);
    const error = await database()
      .describeTest()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect((error as Error).cause).toBe(throttle);
  });
});

describe("RdsRestoreTestDatabase.deleteTest", () => {
  it("deletes without a final snapshot and with the automated backups", async () => {
    rds.on(DeleteDBInstanceCommand).resolves({});
    expect(await database().deleteTest()).toBe("requested");
    const calls = rds.commandCalls(DeleteDBInstanceCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: "rds-restore-test-dev", SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
  });

  it("is gone for DBInstanceNotFound and busy for InvalidDBInstanceState", async () => {
    rds.on(DeleteDBInstanceCommand).rejectsOnce(awsError("DBInstanceNotFoundFault", "gone", 404));
    expect(await database().deleteTest()).toBe("gone");
    rds.reset();
    rds.on(DeleteDBInstanceCommand).rejectsOnce(awsError("InvalidDBInstanceStateFault", "creating", 400));
    expect(await database().deleteTest()).toBe("busy");
  });

  it("throws an access denial", async () => {
    rds.on(DeleteDBInstanceCommand).rejects(awsError("AccessDenied", "not authorized", 403));
    await expect(database().deleteTest()).rejects.toThrow(/DeleteDBInstance rds-restore-test-dev failed/);
  });
});
