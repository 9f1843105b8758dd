import {
  checkTopology,
  finalSnapshotIdentifier,
  liveWriter,
  planTopology,
  preflightProblems,
  replicatesFrom,
  restoredInstanceId,
  slotIdentifier,
  TopologyPreflightError,
  type ObservedSlot,
  type ObservedTopology,
} from "../../lib/infra/topology";
import { NAME_LIMITS } from "../../lib/naming";

const NAMES = { environmentSuffix: "dev" };
const MISSING: ObservedSlot = { exists: false };
const standalone = (declaredRole?: "writer" | "replica" | "old-writer"): ObservedSlot => ({
  exists: true,
  replicateSourceDb: "",
  declaredRole,
});
const replicaOf = (source: string, declaredRole?: "writer" | "replica" | "old-writer"): ObservedSlot => ({
  exists: true,
  replicateSourceDb: source,
  declaredRole,
});
const CROSS_REGION_A = "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev";

/** Named situations of the life cycle: first deploy → failover → kept → rebuilt → failback. */
const S = {
  firstDeploy: { primary: MISSING, replica: MISSING },
  steady: { primary: standalone(), replica: replicaOf("rds-primary-dev") },
  steadyTagged: { primary: standalone("writer"), replica: replicaOf("rds-primary-dev", "replica") },
  steadyCrossRegion: { primary: standalone("writer"), replica: replicaOf(CROSS_REGION_A, "replica") },
  // The failover function promoted the replica; the last `up` still declared the old roles.
  afterFailover: { primary: standalone("writer"), replica: standalone("replica") },
  // After `pulumi up` with activeWriter=replica, keepOldWriter=true.
  oldWriterKept: { primary: standalone("old-writer"), replica: standalone("writer") },
  // After `pulumi up` with keepOldWriter=false: protected again.
  rebuilt: { primary: replicaOf("rds-replica-dev", "replica"), replica: standalone("writer") },
  // Failback switchover promoted rds-primary back; the last `up` declared it the replica.
  afterSwitchoverBack: { primary: standalone("replica"), replica: standalone("writer") },
  failbackKept: { primary: standalone("writer"), replica: standalone("old-writer") },
  bothStandaloneUntagged: {
    primary: standalone(),
    replica: { exists: true, replicateSourceDb: "", declaredRole: "writer" },
  },
  primaryLost: { primary: MISSING, replica: standalone("replica") },
  replicaOfStranger: { primary: standalone("writer"), replica: replicaOf("some-other-db") },
  // The regional restore created rds-restored (no tag: no `up` declared it); the lost region is back.
  afterRestore: {
    primary: standalone("writer"),
    replica: replicaOf("rds-primary-dev", "replica"),
    restored: standalone(),
  },
  // The lost region never came back (its instances are gone from the account).
  afterRestoreRegionGone: { primary: MISSING, replica: MISSING, restored: standalone() },
  // After `pulumi up` with activeWriter=restored, keepOldWriter=true: the lost writer kept, the
  // replica slot rebuilt as a replica of the restored writer.
  restoredDeclared: {
    primary: standalone("old-writer"),
    replica: replicaOf("arn:aws:rds:ap-southeast-1:123456789012:db:rds-restored-dev", "replica"),
    restored: standalone("writer"),
  },
  // The way back: a switchover promoted the replica slot (in ap-southeast-2).
  afterWayBack: {
    primary: standalone("old-writer"),
    replica: standalone("replica"),
    restored: standalone("writer"),
  },
  // A restore whose instance is still being created by the workflow, seen through a replica view.
  restoredPromotedReplica: {
    primary: standalone("writer"),
    replica: standalone("replica"),
    restored: standalone(),
  },
} satisfies Record<string, ObservedTopology>;

