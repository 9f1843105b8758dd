/**
 * `RestoreTestDatabase` on RDS, in the DR region: the same replicated backups and the same
 * `RestoreDBInstanceToPointInTime` parameters as the regional restore (`readReplicatedBackups`,
 * `pointInTimeRestoreInput`), into the temporary `rds-restore-test-<suffix>` instance: backups off
 * (`BackupRetentionPeriod` 0: a test instance needs none, and none are left behind), deletion
 * protection off, tagged `DR-Role=restore-test` and `tap:restore-test=<execution>`. It is deleted
 * with `SkipFinalSnapshot` and `DeleteAutomatedBackups`.
 */
import {
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  RestoreDBInstanceToPointInTimeCommand,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { ControlPlaneError } from "../../core/errors";
import {
  NO_TEST_INSTANCE,
  type DeleteOutcome,
  type RestoreTestDatabase,
  type TestInstanceView,
} from "../../core/restore-test";
import type { BackupsView } from "../../core/types";
import type { RestoreTarget } from "../../failover/env";
import { describeAwsError, hasErrorName } from "./aws-errors";
import {
  pointInTimeRestoreInput,
  readReplicatedBackups,
  RESTORE_POINT_TAG,
  RESTORED_FROM_TAG,
} from "./rds-regional-recovery";

/** Tag naming the execution that restored a test instance. */
export const RESTORE_TEST_TAG = "tap:restore-test";
/** `DR-Role` of the temporary instance. */
export const RESTORE_TEST_ROLE = "restore-test";

/** What the adapter restores from and into. */
export interface RdsRestoreTestConfig {
  /** The primary whose replicated backups are restored. */
  readonly primaryInstanceId: string;
  readonly primaryRegion: string;
  /** The temporary instance: `rds-restore-test-<suffix>`, the restored access group only. */
  readonly target: RestoreTarget;
  readonly environmentSuffix: string;
}

const NOT_FOUND = ["DBInstanceNotFoundFault", "DBInstanceNotFound"];

/** The restore test's temporary instance and the replicated backups, on RDS in the DR region. */
export class RdsRestoreTestDatabase implements RestoreTestDatabase {
  constructor(
    private readonly config: RdsRestoreTestConfig,
    /** RDS client of the DR region. */
    private readonly rds: RDSClient,
  ) {}

  backups(): Promise<BackupsView> {
    return readReplicatedBackups(this.rds, this.config.primaryInstanceId, this.config.primaryRegion);
  }

  /**
   * `DescribeDBInstances` of the test instance (its `TagList` included); `found: false` on
   * `DBInstanceNotFound`. Any other failure is thrown (as `ControlPlaneError`, with the SDK error as
   * cause, so a throttle stays retryable for the step runner).
   */
  async describeTest(): Promise<TestInstanceView> {
    const id = this.config.target.instanceId;
    let instance;
    try {
      const out = await this.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      instance = out.DBInstances?.find((db) => db.DBInstanceIdentifier === id);
    } catch (err) {
      if (hasErrorName(err, ...NOT_FOUND)) instance = undefined;
      else
        throw new ControlPlaneError(`DescribeDBInstances ${id} failed: ${describeAwsError(err)}`, {
          cause: err,
        });
    }
    if (instance === undefined) {
      return NO_TEST_INSTANCE;
    }
    const tags = new Map((instance.TagList ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
    const point = Date.parse(tags.get(RESTORE_POINT_TAG) ?? "");
    return {
      found: true,
      rawStatus: instance.DBInstanceStatus ?? null,
      endpoint: instance.Endpoint?.Address ?? null,
      port: instance.Endpoint?.Port ?? null,
      restoreTest: tags.get("DR-Role") === RESTORE_TEST_ROLE,
      execution: tags.get(RESTORE_TEST_TAG) ?? null,
      restorePointMs: Number.isFinite(point) ? point : null,
      createdAtMs: instance.InstanceCreateTime?.getTime() ?? null,
    };
  }

  /**
   * `RestoreDBInstanceToPointInTime` into the test instance. `DBInstanceAlreadyExists` means an
   * earlier attempt's call went through; every other refusal is thrown.
   */
  async restoreTest(backups: Extract<BackupsView, { kind: "available" }>, execution: string): Promise<void> {
    const input = pointInTimeRestoreInput(backups.arn, {
      target: this.config.target,
      backupRetentionDays: 0,
      deletionProtection: false,
      tags: {
        Environment: this.config.environmentSuffix,
        "DR-Role": RESTORE_TEST_ROLE,
        [RESTORE_TEST_TAG]: execution,
        [RESTORED_FROM_TAG]: backups.arn,
        [RESTORE_POINT_TAG]: new Date(backups.latestRestorableTimeMs).toISOString(),
      },
    });
    try {
      // A test instance has nothing to snapshot: no tag copying to snapshots.
      await this.rds.send(new RestoreDBInstanceToPointInTimeCommand({ ...input, CopyTagsToSnapshot: false }));
    } catch (err) {
      if (hasErrorName(err, "DBInstanceAlreadyExistsFault", "DBInstanceAlreadyExists")) return;
      throw new ControlPlaneError(
        `RestoreDBInstanceToPointInTime ${this.config.target.instanceId} from ${backups.arn} failed: ${describeAwsError(err)}`,
        { cause: err },
      );
    }
  }

  /**
   * `DeleteDBInstance` with `SkipFinalSnapshot` and `DeleteAutomatedBackups`. `DBInstanceNotFound`
   * is `gone`; `InvalidDBInstanceState` (an instance RDS will not delete in its current state, e.g.
   * while it is still being created, or already deleting) is `busy`: the caller asks again later.
   * Every other refusal is thrown.
   */
  async deleteTest(): Promise<DeleteOutcome> {
    const id = this.config.target.instanceId;
    try {
      await this.rds.send(
        new DeleteDBInstanceCommand({
          DBInstanceIdentifier: id,
          SkipFinalSnapshot: true,
          DeleteAutomatedBackups: true,
        }),
      );
      return "requested";
    } catch (err) {
      if (hasErrorName(err, ...NOT_FOUND)) return "gone";
      if (hasErrorName(err, "InvalidDBInstanceStateFault", "InvalidDBInstanceState")) return "busy";
      throw new ControlPlaneError(`DeleteDBInstance ${id} failed: ${describeAwsError(err)}`, { cause: err });
    }
  }
}
