/**
 * Decision tier 2: the writer's region is lost and no replica can be promoted (the default
 * placement keeps the replica in the primary's region, so losing that region loses both). Then a
 * new writer is restored in the DR region from the automated backups RDS replicates there
 * (snapshots, and transaction logs every 5 minutes: reference §1.6). Pure: no I/O.
 *
 * A restore takes hours and loses everything after the last shipped log, so it is the last resort:
 * it starts only when
 * - the failure is confirmed (enough consecutive failed probes, or the primary-unreachable alarm)
 *   and has lasted `restoreConfirmationMinutes` since it was first seen;
 * - the primary is gone by evidence that does not share the probes' failure modes: its region's
 *   API has been unreachable by connection failures (never throttles or 5xx) for `apiOutageMinutes`,
 *   or RDS reports it in a state it does not come back from by itself;
 * - the replica cannot be promoted for the same reasons (its region's API unreachable, or RDS
 *   reports it unrecoverable) and is not writable;
 * - the replicated backups exist, with a latest restorable time inside their retention.
 * It never restores while an instance can take writes or be promoted, and never twice: once the
 * restored instance exists, the only decisions are to finish that restore or to report it done.
 */
import { apiOutageSignal, consecutiveFailures, failureStartMs, isWritable } from "./decide";
import type {
  BackupsView,
  ClusterSnapshot,
  Decision,
  FailoverPolicy,
  FailoverStep,
  InstanceStatus,
  InstanceView,
} from "./types";

/** Steps of a regional restore, in order. */
export const RESTORE_STEPS: readonly FailoverStep[] = Object.freeze([
  "notify-start",
  "restore-from-backup",
  "wait-restored",
  "switch-writer",
  "enable-backups",
  "write-report",
  "notify-success",
] as const);

/**
 * Statuses RDS does not bring back to `available` by itself (the instance's storage or host is
 * gone, or its key): a promotion of such a replica cannot succeed, and such a primary will not
 * return. `storage-full`, `rebooting`, `modifying` are left out: they recover.
 */
const UNRECOVERABLE_STATUSES: readonly InstanceStatus[] = ["failed", "deleting", "not-found"];

const MINUTE_MS = 60_000;

/**
 * True once the restored instance exists: RDS described it. A describe that failed in any way
 * (refused, throttled, unreachable) proves nothing, so it never counts as a restore begun.
 */
export function restoreBegun(restored: InstanceView): boolean {
  return (
    restored.apiReachable &&
    restored.apiError === undefined &&
    restored.status !== "not-found" &&
    restored.status !== "unknown"
  );
}

/**
 * Most data a restore may lose before it needs an operator's approval: three log shipments (logs
 * reach the replicated backups every 5 minutes, reference §1.6). A restore point older than that
 * means the backups were not keeping up, or they are not the current writer's.
 */
export const MAX_AUTO_RESTORE_LOSS_SECONDS = 15 * 60;

/**
 * How far the backups' restore point may run past the moment the primary was lost before that
 * proves it still writes: a dead primary ships nothing after its death, so its restore point stays
 * at or before it; 2 minutes allow for the copy and for the loss being dated at a period's end. A
 * live primary's point is at most one 5-minute shipment old, so a confirmation window longer than
 * a shipment (10 min by default) always sees it.
 */
const LOGS_STILL_ARRIVING_MS = 2 * 60_000;

/**
 * Why `view` is gone, or `null` when it may still serve or be promoted. An unreachable API is
 * evidence only for an instance of the primary's region (`inPrimaryRegion`), where the sustained
 * outage of that region's API is established separately; elsewhere it is one failed call.
 */
