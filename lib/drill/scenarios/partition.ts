import { check, clientsKeptWriting, engineClean, noPromotion, noWorkflow, writerKept } from "./checks";
import type { DrillScenario } from "./types";

/** The monitor loses its path to a healthy primary; clients reach it directly all along. */
export const partition: DrillScenario<"partition"> = {
  name: "partition",
  description: "the monitor loses its network path to the primary, which stays healthy and writable",
  expectation: "no promotion (no second signal: the primary is available); a critical alert is sent",
  outcome: "observe",
  approval: false,
  targets: true,
  async inject({ cluster, fault }) {
    fault("the monitor's path to the primary is cut (packets dropped)");
    cluster.monitorPath.cut("drop");
  },
  /** Restores the path, then lets the monitor see the primary answer again (two probe intervals). */
  async clear({ cluster, clock, options, event }) {
    cluster.monitorPath.restore();
    event("fault-cleared", "the monitor's path to the primary is restored");
    await clock.sleep(options.policy.probeIntervalSeconds * 1000 * 2);
  },
  checks: (facts) => {
    const critical = facts.evaluations.some(
      (e) => e.decision.kind === "alert-only" && e.decision.severity === "critical",
    );
    return [
      noPromotion(facts),
      writerKept(facts),
      engineClean(facts),
      noWorkflow(facts),
      check(
        "critical alert without failover",
        critical,
        critical
          ? "an alert-only decision with severity critical was made"
          : "no critical alert-only decision",
      ),
      clientsKeptWriting(facts, "after the fault"),
    ];
  },
};
