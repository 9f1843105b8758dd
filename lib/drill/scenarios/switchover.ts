import { check, engineClean, promotedOnce, workflowSucceeded, writerMoved, writesResumed } from "./checks";
import type { DrillScenario } from "./types";

/**
 * The planned switchover an operator requests: automatic failover is paused first (the monitor
 * stops, as for maintenance), then the request is evaluated as the failover function would.
 */
export const switchover: DrillScenario<"switchover"> = {
  name: "switchover",
  description: "planned switchover: fence the primary, wait for the replica to replay everything, promote",
  expectation: "replica promoted, writer moved, zero lost commits",
  outcome: "promotion",
  approval: false,
  // It waits for the replica to catch up: no automatic-failover target.
  targets: false,
  requested: "switchover requested",
  async inject({ monitor, fault, lastHealthyLag }) {
    await monitor.stop();
    const latest = monitor.latest();
    const lag = await lastHealthyLag();
    fault("an operator requests a planned switchover");
    await monitor.evaluate(
      {
        kind: "manual",
        action: "switchover",
        requestedBy: "drill",
        reason: "planned switchover game day",
        acceptDataLoss: false,
      },
      { primaryProbes: latest?.primaryProbes ?? [], lastHealthyLag: lag },
    );
  },
  checks: (facts) => [
    promotedOnce(facts),
    writerMoved(facts),
    writesResumed(facts),
    engineClean(facts),
    workflowSucceeded(facts),
    check(
      "zero lost commits",
      facts.figures.lostCommits === 0,
      facts.figures.lostCommits === null
        ? "the promoted server could not be read"
        : `${facts.figures.lostCommits} lost`,
    ),
  ],
};
