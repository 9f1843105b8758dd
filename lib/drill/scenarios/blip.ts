import { engineClean, noPromotion, noWorkflow, writerKept, writesResumed } from "./checks";
import type { DrillScenario } from "./types";

/**
 * A freeze shorter than the detection window. The fault is transient: `inject` freezes the
 * primary for `--blip` seconds and resumes it, so there is nothing left to clear.
 */
export const blip: DrillScenario<"blip"> = {
  name: "blip",
  description: "the primary is frozen with SIGSTOP for less than the detection window, then resumed",
  expectation: "no failover: too few consecutive probes fail; writes resume on the primary",
  outcome: "observe",
  approval: false,
  targets: true,
  async inject({ cluster, clock, options, event, fault }) {
    fault(`SIGSTOP to the primary for ${options.blipSeconds} s`);
    await cluster.kill(cluster.primary, "SIGSTOP");
    await clock.sleep(options.blipSeconds * 1000);
    await cluster.kill(cluster.primary, "SIGCONT");
    event("fault-cleared", "SIGCONT: the primary runs again");
  },
  checks: (facts) => [
    noPromotion(facts),
    writerKept(facts),
    writesResumed(facts),
    engineClean(facts),
    noWorkflow(facts),
  ],
};
