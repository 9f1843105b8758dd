/**
 * IAM for snapshot exports, as plain data: the trust and permissions of the role RDS assumes to write
 * an export (`export.rds.amazonaws.com`), and the statements of the snapshot-export function's own
 * role. Pure functions of plain strings, no Pulumi: the stack calls them inside an `apply` once the
 * ARNs are known and serialises the result with `JSON.stringify`.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
 */

/** One IAM policy statement, in the JSON shape IAM reads. */
export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: { readonly Service: string };
  readonly Action: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** The service principal RDS snapshot exports run as. */
export const EXPORT_SERVICE_PRINCIPAL = "export.rds.amazonaws.com";

/** Top-level prefix of every export in the backup bucket (the function writes `exports/<instance>/<snapshot>`). */
export const EXPORT_OBJECT_PREFIX = "exports/";

/** What the export role's permissions are about. */
export interface ExportRolePolicyArgs {
  /** Backup bucket in the writer's region (RDS exports only to a bucket in the snapshot's region). */
  readonly bucketName: string;
  /** Key ARN of the customer-managed key that encrypts the exported files. */
  readonly exportKeyArn: string;
  /**
   * Key ARN of the bucket's default encryption (SSE-KMS), when it is not the export key. S3 asks
   * the writer for a data key of the bucket's key on every PutObject.
   */
  readonly bucketKeyArn?: string;
  /** `aws` unless the stack runs in another partition. */
  readonly partition?: string;
}

/** What the snapshot-export function's permissions are about. */
export interface ExportFunctionPolicyArgs {
  readonly accountId: string;
  /** Region of the writer, its snapshots and the export key. */
  readonly region: string;
  /** RDS identifier of the writer whose automated snapshots are exported. */
  readonly writerInstanceId: string;
  /** The role of {@link exportRolePolicyStatements}, passed to RDS on StartExportTask. */
  readonly exportRoleArn: string;
  readonly exportKeyArn: string;
  readonly partition?: string;
}

/** Arguments that cannot give a working policy; the message names the key, the value and the fix. */
export class InvalidExportPolicyArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidExportPolicyArgsError";
  }
}

const ACCOUNT_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const PARTITION_PATTERN = /^aws(-[a-z]+)*$/;
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const DB_INSTANCE_ID_PATTERN = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/;
const KMS_KEY_ARN_PATTERN = /^arn:(aws(?:-[a-z]+)*):kms:([a-z0-9-]+):(\d{12}):key\/[A-Za-z0-9-]+$/;
const ROLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

function check(key: string, value: string | undefined, pattern: RegExp, fix: string): string {
  if (typeof value !== "string" || !pattern.test(value)) {
    throw new InvalidExportPolicyArgsError(`${key}=${JSON.stringify(value)} is not valid: ${fix}`);
  }
  return value;
}

function keyArn(key: string, value: string | undefined, region?: string): string {
  const arn = check(
    key,
    value,
    KMS_KEY_ARN_PATTERN,
    "expected a KMS key ARN such as arn:aws:kms:ap-southeast-2:123456789012:key/<key id> (not an alias: IAM matches the key ARN)",
  );
  const keyRegion = arn.split(":")[3];
  if (region !== undefined && keyRegion !== region) {
    throw new InvalidExportPolicyArgsError(
      `${key}=${JSON.stringify(arn)} is in ${keyRegion}, but the writer is in ${region}: KMS keys are regional and RDS exports within the snapshot's region, so use the writer region's key`,
    );
  }
  return arn;
}

/**
 * Trust policy of the export role: only RDS's export service, and only on behalf of this account
 * (`aws:SourceAccount` keeps another account's export from using the role: the confused-deputy guard
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html).
 */
export function exportRoleTrustPolicy(accountId: string): PolicyDocument {
  check("accountId", accountId, ACCOUNT_PATTERN, "expected a 12-digit AWS account id");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "RdsExportAssumesRole",
        Effect: "Allow",
        Principal: { Service: EXPORT_SERVICE_PRINCIPAL },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
    ],
  };
}

/**
 * Permissions of the role RDS assumes to write an export. The actions are the ones the
 * StartExportTask reference lists (`s3:PutObject*`, `s3:GetObject*`, `s3:ListBucket`,
 * `s3:DeleteObject*`, `s3:GetBucketLocation`), with each wildcard narrowed to the one action an
 * export performs (`s3:PutObject` also authorises the parts of a multipart upload), so the
 * least-privilege matrix can check every action by name; objects are limited to the `exports/` prefix,
 * where the function puts every export, so the role cannot touch the failover reports in the same
 * bucket. The key statement is what the export needs to encrypt its files and hand grants to the
 * export workers.
 */
