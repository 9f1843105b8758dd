import { runSimulation } from "@cloud-copilot/iam-simulate";
import {
  exportFunctionPolicyStatements,
  exportRolePolicyStatements,
  exportRoleTrustPolicy,
  InvalidExportPolicyArgsError,
  policyDocument,
  type ExportFunctionPolicyArgs,
  type PolicyStatement,
} from "../../lib/infra/snapshot-export-policy";

const ACCOUNT = "123456789012";
const BUCKET = "s3-backups-primary-dev-1a2b3c4";
const EXPORT_KEY = "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const BUCKET_KEY = "arn:aws:kms:ap-southeast-2:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab";
const ROLE = "arn:aws:iam::123456789012:role/iam-rds-export-dev-9f8e7d6";

const KEY_POLICY = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
};

const functionArgs: ExportFunctionPolicyArgs = {
  accountId: ACCOUNT,
  region: "ap-southeast-2",
  writerInstanceId: "rds-primary-dev",
  exportRoleArn: ROLE,
  exportKeyArn: EXPORT_KEY,
};

describe("exportRoleTrustPolicy", () => {
  it("trusts only RDS's export service, on behalf of this account", () => {
    expect(exportRoleTrustPolicy(ACCOUNT)).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "RdsExportAssumesRole",
          Effect: "Allow",
          Principal: { Service: "export.rds.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
        },
      ],
    });
  });
});

describe("exportRolePolicyStatements", () => {
  it("grants the documented S3 actions on the bucket and its exports/ prefix, and the key", () => {
    expect(exportRolePolicyStatements({ bucketName: BUCKET, exportKeyArn: EXPORT_KEY })).toEqual([
      {
        Sid: "LocateAndListExportBucket",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:GetBucketLocation"],
        Resource: [`arn:aws:s3:::${BUCKET}`],
      },
      {
        Sid: "WriteExportObjects",
        Effect: "Allow",
        Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
        Resource: [`arn:aws:s3:::${BUCKET}/exports/*`],
      },
      {
        Sid: "EncryptExportWithKey",
        Effect: "Allow",
        Action: [
          "kms:Encrypt",
          "kms:Decrypt",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:CreateGrant",
          "kms:DescribeKey",
          "kms:RetireGrant",
        ],
        Resource: [EXPORT_KEY],
      },
    ]);
  });

  it("adds the bucket's default key, through S3 only, when it is another key", () => {
    const statements = exportRolePolicyStatements({
      bucketName: BUCKET,
      exportKeyArn: EXPORT_KEY,
      bucketKeyArn: BUCKET_KEY,
    });
    expect(statements.at(-1)).toEqual({
      Sid: "WriteThroughBucketDefaultEncryption",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [BUCKET_KEY],
      Condition: { StringEquals: { "kms:ViaService": "s3.ap-southeast-2.amazonaws.com" } },
    });
    expect(
      exportRolePolicyStatements({ bucketName: BUCKET, exportKeyArn: EXPORT_KEY, bucketKeyArn: EXPORT_KEY }),
    ).toHaveLength(3);
  });

  it("builds ARNs of another partition", () => {
    const [bucket] = exportRolePolicyStatements({
      bucketName: BUCKET,
      exportKeyArn: "arn:aws-cn:kms:cn-north-1:123456789012:key/abcd",
      partition: "aws-cn",
    });
    expect(bucket.Resource).toEqual([`arn:aws-cn:s3:::${BUCKET}`]);
  });
});