function goneBecause(view: InstanceView, what: string, inPrimaryRegion: boolean): string | null {
  if (!view.apiReachable) {
    return view.apiError === "connectivity" && inPrimaryRegion
      ? `the RDS API of the ${what} ${view.id}'s region cannot be reached`
      : null;
  }
  const raw = view.rawStatus ?? view.status;
  if (UNRECOVERABLE_STATUSES.includes(view.status) || raw === "inaccessible-encryption-credentials") {
    return `RDS reports the ${what} ${view.id} ${raw}`;
  }
  return null;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The tier-2 decision for `snapshot`, or `null` when tier 1 (promotion, alerts) decides. A restore
 * that began is carried on or reported whatever tier 1 would say.
 */
export function regionalDecision(
  snapshot: ClusterSnapshot,
  policy: FailoverPolicy,
  nowMs: number,
): Decision | null {
  if (restoreBegun(snapshot.restored)) return afterRestoreBegan(snapshot);
  const trigger = snapshot.trigger;
  if (trigger.kind === "manual" && trigger.action !== "failover") return null;

  const { primary, replica } = snapshot;
  if (isWritable(primary) || isWritable(replica)) return null;
  // A describe of the restored instance that gave no answer: whether a restore began is unknown.
  if (snapshot.restored.apiError !== undefined) return null;
  const replicaGone = goneBecause(replica, "replica", snapshot.replicaInPrimaryRegion);
  if (replicaGone === null) return null;
  const outage = apiOutageSignal(
    primary,
    snapshot.primaryRdsMetrics,
    snapshot.primaryApiHistory,
    policy,
    snapshot.takenAtMs,
  );
  const primaryGone = outage.present ? outage.reason : goneBecause(primary, "primary", true);
  if (primaryGone === null || (!outage.present && !primary.apiReachable)) return null;
  // The replica's API failing counts only inside the same sustained outage of its (the primary's) region.
  if (!replica.apiReachable && !outage.present) return null;

  const confirmed =
    consecutiveFailures(snapshot.primaryProbes) >= policy.consecutiveFailuresToFailover ||
    (trigger.kind === "alarm" && trigger.alarm.state === "ALARM") ||
    trigger.kind === "manual";
  if (!confirmed) return null;
  // How long the primary has been lost, at least: since it last answered when the history shows it
  // failing right after (no probe has succeeded since, and an answer is dated at the end of its
  // period, so this never overstates); otherwise, since the first failure seen (a monitoring gap
  // between the two proves nothing).
  const seenMs = Math.min(
    snapshot.failureFirstSeenAtMs ?? Number.POSITIVE_INFINITY,
    failureStartMs(trigger, snapshot.primaryProbes, snapshot.takenAtMs),
  );
  const answeredMs = snapshot.primaryLastAnsweredAtMs;
  const lostSinceMs = answeredMs !== null && seenMs - answeredMs <= 2 * MINUTE_MS ? answeredMs : seenMs;
  // The earliest sign of the loss, for the report's figures.
  const failureStartedAtMs = Math.min(seenMs, lostSinceMs);
  const lostFor = nowMs - Math.min(lostSinceMs, nowMs);
  const loss = `The writer's region is lost: ${primaryGone}, and ${replicaGone}, so no replica can be promoted.`;
  if (trigger.kind !== "manual" && lostFor < policy.restoreConfirmationMinutes * MINUTE_MS) {
    return {
      kind: "alert-only",
      severity: "critical",
      reason:
        `${loss} The loss began at ${iso(failureStartedAtMs)} (${Math.floor(lostFor / MINUTE_MS)} min ago); a restore ` +
        `in the DR region starts once it has lasted ${policy.restoreConfirmationMinutes} min.`,
    };
  }
  const backups = backupsProblem(snapshot.drBackups, nowMs);
  if (backups !== null) {
    return {
      kind: "alert-only",
      severity: "critical",
      reason: `${loss} ${backups} Nothing was restored: a human must recover.`,
    };
  }
  const b = snapshot.drBackups as Extract<BackupsView, { kind: "available" }>;
  if (b.latestRestorableTimeMs > lostSinceMs + LOGS_STILL_ARRIVING_MS) {
    // The primary's logs keep reaching the backups: it is alive and writing, cut off from here only.
    return {
      kind: "alert-only",
      severity: "critical",
      reason:
        `${loss} But the replicated backups are restorable to ${iso(b.latestRestorableTimeMs)}, after the primary's last ` +
        `answer here (${iso(lostSinceMs)}): its logs still arrive, so it is alive and may be taking writes. Nothing is ` +
        `restored (two writers would split the data); a human must check the primary's region.`,
    };
  }
  const lossWindowSeconds = Math.max(0, Math.round((failureStartedAtMs - b.latestRestorableTimeMs) / 1000));
  const restore =
    `${loss} Restoring ${snapshot.restored.id} in the DR region from the replicated backups to their latest ` +
    `restorable time ${iso(b.latestRestorableTimeMs)}: commits after it are lost (about ${lossWindowSeconds} s before the failure began).`;
  if (policy.regionalRestore === "off") {
    return {
      kind: "alert-only",
      severity: "critical",
      reason: `${loss} tap:regionalRestore is off: nothing is restored automatically; the RUNBOOK's regional restore applies.`,
    };
  }
  if (trigger.kind === "manual" && !trigger.acceptDataLoss) {
    return {
      kind: "alert-only",
      severity: "critical",
      reason:
        `${loss} No replica can be promoted; a regional restore loses about ${lossWindowSeconds} s of commits. To restore, ` +
        `request {"action":"failover","acceptDataLoss":true}.`,
    };
  }
  // An operator who accepted the data loss is the confirmation; a restore point far behind needs one.
  const mode =
    trigger.kind === "manual"
      ? "auto"
      : lossWindowSeconds > MAX_AUTO_RESTORE_LOSS_SECONDS
        ? "approve"
        : policy.regionalRestore;
  switch (mode) {
    case "approve":
      return {
        kind: "blocked",
        guard: "regional-restore",
        reason:
          policy.regionalRestore === "approve"
            ? `${restore} tap:regionalRestore is approve: an operator must approve it.`
            : `${restore} That is more than the ${MAX_AUTO_RESTORE_LOSS_SECONDS / 60} min of commits a restore may lose ` +
              `without an operator's approval.`,
      };
    case "auto":
      return {
        kind: "restore-in-dr-region",
        reason: restore,
        failureStartedAtMs,
        // Detected = the regional loss confirmed: now, once it has lasted the confirmation window.
        detectedAtMs: nowMs,
        latestRestorableTimeMs: b.latestRestorableTimeMs,
        steps: RESTORE_STEPS,
      };
  }
}

/** Why the replicated backups cannot be restored, or `null` when they can. */
export function backupsProblem(backups: BackupsView, nowMs: number): string | null {
  switch (backups.kind) {
    case "unreadable":
      return `The DR region's RDS API did not say whether the replicated backups exist (${backups.apiError}: ${backups.detail}).`;
    case "missing":
      return `There are no replicated automated backups to restore: ${backups.reason}.`;
    case "available": {
      const oldestMs = nowMs - backups.retentionDays * 24 * 60 * MINUTE_MS;
      if (backups.latestRestorableTimeMs < oldestMs) {
        return (
          `The replicated backups' latest restorable time ${iso(backups.latestRestorableTimeMs)} is older than their ` +
          `${backups.retentionDays}-day retention: the replication has stopped.`
        );
      }
      return null;
    }
  }
}

/** Where a restore that began stands: what is left, or `none` when it is done. */
function afterRestoreBegan(snapshot: ClusterSnapshot): Decision {
  const { restored, dns, primary } = snapshot;
  const raw = restored.rawStatus ?? restored.status;
  const writerOnRestored = restored.endpoint !== undefined && dns.writerTarget === restored.endpoint;
  const probes = snapshot.primaryProbes;
  const oldPrimaryAnswers = probes.length > 0 && probes[probes.length - 1].outcome === "ok";
  if (oldPrimaryAnswers && primary.fenced !== true) {
    return {
      kind: "alert-only",
      severity: "critical",
      reason:
        `The old primary ${primary.id} accepts writes again after the regional restore to ${restored.id}. writer stays on ` +
        `${restored.id} (never moved back automatically); fence ${primary.id} now, then reconcile the data-loss window.`,
    };
  }
  if (UNRECOVERABLE_STATUSES.includes(restored.status)) {
    return {
      kind: "alert-only",
      severity: "critical",
      reason: `The restored writer ${restored.id} is ${raw}: a human must recover (the RUNBOOK's regional restore).`,
    };
  }
  const steps: FailoverStep[] = !isWritable(restored)
    ? writerOnRestored
      ? []
      : ["wait-restored", "switch-writer", "enable-backups", "write-report", "notify-success"]
    : !writerOnRestored
      ? ["switch-writer", "enable-backups", "write-report", "notify-success"]
      : snapshot.reportWritten
        ? []
        : ["write-report", "notify-success"];
  if (steps.length === 0) {
    return {
      kind: "none",
      reason:
        writerOnRestored && isWritable(restored)
          ? `The regional restore is done: writer points at ${restored.id}, which is ${raw}. Nothing is promoted or restored again.`
          : `writer points at the restored ${restored.id}, which is ${raw}; nothing is restored again.`,
    };
  }
  return {
    kind: "restore-in-dr-region",
    reason: `Resuming the regional restore: ${restored.id} exists (${raw}); left: ${steps.join(", ")}.`,
    failureStartedAtMs: snapshot.failureFirstSeenAtMs ?? snapshot.takenAtMs,
    detectedAtMs: snapshot.takenAtMs,
    latestRestorableTimeMs:
      snapshot.drBackups.kind === "available"
        ? snapshot.drBackups.latestRestorableTimeMs
        : snapshot.takenAtMs,
    steps,
  };
}
