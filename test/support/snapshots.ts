/**
 * Builders for fixture snapshots: named situations in the decision tables are written as
 * small overrides of one healthy cluster.
 */
import type {
  ClusterSnapshot,
  LagReading,
  ProbeOutcome,
  ProbeResult,
  Trigger,
} from "../../lib/lambda/core/types";
import {
  DR_BACKUPS,
  PRIMARY_ENDPOINT,
  REPLICA_ENDPOINT,
  T0,
  primaryView,
  replicaView,
  restoredView,
} from "./fake-ports";

export const MONITOR_TRIGGER: Trigger = { kind: "monitor", runId: "run-1" };

/** Probes 15 s apart starting at T0, with the given outcomes. */
export function probes(...outcomes: ProbeOutcome[]): ProbeResult[] {
  return outcomes.map((outcome, i) => ({
    target: "primary",
    atMs: T0 + i * 15_000,
    outcome,
    latencyMs: outcome === "timeout" ? 3_000 : 5,
  }));
}

/** A lag reading taken `secondsBeforeT0` before T0 showing `lagSeconds`. */
export function lagReading(lagSeconds: number | null, secondsBeforeT0 = 5): LagReading {
  const atMs = T0 - secondsBeforeT0 * 1000;
  return {
    atMs,
    lagSeconds,
    probe: { target: "replica", atMs, outcome: lagSeconds === null ? "timeout" : "ok", latencyMs: 4 },
  };
}

/** One healthy cluster: 4 good probes, 2 s lag, writer on the primary, replica replicating. */
export function snapshot(overrides: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    takenAtMs: T0 + 50_000,
    trigger: MONITOR_TRIGGER,
    primaryProbes: probes("ok", "ok", "ok", "ok"),
    lastHealthyLag: lagReading(2),
    primaryLastAnsweredAtMs: null,
    failureFirstSeenAtMs: null,
    primary: primaryView(),
    replica: replicaView(),
    dns: { writerTarget: PRIMARY_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
    primaryRdsMetrics: { kind: "not-observed", reason: "fixture" },
    primaryApiHistory: { kind: "not-observed", reason: "fixture" },
    reportWritten: false,
    drBackups: DR_BACKUPS,
    restored: restoredView(),
    replicaInPrimaryRegion: true,
    ...overrides,
  };
}

/** The replica after a finished promotion. */
export const promotedReplica = replicaView({ isReplica: false });
