/**
 * Domain types of the failover engine. Pure data: no AWS SDK, no Pulumi, no I/O.
 *
 * Times are epoch milliseconds (`…AtMs`), durations carry their unit in the name
 * (`…Ms`, `…Seconds`). Everything here is JSON-serialisable, because snapshots and
 * results travel between the health-monitor and failover functions (Lambda async
 * destination) and end up verbatim in the audit report.
 */

/** Which database a probe or control call is about. */
export type DbRole = "primary" | "replica";

/**
 * The outcome of one probe. A failed probe is a result, never an exception.
 * - `ok`: connected, `SELECT 1` answered (and, on the primary, the heartbeat write committed).
 * - `unreachable`: TCP connect refused / host unreachable / DNS failure.
 * - `timeout`: no answer within the probe timeout (a frozen or overloaded server, a dropped network path).
 * - `auth-failed`: the server answered but refused our credentials (token expired, role missing).
 * - `read-only`: the server answered but refused a write (a fenced primary, or a standby).
 * - `error`: anything else the server said (disk full, too many connections, …); `detail` says what.
 */
export const PROBE_OUTCOMES = ["ok", "unreachable", "timeout", "auth-failed", "read-only", "error"] as const;
export type ProbeOutcome = (typeof PROBE_OUTCOMES)[number];

export interface ProbeResult {
  readonly target: DbRole;
  readonly atMs: number;
  readonly outcome: ProbeOutcome;
  /** Wall time the probe took, including a timeout. */
  readonly latencyMs: number;
  /** Human-readable detail for anything that is not `ok` (server message, error code). */
  readonly detail?: string;
}

/** One replication-lag reading, taken from the heartbeat row on the replica. */
/**
 * What the monitor's history says about the replica's lag and the primary's answers, as the
 * lag guard needs it (see `lag-evidence.ts`).
 */
export interface LagEvidence {
  /** Newest lag reading taken while the primary answered (the probe next to it succeeded), or `null`. */
  readonly lastHealthyLag: LagReading | null;
  /** Latest moment the primary was seen answering (an upper bound), or `null`. */
  readonly primaryLastAnsweredAtMs: number | null;
  /** First sign of a failure after `primaryLastAnsweredAtMs` (an upper bound), or `null`. */
  readonly failureFirstSeenAtMs: number | null;
}

export interface LagReading {
  readonly atMs: number;
  /**
   * Seconds between the newest heartbeat visible on the replica and the time it was read;
   * `null` when the replica could not be read (its probe result says why).
   */
  readonly lagSeconds: number | null;
  readonly probe: ProbeResult;
}

/**
 * Why a call to a region's API gave no usable answer. The distinction matters because only one
 * of them says anything about the region being gone:
 * - `connectivity`: no answer at all: connection refused or reset, DNS failure, connect or request
 *   timeout, after the SDK's own retries. What a black-holed regional endpoint looks like.
 * - `throttled`: the API answered "slow down" (429, `Throttling`, …). Rate limiting, not an outage:
 *   AWS's answer to throttling is to back off (reference aws-behaviour.md §6).
 * - `server-error`: the API answered with a 5xx (or a service timeout code). The endpoint is up;
 *   a storm of these is a degraded service, not a lost region.
 * - `refused`: the API answered and refused the request (access denied, validation, …).
 */
export const API_ERROR_KINDS = ["connectivity", "throttled", "server-error", "refused"] as const;
export type ApiErrorKind = (typeof API_ERROR_KINDS)[number];

/**
 * RDS-level status as the control plane reports it, normalised. RDS DB instances have no
 * "promoting" status (reference §1.1); a promotion shows as `modifying` and a reboot, so whether a
 * promotion has begun is read from `InstanceView.promotionRequestedAtMs`, never from the status. `unknown` when the
 * region's API did not answer (see `InstanceView.apiReachable`).
 */
export type InstanceStatus =
  | "available"
  | "backing-up"
  | "modifying"
  | "rebooting"
  | "stopped"
  | "stopping"
  | "failed"
  | "storage-full"
  | "deleting"
  | "not-found"
  | "unknown";

