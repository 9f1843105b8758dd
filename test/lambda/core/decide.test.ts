import fc from "fast-check";
import {
  FAILOVER_STEPS,
  SWITCHOVER_STEPS,
  consecutiveFailures,
  decide,
  failoverState,
  failureStartMs,
  isWritable,
  lagGuard,
} from "../../../lib/lambda/core/decide";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import type {
  ApiErrorKind,
  ApiReachabilityHistory,
  ClusterSnapshot,
  Decision,
  FailoverPolicy,
  ProbeOutcome,
  ProbeResult,
  RdsMetricsObservation,
  Trigger,
} from "../../../lib/lambda/core/types";
import { PRIMARY_ENDPOINT, REPLICA_ENDPOINT, T0, primaryView, replicaView } from "../../support/fake-ports";
import { lagReading, probes, promotedReplica, snapshot } from "../../support/snapshots";

const NOW = T0 + 60_000;
const FAILED_PRIMARY = primaryView({ status: "failed", rawStatus: "failed" });
const DOWN = probes("timeout", "timeout", "timeout");

function manual(action: "failover" | "switchover" | "status", acceptDataLoss = false): Trigger {
  return { kind: "manual", action, requestedBy: "alice@example.com", reason: "game day", acceptDataLoss };
}

const alarm = (state: "ALARM" | "OK"): Trigger => ({
  kind: "alarm",
  alarm: { alarmName: "primary-unreachable-dev", state, sinceMs: T0 - 60_000, reason: "Threshold Crossed" },
});

interface Situation {
  readonly name: string;
  readonly snapshot: ClusterSnapshot;
  readonly policy?: FailoverPolicy;
  readonly nowMs?: number;
  /** Fields of the decision that must match exactly. */
  readonly expected: Partial<Decision> & { kind: Decision["kind"] };
  /** A phrase the reason must contain: the *why* a reader relies on. */
  readonly because: string;
}

// ---------------------------------------------------------------------------------------------
// The second signal: RDS status, RDS's own metric stream, the primary region's API over minutes.
// `snapshot()` is taken at T0 + 50 s; the whole minutes read end at T0 (minute starts T0 - k min).

const MIN = 60_000;
const READ_END = T0;

/** The primary as a describe that failed with `apiError` leaves it. */
function describeFailed(apiError: ApiErrorKind, raw: string) {
  return primaryView({
    apiReachable: apiError === "refused",
    apiError,
    status: "unknown",
    rawStatus: raw,
    endpoint: undefined,
  });
}
const THROTTLED = describeFailed("throttled", "ThrottlingException: Rate exceeded (HTTP 400)");
const SERVER_ERROR = describeFailed("server-error", "InternalFailure: internal (HTTP 500)");
const BLACK_HOLED = describeFailed("connectivity", "TimeoutError: Connection timed out after 3000 ms");
const DENIED = describeFailed("refused", "AccessDenied: not authorized (HTTP 403)");

/** RDS's CPUUtilization stream over the last hour, every minute up to the one that ends `silentMinutes` before T0. */
function rdsStream(silentMinutes: number | null): RdsMetricsObservation {
  const newestStart = READ_END - (silentMinutes ?? 0) * MIN - MIN;
  const windowStartMs = READ_END - 60 * MIN;
  const datapointsAtMs: number[] = [];
  if (silentMinutes !== null)
    for (let at = windowStartMs; at <= newestStart; at += MIN) datapointsAtMs.push(at);
  return {
    kind: "read",
    metricName: "CPUUtilization",
    periodSeconds: 60,
    windowStartMs,
    windowEndMs: READ_END,
    datapointsAtMs,
  };
}

/** Earlier evaluations' view of the primary region: `[minutesBeforeT0, reachable]`, minute starts. */
function apiHistory(...samples: [minutesAgo: number, reachable: boolean][]): ApiReachabilityHistory {
  return {
    kind: "read",
    periodSeconds: 60,
    samples: samples.map(([ago, reachable]) => ({ atMs: READ_END - ago * MIN, reachable })),
  };
}
/** Every minute of the last `n` unreached. */
const unreachedFor = (n: number): ApiReachabilityHistory =>
  apiHistory(...Array.from({ length: n }, (_, i): [number, boolean] => [i + 1, false]));

const CLOUDWATCH_BLACK_HOLED: RdsMetricsObservation = {
  kind: "unreadable",
  apiError: "connectivity",
  detail: "GetMetricData AWS/RDS CPUUtilization: TimeoutError: Connection timed out after 3000 ms",
};
const TOO_MANY = probes("error", "error", "error");

