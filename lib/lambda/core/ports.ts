/**
 * Ports: the narrow interfaces the domain code depends on. AWS adapters
 * (`lib/lambda/adapters/aws`) implement them for Lambda; local adapters (`lib/drill`)
 * implement them for the drill on real PostgreSQL. The decision and action code is
 * the same in both.
 *
 * Contract shared by every adapter: calls that observe (probe, describe, read) never
 * throw for an unhealthy or unreachable target; they return a result that says so.
 * Calls that act (promote, fence, set DNS, notify, store) throw a named error from
 * `errors.ts` when they fail, with the underlying error as `cause`.
 */
import type { AlertLedger } from "./alerts";
import type { WorkflowInput } from "./workflow";
import type {
  ApiReachabilityHistory,
  BackupsView,
  DbRole,
  DnsView,
  IngressRule,
  InstanceView,
  LagEvidence,
  LagReading,
  ProbeResult,
  RdsMetricsObservation,
  ReplicationPositions,
} from "./types";

/** Talks SQL to the databases (IAM auth over TLS on AWS, password auth in the drill). */
export interface DatabaseProbe {
  /**
   * Probe the primary: connect, `SELECT 1`, then write the heartbeat row (so a fenced or
   * read-only primary shows up as `read-only`). Bounded by `timeoutMs` end to end.
   */
  probePrimary(timeoutMs: number): Promise<ProbeResult>;
  /**
   * Read the newest heartbeat on the replica and return the lag (replica clock now minus
   * the newest heartbeat timestamp). Bounded by `timeoutMs`.
   */
  readReplicaLag(timeoutMs: number): Promise<LagReading>;
  /**
   * Read the primary's current WAL position (with its postmaster start time) and the replica's
   * replayed WAL position, each bounded by `timeoutMs`. Never throws for an unreachable database:
   * the unreadable side is `null` with the reason. On AWS only the health-monitor has a network
   * path to the databases, so the failover function asks it (a synchronous Lambda invoke).
   */
  replicationPositions(timeoutMs: number): Promise<ReplicationPositions>;
}

/** Outcome of fencing the old primary. */
export interface FenceResult {
  /** True when the old primary can no longer accept client writes (or was already fenced). */
  readonly fenced: boolean;
  /** What was done or why it could not be done (e.g. its region's API did not answer). */
  readonly detail: string;
  /** The client ingress rules this fence revoked, so `unfencePrimary` restores exactly them. */
  readonly revokedIngress?: readonly IngressRule[];
  /**
   * Set when the fence ended the old sessions by restarting the engine (a reboot it requested, or
   * one already running): sessions from before the fence are gone only once the engine has
   * restarted after this moment, so a caught-up check must read a primary started after it.
   */
  readonly restartAfterMs?: number;
}

/** Outcome of undoing a switchover's fence. */
export interface UnfenceResult {
  /** True when clients are admitted again (every revoked rule is back and the fence tag is gone). */
  readonly restored: boolean;
  readonly detail: string;
}

/** Control plane of the two instances (RDS API on AWS, process + admin connection in the drill). */
export interface DatabaseControl {
  /** Current state of one instance. Never throws: an unreachable API gives `apiReachable: false`. */
  describe(role: DbRole): Promise<InstanceView>;
  /**
   * Stop the old primary from accepting client writes (AWS: remove client ingress from its
   * security group; drill: make it refuse writes). Best effort: if its API is unreachable,
   * returns `fenced: false` with the reason instead of throwing.
   */
  fencePrimary(): Promise<FenceResult>;
  /**
   * Undo a switchover's fence: re-authorize exactly the client ingress rules `fence` revoked and
   * remove the fence mark (AWS: the `tap:fenced-at` tag; drill: read-write again), so the old
   * writer serves clients again. Idempotent (a rule already present counts as restored). Throws a
   * named error when it cannot be done.
   */
  unfencePrimary(fence: FenceResult): Promise<UnfenceResult>;
  /**
   * Promote the replica to a standalone writer. First marks the promotion as begun (AWS: the
   * `tap:promotion-requested-at` tag) so an interrupted run resumes whatever status RDS shows,
   * then requests it (AWS: `PromoteReadReplica` with backups off, see `enableBackups`).
   * Idempotent: a no-op when it is already promoted or the promotion is running.
   */
  promoteReplica(): Promise<void>;
  /**
   * Turn automated backups on for the promoted replica (AWS: `ModifyDBInstance`
   * `BackupRetentionPeriod`, applied immediately), after `writer` moved to it, so the promotion
   * does not include a backup but the new writer still gets point-in-time recovery. Idempotent.
   * Returns what was done.
   */
  enableBackups(): Promise<string>;
  /**
   * For a planned switchover: resolve when the replica has replayed everything the fenced primary
   * wrote (its replayed WAL position reaches the primary's position read after the fence took
   * effect, see `FenceResult.restartAfterMs`); throws after `timeoutMs`.
   */
  waitUntilCaughtUp(timeoutMs: number, fence: FenceResult): Promise<void>;
}

