import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  formatIpv4,
  isCrossRegionReplica,
  parseIpv4Cidr,
  privateSubnetCidrs,
  type TapConfig,
} from "../config";
import type { BuildContext } from "./context";
import type { Place, Slot, TopologyPlan } from "./topology";

/** PostgreSQL's port; RDS instances here listen on the default. */
export const POSTGRES_PORT = 5432;
/** Private subnets per VPC, one per availability zone. */
export const SUBNETS_PER_VPC = 2;

/** Prefix length of a monitor subnet: /28 is the smallest subnet AWS allows. */
export const MONITOR_SUBNET_PREFIX_LENGTH = 28;
/** Tag that marks a monitor subnet; the policy pack refuses anything but the monitor in one. */
export const SUBNET_PURPOSE_TAG = "Subnet-Purpose";
export const MONITOR_SUBNET_PURPOSE = "health-monitor";

/**
 * The DR VPC's monitor subnets: two /28 (one per AZ) at the start of the VPC's third quarter.
 * The private subnets take the first two quarters (`privateSubnetCidrs`), so these never overlap
 * them, and config validation keeps every VPC between /16 and /26, so the third quarter always
 * holds two /28. The databases' access groups admit 5432 from exactly these CIDRs: security
 * groups cannot be referenced across an inter-Region peering (aws-behaviour.md §7), so the
 * narrowest source is a subnet in which nothing but the health monitor runs.
 */
export function monitorSubnetCidrs(drVpcCidr: string): string[] {
  const parsed = parseIpv4Cidr(drVpcCidr);
  if (typeof parsed === "string") throw new Error(`VPC CIDR ${drVpcCidr} ${parsed}`);
  if (parsed.prefixLength > 26) {
    throw new Error(
      `VPC CIDR ${drVpcCidr} is smaller than /26: no room for the monitor subnets; use /16../26`,
    );
  }
  const quarter = 2 ** (32 - (parsed.prefixLength + 2));
  const size = 2 ** (32 - MONITOR_SUBNET_PREFIX_LENGTH);
  return Array.from(
    { length: SUBNETS_PER_VPC },
    (_, i) => `${formatIpv4(parsed.network + 2 * quarter + i * size)}/${MONITOR_SUBNET_PREFIX_LENGTH}`,
  );
}

/** One VPC with its private subnets. */
export interface VpcResult {
  readonly vpc: aws.ec2.Vpc;
  readonly subnets: readonly aws.ec2.Subnet[];
  /** CIDRs of `subnets`, in the same order (known before deployment). */
  readonly subnetCidrs: readonly string[];
  readonly routeTable: aws.ec2.RouteTable;
  /** DR VPC only: the monitor subnets (`monitorSubnetCidrs`); empty in the primary VPC. */
  readonly monitorSubnets: readonly aws.ec2.Subnet[];
  readonly monitorSubnetCidrs: readonly string[];
}

/** Where one ingress rule of a database security group lets PostgreSQL traffic in from. */
export interface DbIngressSource {
  readonly cidr: string;
  /**
   * `monitor`: a DR-VPC subnet the health monitor runs in (kept when fencing, so the monitor
   * still sees the old primary). `client`: an application network (revoked when fencing).
   */
  readonly kind: "monitor" | "client";
  readonly description: string;
}

/**
 * The only sources a database security group admits on 5432: the DR VPC's monitor subnets
 * and the configured client CIDRs, deduplicated, monitor first. Nothing else, never 0.0.0.0/0
 * (config validation refuses anything wider than /8).
 */
export function dbIngressSources(
  config: Pick<TapConfig, "drVpcCidr" | "allowedClientCidrs">,
): DbIngressSource[] {
  const sources: DbIngressSource[] = monitorSubnetCidrs(config.drVpcCidr).map((cidr, i) => ({
    cidr,
    kind: "monitor",
    description: `health monitor, DR monitor subnet ${i + 1}`,
  }));
  for (const cidr of config.allowedClientCidrs) {
    if (!sources.some((s) => s.cidr === cidr)) {
      sources.push({ cidr, kind: "client", description: `database clients ${cidr}` });
    }
  }
  return sources;
}

/** One security group of a database instance, with its CIDR ingress rules. */
export interface DbSecurityGroup {
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** Rules by source, declared as separate resources. */
  readonly ingressRules: readonly {
    readonly source: DbIngressSource;
    readonly rule: aws.vpc.SecurityGroupIngressRule;
  }[];
}

/**
 * The two security groups of one instance slot. Fencing revokes every ingress rule of `clients`
 * and touches nothing else, so the monitor (admitted by `access`) keeps observing an old writer,
 * and a fence never needs to tell rule kinds apart.
 */