const SECOND_SIGNAL_SITUATIONS: Situation[] = [
  {
    name: "throttle storm + 3 failed probes (too many connections): no promotion",
    snapshot: snapshot({ primaryProbes: TOO_MANY, primary: THROTTLED, primaryApiHistory: unreachedFor(10) }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "there is no second signal: the RDS API of the primary's region throttled the request (rate limiting, not an outage), so the primary's status is unknown",
  },
  {
    name: "5xx storm + 3 failed probes: no promotion",
    snapshot: snapshot({ primaryProbes: DOWN, primary: SERVER_ERROR, primaryApiHistory: unreachedFor(10) }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "answered with a server error (a degraded service, not a lost region), which is an answer, not an outage",
  },
  {
    name: "describe refused (access denied): a permissions problem is not a second signal",
    snapshot: snapshot({ primaryProbes: DOWN, primary: DENIED }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "refused the request (a permissions or request problem, not an outage), so the primary's status is unknown",
  },
  {
    name: "RDS endpoint black-holed, first evaluation to see it: not yet",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: BLACK_HOLED,
      primaryApiHistory: apiHistory([2, true]),
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "could not be reached now, but no earlier evaluation saw that; 3 min of failed connections are needed",
  },
  {
    name: "RDS endpoint black-holed for 1 minute: not yet",
    snapshot: snapshot({ primaryProbes: DOWN, primary: BLACK_HOLED, primaryApiHistory: unreachedFor(1) }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "connections to the primary region's APIs have failed since 2024-05-01T10:00:00.000Z (0.8 min, 2 evaluated minutes), not yet the 3 min",
  },
  {
    name: "RDS endpoint black-holed for 3 minute periods: under 3 minutes once dated at their ends, not yet",
    snapshot: snapshot({ primaryProbes: DOWN, primary: BLACK_HOLED, primaryApiHistory: unreachedFor(3) }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "(2.8 min, 4 evaluated minutes), not yet the 3 min that count as an outage",
  },
  {
    name: "RDS endpoint black-holed for 4 minutes: the API-outage signal promotes",
    snapshot: snapshot({ primaryProbes: DOWN, primary: BLACK_HOLED, primaryApiHistory: unreachedFor(4) }),
    expected: { kind: "promote-replica", failureStartedAtMs: T0 },
    because:
      "connections to the primary region's APIs have failed in every evaluation since 2024-05-01T09:57:00.000Z (3.8 min, 5 evaluated minutes; 3 min count as an outage) (second signal: API outage)",
  },
  {
    name: "black-holed with the newest 2 minutes not yet ingested: the older minutes still prove it",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: BLACK_HOLED,
      primaryApiHistory: apiHistory([5, true], [4, false], [3, false]),
    }),
    expected: { kind: "promote-replica" },
    because: "since 2024-05-01T09:57:00.000Z (3.8 min, 3 evaluated minutes",
  },
  {
    name: "a reached minute inside the window restarts the count",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: BLACK_HOLED,
      primaryApiHistory: apiHistory([5, false], [4, false], [3, false], [2, true], [1, false]),
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "have failed since 2024-05-01T10:00:00.000Z (0.8 min, 2 evaluated minutes), not yet",
  },
  {
    name: "black-holed, two lone minutes far apart: too few evaluations",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: BLACK_HOLED,
      primaryApiHistory: apiHistory([9, false]),
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "(8.8 min, 2 evaluated minutes), not yet the 3 min",
  },
  {
    name: "black-holed but the history cannot be read: how long is unknown, no promotion",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: BLACK_HOLED,
      primaryApiHistory: {
        kind: "unreadable",
        apiError: "throttled",
        detail: "ThrottlingException (HTTP 400)",
      },
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "the history of earlier evaluations could not be read (ThrottlingException (HTTP 400)), so how long that has lasted is unknown",
  },
  {
    name: "RDS throttled while CloudWatch of the primary region is black-holed for minutes: API outage",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: THROTTLED,
      primaryRdsMetrics: CLOUDWATCH_BLACK_HOLED,
      primaryApiHistory: unreachedFor(4),
    }),
    expected: { kind: "promote-replica" },
    because: "(second signal: API outage)",
  },
  {
    name: "CloudWatch of the primary region black-holed, RDS says available: not a signal",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primaryRdsMetrics: CLOUDWATCH_BLACK_HOLED,
      primaryApiHistory: unreachedFor(10),
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "CloudWatch in the primary's region could not be reached (no connection or no answer) (GetMetricData AWS/RDS CPUUtilization: TimeoutError: Connection timed out after 3000 ms), which says nothing about RDS's metrics having stopped; the RDS API of the primary's region answers",
  },
  {
    name: "RDS metrics stopped 4 minutes, status still available: promote",
    snapshot: snapshot({ primaryProbes: DOWN, primaryRdsMetrics: rdsStream(4) }),
    expected: { kind: "promote-replica", failureStartedAtMs: T0 },
    because:
      "RDS's own CPUUtilization metric for the primary stopped: its newest datapoint ends at 2024-05-01T09:56:00.000Z, 4.8 min of silence (3 min count as stopped) (second signal: RDS metrics stopped)",
  },
  {
    name: "RDS metrics stopped and the describe throttled: the metric stream alone is the signal",
    snapshot: snapshot({ primaryProbes: DOWN, primary: THROTTLED, primaryRdsMetrics: rdsStream(6) }),
    expected: { kind: "promote-replica" },
    because: "(second signal: RDS metrics stopped)",
  },
  {
    name: "RDS metrics delayed 1 minute: ingestion delay, not a signal",
    snapshot: snapshot({ primaryProbes: DOWN, primaryRdsMetrics: rdsStream(1) }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "RDS still publishes CPUUtilization for the primary (newest datapoint ends at 2024-05-01T09:59:00.000Z, 1.8 min ago",
  },
  {
    name: "RDS metrics delayed 2 minutes: ingestion delay, not a signal",
    snapshot: snapshot({ primaryProbes: DOWN, primaryRdsMetrics: rdsStream(2) }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "(newest datapoint ends at 2024-05-01T09:58:00.000Z, 2.8 min ago; up to 2 min is ordinary ingestion delay)",
  },
  {
    name: "no RDS datapoint in the whole window: no stream to have stopped",
    snapshot: snapshot({ primaryProbes: DOWN, primaryRdsMetrics: rdsStream(null) }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "RDS published no CPUUtilization datapoint for the primary in the last 60 min",
  },
  {
    name: "RDS metrics stopped but the probes succeed: no failover",
    snapshot: snapshot({ primaryRdsMetrics: rdsStream(10) }),
    expected: { kind: "none" },
    because: "All 4 probes of the primary succeeded.",
  },
  {
    name: "replica describe throttled while the primary is down: unknown, nothing promoted now",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: replicaView({ apiReachable: false, apiError: "throttled", status: "unknown" }),
    }),
    expected: { kind: "alert-only", severity: "warning" },
    because:
      "The RDS API of the replica tap-replica-dev's region throttled the request (rate limiting, not an outage), so the replica's state is unknown: nothing is promoted now, and the next evaluation reads it again.",
  },
  {
    name: "replica describe 5xx with a healthy primary: nothing to say",
    snapshot: snapshot({
      replica: replicaView({ apiReachable: false, apiError: "server-error", status: "unknown" }),
    }),
    expected: { kind: "none" },
    because:
      "answered with a server error (a degraded service, not a lost region), so the replica's state is unknown",
  },
];

const situations: Situation[] = [
  {
    name: "healthy: every probe succeeded",
    snapshot: snapshot(),
    expected: { kind: "none" },
    because: "All 4 probes of the primary succeeded.",
  },
  {
    name: "one blip is not worth an alert",
    snapshot: snapshot({ primaryProbes: probes("ok", "timeout", "ok", "ok") }),
    expected: { kind: "none" },
    because:
      "1 of 4 probes failed (ok, timeout, ok, ok) and the last probe succeeded; 3 consecutive failures are needed before failing over.",
  },
  {
    name: "2 of 4 failures: primary suspect, warning only",
    snapshot: snapshot({ primaryProbes: probes("ok", "timeout", "ok", "unreachable") }),
    expected: { kind: "alert-only", severity: "warning" },
    because: "The primary tap-primary-dev is suspect: 2 of 4 probes failed",
  },
  {
    name: "3 failures but not consecutive: warning only",
    snapshot: snapshot({
      primaryProbes: probes("timeout", "timeout", "ok", "timeout"),
      primary: FAILED_PRIMARY,
    }),
    expected: { kind: "alert-only", severity: "warning" },
    because: "3 of 4 probes failed (timeout, timeout, ok, timeout) but only the last 1 in a row",
  },
  {
    name: "3 consecutive failures and RDS reports the primary failed: promote",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY }),
    expected: {
      kind: "promote-replica",
      failureStartedAtMs: T0,
      detectedAtMs: T0 + 30_000,
      planned: false,
      steps: FAILOVER_STEPS,
    },
    because:
      "3 consecutive probes of the primary tap-primary-dev failed since 2024-05-01T10:00:00.000Z and RDS reports the primary tap-primary-dev as failed",
  },
  {
    name: "failure after a good probe: failure starts at the first failed probe",
    snapshot: snapshot({
      primaryProbes: probes("ok", "unreachable", "unreachable", "unreachable"),
      primary: primaryView({ status: "failed", rawStatus: "failed" }),
    }),
    expected: { kind: "promote-replica", failureStartedAtMs: T0 + 15_000, detectedAtMs: T0 + 45_000 },
    because: "RDS reports the primary tap-primary-dev as failed",
  },
  {
    name: "primary rebooting (maintenance) and 3 probes failed: wait for the alarm, warn",
    snapshot: snapshot({
      primaryProbes: probes("ok", "unreachable", "unreachable", "unreachable"),
      primary: primaryView({ status: "rebooting", rawStatus: "rebooting" }),
    }),
    expected: { kind: "alert-only", severity: "warning" },
    because: "an operation RDS finishes on its own",
  },
  {
    name: "primary still rebooting when the primary-unreachable alarm fires: fail over",
    snapshot: snapshot({
      trigger: {
        kind: "alarm",
        alarm: {
          alarmName: "alarm-monitor-primary-unreachable-dev",
          state: "ALARM",
          sinceMs: T0,
          reason: "3 of 3",
        },
      },
      primaryProbes: [],
      primary: primaryView({ status: "rebooting", rawStatus: "rebooting" }),
      lastHealthyLag: {
        atMs: T0 - 30_000,
        lagSeconds: 2,
        probe: { target: "replica", atMs: T0 - 30_000, outcome: "ok", latencyMs: 3 },
      },
    }),
    expected: { kind: "promote-replica", failureStartedAtMs: T0 },
    because: "RDS reports the primary tap-primary-dev as rebooting",
  },
  {
    name: "primary down but RDS says available: no second signal, alert a human",
    snapshot: snapshot({ primaryProbes: DOWN }),
    expected: { kind: "alert-only", severity: "critical" },
    because:
      "there is no second signal: RDS still reports the primary tap-primary-dev as available; RDS's own metrics are not observed here (fixture); the RDS API of the primary's region answers.",
  },
  {
    name: "IAM auth failing on a running primary is not an outage",
    snapshot: snapshot({ primaryProbes: probes("auth-failed", "auth-failed", "auth-failed") }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "may be a network path, load or credentials problem",
  },
  ...SECOND_SIGNAL_SITUATIONS,
  {
    name: "replica lagging beyond the limit before the failure: blocked",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: lagReading(90) }),
    expected: { kind: "blocked", guard: "replication-lag" },
    because:
      "The replica was 90 s behind before the failure, more than the 60 s limit; failing over would lose up to 90 s of commits",
  },
  {
    name: "replica lagging beyond the limit with acceptDataLoss: promote",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: lagReading(90) }),
    policy: { ...DEFAULT_POLICY, acceptDataLoss: true },
    expected: { kind: "promote-replica" },
    because: "data loss is accepted, so up to 90 s of commits may be lost",
  },
  {
    name: "lag exactly at the limit passes",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: lagReading(60) }),
    expected: { kind: "promote-replica" },
    because: "The replica was 60 s behind before the failure (limit 60 s).",
  },
  {
    name: "no lag reading known: blocked, a human decides",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: null }),
    expected: { kind: "blocked", guard: "lag-unknown" },
    because: "No replication-lag reading from before the failure is known, so the data at risk is unknown",
  },
  {
    name: "lag unknown stays blocked even when the policy accepts data loss",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: null }),
    policy: { ...DEFAULT_POLICY, acceptDataLoss: true },
    expected: { kind: "blocked", guard: "lag-unknown" },
    because: "a human must decide",
  },
  {
    name: "lag reading too old: blocked",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: lagReading(2, 301) }),
    expected: { kind: "blocked", guard: "lag-unknown" },
    because:
      "The last lag reading (2024-05-01T09:54:59.000Z) is 301 s older than the first sign of the failure " +
      "(2024-05-01T10:00:00.000Z), more than the 300 s allowed: the monitor did not watch the primary in between",
  },
  {
    name: "lag reading that could not read the replica: blocked",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: lagReading(null) }),
    expected: { kind: "blocked", guard: "lag-unknown" },
    because: "could not read the replica (timeout)",
  },
  {
    name: "lag reading taken after the failure began: blocked",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, lastHealthyLag: lagReading(2, -10) }),
    expected: { kind: "blocked", guard: "lag-unknown" },
    because: "was taken after the failure was first seen",
  },
  {
    name: "primary storage-full on the monitor's evidence: critical alert to grow storage, never a promotion",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: primaryView({ status: "storage-full", rawStatus: "storage-full" }),
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "RDS reports the primary tap-primary-dev as storage-full: not failing over",
  },
  {
    name: "primary storage-full with the alarm in ALARM: critical alert to grow storage, never a promotion",
    snapshot: snapshot({
      trigger: alarm("ALARM"),
      primaryProbes: [],
      primary: primaryView({ status: "storage-full", rawStatus: "storage-full" }),
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "Grow the primary's allocated storage",
  },
  {
    name: "primary storage-full with acceptDataLoss in the policy: still only an alert",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: primaryView({ status: "storage-full", rawStatus: "storage-full" }),
    }),
    policy: { ...DEFAULT_POLICY, acceptDataLoss: true },
    expected: { kind: "alert-only", severity: "critical" },
    because: "storage-full",
  },
  {
    name: "decided 10 min after the fault: the reading is judged against the first sign of the failure, not this run",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      // Read 10 min before this run's failed probes, 40 s before the failure was first seen.
      lastHealthyLag: lagReading(2, 600),
      primaryLastAnsweredAtMs: T0 - 580_000,
      failureFirstSeenAtMs: T0 - 560_000,
    }),
    expected: { kind: "promote-replica" },
    because: "The replica was 2 s behind before the failure (limit 60 s).",
  },
  {
    name: "the replica could not be read for minutes while the primary answered: lag unknown",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      lastHealthyLag: lagReading(2, 600),
      primaryLastAnsweredAtMs: T0 - 30_000,
      failureFirstSeenAtMs: null,
    }),
    expected: { kind: "blocked", guard: "lag-unknown" },
    because: "the replica could not be read for 570 s while the primary still answered",
  },
  {
    name: "replica itself unhealthy: blocked",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: replicaView({ status: "storage-full", rawStatus: "storage-full" }),
    }),
    expected: { kind: "blocked", guard: "replica-unhealthy" },
    because: "The replica tap-replica-dev is storage-full, not available",
  },
  {
    name: "replica backing up cannot be promoted yet: blocked",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: replicaView({ status: "backing-up", rawStatus: "backing-up" }),
    }),
    expected: { kind: "blocked", guard: "replica-unhealthy" },
    because: "RDS refuses to promote it until the backup ends",
  },
  {
    name: "replica's region API unreachable: state unknown, blocked",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: replicaView({ apiReachable: false, status: "unknown" }),
    }),
    expected: { kind: "blocked", guard: "replica-unhealthy" },
    because: "whether it was promoted is unknown",
  },
  {
    name: "writer record missing: blocked",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      dns: { writerTarget: null, readerTarget: null },
    }),
    expected: { kind: "blocked", guard: "dns-missing" },
    because: "The writer record does not exist",
  },
  {
    name: "already promoted, writer switched, report written: nothing left to do",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: promotedReplica,
      dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
      reportWritten: true,
    }),
    expected: { kind: "none" },
    because:
      "The failover to tap-replica-dev is complete: promoted, writer switched, report written. Nothing left to do.",
  },
  {
    name: "half done: promoted but writer not switched → switch writer and report only",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, replica: promotedReplica }),
    expected: {
      kind: "complete-failover",
      steps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
    },
    because: `writer still points at ${PRIMARY_ENDPOINT}`,
  },
  {
    name: "half done: promotion still running → wait, then switch writer",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: replicaView({
        status: "modifying",
        rawStatus: "modifying",
        promotionRequestedAtMs: T0 + 40_000,
      }),
    }),
    expected: {
      kind: "complete-failover",
      steps: [
        "promote-replica",
        "wait-replica-writable",
        "switch-writer",
        "enable-backups",
        "write-report",
        "notify-success",
      ],
    },
    because: "has begun (promotion requested at 2024-05-01T10:00:40.000Z) and it is modifying",
  },
  {
    name: "half done, resumed by an alarm trigger with no probes at all",
    snapshot: snapshot({
      trigger: alarm("ALARM"),
      primaryProbes: [],
      primary: FAILED_PRIMARY,
      replica: promotedReplica,
    }),
    expected: {
      kind: "complete-failover",
      steps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
    },
    because: "Resuming an interrupted failover",
  },
  {
    name: "writer switched but report missing → write the report only",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: promotedReplica,
      dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
    }),
    expected: { kind: "complete-failover", steps: ["write-report", "notify-success"] },
    because: "the failover report is missing",
  },
  {
    name: "promoted while the old primary still takes writes unfenced: no switch, alert",
    snapshot: snapshot({ primaryProbes: probes("ok", "ok", "ok", "ok"), replica: promotedReplica }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "would split writes between two databases",
  },
  {
    name: "old primary back after failover and accepting writes: alert, never flip back",
    snapshot: snapshot({
      primaryProbes: probes("ok", "ok", "ok", "ok"),
      replica: promotedReplica,
      dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
      reportWritten: true,
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "Writer stays on tap-replica-dev (never flipped back automatically)",
  },
  {
    name: "after the day-2 up: the standby slot is the kept, fenced old writer: nothing to fail over to",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: primaryView({ status: "failed", rawStatus: "failed" }),
      replica: { ...promotedReplica, fenced: true },
    }),
    expected: { kind: "none" },
    because: "is the fenced old writer kept after a failover, not a replica",
  },
  {
    name: "old primary available after failover, not fenced, monitor cannot write to it: warning",
    snapshot: snapshot({
      primaryProbes: probes("timeout", "timeout", "timeout"),
      primary: primaryView({ fenced: false }),
      replica: promotedReplica,
      dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
      reportWritten: true,
    }),
    expected: { kind: "alert-only", severity: "warning" },
    because: "is available again after the failover to tap-replica-dev. Writer stays on tap-replica-dev",
  },
  {
    name: "old primary back after failover but fenced: quiet, it is the expected state",
    snapshot: snapshot({
      primaryProbes: probes("read-only", "read-only", "read-only"),
      primary: primaryView({ fenced: true }),
      replica: promotedReplica,
      dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
      reportWritten: true,
    }),
    expected: { kind: "none" },
    because: "is available again but fenced; writer stays on tap-replica-dev",
  },
  {
    name: "stale probes (a retried event, newest probe 121 s old): no new failover",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, takenAtMs: T0 + 30_000 + 121_000 }),
    nowMs: T0 + 30_000 + 125_000,
    expected: { kind: "none" },
    because:
      "The evidence is stale: the newest probe (2024-05-01T10:00:30.000Z) is 121 s old, more than the 120 s",
  },
  {
    name: "probes exactly 120 s old are still fresh enough",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      lastHealthyLag: lagReading(2),
      takenAtMs: T0 + 30_000 + 120_000,
    }),
    // Slow reads after that do not make the evidence stale.
    nowMs: T0 + 30_000 + 200_000,
    expected: { kind: "promote-replica" },
    because: "Promoting tap-replica-dev",
  },
  {
    name: "stale alarm event (retried 3 minutes after its transition): no new failover",
    snapshot: snapshot({
      trigger: alarm("ALARM"),
      primaryProbes: [],
      primary: FAILED_PRIMARY,
      lastHealthyLag: lagReading(2, 130),
      takenAtMs: T0 + 121_000,
    }),
    nowMs: T0 + 125_000,
    expected: { kind: "none" },
    because: "the alarm's transition to ALARM (2024-05-01T09:59:00.000Z) is 181 s old",
  },
  {
    name: "stale evidence does not stop resuming a begun failover",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
      replica: promotedReplica,
      takenAtMs: T0 + 3_600_000,
    }),
    nowMs: T0 + 3_600_000,
    expected: {
      kind: "complete-failover",
      steps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
    },
    because: "Resuming an interrupted failover",
  },
  {
    name: "writer points at a replica that is still replicating: critical alert",
    snapshot: snapshot({ dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: REPLICA_ENDPOINT } }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "is still a read-only replica: clients cannot write",
  },
  {
    name: "alarm in ALARM with RDS reporting the primary failed: promote from the alarm's start",
    snapshot: snapshot({
      trigger: alarm("ALARM"),
      primaryProbes: [],
      primary: FAILED_PRIMARY,
      lastHealthyLag: lagReading(2, 130),
    }),
    expected: { kind: "promote-replica", failureStartedAtMs: T0 - 60_000, detectedAtMs: T0 + 50_000 },
    because:
      "The alarm primary-unreachable-dev has been in ALARM since 2024-05-01T09:59:00.000Z (Threshold Crossed)",
  },
  {
    name: "alarm in ALARM but RDS says available: alert",
    snapshot: snapshot({ trigger: alarm("ALARM"), primaryProbes: [] }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "not failing over automatically",
  },
  {
    name: "alarm back to OK: nothing",
    snapshot: snapshot({ trigger: alarm("OK"), primaryProbes: [], primary: FAILED_PRIMARY }),
    expected: { kind: "none" },
    because: "The alarm primary-unreachable-dev is OK; nothing to do.",
  },
  {
    name: "manual failover of a healthy cluster: the operator is the signal",
    snapshot: snapshot({ trigger: manual("failover"), primaryProbes: [] }),
    expected: {
      kind: "promote-replica",
      failureStartedAtMs: T0 + 50_000,
      detectedAtMs: T0 + 50_000,
      planned: false,
    },
    because: "alice@example.com requested a failover (game day)",
  },
  {
    name: "manual failover keeps the lag guard",
    snapshot: snapshot({ trigger: manual("failover"), primaryProbes: [], lastHealthyLag: lagReading(90) }),
    expected: { kind: "blocked", guard: "replication-lag" },
    because: "more than the 60 s limit",
  },
  {
    name: "manual failover accepting data loss overrides a large lag",
    snapshot: snapshot({
      trigger: manual("failover", true),
      primaryProbes: [],
      lastHealthyLag: lagReading(90),
    }),
    expected: { kind: "promote-replica" },
    because: "data loss is accepted",
  },
  {
    name: "manual failover accepting data loss overrides an unknown lag",
    snapshot: snapshot({ trigger: manual("failover", true), primaryProbes: [], lastHealthyLag: null }),
    expected: { kind: "promote-replica" },
    because: "the operator accepted the data loss",
  },
  {
    name: "manual status of a healthy cluster: a status sentence",
    snapshot: snapshot({ trigger: manual("status"), primaryProbes: [] }),
    expected: { kind: "none" },
    because: `Status: primary tap-primary-dev is available; replica tap-replica-dev is available and replicating; writer → ${PRIMARY_ENDPOINT}; replication lag 2 s at 2024-05-01T09:59:55.000Z.`,
  },
  {
    name: "manual status with failing probes says what the monitor path would decide",
    snapshot: snapshot({ trigger: manual("status"), primaryProbes: DOWN, primary: FAILED_PRIMARY }),
    expected: { kind: "promote-replica" },
    because: "3 consecutive probes",
  },
  {
    name: "manual switchover of a healthy cluster: planned, zero data loss",
    snapshot: snapshot({ trigger: manual("switchover"), primaryProbes: [] }),
    expected: { kind: "promote-replica", planned: true, steps: SWITCHOVER_STEPS },
    because: "Switching over to tap-replica-dev with zero data loss.",
  },
  {
    name: "manual switchover with the primary down: refused, use failover",
    snapshot: snapshot({ trigger: manual("switchover"), primaryProbes: [], primary: FAILED_PRIMARY }),
    expected: { kind: "none" },
    because: "Request a failover instead.",
  },
  {
    name: "manual switchover with a lagging replica: blocked (it would leave no writer)",
    snapshot: snapshot({
      trigger: manual("switchover"),
      primaryProbes: [],
      lastHealthyLag: lagReading(90, 0),
    }),
    expected: { kind: "blocked", guard: "replication-lag" },
    because: "more than the 60 s limit",
  },
  {
    name: "malformed: probes out of order, even with every failure signal",
    snapshot: snapshot({
      primaryProbes: [
        probes("timeout", "timeout")[1],
        ...probes("timeout", "timeout").slice(0, 1),
        probes("timeout", "timeout", "timeout")[2],
      ],
      primary: FAILED_PRIMARY,
    }),
    expected: { kind: "none" },
    because:
      "Snapshot rejected, nothing will be done: primaryProbes[1] (2024-05-01T10:00:00.000Z) is older than primaryProbes[0] (2024-05-01T10:00:15.000Z); probes must be oldest first.",
  },
  {
    name: "malformed: NaN probe time",
    snapshot: snapshot({
      primaryProbes: DOWN.map((p, i) => (i === 1 ? { ...p, atMs: Number.NaN } : p)),
      primary: FAILED_PRIMARY,
    }),
    expected: { kind: "none" },
    because: "Snapshot rejected, nothing will be done: primaryProbes[1].atMs is NaN.",
  },
  {
    name: "malformed: NaN snapshot time",
    snapshot: snapshot({ takenAtMs: Number.NaN, primaryProbes: DOWN, primary: FAILED_PRIMARY }),
    expected: { kind: "none" },
    because: "takenAtMs is NaN",
  },
  {
    name: "malformed: NaN evaluation time",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY }),
    nowMs: Number.NaN,
    expected: { kind: "none" },
    because: "the evaluation time is NaN",
  },
  {
    name: "malformed: unknown trigger",
    snapshot: snapshot({
      trigger: { kind: "cron" } as unknown as Trigger,
      primaryProbes: DOWN,
      primary: FAILED_PRIMARY,
    }),
    expected: { kind: "none" },
    because: 'the trigger {"kind":"cron"} is not a monitor, alarm or manual trigger',
  },
  {
    name: "malformed: unknown probe outcome",
    snapshot: snapshot({
      primaryProbes: DOWN.map((p) => ({ ...p, outcome: "down" as ProbeOutcome })),
      primary: FAILED_PRIMARY,
    }),
    expected: { kind: "none" },
    because: 'primaryProbes[0].outcome "down" is not a known probe outcome',
  },
  {
    name: "malformed: a missing probe entry",
    snapshot: snapshot({ primaryProbes: [...DOWN, null as unknown as ProbeResult], primary: FAILED_PRIMARY }),
    expected: { kind: "none" },
    because: "primaryProbes[3] is null",
  },
  {
    name: "malformed: alarm without its evidence",
    snapshot: snapshot({
      trigger: { kind: "alarm" } as unknown as Trigger,
      primaryProbes: [],
      primary: FAILED_PRIMARY,
    }),
    expected: { kind: "none" },
    because: "the alarm's sinceMs is undefined",
  },
  {
    name: "a policy that fails over on one probe is refused",
    snapshot: snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY }),
    policy: { ...DEFAULT_POLICY, consecutiveFailuresToFailover: 1 },
    expected: { kind: "none" },
    because:
      "Policy rejected, nothing will be done: consecutiveFailuresToFailover must be a whole number from 2 to 20; got 1.",
  },
];