/** What the control plane says about one instance. */
export interface InstanceView {
  /** RDS DB instance identifier (or the local cluster's node name in the drill). */
  readonly id: string;
  readonly role: DbRole;
  readonly status: InstanceStatus;
  /** Raw status string from the API, for the report. */
  readonly rawStatus?: string;
  /** Endpoint address (host name) clients connect to, when known. */
  readonly endpoint?: string;
  /** True while this instance replicates from a source (RDS `ReadReplicaSourceDBInstanceIdentifier` set). */
  readonly isReplica: boolean;
  /**
   * False when the region's API gave no usable answer (`apiError` is `connectivity`, `throttled`
   * or `server-error`): the instance's state is unknown, and the next evaluation asks again.
   * True when it answered, including a refusal (`apiError: "refused"`, status `unknown`).
   */
  readonly apiReachable: boolean;
  /**
   * Why describing the instance failed; absent when RDS answered with the instance's state.
   * Only `connectivity` can ever count as evidence of a regional outage, and only when it lasts
   * (see `ClusterSnapshot.primaryApiHistory`); a throttle or a 5xx never does.
   */
  readonly apiError?: ApiErrorKind;
  /**
   * True when the instance is fenced now: the fence's `tap:fenced-at` tag is present and, where the
   * control plane knows the instance's client group (the primary), that group admits no client.
   * A tag left on an instance whose ingress was restored does not count as fenced.
   */
  readonly fenced?: boolean;
  /**
   * When a promotion of this instance was requested (the `tap:promotion-requested-at` tag, written
   * before `PromoteReadReplica` is called). Present = "promotion begun", whatever the status and
   * whether or not RDS has cleared the replica's source yet (both UNCONFIRMED, reference §1.2).
   */
  readonly promotionRequestedAtMs?: number;
  /**
   * Automated backup retention in days (RDS `BackupRetentionPeriod`); absent where the control
   * plane has no such notion (the drill). 0 = backups off, so no point-in-time recovery.
   */
  readonly backupRetentionDays?: number;
  /**
   * When the instance was created (RDS `InstanceCreateTime`). An instance can be promoted
   * only once in its life, so id + creation time names one failover: the report id is built
   * from it, which keeps the id stable whichever trigger resumes an interrupted failover.
   */
  readonly createdAtMs?: number;
}

/**
 * One client ingress rule the fence revoked, as data, so undoing the fence re-authorizes exactly
 * what was there (EC2 `SecurityGroupRule` fields; exactly one source is set).
 */
export interface IngressRule {
  /** `tcp`, `udp`, `icmp` or `-1` (all). */
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidrIpv4?: string;
  readonly cidrIpv6?: string;
  readonly prefixListId?: string;
  readonly referencedGroupId?: string;
  readonly description?: string;
}

/**
 * WAL positions of both databases read in one request (PostgreSQL `pg_current_wal_lsn()` on the
 * primary, `pg_last_wal_replay_lsn()` on the replica), as `X/Y` text.
 */
export interface ReplicationPositions {
  readonly atMs: number;
  /** `null` when the primary could not be read; `primaryDetail` says why. */
  readonly primaryLsn: string | null;
  /** When the primary's postmaster started (`pg_postmaster_start_time()`), epoch ms. */
  readonly primaryStartedAtMs: number | null;
  readonly primaryDetail?: string;
  /** `null` when the replica could not be read or has replayed nothing; `replicaDetail` says why. */
  readonly replicaReplayLsn: string | null;
  readonly replicaDetail?: string;
}

/** Where the `writer` name points right now. */
export interface DnsView {
  /** Target of the writer record (an endpoint host name); `null` if the record is missing. */
  readonly writerTarget: string | null;
  readonly readerTarget: string | null;
}

/**
 * Evidence from an alarm (the second, independent trigger): the primary-unreachable
 * alarm only goes to ALARM after several consecutive breaching minutes.
 */
export interface AlarmEvidence {
  readonly alarmName: string;
  readonly state: "ALARM" | "OK" | "INSUFFICIENT_DATA";
  readonly sinceMs: number;
  readonly reason: string;
}

/**
 * RDS's own metric stream for the primary, read from CloudWatch in the primary's region: the
 * minutes (period starts) in which RDS published at least one datapoint. RDS publishes instance
 * metrics every minute (reference aws-behaviour.md §1.4), so a stream that existed and then went
 * silent for several minutes is a signal that does not share the probe's failure modes. That the
 * stream stops when the host dies is our inference, not an AWS statement.
 */
export type RdsMetricsObservation =
  | {
      readonly kind: "read";
      /** `AWS/RDS` metric read, e.g. `CPUUtilization`. */
      readonly metricName: string;
      readonly periodSeconds: number;
      /** Start of the window read (inclusive) and its end (exclusive), whole periods. */
      readonly windowStartMs: number;
      readonly windowEndMs: number;
      /** Start of every period that holds at least one sample, any order. */
      readonly datapointsAtMs: readonly number[];
    }
  /** CloudWatch of the primary's region gave no usable answer: not "metrics stopped". */
  | { readonly kind: "unreadable"; readonly apiError: ApiErrorKind; readonly detail: string }
  /** This world has no such stream (the local drill). */
  | { readonly kind: "not-observed"; readonly reason: string };