describe("preflightProblems: situations that are safe to deploy", () => {
  it.each([
    ["first deployment", "primary", true, S.firstDeploy, "replica"],
    ["steady state, instances deployed before the role tag existed", "primary", true, S.steady, "replica"],
    ["steady state", "primary", true, S.steadyTagged, "replica"],
    ["steady state, cross-region replica (source by ARN)", "primary", false, S.steadyCrossRegion, "replica"],
    ["after a failover, config switched, old writer kept", "replica", true, S.afterFailover, "old-writer"],
    ["old writer kept, second up in the same mode", "replica", true, S.oldWriterKept, "old-writer"],
    ["old writer inspected, now rebuilt as a replica", "replica", false, S.oldWriterKept, "replica"],
    ["protected again after the rebuild", "replica", false, S.rebuilt, "replica"],
    [
      "protected again, keepOldWriter back on: a replica stays a replica",
      "replica",
      true,
      S.rebuilt,
      "replica",
    ],
    ["failback: switchover done, config switched back", "primary", true, S.afterSwitchoverBack, "old-writer"],
    ["failback: old writer rebuilt", "primary", false, S.failbackKept, "replica"],
    [
      "the standby slot was deleted by hand: recreated as a replica",
      "replica",
      true,
      { primary: MISSING, replica: standalone("writer") },
      "replica",
    ],
    [
      "the way back: switchover from the restored writer done, config switched",
      "replica",
      true,
      S.afterWayBack,
      "old-writer",
    ],
  ] as const)("%s", (_situation, mode, keep, observed, expectedStandbyRole) => {
    expect(preflightProblems(mode, keep, observed, NAMES)).toEqual([]);
    const standby = mode === "primary" ? "replica" : "primary";
    expect(planTopology(mode, keep, observed)).toEqual({
      writer: mode,
      standby,
      standbyRole: expectedStandbyRole,
      roles: { [mode]: "writer", [standby]: expectedStandbyRole },
    });
  });

  it.each([
    [
      "after a regional restore, the lost writer kept",
      true,
      S.afterRestore,
      { primary: "old-writer", replica: "replica" },
    ],
    [
      "after a regional restore, the lost writer kept, second up",
      true,
      S.restoredDeclared,
      { primary: "old-writer", replica: "replica" },
    ],
    ["the kept lost writer inspected, now deleted", false, S.restoredDeclared, { replica: "replica" }],
    ["the lost region never came back", true, S.afterRestoreRegionGone, { replica: "replica" }],
  ] as const)("activeWriter=restored: %s", (_situation, keep, observed, roles) => {
    expect(preflightProblems("restored", keep, observed, NAMES)).toEqual([]);
    expect(planTopology("restored", keep, observed)).toEqual({
      writer: "restored",
      standby: "replica",
      standbyRole: "replica",
      roles,
    });
  });
});

describe("preflightProblems: situations it refuses", () => {
  it.each([
    [
      "a failover happened and activeWriter is still primary",
      "primary",
      true,
      S.afterFailover,
      [
        "rds-replica-dev is the live writer (standalone, promoted by a failover), but tap:activeWriter=primary declares rds-primary-dev the writer and rds-replica-dev its standby",
        "Fix: pulumi refresh && pulumi config set tap:activeWriter replica && pulumi up",
      ],
    ],
    [
      "a failover happened, activeWriter still primary and keepOldWriter false",
      "primary",
      false,
      S.afterFailover,
      ["its replica: pulumi up would fence or replace the live writer", "tap:activeWriter replica"],
    ],
    [
      "activeWriter replica while the replica still replicates (nothing was promoted)",
      "replica",
      true,
      S.steadyTagged,
      [
        "rds-primary-dev is the live writer (standalone, promoted by a switchover), but tap:activeWriter=replica",
        "pulumi config set tap:activeWriter primary",
      ],
    ],
    [
      "activeWriter replica on a first deployment",
      "replica",
      true,
      S.firstDeploy,
      [
        "rds-replica-dev does not exist, but tap:activeWriter=replica declares it the writer",
        "pulumi config set tap:activeWriter primary",
      ],
    ],
    [
      "keepOldWriter false straight after the failover (no final-snapshot settings in the state yet)",
      "replica",
      false,
      S.afterFailover,
      [
        "rds-primary-dev is a standalone old writer and tap:keepOldWriter=false would delete and rebuild it",
        "Fix: pulumi config set tap:keepOldWriter true && pulumi up",
      ],
    ],
    [
      "keepOldWriter false straight after the failback switchover",
      "primary",
      false,
      S.afterSwitchoverBack,
      ["rds-replica-dev is a standalone old writer and tap:keepOldWriter=false"],
    ],
    [
      "the failback switchover happened but activeWriter is still replica",
      "replica",
      true,
      S.afterSwitchoverBack,
      ["rds-primary-dev is the live writer", "pulumi config set tap:activeWriter primary"],
    ],
    [
      "the primary was lost and activeWriter is still primary",
      "primary",
      true,
      S.primaryLost,
      [
        "rds-primary-dev does not exist, but tap:activeWriter=primary declares it the writer while rds-replica-dev is a standalone writer",
        "Fix: pulumi refresh && pulumi config set tap:activeWriter replica && pulumi up",
      ],
    ],
    [
      "two standalone instances whose tags cannot tell which was promoted",
      "primary",
      true,
      S.bothStandaloneUntagged,
      ["are both standalone writers and their DR-Slot-Role tags do not tell which one was promoted"],
    ],
    [
      "the standby replicates some other instance",
      "primary",
      true,
      S.replicaOfStranger,
      [
        "rds-replica-dev is a read replica of some-other-db, not of the writer rds-primary-dev; pulumi up would replace it",
      ],
    ],
    [
      "both instances are replicas (declaring one standalone would promote it)",
      "replica",
      true,
      { primary: replicaOf("rds-replica-dev"), replica: replicaOf("rds-primary-dev") },
      ["rds-replica-dev is a read replica of rds-primary-dev, and no instance is a standalone writer"],
    ],
    [
      "a regional restore happened and activeWriter is still primary",
      "primary",
      true,
      S.afterRestore,
      [
        "rds-restored-dev is the live writer (standalone, created by a regional restore), but tap:activeWriter=primary declares rds-primary-dev the writer",
        "Fix: pulumi refresh && pulumi config set tap:activeWriter restored && pulumi up",
      ],
    ],
    [
      "a regional restore happened in a region that never came back, activeWriter still primary",
      "primary",
      true,
      S.afterRestoreRegionGone,
      [
        "rds-restored-dev is the live writer (standalone, created by a regional restore) and neither rds-primary-dev nor rds-replica-dev exists",
        "Fix: pulumi refresh && pulumi config set tap:activeWriter restored && pulumi up",
      ],
    ],
    [
      "activeWriter restored with no restored instance",
      "restored",
      true,
      S.steadyTagged,
      [
        "rds-restored-dev does not exist, but tap:activeWriter=restored declares it the writer",
        "Fix: pulumi refresh && pulumi config set tap:activeWriter primary && pulumi up",
      ],
    ],
    [
      "activeWriter restored after the way back (the replica slot was promoted)",
      "restored",
      true,
      S.afterWayBack,
      [
        "rds-replica-dev is the live writer, but tap:activeWriter=restored declares rds-restored-dev the writer",
        "Fix: pulumi refresh && pulumi config set tap:activeWriter replica && pulumi up",
      ],
    ],
    [
      "activeWriter restored with keepOldWriter false before the lost writer was kept",
      "restored",
      false,
      S.afterRestore,
      [
        "rds-primary-dev is a standalone old writer and tap:keepOldWriter=false would delete it, but no pulumi up has kept it yet",
        "Fix: pulumi config set tap:keepOldWriter true && pulumi up",
      ],
    ],
    [
      "activeWriter restored while the replica slot is a standalone writer",
      "restored",
      true,
      S.restoredPromotedReplica,
      ["rds-replica-dev is a standalone writer, and tap:activeWriter=restored would delete and rebuild it"],
    ],
  ] as const)("%s", (_situation, mode, keep, observed, fragments) => {
    const problems = preflightProblems(mode, keep, observed, NAMES);
    expect(problems).toHaveLength(1);
    for (const fragment of fragments) expect(problems[0]).toContain(fragment);
  });
});

