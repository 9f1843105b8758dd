import { check, engineClean, lostListed, noPromotion, workflowSucceeded, writesResumed } from "./checks";
import type { DrillScenario } from "./types";

/**
 * The loss of the region both instances live in. The primary archived its WAL beside a base backup
 * (the DR region's backup copy), from which the regional restore makes a new writer.
 */
export const regionLost: DrillScenario<"region-lost"> = {
  name: "region-lost",
  description:
    "the primary and the replica are killed together (their region is lost); the primary archived its WAL to the DR backups",
  expectation:
    "no promotion (no replica survives): after the confirmation window a new writer is restored from the base " +
    "backup and the archived WAL (PostgreSQL point-in-time recovery), writer moves to it, writes resume; exactly " +
    "the commits after the last archived WAL are lost",
  outcome: "restore",
  approval: false,
  targets: true,
  async inject({ cluster, fault }) {
    fault("SIGKILL to every process of the primary and of the replica (their region is lost)");
    await Promise.all([cluster.kill(cluster.primary, "SIGKILL"), cluster.kill(cluster.replica, "SIGKILL")]);
  },
  checks: (facts) => {
    const r = facts.restore;
    const writerFinal = facts.writerFinal;
    return [
      noPromotion(facts),
      check("restored once", r !== null && r.restores === 1, `${r?.restores ?? 0} restore(s)`),
      check(
        "writer moved to the restored instance",
        r !== null && r.restoredEndpoint !== null && writerFinal === r.restoredEndpoint,
        `writer → ${writerFinal ?? "missing"} (restored ${r?.restoredEndpoint ?? "nothing"})`,
      ),
      writesResumed(facts),
      engineClean(facts),
      workflowSucceeded(facts),
      lostListed(facts),
      check(
        "only commits after the restore point lost",
        r !== null && r.lostBeforeRestorePoint === 0,
        r === null || r.lostBeforeRestorePoint === null || r.latestRestorableTimeMs === null
          ? "the restored server could not be read"
          : `${r.lostBeforeRestorePoint} lost commit(s) acknowledged at or before the restore point ` +
              `${new Date(r.latestRestorableTimeMs).toISOString()}; restore took ${r.restoreSeconds ?? "?"} s`,
      ),
    ];
  },
};
