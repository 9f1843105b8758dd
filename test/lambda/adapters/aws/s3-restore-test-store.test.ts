import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import {
  restoreTestReportKey,
  S3RestoreTestStore,
} from "../../../../lib/lambda/adapters/aws/s3-restore-test-store";
import { ConfigurationError, ReportStoreError } from "../../../../lib/lambda/core/errors";
import type { RestoreTestReport } from "../../../../lib/lambda/core/restore-test";
import { awsError } from "./fake-clock";

const s3 = mockClient(S3Client);
const BUCKET = "backups-dr-dev-1a2b3c";
const NOW_MS = Date.parse("2026-12-07T03:00:00.000Z");

const REPORT: RestoreTestReport = {
  id: "weekly-2026-12-06",
  kind: "restore-test",
  outcome: "succeeded",
  instanceId: "rds-restore-test-dev",
  startedAt: "2026-12-06T03:00:01.000Z",
  finishedAt: "2026-12-06T03:41:00.000Z",
  backupsArn: "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-1",
  latestRestorableTime: "2026-12-06T02:58:00.000Z",
  restoreCalledAt: "2026-12-06T03:00:02.000Z",
  availableAt: "2026-12-06T03:30:02.000Z",
  deletedAt: "2026-12-06T03:40:00.000Z",
  figures: { restoreDurationSeconds: 1800, dataAgeSeconds: 40, rowCount: 2 },
  check: { newestHeartbeatAt: "2026-12-06T02:57:20.000Z", rowCount: 2, user: "dr_monitor" },
  leftoverDeleted: null,
};

function store() {
  return new S3RestoreTestStore(BUCKET, new S3Client({ region: "ap-southeast-1" }));
}
const body = (text: string) =>
  ({ Body: { transformToString: async () => text } }) as unknown as GetObjectCommandOutput;

beforeEach(() => s3.reset());

describe("S3RestoreTestStore", () => {
  it("refuses a bucket that is not an S3 name", () => {
    expect(() => new S3RestoreTestStore("Not_A_Bucket", new S3Client({}))).toThrow(ConfigurationError);
  });

  it("files a report under the day it started, and a success also as latest-success.json", async () => {
    s3.on(PutObjectCommand).resolves({});
    expect(await store().putReport(REPORT)).toBe(
      `s3://${BUCKET}/restore-tests/2026-12-06/weekly-2026-12-06.json`,
    );
    await store().putLatestSuccess(REPORT);
    const inputs = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.Bucket, i.Key, i.ContentType, i.IfNoneMatch])).toEqual([
      [BUCKET, "restore-tests/2026-12-06/weekly-2026-12-06.json", "application/json", undefined],
      [BUCKET, "restore-tests/latest-success.json", "application/json", undefined],
    ]);
    expect(JSON.parse(String(inputs[1].Body))).toEqual(REPORT);
  });

  it("refuses a report id that is not an execution name", () => {
    expect(() => restoreTestReportKey({ ...REPORT, id: "../x" })).toThrow(ReportStoreError);
  });

  it("reads latest-success.json only when the listing shows it", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [] });
    expect(await store().latestSuccess()).toBeNull();
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(ListObjectsV2Command)[0].args[0].input).toEqual({
      Bucket: BUCKET,
      Prefix: "restore-tests/latest-success.json",
      MaxKeys: 1,
    });
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: "restore-tests/latest-success.json" }] });
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: "restore-tests/latest-success.json" }).resolves(
      body(JSON.stringify(REPORT)),
    );
    expect(await store().latestSuccess()).toEqual(REPORT);
  });

  it("refuses a latest-success.json that is not a successful report", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: "restore-tests/latest-success.json" }] });
    s3.on(GetObjectCommand).resolves(body(JSON.stringify({ ...REPORT, outcome: "failed" })));
    await expect(store().latestSuccess()).rejects.toThrow(/not a successful restore-test report/);
  });

  it("writes first-seen.json once, with IfNoneMatch *", async () => {
    s3.on(PutObjectCommand).resolves({});
    expect(await store().firstSeen(NOW_MS)).toEqual({ atMs: NOW_MS, created: true });
    const input = s3.commandCalls(PutObjectCommand)[0].args[0].input;
    expect(input).toEqual({
      Bucket: BUCKET,
      Key: "restore-tests/first-seen.json",
      Body: '{"firstSeenAt":"2026-12-07T03:00:00.000Z"}\n',
      ContentType: "application/json",
      IfNoneMatch: "*",
    });
  });

  it("reads first-seen.json back when S3 answers 412 PreconditionFailed (it exists)", async () => {
    s3.on(PutObjectCommand).rejects(
      awsError("PreconditionFailed", "At least one of the pre-conditions failed", 412),
    );
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: "restore-tests/first-seen.json" }).resolves(
      body('{"firstSeenAt":"2026-11-01T00:00:00.000Z"}'),
    );
    expect(await store().firstSeen(NOW_MS)).toEqual({
      atMs: Date.parse("2026-11-01T00:00:00.000Z"),
      created: false,
    });
  });

  it("names the missing permissions on a 403", async () => {
    s3.on(ListObjectsV2Command).rejects(awsError("AccessDenied", "Access Denied", 403));
    await expect(store().latestSuccess()).rejects.toThrow(/s3:ListBucket .* s3:prefix "restore-tests\/\*"/);
  });
});
