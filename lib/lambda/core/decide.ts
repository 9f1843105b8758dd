/**
 * The failover decision: `decide(snapshot, policy, nowMs)`, a pure function, and the pure
 * checks it is made of. Each check returns *why not* when something may not happen, so the
 * reason ends up verbatim in logs, alerts and the audit report (the Patroni / Stolon shape:
 * read one snapshot, decide purely, then act).
 */
import { maxEvidenceAgeSeconds, policyProblems } from "./policy";
import { PROBE_OUTCOMES } from "./types";
import { regionalDecision } from "./regional";
import type {
  ApiErrorKind,
  ApiReachabilityHistory,
  ClusterSnapshot,
  Decision,
  FailoverPolicy,
  FailoverStep,
  InstanceStatus,
  InstanceView,
  LagReading,
  ProbeResult,
  RdsMetricsObservation,
  Trigger,
} from "./types";

/** Steps of an unplanned failover, in order. */
export const FAILOVER_STEPS: readonly FailoverStep[] = Object.freeze([
  "notify-start",
  "fence-old-primary",
  "promote-replica",
  "wait-replica-writable",
  "switch-writer",
  "enable-backups",
  "write-report",
  "notify-success",
] as const);

/** Every step there is: a switchover's, and a regional restore's own. */
export const ALL_STEPS: readonly FailoverStep[] = Object.freeze([
  "notify-start",
  "fence-old-primary",
  "wait-replica-caught-up",
  "promote-replica",
  "wait-replica-writable",
  "restore-from-backup",
  "wait-restored",
  "switch-writer",
  "enable-backups",
  "write-report",
  "notify-success",
] as const);

/** The unplanned failover's steps from `step` on: what an interrupted failover still has to do. */
function stepsFrom(step: FailoverStep): FailoverStep[] {
  return FAILOVER_STEPS.slice(FAILOVER_STEPS.indexOf(step));
}

/**
 * Steps of a planned switchover: the old primary is fenced first and the replica must replay
 * everything it wrote before it is promoted, so no committed transaction is lost.
 */
export const SWITCHOVER_STEPS: readonly FailoverStep[] = Object.freeze([
  "notify-start",
  "fence-old-primary",
  "wait-replica-caught-up",
  "promote-replica",
  "wait-replica-writable",
  "switch-writer",
  "enable-backups",
  "write-report",
  "notify-success",
] as const);

/**
 * Primary states RDS itself brings back to `available` (a reboot, maintenance, a modification, a
 * backup). Probes failing during one of them are expected for a minute or two, so they are a second
 * signal only once the primary-unreachable alarm confirms minutes of failure: failing over on every
 * maintenance reboot would trade a short planned blip for data loss and a day of reconciliation.
 */
const TRANSIENT_STATUSES: readonly InstanceStatus[] = ["rebooting", "modifying", "backing-up"];

