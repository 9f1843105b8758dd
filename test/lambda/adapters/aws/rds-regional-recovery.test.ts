import {
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RDSClient,
  RestoreDBInstanceToPointInTimeCommand,
  type DBInstanceAutomatedBackup,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import {
  RdsRegionalRecovery,
  RESTORE_POINT_TAG,
  RESTORED_FROM_TAG,
} from "../../../../lib/lambda/adapters/aws/rds-regional-recovery";
import { awsError, networkError } from "./fake-clock";

const rds = mockClient(RDSClient);
const ARN = "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-primary0001";
const LATEST = new Date("2026-12-03T10:00:00.000Z");
const TARGET = {
  instanceId: "rds-restored-dev",
  subnetGroupName: "dbsubnets-dr-dev",
  securityGroupIds: ["sg-0b1c2d3e4f5a60001", "sg-0b1c2d3e4f5a60002"],
  parameterGroupName: "pg-postgres14-dr-dev",
  instanceClass: "db.t3.medium",
};

function recovery(target = TARGET): RdsRegionalRecovery {
  return new RdsRegionalRecovery(
    {
      primaryInstanceId: "rds-primary-dev",
      primaryRegion: "ap-southeast-2",
      replicaRegion: "ap-southeast-2",
      target,
      backupRetentionDays: 7,
      environmentSuffix: "dev",
    },
    new RDSClient({ region: "ap-southeast-1" }),
  );
}

function backup(overrides: Partial<DBInstanceAutomatedBackup> = {}): DBInstanceAutomatedBackup {
  return {
    DBInstanceIdentifier: "rds-primary-dev",
    DBInstanceAutomatedBackupsArn: ARN,
    Region: "ap-southeast-2",
    Status: "replicating",
    BackupRetentionPeriod: 7,
    RestoreWindow: { EarliestTime: new Date("2026-11-26T10:00:00.000Z"), LatestTime: LATEST },
    ...overrides,
  };
}

beforeEach(() => rds.reset());

describe("backups", () => {
  it("asks for the primary's automated backups and gives the replicated one's restore window", async () => {
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: [backup()] });
    await expect(recovery().backups()).resolves.toEqual({
      kind: "available",
      arn: ARN,
      latestRestorableTimeMs: LATEST.getTime(),
      earliestRestorableTimeMs: Date.parse("2026-11-26T10:00:00.000Z"),
      retentionDays: 7,
    });
    expect(rds.commandCalls(DescribeDBInstanceAutomatedBackupsCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: "rds-primary-dev",
    });
  });

  it("takes the newest restorable backup and skips those without a window or in another state", async () => {
    const newer = new Date(LATEST.getTime() + 60_000);
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({
      DBInstanceAutomatedBackups: [
        backup({ DBInstanceAutomatedBackupsArn: `${ARN}-old` }),
        backup({
          DBInstanceAutomatedBackupsArn: `${ARN}-pending`,
          Status: "pending",
          RestoreWindow: { LatestTime: newer },
        }),
        backup({ DBInstanceAutomatedBackupsArn: `${ARN}-new`, RestoreWindow: { LatestTime: newer } }),
        backup({ DBInstanceAutomatedBackupsArn: `${ARN}-nowindow`, RestoreWindow: undefined }),
      ],
    });
    await expect(recovery().backups()).resolves.toMatchObject({
      arn: `${ARN}-new`,
      earliestRestorableTimeMs: null,
    });
  });

  it.each([
    [
      "none listed",
      [],
      "RDS lists no automated backup of rds-primary-dev in this region (is backup replication from ap-southeast-2 on?)",
    ],
    [
      "only one still pending",
      [backup({ Status: "pending" })],
      `none of rds-primary-dev's automated backups here has a restore window: ${ARN} (pending)`,
    ],
  ])("missing: %s", async (_name, list, reason) => {
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).resolves({ DBInstanceAutomatedBackups: list });
    await expect(recovery().backups()).resolves.toEqual({ kind: "missing", reason });
  });

  it("missing: RDS knows no automated backup of the instance", async () => {
    rds
      .on(DescribeDBInstanceAutomatedBackupsCommand)
      .rejects(awsError("DBInstanceAutomatedBackupNotFoundFault", "not found", 404));
    await expect(recovery().backups()).resolves.toEqual({
      kind: "missing",
      reason: "RDS knows no automated backup of rds-primary-dev in this region",
    });
  });

  it.each([
    ["throttled", awsError("ThrottlingException", "Rate exceeded", 400), "throttled"],
    ["black-holed", networkError("ETIMEDOUT"), "connectivity"],
  ] as const)("unreadable, never thrown: %s", async (_name, error, apiError) => {
    rds.on(DescribeDBInstanceAutomatedBackupsCommand).rejects(error);
    await expect(recovery().backups()).resolves.toMatchObject({ kind: "unreadable", apiError });
  });
});

