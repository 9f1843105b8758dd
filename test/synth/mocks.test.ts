import {
  MOCK_ACCOUNT_ID,
  RecordingMocks,
  mockCallResult,
  mockResourceState,
  redactSecrets,
} from "../../lib/synth/mocks";

describe("mockResourceState", () => {
  it("gives an RDS instance its real ARN, address, endpoint and managed secret", () => {
    const { id, state } = mockResourceState(
      "aws:rds/instance:Instance",
      "rds-primary-dev",
      { identifier: "rds-primary-dev", manageMasterUserPassword: true, masterUserSecretKmsKeyId: "k" },
      "ap-southeast-2",
    );
    expect(id).toBe("rds-primary-dev");
    expect(state.arn).toBe(`arn:aws:rds:ap-southeast-2:${MOCK_ACCOUNT_ID}:db:rds-primary-dev`);
    expect(state.address).toMatch(/^rds-primary-dev\.c[0-9a-f]{11}\.ap-southeast-2\.rds\.amazonaws\.com$/);
    expect(state.endpoint).toBe(`${state.address as string}:5432`);
    expect(state.region).toBe("ap-southeast-2");
    expect(state.masterUserSecrets).toEqual([
      {
        secretArn: expect.stringMatching(
          /^arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:rds!db-/,
        ),
        kmsKeyId: "k",
        secretStatus: "active",
      },
    ]);
  });

  it("auto-names a bucket like Pulumi and returns the global-namespace ARN", () => {
    const { id, state } = mockResourceState(
      "aws:s3/bucket:Bucket",
      "s3-backups-dr-dev",
      {},
      "ap-southeast-1",
    );
    expect(id).toMatch(/^s3-backups-dr-dev-[0-9a-f]{7}$/);
    expect(state).toMatchObject({ bucket: id, arn: `arn:aws:s3:::${id}`, bucketRegion: "ap-southeast-1" });
  });

  it("is deterministic, so two synth runs give the same inventory", () => {
    const a = mockResourceState("aws:kms/key:Key", "kms-dr-dev", {}, "ap-southeast-1");
    const b = mockResourceState("aws:kms/key:Key", "kms-dr-dev", {}, "ap-southeast-1");
    expect(a).toEqual(b);
    expect(a.state.arn).toBe(`arn:aws:kms:ap-southeast-1:123456789012:key/${a.id}`);
  });
});

describe("mockCallResult", () => {
  it("answers availability zones for the provider's region", () => {
    expect(
      mockCallResult("aws:index/getAvailabilityZones:getAvailabilityZones", {}, "ap-southeast-2"),
    ).toMatchObject({
      names: ["ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"],
      zoneIds: ["apse2-az1", "apse2-az2", "apse2-az3"],
    });
  });

  it("returns undefined for an unknown token", () => {
    expect(mockCallResult("aws:ec2/getVpc:getVpc", {}, "ap-southeast-2")).toBeUndefined();
  });
});

describe("RecordingMocks", () => {
  it("records the region of the provider a resource was created through", () => {
    const mocks = new RecordingMocks("ap-southeast-1");
    const provider = mocks.newResource({
      type: "pulumi:providers:aws",
      name: "aws-primary-dev",
      inputs: { region: "ap-southeast-2" },
      custom: true,
    });
    mocks.newResource({
      type: "aws:sns/topic:Topic",
      name: "sns-db-alarms-dev",
      inputs: { name: "sns-db-alarms-dev" },
      custom: true,
      provider: `urn:pulumi:dev::tap::pulumi:providers:aws::aws-primary-dev::${provider.id}`,
    });
    mocks.newResource({ type: "aws:iam/role:Role", name: "iam-x-dev", inputs: {}, custom: true });
    expect(mocks.resources.map((r) => [r.name, r.provider, r.region])).toEqual([
      ["aws-primary-dev", null, "ap-southeast-2"],
      ["sns-db-alarms-dev", "aws-primary-dev", "ap-southeast-2"],
      ["iam-x-dev", null, "global"],
    ]);
    expect(mocks.resources[1].state.arn).toBe("arn:aws:sns:ap-southeast-2:123456789012:sns-db-alarms-dev");
  });

  it("records unknown invokes instead of throwing", () => {
    const mocks = new RecordingMocks("ap-southeast-1");
    expect(mocks.call({ token: "aws:ec2/getVpc:getVpc", inputs: {} })).toEqual({});
    expect(mocks.unmockedCalls).toEqual(["aws:ec2/getVpc:getVpc"]);
  });
});

describe("redactSecrets", () => {
  it("replaces Pulumi secret values and password fields", () => {
    expect(
      redactSecrets({
        password: "hunter2",
        nested: [
          { v: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "s" } },
        ],
        masterUserSecretKmsKeyId: "arn:aws:kms:x",
      }),
    ).toEqual({
      password: "[secret]",
      nested: [{ v: "[secret]" }],
      masterUserSecretKmsKeyId: "arn:aws:kms:x",
    });
  });
});
