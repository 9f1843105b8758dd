import { RESTORED_IGNORED_INPUTS, REPLACEMENT_INPUTS, replicaPlacement } from "../../lib/infra/database";

describe("replicaPlacement", () => {
  const SYDNEY = "ap-southeast-2";
  const SINGAPORE = "ap-southeast-1";
  it.each([
    [
      "brief's default: replica next to the primary in Sydney",
      { primaryRegion: SYDNEY, replicaRegion: SYDNEY },
      undefined,
      {
        crossRegion: false,
        region: SYDNEY,
        sourceRegion: SYDNEY,
        sourceReference: "identifier",
        kmsKey: "inherited-from-source",
        subnetGroup: "source-default",
      },
    ],
    [
      "cross-region replica in the Singapore DR region",
      { primaryRegion: SYDNEY, replicaRegion: SINGAPORE },
      undefined,
      {
        crossRegion: true,
        region: SINGAPORE,
        sourceRegion: SYDNEY,
        sourceReference: "arn",
        kmsKey: "replica-region-key",
        subnetGroup: "replica-region-group",
      },
    ],
    [
      "after a regional restore: the Sydney replica slot replicates the restored writer in Singapore",
      { primaryRegion: SYDNEY, replicaRegion: SYDNEY },
      SINGAPORE,
      {
        crossRegion: true,
        region: SYDNEY,
        sourceRegion: SINGAPORE,
        sourceReference: "arn",
        kmsKey: "replica-region-key",
        subnetGroup: "replica-region-group",
      },
    ],
    [
      "after a regional restore: a Singapore replica slot is a same-region replica of the restored writer",
      { primaryRegion: SYDNEY, replicaRegion: SINGAPORE },
      SINGAPORE,
      {
        crossRegion: false,
        region: SINGAPORE,
        sourceRegion: SINGAPORE,
        sourceReference: "identifier",
        kmsKey: "inherited-from-source",
        subnetGroup: "source-default",
      },
    ],
  ])("%s", (_situation, config, sourceRegion, expected) => {
    expect(replicaPlacement(config, sourceRegion)).toEqual(expected);
  });
});

describe("the restored writer's inputs Pulumi leaves to the live instance", () => {
  it("are every replacement-forcing input but the identifier, plus what the backups and the restore fixed", () => {
    expect([...RESTORED_IGNORED_INPUTS].sort()).toEqual(
      [
        ...REPLACEMENT_INPUTS.filter((k) => k !== "identifier"),
        "allocatedStorage",
        "engineVersion",
        "engineLifecycleSupport",
      ].sort(),
    );
    expect(RESTORED_IGNORED_INPUTS).not.toContain("identifier");
    expect(RESTORED_IGNORED_INPUTS).toEqual(
      expect.arrayContaining(["kmsKeyId", "dbSubnetGroupName", "username"]),
    );
  });
});

describe("what a regional restore creates is what the stack declares for the writer", () => {
  it("the same log exports", async () => {
    const { LOG_EXPORTS } = await import("../../lib/infra/database");
    const { WRITER_LOG_EXPORTS } = await import("../../lib/lambda/adapters/aws/rds-regional-recovery");
    expect([...WRITER_LOG_EXPORTS]).toEqual([...LOG_EXPORTS]);
  });
});
