import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeSecurityGroupRulesCommand, EC2Client } from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand, RDSClient } from "@aws-sdk/client-rds";
import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { ChangeResourceRecordSetsCommand, Route53Client } from "@aws-sdk/client-route-53";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import {
  AwsClients,
  awsFailoverAdapters,
  type FailoverAdapterSettings,
} from "../../../../lib/lambda/adapters/aws";
import { ConfigurationError } from "../../../../lib/lambda/core/errors";
import { FakeClock } from "./fake-clock";

const rds = mockClient(RDSClient);
const ec2 = mockClient(EC2Client);
const cloudWatch = mockClient(CloudWatchClient);
const route53 = mockClient(Route53Client);
const sns = mockClient(SNSClient);
const s3 = mockClient(S3Client);
const lambda = mockClient(LambdaClient);

/** Cross-region replica: primary in ap-southeast-2, replica and the DR functions in ap-southeast-1. */
const settings: FailoverAdapterSettings = {
  primaryInstanceId: "rds-primary-dev",
  replicaInstanceId: "rds-replica-dev",
  primaryRegion: "ap-southeast-2",
  replicaRegion: "ap-southeast-1",
  primarySecurityGroupId: "sg-0abc123",
  hostedZoneId: "Z0123456789ABC",
  writerRecordName: "writer.db-dev.internal",
  readerRecordName: "reader.db-dev.internal",
  dnsTtlSeconds: 30,
  alertTopicArn: "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev",
  reportBucket: "backups-dr-dev-1a2b3c",
  backupRetentionDays: 7,
  metricsNamespace: "TapStack/DR",
  environmentSuffix: "dev",
  monitorFunctionName: "lambda-health-monitor-dev",
};

beforeEach(() => {
  for (const mock of [rds, ec2, cloudWatch, route53, sns, s3, lambda]) mock.reset();
});

describe("awsFailoverAdapters", () => {
  it("puts every call on a client of the right region", async () => {
    const clients = new AwsClients();
    const adapters = awsFailoverAdapters(
      settings,
      "ap-southeast-1",
      clients,
      new FakeClock(Date.UTC(2026, 10, 25)),
    );
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Timestamps: [], Values: [] }] });
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: "C1", Status: "INSYNC", SubmittedAt: new Date() } });
    sns.on(PublishCommand).resolves({});
    s3.on(ListObjectsV2Command).resolves({ KeyCount: 0 });

    await adapters.control.describe("primary");
    await adapters.control.describe("replica");
    await adapters.control.fencePrimary();
    await adapters.lagHistory.lagEvidence(Date.UTC(2026, 10, 25, 10), 600);
    await adapters.dns.setWriter("rds-replica-dev.abc.ap-southeast-1.rds.amazonaws.com", 60_000);
    await adapters.notifier.notify({ subject: "s", severity: "info", event: "e", message: "m" });
    await adapters.reports.exists("failover", "r-1");

    const [primaryCall, replicaCall] = rds.commandCalls(DescribeDBInstancesCommand);
    expect(primaryCall.thisValue).toBe(clients.rds("ap-southeast-2"));
    expect(replicaCall.thisValue).toBe(clients.rds("ap-southeast-1"));
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand)[0].thisValue).toBe(
      clients.ec2("ap-southeast-2"),
    );
    expect(cloudWatch.commandCalls(GetMetricDataCommand)[0].thisValue).toBe(
      clients.cloudWatch("ap-southeast-1"),
    );
    expect(route53.commandCalls(ChangeResourceRecordSetsCommand)[0].thisValue).toBe(
      clients.route53("ap-southeast-1"),
    );
    expect(sns.commandCalls(PublishCommand)[0].thisValue).toBe(clients.sns("ap-southeast-1"));
    expect(s3.commandCalls(ListObjectsV2Command)[0].thisValue).toBe(clients.s3("ap-southeast-1"));
    expect(
      route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch?.Changes?.[0],
    ).toMatchObject({
      ResourceRecordSet: { Name: "writer.db-dev.internal.", TTL: 30 },
    });
  });

  it("reads WAL positions from the health-monitor in the DR region", async () => {
    const clients = new AwsClients();
    const adapters = awsFailoverAdapters(settings, "ap-southeast-1", clients, new FakeClock(0));
    const positions = {
      atMs: 1,
      primaryLsn: "0/3000060",
      primaryStartedAtMs: 0,
      replicaReplayLsn: "0/3000060",
    };
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(positions)) as never });
    await adapters.control.waitUntilCaughtUp(60_000, { fenced: true, detail: "fenced" });
    const [call] = lambda.commandCalls(InvokeCommand);
    expect(call.thisValue).toBe(clients.lambda("ap-southeast-1"));
    expect(call.args[0].input.FunctionName).toBe("lambda-health-monitor-dev");
  });

  it("calls the topic in the topic's own region", async () => {
    const clients = new AwsClients();
    const adapters = awsFailoverAdapters(
      { ...settings, alertTopicArn: "arn:aws:sns:ap-southeast-2:123456789012:db-alarms-dev" },
      "ap-southeast-1",
      clients,
      new FakeClock(0),
    );
    sns.on(PublishCommand).resolves({});
    await adapters.notifier.notify({ subject: "s", severity: "info", event: "e", message: "m" });
    expect(sns.commandCalls(PublishCommand)[0].thisValue).toBe(clients.sns("ap-southeast-2"));
  });

  it("rejects bad settings with the adapter's error", () => {
    expect(() =>
      awsFailoverAdapters(
        { ...settings, hostedZoneId: "db-dev.internal" },
        "ap-southeast-1",
        new AwsClients(),
        new FakeClock(0),
      ),
    ).toThrow(ConfigurationError);
  });
});
