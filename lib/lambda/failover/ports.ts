/**
 * The failover function's ports, wired to the AWS adapters, each client in the region of what it
 * serves. The entry module (`index.ts`) builds them once at module scope; the simulator builds them
 * with its virtual clock and simulated SDK clients, so both run the same wiring.
 */
import type { AwsClients } from "../adapters/aws/clients";
import { CloudWatchLagHistory } from "../adapters/aws/cloudwatch-lag-history";
import { CloudWatchPrimaryHealth } from "../adapters/aws/cloudwatch-primary-health";
import { LambdaReplicationPositions } from "../adapters/aws/lambda-replication-positions";
import { S3AlertLedger } from "../adapters/aws/s3-alert-ledger";
import { RdsDatabaseControl } from "../adapters/aws/rds-database-control";
import { RdsRegionalRecovery } from "../adapters/aws/rds-regional-recovery";
import { Route53Dns } from "../adapters/aws/route53-dns";
import { S3ReportStore } from "../adapters/aws/s3-report-store";
import { SnsNotifier } from "../adapters/aws/sns-notifier";
import { systemClock } from "../adapters/aws/system-clock";
import type { Clock, Ports } from "../core/ports";
import type { StepRunnerConfig } from "./env";
import { NO_DATABASE_PROBE } from "./handler";

/** The real ports of the failover function, each client in the region of what it serves. */
export function buildFailoverPorts(
  config: StepRunnerConfig,
  clients: AwsClients,
  clock: Clock = systemClock,
): Ports {
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
        // No network path to the databases from here: the health-monitor (DR VPC, same region as
        // this function) reads both WAL positions when invoked synchronously.
        positions: new LambdaReplicationPositions(
          config.monitorFunctionName,
          clients.lambda(config.controlRegion),
          clock,
        ),
      },
      clock,
    ),
    // The replicated backups and the restored instance live in the DR region, beside this function.
    recovery: new RdsRegionalRecovery(
      {
        primaryInstanceId: config.primaryInstanceId,
        primaryRegion: config.primaryRegion,
        replicaRegion: config.replicaRegion,
        target: config.restore,
        backupRetentionDays: config.backupRetentionDays,
        environmentSuffix: config.environmentSuffix,
      },
      clients.rds(config.controlRegion),
    ),
    dns: new Route53Dns(
      {
        hostedZoneId: config.hostedZoneId,
        writerRecordName: config.writerRecordName,
        readerRecordName: config.readerRecordName,
        ttlSeconds: config.dnsTtlSeconds,
      },
      clients.route53(config.controlRegion),
      clock,
    ),
    notifier: new SnsNotifier(config.alertTopicArn, clients.sns(config.controlRegion)),
    reports: new S3ReportStore(config.reportBucket, clients.s3(config.controlRegion)),
    lagHistory: new CloudWatchLagHistory(
      { metricsNamespace: config.metricsNamespace, environmentSuffix: config.environmentSuffix },
      clients.cloudWatch(config.controlRegion),
    ),
    primaryHealth: new CloudWatchPrimaryHealth(
      {
        primaryInstanceId: config.primaryInstanceId,
        metricsNamespace: config.metricsNamespace,
        environmentSuffix: config.environmentSuffix,
      },
      {
        primaryCloudWatch: clients.cloudWatch(config.primaryRegion),
        controlCloudWatch: clients.cloudWatch(config.controlRegion),
      },
    ),
    // Beside the reports, under alerts/: the role may read and write only that prefix there.
    alerts: new S3AlertLedger(config.reportBucket, clients.s3(config.controlRegion)),
    clock,
  };
}