export function exportRolePolicyStatements(args: ExportRolePolicyArgs): PolicyStatement[] {
  const partition = check(
    "partition",
    args.partition ?? "aws",
    PARTITION_PATTERN,
    'expected "aws" or another partition such as "aws-cn"',
  );
  const bucket = check(
    "bucketName",
    args.bucketName,
    BUCKET_PATTERN,
    "expected an S3 bucket name (not an ARN)",
  );
  const exportKey = keyArn("exportKeyArn", args.exportKeyArn);
  const bucketArn = `arn:${partition}:s3:::${bucket}`;
  const statements: PolicyStatement[] = [
    {
      Sid: "LocateAndListExportBucket",
      Effect: "Allow",
      Action: ["s3:ListBucket", "s3:GetBucketLocation"],
      Resource: [bucketArn],
    },
    {
      Sid: "WriteExportObjects",
      Effect: "Allow",
      Action: ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
      Resource: [`${bucketArn}/${EXPORT_OBJECT_PREFIX}*`],
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
      Resource: [exportKey],
    },
  ];
  if (args.bucketKeyArn !== undefined && args.bucketKeyArn !== exportKey) {
    const bucketKey = keyArn("bucketKeyArn", args.bucketKeyArn);
    const bucketRegion = bucketKey.split(":")[3];
    statements.push({
      Sid: "WriteThroughBucketDefaultEncryption",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [bucketKey],
      // Only through S3 in the bucket's region: the role gets no direct use of the bucket's key.
      Condition: { StringEquals: { "kms:ViaService": `s3.${bucketRegion}.amazonaws.com` } },
    });
  }
  return statements;
}

/**
 * Statements of the snapshot-export function's role, each scoped as tightly as RDS allows:
 *
 * - `rds:DescribeDBSnapshots` on the writer and its automated snapshots (`snapshot:rds:<writer>-*`;
 *   RDS names automated snapshots `rds:<instance>-<yyyy-mm-dd-hh-mm>`).
 * - `rds:DescribeExportTasks` on `*`: the function lists the tasks that write to the bucket, a call
 *   that names no snapshot, and the Service Authorization Reference gives the action only optional
 *   resource types (`snapshot`, `cluster`, `cluster-snapshot`) that a listing cannot match.
 *   https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html
 * - `rds:StartExportTask` on the writer's automated snapshots only.
 * - `iam:PassRole` on exactly the export role, and only to `export.rds.amazonaws.com`.
 * - `kms:CreateGrant` / `kms:DescribeKey` on the export key, only through RDS in the writer's
 *   region: the caller of StartExportTask must be allowed both on the export key.
 */
export function exportFunctionPolicyStatements(args: ExportFunctionPolicyArgs): PolicyStatement[] {
  const partition = check(
    "partition",
    args.partition ?? "aws",
    PARTITION_PATTERN,
    'expected "aws" or another partition such as "aws-cn"',
  );
  const accountId = check("accountId", args.accountId, ACCOUNT_PATTERN, "expected a 12-digit AWS account id");
  const region = check(
    "region",
    args.region,
    REGION_PATTERN,
    "expected an AWS region code such as ap-southeast-2",
  );
  const writer = check(
    "writerInstanceId",
    args.writerInstanceId,
    DB_INSTANCE_ID_PATTERN,
    "expected an RDS DB instance identifier such as rds-primary-dev",
  );
  const roleArn = check(
    "exportRoleArn",
    args.exportRoleArn,
    ROLE_ARN_PATTERN,
    "expected an IAM role ARN such as arn:aws:iam::123456789012:role/iam-rds-export-dev",
  );
  const exportKey = keyArn("exportKeyArn", args.exportKeyArn, region);
  const rdsArn = `arn:${partition}:rds:${region}:${accountId}`;
  const writerSnapshots = `${rdsArn}:snapshot:rds:${writer}-*`;
  return [
    {
      Sid: "DescribeWriterSnapshots",
      Effect: "Allow",
      Action: ["rds:DescribeDBSnapshots"],
      Resource: [`${rdsArn}:db:${writer}`, writerSnapshots],
    },
    {
      Sid: "DescribeExportTasks",
      Effect: "Allow",
      Action: ["rds:DescribeExportTasks"],
      Resource: ["*"],
    },
    {
      Sid: "StartExportOfWriterSnapshots",
      Effect: "Allow",
      Action: ["rds:StartExportTask"],
      Resource: [writerSnapshots],
    },
    {
      Sid: "PassExportRoleToRds",
      Effect: "Allow",
      Action: ["iam:PassRole"],
      Resource: [roleArn],
      Condition: { StringEquals: { "iam:PassedToService": EXPORT_SERVICE_PRINCIPAL } },
    },
    {
      Sid: "LetRdsUseExportKey",
      Effect: "Allow",
      Action: ["kms:CreateGrant", "kms:DescribeKey"],
      Resource: [exportKey],
      Condition: { StringEquals: { "kms:ViaService": `rds.${region}.amazonaws.com` } },
    },
  ];
}

/** Wraps statements in a policy document. */
export function policyDocument(statements: readonly PolicyStatement[]): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}
