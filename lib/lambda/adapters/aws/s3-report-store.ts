import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ConfigurationError, ReportStoreError } from "../../core/errors";
import type { FailoverReport, ReportStore } from "../../core/ports";
import { awsHttpStatus, describeAwsError, hasErrorName } from "./aws-errors";

const REPORT_KINDS: ReadonlySet<string> = new Set(["failover", "switchover", "drill"]);
/** Report ids become object keys; keep them to characters that need no escaping anywhere. */
const REPORT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** Object key of a report: `reports/<kind>/<id>.json`. Throws `ReportStoreError` for an unsafe id or kind. */
export function reportKey(kind: FailoverReport["kind"], id: string): string {
  if (!REPORT_KINDS.has(kind)) {
    throw new ReportStoreError(
      `Report kind must be failover, switchover or drill, got ${JSON.stringify(kind)}`,
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
   * True when the report exists. S3 answers a HEAD for a missing object with 404 only when the
   * caller may `s3:ListBucket`; without it the answer is 403, which is reported as an error naming
   * that permission rather than guessed to mean "missing".
   * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
   */
  async exists(kind: FailoverReport["kind"], id: string): Promise<boolean> {
    const key = reportKey(kind, id);
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (hasErrorName(err, "NotFound", "NoSuchKey") || awsHttpStatus(err) === 404) return false;
      const hint =
        awsHttpStatus(err) === 403
          ? " (a missing object reads as 403 without s3:ListBucket on the bucket)"
          : "";
      throw new ReportStoreError(
        `Checking s3://${this.bucket}/${key} failed: ${describeAwsError(err)}${hint}`,
        {
          cause: err,
        },
      );
    }
  }
}
