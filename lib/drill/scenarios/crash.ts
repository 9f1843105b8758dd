import { failedOver } from "./checks";
import type { DrillScenario } from "./types";

/** A lost host: every process of the primary gets SIGKILL. */
export const crash: DrillScenario<"crash"> = {
  name: "crash",
  description: "the primary is killed with SIGKILL (a lost host)",
  expectation: "detect, promote the replica, move writer, writes resume; every lost commit is listed",
  outcome: "promotion",
  approval: false,
  targets: true,
  async inject({ cluster, fault }) {
    fault("SIGKILL to every process of the primary");
    await cluster.kill(cluster.primary, "SIGKILL");
  },
  checks: failedOver,
};