export interface SlotSecurityGroups {
  /** `sg-db-clients-<slot>`: 5432 from the configured client CIDRs; none while the slot is a fenced old writer. */
  readonly clients: DbSecurityGroup;
  /** `sg-db-access-<slot>`: 5432 from the monitor subnets (and, in the same VPC, the monitor and bootstrap groups). */
  readonly access: DbSecurityGroup;
  /** The VPC the slot's instance lives in. */
  readonly vpc: VpcResult;
  readonly provider: aws.Provider;
}

/**
 * The two security groups of the instance a regional restore creates (`rds-restored-<suffix>`),
 * in the DR VPC, built like a slot's: `sg-db-clients-restored-<suffix>` admits the configured
 * client CIDRs (the restored instance becomes the writer), `sg-db-access-restored-<suffix>` the
 * monitor subnets. Declared for every placement and every `tap:activeWriter`, because the restore
 * runs when the primary region is lost and no `pulumi up` can add them first.
 */
export interface RestoredSecurityGroups {
  readonly clients: DbSecurityGroup;
  readonly access: DbSecurityGroup;
  /** Always the DR VPC. */
  readonly vpc: VpcResult;
  readonly provider: aws.Provider;
}

/** Whether a slot's client group gets its client ingress rules. */
export function admitsClients(slot: Slot, topology: TopologyPlan): boolean {
  // A fenced old writer must stay fenced: if `pulumi up` declared its client rules, it would re-open
  // the instance the failover function closed, and clients could write to two databases. A slot
  // that is not declared (the lost writer after a regional restore) admits nobody either.
  const role = topology.roles[slot];
  return role === "writer" || role === "replica";
}

/** The security groups of the instance at `place`: a slot's, or the restored instance's. */
export function placeSecurityGroups(network: NetworkResult, place: Place): SlotSecurityGroups {
  return place === "restored" ? network.restoredSecurityGroups : network.dbSecurityGroups[place];
}

/** Everything the network builder creates. */
export interface NetworkResult {
  readonly primaryVpc: VpcResult;
  readonly drVpc: VpcResult;
  readonly peering: aws.ec2.VpcPeeringConnection;
  readonly peeringAccepter: aws.ec2.VpcPeeringConnectionAccepter;
  /** The security groups of each instance slot, in the slot's VPC. */
  readonly dbSecurityGroups: Readonly<Record<Slot, SlotSecurityGroups>>;
  /** The security groups of the instance a regional restore creates in the DR VPC. */
  readonly restoredSecurityGroups: RestoredSecurityGroups;
  /** Security group of the health-monitor function in the DR VPC (egress 5432 to the databases). */
  readonly monitorSecurityGroup: aws.ec2.SecurityGroup;
  /** The VPC the replica slot lives in: `primaryVpc` (same-region) or `drVpc` (cross-region). */
  readonly replicaVpc: VpcResult;
}

function buildVpc(
  ctx: BuildContext,
  role: "primary" | "dr",
  cidr: string,
  provider: aws.Provider,
): VpcResult {
  const opts = { parent: ctx.parent, provider };
  const vpcName = ctx.name(`vpc-${role}`);
  // Private hosted zones need DNS support and hostnames on
  // (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html).
  const vpc = new aws.ec2.Vpc(
    vpcName,
    { cidrBlock: cidr, enableDnsSupport: true, enableDnsHostnames: true, tags: ctx.tags("network", vpcName) },
    opts,
  );
  // The default security group allows all traffic between its members; strip its rules so
  // nothing can rely on it by accident.
  const defaultSgName = ctx.name(`sg-default-${role}`);
  new aws.ec2.DefaultSecurityGroup(
    defaultSgName,
    { vpcId: vpc.id, tags: ctx.tags("network", defaultSgName) },
    opts,
  );
  const zones = aws.getAvailabilityZonesOutput({ state: "available" }, opts);
  const subnetCidrs = privateSubnetCidrs(cidr, SUBNETS_PER_VPC);
  const routeTableName = ctx.name(`rtb-private-${role}`);
  // No internet or NAT gateway anywhere: the only routes are local and the peering.
  const routeTable = new aws.ec2.RouteTable(
    routeTableName,
    { vpcId: vpc.id, tags: ctx.tags("network", routeTableName) },
    opts,
  );
  /** A private subnet in zone `i` on the private route table (no public IPs, routes local + peering). */
  const privateSubnet = (
    subnetName: string,
    associationName: string,
    subnetCidr: string,
    i: number,
    tags: Record<string, string>,
  ): aws.ec2.Subnet => {
    const subnet = new aws.ec2.Subnet(
      subnetName,
      {
        vpcId: vpc.id,
        cidrBlock: subnetCidr,
        availabilityZone: zones.names[i],
        mapPublicIpOnLaunch: false,
        tags,
      },
      opts,
    );
    new aws.ec2.RouteTableAssociation(
      associationName,
      { subnetId: subnet.id, routeTableId: routeTable.id },
      opts,
    );
    return subnet;
  };
  const subnets = subnetCidrs.map((subnetCidr, i) => {
    const subnetName = ctx.name(`subnet-private-${role}-${i + 1}`);
    return privateSubnet(
      subnetName,
      ctx.name(`rtb-assoc-${role}-${i + 1}`),
      subnetCidr,
      i,
      ctx.tags("network", subnetName),
    );
  });
  // Only the DR VPC hosts the monitor. Same route table as the private subnets: it carries the
  // route into the peering.
  const monitorCidrs = role === "dr" ? monitorSubnetCidrs(cidr) : [];
  const monitorSubnets = monitorCidrs.map((subnetCidr, i) => {
    const subnetName = ctx.name(`subnet-monitor-${role}-${i + 1}`);
    return privateSubnet(subnetName, ctx.name(`rtb-assoc-monitor-${role}-${i + 1}`), subnetCidr, i, {
      ...ctx.tags("monitoring", subnetName),
      [SUBNET_PURPOSE_TAG]: MONITOR_SUBNET_PURPOSE,
    });
  });
  return { vpc, subnets, subnetCidrs, routeTable, monitorSubnets, monitorSubnetCidrs: monitorCidrs };
}

