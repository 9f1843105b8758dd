/**
 * The drill's `RegionalRecovery`: real PostgreSQL point-in-time recovery stands in for RDS's
 * cross-region automated backups. The primary archives its WAL into a directory that stands for
 * the DR region's copy, next to a base backup (`ClusterOptions.backups`); a restore replays the
 * base backup and every archived segment into a new instance, as `RestoreDBInstanceToPointInTime`
 * with `UseLatestRestorableTime` does. Without backups it answers as RDS does for an instance
 * whose backups are not replicated: `missing`, and a restore is refused.
 */
import { ControlPlaneError } from "../lambda/core/errors";
import type { Clock, RegionalRecovery } from "../lambda/core/ports";
import type { BackupsView, InstanceView } from "../lambda/core/types";
import type { PgNode } from "./cluster";
import { formatEndpoint } from "./endpoint";

/** What the local cluster offers for a restore (`LocalCluster` with `backups` configured). */
export interface PitrSource {
  /** The newest commit time the archive can restore to, `null` before anything was archived. */
  latestRestorableTimeMs(): number | null;
  /** Point-in-time recovery of the whole archive into a new node; resolves once it takes writes. */
  restoreLatest(timeoutMs: number): Promise<PgNode>;
}

export interface LocalRecoveryOptions {
  /** Id of the restored instance in decisions and reports. */
  readonly restoredId: string;
  /** The local archive's "retention", days (as RDS reports `BackupRetentionPeriod`). */
  readonly retentionDays: number;
  /** Bound on the whole recovery. */
  readonly restoreTimeoutMs: number;
}

/** What became of the restore, for the drill's figures. */
export interface RestoreRecord {
  readonly restoreCalledAtMs: number | null;
  readonly restoredAtMs: number | null;
  /** The restore point the archive offered when the restore was asked for. */
  readonly latestRestorableTimeMs: number | null;
  readonly restores: number;
}

/**
 * The local archive as RDS describes replicated backups: `available` up to the newest archived
 * commit, `missing` without backups or before anything was archived. Shared by the regional
 * restore and the restore test.
 */
export function localBackupsView(source: PitrSource | null, retentionDays: number): BackupsView {
  if (source === null) {
    return { kind: "missing", reason: "the local cluster archives no WAL (ClusterOptions.backups is off)" };
  }
  const latest = source.latestRestorableTimeMs();
  if (latest === null) return { kind: "missing", reason: "no WAL segment has been archived yet" };
  return {
    kind: "available",
    arn: "local:dr-backups",
    latestRestorableTimeMs: latest,
    earliestRestorableTimeMs: null,
    retentionDays,
  };
}

export class LocalRegionalRecovery implements RegionalRecovery {
  /** Both local nodes stand in the same "region": losing it loses both. */
  readonly replicaInPrimaryRegion = true;
  private node: PgNode | null = null;
  private running: Promise<void> | null = null;
  private failure: string | null = null;
  private record: RestoreRecord = {
    restoreCalledAtMs: null,
    restoredAtMs: null,
    latestRestorableTimeMs: null,
    restores: 0,
  };

  constructor(
    /** `null`: the cluster keeps no backups. */
    private readonly source: PitrSource | null,
    private readonly clock: Clock,
    private readonly options: LocalRecoveryOptions,
  ) {}

  restoreRecord(): RestoreRecord {
    return this.record;
  }

  /** The restored node once it takes writes (for the drill's workload and checks). */
  restoredNode(): PgNode | null {
    return this.node;
  }

  async backups(): Promise<BackupsView> {
    return localBackupsView(this.source, this.options.retentionDays);
  }

  async describeRestored(): Promise<InstanceView> {
    const base = {
      id: this.options.restoredId,
      role: "primary" as const,
      isReplica: false,
      apiReachable: true,
    };
    if (this.node !== null) {
      return {
        ...base,
        status: "available",
        rawStatus: "available",
        endpoint: formatEndpoint(this.node),
        backupRetentionDays: this.options.retentionDays,
        ...(this.record.restoreCalledAtMs === null ? {} : { createdAtMs: this.record.restoreCalledAtMs }),
      };
    }
    if (this.failure !== null)
      return { ...base, status: "failed", rawStatus: `restore-error: ${this.failure}` };
    if (this.running !== null) {
      // RDS shows `creating` while it restores, which TapStack reads as modifying.
      return {
        ...base,
        status: "modifying",
        rawStatus: "creating",
        createdAtMs: this.record.restoreCalledAtMs ?? 0,
      };
    }
    return { ...base, status: "not-found" };
  }

  async restoreLatest(backups: Extract<BackupsView, { kind: "available" }>): Promise<void> {
    if (this.running !== null || this.node !== null) return;
    const source = this.source;
    if (source === null) {
      throw new ControlPlaneError(
        "the local cluster keeps no backups to restore (ClusterOptions.backups is off)",
      );
    }
    this.record = {
      ...this.record,
      restoreCalledAtMs: this.clock.nowMs(),
      latestRestorableTimeMs: backups.latestRestorableTimeMs,
      restores: this.record.restores + 1,
    };
    // Asynchronous, as RestoreDBInstanceToPointInTime is: the workflow polls describeRestored.
    this.running = source.restoreLatest(this.options.restoreTimeoutMs).then(
      (node) => {
        this.node = node;
        this.record = { ...this.record, restoredAtMs: this.clock.nowMs() };
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error.message : String(error);
      },
    );
  }
}