/**
 * The DR region's side of a regional loss: the replicated automated backups of the primary, and
 * the instance a restore from them creates (AWS: RDS in the DR region; drill: PostgreSQL
 * point-in-time recovery from a base backup and archived WAL).
 */
export interface RegionalRecovery {
  /** True when the replica lives in the primary's region: losing that region loses both. */
  readonly replicaInPrimaryRegion: boolean;
  /** The replicated backups. Never throws: an unreachable API gives `kind: "unreadable"`. */
  backups(): Promise<BackupsView>;
  /**
   * The restored instance: status `not-found` until a restore created it. Never throws (see
   * `DatabaseControl.describe`).
   */
  describeRestored(): Promise<InstanceView>;
  /**
   * Start restoring a new writer from `backups` to their latest restorable time. Idempotent: a
   * no-op when the restored instance already exists. Throws a named error when RDS refuses.
   */
  restoreLatest(backups: Extract<BackupsView, { kind: "available" }>): Promise<void>;
}

/** The `writer` / `reader` names clients resolve (Route 53 private zone on AWS). */
export interface Dns {
  read(): Promise<DnsView>;
  /** Point `writer` at `target` (UPSERT) and resolve once the change is in sync everywhere. */
  setWriter(target: string, timeoutMs: number): Promise<void>;
  /** Point `reader` at `target` (UPSERT) and resolve once the change is in sync everywhere. */
  setReader(target: string, timeoutMs: number): Promise<void>;
}

export type Severity = "info" | "warning" | "critical";

/** A message for people (SNS on AWS, a file in the drill). */
export interface Notification {
  readonly subject: string;
  readonly severity: Severity;
  /** Event type, e.g. `failover-started`, `failover-succeeded`, `failover-failed`, `failover-blocked`. */
  readonly event: string;
  readonly message: string;
  /** Structured detail (decision, state), rendered as JSON under the message. */
  readonly detail?: Record<string, unknown>;
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
}

/** One entry of a report's timeline. */
export interface TimelineEntry {
  readonly atMs: number;
  /** Short machine-readable event name: `fault-injected`, `probe`, `decision`, `fenced`, `promoted`, `writer-switched`, … */
  readonly event: string;
  readonly detail: string;
}

/** The audit record of one failover, switchover or drill. */
export interface FailoverReport {
  /** Unique, stable id; also the object name (`reports/<kind>/<id>.json`). */
  readonly id: string;
  readonly kind: "failover" | "switchover" | "restore" | "drill";
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  readonly outcome: "succeeded" | "failed" | "not-needed" | "blocked";
  readonly decisions: readonly { readonly atMs: number; readonly kind: string; readonly reason: string }[];
  readonly timeline: readonly TimelineEntry[];
  readonly figures: {
    /** Failure start → failure confirmed. */
    readonly detectionSeconds: number | null;
    /** Promotion call → replica writable. */
    readonly promotionSeconds: number | null;
    /** Failure start → writer switched (the last step clients need). */
    readonly rtoSeconds: number | null;
    /** Last healthy replication lag: the window of commits that may be lost. */
    readonly dataLossWindowSeconds: number | null;
  };
  readonly oldPrimary: InstanceView;
  readonly newPrimary: InstanceView;
  readonly error?: string;
}

