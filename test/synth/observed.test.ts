/**
 * The databases `npm run synth -- --observed <state>` pretends to find: each state, in both
 * replica placements, is one the pre-flight guard accepts with the mode the synth declares it with,
 * and the one it refuses with the other mode.
 */
import { checkTopology, type ObservedSlot, type ObservedTopology } from "../../lib/infra/topology";
import { OBSERVED_STATES, OBSERVED_WRITER, observedInstances } from "../../lib/synth/observed";
import type { ExistingDbInstances } from "../../lib/synth/mocks";

const NAMES = { environmentSuffix: "dev" };

function topologyOf(existing: ExistingDbInstances): ObservedTopology {
  const slot = (id: string): ObservedSlot => {
    const found = existing[id];
    return found === undefined
      ? { exists: false }
      : {
          exists: true,
          replicateSourceDb: found.replicateSourceDb ?? "",
          declaredRole: found.tags?.["DR-Slot-Role"] as "writer" | "replica" | undefined,
        };
  };
  return {
    primary: slot("rds-primary-dev"),
    replica: slot("rds-replica-dev"),
    restored: slot("rds-restored-dev"),
  };
}

describe.each([
  ["same-region replica", "ap-southeast-2"],
  ["cross-region replica", "ap-southeast-1"],
])("observed databases with a %s", (_label, replicaRegion) => {
  const config = {
    environmentSuffix: "dev",
    primaryRegion: "ap-southeast-2",
    replicaRegion,
    drRegion: "ap-southeast-1",
  };

  it("places each instance in its slot's region, a cross-region replica's source by ARN", () => {
    const deployed = observedInstances("deployed", config);
    expect(deployed["rds-primary-dev"].region).toBe("ap-southeast-2");
    expect(deployed["rds-replica-dev"]).toEqual({
      region: replicaRegion,
      replicateSourceDb:
        replicaRegion === "ap-southeast-2"
          ? "rds-primary-dev"
          : "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev",
      tags: { "DR-Slot-Role": "replica" },
    });
    expect(observedInstances("none", config)).toEqual({});
  });

  it.each(OBSERVED_STATES.filter((s) => s !== "none"))(
    "%s passes the guard with its mode and is refused with the other",
    (state) => {
      const observed = topologyOf(observedInstances(state, config));
      const mode = OBSERVED_WRITER[state];
      expect(checkTopology(mode, true, observed, NAMES).writer).toBe(mode);
      for (const other of (["primary", "replica", "restored"] as const).filter((m) => m !== mode)) {
        expect(() => checkTopology(other, true, observed, NAMES)).toThrow(/Refusing to deploy/);
      }
    },
  );
});
