import { EXPORT_ENV } from "../../../lib/function-env";
import { ConfigurationError } from "../../../lib/lambda/core/errors";
import { readExportConfig } from "../../../lib/lambda/snapshot-export/env";
import { EXPORT_ENV_FIXTURE } from "./fixtures";

describe("readExportConfig", () => {
  it("reads a valid environment", () => {
    expect(readExportConfig(EXPORT_ENV_FIXTURE)).toEqual({
      writerInstanceId: "rds-primary-dev",
      writerRegion: "ap-southeast-2",
      exportBucket: "s3-backups-primary-dev-1a2b3c4",
      exportRoleArn: "arn:aws:iam::123456789012:role/iam-rds-export-dev-9f8e7d6",
      exportKmsKeyArn: "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      metricsNamespace: "TapStack",
      environmentSuffix: "dev",
    });
  });

  it("reads exactly the variables of the EXPORT_ENV contract", () => {
    for (const name of EXPORT_ENV) {
      const env = { ...EXPORT_ENV_FIXTURE };
      delete env[name];
      expect(() => readExportConfig(env)).toThrow(`${name} is missing`);
    }
    expect(Object.keys(EXPORT_ENV_FIXTURE).sort()).toEqual([...EXPORT_ENV].sort());
  });

  const bad: [string, Record<string, string>, string][] = [
    [
      "a writer id that is not an RDS identifier",
      { WRITER_INSTANCE_ID: "rds:primary" },
      'WRITER_INSTANCE_ID="rds:primary" is not valid: expected an RDS DB instance identifier',
    ],
    [
      "a role given by name",
      { EXPORT_ROLE_ARN: "iam-rds-export-dev" },
      'EXPORT_ROLE_ARN="iam-rds-export-dev" is not valid: expected an IAM role ARN such as arn:aws:iam::123456789012:role/rds-export-dev',
    ],
    [
      "a key alias instead of a key ARN",
      { EXPORT_KMS_KEY_ARN: "arn:aws:kms:ap-southeast-2:123456789012:alias/kms-primary-dev" },
      "expected a key ARN (…:key/<key id>), not an alias",
    ],
    [
      "a key of another region",
      {
        EXPORT_KMS_KEY_ARN:
          "arn:aws:kms:ap-southeast-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
      },
      "is in ap-southeast-1, but WRITER_REGION is ap-southeast-2: use the key of the writer's region",
    ],
    [
      "a bucket ARN instead of its name",
      { EXPORT_BUCKET: "arn:aws:s3:::s3-backups-primary-dev" },
      'EXPORT_BUCKET="arn:aws:s3:::s3-backups-primary-dev" is not valid: expected an S3 bucket name',
    ],
    ["a reserved namespace", { METRICS_NAMESPACE: "AWS/RDS" }, 'METRICS_NAMESPACE="AWS/RDS" is not valid'],
  ];
  it.each(bad)("refuses %s, naming the variable and the fix", (_name, override, message) => {
    const read = () => readExportConfig({ ...EXPORT_ENV_FIXTURE, ...override });
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(message);
  });

  it("lists every problem at once", () => {
    expect(() =>
      readExportConfig({
        ...EXPORT_ENV_FIXTURE,
        WRITER_REGION: "",
        EXPORT_BUCKET: "",
        ENVIRONMENT_SUFFIX: "",
      }),
    ).toThrow(/snapshot-export function's environment is invalid \(3 problems\)/);
  });
});