describe("decide: named situations", () => {
  it.each(situations.map((s) => [s.name, s] as const))("%s", (_name, situation) => {
    const decision = decide(situation.snapshot, situation.policy ?? DEFAULT_POLICY, situation.nowMs ?? NOW);
    expect(decision).toMatchObject(situation.expected);
    expect(decision.reason).toContain(situation.because);
  });

  it("is pure: the same snapshot gives the same decision and is not modified", () => {
    const input = snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY });
    const copy = JSON.parse(JSON.stringify(input)) as ClusterSnapshot;
    expect(decide(input, DEFAULT_POLICY, NOW)).toEqual(decide(input, DEFAULT_POLICY, NOW));
    expect(input).toEqual(copy);
  });

  it("reads the full reason of a promotion as one sentence chain", () => {
    const decision = decide(snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY }), DEFAULT_POLICY, NOW);
    expect(decision.reason).toBe(
      "3 consecutive probes of the primary tap-primary-dev failed since 2024-05-01T10:00:00.000Z and RDS reports " +
        "the primary tap-primary-dev as failed (second signal: RDS status). The replica was 2 s behind before the " +
        "failure (limit 60 s). " +
        "Promoting tap-replica-dev.",
    );
  });
});

describe("decide: properties", () => {
  const outcome = fc.constantFrom<ProbeOutcome>(
    "ok",
    "unreachable",
    "timeout",
    "auth-failed",
    "read-only",
    "error",
  );

  it("never promotes automatically with fewer trailing failures than the threshold", () => {
    fc.assert(
      fc.property(fc.array(outcome, { minLength: 0, maxLength: 8 }), (outcomes) => {
        fc.pre(consecutiveFailures(probes(...outcomes)) < DEFAULT_POLICY.consecutiveFailuresToFailover);
        const decision = decide(
          snapshot({ primaryProbes: probes(...outcomes), primary: FAILED_PRIMARY }),
          DEFAULT_POLICY,
          NOW,
        );
        expect(decision.kind).not.toBe("promote-replica");
      }),
    );
  });

  it("never promotes on a snapshot whose probes are out of order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100_000 }), { minLength: 2, maxLength: 6 }),
        (offsets) => {
          const times = offsets.map((o) => T0 + o);
          fc.pre(times.some((t, i) => i > 0 && t < times[i - 1]));
          const shuffled = times.map((atMs) => ({
            target: "primary" as const,
            atMs,
            outcome: "timeout" as const,
            latencyMs: 1,
          }));
          const decision = decide(
            snapshot({ primaryProbes: shuffled, primary: FAILED_PRIMARY }),
            DEFAULT_POLICY,
            NOW,
          );
          expect(decision.kind).toBe("none");
          expect(decision.reason).toContain("probes must be oldest first");
        },
      ),
    );
  });
});

