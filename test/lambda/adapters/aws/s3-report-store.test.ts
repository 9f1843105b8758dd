import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
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
    ["an unknown kind", "restore", "x", 'Report kind must be failover, switchover or drill, got "restore"'],
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
  it("HEADs the report's key and answers true", async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 10 });
    await expect(store().exists("switchover", "sw-1")).resolves.toBe(true);
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({
      Bucket: BUCKET,
      Key: "reports/switchover/sw-1.json",
    });
  });

  const missing: [situation: string, err: Error][] = [
    ["the SDK's NotFound", new NotFound({ message: "NotFound", $metadata: { httpStatusCode: 404 } })],
    ["a bare 404", awsError("UnknownError", "Not Found", 404)],
  ];
  it.each(missing)("answers false for %s", async (_s, err) => {
    s3.on(HeadObjectCommand).rejects(err);
    await expect(store().exists("failover", "f-1")).resolves.toBe(false);
  });

  it("explains a 403, which is what a missing object looks like without s3:ListBucket", async () => {
    s3.on(HeadObjectCommand).rejects(awsError("Forbidden", "Forbidden", 403));
    await expect(store().exists("failover", "f-1")).rejects.toThrow(
      `Checking s3://${BUCKET}/reports/failover/f-1.json failed: Forbidden: Forbidden (HTTP 403) ` +
        "(a missing object reads as 403 without s3:ListBucket on the bucket)",
    );
  });

  it("throws ReportStoreError when S3 does not answer", async () => {
    s3.on(HeadObjectCommand).rejects(networkError("ECONNRESET"));
    await expect(store().exists("failover", "f-1")).rejects.toThrow(ReportStoreError);
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
