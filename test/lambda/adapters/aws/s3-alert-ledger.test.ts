import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandOutput,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { S3AlertLedger, alertObjectKey } from "../../../../lib/lambda/adapters/aws/s3-alert-ledger";
import type { AlertRecord } from "../../../../lib/lambda/core/alerts";
import { AlertLedgerError, ConfigurationError } from "../../../../lib/lambda/core/errors";
import { awsError, networkError } from "./fake-clock";

const s3 = mockClient(S3Client);
const BUCKET = "backups-dr-dev-1a2b3c";
const KEY = "failover-blocked-0a1b2c3d";
const OBJECT_KEY = `alerts/${KEY}.json`;
const RECORD: AlertRecord = {
  key: KEY,
  event: "failover-blocked",
  subject: "DR CRITICAL: failover BLOCKED (replication-lag): rds-replica-dev not promoted",
  severity: "critical",
  lastSentAtMs: 1_777_000_000_000,
};

function ledger() {
  return new S3AlertLedger(BUCKET, new S3Client({ region: "ap-southeast-1" }));
}

/** A GetObject answer whose body reads as `text`. */
function body(text: string, etag: string | null = '"9b2cf535f27731c974343645a3985328"') {
  return {
    ...(etag === null ? {} : { ETag: etag }),
    Body: { transformToString: async () => text },
  } as unknown as GetObjectCommandOutput;
}

beforeEach(() => s3.reset());

describe("alertObjectKey", () => {
  it("is alerts/<key>.json", () => {
    expect(alertObjectKey(KEY)).toBe(OBJECT_KEY);
  });
  it.each([
    ["a path", "../reports/x"],
    ["upper case", "Failover-Blocked"],
    ["empty", ""],
  ])("refuses %s", (_s, key) => {
    expect(() => alertObjectKey(key)).toThrow(AlertLedgerError);
  });
});

describe("S3AlertLedger", () => {
  it("refuses a bucket that is not a bucket name", () => {
    expect(() => new S3AlertLedger("Not_A_Bucket", new S3Client({}))).toThrow(
      new ConfigurationError(
        'S3AlertLedger bucket must be an S3 bucket name (3-63 lowercase letters, digits, "." or "-"), got "Not_A_Bucket" (check REPORT_BUCKET)',
      ),
    );
  });

  describe("read", () => {
    it("lists the exact key, then gets it: the record with its ETag as version", async () => {
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: OBJECT_KEY }] });
      s3.on(GetObjectCommand).resolves(body(JSON.stringify(RECORD)));
      expect(await ledger().read(KEY)).toEqual({
        record: RECORD,
        version: '"9b2cf535f27731c974343645a3985328"',
      });
      expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Prefix: OBJECT_KEY, MaxKeys: 1 },
      ]);
      expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
        { Bucket: BUCKET, Key: OBJECT_KEY },
      ]);
    });

    it.each([
      ["nothing listed", []],
      ["only a longer key listed", [{ Key: `${OBJECT_KEY}.bak` }]],
    ])("never sent (%s): null, without a GetObject", async (_s, contents) => {
      s3.on(ListObjectsV2Command).resolves({ Contents: contents });
      expect(await ledger().read(KEY)).toBeNull();
      expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
    });

    it("NoSuchKey on the get (deleted after the listing): null", async () => {
      s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: OBJECT_KEY }] });
      s3.on(GetObjectCommand).rejects(awsError("NoSuchKey", "The specified key does not exist.", 404));
      expect(await ledger().read(KEY)).toBeNull();
    });

    it.each([
      [
        "listing denied",
        () => s3.on(ListObjectsV2Command).rejects(awsError("AccessDenied", "Access Denied", 403)),
        `Listing s3://${BUCKET}/${OBJECT_KEY} failed: AccessDenied: Access Denied (HTTP 403) (needs s3:ListBucket on arn:aws:s3:::${BUCKET} with s3:prefix "alerts/*", s3:GetObject and s3:PutObject on alerts/*)`,
      ],
      [
        "get unreachable",
        () => {
          s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: OBJECT_KEY }] });
          s3.on(GetObjectCommand).rejects(networkError("ETIMEDOUT"));
        },
        `Reading s3://${BUCKET}/${OBJECT_KEY} failed: ETIMEDOUT: connect ETIMEDOUT 10.0.0.1:443`,
      ],
      [
        "not JSON",
        () => {
          s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: OBJECT_KEY }] });
          s3.on(GetObjectCommand).resolves(body("{oops"));
        },
        `s3://${BUCKET}/${OBJECT_KEY} is not JSON`,
      ],
      [
        "not a record",
        () => {
          s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: OBJECT_KEY }] });
          s3.on(GetObjectCommand).resolves(body(JSON.stringify({ ...RECORD, severity: "loud" })));
        },
        `s3://${BUCKET}/${OBJECT_KEY} is not an alert record (expected key, event, subject, severity and lastSentAtMs); delete it to reset the alert`,
      ],
      [
        "no ETag",
        () => {
          s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: OBJECT_KEY }] });
          s3.on(GetObjectCommand).resolves(body(JSON.stringify(RECORD), null));
        },
        `s3://${BUCKET}/${OBJECT_KEY} came back without an ETag`,
      ],
    ])("%s: AlertLedgerError naming the object", async (_s, arrange, message) => {
      arrange();
      await expect(ledger().read(KEY)).rejects.toMatchObject({ name: AlertLedgerError.name, message });
    });
  });

  describe("write", () => {
    it("first record: PutObject only if absent (IfNoneMatch *)", async () => {
      s3.on(PutObjectCommand).resolves({ ETag: '"1"' });
      await ledger().write(RECORD, null);
      expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
        {
          Bucket: BUCKET,
          Key: OBJECT_KEY,
          Body: `${JSON.stringify(RECORD)}\n`,
          ContentType: "application/json",
          IfNoneMatch: "*",
        },
      ]);
    });

    it("later record: PutObject only if unchanged (IfMatch the ETag read)", async () => {
      s3.on(PutObjectCommand).resolves({ ETag: '"2"' });
      await ledger().write(RECORD, '"1"');
      expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
        {
          Bucket: BUCKET,
          Key: OBJECT_KEY,
          Body: `${JSON.stringify(RECORD)}\n`,
          ContentType: "application/json",
          IfMatch: '"1"',
        },
      ]);
    });

    it.each([
      [
        "412 PreconditionFailed",
        awsError("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412),
      ],
      [
        "409 ConditionalRequestConflict",
        awsError("ConditionalRequestConflict", "A conflicting operation occurred", 409),
      ],
    ])("%s: the other writer's record is kept", async (_s, error) => {
      s3.on(PutObjectCommand).rejects(error);
      await expect(ledger().write(RECORD, '"1"')).rejects.toThrow(
        /changed since it was read .*another invocation recorded this alert, its record is kept$/,
      );
    });

    it("denied: names the permissions", async () => {
      s3.on(PutObjectCommand).rejects(awsError("AccessDenied", "Access Denied", 403));
      await expect(ledger().write(RECORD, null)).rejects.toMatchObject({
        name: AlertLedgerError.name,
        message: `Writing s3://${BUCKET}/${OBJECT_KEY} failed: AccessDenied: Access Denied (HTTP 403) (needs s3:ListBucket on arn:aws:s3:::${BUCKET} with s3:prefix "alerts/*", s3:GetObject and s3:PutObject on alerts/*)`,
      });
    });
  });
});
