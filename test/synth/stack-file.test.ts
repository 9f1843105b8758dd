import { join } from "node:path";
import { CONFIG_KEYS } from "../../lib/config";
import { flattenStackConfig, readStackConfig } from "../../lib/synth/stack-file";

describe("flattenStackConfig", () => {
  it("turns YAML values into Pulumi's string config", () => {
    expect(
      flattenStackConfig(
        {
          "aws:region": "ap-southeast-1",
          "tap:backupRetentionDays": 7,
          "tap:multiAz": false,
          "tap:alertEmails": ["a@example.com"],
          environmentSuffix: "dev",
          "tap:owner": null,
        },
        "Pulumi.x.yaml",
      ),
    ).toEqual({
      "aws:region": "ap-southeast-1",
      "tap:backupRetentionDays": "7",
      "tap:multiAz": "false",
      "tap:alertEmails": '["a@example.com"]',
      "tap:environmentSuffix": "dev",
    });
  });

  it("refuses secrets it cannot decrypt, naming the key", () => {
    expect(() => flattenStackConfig({ "tap:owner": { secure: "v1:abc" } }, "Pulumi.prod.yaml")).toThrow(
      "Pulumi.prod.yaml: tap:owner is a secret, which cannot be decrypted without the Pulumi CLI",
    );
  });

  it("refuses a config block that is not a mapping", () => {
    expect(() => flattenStackConfig(["a"], "Pulumi.x.yaml")).toThrow(
      'Pulumi.x.yaml: "config" must be a mapping',
    );
  });
});

describe("readStackConfig", () => {
  const root = join(__dirname, "..", "..");

  it("reads Pulumi.dev.yaml, which sets every key the program reads and nothing else", () => {
    const config = readStackConfig("dev", root);
    const tapKeys = Object.keys(config)
      .filter((k) => k.startsWith("tap:"))
      .map((k) => k.slice(4));
    expect(tapKeys.sort()).toEqual([...CONFIG_KEYS].sort());
    expect(config["aws:region"]).toBe("ap-southeast-1");
    expect(config["tap:replicaRegion"]).toBe("ap-southeast-2");
  });

  it("names the missing file", () => {
    expect(() => readStackConfig("nope", root)).toThrow(
      `cannot read ${join(root, "Pulumi.nope.yaml")} (does stack "nope" exist?)`,
    );
  });

  it("refuses a stack name that could escape the directory", () => {
    expect(() => readStackConfig("../etc", root)).toThrow('--stack "../etc": a stack name has only letters');
  });
});