describe("consecutiveFailures", () => {
  it.each([
    ["no probes", [], 0],
    ["all ok", ["ok", "ok"], 0],
    ["trailing run of two", ["timeout", "ok", "timeout", "error"], 2],
    ["recovered at the end", ["timeout", "timeout", "timeout", "ok"], 0],
    ["all failed", ["unreachable", "timeout", "read-only"], 3],
  ] as [string, ProbeOutcome[], number][])("%s", (_name, outcomes, expected) => {
    expect(consecutiveFailures(probes(...outcomes))).toBe(expected);
  });
});

describe("failureStartMs", () => {
  it("is the first probe of the trailing failure run", () => {
    expect(failureStartMs({ kind: "monitor", runId: "r" }, probes("ok", "timeout", "timeout"), T0 + 99)).toBe(
      T0 + 15_000,
    );
  });
  it("falls back to the alarm's start, then to the snapshot time", () => {
    expect(failureStartMs(alarm("ALARM"), probes("ok"), T0 + 99)).toBe(T0 - 60_000);
    expect(failureStartMs(manual("failover"), [], T0 + 99)).toBe(T0 + 99);
  });
});

describe("lagGuard", () => {
  it.each([
    ["fresh small lag passes", lagReading(5), false, false, { ok: true, dataLossWindowSeconds: 5 }],
    ["zero lag passes", lagReading(0), false, false, { ok: true, dataLossWindowSeconds: 0 }],
    [
      "negative lag is not a valid reading",
      lagReading(-3),
      false,
      false,
      { ok: false, guard: "lag-unknown" },
    ],
    ["too large without acceptance", lagReading(61), false, false, { ok: false, guard: "replication-lag" }],
    ["too large with acceptance", lagReading(61), true, false, { ok: true, dataLossWindowSeconds: 61 }],
    ["unknown with operator acceptance", null, true, true, { ok: true, dataLossWindowSeconds: null }],
    [
      "older than the limit at the first sign of failure",
      lagReading(1, 301),
      false,
      false,
      { ok: false, guard: "lag-unknown" },
    ],
    [
      "age exactly at the limit passes",
      lagReading(1, 300),
      false,
      false,
      { ok: true, dataLossWindowSeconds: 1 },
    ],
  ] as const)("%s", (_name, lag, acceptLoss, acceptUnknown, expected) => {
    expect(lagGuard(lag, T0, DEFAULT_POLICY, acceptLoss, acceptUnknown)).toMatchObject(expected);
  });
});

