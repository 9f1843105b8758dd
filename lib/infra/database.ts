import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isCrossRegionReplica, type TapConfig } from "../config";
import type { BuildContext } from "./context";
import type { EncryptionResult } from "./encryption";
import { placeSecurityGroups, POSTGRES_PORT, subnetIds, type NetworkResult } from "./network";
import {
  finalSnapshotIdentifier,
  placeIdentifier,
  placeRegion,
  SLOT_ROLE_TAG,
  SLOTS,
  type DeclaredRole,
  type Place,
  type TopologyPlan,
} from "./topology";

/** CloudWatch Logs exports of both instances (PostgreSQL 14 offers exactly these). */
export const LOG_EXPORTS = ["postgresql", "upgrade"] as const;

/**
 * How the replica refers to its source and which resources of which region it uses. RDS
 * rules (CreateDBInstanceReadReplica,
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstanceReadReplica.html):
 * - same region: the source by identifier; no `KmsKeyId` (the replica always uses the
 *   source's key, and passing one fails with InvalidParameterCombination); subnet group and
 *   parameter group default to the source's.
 * - cross region: the source by ARN; a `KmsKeyId` in the replica's region is required for an
 *   encrypted source; subnet and parameter groups must exist in the replica's region.
 */
export interface ReplicaPlacement {
  readonly crossRegion: boolean;
  /** The replica slot's region (`tap:replicaRegion`). */
  readonly region: string;
  /** Its source's region: the primary region, or the DR region after a regional restore. */
  readonly sourceRegion: string;
  readonly sourceReference: "identifier" | "arn";
  readonly kmsKey: "inherited-from-source" | "replica-region-key";
  /** The replica region's parameter group is always declared; the subnet group only across regions. */
  readonly subnetGroup: "source-default" | "replica-region-group";
}

/**
 * Decides {@link ReplicaPlacement} from config, for a replica of the instance in `sourceRegion`
 * (the primary slot's region, or the DR region when the replica slot replicates a restored writer).
 */
export function replicaPlacement(
  config: Pick<TapConfig, "primaryRegion" | "replicaRegion">,
  sourceRegion: string = config.primaryRegion,
): ReplicaPlacement {
  const crossRegion = isCrossRegionReplica({
    primaryRegion: sourceRegion,
    replicaRegion: config.replicaRegion,
  });
  return crossRegion
    ? {
        crossRegion,
        region: config.replicaRegion,
        sourceRegion,
        sourceReference: "arn",
        kmsKey: "replica-region-key",
        subnetGroup: "replica-region-group",
      }
    : {
        crossRegion,
        region: config.replicaRegion,
        sourceRegion,
        sourceReference: "identifier",
        kmsKey: "inherited-from-source",
        subnetGroup: "source-default",
      };
}

