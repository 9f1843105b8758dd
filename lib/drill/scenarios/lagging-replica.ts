import { STATES } from "../../workflow/definition";
import { check, failedOver } from "./checks";
import { type DrillScenario, POLL_MS } from "./types";

/**
 * A failover the lag guard must refuse: replay is paused on the replica until a healthy lag reading
 * in the monitor's history exceeds the limit, then the primary is killed. The runner plays the
 * operator who approves the blocked failover (`approval`).
 */
export const laggingReplica: DrillScenario<"lagging-replica"> = {
  name: "lagging-replica",
  description:
    "replay is paused on the replica until its lag exceeds the limit, then the primary is killed; an operator approves the failover",
  expectation:
    "no automatic promotion (it would lose data): the lag guard blocks it, alerts a human and waits; " +
    "on the operator's approval the failover completes, accepting the data loss, and every lost commit is listed",
  outcome: "promotion",
  approval: true,
  // A person's wait is no automatic-failover target.
  targets: false,
  async inject({ cluster, clock, options, event, fault, lastHealthyLag }) {
    const policy = options.policy;
    await cluster.pauseReplay(cluster.replica);
    event("replay-paused", "WAL replay paused on the replica");
    const limit = policy.maxReplicationLagSeconds;
    const lagDeadline =
      clock.nowMs() + (limit + 4 * policy.probesPerRun * policy.probeIntervalSeconds + 10) * 1000;
    // Read back as the failover side reads it: the newest healthy reading in the history.
    while (((await lastHealthyLag())?.lagSeconds ?? 0) <= limit) {
      if (clock.nowMs() > lagDeadline)
        throw new Error(`the replica's lag never exceeded ${limit} s after pausing replay`);
      await clock.sleep(POLL_MS);
    }
    fault(`SIGKILL to the primary while the replica lags more than ${limit} s`);
    await cluster.kill(cluster.primary, "SIGKILL");
  },
  checks: (facts) => {
    const blockedByLag = facts.evaluations.some(
      (e) => e.decision.kind === "blocked" && e.decision.guard === "replication-lag",
    );
    const a = facts.approval;
    const visited = facts.executions[0]?.statesVisited ?? [];
    return [
      check(
        "blocked by the replication-lag guard",
        blockedByLag,
        blockedByLag
          ? "a blocked decision named the replication-lag guard"
          : "no decision was blocked by the lag guard",
      ),
      check(
        "a human was alerted",
        facts.notificationEvents.includes("failover-blocked"),
        `notifications: ${facts.notificationEvents.join(", ") || "none"}`,
      ),
      check(
        "nothing changed while waiting for the approval",
        a !== null && a.promotionsBeforeApproval === 0 && a.writerAtApproval === facts.writerInitial,
        a === null
          ? "the execution never waited for an approval"
          : `waited ${Math.round(a.approvedAtMs - a.requestedAtMs)} ms in ${STATES.requestApproval}: ` +
              `${a.promotionsBeforeApproval} promotion(s), writer → ${a.writerAtApproval ?? "missing"}`,
      ),
      check(
        "promoted only after the approval",
        a !== null && facts.promoteCalledAtMs !== null && facts.promoteCalledAtMs >= a.approvedAtMs,
        facts.promoteCalledAtMs === null
          ? "the replica was never promoted"
          : a === null
            ? "promoted without an approval"
            : `pg_promote() ${Math.round(facts.promoteCalledAtMs - a.approvedAtMs)} ms after the approval`,
      ),
      check(
        "the approval was carried out",
        a !== null &&
          a.recordedApprovedBy === a.approvedBy &&
          visited.includes(STATES.reassess) &&
          visited.includes(STATES.switchWriter),
        a === null
          ? "no approval was sent"
          : `approved by ${a.approvedBy}; the execution recorded ${a.recordedApprovedBy ?? "nobody"} and visited ` +
              `${[STATES.requestApproval, STATES.reassess, STATES.switchWriter].filter((st) => visited.includes(st)).join(", ") || "none of the approval states"}`,
      ),
      ...failedOver(facts),
    ];
  },
};
