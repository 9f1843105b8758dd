/**
 * `RegionalRecovery` on RDS, in the DR region: the primary's automated backups that RDS replicates
 * there (`DescribeDBInstanceAutomatedBackups`), and the instance a regional restore creates from
 * them (`RestoreDBInstanceToPointInTime` with `SourceDBInstanceAutomatedBackupsArn` and
 * `UseLatestRestorableTime`, reference §1.6).
 *
 * The restore names everything RDS would otherwise default (reference §1.6: the default VPC's
 * subnet group and security group, the default parameter group, Single-AZ): the DR VPC's subnet
 * group, the restored instance's own security groups, the PostgreSQL 14 parameter group with
 * `rds.force_ssl`, IAM authentication, backups, no public access. It has no `KmsKeyId` parameter:
 * the replicated backups are encrypted with the DR key chosen when replication started.
 */
import {
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type DBInstanceAutomatedBackup,
  type RDSClient,
  type RestoreDBInstanceToPointInTimeCommandInput,
} from "@aws-sdk/client-rds";
import type { RegionalRecovery } from "../../core/ports";
import type { BackupsView, InstanceView } from "../../core/types";
import { NO_RESTORE_TARGET } from "../../../function-env";
import type { RestoreTarget } from "../../failover/env";
import { apiErrorKind, describeAwsError, hasErrorName } from "./aws-errors";
import { describeFailedView, normaliseRdsStatus } from "./rds-database-control";

/** The log exports the stack declares for a writer (`LOG_EXPORTS` in lib/infra/database.ts). */
export const WRITER_LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/** Tags on the restored instance: what it was restored from, and to which point. */
export const RESTORED_FROM_TAG = "tap:restored-from";
export const RESTORE_POINT_TAG = "tap:restore-point";

export interface RdsRegionalRecoveryConfig {
  /** The primary whose replicated backups are restored. */
  readonly primaryInstanceId: string;
  /** Where the primary (the backups' source) lives. */
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly target: RestoreTarget;
  /** `BackupRetentionPeriod` of the restored instance: it is the writer from its first minute. */
  readonly backupRetentionDays: number;
  readonly environmentSuffix: string;
}

/** Replicated-backup statuses a restore can start from (`DBInstanceAutomatedBackup.Status`). */
const RESTORABLE_STATUSES: ReadonlySet<string> = new Set(["replicating", "active", "retained"]);

/**
 * The replicated automated backup of `primaryInstanceId` (copied from `primaryRegion`) with the newest
 * restore window, read in the region of `rds` (`DescribeDBInstanceAutomatedBackups`). Never throws:
 * an API that gives no usable answer is `unreadable` (with its kind), RDS's answer without one is
 * `missing`. Shared by the regional restore and the restore test.
 */
export async function readReplicatedBackups(
  rds: RDSClient,
  primaryInstanceId: string,
  primaryRegion: string,
): Promise<BackupsView> {
  const id = primaryInstanceId;
  let found: DBInstanceAutomatedBackup[];
  try {
    const out = await rds.send(new DescribeDBInstanceAutomatedBackupsCommand({ DBInstanceIdentifier: id }));
    found = out.DBInstanceAutomatedBackups ?? [];
  } catch (err) {
    if (hasErrorName(err, "DBInstanceAutomatedBackupNotFoundFault", "DBInstanceAutomatedBackupNotFound")) {
      return { kind: "missing", reason: `RDS knows no automated backup of ${id} in this region` };
    }
    return { kind: "unreadable", apiError: apiErrorKind(err), detail: describeAwsError(err) };
  }
  const usable = found
    // The copy replicated from the primary's region (what the stack replicates, and what IAM allows).
    .filter(
      (b) =>
        b.DBInstanceIdentifier === id &&
        b.DBInstanceAutomatedBackupsArn !== undefined &&
        b.Region === primaryRegion,
    )
    .filter((b) => b.RestoreWindow?.LatestTime !== undefined && RESTORABLE_STATUSES.has(b.Status ?? ""))
    .sort(
      (a, b) => (b.RestoreWindow?.LatestTime?.getTime() ?? 0) - (a.RestoreWindow?.LatestTime?.getTime() ?? 0),
    );
  const best = usable[0];
  if (best === undefined) {
    const seen = found.map((b) => `${b.DBInstanceAutomatedBackupsArn ?? "?"} (${b.Status ?? "no status"})`);
    return {
      kind: "missing",
      reason:
        seen.length === 0
          ? `RDS lists no automated backup of ${id} in this region (is backup replication from ${primaryRegion} on?)`
          : `none of ${id}'s automated backups here has a restore window: ${seen.join(", ")}`,
    };
  }
  return {
    kind: "available",
    arn: best.DBInstanceAutomatedBackupsArn as string,
    latestRestorableTimeMs: (best.RestoreWindow?.LatestTime as Date).getTime(),
    earliestRestorableTimeMs: best.RestoreWindow?.EarliestTime?.getTime() ?? null,
    retentionDays: best.BackupRetentionPeriod ?? 0,
  };
}

/** Where and how a point-in-time restore from the replicated backups creates its instance. */
export interface PointInTimeRestoreOptions {
  readonly target: RestoreTarget;
  /** `BackupRetentionPeriod` of the new instance: 0 turns its automated backups off. */
  readonly backupRetentionDays: number;
  /** Tags of the new instance, besides `Name`. */
  readonly tags: Readonly<Record<string, string>>;
  /** `DeletionProtection`, sent only when given (RDS's default is off). */
  readonly deletionProtection?: boolean;
  /** The CloudWatch Logs exports of the new instance (a writer's, as the stack declares them); none when absent. */
  readonly logExports?: readonly string[];
}