/** One minute of earlier evaluations' view of the primary region's APIs. */
export interface ApiReachabilitySample {
  /** Start of the period. */
  readonly atMs: number;
  /** False when every evaluation in the period failed to connect to the primary region's APIs. */
  readonly reachable: boolean;
}

/**
 * What earlier evaluations saw of the primary region's APIs (the failover function's
 * `PrimaryRegionApiReachable` metric, read back from CloudWatch in the DR region). One
 * invocation cannot see minutes, so the observation is persisted and read back.
 */
export type ApiReachabilityHistory =
  | {
      readonly kind: "read";
      readonly periodSeconds: number;
      /** Any order; only periods with at least one evaluation appear. */
      readonly samples: readonly ApiReachabilitySample[];
    }
  | { readonly kind: "unreadable"; readonly apiError: ApiErrorKind; readonly detail: string }
  | { readonly kind: "not-observed"; readonly reason: string };

/** What asked for this evaluation. */
export type Trigger =
  | { readonly kind: "monitor"; readonly runId: string }
  | { readonly kind: "alarm"; readonly alarm: AlarmEvidence }
  | {
      readonly kind: "manual";
      readonly action: "failover" | "switchover" | "status";
      readonly requestedBy: string;
      readonly reason: string;
      /** Operator explicitly accepts losing the commits the replica had not replayed. */
      readonly acceptDataLoss: boolean;
    };

/**
 * Everything `decide` needs, read once before deciding (Patroni style: read one
 * snapshot, decide purely, then act).
 */
export interface ClusterSnapshot {
  readonly takenAtMs: number;
  readonly trigger: Trigger;
  /** Probe results of the primary, oldest first (the monitor's window). */
  readonly primaryProbes: readonly ProbeResult[];
  /**
   * The newest lag reading taken while the primary was still healthy, i.e. before the
   * first failed probe of the current failure. Lag measured after the primary died
   * grows by definition and says nothing about data at risk. `null` if none is known.
   */
  readonly lastHealthyLag: LagReading | null;
  /**
   * Latest moment the primary was seen answering a probe (an upper bound: history is kept per
   * minute), or `null` when unknown. Only for the lag guard's reasons and for telling a replica
   * that could not be read from a monitor that was silent.
   */
  readonly primaryLastAnsweredAtMs: number | null;
  /**
   * First sign of the current failure after `primaryLastAnsweredAtMs` (a failed probe, the alarm
   * going to ALARM, a minute of failed probes in the monitor's history; an upper bound), or `null`
   * when the evidence shows none. The lag guard judges the reading's age against this moment, so
   * its verdict does not depend on when the decision is made.
   */
  readonly failureFirstSeenAtMs: number | null;
  readonly primary: InstanceView;
  readonly replica: InstanceView;
  readonly dns: DnsView;
  /** RDS's own metric stream for the primary (second signal b). */
  readonly primaryRdsMetrics: RdsMetricsObservation;
  /** Earlier evaluations' view of the primary region's APIs (second signal c). */
  readonly primaryApiHistory: ApiReachabilityHistory;
  /** True when the audit report of the failover that promoted `replica` exists. */
  readonly reportWritten: boolean;
  /** The DR region's copy of the primary's automated backups (what a regional restore restores). */
  readonly drBackups: BackupsView;
  /** True when the replica lives in the primary's region (losing that region loses both). */
  readonly replicaInPrimaryRegion: boolean;
  /**
   * The instance a regional restore creates in the DR region (status `not-found` until one exists).
   * Its `role` is `primary`: once it exists it is the writer-to-be.
   */
  readonly restored: InstanceView;
}

/**
 * The primary's automated backups as replicated to the DR region (RDS cross-region automated
 * backups: snapshots, and transaction logs shipped every 5 minutes, reference §1.6).
 */
export type BackupsView =
  | {
      readonly kind: "available";
      /** `DBInstanceAutomatedBackupsArn`: what `RestoreDBInstanceToPointInTime` restores from. */
      readonly arn: string;
      /** `RestoreWindow.LatestTime`: the newest moment a restore can reach. */
      readonly latestRestorableTimeMs: number;
      /** `RestoreWindow.EarliestTime`, when known. */
      readonly earliestRestorableTimeMs: number | null;
      /** `BackupRetentionPeriod` of the replicated backups, days. */
      readonly retentionDays: number;
    }
  /** RDS answered: there is no replicated backup of the primary with a restore window. */
  | { readonly kind: "missing"; readonly reason: string }
  /** The DR region's RDS API gave no usable answer. */
  | { readonly kind: "unreadable"; readonly apiError: ApiErrorKind; readonly detail: string };

