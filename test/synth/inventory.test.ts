import { countByRegion, formatInventory, inventoryDocument, toInventory } from "../../lib/synth/inventory";
import type { RecordedResource } from "../../lib/synth/mocks";

function recorded(
  partial: Partial<RecordedResource> & Pick<RecordedResource, "type" | "name" | "region">,
): RecordedResource {
  return { provider: null, custom: true, inputs: {}, id: "id", state: {}, ...partial };
}

const RESOURCES: RecordedResource[] = [
  recorded({ type: "tap:index:TapStack", name: "tap-dev", region: "global", custom: false }),
  recorded({ type: "pulumi:providers:aws", name: "aws-dr-dev", region: "ap-southeast-1" }),
  recorded({
    type: "aws:rds/instance:Instance",
    name: "rds-replica-dev",
    region: "ap-southeast-1",
    provider: "aws-dr-dev",
    inputs: { tags: { "DR-Role": "replica" }, password: "x" },
  }),
  recorded({
    type: "aws:kms/alias:Alias",
    name: "kms-alias-dr-dev",
    region: "ap-southeast-1",
    provider: "aws-dr-dev",
  }),
  recorded({
    type: "aws:rds/instance:Instance",
    name: "rds-primary-dev",
    region: "ap-southeast-2",
    provider: "aws-primary-dev",
    inputs: { tags: { "DR-Role": "primary" } },
  }),
];

describe("inventory", () => {
  const entries = toInventory(RESOURCES);

  it("labels each entry with its DR-Role, or why it has none", () => {
    expect(entries.map((e) => [e.name, e.drRole])).toEqual([
      ["tap-dev", "component"],
      ["aws-dr-dev", "provider"],
      ["rds-replica-dev", "replica"],
      ["kms-alias-dr-dev", "untagged"],
      ["rds-primary-dev", "primary"],
    ]);
    expect(entries[2].inputs.password).toBe("[secret]");
  });

  it("counts resources per region", () => {
    expect(countByRegion(entries)).toEqual({ "ap-southeast-1": 3, "ap-southeast-2": 1, global: 1 });
  });

  it("writes type, name, provider, region, inputs, id and outputs for every resource", () => {
    const doc = inventoryDocument(entries);
    expect(doc.resources).toHaveLength(5);
    expect(doc.resources[2]).toEqual({
      type: "aws:rds/instance:Instance",
      name: "rds-replica-dev",
      provider: "aws-dr-dev",
      region: "ap-southeast-1",
      inputs: { tags: { "DR-Role": "replica" }, password: "[secret]" },
      id: "id",
      outputs: {},
    });
  });

  it("keeps the mocked id and outputs, secrets redacted, so references resolve from the file", () => {
    const [entry] = inventoryDocument(
      toInventory([
        recorded({
          type: "aws:s3/bucket:Bucket",
          name: "s3-backups-dr-dev",
          region: "ap-southeast-1",
          id: "s3-backups-dr-dev-0123456",
          state: { arn: "arn:aws:s3:::s3-backups-dr-dev-0123456", password: "x" },
        }),
      ]),
    ).resources;
    expect([entry.id, entry.outputs]).toEqual([
      "s3-backups-dr-dev-0123456",
      { arn: "arn:aws:s3:::s3-backups-dr-dev-0123456", password: "[secret]" },
    ]);
  });

  it("prints resources grouped by region, then DR-Role, then those without one, each group named for what it is", () => {
    const lines = formatInventory(entries, "title").split("\n");
    expect(lines.filter((l) => !l.startsWith("    "))).toEqual([
      "title",
      "",
      "ap-southeast-1 (3 resources)",
      "  DR-Role replica (1)",
      "  Pulumi provider (1)",
      "  no DR-Role: types AWS cannot tag (1)",
      "",
      "ap-southeast-2 (1 resource)",
      "  DR-Role primary (1)",
      "",
      "global (1 resource)",
      "  Pulumi component (1)",
      "",
      "Total: 5 resources (ap-southeast-1: 3, ap-southeast-2: 1, global: 1)",
    ]);
  });
});