/** Parameters of the `postgres14` group. */
export const DB_PARAMETERS: readonly aws.types.input.rds.ParameterGroupParameter[] = [
  // Refuse unencrypted connections. `pending-reboot` works whether RDS treats the parameter as
  // static or dynamic; a new instance starts with the group's values anyway.
  { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
  // Log connection attempts: the failover report and audits need to see who connected when.
  { name: "log_connections", value: "1", applyMethod: "immediate" },
  { name: "log_disconnections", value: "1", applyMethod: "immediate" },
];

/** What the database builder creates. */
export interface DatabaseResult {
  readonly primaryParameterGroup: aws.rds.ParameterGroup;
  /**
   * `pg-postgres14-dr-<suffix>`, declared for every placement and every `tap:activeWriter`: a
   * cross-region replica slot uses it, and a regional restore puts the restored instance in it
   * (`RestoreDBInstanceToPointInTime` would otherwise use the engine's default group, without
   * `rds.force_ssl`; aws-behaviour.md §1.6).
   */
  readonly drParameterGroup: aws.rds.ParameterGroup;
  readonly primarySubnetGroup: aws.rds.SubnetGroup;
  /**
   * `dbsubnets-dr-<suffix>` (the DR VPC's private subnets), declared for every placement and every
   * `tap:activeWriter`: a cross-region replica slot uses it, and a regional restore places the
   * restored instance in it (otherwise RDS would use the region's default subnet group).
   */
  readonly drSubnetGroup: aws.rds.SubnetGroup;
  /**
   * Every declared instance by place: slot `primary` (`rds-primary-<suffix>`, primary region) and
   * slot `replica` (`rds-replica-<suffix>`, replica region) whatever their roles, and, after a
   * regional restore, `restored` (`rds-restored-<suffix>`, DR region). The lost writer is absent
   * once it is no longer kept.
   */
  readonly instances: Readonly<Partial<Record<Place, aws.rds.Instance>>>;
  /** The instance that takes writes (`tap:activeWriter`). */
  readonly writer: aws.rds.Instance;
  /** The standby slot's instance: a replica of the writer, or the kept old writer. */
  readonly standby: aws.rds.Instance;
  readonly topology: TopologyPlan;
  readonly writerRegion: string;
  readonly standbyRegion: string;
  readonly placement: ReplicaPlacement;
  /** ARN of the writer's RDS-managed master-user secret in Secrets Manager. */
  readonly masterSecretArn: pulumi.Output<string>;
}

/**
 * How an instance is declared: its fixed place, and the role the topology gives it. The restored
 * instance is only ever declared as the writer.
 */
export interface SlotSpec {
  readonly slot: Place;
  readonly role: DeclaredRole;
}

/**
 * Inputs that make RDS (through the provider) replace the instance when they change. A slot's
 * values depend only on how the instance was created (as the first writer, or as a replica), never
 * on its current role, so promoting a replica or keeping an old writer is always an in-place update.
 * https://www.pulumi.com/registry/packages/aws/api-docs/rds/instance/ (properties that force replacement)
 */
export const REPLACEMENT_INPUTS = [
  "identifier",
  "region",
  "engine",
  "kmsKeyId",
  "storageEncrypted",
  "dbSubnetGroupName",
  "availabilityZone",
  "username",
  "dbName",
  "characterSetName",
  "ncharCharacterSetName",
  "snapshotIdentifier",
  "restoreToPointInTime",
  "s3Import",
  "customIamInstanceProfile",
  "timezone",
  "performanceInsightsKmsKeyId",
] as const;

/**
 * Inputs of the restored writer that Pulumi takes from the live instance instead of the program:
 * every input that would replace it ({@link REPLACEMENT_INPUTS} but its identifier), what its
 * backups carried over (storage size, minor version) and what only a restore can set
 * (`engineLifecycleSupport`).
 */
export const RESTORED_IGNORED_INPUTS = [
  ...REPLACEMENT_INPUTS.filter((k) => k !== "identifier"),
  "allocatedStorage",
  "engineVersion",
  "engineLifecycleSupport",
] as const;

/** Resources one slot's arguments are built from. */
export interface SlotResources {
  readonly identifier: string;
  /** The slot's own region, key, parameter group and security groups. */
  readonly key: aws.kms.Key;
  readonly parameterGroup: aws.rds.ParameterGroup;
  /** Subnet group to declare; undefined where RDS takes the source's (a same-region replica slot). */
  readonly subnetGroup?: aws.rds.SubnetGroup;
  readonly securityGroupIds: pulumi.Input<string>[];
  /** The writer, for a slot declared as its replica. */
  readonly writer?: aws.rds.Instance;
}

/**
 * The arguments of one slot, for any role; the only function that builds instance arguments, so
 * the replacement-forcing inputs ({@link REPLACEMENT_INPUTS}) cannot drift between modes.
 *
 * - How the instance was created decides those inputs: the `primary` slot was created as the first
 *   writer (engine, username, database, key, subnet group), unless it is declared a replica (then it
 *   is rebuilt, which is a replacement by design); the `replica` slot was always created as a replica
 *   (RDS inherits all of that from the source, and a same-region replica must not name a key), and
 *   keeps exactly those inputs after its promotion.
 * - The role decides what RDS can change in place: `replicateSourceDb` (removing it is a promotion,
 *   which the failover function has already done), backups (a replica that backs up cannot be
 *   promoted), the managed master secret, and what happens on delete.
 * - An old writer is declared exactly as the writer it was, plus a final snapshot on delete: it may
 *   hold commits that never reached the new writer.
 */
/** Tag that marks an instance whose encryption key was inherited from its replication source. */
export const KEY_SOURCE_TAG = "DR-Key-Source";
export const INHERITED_KEY = "inherited-from-source";

export function slotArgs(
  ctx: Pick<BuildContext, "config" | "tags">,
  spec: SlotSpec,
  r: SlotResources,
  placement: ReplicaPlacement,
): aws.rds.InstanceArgs {
  const { config } = ctx;
  const { slot, role } = spec;
  // The restored instance was created standalone by the restore, from the primary's backups: its
  // engine, credentials, database and key are the primary's (the key is the DR key the backups were
  // replicated with).
  const createdAsWriter = (slot === "primary" && role !== "replica") || slot === "restored";
  const standalone = role !== "replica";
  if (role === "replica" && !r.writer) throw new Error(`slot ${slot} is declared a replica without a writer`);
  const sourceReference =
    role === "replica" && r.writer ? (placement.crossRegion ? r.writer.arn : r.writer.identifier) : undefined;
  // The restored writer always leaves a final snapshot: on the way back Pulumi deletes it once the
  // replica slot has taken over, and it is the only copy of what was written after the restore.
  const finalSnapshot =
    role === "old-writer" || (role === "writer" && (config.deletionProtection || slot === "restored"));
  return {
    // --- replacement-forcing: fixed per slot and creation ---------------------------------------
    identifier: r.identifier,
    ...(createdAsWriter
      ? {
          engine: "postgres",
          kmsKeyId: r.key.arn,
          dbSubnetGroupName: r.subnetGroup?.name,
          username: config.masterUsername,
          dbName: config.databaseName,
        }
      : {
          // A same-region replica is always encrypted with its source's key, and RDS refuses a
          // KmsKeyId for it; across regions a key of the replica's own region is required.
          kmsKeyId: placement.kmsKey === "replica-region-key" ? r.key.arn : undefined,
          dbSubnetGroupName:
            placement.subnetGroup === "replica-region-group" ? r.subnetGroup?.name : undefined,
        }),
    storageEncrypted: true,
    // The Performance Insights key can never be changed after creation.
    performanceInsightsKmsKeyId: r.key.arn,
    // --- modifiable in place ---------------------------------------------------------------------
    ...(createdAsWriter
      ? {
          engineVersion: config.engineVersion,
          allocatedStorage: config.allocatedStorageGb,
          port: POSTGRES_PORT,
        }
      : {}),
    replicateSourceDb: sourceReference,
    // Without this RDS silently enrols the instance in paid Extended Support after PG 14's end
    // of standard support.
    engineLifecycleSupport: createdAsWriter ? "open-source-rds-extended-support-disabled" : undefined,
    autoMinorVersionUpgrade: true,
    instanceClass: config.instanceClass,
    maxAllocatedStorage: config.maxAllocatedStorageGb,
    storageType: "gp3",
    // RDS creates and rotates the password in Secrets Manager; it never appears in state. A replica
    // inherits the source's credentials and cannot have its own secret; once promoted, it gets one.
    manageMasterUserPassword: standalone ? true : undefined,
    masterUserSecretKmsKeyId: standalone ? r.key.arn : undefined,
    iamDatabaseAuthenticationEnabled: true,
    parameterGroupName: r.parameterGroup.name,
    vpcSecurityGroupIds: r.securityGroupIds,
    publiclyAccessible: false,
    multiAz: standalone ? config.multiAz : false,
    // A replica that is taking a backup cannot be promoted; promotion turns backups on.
    backupRetentionPeriod: standalone ? config.backupRetentionDays : 0,
    backupWindow: standalone ? "16:00-16:30" : undefined,
    maintenanceWindow: standalone ? "sun:17:00-sun:17:30" : undefined,
    copyTagsToSnapshot: true,
    // An old writer's automated backups outlive it: point-in-time recovery of the commits only it has.
    deleteAutomatedBackups: role !== "old-writer",
    deletionProtection: config.deletionProtection,
    skipFinalSnapshot: !finalSnapshot,
    finalSnapshotIdentifier: finalSnapshot
      ? finalSnapshotIdentifier(slot, config.environmentSuffix)
      : undefined,
    performanceInsightsEnabled: true,
    performanceInsightsRetentionPeriod: config.performanceInsightsRetentionDays,
    enabledCloudwatchLogsExports: [...LOG_EXPORTS],
    tags: {
      ...ctx.tags(slot === "restored" ? "primary" : slot, r.identifier),
      [SLOT_ROLE_TAG]: role,
      // Created as a same-region replica, it is encrypted with its source's customer-managed key
      // and can declare none of its own, even once promoted: the policy pack reads this marker.
      ...(!createdAsWriter && placement.kmsKey !== "replica-region-key"
        ? { [KEY_SOURCE_TAG]: INHERITED_KEY }
        : {}),
    },
  };
}

function parameterGroup(
  ctx: BuildContext,
  role: "primary" | "dr",
  provider: aws.Provider,
): aws.rds.ParameterGroup {
  const pgName = ctx.name(`pg-${ctx.config.parameterGroupFamily}-${role}`);
  return new aws.rds.ParameterGroup(
    pgName,
    {
      name: pgName,
      family: ctx.config.parameterGroupFamily,
      description: `TapStack ${ctx.config.environmentSuffix}: TLS-only PostgreSQL 14`,
      parameters: [...DB_PARAMETERS],
      tags: ctx.tags(role === "primary" ? "primary" : "replica", pgName),
    },
    { parent: ctx.parent, provider },
  );
}

function subnetGroup(
  ctx: BuildContext,
  role: "primary" | "dr",
  network: NetworkResult,
  provider: aws.Provider,
): aws.rds.SubnetGroup {
  const name = ctx.name(`dbsubnets-${role}`);
  return new aws.rds.SubnetGroup(
    name,
    {
      name,
      description: `TapStack ${ctx.config.environmentSuffix} ${role} private subnets`,
      subnetIds: subnetIds(role === "primary" ? network.primaryVpc : network.drVpc),
      tags: ctx.tags(role === "primary" ? "primary" : "replica", name),
    },
    { parent: ctx.parent, provider },
  );
}

/**
 * Parameter groups, subnet groups and the two instance slots in the roles the topology gives them:
 * the writer first, then the standby (a replica of the writer, or the kept old writer).
 */
export function buildDatabase(
  ctx: BuildContext,
  network: NetworkResult,
  keys: EncryptionResult,
): DatabaseResult {
  const { config, providers, topology } = ctx;

  const primaryParameterGroup = parameterGroup(ctx, "primary", providers.primary);
  const primarySubnetGroup = subnetGroup(ctx, "primary", network, providers.primary);
  // The DR region's groups exist whatever the placement: the regional restore needs them in the
  // very situation (the primary region lost) in which no `pulumi up` could declare them first.
  const drParameterGroup = parameterGroup(ctx, "dr", providers.dr);
  const drSubnetGroup = subnetGroup(ctx, "dr", network, providers.dr);

  // The replica slot replicates the writer: the primary slot, or after a regional restore the
  // restored instance in the DR region (its placement is then relative to the DR region).
  const placement = replicaPlacement(
    config,
    topology.writer === "restored" ? config.drRegion : config.primaryRegion,
  );
  const groupsIn = (region: string) =>
    region === config.primaryRegion
      ? { parameterGroup: primaryParameterGroup, subnetGroup: primarySubnetGroup }
      : { parameterGroup: drParameterGroup, subnetGroup: drSubnetGroup };
  const resources = (place: Place): Omit<SlotResources, "writer"> => {
    const sgs = placeSecurityGroups(network, place);
    const groups = groupsIn(placeRegion(place, config));
    return {
      identifier: placeIdentifier(place, config.environmentSuffix),
      // The restored instance is encrypted with the DR key its backups were replicated with.
      key: place === "primary" ? keys.primaryKey : place === "replica" ? keys.replicaKey : keys.drKey,
      parameterGroup: groups.parameterGroup,
      // A same-region replica takes its source's subnet group; a cross-region one, its region's.
      subnetGroup:
        place !== "replica" || placement.subnetGroup === "replica-region-group"
          ? groups.subnetGroup
          : undefined,
      securityGroupIds: [sgs.clients.securityGroup.id, sgs.access.securityGroup.id],
    };
  };
  const providerOf = (place: Place): aws.Provider =>
    place === "primary" ? providers.primary : place === "replica" ? providers.replica : providers.dr;
  const declare = (place: Place, role: DeclaredRole, writer?: aws.rds.Instance): aws.rds.Instance => {
    const args = slotArgs(ctx, { slot: place, role }, { ...resources(place), writer }, placement);
    const id = placeIdentifier(place, config.environmentSuffix);
    return new aws.rds.Instance(id, args, {
      parent: ctx.parent,
      provider: providerOf(place),
      // The identifiers are fixed, so a replacement (rebuilding an old writer as a replica) must
      // delete first; RDS takes the final snapshot the previous `pulumi up` put into the state.
      deleteBeforeReplace: true,
      // The regional restore created the restored writer: adopt it. What the restore fixed for good
      // (key, subnet group, credentials, …) and what the backups carried over (storage, minor
      // version) is the live instance's, never a reason to replace the writer. Whether an import whose
      // inputs differ fails or imports and then updates depends on the Pulumi version
      // (pulumi-aws-v7.md, "Adopting an instance created outside Pulumi"): either way, nothing is replaced.
      ...(place === "restored" ? { import: id, ignoreChanges: [...RESTORED_IGNORED_INPUTS] } : {}),
    });
  };
  const instances: Partial<Record<Place, aws.rds.Instance>> = {};
  const writer = (instances[topology.writer] = declare(topology.writer, "writer"));
  for (const slot of SLOTS) {
    const role = topology.roles[slot];
    if (role === undefined || slot === topology.writer) continue;
    instances[slot] = declare(slot, role, role === "replica" ? writer : undefined);
  }
  const standby = instances[topology.standby];
  if (standby === undefined) throw new Error(`the standby slot ${topology.standby} is not declared`);

  // masterUserSecrets is a one-element list once RDS has created the secret.
  const writerName = placeIdentifier(topology.writer, config.environmentSuffix);
  const masterSecretArn = writer.masterUserSecrets.apply((secrets) => {
    const arn = secrets?.[0]?.secretArn;
    if (!arn) throw new Error(`RDS reported no master user secret for ${writerName}`);
    return arn;
  });

  return {
    primaryParameterGroup,
    drParameterGroup,
    primarySubnetGroup,
    drSubnetGroup,
    instances,
    writer,
    standby,
    topology,
    writerRegion: placeRegion(topology.writer, config),
    standbyRegion: placeRegion(topology.standby, config),
    placement,
    masterSecretArn,
  };
}