describe("liveWriter", () => {
  it.each([
    ["nothing exists", S.firstDeploy, undefined],
    ["one standalone instance", S.steady, "primary"],
    ["the replica was promoted", S.afterFailover, "replica"],
    ["the old writer was kept", S.oldWriterKept, "replica"],
    ["failback switchover", S.afterSwitchoverBack, "primary"],
    ["untagged pair", S.bothStandaloneUntagged, "ambiguous"],
    ["a regional restore, the lost region back", S.afterRestore, "restored"],
    ["a regional restore, the lost region gone", S.afterRestoreRegionGone, "restored"],
    ["the restored writer declared", S.restoredDeclared, "restored"],
    ["the way back: the replica slot promoted", S.afterWayBack, "replica"],
  ] as const)("%s", (_situation, observed, expected) => {
    expect(liveWriter(observed)).toBe(expected);
  });
});

describe("checkTopology", () => {
  it("throws TopologyPreflightError with every problem in the message", () => {
    let caught: unknown;
    try {
      checkTopology("primary", true, S.afterFailover, NAMES);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TopologyPreflightError);
    const error = caught as TopologyPreflightError;
    expect(error.problems).toHaveLength(1);
    expect(error.message).toBe(
      "Refusing to deploy: the configured topology does not match the live databases (1 problem):\n  - " +
        error.problems[0],
    );
  });

  it("returns the plan when the guard passes", () => {
    expect(checkTopology("replica", true, S.afterFailover, NAMES)).toEqual({
      writer: "replica",
      standby: "primary",
      standbyRole: "old-writer",
      roles: { replica: "writer", primary: "old-writer" },
    });
  });
});

describe("names", () => {
  it("slots keep their identifiers; the final snapshot is named after the instance", () => {
    expect(slotIdentifier("primary", "dev")).toBe("rds-primary-dev");
    expect(slotIdentifier("replica", "pr-42")).toBe("rds-replica-pr-42");
    expect(finalSnapshotIdentifier("primary", "dev")).toBe("rds-primary-dev-final");
  });

  it("the instance a regional restore creates is rds-restored-<suffix>, within RDS's 63 characters", () => {
    expect(restoredInstanceId("dev")).toBe("rds-restored-dev");
    expect(restoredInstanceId("pr-42")).toBe("rds-restored-pr-42");
    // The longest suffix config validation accepts (34 characters) still fits.
    expect(restoredInstanceId("a".repeat(34)).length).toBeLessThanOrEqual(63);
    expect(NAME_LIMITS.find((l) => l.resource === "RDS restored instance identifier")?.build("dev")).toBe(
      restoredInstanceId("dev"),
    );
  });

  it.each([
    ["same-region source by identifier", "rds-primary-dev", "rds-primary-dev", true],
    ["cross-region source by ARN", CROSS_REGION_A, "rds-primary-dev", true],
    ["a different instance", "rds-primary-devx", "rds-primary-dev", false],
    [
      "an ARN of a different instance",
      "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-prod",
      "rds-primary-dev",
      false,
    ],
  ])("replicatesFrom: %s", (_s, source, id, expected) => {
    expect(replicatesFrom(source, id)).toBe(expected);
  });
});