describe("exportFunctionPolicyStatements", () => {
  const SNAPSHOTS = "arn:aws:rds:ap-southeast-2:123456789012:snapshot:rds:rds-primary-dev-*";

  it("scopes every statement to the writer, the export role and the key", () => {
    expect(exportFunctionPolicyStatements(functionArgs)).toEqual([
      {
        Sid: "DescribeWriterSnapshots",
        Effect: "Allow",
        Action: ["rds:DescribeDBSnapshots"],
        Resource: ["arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev", SNAPSHOTS],
      },
      { Sid: "DescribeExportTasks", Effect: "Allow", Action: ["rds:DescribeExportTasks"], Resource: ["*"] },
      {
        Sid: "StartExportOfWriterSnapshots",
        Effect: "Allow",
        Action: ["rds:StartExportTask"],
        Resource: [SNAPSHOTS],
      },
      {
        Sid: "PassExportRoleToRds",
        Effect: "Allow",
        Action: ["iam:PassRole"],
        Resource: [ROLE],
        Condition: { StringEquals: { "iam:PassedToService": "export.rds.amazonaws.com" } },
      },
      {
        Sid: "LetRdsUseExportKey",
        Effect: "Allow",
        Action: ["kms:CreateGrant", "kms:DescribeKey"],
        Resource: [EXPORT_KEY],
        Condition: { StringEquals: { "kms:ViaService": "rds.ap-southeast-2.amazonaws.com" } },
      },
    ]);
  });

  it("follows the writer: after a failover the promoted instance's snapshots are the ones allowed", () => {
    const [describe, , start] = exportFunctionPolicyStatements({
      ...functionArgs,
      region: "ap-southeast-1",
      writerInstanceId: "rds-replica-dev",
      exportKeyArn: "arn:aws:kms:ap-southeast-1:123456789012:key/5678",
    });
    expect(describe.Resource).toEqual([
      "arn:aws:rds:ap-southeast-1:123456789012:db:rds-replica-dev",
      "arn:aws:rds:ap-southeast-1:123456789012:snapshot:rds:rds-replica-dev-*",
    ]);
    expect(start.Resource).toEqual([
      "arn:aws:rds:ap-southeast-1:123456789012:snapshot:rds:rds-replica-dev-*",
    ]);
  });

  /** Simulates one request against the function's policy with IAM's evaluation logic. */
  async function decision(action: string, resource: string, context: Record<string, string> = {}) {
    const result = await runSimulation(
      {
        request: {
          principal: "arn:aws:iam::123456789012:role/lambda-snapshot-export-dev",
          action,
          resource: { resource, accountId: ACCOUNT },
          contextVariables: { "aws:PrincipalAccount": ACCOUNT, ...context },
        },
        identityPolicies: [
          {
            name: "snapshot-export",
            policy: JSON.parse(JSON.stringify(policyDocument(exportFunctionPolicyStatements(functionArgs)))),
          },
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        // A KMS key is usable only when its key policy says so; the stack's keys delegate to IAM in
        // the account (statement AccountAdministersKeyThroughIam in lib/infra/encryption.ts).
        ...(resource.startsWith("arn:aws:kms:") ? { resourcePolicy: KEY_POLICY } : {}),
      },
      {},
    );
    return result.resultType === "error" ? `error: ${JSON.stringify(result.errors)}` : result.overallResult;
  }

  const today = "arn:aws:rds:ap-southeast-2:123456789012:snapshot:rds:rds-primary-dev-2026-11-25-17-05";
  const matrix: [string, string, string, Record<string, string>, "Allowed" | "ImplicitlyDenied"][] = [
    ["export the writer's automated snapshot", "rds:StartExportTask", today, {}, "Allowed"],
    [
      "export another instance's snapshot",
      "rds:StartExportTask",
      "arn:aws:rds:ap-southeast-2:123456789012:snapshot:rds:rds-other-prod-2026-11-25-17-05",
      {},
      "ImplicitlyDenied",
    ],
    [
      "export a manual snapshot",
      "rds:StartExportTask",
      "arn:aws:rds:ap-southeast-2:123456789012:snapshot:before-upgrade",
      {},
      "ImplicitlyDenied",
    ],
    [
      "pass the export role to RDS export",
      "iam:PassRole",
      ROLE,
      { "iam:PassedToService": "export.rds.amazonaws.com" },
      "Allowed",
    ],
    [
      "pass the export role to Lambda",
      "iam:PassRole",
      ROLE,
      { "iam:PassedToService": "lambda.amazonaws.com" },
      "ImplicitlyDenied",
    ],
    [
      "grant the export key through RDS",
      "kms:CreateGrant",
      EXPORT_KEY,
      { "kms:ViaService": "rds.ap-southeast-2.amazonaws.com" },
      "Allowed",
    ],
    [
      "grant the export key directly",
      "kms:CreateGrant",
      EXPORT_KEY,
      { "kms:ViaService": "s3.ap-southeast-2.amazonaws.com" },
      "ImplicitlyDenied",
    ],
    [
      "decrypt with the export key",
      "kms:Decrypt",
      EXPORT_KEY,
      { "kms:ViaService": "rds.ap-southeast-2.amazonaws.com" },
      "ImplicitlyDenied",
    ],
  ];
  it.each(matrix)("IAM: %s", async (_name, action, resource, context, expected) => {
    expect(await decision(action, resource, context)).toBe(expected);
  });
});

describe("bad arguments name the key, the value and the fix", () => {
  const cases: [string, () => PolicyStatement[], string][] = [
    [
      "a bucket ARN for the bucket name",
      () => exportRolePolicyStatements({ bucketName: `arn:aws:s3:::${BUCKET}`, exportKeyArn: EXPORT_KEY }),
      `bucketName="arn:aws:s3:::${BUCKET}" is not valid: expected an S3 bucket name (not an ARN)`,
    ],
    [
      "a key alias",
      () =>
        exportRolePolicyStatements({
          bucketName: BUCKET,
          exportKeyArn: "arn:aws:kms:ap-southeast-2:123456789012:alias/kms-primary-dev",
        }),
      'exportKeyArn="arn:aws:kms:ap-southeast-2:123456789012:alias/kms-primary-dev" is not valid: expected a KMS key ARN',
    ],
    [
      "a key of another region than the writer",
      () => exportFunctionPolicyStatements({ ...functionArgs, region: "ap-southeast-1" }),
      `exportKeyArn="${EXPORT_KEY}" is in ap-southeast-2, but the writer is in ap-southeast-1`,
    ],
    [
      "a short account id",
      () => exportFunctionPolicyStatements({ ...functionArgs, accountId: "12345" }),
      'accountId="12345" is not valid: expected a 12-digit AWS account id',
    ],
    [
      "a writer given as an ARN",
      () =>
        exportFunctionPolicyStatements({
          ...functionArgs,
          writerInstanceId: "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev",
        }),
      'writerInstanceId="arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev" is not valid: expected an RDS DB instance identifier',
    ],
    [
      "a role name for the role ARN",
      () => exportFunctionPolicyStatements({ ...functionArgs, exportRoleArn: "iam-rds-export-dev" }),
      'exportRoleArn="iam-rds-export-dev" is not valid: expected an IAM role ARN',
    ],
  ];
  it.each(cases)("%s", (_name, build, message) => {
    expect(build).toThrow(InvalidExportPolicyArgsError);
    expect(build).toThrow(message);
  });

  it("refuses a bad account id in the trust policy", () => {
    expect(() => exportRoleTrustPolicy("")).toThrow(
      'accountId="" is not valid: expected a 12-digit AWS account id',
    );
  });
});
