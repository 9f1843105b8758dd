import { NAME_LIMITS, maxEnvironmentSuffixLength, resourceName, resourceTags } from "../lib/naming";

describe("naming", () => {
  it("builds {resourceType}-{suffix}", () => {
    expect(resourceName("rds-primary", "dev")).toBe("rds-primary-dev");
  });

  it("allows the suffix length at which the tightest name is exactly at its limit", () => {
    const max = maxEnvironmentSuffixLength();
    expect(max).toBe(34);
    const atMax = NAME_LIMITS.map((l) => l.maxLength - l.build("a".repeat(max)).length);
    expect(Math.min(...atMax)).toBe(0);
    expect(NAME_LIMITS.find((l) => l.build("a".repeat(max)).length === l.maxLength)?.resource).toBe(
      "health-monitor Lambda function",
    );
  });

  it("counts Pulumi's 8-character random part in auto-named names", () => {
    expect(NAME_LIMITS.find((l) => l.resource === "S3 primary backup bucket")?.build("dev")).toBe(
      "s3-backups-primary-dev-xxxxxxx",
    );
  });

  it("tags with Environment, Owner, DR-Role and Name", () => {
    expect(resourceTags({ environmentSuffix: "dev", owner: "dba" }, "replica", "rds-replica-dev")).toEqual({
      Environment: "dev",
      Owner: "dba",
      "DR-Role": "replica",
      Name: "rds-replica-dev",
    });
  });
});