/** Whose database security groups: an instance slot, or the instance a regional restore creates. */
type DbGroupOwner = Slot | "restored";

function buildDbSecurityGroup(
  ctx: BuildContext,
  slot: DbGroupOwner,
  kind: "clients" | "access",
  sources: readonly DbIngressSource[],
  vpc: VpcResult,
  provider: aws.Provider,
): DbSecurityGroup {
  const opts = { parent: ctx.parent, provider };
  // The restored instance's groups serve the failover workflow's regional restore.
  const drRole = slot === "restored" ? "failover" : slot;
  const sgName = ctx.name(`sg-db-${kind}-${slot}`);
  const what =
    kind === "clients"
      ? "5432 from the configured client CIDRs only (revoked to fence this instance)"
      : "5432 from the health monitor's subnets and the bootstrap function only (kept when fencing)";
  // No egress rules: RDS carries replication on its own network, so the instance needs none.
  // Rules are separate resources, never inline: the two styles overwrite each other.
  const securityGroup = new aws.ec2.SecurityGroup(
    sgName,
    {
      vpcId: vpc.vpc.id,
      description: `PostgreSQL ${slot} ${ctx.config.environmentSuffix}: ${what}`,
      revokeRulesOnDelete: true,
      tags: ctx.tags(drRole, sgName),
    },
    opts,
  );
  const ingressRules = sources.map((source, i) => {
    const ruleName = ctx.name(`sgr-db-${kind}-${slot}-${i + 1}`);
    const rule = new aws.vpc.SecurityGroupIngressRule(
      ruleName,
      {
        securityGroupId: securityGroup.id,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        cidrIpv4: source.cidr,
        description: source.description,
        tags: { ...ctx.tags(drRole, ruleName), "Ingress-Kind": source.kind },
      },
      opts,
    );
    return { source, rule };
  });
  return { securityGroup, ingressRules };
}

function buildSlotSecurityGroups(
  ctx: BuildContext,
  slot: Slot,
  vpc: VpcResult,
  provider: aws.Provider,
): SlotSecurityGroups {
  const sources = dbIngressSources(ctx.config);
  const clientSources = admitsClients(slot, ctx.topology) ? sources.filter((s) => s.kind === "client") : [];
  return {
    clients: buildDbSecurityGroup(ctx, slot, "clients", clientSources, vpc, provider),
    access: buildDbSecurityGroup(
      ctx,
      slot,
      "access",
      sources.filter((s) => s.kind === "monitor"),
      vpc,
      provider,
    ),
    vpc,
    provider,
  };
}

/** The restored instance's groups in the DR VPC: every client CIDR, and the monitor subnets. */
function buildRestoredSecurityGroups(
  ctx: BuildContext,
  drVpc: VpcResult,
  provider: aws.Provider,
): RestoredSecurityGroups {
  const sources = dbIngressSources(ctx.config);
  const of = (kind: DbIngressSource["kind"]) => sources.filter((s) => s.kind === kind);
  return {
    clients: buildDbSecurityGroup(ctx, "restored", "clients", of("client"), drVpc, provider),
    access: buildDbSecurityGroup(ctx, "restored", "access", of("monitor"), drVpc, provider),
    vpc: drVpc,
    provider,
  };
}

/**
 * Both VPCs (private subnets in two AZs, no internet path), inter-region peering with routes
 * both ways, two database security groups per instance slot (clients, access) and for the
 * instance a regional restore creates, and the monitor's security group.
 */
