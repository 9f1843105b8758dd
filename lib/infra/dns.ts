import * as aws from "@pulumi/aws";
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
}

/**
 * The private hosted zone (associated with both VPCs) and the `writer` and `reader` CNAMEs. Route 53
 * is global; the DR provider makes the calls.
 *
 * No Route 53 health check: one bound to a failover routing policy would move `writer` on its own,
 * before the old writer is fenced, and the step runner is the only thing that may move it (fence,
 * promote, then switch). A check bound to no record does nothing the primary-unreachable alarm does
 * not already do.
 */
export function buildDns(ctx: BuildContext, network: NetworkResult, database: DatabaseResult): DnsResult {
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
    // The step runner is the one that moves `writer` (and confirms the change is INSYNC); the
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
  return { zone, writerRecord, readerRecord, writerRecordName, readerRecordName };
}
