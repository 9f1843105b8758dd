import { decide } from "../../../lib/lambda/core/decide";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import { backupsProblem, RESTORE_STEPS } from "../../../lib/lambda/core/regional";
import type {
  ApiReachabilityHistory,
  ClusterSnapshot,
  Decision,
  FailoverPolicy,
  InstanceView,
} from "../../../lib/lambda/core/types";
import {
  DR_BACKUPS,
  PRIMARY_ENDPOINT,
  RESTORED_ENDPOINT,
  T0,
  primaryView,
  replicaView,
  restoredView,
} from "../../support/fake-ports";
import { probes, snapshot } from "../../support/snapshots";

const MIN = 60_000;
/** The failure began at T0 (the first of three timed-out probes); the confirmation window is 10 min. */
const DOWN = probes("timeout", "timeout", "timeout");
const TAKEN = T0 + 12 * MIN;

/** An instance whose region's RDS API cannot be reached. */
function unreachable(view: InstanceView): InstanceView {
  return {
    ...view,
    apiReachable: false,
    apiError: "connectivity",
    status: "unknown",
    rawStatus: "TimeoutError: Connection timed out after 3000 ms",
    endpoint: undefined,
  };
}
const LOST_PRIMARY = unreachable(primaryView());
const LOST_REPLICA = unreachable(replicaView());
/** Every minute since the failure began unreached (sampled at minute starts, up to the snapshot). */
const UNREACHED: ApiReachabilityHistory = {
  kind: "read",
  periodSeconds: 60,
  samples: Array.from({ length: 12 }, (_, i) => ({ atMs: T0 + i * MIN, reachable: false })),
};

/** The default placement losing its region 12 minutes ago: both instances and the region's API gone. */
function regionLost(overrides: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return snapshot({
    takenAtMs: TAKEN,
    primaryProbes: DOWN,
    lastHealthyLag: null,
    failureFirstSeenAtMs: T0,
    primary: LOST_PRIMARY,
    replica: LOST_REPLICA,
    primaryApiHistory: UNREACHED,
    ...overrides,
  });
}

interface Situation {
  readonly name: string;
  readonly snapshot: ClusterSnapshot;
  readonly policy?: Partial<FailoverPolicy>;
  readonly nowMs?: number;
  readonly expected: Partial<Decision> & { kind: Decision["kind"] };
  readonly because: string;
}

