import { replicaPlacement } from "../../lib/infra/database";

describe("replicaPlacement", () => {
  it.each([
    [
      "brief's default: replica next to the primary in Sydney",
      { primaryRegion: "ap-southeast-2", replicaRegion: "ap-southeast-2" },
      {
        crossRegion: false,
        region: "ap-southeast-2",
        sourceReference: "identifier",
        kmsKey: "inherited-from-source",
        subnetGroup: "source-default",
        parameterGroup: "primary-region-group",
      },
    ],
    [
      "cross-region replica in the Singapore DR region",
      { primaryRegion: "ap-southeast-2", replicaRegion: "ap-southeast-1" },
      {
        crossRegion: true,
        region: "ap-southeast-1",
        sourceReference: "arn",
        kmsKey: "dr-key",
        subnetGroup: "dr-subnet-group",
        parameterGroup: "dr-region-group",
      },
    ],
  ])("%s", (_situation, config, expected) => {
    expect(replicaPlacement(config)).toEqual(expected);
  });
});