/**
 * The `RestoreDBInstanceToPointInTime` input of a restore from `backupsArn` to its latest
 * restorable time. Everything RDS would otherwise default is named (reference §1.6: the default
 * VPC's subnet group and security group, the default parameter group): the DR VPC's subnet group,
 * the given security groups, the PostgreSQL 14 parameter group with `rds.force_ssl`, IAM
 * authentication on, Single-AZ, no public access, gp3 storage, minor-version upgrades on, and no
 * paid Extended Support (a restore, like a create, enrols the instance in it unless told not to).
 * These are the values the stack declares for a writer (`lib/infra/database.ts`), so that
 * `tap:activeWriter restored` adopts the restored instance without a change to them.
 */
export function pointInTimeRestoreInput(
  backupsArn: string,
  options: PointInTimeRestoreOptions,
): RestoreDBInstanceToPointInTimeCommandInput {
  const t = options.target;
  return {
    SourceDBInstanceAutomatedBackupsArn: backupsArn,
    TargetDBInstanceIdentifier: t.instanceId,
    UseLatestRestorableTime: true,
    DBInstanceClass: t.instanceClass,
    DBSubnetGroupName: t.subnetGroupName,
    VpcSecurityGroupIds: [...t.securityGroupIds],
    DBParameterGroupName: t.parameterGroupName,
    MultiAZ: false,
    PubliclyAccessible: false,
    EnableIAMDatabaseAuthentication: true,
    StorageType: "gp3",
    AutoMinorVersionUpgrade: true,
    EngineLifecycleSupport: "open-source-rds-extended-support-disabled",
    ...(options.logExports === undefined ? {} : { EnableCloudwatchLogsExports: [...options.logExports] }),
    BackupRetentionPeriod: options.backupRetentionDays,
    ...(options.deletionProtection === undefined ? {} : { DeletionProtection: options.deletionProtection }),
    CopyTagsToSnapshot: true,
    Tags: [
      { Key: "Name", Value: t.instanceId },
      ...Object.entries(options.tags).map(([Key, Value]) => ({ Key, Value })),
    ],
  };
}

export class RdsRegionalRecovery implements RegionalRecovery {
  readonly replicaInPrimaryRegion: boolean;

  constructor(
    private readonly config: RdsRegionalRecoveryConfig,
    /** RDS client of the DR region. */
    private readonly rds: RDSClient,
  ) {
    this.replicaInPrimaryRegion = config.replicaRegion === config.primaryRegion;
  }

  /**
   * The primary's replicated automated backup with a restore window. Never throws: an API that
   * gives no usable answer is `unreadable` (with its kind), RDS's answer without one is `missing`.
   */
  backups(): Promise<BackupsView> {
    if (this.config.target.instanceId === NO_RESTORE_TARGET) {
      return Promise.resolve({
        kind: "missing",
        reason: `no regional restore runs from here: the writer ${this.config.primaryInstanceId} is the restored instance, in this region, and its backups are copied away from it`,
      });
    }
    return readReplicatedBackups(this.rds, this.config.primaryInstanceId, this.config.primaryRegion);
  }

  /** `DescribeDBInstances` of the restored instance; `not-found` until a restore created it. Never throws. */
  async describeRestored(): Promise<InstanceView> {
    const id = this.config.target.instanceId;
    const role = "primary" as const;
    // The writer is the restored instance itself: there is no other to look for.
    if (id === NO_RESTORE_TARGET)
      return { id, role, status: "not-found", isReplica: false, apiReachable: true };
    try {
      const out = await this.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      const instance = out.DBInstances?.find((db) => db.DBInstanceIdentifier === id);
      if (instance === undefined)
        return { id, role, status: "not-found", isReplica: false, apiReachable: true };
      return {
        id,
        role,
        status: normaliseRdsStatus(instance.DBInstanceStatus),
        rawStatus: instance.DBInstanceStatus,
        endpoint: instance.Endpoint?.Address,
        isReplica: false,
        apiReachable: true,
        ...(instance.BackupRetentionPeriod === undefined
          ? {}
          : { backupRetentionDays: instance.BackupRetentionPeriod }),
        ...(instance.InstanceCreateTime === undefined
          ? {}
          : { createdAtMs: instance.InstanceCreateTime.getTime() }),
      };
    } catch (err) {
      return describeFailedView(err, id, role);
    }
  }

  /**
   * `RestoreDBInstanceToPointInTime` to the backups' latest restorable time. An instance of that
   * identifier already existing (`DBInstanceAlreadyExists`) means an earlier attempt's call went
   * through: nothing more is asked. Every other refusal is thrown.
   */
  async restoreLatest(backups: Extract<BackupsView, { kind: "available" }>): Promise<void> {
    try {
      await this.rds.send(
        new RestoreDBInstanceToPointInTimeCommand(
          pointInTimeRestoreInput(backups.arn, {
            target: this.config.target,
            backupRetentionDays: this.config.backupRetentionDays,
            logExports: WRITER_LOG_EXPORTS,
            tags: {
              Environment: this.config.environmentSuffix,
              // The writer's role: `tap:activeWriter restored` declares it with this tag.
              "DR-Role": "primary",
              [RESTORED_FROM_TAG]: backups.arn,
              [RESTORE_POINT_TAG]: new Date(backups.latestRestorableTimeMs).toISOString(),
            },
          }),
        ),
      );
    } catch (err) {
      if (hasErrorName(err, "DBInstanceAlreadyExistsFault", "DBInstanceAlreadyExists")) return;
      throw err;
    }
  }
}
