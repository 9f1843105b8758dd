import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { S3AlertLedger } from "../../../lib/lambda/adapters/aws/s3-alert-ledger";
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { DescribeSecurityGroupRulesCommand } from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand } from "@aws-sdk/client-rds";
import { ChangeResourceRecordSetsCommand } from "@aws-sdk/client-route-53";
import { PublishCommand } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { AwsClients } from "../../../lib/lambda/adapters/aws/clients";
import { CloudWatchPrimaryHealth } from "../../../lib/lambda/adapters/aws/cloudwatch-primary-health";
import { readFailoverConfig } from "../../../lib/lambda/failover/env";
import { buildFailoverPorts } from "../../../lib/lambda/failover/ports";
import { FakeClock } from "../adapters/aws/fake-clock";
import { FAILOVER_ENV_FIXTURE } from "./fixtures";

const NOW = Date.UTC(2026, 2, 1, 10, 0, 30);

describe("buildFailoverPorts: the primary's health signals", () => {
  const config = readFailoverConfig(FAILOVER_ENV_FIXTURE);
  const clients = new AwsClients();
  // AwsClients hands out one client per service and region, so these are the ones the ports use.
  const primaryRegion = mockClient(clients.cloudWatch(config.primaryRegion));
  const controlRegion = mockClient(clients.cloudWatch(config.controlRegion));
  const ports = buildFailoverPorts(config, clients, new FakeClock(NOW));

  beforeEach(() => {
    primaryRegion.reset();
    controlRegion.reset();
    primaryRegion.on(GetMetricDataCommand).resolves({});
    controlRegion.on(GetMetricDataCommand).resolves({});
  });

  it("are read through CloudWatch, one client per region", () => {
    expect(config.primaryRegion).toBe("ap-southeast-2");
    expect(config.controlRegion).toBe("ap-southeast-1");
    expect(ports.primaryHealth).toBeInstanceOf(CloudWatchPrimaryHealth);
    expect(clients.cloudWatch(config.primaryRegion)).toBeInstanceOf(CloudWatchClient);
  });

  it("RDS's metrics of the primary come from CloudWatch in the primary's region, for the configured instance", async () => {
    await ports.primaryHealth.rdsMetrics(NOW, 60);
    const calls = primaryRegion.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.MetricDataQueries?.[0].MetricStat?.Metric).toEqual({
      Namespace: "AWS/RDS",
      MetricName: "CPUUtilization",
      Dimensions: [{ Name: "DBInstanceIdentifier", Value: FAILOVER_ENV_FIXTURE.PRIMARY_INSTANCE_ID }],
    });
    expect(controlRegion.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it("the API history comes from CloudWatch in the DR region, in the monitor's namespace and environment", async () => {
    await ports.primaryHealth.apiReachabilityHistory(NOW, 13);
    const calls = controlRegion.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input.MetricDataQueries?.[0].MetricStat?.Metric).toEqual({
      Namespace: FAILOVER_ENV_FIXTURE.METRICS_NAMESPACE,
      MetricName: "PrimaryRegionApiReachable",
      Dimensions: [{ Name: "Environment", Value: FAILOVER_ENV_FIXTURE.ENVIRONMENT_SUFFIX }],
    });
    expect(primaryRegion.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });
});

const s3 = mockClient(S3Client);
afterEach(() => s3.reset());

describe("buildFailoverPorts: the alert ledger", () => {
  it("is the S3 ledger on the report bucket, called in the control region", async () => {
    const config = readFailoverConfig(FAILOVER_ENV_FIXTURE);
    const clients = new AwsClients();
    const ports = buildFailoverPorts(config, clients, new FakeClock(NOW));
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

describe("buildFailoverPorts: the switchover's WAL positions", () => {
  it("come from the health-monitor named by MONITOR_FUNCTION_NAME, invoked in the control region", async () => {
    const config = readFailoverConfig(FAILOVER_ENV_FIXTURE);
    const clients = new AwsClients();
    const lambda = mockClient(clients.lambda(config.controlRegion));
    const ports = buildFailoverPorts(config, clients, new FakeClock(NOW));
    const positions = {
      atMs: NOW,
      primaryLsn: "0/3000060",
      primaryStartedAtMs: NOW - 86_400_000,
      replicaReplayLsn: "0/3000060",
    };
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode(JSON.stringify(positions)) as never,
    });
    await ports.control.waitUntilCaughtUp(60_000, { fenced: true, detail: "fenced" });
    expect(lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input.FunctionName)).toEqual([
      FAILOVER_ENV_FIXTURE.MONITOR_FUNCTION_NAME,
    ]);
    expect(await clients.lambda(config.controlRegion).config.region()).toBe("ap-southeast-1");
  });
});

describe("buildFailoverPorts: every call on a client of the right region", () => {
  // A cross-region replica: the primary in ap-southeast-2, the replica beside the DR functions.
  const config = readFailoverConfig({ ...FAILOVER_ENV_FIXTURE, REPLICA_REGION: "ap-southeast-1" });
  const primary = config.primaryRegion;
  const control = config.controlRegion;

  it("RDS and EC2 go to the instance's region; DNS, SNS, reports and lag history to the control region", async () => {
    expect([primary, config.replicaRegion, control]).toEqual([
      "ap-southeast-2",
      "ap-southeast-1",
      "ap-southeast-1",
    ]);
    const clients = new AwsClients();
    const primaryRds = mockClient(clients.rds(primary));
    const replicaRds = mockClient(clients.rds(config.replicaRegion));
    const primaryEc2 = mockClient(clients.ec2(primary));
    const cloudWatch = mockClient(clients.cloudWatch(control));
    const route53 = mockClient(clients.route53(control));
    const sns = mockClient(clients.sns(control));
    const reports = mockClient(clients.s3(control));
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    replicaRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    primaryEc2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Timestamps: [], Values: [] }] });
    route53
      .on(ChangeResourceRecordSetsCommand)
      .resolves({ ChangeInfo: { Id: "C1", Status: "INSYNC", SubmittedAt: new Date(NOW) } });
    sns.on(PublishCommand).resolves({});
    reports.on(ListObjectsV2Command).resolves({ KeyCount: 0 });
    const ports = buildFailoverPorts(config, clients, new FakeClock(NOW));

    await ports.control.describe("primary");
    await ports.control.describe("replica");
    await ports.control.fencePrimary();
    await ports.lagHistory.lagEvidence(NOW, 600);
    await ports.dns.setWriter("rds-replica-dev.abc.ap-southeast-1.rds.amazonaws.com", 60_000);
    await ports.notifier.notify({ subject: "s", severity: "info", event: "e", message: "m" });
    await ports.reports.exists("failover", "r-1");

    expect(primaryRds.commandCalls(DescribeDBInstancesCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: config.primaryInstanceId,
    });
    expect(replicaRds.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: config.replicaInstanceId },
    ]);
    expect(primaryEc2.commandCalls(DescribeSecurityGroupRulesCommand)[0].args[0].input).toEqual({
      Filters: [{ Name: "group-id", Values: [config.primarySecurityGroupId] }],
    });
    expect(cloudWatch.commandCalls(GetMetricDataCommand)).toHaveLength(1);
    expect(
      route53.commandCalls(ChangeResourceRecordSetsCommand)[0].args[0].input.ChangeBatch?.Changes?.[0],
    ).toMatchObject({ ResourceRecordSet: { Name: "writer.db-dev.internal.", TTL: 30 } });
    // The control region is the topic's own region (read from ALERT_TOPIC_ARN).
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.TopicArn).toBe(config.alertTopicArn);
    expect(reports.commandCalls(ListObjectsV2Command)[0].args[0].input.Bucket).toBe(config.reportBucket);
  });
});
