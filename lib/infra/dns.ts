import * as aws from "@pulumi/aws";
import type { AlertingResult } from "./alerting";
import type { BuildContext } from "./context";
import type { DatabaseResult } from "./database";
import type { NetworkResult } from "./network";

/** What the DNS builder creates. */
export interface DnsResult {
  readonly zone: aws.route53.Zone;
  /** `writer.<zone>`: the name applications use for writes; the failover engine repoints it. */
  readonly writerRecord: aws.route53.Record;
  /** `reader.<zone>`: the standby slot (the replica of the writer). */
  readonly readerRecord: aws.route53.Record;
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  /** Health of the primary as the DR-region monitor sees it. */
  readonly primaryHealthCheck: aws.route53.HealthCheck;
}

/**
 * The private hosted zone (associated with both VPCs), `writer` and `reader` CNAMEs, and a
 * metric health check of the primary. Route 53 is global; the DR provider makes the calls.
 */
export function buildDns(
  ctx: BuildContext,
  network: NetworkResult,
  database: DatabaseResult,
  alerting: AlertingResult,
): DnsResult {
  const { config, providers } = ctx;
  const opts = { parent: ctx.parent, provider: providers.dr };
  const zoneName = ctx.name("r53-zone");
  const zone = new aws.route53.Zone(
    zoneName,
    {
      name: config.hostedZoneName,
      comment: `TapStack ${config.environmentSuffix} database endpoints`,
      vpcs: [
        { vpcId: network.primaryVpc.vpc.id, vpcRegion: config.primaryRegion },
        { vpcId: network.drVpc.vpc.id, vpcRegion: config.drRegion },
      ],
      forceDestroy: true,
      tags: ctx.tags("dns", zoneName),
    },
    opts,
  );
  const writerRecordName = `writer.${config.hostedZoneName}`;
  const readerRecordName = `reader.${config.hostedZoneName}`;
  const writerRecord = new aws.route53.Record(
    ctx.name("r53-writer"),
    {
      zoneId: zone.zoneId,
      name: writerRecordName,
      type: "CNAME",
      ttl: config.dnsTtlSeconds,
      records: [database.writer.address],
    },
    // The failover function is the one that moves `writer` (and confirms the change is INSYNC); the
    // declared value is the writer slot's address, which is what the record says once
    // tap:activeWriter matches, but a `pulumi up` must never race the function or point the record
    // back at a fenced old writer.
    { ...opts, ignoreChanges: ["records"] },
  );
  const readerRecord = new aws.route53.Record(
    ctx.name("r53-reader"),
    {
      zoneId: zone.zoneId,
      name: readerRecordName,
      type: "CNAME",
      ttl: config.dnsTtlSeconds,
      records: [database.standby.address],
    },
    opts,
  );
  // Route 53's own checkers cannot reach a private endpoint; a CLOUDWATCH_METRIC check follows
  // the monitor's alarm instead
  // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover-private-hosted-zones.html).
  const healthCheckName = ctx.name("r53-health-primary");
  const primaryHealthCheck = new aws.route53.HealthCheck(
    healthCheckName,
    {
      type: "CLOUDWATCH_METRIC",
      cloudwatchAlarmName: alerting.primaryUnreachableAlarm.name,
      cloudwatchAlarmRegion: config.drRegion,
      insufficientDataHealthStatus: "LastKnownStatus",
      referenceName: ctx.name("primary").slice(0, 64),
      tags: ctx.tags("monitoring", healthCheckName),
    },
    opts,
  );
  return { zone, writerRecord, readerRecord, writerRecordName, readerRecordName, primaryHealthCheck };
}