export interface ReportStore {
  /** Store the report; returns where it went (S3 URI or file path). */
  put(report: FailoverReport): Promise<string>;
  /** True when a report with this id and kind exists. */
  exists(kind: FailoverReport["kind"], id: string): Promise<boolean>;
}

/**
 * Where the last healthy lag comes from when the monitor's own run has none (the primary
 * was already down when the run started): CloudWatch metric history on AWS, the drill's
 * in-memory record locally.
 */
export interface LagHistory {
  /**
   * The lag evidence recorded up to `nowMs`, looking back `lookbackSeconds`: the newest healthy
   * lag reading, the last moment the primary answered and the first failure seen after it.
   * Throws when the history cannot be read ("no history" and "history unreadable" differ).
   */
  lagEvidence(nowMs: number, lookbackSeconds: number): Promise<LagEvidence>;
}

/**
 * Evidence about the primary that does not share the probe's failure modes (the second signal):
 * RDS's own metric stream for it, and what earlier evaluations saw of its region's APIs. Both
 * calls observe, so they never throw: a source that cannot be read gives `unreadable`, a world
 * without such a source gives `not-observed`.
 */
export interface PrimaryHealthSignals {
  /**
   * The minutes in which RDS published the primary's instance metrics, over the `lookbackMinutes`
   * whole minutes before `nowMs` (AWS: CloudWatch `AWS/RDS` in the primary's region).
   */
  rdsMetrics(nowMs: number, lookbackMinutes: number): Promise<RdsMetricsObservation>;
  /**
   * Per minute, whether earlier evaluations reached the primary region's APIs, over the
   * `lookbackMinutes` whole minutes before `nowMs` (AWS: the failover function's own
   * `PrimaryRegionApiReachable` metric, in the DR region).
   */
  apiReachabilityHistory(nowMs: number, lookbackMinutes: number): Promise<ApiReachabilityHistory>;
}

export interface Clock {
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

/** All ports together, as handed to the orchestrator. */
export interface Ports {
  readonly probe: DatabaseProbe;
  readonly control: DatabaseControl;
  readonly recovery: RegionalRecovery;
  readonly dns: Dns;
  readonly notifier: Notifier;
  readonly reports: ReportStore;
  readonly lagHistory: LagHistory;
  readonly primaryHealth: PrimaryHealthSignals;
  /** Last send time of each de-duplicated alert (S3 on AWS, in memory in the drill). */
  readonly alerts: AlertLedger;
  readonly clock: Clock;
}

/** Status of a Step Functions execution (`DescribeExecution`). */
export type ExecutionStatus =
  "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED" | "PENDING_REDRIVE";

/** One execution of the failover state machine, as far as a trigger reports it. */
export interface ExecutionSummary {
  readonly name: string;
  readonly arn: string;
  readonly status: ExecutionStatus;
  readonly startedAtMs: number;
  readonly stoppedAtMs: number | null;
}

/** What became of a start request. */
export interface ExecutionStart extends ExecutionSummary {
  /**
   * True when this request started it (or repeated the start of a running execution with the same
   * input: Step Functions' idempotent `StartExecution`); false when an execution of that name
   * already existed with another input or has closed (`ExecutionAlreadyExists`): it was read back,
   * not repeated.
   */
  readonly started: boolean;
}

/**
 * The failover workflow as the failover function sees it (Step Functions on AWS; the same
 * definition run by `aws-local-stepfunctions` in the drill and the simulator).
 */
export interface FailoverWorkflow {
  /** Executions still running, newest first. Throws when they cannot be listed. */
  running(): Promise<readonly ExecutionSummary[]>;
  /** Start the execution `name` with `input`, idempotently (see `ExecutionStart.started`). */
  start(name: string, input: WorkflowInput): Promise<ExecutionStart>;
}