describe("failoverState", () => {
  it.each([
    ["replica replicating", snapshot(), "not-started", []],
    [
      "promotion running",
      snapshot({ replica: replicaView({ status: "modifying", promotionRequestedAtMs: T0 }) }),
      "promoting",
      [
        "promote-replica",
        "wait-replica-writable",
        "switch-writer",
        "enable-backups",
        "write-report",
        "notify-success",
      ],
    ],
    [
      "promoted and backing up counts as writable",
      snapshot({ replica: replicaView({ isReplica: false, status: "backing-up" }) }),
      "promoted",
      ["switch-writer", "enable-backups", "write-report", "notify-success"],
    ],
    [
      "promoted, modifying",
      snapshot({ replica: replicaView({ isReplica: false, status: "modifying" }) }),
      "promoting",
      ["wait-replica-writable", "switch-writer", "enable-backups", "write-report", "notify-success"],
    ],
    [
      "writer switched",
      snapshot({ replica: promotedReplica, dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: null } }),
      "writer-switched",
      ["write-report", "notify-success"],
    ],
    [
      "complete",
      snapshot({
        replica: promotedReplica,
        dns: { writerTarget: REPLICA_ENDPOINT, readerTarget: null },
        reportWritten: true,
      }),
      "complete",
      [],
    ],
  ] as const)("%s", (_name, input, phase, steps) => {
    const state = failoverState(input);
    expect(state.phase).toBe(phase);
    expect(state.missingSteps).toEqual(steps);
  });

  it("isWritable needs a reachable, standalone, available or backing-up instance", () => {
    expect(isWritable(promotedReplica)).toBe(true);
    expect(isWritable(replicaView({ isReplica: false, status: "backing-up" }))).toBe(true);
    expect(isWritable(replicaView())).toBe(false);
    expect(isWritable(replicaView({ isReplica: false, status: "modifying" }))).toBe(false);
    expect(isWritable(replicaView({ isReplica: false, apiReachable: false }))).toBe(false);
  });
});