const SITUATIONS: Situation[] = [
  {
    name: "region lost for 12 min, backups replicated: restore in the DR region",
    snapshot: regionLost(),
    expected: {
      kind: "restore-in-dr-region",
      failureStartedAtMs: T0,
      detectedAtMs: TAKEN,
      latestRestorableTimeMs: DR_BACKUPS.kind === "available" ? DR_BACKUPS.latestRestorableTimeMs : 0,
      steps: RESTORE_STEPS,
    },
    because: "commits after it are lost (about 120 s before the failure began)",
  },
  {
    name: "both instances failed while their region's API answers (partial regional loss): restore",
    snapshot: regionLost({
      primary: primaryView({ status: "failed", rawStatus: "failed" }),
      replica: replicaView({ status: "failed", rawStatus: "failed" }),
      primaryApiHistory: { kind: "read", periodSeconds: 60, samples: [] },
    }),
    expected: { kind: "restore-in-dr-region" },
    because:
      "RDS reports the primary tap-primary-dev failed, and RDS reports the replica tap-replica-dev failed",
  },
  {
    name: "lost for 6 min only: a critical alert that says when the restore starts",
    snapshot: regionLost({ takenAtMs: T0 + 6 * MIN }),
    nowMs: T0 + 6 * MIN,
    expected: { kind: "alert-only", severity: "critical" },
    because: "a restore in the DR region starts once it has lasted 10 min",
  },
  {
    name: "a 30-minute confirmation window is honoured",
    snapshot: regionLost(),
    policy: { restoreConfirmationMinutes: 30 },
    expected: { kind: "alert-only", severity: "critical" },
    because: "once it has lasted 30 min",
  },
  {
    name: "tap:regionalRestore approve: blocked for an operator's approval",
    snapshot: regionLost(),
    policy: { regionalRestore: "approve" },
    expected: { kind: "blocked", guard: "regional-restore" },
    because: "an operator must approve it",
  },
  {
    name: "tap:regionalRestore off: a critical alert, nothing restored",
    snapshot: regionLost(),
    policy: { regionalRestore: "off" },
    expected: { kind: "alert-only", severity: "critical" },
    because: "tap:regionalRestore is off",
  },
  {
    name: "no replicated backups: alert with the fact, nothing restored",
    snapshot: regionLost({ drBackups: { kind: "missing", reason: "replication was never started" } }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "There are no replicated automated backups to restore: replication was never started.",
  },
  {
    name: "backups older than their retention: alert, nothing restored",
    snapshot: regionLost({
      drBackups: {
        ...DR_BACKUPS,
        latestRestorableTimeMs: T0 - 8 * 24 * 60 * MIN,
      } as ClusterSnapshot["drBackups"],
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "older than their 7-day retention",
  },
  {
    name: "the DR region's API gives no answer about the backups: alert, nothing restored",
    snapshot: regionLost({
      drBackups: { kind: "unreadable", apiError: "throttled", detail: "Rate exceeded" },
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "did not say whether the replicated backups exist (throttled: Rate exceeded)",
  },
  {
    name: "a cross-region replica that can be promoted: tier 1 promotes it, no restore",
    snapshot: snapshot({
      primaryProbes: DOWN,
      primary: primaryView({ status: "failed", rawStatus: "failed" }),
      replica: replicaView({ id: "tap-replica-dr" }),
      takenAtMs: T0 + 50_000,
    }),
    nowMs: T0 + 50_000,
    expected: { kind: "promote-replica" },
    because: "",
  },
  {
    name: "the replica's region throttles (an answer, not an outage): no restore",
    snapshot: regionLost({
      replica: { ...LOST_REPLICA, apiError: "throttled", apiReachable: false },
    }),
    expected: { kind: "alert-only", severity: "warning" },
    because: "nothing is promoted now",
  },
  {
    name: "the primary region's API failing for 2 min only (and RDS gave no status): no restore",
    snapshot: regionLost({
      primaryApiHistory: {
        kind: "read",
        periodSeconds: 60,
        samples: [
          { atMs: TAKEN - 3 * MIN, reachable: true },
          { atMs: TAKEN - 2 * MIN, reachable: false },
        ],
      },
    }),
    expected: { kind: "blocked", guard: "replica-unhealthy" },
    because: "",
  },
  {
    name: "the primary answers the probes again: no restore",
    snapshot: regionLost({ primaryProbes: probes("timeout", "timeout", "ok") }),
    expected: { kind: "blocked", guard: "replica-unhealthy" },
    because: "",
  },
  {
    name: "a switchover request never restores",
    snapshot: regionLost({
      trigger: { kind: "manual", action: "switchover", requestedBy: "a", reason: "r", acceptDataLoss: false },
    }),
    expected: { kind: "blocked" },
    because: "",
  },
  {
    name: "an operator's failover inside the window restores at once (the operator is the confirmation)",
    snapshot: regionLost({
      takenAtMs: T0 + 5 * MIN,
      primaryProbes: [],
      trigger: { kind: "manual", action: "failover", requestedBy: "a", reason: "r", acceptDataLoss: true },
    }),
    nowMs: T0 + 5 * MIN,
    policy: { regionalRestore: "approve" },
    expected: { kind: "restore-in-dr-region" },
    because: "Restoring tap-restored-dev in the DR region",
  },
  {
    name: "restore begun, instance still creating: resume from the wait",
    snapshot: regionLost({
      restored: restoredView({ status: "modifying", rawStatus: "creating", createdAtMs: T0 + 11 * MIN }),
    }),
    expected: {
      kind: "restore-in-dr-region",
      steps: ["wait-restored", "switch-writer", "enable-backups", "write-report", "notify-success"],
    },
    because: "Resuming the regional restore: tap-restored-dev exists (creating)",
  },
  {
    name: "restored and available, writer not switched: switch, report, notify",
    snapshot: regionLost({
      restored: restoredView({ status: "available", rawStatus: "available", endpoint: RESTORED_ENDPOINT }),
    }),
    expected: {
      kind: "restore-in-dr-region",
      steps: ["switch-writer", "enable-backups", "write-report", "notify-success"],
    },
    because: "left: switch-writer",
  },
  {
    name: "restore done (writer on it, report written) and the old primary back, unfenced: critical alert, writer stays",
    snapshot: regionLost({
      primary: primaryView(),
      primaryProbes: probes("ok", "ok", "ok"),
      restored: restoredView({ status: "available", rawStatus: "available", endpoint: RESTORED_ENDPOINT }),
      dns: { writerTarget: RESTORED_ENDPOINT, readerTarget: RESTORED_ENDPOINT },
      reportWritten: true,
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "writer stays on tap-restored-dev (never moved back automatically); fence tap-primary-dev now",
  },
  {
    name: "restore done, the old region still gone: nothing more, never a second restore",
    snapshot: regionLost({
      restored: restoredView({ status: "available", rawStatus: "available", endpoint: RESTORED_ENDPOINT }),
      dns: { writerTarget: RESTORED_ENDPOINT, readerTarget: RESTORED_ENDPOINT },
      reportWritten: true,
    }),
    expected: { kind: "none" },
    because: "The regional restore is done: writer points at tap-restored-dev",
  },
  {
    name: "the restored writer failed: critical alert",
    snapshot: regionLost({
      restored: restoredView({ status: "failed", rawStatus: "restore-error", endpoint: RESTORED_ENDPOINT }),
      dns: { writerTarget: RESTORED_ENDPOINT, readerTarget: RESTORED_ENDPOINT },
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "The restored writer tap-restored-dev is restore-error",
  },
  {
    name: "the restored instance's describe was refused (AccessDenied): not a restore begun, tier 1 decides",
    snapshot: snapshot({
      restored: restoredView({ status: "unknown", rawStatus: "AccessDenied", apiError: "refused" }),
    }),
    expected: { kind: "none" },
    because: "",
  },
  {
    name: "a cross-region replica whose describe failed once while the primary failed: no restore (tier 1)",
    snapshot: regionLost({
      replicaInPrimaryRegion: false,
      primary: primaryView({ status: "failed", rawStatus: "failed" }),
      primaryApiHistory: { kind: "read", periodSeconds: 60, samples: [] },
    }),
    expected: { kind: "blocked", guard: "replica-unhealthy" },
    because: "",
  },
  {
    name: "the backups keep receiving the primary's logs (a partition, not a loss): critical alert, no restore",
    snapshot: regionLost({
      drBackups: { ...DR_BACKUPS, latestRestorableTimeMs: TAKEN - 60_000 } as ClusterSnapshot["drBackups"],
      primaryLastAnsweredAtMs: T0 - MIN,
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "its logs still arrive, so it is alive and may be taking writes",
  },
  {
    name: "a restore point 40 min before the failure (more than 15 min of commits): blocked for an approval",
    snapshot: regionLost({
      drBackups: { ...DR_BACKUPS, latestRestorableTimeMs: T0 - 40 * MIN } as ClusterSnapshot["drBackups"],
    }),
    expected: { kind: "blocked", guard: "regional-restore" },
    because: "more than the 15 min of commits a restore may lose without an operator's approval",
  },
  {
    name: "an operator's failover without acceptDataLoss: alert with the request that restores",
    snapshot: regionLost({
      trigger: { kind: "manual", action: "failover", requestedBy: "a", reason: "r", acceptDataLoss: false },
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: 'request {"action":"failover","acceptDataLoss":true}',
  },
  {
    name: "an operator's failover accepting data loss with tap:regionalRestore off: alert only",
    snapshot: regionLost({
      trigger: { kind: "manual", action: "failover", requestedBy: "a", reason: "r", acceptDataLoss: true },
    }),
    policy: { regionalRestore: "off" },
    expected: { kind: "alert-only", severity: "critical" },
    because: "tap:regionalRestore is off",
  },
  {
    name: "a monitoring gap: the last answer 2 h ago, failures seen for 3 min only: wait for the window",
    snapshot: regionLost({
      primaryLastAnsweredAtMs: TAKEN - 120 * MIN,
      failureFirstSeenAtMs: TAKEN - 3 * MIN,
      primaryProbes: probes("timeout", "timeout", "timeout").map((p) => ({ ...p, atMs: p.atMs + 9 * MIN })),
    }),
    expected: { kind: "alert-only", severity: "critical" },
    because: "a restore in the DR region starts once it has lasted 10 min",
  },
  {
    name: "an operator's failover when the primary region's API failed for 1 min only: no restore",
    snapshot: regionLost({
      takenAtMs: T0 + 2 * MIN,
      primaryProbes: [],
      trigger: { kind: "manual", action: "failover", requestedBy: "a", reason: "r", acceptDataLoss: true },
    }),
    nowMs: T0 + 2 * MIN,
    expected: { kind: "blocked", guard: "replica-unhealthy" },
    because: "",
  },
  {
    name: "healthy cluster: no tier-2 decision",
    snapshot: snapshot({ dns: { writerTarget: PRIMARY_ENDPOINT, readerTarget: PRIMARY_ENDPOINT } }),
    expected: { kind: "none" },
    because: "",
  },
];

describe("decide, tier 2: regional restore", () => {
  it.each(SITUATIONS.map((s) => [s.name, s] as const))("%s", (_name, s) => {
    const policy = { ...DEFAULT_POLICY, ...s.policy };
    const decision = decide(s.snapshot, policy, s.nowMs ?? s.snapshot.takenAtMs);
    expect(decision).toMatchObject(s.expected);
    expect(decision.reason).toContain(s.because);
  });
});

describe("backupsProblem", () => {
  it.each([
    ["restorable within retention", DR_BACKUPS, null],
    [
      "missing",
      { kind: "missing", reason: "none" } as const,
      "There are no replicated automated backups to restore: none.",
    ],
  ] as const)("%s", (_name, backups, expected) => {
    expect(backupsProblem(backups, T0)).toBe(expected);
  });
});
