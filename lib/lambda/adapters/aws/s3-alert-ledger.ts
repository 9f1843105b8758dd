import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { AlertLedger, AlertLedgerEntry, AlertRecord } from "../../core/alerts";
import { AlertLedgerError, ConfigurationError } from "../../core/errors";
import type { Severity } from "../../core/ports";
import { awsHttpStatus, describeAwsError, hasErrorName } from "./aws-errors";

/** Alert keys come from `alertKey`; anything else is refused before it becomes an object name. */
const ALERT_KEY = /^[a-z0-9][a-z0-9-]{0,99}$/;
const SEVERITIES: ReadonlySet<string> = new Set<Severity>(["info", "warning", "critical"]);

/** Object key of an alert's record: `alerts/<key>.json`. Throws `AlertLedgerError` for an unsafe key. */
export function alertObjectKey(key: string): string {
  if (typeof key !== "string" || !ALERT_KEY.test(key)) {
    throw new AlertLedgerError(
      `Alert key ${JSON.stringify(key)} cannot be an object name: use up to 100 lowercase letters, digits or "-" (as alertKey builds them)`,
    );
  }
  return `alerts/${key}.json`;
}

function parseRecord(text: string, location: string): AlertRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AlertLedgerError(`${location} is not JSON`, { cause: err });
  }
  const r = value as Partial<Record<keyof AlertRecord, unknown>> | null;
  if (
    r === null ||
    typeof r !== "object" ||
    typeof r.key !== "string" ||
    typeof r.event !== "string" ||
    typeof r.subject !== "string" ||
    typeof r.severity !== "string" ||
    !SEVERITIES.has(r.severity) ||
    typeof r.lastSentAtMs !== "number" ||
    !Number.isFinite(r.lastSentAtMs)
  ) {
    throw new AlertLedgerError(
      `${location} is not an alert record (expected key, event, subject, severity and lastSentAtMs); delete it to reset the alert`,
    );
  }
  return {
    key: r.key,
    event: r.event,
    subject: r.subject,
    severity: r.severity as Severity,
    lastSentAtMs: r.lastSentAtMs,
  };
}

/**
 * `AlertLedger` on the DR-region report bucket: one small JSON object per alert,
 * `alerts/<key>.json`, encrypted by the bucket's default SSE-KMS configuration like the reports.
 *
 * Reading lists the exact key first and fetches it only when it exists. For a missing key a
 * `GetObject` answers 404 `NoSuchKey` only to a caller that may `s3:ListBucket` the bucket, else
 * 403; the failover role's listing is conditioned on `s3:prefix`, which a GET does not carry, so a
 * missing record would read as 403 and be indistinguishable from a real denial. The listing carries
 * the key as prefix, so the conditioned grant covers it (same reasoning as `S3ReportStore.exists`).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (permissions, 404 vs 403)
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html
 * A `NoSuchKey` on the GET (the record deleted in between) still reads as "never sent".
 *
 * Writes are conditional: `IfMatch` with the ETag read, or `IfNoneMatch: "*"` when there was no
 * record; S3 answers 412 `PreconditionFailed` when the object changed meanwhile and 409
 * `ConditionalRequestConflict` on a concurrent conditional write. The failover function runs with
 * reserved concurrency 1, so neither is expected; if one happens, another invocation recorded a
 * send at the same time and its record is kept.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
export class S3AlertLedger implements AlertLedger {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client,
  ) {
    if (typeof bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigurationError(
        `S3AlertLedger bucket must be an S3 bucket name (3-63 lowercase letters, digits, "." or "-"), got ${JSON.stringify(bucket)} (check REPORT_BUCKET)`,
      );
    }
  }

  /** The record of `key` and its ETag, or `null` when none exists. Throws `AlertLedgerError` otherwise. */
  async read(key: string): Promise<AlertLedgerEntry | null> {
    const objectKey = alertObjectKey(key);
    const location = `s3://${this.bucket}/${objectKey}`;
    try {
      const listed = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: objectKey, MaxKeys: 1 }),
      );
      // A prefix also matches longer keys; the exact key sorts first when it exists.
      if (!(listed.Contents ?? []).some((object) => object.Key === objectKey)) return null;
    } catch (err) {
      throw this.failure(`Listing ${location}`, err);
    }
    let text: string;
    let etag: string | undefined;
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      etag = out.ETag;
      text = (await out.Body?.transformToString("utf-8")) ?? "";
    } catch (err) {
      if (hasErrorName(err, "NoSuchKey")) return null;
      throw this.failure(`Reading ${location}`, err);
    }
    if (etag === undefined) throw new AlertLedgerError(`${location} came back without an ETag`);
    return { record: parseRecord(text, location), version: etag };
  }

  /** Store `record` if the object is still at `expectedVersion` (`null`: only if it does not exist). */
  async write(record: AlertRecord, expectedVersion: string | null): Promise<void> {
    const objectKey = alertObjectKey(record.key);
    const location = `s3://${this.bucket}/${objectKey}`;
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: objectKey,
          Body: `${JSON.stringify(record)}\n`,
          ContentType: "application/json",
          ...(expectedVersion === null ? { IfNoneMatch: "*" } : { IfMatch: expectedVersion }),
        }),
      );
    } catch (err) {
      if (
        hasErrorName(err, "PreconditionFailed", "ConditionalRequestConflict") ||
        [409, 412].includes(awsHttpStatus(err) ?? 0)
      ) {
        throw new AlertLedgerError(
          `${location} changed since it was read (${describeAwsError(err)}); another invocation recorded this alert, its record is kept`,
          { cause: err },
        );
      }
      throw this.failure(`Writing ${location}`, err);
    }
  }

  private failure(what: string, err: unknown): AlertLedgerError {
    const hint =
      awsHttpStatus(err) === 403
        ? ` (needs s3:ListBucket on arn:aws:s3:::${this.bucket} with s3:prefix "alerts/*", s3:GetObject and s3:PutObject on alerts/*)`
        : "";
    return new AlertLedgerError(`${what} failed: ${describeAwsError(err)}${hint}`, { cause: err });
  }
}