describe("promotion status sequences (RDS's sequence and when the source clears are UNCONFIRMED, reference §1.2)", () => {
  type Step = readonly [status: "modifying" | "rebooting" | "backing-up" | "available", isReplica: boolean];
  const seq = (statuses: Step[0][], clearsAt: "start" | "end"): Step[] =>
    statuses.map((status, i) => [status, clearsAt === "start" ? false : i < statuses.length - 1] as const);
  const sequences: [string, Step[]][] = [
    ["modifying → available, source cleared at the start", seq(["modifying", "available"], "start")],
    ["modifying → available, source cleared at the end", seq(["modifying", "available"], "end")],
    [
      "modifying → rebooting → available, source cleared at the start",
      seq(["modifying", "rebooting", "available"], "start"),
    ],
    [
      "modifying → rebooting → available, source cleared at the end",
      seq(["modifying", "rebooting", "available"], "end"),
    ],
    [
      "modifying → rebooting → backing-up → available, source cleared at the start",
      seq(["modifying", "rebooting", "backing-up", "available"], "start"),
    ],
    [
      "modifying → rebooting → backing-up → available, source cleared at the end",
      seq(["modifying", "rebooting", "backing-up", "available"], "end"),
    ],
  ];

  it.each(sequences)("%s: every state resumes the failover, none blocks it", (_name, steps) => {
    for (const [status, isReplica] of steps) {
      const replica = replicaView({
        status,
        rawStatus: status,
        isReplica,
        promotionRequestedAtMs: T0 + 10_000,
      });
      const input = snapshot({ primaryProbes: DOWN, primary: FAILED_PRIMARY, replica });
      const decision = decide(input, DEFAULT_POLICY, NOW);
      const writable = isWritable(replica);
      expect({ status, isReplica, kind: decision.kind, writable }).toEqual({
        status,
        isReplica,
        kind: "complete-failover",
        writable: !isReplica && (status === "available" || status === "backing-up"),
      });
      const steps = decision.kind === "complete-failover" ? decision.steps : [];
      // Until it is writable the run waits for it; once writable it switches writer at once.
      expect(steps[0]).toBe(
        isReplica ? "promote-replica" : writable ? "switch-writer" : "wait-replica-writable",
      );
      expect(steps).toContain("switch-writer");
    }
  });

  it("without the tag, a replica that still names its source reads as not started (nothing begun)", () => {
    expect(failoverState(snapshot({ replica: replicaView({ status: "modifying" }) })).phase).toBe(
      "not-started",
    );
  });
});
