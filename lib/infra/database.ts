import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isCrossRegionReplica, type TapConfig } from "../config";
import type { BuildContext } from "./context";
import type { EncryptionResult } from "./encryption";
import { POSTGRES_PORT, subnetIds, type NetworkResult } from "./network";

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
  readonly region: string;
  readonly sourceReference: "identifier" | "arn";
  readonly kmsKey: "inherited-from-source" | "dr-key";
  readonly subnetGroup: "source-default" | "dr-subnet-group";
  readonly parameterGroup: "primary-region-group" | "dr-region-group";
}

/** Decides {@link ReplicaPlacement} from config. */
export function replicaPlacement(
  config: Pick<TapConfig, "primaryRegion" | "replicaRegion">,
): ReplicaPlacement {
  const crossRegion = isCrossRegionReplica(config);
  return crossRegion
    ? {
        crossRegion,
        region: config.replicaRegion,
        sourceReference: "arn",
        kmsKey: "dr-key",
        subnetGroup: "dr-subnet-group",
        parameterGroup: "dr-region-group",
      }
    : {
        crossRegion,
        region: config.replicaRegion,
        sourceReference: "identifier",
        kmsKey: "inherited-from-source",
        subnetGroup: "source-default",
        parameterGroup: "primary-region-group",
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
  /** Exists only for a cross-region replica. */
  readonly drParameterGroup?: aws.rds.ParameterGroup;
  readonly primarySubnetGroup: aws.rds.SubnetGroup;
  /** Exists only for a cross-region replica. */
  readonly drSubnetGroup?: aws.rds.SubnetGroup;
  readonly primary: aws.rds.Instance;
  readonly replica: aws.rds.Instance;
  readonly placement: ReplicaPlacement;
  /** ARN of the RDS-managed master-user secret in Secrets Manager. */
  readonly masterSecretArn: pulumi.Output<string>;
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

/** Parameter groups, subnet groups, the encrypted primary and its read replica. */
export function buildDatabase(
  ctx: BuildContext,
  network: NetworkResult,
  keys: EncryptionResult,
): DatabaseResult {
  const { config, providers } = ctx;
  const placement = replicaPlacement(config);

  const primaryParameterGroup = parameterGroup(ctx, "primary", providers.primary);
  const primarySubnetGroup = subnetGroup(ctx, "primary", network, providers.primary);
  const drParameterGroup = placement.crossRegion ? parameterGroup(ctx, "dr", providers.dr) : undefined;
  const drSubnetGroup = placement.crossRegion ? subnetGroup(ctx, "dr", network, providers.dr) : undefined;

  const primaryName = ctx.name("rds-primary");
  const primary = new aws.rds.Instance(
    primaryName,
    {
      identifier: primaryName,
      engine: "postgres",
      engineVersion: config.engineVersion,
      // Without this RDS silently enrols the instance in paid Extended Support after PG 14's end
      // of standard support.
      engineLifecycleSupport: "open-source-rds-extended-support-disabled",
      autoMinorVersionUpgrade: true,
      instanceClass: config.instanceClass,
      allocatedStorage: config.allocatedStorageGb,
      maxAllocatedStorage: config.maxAllocatedStorageGb,
      storageType: "gp3",
      storageEncrypted: true,
      kmsKeyId: keys.primaryKey.arn,
      dbName: config.databaseName,
      username: config.masterUsername,
      // RDS creates and rotates the password in Secrets Manager; it never appears in state.
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: keys.primaryKey.arn,
      iamDatabaseAuthenticationEnabled: true,
      port: POSTGRES_PORT,
      parameterGroupName: primaryParameterGroup.name,
      dbSubnetGroupName: primarySubnetGroup.name,
      vpcSecurityGroupIds: [network.primaryDbSecurityGroup.securityGroup.id],
      publiclyAccessible: false,
      multiAz: config.multiAz,
      backupRetentionPeriod: config.backupRetentionDays,
      backupWindow: "16:00-16:30",
      maintenanceWindow: "sun:17:00-sun:17:30",
      copyTagsToSnapshot: true,
      deleteAutomatedBackups: true,
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: !config.deletionProtection,
      finalSnapshotIdentifier: config.deletionProtection ? `${primaryName}-final` : undefined,
      performanceInsightsEnabled: true,
      // The Performance Insights key can never be changed after creation.
      performanceInsightsKmsKeyId: keys.primaryKey.arn,
      performanceInsightsRetentionPeriod: config.performanceInsightsRetentionDays,
      enabledCloudwatchLogsExports: [...LOG_EXPORTS],
      tags: ctx.tags("primary", primaryName),
    },
    { parent: ctx.parent, provider: providers.primary },
  );

  const replicaName = ctx.name("rds-replica");
  const replica = new aws.rds.Instance(
    replicaName,
    {
      identifier: replicaName,
      replicateSourceDb: placement.sourceReference === "arn" ? primary.arn : primary.identifier,
      kmsKeyId: placement.kmsKey === "dr-key" ? keys.drKey.arn : undefined,
      dbSubnetGroupName: drSubnetGroup?.name,
      parameterGroupName: (drParameterGroup ?? primaryParameterGroup).name,
      instanceClass: config.instanceClass,
      storageType: "gp3",
      storageEncrypted: true,
      maxAllocatedStorage: config.maxAllocatedStorageGb,
      iamDatabaseAuthenticationEnabled: true,
      vpcSecurityGroupIds: [network.replicaDbSecurityGroup.securityGroup.id],
      publiclyAccessible: false,
      multiAz: false,
      // A replica that is taking a backup cannot be promoted; promotion turns backups on.
      backupRetentionPeriod: 0,
      autoMinorVersionUpgrade: true,
      deletionProtection: config.deletionProtection,
      skipFinalSnapshot: true,
      deleteAutomatedBackups: true,
      copyTagsToSnapshot: true,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: keys.replicaKey.arn,
      performanceInsightsRetentionPeriod: config.performanceInsightsRetentionDays,
      enabledCloudwatchLogsExports: [...LOG_EXPORTS],
      tags: ctx.tags("replica", replicaName),
    },
    { parent: ctx.parent, provider: providers.replica },
  );

  // masterUserSecrets is a one-element list once RDS has created the secret.
  const masterSecretArn = primary.masterUserSecrets.apply((secrets) => {
    const arn = secrets?.[0]?.secretArn;
    if (!arn) throw new Error(`RDS reported no master user secret for ${primaryName}`);
    return arn;
  });

  return {
    primaryParameterGroup,
    drParameterGroup,
    primarySubnetGroup,
    drSubnetGroup,
    primary,
    replica,
    placement,
    masterSecretArn,
  };
}
