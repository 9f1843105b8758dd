/**
 * The databases as the simulation needs them: two RDS PostgreSQL instances with their RDS-level
 * state (status, tags, replication source) and their data, reduced to *times*: the primary's
 * commits (the client workload's and the monitor's heartbeats) and how far the replica has
 * replayed them. Replication lag is the replica's distance behind the primary's clock; after the
 * primary dies, what the replica has is frozen, which is exactly what a promotion keeps.
 */

/** Everything RDS and PostgreSQL state the simulator keeps per instance. */
export interface SimInstance {
  readonly id: string;
  readonly region: string;
  readonly arn: string;
  readonly endpoint: string;
  readonly createdAtMs: number;
  /** Raw `DBInstanceStatus` RDS reports. */
  status: string;
  /** PostgreSQL answers (the process runs and the host is up). */
  engineUp: boolean;
  /** The RDS host is alive and publishes the instance's CloudWatch metrics. */
  hostAlive: boolean;
  /** When the engine last stopped or restarted: every session opened before then is gone. */
  lastRestartAtMs: number;
  /** When the engine went down, while it is down. */
  downSinceMs: number | null;
  /** `ReadReplicaSourceDBInstanceIdentifier` as `DescribeDBInstances` shows it. */
  sourceId: string | null;
  /** The instance whose WAL this one replays; null once standalone. */
  replicatingFrom: SimInstance | null;
  /** Replayed-up-to (on the source's clock) once replication stopped for good. */
  frozenReplayMs: number | null;
  /** Takes writes at the engine level (a primary, or a promoted replica past its reboot). */
  standalone: boolean;
  storageFull: boolean;
  /** What the server answers every new session with, when it refuses them ("too many connections"). */
  refuses: string | null;
  /** Extra replication delay injected by a `replica-lag` fault, seconds. */
  extraLagSeconds: number;
  readonly tags: Map<string, string>;
  backupRetentionDays: number;
  /** Client security group: CIDR rules by rule id. */
  readonly clientRules: Map<string, string>;
  readonly clientGroupId: string;
  /** When client ingress was last revoked (sessions opened before it survive until a restart). */
  revokedAtMs: number | null;
  /** Heartbeat commit times written on this instance by the monitor, ascending. */
  readonly heartbeats: number[];
  /** Accepted client commits on this instance as [from, to) intervals at the workload's rate. */
  readonly commitSegments: { fromMs: number; toMs: number }[];
  /** PromoteReadReplica calls RDS accepted for this instance. */
  promotionsAccepted: number;
  /** For an instance a restore created: the restore point (the primary's data up to it is what it has). */
  readonly restoredFromMs?: number;
  /** For an instance a restore created: its `VpcSecurityGroupIds` (none given: the default group). */
  readonly securityGroupIds?: readonly string[];
  /** For an instance a restore created: IAM database authentication on. */
  readonly iamAuth?: boolean;
}

/** Base replication delay of a healthy streaming replica (seconds): in-region vs across regions. */
export const BASE_LAG_SECONDS = { sameRegion: 0.2, crossRegion: 1.0 } as const;

/** Source-clock time up to which `replica` has replayed, at `nowMs`. */
export function replayedUpToMs(replica: SimInstance, nowMs: number, baseLagSeconds: number): number {
  if (replica.frozenReplayMs !== null) return replica.frozenReplayMs;
  const source = replica.replicatingFrom;
  if (source === null) return nowMs;
  const sourceTime = source.engineUp ? nowMs : (source.downSinceMs ?? nowMs);
  const replicaTime = replica.engineUp ? nowMs : (replica.downSinceMs ?? nowMs);
  return Math.min(sourceTime, replicaTime) - (baseLagSeconds + replica.extraLagSeconds) * 1000;
}

/** Stops replication for good (promotion, or the replica's death): what it has is what it keeps. */
export function freezeReplication(replica: SimInstance, nowMs: number, baseLagSeconds: number): void {
  if (replica.frozenReplayMs === null && replica.replicatingFrom !== null) {
    replica.frozenReplayMs = replayedUpToMs(replica, nowMs, baseLagSeconds);
  }
}

/** Newest element of ascending `times` that is ≤ `limitMs`, or null. */
export function newestAtOrBefore(times: readonly number[], limitMs: number): number | null {
  let lo = 0;
  let hi = times.length - 1;
  let found: number | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= limitMs) {
      found = times[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** The newest commit (heartbeat or client) on `instance` at or before `limitMs`. */
export function newestCommitAtOrBefore(instance: SimInstance, limitMs: number): number | null {
  let newest = newestAtOrBefore(instance.heartbeats, limitMs);
  for (const segment of instance.commitSegments) {
    if (segment.fromMs > limitMs) continue;
    const end = Math.min(segment.toMs, limitMs);
    newest = newest === null ? end : Math.max(newest, end);
  }
  return newest;
}

/** Client commits acknowledged by `instance` in (afterMs, ∞), at `commitsPerSecond`. */
export function commitsAfter(
  instance: SimInstance,
  afterMs: number,
  commitsPerSecond: number,
): { count: number; lastMs: number | null } {
  let ms = 0;
  let lastMs: number | null = null;
  for (const s of instance.commitSegments) {
    const from = Math.max(s.fromMs, afterMs);
    if (s.toMs > from) {
      ms += s.toMs - from;
      lastMs = lastMs === null ? s.toMs : Math.max(lastMs, s.toMs);
    }
  }
  return { count: Math.round((ms / 1000) * commitsPerSecond), lastMs };
}

/** True when clients can open a new session and write on `instance`. */
export function acceptsNewWriters(instance: SimInstance): boolean {
  return (
    instance.engineUp &&
    instance.standalone &&
    !instance.storageFull &&
    instance.refuses === null &&
    instance.clientRules.size > 0
  );
}

/**
 * True when some client can write on `instance` now: it takes writes, and either its client ingress
 * is open or sessions opened before the revoke are still alive (revoking a rule does not cut tracked
 * connections, reference §7; only a restart does).
 */
export function clientWritable(instance: SimInstance): boolean {
  if (!instance.engineUp || !instance.standalone || instance.storageFull) return false;
  if (instance.clientRules.size > 0) return true;
  return instance.revokedAtMs !== null && instance.lastRestartAtMs < instance.revokedAtMs;
}