export function buildNetwork(ctx: BuildContext): NetworkResult {
  const { config, providers } = ctx;
  const primaryVpc = buildVpc(ctx, "primary", config.primaryVpcCidr, providers.primary);
  const drVpc = buildVpc(ctx, "dr", config.drVpcCidr, providers.dr);

  // Inter-region peering cannot be auto-accepted by the requester: the accepter side is a
  // separate resource in the peer region
  // (https://docs.aws.amazon.com/vpc/latest/peering/create-vpc-peering-connection.html).
  const peeringName = ctx.name("pcx-dr-primary");
  const peering = new aws.ec2.VpcPeeringConnection(
    peeringName,
    {
      vpcId: drVpc.vpc.id,
      peerVpcId: primaryVpc.vpc.id,
      peerRegion: config.primaryRegion,
      autoAccept: false,
      tags: ctx.tags("network", peeringName),
    },
    { parent: ctx.parent, provider: providers.dr },
  );
  const accepterName = ctx.name("pcx-accepter-primary");
  const peeringAccepter = new aws.ec2.VpcPeeringConnectionAccepter(
    accepterName,
    { vpcPeeringConnectionId: peering.id, autoAccept: true, tags: ctx.tags("network", accepterName) },
    { parent: ctx.parent, provider: providers.primary },
  );
  // Routes into a peering that is still pending-acceptance fail, hence dependsOn the accepter.
  new aws.ec2.Route(
    ctx.name("route-dr-to-primary"),
    {
      routeTableId: drVpc.routeTable.id,
      destinationCidrBlock: config.primaryVpcCidr,
      vpcPeeringConnectionId: peering.id,
    },
    { parent: ctx.parent, provider: providers.dr, dependsOn: [peeringAccepter] },
  );
  new aws.ec2.Route(
    ctx.name("route-primary-to-dr"),
    {
      routeTableId: primaryVpc.routeTable.id,
      destinationCidrBlock: config.drVpcCidr,
      vpcPeeringConnectionId: peering.id,
    },
    { parent: ctx.parent, provider: providers.primary, dependsOn: [peeringAccepter] },
  );

  const replicaVpc = isCrossRegionReplica(config) ? drVpc : primaryVpc;
  const dbSecurityGroups = {
    primary: buildSlotSecurityGroups(ctx, "primary", primaryVpc, providers.primary),
    replica: buildSlotSecurityGroups(ctx, "replica", replicaVpc, providers.replica),
  };
  const restoredSecurityGroups = buildRestoredSecurityGroups(ctx, drVpc, providers.dr);

  const monitorSgName = ctx.name("sg-health-monitor");
  const monitorSecurityGroup = new aws.ec2.SecurityGroup(
    monitorSgName,
    {
      vpcId: drVpc.vpc.id,
      description: `Health monitor ${config.environmentSuffix}: egress 5432 to the database subnets only`,
      revokeRulesOnDelete: true,
      tags: ctx.tags("monitoring", monitorSgName),
    },
    { parent: ctx.parent, provider: providers.dr },
  );
  // Every subnet a database can be in: the primary's, the replica's, and the DR VPC's private
  // subnets, where a regional restore places the restored instance (`dbsubnets-dr`).
  const dbSubnetCidrs = [
    ...new Set([...primaryVpc.subnetCidrs, ...replicaVpc.subnetCidrs, ...drVpc.subnetCidrs]),
  ];
  dbSubnetCidrs.forEach((cidr, i) => {
    const ruleName = ctx.name(`sgr-monitor-egress-${i + 1}`);
    new aws.vpc.SecurityGroupEgressRule(
      ruleName,
      {
        securityGroupId: monitorSecurityGroup.id,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        cidrIpv4: cidr,
        description: `PostgreSQL in ${cidr}`,
        tags: ctx.tags("monitoring", ruleName),
      },
      { parent: ctx.parent, provider: providers.dr },
    );
  });

  return {
    primaryVpc,
    drVpc,
    peering,
    peeringAccepter,
    dbSecurityGroups,
    restoredSecurityGroups,
    monitorSecurityGroup,
    replicaVpc,
  };
}

/** Ids of the DR VPC's monitor subnets, the only subnets the health-monitor function runs in. */
export function monitorSubnetIds(network: Pick<NetworkResult, "drVpc">): pulumi.Output<string[]> {
  return pulumi.all(network.drVpc.monitorSubnets.map((s) => s.id));
}

/** Subnet ids of a VPC as one output (for Lambda `vpcConfig` and RDS subnet groups). */
export function subnetIds(vpc: VpcResult): pulumi.Output<string[]> {
  return pulumi.all(vpc.subnets.map((s) => s.id));
}
