import { failedOver } from "./checks";
import type { DrillScenario } from "./types";

/** An immediate shutdown of the primary; the control plane reports it `stopped`. */
export const stop: DrillScenario<"stop"> = {
  name: "stop",
  description: "the primary is shut down immediately (pg_ctl stop -m immediate)",
  expectation: "detect, promote the replica, move writer, writes resume; every lost commit is listed",
  outcome: "promotion",
  approval: false,
  targets: true,
  async inject({ cluster, control, fault }) {
    control.markStopped("primary");
    fault("pg_ctl stop -m immediate on the primary");
    await cluster.stopImmediate(cluster.primary);
  },
  checks: failedOver,
};
