import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { S3ReportStore, reportKey } from "../../../../lib/lambda/adapters/aws/s3-report-store";
import { ConfigurationError, ReportStoreError } from "../../../../lib/lambda/core/errors";
import type { FailoverReport } from "../../../../lib/lambda/core/ports";
import { awsError, networkError } from "./fake-clock";

const s3 = mockClient(S3Client);
const BUCKET = "backups-dr-dev-1a2b3c";

function store() {
  return new S3ReportStore(BUCKET, new S3Client({ region: "ap-southeast-1" }));
}

const instance = {
  id: "rds-replica-dev",
  role: "replica",
  status: "available",
  isReplica: false,
  apiReachable: true,
} as const;
const report: FailoverReport = {
  id: "rds-replica-dev-created-20260101T000000000Z",
  kind: "failover",
  startedAtMs: 1_000,
  finishedAtMs: 200_000,
  outcome: "succeeded",
  decisions: [{ atMs: 1_000, kind: "promote-replica", reason: "3 failed probes and RDS unreachable" }],
  timeline: [{ atMs: 2_000, event: "promoted", detail: "PromoteReadReplica accepted" }],
  figures: { detectionSeconds: 45, promotionSeconds: 120, rtoSeconds: 199, dataLossWindowSeconds: 1 },
  oldPrimary: { ...instance, id: "rds-primary-dev", role: "primary", status: "unknown", apiReachable: false },
  newPrimary: instance,
};

beforeEach(() => s3.reset());

describe("reportKey", () => {
  it("builds reports/<kind>/<id>.json", () => {
    expect(reportKey("drill", "drill-20261125T100000000Z")).toBe(
      "reports/drill/drill-20261125T100000000Z.json",
    );
  });

  const bad: [situation: string, kind: string, id: string, message: string][] = [
    ["a slash in the id", "failover", "../../etc", 'Report id "../../etc" cannot be an object name'],
    ["an empty id", "failover", "", 'Report id "" cannot be an object name'],
    [
      "an unknown kind",
      "audit",
      "x",
      'Report kind must be failover, switchover, restore or drill, got "audit"',
    ],
  ];
  it.each(bad)("rejects %s", (_s, kind, id, message) => {
    expect(() => reportKey(kind as FailoverReport["kind"], id)).toThrow(ReportStoreError);
    expect(() => reportKey(kind as FailoverReport["kind"], id)).toThrow(message);
  });
});

describe("S3ReportStore.put", () => {
  it("writes JSON under reports/<kind>/<id>.json without forcing an encryption key", async () => {
    s3.on(PutObjectCommand).resolves({ ETag: '"e"' });
    await expect(store().put(report)).resolves.toBe(
      `s3://${BUCKET}/reports/failover/rds-replica-dev-created-20260101T000000000Z.json`,
    );
    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(input).toEqual({
      Bucket: BUCKET,
      Key: "reports/failover/rds-replica-dev-created-20260101T000000000Z.json",
      Body: `${JSON.stringify(report, null, 2)}\n`,
      ContentType: "application/json",
    });
    expect(JSON.parse(input.Body as string)).toEqual(report);
  });

  it("throws ReportStoreError with the cause when S3 refuses", async () => {
    const denied = awsError("AccessDenied", "Access Denied", 403);
    s3.on(PutObjectCommand).rejects(denied);
    const writing = store().put(report);
    await expect(writing).rejects.toThrow(ReportStoreError);
    await expect(writing).rejects.toMatchObject({
      message: `Writing s3://${BUCKET}/reports/failover/rds-replica-dev-created-20260101T000000000Z.json failed: AccessDenied: Access Denied (HTTP 403)`,
      cause: denied,
    });
  });
});

describe("S3ReportStore.exists", () => {
  const KEY = "reports/switchover/sw-1.json";

  it("lists exactly the report's key, one entry at most, and never HEADs it", async () => {
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 1, Contents: [{ Key: KEY, Size: 10 }] });
    await expect(store().exists("switchover", "sw-1")).resolves.toBe(true);
    expect(s3.calls().map((call) => call.args[0].input)).toEqual([
      { Bucket: BUCKET, Prefix: KEY, MaxKeys: 1 },
    ]);
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  const listings: [situation: string, keys: string[], exists: boolean][] = [
    ["the report is there", [KEY], true],
    ["nothing under the key", [], false],
    ["only a longer key that shares the prefix", [`${KEY}.bak`], false],
    // S3 lists in UTF-8 binary order, so with MaxKeys 1 the exact key would come first; a listing
    // that (wrongly) held both must still find it.
    ["the report and a longer key", [KEY, `${KEY}.bak`], true],
  ];
  it.each(listings)("%s → %s", async (_s, keys, exists) => {
    s3.on(ListObjectsV2Command).resolves({
      KeyCount: keys.length,
      ...(keys.length === 0 ? {} : { Contents: keys.map((Key) => ({ Key })) }),
    });
    await expect(store().exists("switchover", "sw-1")).resolves.toBe(exists);
  });

  it("names the listing permission when S3 answers 403", async () => {
    const denied = awsError("AccessDenied", "Access Denied", 403);
    s3.on(ListObjectsV2Command).rejects(denied);
    const checking = store().exists("failover", "f-1");
    await expect(checking).rejects.toThrow(ReportStoreError);
    await expect(checking).rejects.toMatchObject({
      message:
        `Checking s3://${BUCKET}/reports/failover/f-1.json failed: AccessDenied: Access Denied (HTTP 403) ` +
        `(listing needs s3:ListBucket on arn:aws:s3:::${BUCKET} with s3:prefix matching "reports/*")`,
      cause: denied,
    });
  });

  it("throws ReportStoreError without a permission hint when S3 does not answer", async () => {
    const reset = networkError("ECONNRESET");
    s3.on(ListObjectsV2Command).rejects(reset);
    await expect(store().exists("failover", "f-1")).rejects.toMatchObject({
      name: "ReportStoreError",
      message: `Checking s3://${BUCKET}/reports/failover/f-1.json failed: ECONNRESET: connect ECONNRESET 10.0.0.1:443`,
      cause: reset,
    });
  });

  it("refuses an unsafe id before calling S3", async () => {
    await expect(store().exists("failover", "../x")).rejects.toThrow(
      'Report id "../x" cannot be an object name',
    );
    expect(s3.calls()).toHaveLength(0);
  });

  it("rejects a bucket name that is not one", () => {
    expect(() => new S3ReportStore("s3://Backups", new S3Client({ region: "ap-southeast-1" }))).toThrow(
      ConfigurationError,
    );
    expect(() => new S3ReportStore("s3://Backups", new S3Client({ region: "ap-southeast-1" }))).toThrow(
      'S3ReportStore bucket must be an S3 bucket name (3-63 lowercase letters, digits, "." or "-"), got "s3://Backups" (check REPORT_BUCKET)',
    );
  });
});
