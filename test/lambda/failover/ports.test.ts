import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { AwsClients } from "../../../lib/lambda/adapters/aws/clients";
import { S3AlertLedger } from "../../../lib/lambda/adapters/aws/s3-alert-ledger";
import { readFailoverConfig } from "../../../lib/lambda/failover/env";
import { buildFailoverPorts } from "../../../lib/lambda/failover/ports";
import { FakeClock } from "../../support/fake-ports";
import { FAILOVER_ENV_FIXTURE } from "./fixtures";

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

describe("buildFailoverPorts: the alert ledger", () => {
  it("is the S3 ledger on the report bucket, called in the control region", async () => {
    const config = readFailoverConfig(FAILOVER_ENV_FIXTURE);
    const clients = new AwsClients();
    const ports = buildFailoverPorts(config, clients, new FakeClock());
    expect(ports.alerts).toBeInstanceOf(S3AlertLedger);
    s3.on(ListObjectsV2Command).resolves({});
    expect(await ports.alerts.read("failover-blocked-0a1b2c3d")).toBeNull();
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input)).toEqual([
      { Bucket: config.reportBucket, Prefix: "alerts/failover-blocked-0a1b2c3d.json", MaxKeys: 1 },
    ]);
    expect(await clients.s3(config.controlRegion).config.region()).toBe(config.controlRegion);
    expect(s3.commandCalls(ListObjectsV2Command)[0].thisValue).toBe(clients.s3(config.controlRegion));
  });
});
