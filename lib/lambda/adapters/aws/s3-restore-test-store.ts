/**
 * `RestoreTestStore` on the DR-region report bucket, under `restore-tests/`:
 * `<yyyy-mm-dd>/<execution>.json` (every report), `latest-success.json` (a copy of the newest
 * successful one) and `first-seen.json` (when freshness was first computed, written once).
 *
 * Reading `latest-success.json` lists the exact key first and fetches it only when it exists: for
 * a missing key `GetObject` answers 404 only to a caller that may `s3:ListBucket` the bucket, else
 * 403, and a listing grant conditioned on `s3:prefix` never applies to a GET (same reasoning as
 * `S3AlertLedger.read`). https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 *
 * `first-seen.json` is written with `IfNoneMatch: "*"`: S3 answers 412 `PreconditionFailed` when the
 * object already exists (then it is read back) and 409 `ConditionalRequestConflict` on a concurrent
 * conditional write (also read back: the other writer's value stands).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ConfigurationError, ReportStoreError } from "../../core/errors";
import type { RestoreTestReport, RestoreTestStore } from "../../core/restore-test";
import { awsHttpStatus, describeAwsError, hasErrorName } from "./aws-errors";

/** Prefix of every restore-test object. */
export const RESTORE_TEST_PREFIX = "restore-tests/";
/** Copy of the newest successful report: what the freshness mode reads. */
export const LATEST_SUCCESS_KEY = `${RESTORE_TEST_PREFIX}latest-success.json`;
/** When freshness was first computed (written once): the age's origin while no test ever succeeded. */
export const FIRST_SEEN_KEY = `${RESTORE_TEST_PREFIX}first-seen.json`;
const REPORT_ID = /^[A-Za-z0-9._-]{1,80}$/;

/** Object key of a report: `restore-tests/<yyyy-mm-dd of its start>/<id>.json`. */
export function restoreTestReportKey(
  report: Pick<RestoreTestReport, "id" | "startedAt" | "finishedAt">,
): string {
  if (!REPORT_ID.test(report.id)) {
    throw new ReportStoreError(
      `Restore-test report id ${JSON.stringify(report.id)} is not an execution name (1-80 of A-Z a-z 0-9 - _)`,
    );
  }
  const day = (report.startedAt ?? report.finishedAt).slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
    throw new ReportStoreError(
      `Restore-test report ${report.id} has no ISO start or finish time to file it under`,
    );
  }
  return `${RESTORE_TEST_PREFIX}${day}/${report.id}.json`;
}

function isConditionFailure(err: unknown): boolean {
  return (
    hasErrorName(err, "PreconditionFailed", "ConditionalRequestConflict") ||
    [409, 412].includes(awsHttpStatus(err) ?? 0)
  );
}

/** `RestoreTestStore` on the DR report bucket (see the module comment). */
export class S3RestoreTestStore implements RestoreTestStore {
  constructor(
    private readonly bucket: string,
    private readonly s3: S3Client,
  ) {
    if (typeof bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new ConfigurationError(
        `S3RestoreTestStore bucket must be an S3 bucket name (3-63 lowercase letters, digits, "." or "-"), got ${JSON.stringify(bucket)} (check REPORT_BUCKET)`,
      );
    }
  }

  /** Writes the report; returns its `s3://` URI. */
  async putReport(report: RestoreTestReport): Promise<string> {
    return this.put(restoreTestReportKey(report), report);
  }

  async putLatestSuccess(report: RestoreTestReport): Promise<string> {
    return this.put(LATEST_SUCCESS_KEY, report);
  }

  /** `latest-success.json`, or `null` when it does not exist. */
  async latestSuccess(): Promise<RestoreTestReport | null> {
    const location = `s3://${this.bucket}/${LATEST_SUCCESS_KEY}`;
    try {
      const listed = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: LATEST_SUCCESS_KEY, MaxKeys: 1 }),
      );
      if (!(listed.Contents ?? []).some((o) => o.Key === LATEST_SUCCESS_KEY)) return null;
    } catch (err) {
      throw this.failure(`Listing ${location}`, err);
    }
    const text = await this.read(LATEST_SUCCESS_KEY, true);
    if (text === null) return null;
    const report = parseJson(text, location) as Partial<RestoreTestReport> | null;
    if (
      report === null ||
      typeof report !== "object" ||
      report.kind !== "restore-test" ||
      report.outcome !== "succeeded"
    ) {
      throw new ReportStoreError(
        `${location} is not a successful restore-test report; delete it to reset the freshness`,
      );
    }
    return report as RestoreTestReport;
  }

  /** Writes `first-seen.json` with `nowMs` unless it exists; returns the stored time. */
  async firstSeen(nowMs: number): Promise<{ atMs: number; created: boolean }> {
    const location = `s3://${this.bucket}/${FIRST_SEEN_KEY}`;
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: FIRST_SEEN_KEY,
          Body: `${JSON.stringify({ firstSeenAt: new Date(nowMs).toISOString() })}\n`,
          ContentType: "application/json",
          IfNoneMatch: "*",
        }),
      );
      return { atMs: nowMs, created: true };
    } catch (err) {
      if (!isConditionFailure(err)) throw this.failure(`Writing ${location}`, err);
    }
    const text = await this.read(FIRST_SEEN_KEY, false);
    const value = parseJson(text ?? "", location) as { firstSeenAt?: unknown } | null;
    const atMs = typeof value?.firstSeenAt === "string" ? Date.parse(value.firstSeenAt) : NaN;
    if (!Number.isFinite(atMs)) {
      throw new ReportStoreError(
        `${location} holds no ISO firstSeenAt; delete it so the next run writes it again`,
      );
    }
    return { atMs, created: false };
  }

  private async put(key: string, body: unknown): Promise<string> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: `${JSON.stringify(body, null, 2)}\n`,
          ContentType: "application/json",
        }),
      );
    } catch (err) {
      throw this.failure(`Writing s3://${this.bucket}/${key}`, err);
    }
    return `s3://${this.bucket}/${key}`;
  }

  /** The object's text; `null` for `NoSuchKey` when `missingOk` (deleted between list and get). */
  private async read(key: string, missingOk: boolean): Promise<string | null> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await out.Body?.transformToString("utf-8")) ?? "";
    } catch (err) {
      if (missingOk && hasErrorName(err, "NoSuchKey")) return null;
      throw this.failure(`Reading s3://${this.bucket}/${key}`, err);
    }
  }

  private failure(what: string, err: unknown): ReportStoreError {
    const hint =
      awsHttpStatus(err) === 403
        ? ` (needs s3:GetObject and s3:PutObject on ${RESTORE_TEST_PREFIX}*, and s3:ListBucket on arn:aws:s3:::${this.bucket} with s3:prefix "${RESTORE_TEST_PREFIX}*")`
        : "";
    return new ReportStoreError(`${what} failed: ${describeAwsError(err)}${hint}`, { cause: err });
  }
}

function parseJson(text: string, location: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReportStoreError(`${location} is not JSON`, { cause: err });
  }
}
