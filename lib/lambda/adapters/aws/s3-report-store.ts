import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ConfigurationError, ReportStoreError } from "../../core/errors";
import type { FailoverReport, ReportStore } from "../../core/ports";
import { awsHttpStatus, describeAwsError } from "./aws-errors";

const REPORT_KINDS: ReadonlySet<string> = new Set(["failover", "switchover", "restore", "drill"]);
/** Report ids become object keys; keep them to characters that need no escaping anywhere. */
const REPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** Object key of a report: `reports/<kind>/<id>.json`. Throws `ReportStoreError` for an unsafe id or kind. */
export function reportKey(kind: FailoverReport["kind"], id: string): string {
  if (!REPORT_KINDS.has(kind)) {
    throw new ReportStoreError(
      `Report kind must be failover, switchover, restore or drill, got ${JSON.stringify(kind)}`,
    );
  }
  if (typeof id !== "string" || !REPORT_ID.test(id) || id.includes("..")) {
    throw new ReportStoreError(
      `Report id ${JSON.stringify(id)} cannot be an object name: use up to 200 letters, digits, ".", "_", ":" or "-", starting with a letter or digit`,
    );
  }
  return `reports/${kind}/${id}.json`;
}

/**
 * `ReportStore` on the DR-region S3 bucket. Objects are encrypted by the bucket's default SSE-KMS
 * configuration (with its bucket key); forcing a key here would bypass the bucket key and could
 * disagree with the bucket's policy, so none is sent.
 */
export class S3ReportStore implements ReportStore {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client,
  ) {
    if (typeof bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigurationError(
        `S3ReportStore bucket must be an S3 bucket name (3-63 lowercase letters, digits, "." or "-"), got ${JSON.stringify(bucket)} (check REPORT_BUCKET)`,
      );
    }
  }

  /** Write the report as indented JSON; returns its `s3://bucket/key` URI. */
  async put(report: FailoverReport): Promise<string> {
    const key = reportKey(report.kind, report.id);
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: `${JSON.stringify(report, null, 2)}\n`,
          ContentType: "application/json",
        }),
      );
    } catch (err) {
      throw new ReportStoreError(`Writing s3://${this.bucket}/${key} failed: ${describeAwsError(err)}`, {
        cause: err,
      });
    }
    return `s3://${this.bucket}/${key}`;
  }

  /**
   * True when the report exists, read with `ListObjectsV2 { Prefix: <exact key>, MaxKeys: 1 }`.
   *
   * Why not `HeadObject`: for a missing key S3 answers a HEAD with 404 only to a caller that may
   * `s3:ListBucket` the bucket, else with 403. The failover role's `s3:ListBucket` is limited by
   * an `s3:prefix` condition to `reports/*`, and a HEAD carries no prefix, so that grant would not
   * apply and a missing report would read as 403. A listing carries the key as its prefix, so the
   * same conditioned grant covers it, and no `s3:GetObject` is needed to check.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
   *
   * A prefix also matches longer keys (`….json.bak`). S3 lists keys in ascending UTF-8 binary
   * order and a key sorts before every longer key it is a prefix of, so when the report exists it
   * is the first (and only) key returned; anything else means it does not exist.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
   *
   * Throws `ReportStoreError` when S3 refuses or does not answer; a 403 names the permission.
   */
  async exists(kind: FailoverReport["kind"], id: string): Promise<boolean> {
    const key = reportKey(kind, id);
    let out;
    try {
      out = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: key, MaxKeys: 1 }));
    } catch (err) {
      const hint =
        awsHttpStatus(err) === 403
          ? ` (listing needs s3:ListBucket on arn:aws:s3:::${this.bucket} with s3:prefix matching "reports/*")`
          : "";
      throw new ReportStoreError(
        `Checking s3://${this.bucket}/${key} failed: ${describeAwsError(err)}${hint}`,
        { cause: err },
      );
    }
    return (out.Contents ?? []).some((object) => object.Key === key);
  }
}
