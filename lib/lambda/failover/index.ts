/**
 * Lambda entry point of the failover function (`index.handler`). Everything slow or shared is
 * built once per execution environment, at module scope: configuration, logger, metrics, AWS
 * clients and the ports. A bad environment fails the cold start with a `ConfigurationError`
 * that names every bad variable.
 *
 * The function has no VPC: it reaches the RDS, EC2, Route 53, SNS, S3 and CloudWatch APIs, and
 * never the database itself.
 */
import { AwsClients } from "../adapters/aws/clients";
import { CloudWatchLagHistory } from "../adapters/aws/cloudwatch-lag-history";
import { RdsDatabaseControl } from "../adapters/aws/rds-database-control";
import { Route53Dns } from "../adapters/aws/route53-dns";
import { S3ReportStore } from "../adapters/aws/s3-report-store";
import { SnsNotifier } from "../adapters/aws/sns-notifier";
import { systemClock } from "../adapters/aws/system-clock";
import type { Ports } from "../core/ports";
import { createLogger, createMetrics } from "../telemetry";
import { readFailoverConfig, type FailoverConfig } from "./env";
import { createFailoverHandler, NO_DATABASE_PROBE } from "./handler";

/** The real ports of the failover function, each client in the region of what it serves. */
export function buildFailoverPorts(config: FailoverConfig, clients: AwsClients): Ports {
  return {
    probe: NO_DATABASE_PROBE,
    control: new RdsDatabaseControl(
      {
        primaryInstanceId: config.primaryInstanceId,
        replicaInstanceId: config.replicaInstanceId,
        primarySecurityGroupId: config.primarySecurityGroupId,
        backupRetentionDays: config.backupRetentionDays,
      },
      {
        primaryRds: clients.rds(config.primaryRegion),
        replicaRds: clients.rds(config.replicaRegion),
        primaryEc2: clients.ec2(config.primaryRegion),
        replicaCloudWatch: clients.cloudWatch(config.replicaRegion),
      },
      systemClock,
    ),
    dns: new Route53Dns(
      {
        hostedZoneId: config.hostedZoneId,
        writerRecordName: config.writerRecordName,
        readerRecordName: config.readerRecordName,
        ttlSeconds: config.dnsTtlSeconds,
      },
      clients.route53(config.controlRegion),
      systemClock,
    ),
    notifier: new SnsNotifier(config.alertTopicArn, clients.sns(config.controlRegion)),
    reports: new S3ReportStore(config.reportBucket, clients.s3(config.controlRegion)),
    lagHistory: new CloudWatchLagHistory(
      { metricsNamespace: config.metricsNamespace, environmentSuffix: config.environmentSuffix },
      clients.cloudWatch(config.controlRegion),
    ),
    clock: systemClock,
  };
}

const config = readFailoverConfig(process.env);
const logger = createLogger("failover", config.environmentSuffix);
const metrics = createMetrics(config.metricsNamespace, "failover", config.environmentSuffix);

/** The function's handler. */
export const handler = createFailoverHandler({
  config,
  ports: buildFailoverPorts(config, new AwsClients()),
  logger,
  metrics,
});