describe("no restore target (tap:activeWriter restored: the writer is the restored instance)", () => {
  it("finds no restored instance and no backups to restore, without a call to RDS", async () => {
    const none = recovery({ ...TARGET, instanceId: "none" });
    expect(await none.describeRestored()).toEqual({
      id: "none",
      role: "primary",
      status: "not-found",
      isReplica: false,
      apiReachable: true,
    });
    expect(await none.backups()).toEqual({
      kind: "missing",
      reason:
        "no regional restore runs from here: the writer rds-primary-dev is the restored instance, in this region, and its backups are copied away from it",
    });
    expect(rds.calls()).toHaveLength(0);
  });
});

describe("describeRestored", () => {
  it("is not-found until a restore created it", async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .rejects(awsError("DBInstanceNotFoundFault", "DBInstance rds-restored-dev not found", 404));
    await expect(recovery().describeRestored()).resolves.toMatchObject({
      id: "rds-restored-dev",
      role: "primary",
      status: "not-found",
      apiReachable: true,
    });
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: "rds-restored-dev",
    });
  });

  it.each([
    ["creating", "modifying"],
    ["available", "available"],
    ["incompatible-restore", "failed"],
  ] as const)("RDS status %s reads as %s", async (raw, status) => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: "rds-restored-dev",
          DBInstanceStatus: raw,
          Endpoint: { Address: "rds-restored-dev.x.ap-southeast-1.rds.amazonaws.com" },
          BackupRetentionPeriod: 7,
          InstanceCreateTime: LATEST,
        },
      ],
    });
    await expect(recovery().describeRestored()).resolves.toEqual({
      id: "rds-restored-dev",
      role: "primary",
      status,
      rawStatus: raw,
      endpoint: "rds-restored-dev.x.ap-southeast-1.rds.amazonaws.com",
      isReplica: false,
      apiReachable: true,
      backupRetentionDays: 7,
      createdAtMs: LATEST.getTime(),
    });
  });

  it("an unreachable API is an unknown state, never thrown", async () => {
    rds.on(DescribeDBInstancesCommand).rejects(networkError("ECONNREFUSED"));
    await expect(recovery().describeRestored()).resolves.toMatchObject({
      status: "unknown",
      apiReachable: false,
      apiError: "connectivity",
    });
  });
});

describe("restoreLatest", () => {
  const available = {
    kind: "available",
    arn: ARN,
    latestRestorableTimeMs: LATEST.getTime(),
    earliestRestorableTimeMs: null,
    retentionDays: 7,
  } as const;

  it("restores to the latest restorable time with every setting RDS would otherwise default (reference §1.6)", async () => {
    rds.on(RestoreDBInstanceToPointInTimeCommand).resolves({});
    await recovery().restoreLatest(available);
    expect(rds.commandCalls(RestoreDBInstanceToPointInTimeCommand)[0].args[0].input).toEqual({
      SourceDBInstanceAutomatedBackupsArn: ARN,
      TargetDBInstanceIdentifier: "rds-restored-dev",
      UseLatestRestorableTime: true,
      DBInstanceClass: "db.t3.medium",
      DBSubnetGroupName: "dbsubnets-dr-dev",
      VpcSecurityGroupIds: ["sg-0b1c2d3e4f5a60001", "sg-0b1c2d3e4f5a60002"],
      DBParameterGroupName: "pg-postgres14-dr-dev",
      MultiAZ: false,
      PubliclyAccessible: false,
      EnableIAMDatabaseAuthentication: true,
      StorageType: "gp3",
      AutoMinorVersionUpgrade: true,
      EngineLifecycleSupport: "open-source-rds-extended-support-disabled",
      EnableCloudwatchLogsExports: ["postgresql", "upgrade"],
      BackupRetentionPeriod: 7,
      CopyTagsToSnapshot: true,
      Tags: [
        { Key: "Name", Value: "rds-restored-dev" },
        { Key: "Environment", Value: "dev" },
        { Key: "DR-Role", Value: "primary" },
        { Key: RESTORED_FROM_TAG, Value: ARN },
        { Key: RESTORE_POINT_TAG, Value: "2026-12-03T10:00:00.000Z" },
      ],
    });
  });

  it("an instance of that identifier already exists: an earlier attempt's call went through, nothing more", async () => {
    rds
      .on(RestoreDBInstanceToPointInTimeCommand)
      .rejects(awsError("DBInstanceAlreadyExistsFault", "exists", 400));
    await expect(recovery().restoreLatest(available)).resolves.toBeUndefined();
  });

  it("any other refusal is thrown", async () => {
    rds
      .on(RestoreDBInstanceToPointInTimeCommand)
      .rejects(awsError("InvalidRestoreFault", "no backup in the window", 400));
    await expect(recovery().restoreLatest(available)).rejects.toThrow("no backup in the window");
  });
});