/** Tunables of the failover decision. Defaults live in `policy.ts`. */
export interface FailoverPolicy {
  /** Probes per monitor run. */
  readonly probesPerRun: number;
  /** Seconds between two probes inside one run. */
  readonly probeIntervalSeconds: number;
  /** Timeout of one probe. */
  readonly probeTimeoutSeconds: number;
  /** Consecutive failed primary probes needed before failing over. */
  readonly consecutiveFailuresToFailover: number;
  /** Never fail over automatically when the last healthy lag exceeded this (RPO guard). */
  readonly maxReplicationLagSeconds: number;
  /** Fail over even when the lag guard trips (accepting data loss). Off by default. */
  readonly acceptDataLoss: boolean;
  /** How old the last healthy lag reading may be before it is considered unknown. */
  readonly maxLagReadingAgeSeconds: number;
  /**
   * Minutes without any datapoint of RDS's own metric stream for the primary (after datapoints
   * existed earlier) that count as a second signal. Must exceed CloudWatch's ingestion delay:
   * the newest 1–2 minutes may be missing on a healthy instance too.
   */
  readonly rdsMetricsSilentMinutes: number;
  /**
   * Minutes of failed connections (not throttles, not 5xx answers) to the primary region's APIs,
   * seen by consecutive evaluations, that count as a second signal.
   */
  readonly apiOutageMinutes: number;
  /**
   * What happens when the writer's region is lost and no replica can be promoted: `auto` restores
   * a new writer in the DR region from the replicated automated backups, `approve` waits for an
   * operator's approval first, `off` only alerts.
   */
  readonly regionalRestore: RegionalRestoreMode;
  /**
   * Minutes the regional loss must last (from the first failed probe) before a restore starts: a
   * restore takes hours and loses up to the last log shipment, so a short outage must pass first.
   */
  readonly restoreConfirmationMinutes: number;
}

/** The `tap:regionalRestore` modes (see {@link FailoverPolicy.regionalRestore}). */
export type RegionalRestoreMode = "auto" | "approve" | "off";
export const REGIONAL_RESTORE_MODES: readonly RegionalRestoreMode[] = ["auto", "approve", "off"];

/** The steps that carry out a failover, in order. Each is idempotent and re-reads state first. */
export type FailoverStep =
  | "notify-start"
  | "fence-old-primary"
  | "wait-replica-caught-up"
  | "promote-replica"
  | "wait-replica-writable"
  | "switch-writer"
  | "enable-backups"
  | "notify-success"
  | "write-report"
  /** Regional restore: `RestoreDBInstanceToPointInTime` into the DR region (skipped when begun). */
  | "restore-from-backup"
  /** Regional restore: wait until the restored instance is available and writable. */
  | "wait-restored";

/**
 * The decision, a discriminated union; every variant carries a human-readable `reason`
 * sentence that ends up in logs, alerts and the report.
 */
export type Decision =
  | { readonly kind: "none"; readonly reason: string }
  | { readonly kind: "alert-only"; readonly reason: string; readonly severity: "warning" | "critical" }
  | {
      readonly kind: "promote-replica";
      readonly reason: string;
      /** When the failure began (first failed probe of the consecutive run, or the alarm's start). */
      readonly failureStartedAtMs: number;
      /** When the failure was confirmed (the probe or alarm that met the threshold). */
      readonly detectedAtMs: number;
      readonly planned: boolean;
      readonly steps: readonly FailoverStep[];
    }
  | {
      readonly kind: "complete-failover";
      readonly reason: string;
      /** The steps still missing from a failover that was interrupted. */
      readonly steps: readonly FailoverStep[];
    }
  | {
      readonly kind: "blocked";
      readonly reason: string;
      readonly guard:
        "replication-lag" | "lag-unknown" | "replica-unhealthy" | "dns-missing" | "regional-restore";
    }
  | {
      /**
       * The writer's region is lost and no replica can be promoted: restore a new writer in the DR
       * region from the replicated backups (or carry on with a restore that began).
       */
      readonly kind: "restore-in-dr-region";
      readonly reason: string;
      readonly failureStartedAtMs: number;
      readonly detectedAtMs: number;
      /** The restore point: the backups' latest restorable time when decided. */
      readonly latestRestorableTimeMs: number;
      /** The steps to run (a suffix of `RESTORE_STEPS` when a restore is resumed). */
      readonly steps: readonly FailoverStep[];
    };

export type DecisionKind = Decision["kind"];
