/**
 * AWS adapters of the failover engine's ports, and their wiring for the failover function.
 */
import type { Clock, Dns, LagHistory, Notifier, ReportStore } from "../../core/ports";
import { AwsClients } from "./clients";
import { CloudWatchLagHistory } from "./cloudwatch-lag-history";
import { LambdaReplicationPositions } from "./lambda-replication-positions";
import { RdsDatabaseControl } from "./rds-database-control";
import { Route53Dns } from "./route53-dns";
import { S3ReportStore } from "./s3-report-store";
import { SnsNotifier } from "./sns-notifier";
import { ConfigurationError } from "../../core/errors";

export * from "./aws-errors";
export * from "./clients";
export * from "./cloudwatch-lag-history";
export * from "./cloudwatch-primary-health";
export * from "./iam-token";
export * from "./lambda-replication-positions";
export * from "./rds-database-control";
export * from "./route53-dns";
export * from "./s3-alert-ledger";
export * from "./s3-report-store";
export * from "./sns-notifier";
export * from "./system-clock";

/** What the failover function's adapters need; the field names match its validated configuration. */
export interface FailoverAdapterSettings {
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly primarySecurityGroupId: string;
  readonly hostedZoneId: string;
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  readonly dnsTtlSeconds: number;
  readonly alertTopicArn: string;
  readonly reportBucket: string;
  readonly backupRetentionDays: number;
  readonly metricsNamespace: string;
  readonly environmentSuffix: string;
  /** The health-monitor, which answers the switchover's WAL-position reads (it runs in `drRegion`). */
  readonly monitorFunctionName: string;
}

/** The AWS side of the failover engine's ports (the probe belongs to the monitor, not here). */
export interface FailoverAdapters {
  readonly control: RdsDatabaseControl;
  readonly dns: Dns;
  readonly notifier: Notifier;
  readonly reports: ReportStore;
  readonly lagHistory: LagHistory;
}

/** The region of an ARN (`arn:partition:service:region:account:resource`). */
function arnRegion(arn: string, key: string): string {
  const region = arn.split(":")[3];
  if (region === undefined || region === "") {
    throw new ConfigurationError(
      `${key} ${JSON.stringify(arn)} has no region; expected an ARN like arn:aws:sns:ap-southeast-1:123456789012:name`,
    );
  }
  return region;
}

/**
 * Build the failover function's adapters, each on a client of the right region: RDS and EC2 calls
 * go to the region of the instance concerned, `ReplicaLag` is read where the replica lives, the
 * topic is called in its own region, and the report bucket, the monitor's metrics and the monitor
 * itself (WAL positions) live in the DR region the function runs in (`drRegion`, normally `AWS_REGION`).
 */
export function awsFailoverAdapters(
  settings: FailoverAdapterSettings,
  drRegion: string,
  clients: AwsClients,
  clock: Clock,
): FailoverAdapters {
  return {
    control: new RdsDatabaseControl(
      {
        primaryInstanceId: settings.primaryInstanceId,
        replicaInstanceId: settings.replicaInstanceId,
        primarySecurityGroupId: settings.primarySecurityGroupId,
        backupRetentionDays: settings.backupRetentionDays,
      },
      {
        primaryRds: clients.rds(settings.primaryRegion),
        replicaRds: clients.rds(settings.replicaRegion),
        primaryEc2: clients.ec2(settings.primaryRegion),
        // The failover function has no network path to the databases: the monitor reads them.
        positions: new LambdaReplicationPositions(
          settings.monitorFunctionName,
          clients.lambda(drRegion),
          clock,
        ),
      },
      clock,
    ),
    dns: new Route53Dns(
      {
        hostedZoneId: settings.hostedZoneId,
        writerRecordName: settings.writerRecordName,
        readerRecordName: settings.readerRecordName,
        ttlSeconds: settings.dnsTtlSeconds,
      },
      clients.route53(drRegion),
      clock,
    ),
    notifier: new SnsNotifier(
      settings.alertTopicArn,
      clients.sns(arnRegion(settings.alertTopicArn, "alertTopicArn")),
    ),
    reports: new S3ReportStore(settings.reportBucket, clients.s3(drRegion)),
    lagHistory: new CloudWatchLagHistory(
      { metricsNamespace: settings.metricsNamespace, environmentSuffix: settings.environmentSuffix },
      clients.cloudWatch(drRegion),
    ),
  };
}