/** Replica states from which promotion cannot succeed or makes no sense. */
const UNUSABLE_STATUSES: readonly InstanceStatus[] = [
  "failed",
  "storage-full",
  "deleting",
  "not-found",
  "stopped",
  "stopping",
];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Seconds for a sentence: more than two decimals are noise in a lag reading. */
function roundSeconds(value: number): number {
  return Math.round(value * 100) / 100;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

// ---------------------------------------------------------------------------------------------
// Snapshot sanity

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * What is structurally wrong with a snapshot (non-finite times, probes out of order, an
 * unknown trigger), or `null` when it can be trusted. A malformed snapshot is a bug in
 * whoever built it; acting on it could promote on evidence that does not exist.
 */
export function snapshotProblem(snapshot: ClusterSnapshot, nowMs: number): string | null {
  if (!isFiniteNumber(nowMs)) return `the evaluation time is ${String(nowMs)}, not a number of milliseconds`;
  if (!isFiniteNumber(snapshot.takenAtMs)) return `takenAtMs is ${String(snapshot.takenAtMs)}`;
  const trigger = snapshot.trigger as Trigger | undefined;
  switch (trigger?.kind) {
    case "monitor":
      break;
    case "alarm":
      if (!isFiniteNumber(trigger.alarm?.sinceMs))
        return `the alarm's sinceMs is ${String(trigger.alarm?.sinceMs)}`;
      if (!["ALARM", "OK", "INSUFFICIENT_DATA"].includes(trigger.alarm.state)) {
        return `the alarm state ${JSON.stringify(trigger.alarm.state)} is not ALARM, OK or INSUFFICIENT_DATA`;
      }
      break;
    case "manual":
      if (!["failover", "switchover", "status"].includes(trigger.action)) {
        return `the manual action ${JSON.stringify(trigger.action)} is not one of failover, switchover, status`;
      }
      break;
    case undefined:
    default:
      // Also reached at run time by a kind outside the type: the snapshot comes from outside.
      return `the trigger ${JSON.stringify(trigger)} is not a monitor, alarm or manual trigger`;
  }
  if (!Array.isArray(snapshot.primaryProbes)) return "primaryProbes is not a list";
  let previousAtMs = -Infinity;
  for (const [index, probe] of snapshot.primaryProbes.entries()) {
    if (typeof probe !== "object" || probe === null) return `primaryProbes[${index}] is ${String(probe)}`;
    if (!isFiniteNumber(probe.atMs)) return `primaryProbes[${index}].atMs is ${String(probe.atMs)}`;
    if (!isFiniteNumber(probe.latencyMs) || probe.latencyMs < 0) {
      return `primaryProbes[${index}].latencyMs is ${String(probe.latencyMs)}`;
    }
    if (!PROBE_OUTCOMES.includes(probe.outcome)) {
      return `primaryProbes[${index}].outcome ${JSON.stringify(probe.outcome)} is not a known probe outcome`;
    }
    if (probe.target !== "primary") return `primaryProbes[${index}] probed the ${String(probe.target)}`;
    if (probe.atMs < previousAtMs) {
      return (
        `primaryProbes[${index}] (${iso(probe.atMs)}) is older than primaryProbes[${index - 1}] ` +
        `(${iso(previousAtMs)}); probes must be oldest first`
      );
    }
    previousAtMs = probe.atMs;
  }
  if (snapshot.lastHealthyLag === undefined) return "lastHealthyLag is missing (null when unknown)";
  if (snapshot.lastHealthyLag !== null && !isFiniteNumber(snapshot.lastHealthyLag.atMs)) {
    return `lastHealthyLag.atMs is ${String(snapshot.lastHealthyLag.atMs)}`;
  }
  for (const key of ["primaryLastAnsweredAtMs", "failureFirstSeenAtMs"] as const) {
    const value: unknown = snapshot[key];
    if (value !== null && !isFiniteNumber(value)) return `${key} is ${String(value)} (null when unknown)`;
  }
  if (!snapshot.primary || !snapshot.replica || !snapshot.dns)
    return "the primary, replica or DNS view is missing";
  const metricsKind = (snapshot.primaryRdsMetrics as RdsMetricsObservation | undefined)?.kind;
  const historyKind = (snapshot.primaryApiHistory as ApiReachabilityHistory | undefined)?.kind;
  const kinds = ["read", "unreadable", "not-observed"];
  if (!kinds.includes(metricsKind ?? "") || !kinds.includes(historyKind ?? "")) {
    return (
      `primaryRdsMetrics (${JSON.stringify(metricsKind)}) or primaryApiHistory (${JSON.stringify(historyKind)}) ` +
      `is not read, unreadable or not-observed (use not-observed where the world has no such signal)`
    );
  }
  if (snapshot.primary.role !== "primary" || snapshot.replica.role !== "replica") {
    return `the instance views have roles ${snapshot.primary.role} / ${snapshot.replica.role} instead of primary / replica`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Evidence of a failure

/** Number of failed probes at the end of the window (the failure that is still going on). */
export function consecutiveFailures(probes: readonly ProbeResult[]): number {
  let count = 0;
  for (let i = probes.length - 1; i >= 0 && probes[i].outcome !== "ok"; i--) count++;
  return count;
}

/** When the current failure began and when it was confirmed. */
export interface FailureWindow {
  readonly failureStartedAtMs: number;
  readonly detectedAtMs: number;
}

/**
 * Start of the failure according to the evidence: the first probe of the trailing run of
 * failed probes; else, for an alarm, the moment it went to ALARM; else the moment the
 * snapshot was taken (a manual request). Used for the lag-history look-up, the lag reading's
 * age and the report.
 */
export function failureStartMs(trigger: Trigger, probes: readonly ProbeResult[], takenAtMs: number): number {
  const failed = consecutiveFailures(probes);
  if (failed > 0) return probes[probes.length - failed].atMs;
  if (trigger.kind === "alarm") return trigger.alarm.sinceMs;
  return takenAtMs;
}

/**
 * Whether the probes alone prove a failure: `threshold` consecutive failed probes at the end
 * of the window. Returns the window, or why not.
 */
export function probeEvidence(
  probes: readonly ProbeResult[],
  threshold: number,
):
  | { readonly confirmed: true; readonly window: FailureWindow }
  | { readonly confirmed: false; readonly reason: string } {
  if (probes.length === 0) return { confirmed: false, reason: "No probe of the primary was made." };
  const trailing = consecutiveFailures(probes);
  const failedTotal = probes.filter((p) => p.outcome !== "ok").length;
  if (trailing >= threshold) {
    const first = probes.length - trailing;
    return {
      confirmed: true,
      window: { failureStartedAtMs: probes[first].atMs, detectedAtMs: probes[first + threshold - 1].atMs },
    };
  }
  if (failedTotal === 0) {
    return { confirmed: false, reason: `All ${probes.length} probes of the primary succeeded.` };
  }
  const outcomes = probes.map((p) => p.outcome).join(", ");
  const run = trailing === 0 ? "and the last probe succeeded" : `but only the last ${trailing} in a row`;
  return {
    confirmed: false,
    reason:
      `${failedTotal} of ${probes.length} probes failed (${outcomes}) ${run}; ` +
      `${threshold} consecutive failures are needed before failing over.`,
  };
}

// ---------------------------------------------------------------------------------------------
// The second signal

/** Which independent signal confirmed the probes. */
export type SecondSignalSource = "rds-status" | "rds-metrics-stopped" | "api-outage";

/** One signal's verdict: present or not, and the sentence that says why. */
export interface SignalVerdict {
  readonly present: boolean;
  readonly reason: string;
}

/** The second signal: which one confirmed the failure, or why none did (all three said). */
export type SecondSignal =
  | { readonly present: true; readonly source: SecondSignalSource; readonly reason: string }
  | { readonly present: false; readonly reason: string };

const MINUTE_MS = 60_000;

function minutes(ms: number): string {
  return `${Math.round(ms / 6_000) / 10} min`;
}

/** How a failed describe is said in a sentence. */
function apiErrorSentence(kind: ApiErrorKind): string {
  switch (kind) {
    case "connectivity":
      return "could not be reached (no connection or no answer)";
    case "throttled":
      return "throttled the request (rate limiting, not an outage)";
    case "server-error":
      return "answered with a server error (a degraded service, not a lost region)";
    case "refused":
      return "refused the request (a permissions or request problem, not an outage)";
  }
}

/**
 * Why the describe of `view` failed, if it did. A view from before `apiError` existed that says
 * only `apiReachable: false` meant "no answer", i.e. connectivity.
 */
function describeFailure(view: InstanceView): ApiErrorKind | undefined {
  return view.apiError ?? (view.apiReachable ? undefined : "connectivity");
}

/**
 * Signal (a): RDS itself reports the primary in a state other than `available`. Only a status RDS
 * actually returned counts: a describe that failed (throttled, 5xx, refused, no connection) leaves
 * the status unknown, which is no signal either way.
 */
export function rdsStatusSignal(primary: InstanceView): SignalVerdict {
  const kind = describeFailure(primary);
  if (kind !== undefined) {
    return {
      present: false,
      reason: `the RDS API of the primary's region ${apiErrorSentence(kind)}, so the primary's status is unknown`,
    };
  }
  if (primary.status !== "available") {
    return {
      present: true,
      reason: `RDS reports the primary ${primary.id} as ${primary.rawStatus ?? primary.status}`,
    };
  }
  return { present: false, reason: `RDS still reports the primary ${primary.id} as available` };
}

/**
 * Signal (b): RDS's own metric stream for the primary stopped. RDS publishes instance metrics
 * every minute (reference aws-behaviour.md §1.4); "stopped" means datapoints existed earlier in
 * the window and none covers the last `rdsMetricsSilentMinutes`. Silence is counted from the end
 * of the newest period that has data, and only whole periods were read, so CloudWatch's ingestion
 * delay (the newest 1–2 minutes may be missing on a healthy instance) stays below the 3-minute
 * minimum the policy allows. That the stream stops when the host dies is our inference, not an
 * AWS statement. A CloudWatch that cannot be read is not a stopped stream.
 */
export function rdsMetricsSignal(
  observation: RdsMetricsObservation,
  policy: FailoverPolicy,
  atMs: number,
): SignalVerdict {
  switch (observation.kind) {
    case "not-observed":
      return { present: false, reason: `RDS's own metrics are not observed here (${observation.reason})` };
    case "unreadable":
      return {
        present: false,
        reason:
          `CloudWatch in the primary's region ${apiErrorSentence(observation.apiError)} (${observation.detail}), ` +
          `which says nothing about RDS's metrics having stopped`,
      };
    case "read":
      break;
  }
  const periodMs = observation.periodSeconds * 1000;
  const newestAtMs = Math.max(
    -Infinity,
    ...observation.datapointsAtMs.filter(
      (at) => at >= observation.windowStartMs && at < observation.windowEndMs,
    ),
  );
  const windowMinutes = minutes(observation.windowEndMs - observation.windowStartMs);
  if (!Number.isFinite(newestAtMs)) {
    return {
      present: false,
      reason:
        `RDS published no ${observation.metricName} datapoint for the primary in the last ${windowMinutes}, ` +
        `so there is no stream that could be seen to stop`,
    };
  }
  const silentMs = atMs - (newestAtMs + periodMs);
  const limitMs = policy.rdsMetricsSilentMinutes * MINUTE_MS;
  const newest = iso(newestAtMs + periodMs);
  if (silentMs >= limitMs) {
    return {
      present: true,
      reason:
        `RDS's own ${observation.metricName} metric for the primary stopped: its newest datapoint ends at ` +
        `${newest}, ${minutes(silentMs)} of silence (${policy.rdsMetricsSilentMinutes} min count as stopped)`,
    };
  }
  return {
    present: false,
    reason:
      `RDS still publishes ${observation.metricName} for the primary (newest datapoint ends at ${newest}, ` +
      `${minutes(Math.max(0, silentMs))} ago; up to 2 min is ordinary ingestion delay)`,
  };
}

/**
 * Whether this evaluation reached the primary region's APIs: false when the RDS describe of the
 * primary, or the read of RDS's metrics from CloudWatch in that region, failed to connect. A
 * throttle, a 5xx or a refusal is an answer, so it counts as reached. This is the value the
 * failover function records (`PrimaryRegionApiReachable`) for later evaluations to read back.
 */
export function primaryRegionReached(primary: InstanceView, metrics: RdsMetricsObservation): boolean {
  if (describeFailure(primary) === "connectivity") return false;
  if (metrics.kind === "unreadable" && metrics.apiError === "connectivity") return false;
  return true;
}

/**
 * Signal (c): connectivity failures to the primary region's APIs sustained across
 * `apiOutageMinutes`. One invocation cannot see minutes, so earlier evaluations' observations are
 * read back (`primaryApiHistory`, one sample per minute holding the best of that minute). Present
 * when RDS gave no status now, this evaluation failed to connect, and the history shows an
 * unbroken run of unreached minutes (no reached minute after its start) that began at least
 * `apiOutageMinutes` ago and has at least `apiOutageMinutes - 1` minutes in it besides this one.
 * A sample is dated at the end of its minute, so the duration is never overstated. Throttles and
 * 5xx answers never count (reference aws-behaviour.md §6): they are recorded as "reached".
 */
export function apiOutageSignal(
  primary: InstanceView,
  metrics: RdsMetricsObservation,
  history: ApiReachabilityHistory,
  policy: FailoverPolicy,
  atMs: number,
): SignalVerdict {
  const needed = policy.apiOutageMinutes;
  const failure = describeFailure(primary);
  if (failure === undefined) {
    return { present: false, reason: `the RDS API of the primary's region answers` };
  }
  if (primaryRegionReached(primary, metrics)) {
    return {
      present: false,
      reason: `the RDS API of the primary's region ${apiErrorSentence(failure)}, which is an answer, not an outage`,
    };
  }
  switch (history.kind) {
    case "not-observed":
      return {
        present: false,
        reason: `no history of the primary region's APIs is kept here (${history.reason})`,
      };
    case "unreadable":
      return {
        present: false,
        reason:
          `the primary region's APIs could not be reached now, but the history of earlier evaluations could not be ` +
          `read (${history.detail}), so how long that has lasted is unknown`,
      };
    case "read":
      break;
  }
  const periodMs = history.periodSeconds * 1000;
  const samples = [...history.samples].filter((s) => s.atMs < atMs).sort((a, b) => a.atMs - b.atMs);
  let runStart = samples.length;
  while (runStart > 0 && !samples[runStart - 1].reachable) runStart--;
  const run = samples.slice(runStart);
  if (run.length === 0) {
    return {
      present: false,
      reason:
        `the primary region's APIs could not be reached now, but no earlier evaluation saw that; ` +
        `${needed} min of failed connections are needed`,
    };
  }
  const sinceMs = run[0].atMs + periodMs;
  const lastedMs = atMs - sinceMs;
  if (lastedMs >= needed * MINUTE_MS && run.length + 1 >= needed) {
    return {
      present: true,
      reason:
        `connections to the primary region's APIs have failed in every evaluation since ${iso(sinceMs)} ` +
        `(${minutes(lastedMs)}, ${run.length + 1} evaluated minutes; ${needed} min count as an outage)`,
    };
  }
  return {
    present: false,
    reason:
      `connections to the primary region's APIs have failed since ${iso(sinceMs)} (${minutes(Math.max(0, lastedMs))}, ` +
      `${run.length + 1} evaluated minutes), not yet the ${needed} min that count as an outage`,
  };
}

/**
 * The second, independent signal that the primary is really gone (not just unreachable from the
 * monitor's network path), any one of: (a) RDS reports it in a state other than `available`,
 * (b) RDS's own metric stream for it stopped, (c) connections to its region's APIs failed for
 * minutes. A throttled or 5xx describe is never evidence (reference aws-behaviour.md §6). Returns
 * the signal with a reason naming which one, or why there is none (all three said).
 */
export function secondSignal(snapshot: ClusterSnapshot, policy: FailoverPolicy): SecondSignal {
  const { primary, primaryRdsMetrics, primaryApiHistory, takenAtMs } = snapshot;
  const status = rdsStatusSignal(primary);
  if (status.present) {
    return { present: true, source: "rds-status", reason: `${status.reason} (second signal: RDS status)` };
  }
  const metrics = rdsMetricsSignal(primaryRdsMetrics, policy, takenAtMs);
  if (metrics.present) {
    return {
      present: true,
      source: "rds-metrics-stopped",
      reason: `${metrics.reason} (second signal: RDS metrics stopped)`,
    };
  }
  const outage = apiOutageSignal(primary, primaryRdsMetrics, primaryApiHistory, policy, takenAtMs);
  if (outage.present) {
    return { present: true, source: "api-outage", reason: `${outage.reason} (second signal: API outage)` };
  }
  return {
    present: false,
    reason:
      `there is no second signal: ${status.reason}; ${metrics.reason}; ${outage.reason}. The failed probes ` +
      `may be a network path, load or credentials problem between the monitor and the database`,
  };
}

/** Why the replica cannot be promoted now, or `null` when it can. */
export function replicaIneligibility(replica: InstanceView): string | null {
  if (!replica.apiReachable) {
    return `The RDS API of the replica ${replica.id} did not answer, so it can be neither checked nor promoted.`;
  }
  if (replica.status === "backing-up") {
    // RDS refuses PromoteReadReplica while a backup runs (InvalidDBInstanceState).
    return `The replica ${replica.id} is backing up; RDS refuses to promote it until the backup ends.`;
  }
  if (replica.status !== "available") {
    return `The replica ${replica.id} is ${replica.rawStatus ?? replica.status}, not available; promoting it would not give a writer.`;
  }
  if (!replica.isReplica) return `The replica ${replica.id} is not replicating from the primary.`;
  if (!replica.endpoint) return `The replica ${replica.id} has no known endpoint to point the writer at.`;
  return null;
}

/** Result of the lag guard: pass (with what was measured), or blocked with the guard that tripped. */
export type LagCheck =
  | { readonly ok: true; readonly reason: string; readonly dataLossWindowSeconds: number | null }
  | { readonly ok: false; readonly guard: "replication-lag" | "lag-unknown"; readonly reason: string };

/**
 * The RPO guard. The reading must have been taken while the primary answered (lag measured after
 * the primary died grows by definition) and be recent enough, at the first sign of the failure
 * (`failureSeenAtMs`), to describe the moment it died. That moment lies in the past and does not
 * move, so the verdict is the same whether the decision comes 30 s or 10 minutes after the fault.
 * `primaryLastAnsweredAtMs` only says why a reading is too old: the replica could not be read while
 * the primary answered, or nothing watched the primary. A lag beyond `maxReplicationLagSeconds`
 * passes only when data loss is accepted; an unknown lag passes only when `acceptUnknown` (an
 * operator's explicit request).
 */
export function lagGuard(
  lag: LagReading | null,
  failureSeenAtMs: number,
  policy: FailoverPolicy,
  acceptDataLoss: boolean,
  acceptUnknown: boolean,
  primaryLastAnsweredAtMs: number | null = null,
): LagCheck {
  const unknown = (why: string): LagCheck =>
    acceptUnknown
      ? { ok: true, reason: `${why}; the operator accepted the data loss.`, dataLossWindowSeconds: null }
      : {
          ok: false,
          guard: "lag-unknown",
          reason: `${why}, so the data at risk is unknown: a human must decide.`,
        };

  if (lag === null) return unknown("No replication-lag reading from before the failure is known");
  const value = lag.lagSeconds;
  if (value === null) {
    return unknown(
      `The last lag reading (${iso(lag.atMs)}) could not read the replica (${lag.probe?.outcome ?? "no probe"})`,
    );
  }
  if (!Number.isFinite(value) || value < 0) {
    return unknown(`The last lag reading (${iso(lag.atMs)}) is ${String(value)} s, which is not a valid lag`);
  }
  if (lag.atMs > failureSeenAtMs) {
    return unknown(
      `The last lag reading (${iso(lag.atMs)}) was taken after the failure was first seen (${iso(failureSeenAtMs)})`,
    );
  }
  const ageMs = failureSeenAtMs - lag.atMs;
  const maxAgeMs = policy.maxLagReadingAgeSeconds * 1000;
  if (ageMs > maxAgeMs) {
    const limit = `more than the ${policy.maxLagReadingAgeSeconds} s allowed`;
    if (primaryLastAnsweredAtMs !== null && primaryLastAnsweredAtMs - lag.atMs > maxAgeMs) {
      return unknown(
        `The last lag reading (${iso(lag.atMs)}) is ${seconds(ageMs)} older than the first sign of the ` +
          `failure (${iso(failureSeenAtMs)}), ${limit}: the replica could not be read for ` +
          `${seconds(primaryLastAnsweredAtMs - lag.atMs)} while the primary still answered (until ${iso(primaryLastAnsweredAtMs)})`,
      );
    }
    return unknown(
      `The last lag reading (${iso(lag.atMs)}) is ${seconds(ageMs)} older than the first sign of the ` +
        `failure (${iso(failureSeenAtMs)}), ${limit}: the monitor did not watch the primary in between`,
    );
  }
  if (value > policy.maxReplicationLagSeconds) {
    const why = `The replica was ${roundSeconds(value)} s behind before the failure, more than the ${policy.maxReplicationLagSeconds} s limit`;
    return acceptDataLoss
      ? {
          ok: true,
          reason: `${why}; data loss is accepted, so up to ${roundSeconds(value)} s of commits may be lost.`,
          dataLossWindowSeconds: value,
        }
      : {
          ok: false,
          guard: "replication-lag",
          reason: `${why}; failing over would lose up to ${value} s of commits: a human must decide.`,
        };
  }
  return {
    ok: true,
    reason: `The replica was ${roundSeconds(value)} s behind before the failure (limit ${policy.maxReplicationLagSeconds} s).`,
    dataLossWindowSeconds: value,
  };
}

// ---------------------------------------------------------------------------------------------
// Where a failover stands

/**
 * True when the instance is a standalone writer: the one definition the promotion wait, the writer
 * switch and the rollback all use. `backing-up` counts: the instance accepts writes while RDS backs
 * it up (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ReadRepl.Promote.html). While a
 * promotion runs RDS shows `modifying` and a reboot (reference §1.2), neither of which is writable;
 * and an instance still naming a replication source is not standalone, whenever RDS clears it.
 */
export function isWritable(view: InstanceView): boolean {
  return (
    view.apiReachable && !view.isReplica && (view.status === "available" || view.status === "backing-up")
  );
}

/**
 * True once a promotion of the replica has begun (it can never be undone): the promotion tag is
 * present, or the instance no longer replicates. The tag is written before `PromoteReadReplica` is
 * called, so this holds from the first moment of a promotion whatever status RDS shows and whenever
 * it clears `ReadReplicaSourceDBInstanceIdentifier` (both UNCONFIRMED, reference §1.2).
 */
export function promotionBegun(replica: InstanceView): boolean {
  return replica.apiReachable && (!replica.isReplica || replica.promotionRequestedAtMs !== undefined);
}

/** Steps left once the replica is writable and `writer` points at it. */
function afterSwitchSteps(replica: InstanceView, reportWritten: boolean): FailoverStep[] {
  return [
    // Backups are turned on after the promotion (promoted with retention 0, reference §1.2).
    ...(replica.backupRetentionDays === 0 ? (["enable-backups"] as const) : []),
    ...(reportWritten ? [] : (["write-report", "notify-success"] as const)),
  ];
}

/** How far a failover of `replica` has come, read from the real state. */
export type FailoverPhase =
  /** The replica is still replicating: no failover has begun. */
  | "not-started"
  /** Promotion was requested and is running. */
  | "promoting"
  /** The replica is a standalone writer but `writer` does not point at it. */
  | "promoted"
  /** `writer` points at the promoted replica but the report is missing. */
  | "writer-switched"
  /** Promoted, switched, reported. */
  | "complete"
  /** `writer` points at an instance that is still a replica: clients cannot write. */
  | "inconsistent"
  /** The replica's API did not answer: its state is unknown. */
  | "unknown"
  /**
   * The "replica" is a fenced standalone old writer kept after a failover (`tap:keepOldWriter`):
   * there is nothing to fail over to until it is rebuilt as a replica.
   */
  | "no-standby";

export interface FailoverState {
  readonly phase: FailoverPhase;
  /** Steps still needed to finish an interrupted failover (empty unless promoting / promoted / writer-switched). */
  readonly missingSteps: readonly FailoverStep[];
  readonly reason: string;
}

/** Where a failover of the snapshot's replica stands, and what is left to do. */
export function failoverState(snapshot: ClusterSnapshot): FailoverState {
  const { replica, dns } = snapshot;
  if (!replica.apiReachable) {
    return {
      phase: "unknown",
      missingSteps: [],
      reason: `The RDS API of the replica ${replica.id} did not answer, so whether it was promoted is unknown.`,
    };
  }
  const writerOnReplica = replica.endpoint !== undefined && dns.writerTarget === replica.endpoint;
  if (!replica.isReplica && replica.fenced === true && !writerOnReplica) {
    return {
      phase: "no-standby",
      missingSteps: [],
      reason:
        `${replica.id} is the fenced old writer kept after a failover, not a replica: there is nothing to ` +
        `fail over to until it is rebuilt as a replica of the writer (tap:keepOldWriter false, pulumi up).`,
    };
  }
  if (!promotionBegun(replica)) {
    if (writerOnReplica) {
      return {
        phase: "inconsistent",
        missingSteps: [],
        reason:
          `The writer record points at ${replica.endpoint}, but ${replica.id} is still a read-only replica: ` +
          `clients cannot write. A human must point writer back at the primary or promote the replica.`,
      };
    }
    return {
      phase: "not-started",
      missingSteps: [],
      reason: `The replica ${replica.id} is still replicating.`,
    };
  }
  const requested =
    replica.promotionRequestedAtMs === undefined
      ? ""
      : ` (promotion requested at ${iso(replica.promotionRequestedAtMs)})`;
  if (replica.isReplica) {
    // Tagged but still naming its source: the promotion runs (RDS shows modifying or a reboot) or
    // the run stopped between the tag and the call; the promote step is idempotent and tells.
    return {
      phase: "promoting",
      missingSteps: stepsFrom("promote-replica"),
      reason:
        `The promotion of ${replica.id} has begun${requested} and it is ${replica.rawStatus ?? replica.status}, ` +
        `still replicating; writer does not point at it yet.`,
    };
  }
  if (!isWritable(replica)) {
    if (writerOnReplica) {
      // writer was switched while writable; it is now, say, modifying (backups being turned on).
      return {
        phase: "writer-switched",
        missingSteps: afterSwitchSteps(replica, snapshot.reportWritten),
        reason: `The replica ${replica.id} was promoted and writer points at it; it is ${replica.rawStatus ?? replica.status}.`,
      };
    }
    return {
      phase: "promoting",
      missingSteps: stepsFrom("wait-replica-writable"),
      reason: `The replica ${replica.id} was promoted${requested} and is ${replica.rawStatus ?? replica.status}; writer does not point at it yet.`,
    };
  }
  if (!writerOnReplica) {
    return {
      phase: "promoted",
      missingSteps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
      reason: `The replica ${replica.id} was promoted and is writable, but writer still points at ${dns.writerTarget ?? "nothing"}.`,
    };
  }
  const left = afterSwitchSteps(replica, snapshot.reportWritten);
  if (left.length > 0) {
    return {
      phase: "writer-switched",
      missingSteps: left,
      reason:
        `The replica ${replica.id} was promoted and writer points at it, but ` +
        (snapshot.reportWritten ? "its automated backups are off." : "the failover report is missing."),
    };
  }
  return {
    phase: "complete",
    missingSteps: [],
    reason: `The failover to ${replica.id} is complete: promoted, writer switched, report written.`,
  };
}

/** True when the latest probe shows the old primary accepting writes (the heartbeat write committed). */
function primaryAcceptsWrites(snapshot: ClusterSnapshot): boolean {
  const probes = snapshot.primaryProbes;
  return probes.length > 0 && probes[probes.length - 1].outcome === "ok";
}

// ---------------------------------------------------------------------------------------------
// The decision

const none = (reason: string): Decision => ({ kind: "none", reason });
const alert = (severity: "warning" | "critical", reason: string): Decision => ({
  kind: "alert-only",
  severity,
  reason,
});

/**
 * Decide what to do about the snapshot. Pure: same input, same decision; never throws.
 *
 * In order: a malformed snapshot or policy gives `none`; a failover that already began is
 * finished (`complete-failover`) or reported done (`none`), and a returning old primary is
 * only reported (`alert-only`, never a flip back); otherwise the trigger's evidence must show
 * a failure (≥ `consecutiveFailuresToFailover` consecutive failed probes, or the alarm in
 * ALARM) *and* a second signal (RDS status or the region's API), and the replica must pass
 * the health, DNS and lag guards (`blocked` says which did not).
 */
export function decide(snapshot: ClusterSnapshot, policy: FailoverPolicy, nowMs: number): Decision {
  const problem = snapshotProblem(snapshot, nowMs);
  if (problem) return none(`Snapshot rejected, nothing will be done: ${problem}.`);
  const badPolicy = policyProblems(policy);
  if (badPolicy.length > 0) return none(`Policy rejected, nothing will be done: ${badPolicy.join(" ")}`);
  const regional = regionalDecision(snapshot, policy, nowMs);
  if (regional !== null) return regional;

  const state = failoverState(snapshot);
  switch (state.phase) {
    case "unknown":
      return replicaUnknown(snapshot, policy, state);
    case "inconsistent":
      return alert("critical", state.reason);
    case "no-standby":
      return none(state.reason);
    case "complete":
      return afterFailover(snapshot, state);
    case "promoting":
    case "promoted":
    case "writer-switched":
      return resume(snapshot, state);
    case "not-started":
      break;
  }

  const trigger = snapshot.trigger;
  if (trigger.kind === "manual") {
    if (trigger.action === "switchover") return decideSwitchover(snapshot, policy);
    if (trigger.action === "failover") return decideManualFailover(snapshot, policy, trigger.acceptDataLoss);
    if (!snapshot.primaryProbes.some((p) => p.outcome !== "ok")) return none(statusSentence(snapshot));
  }
  return decideAutomatic(snapshot, policy);
}

/**
 * The replica's describe gave no state. A throttle or a 5xx is a busy API, not a broken replica:
 * nothing is promoted now and the next evaluation asks again, with a warning only when the primary
 * looks down meanwhile (a human should know the failover is waiting on RDS's API). No connection
 * at all to the replica's region stays `blocked`: a human must look.
 */
function replicaUnknown(snapshot: ClusterSnapshot, policy: FailoverPolicy, state: FailoverState): Decision {
  const { replica, trigger } = snapshot;
  const failure = describeFailure(replica);
  if (failure !== "throttled" && failure !== "server-error")
    return blocked("replica-unhealthy", state.reason);
  const reason =
    `The RDS API of the replica ${replica.id}'s region ${apiErrorSentence(failure)}, so the replica's state is ` +
    `unknown: nothing is promoted now, and the next evaluation reads it again.`;
  const primaryDown =
    consecutiveFailures(snapshot.primaryProbes) >= policy.consecutiveFailuresToFailover ||
    (trigger.kind === "alarm" && trigger.alarm.state === "ALARM") ||
    (trigger.kind === "manual" && trigger.action !== "status");
  return primaryDown ? alert("warning", reason) : none(reason);
}

function afterFailover(snapshot: ClusterSnapshot, state: FailoverState): Decision {
  const { primary, replica } = snapshot;
  if (primaryAcceptsWrites(snapshot) && !primary.fenced) {
    return alert(
      "critical",
      `The old primary ${primary.id} accepts writes again after the failover to ${replica.id}. Writer stays on ` +
        `${replica.id} (never flipped back automatically); fence ${primary.id} now to stop clients that connect ` +
        `to it directly, then fail back as a planned switchover.`,
    );
  }
  if (primary.apiReachable && primary.status === "available") {
    // Fenced, it is the expected state after a failover until the day-2 steps retire or rebuild
    // it: saying so every minute would bury the alerts that matter.
    if (primary.fenced) {
      return none(
        `${state.reason} The old primary ${primary.id} is available again but fenced; writer stays on ` +
          `${replica.id}. Retire or rebuild it with the day-2 steps (tap:activeWriter).`,
      );
    }
    return alert(
      "warning",
      `The old primary ${primary.id} is available again after the failover to ${replica.id}. ` +
        `Writer stays on ${replica.id}; fail back only as a planned switchover.`,
    );
  }
  return none(`${state.reason} Nothing left to do.`);
}

function resume(snapshot: ClusterSnapshot, state: FailoverState): Decision {
  const { primary, replica } = snapshot;
  if (UNUSABLE_STATUSES.includes(replica.status)) {
    return {
      kind: "blocked",
      guard: "replica-unhealthy",
      reason:
        `The replica ${replica.id} was promoted but is now ${replica.rawStatus ?? replica.status}; pointing writer ` +
        `at it would not help and pointing it back at ${primary.id} could split the data: a human must decide.`,
    };
  }
  if (state.phase !== "writer-switched" && primaryAcceptsWrites(snapshot) && !primary.fenced) {
    return alert(
      "critical",
      `${state.reason} But the old primary ${primary.id} accepts writes and is not fenced: switching writer now ` +
        `would split writes between two databases. A human must fence ${primary.id} or abandon the failover.`,
    );
  }
  return {
    kind: "complete-failover",
    reason: `Resuming an interrupted failover: ${state.reason}`,
    steps: state.missingSteps,
  };
}

type BlockGuard = Extract<Decision, { kind: "blocked" }>["guard"];

/** The guards every promotion passes: replica healthy, writer record present, lag known and small. */
function promotionGuards(
  snapshot: ClusterSnapshot,
  policy: FailoverPolicy,
  failureStartedAtMs: number,
  acceptDataLoss: boolean,
  acceptUnknownLag: boolean,
):
  | { readonly ok: false; readonly guard: BlockGuard; readonly reason: string }
  | { readonly ok: true; readonly lag: string } {
  const replicaProblem = replicaIneligibility(snapshot.replica);
  if (replicaProblem) return { ok: false, guard: "replica-unhealthy", reason: replicaProblem };
  if (snapshot.dns.writerTarget === null) {
    return {
      ok: false,
      guard: "dns-missing",
      reason:
        "The writer record does not exist, so clients are not reaching the database through it and moving it " +
        "would not move them: a human must check the DNS setup.",
    };
  }
  // The earliest sign of the failure: the merged history when the snapshot has one, else this
  // evaluation's own evidence (probes, alarm or the request time).
  const failureSeenAtMs = Math.min(failureStartedAtMs, snapshot.failureFirstSeenAtMs ?? Infinity);
  const lag = lagGuard(
    snapshot.lastHealthyLag,
    failureSeenAtMs,
    policy,
    acceptDataLoss,
    acceptUnknownLag,
    snapshot.primaryLastAnsweredAtMs,
  );
  if (!lag.ok) return { ok: false, guard: lag.guard, reason: lag.reason };
  return { ok: true, lag: lag.reason };
}

const blocked = (guard: BlockGuard, reason: string): Decision => ({ kind: "blocked", guard, reason });

/**
 * Why the trigger's evidence is too old to start a new failover on, or `null` when it is fresh.
 * Lambda retries a failed asynchronous invocation 1 and then 2 minutes after a run that may itself
 * have lasted up to 15 minutes (reference §2), so a retried event carries probes or an alarm
 * transition from many minutes ago: the primary may have recovered since. The age is that of the
 * newest probe, or, for an alarm trigger confirmed by the alarm alone, of its transition to ALARM
 * (an EventBridge alarm event is sent once, at the transition: a fresh one is seconds old).
 */
export function staleEvidence(snapshot: ClusterSnapshot, policy: FailoverPolicy): string | null {
  const { trigger, primaryProbes } = snapshot;
  const newestProbe = primaryProbes.length > 0 ? primaryProbes[primaryProbes.length - 1] : undefined;
  const alarmAlone =
    trigger.kind === "alarm" && consecutiveFailures(primaryProbes) < policy.consecutiveFailuresToFailover;
  const evidenceAtMs = alarmAlone ? trigger.alarm.sinceMs : newestProbe?.atMs;
  if (evidenceAtMs === undefined) return null;
  const limitSeconds = maxEvidenceAgeSeconds(policy);
  // Measured when this evaluation began reading: slow reads of an impaired region must not turn
  // fresh evidence stale.
  const ageMs = snapshot.takenAtMs - evidenceAtMs;
  if (ageMs <= limitSeconds * 1000) return null;
  const what = alarmAlone
    ? `the alarm's transition to ALARM (${iso(evidenceAtMs)})`
    : `the newest probe (${iso(evidenceAtMs)})`;
  return (
    `The evidence is stale: ${what} is ${seconds(ageMs)} old, more than the ${limitSeconds} s a new failover may ` +
    `rest on (a retried or delayed event). Not starting a failover on it; the next monitor run brings fresh probes.`
  );
}

function decideAutomatic(snapshot: ClusterSnapshot, policy: FailoverPolicy): Decision {
  const { trigger, primary, replica } = snapshot;
  if (trigger.kind === "alarm" && trigger.alarm.state !== "ALARM") {
    return none(`The alarm ${trigger.alarm.alarmName} is ${trigger.alarm.state}; nothing to do.`);
  }
  const stale = staleEvidence(snapshot, policy);
  if (stale !== null) return none(stale);
  let window: FailureWindow;
  let evidence: string;
  if (
    trigger.kind === "alarm" &&
    consecutiveFailures(snapshot.primaryProbes) < policy.consecutiveFailuresToFailover
  ) {
    if (trigger.alarm.state !== "ALARM") {
      return none(`The alarm ${trigger.alarm.alarmName} is ${trigger.alarm.state}; nothing to do.`);
    }
    window = { failureStartedAtMs: trigger.alarm.sinceMs, detectedAtMs: snapshot.takenAtMs };
    evidence = `The alarm ${trigger.alarm.alarmName} has been in ALARM since ${iso(trigger.alarm.sinceMs)} (${trigger.alarm.reason})`;
  } else {
    const probes = probeEvidence(snapshot.primaryProbes, policy.consecutiveFailuresToFailover);
    if (!probes.confirmed) {
      const failed = snapshot.primaryProbes.filter((p) => p.outcome !== "ok").length;
      // A single failed probe is a blip (packet loss, a slow checkpoint): not worth waking anyone.
      return failed >= 2
        ? alert("warning", `The primary ${primary.id} is suspect: ${probes.reason}`)
        : none(probes.reason);
    }
    window = probes.window;
    evidence =
      `${consecutiveFailures(snapshot.primaryProbes)} consecutive probes of the primary ${primary.id} failed ` +
      `since ${iso(window.failureStartedAtMs)}`;
  }

  if (primary.apiReachable && primary.status === "storage-full") {
    // RDS calls storage-full critical and its fix is growing the storage, not replacing the
    // instance (reference §1.1, https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html);
    // the replica holds the same data and would fill up the same way, so promoting it trades
    // a full disk for data loss. Storage autoscaling normally clears it on its own.
    return alert(
      "critical",
      `${evidence}, and RDS reports the primary ${primary.id} as storage-full: not failing over (the replica ` +
        `holds the same data). Grow the primary's allocated storage (or check why storage autoscaling did not), ` +
        `then it returns to available.`,
    );
  }
  const signal = secondSignal(snapshot, policy);
  if (!signal.present) {
    return alert(
      "critical",
      `${evidence}, but ${signal.reason}: not failing over automatically, a human must check.`,
    );
  }
  if (TRANSIENT_STATUSES.includes(primary.status) && trigger.kind !== "alarm") {
    return alert(
      "warning",
      `${evidence} and ${signal.reason}, an operation RDS finishes on its own (a reboot, maintenance, a ` +
        `modification). Not failing over on the monitor's evidence alone: if the primary stays unreachable, the ` +
        `primary-unreachable alarm (several failed minutes) triggers the failover.`,
    );
  }
  const guards = promotionGuards(snapshot, policy, window.failureStartedAtMs, policy.acceptDataLoss, false);
  if (!guards.ok) return blocked(guards.guard, `${evidence} and ${signal.reason}. ${guards.reason}`);
  return {
    kind: "promote-replica",
    reason: `${evidence} and ${signal.reason}. ${guards.lag} Promoting ${replica.id}.`,
    failureStartedAtMs: window.failureStartedAtMs,
    detectedAtMs: window.detectedAtMs,
    planned: false,
    steps: FAILOVER_STEPS,
  };
}

function decideManualFailover(
  snapshot: ClusterSnapshot,
  policy: FailoverPolicy,
  acceptDataLoss: boolean,
): Decision {
  const trigger = snapshot.trigger;
  const who =
    trigger.kind === "manual" ? `${trigger.requestedBy} requested a failover (${trigger.reason})` : "";
  const failureStartedAtMs = failureStartMs(trigger, snapshot.primaryProbes, snapshot.takenAtMs);
  const guards = promotionGuards(snapshot, policy, failureStartedAtMs, acceptDataLoss, acceptDataLoss);
  if (!guards.ok) return blocked(guards.guard, `${who}. ${guards.reason}`);
  return {
    kind: "promote-replica",
    reason: `${who}. ${guards.lag} Promoting ${snapshot.replica.id}.`,
    failureStartedAtMs,
    detectedAtMs: snapshot.takenAtMs,
    planned: false,
    steps: FAILOVER_STEPS,
  };
}

function decideSwitchover(snapshot: ClusterSnapshot, policy: FailoverPolicy): Decision {
  const { trigger, primary } = snapshot;
  const who =
    trigger.kind === "manual" ? `${trigger.requestedBy} requested a switchover (${trigger.reason})` : "";
  if (!primary.apiReachable || primary.status !== "available") {
    return none(
      `${who}, but a switchover needs a running primary to fence and drain, and ${primary.id} is ` +
        `${primary.apiReachable ? primary.status : "unreachable through its API"}. Request a failover instead.`,
    );
  }
  // The lag must be known and small: the switchover fences the primary first, and a replica that
  // cannot catch up in time would leave no writer at all.
  const guards = promotionGuards(snapshot, policy, snapshot.takenAtMs, false, false);
  if (!guards.ok) return blocked(guards.guard, `${who}. ${guards.reason}`);
  return {
    kind: "promote-replica",
    reason: `${who}. ${guards.lag} Switching over to ${snapshot.replica.id} with zero data loss.`,
    failureStartedAtMs: snapshot.takenAtMs,
    detectedAtMs: snapshot.takenAtMs,
    planned: true,
    steps: SWITCHOVER_STEPS,
  };
}

function statusSentence(snapshot: ClusterSnapshot): string {
  const { primary, replica, dns, lastHealthyLag } = snapshot;
  const lag =
    lastHealthyLag && lastHealthyLag.lagSeconds !== null
      ? `${lastHealthyLag.lagSeconds} s at ${iso(lastHealthyLag.atMs)}`
      : "unknown";
  return (
    `Status: primary ${primary.id} is ${primary.apiReachable ? primary.status : "unreachable through its API"}` +
    `${primary.fenced ? " (fenced)" : ""}; replica ${replica.id} is ${replica.status} and replicating; ` +
    `writer → ${dns.writerTarget ?? "missing"}; replication lag ${lag}. No failover is needed or in progress.`
  );
}
