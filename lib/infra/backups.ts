import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TapConfig } from "../config";
import type { BuildContext } from "./context";
import type { DatabaseResult } from "./database";
import { placeRegion, type Place, type Slot } from "./topology";
import type { EncryptionResult } from "./encryption";

/** A backup bucket and the configuration resources attached to it. */
export interface BackupBucket {
  readonly bucket: aws.s3.Bucket;
  readonly versioning: aws.s3.BucketVersioning;
}

/** What the backups builder creates. */
export interface BackupsResult {
  /**
   * Automated backups and WAL of the writer, copied to the other region (the DR region, or the
   * primary region when the writer is a cross-region replica that was promoted): point-in-time
   * restore there.
   */
  readonly automatedBackupsReplication: aws.rds.InstanceAutomatedBackupsReplication;
  /** The copy of each standalone instance (the writer, and a kept old writer); none for a replica. */
  readonly automatedBackupsReplications: Readonly<
    Partial<Record<Place, aws.rds.InstanceAutomatedBackupsReplication>>
  >;
  /** Snapshot exports and audit reports, primary region; replicated to `drBucket`. */
  readonly primaryBucket: BackupBucket;
  /** Replica of `primaryBucket` in the DR region; failover and drill reports are written here. */
  readonly drBucket: BackupBucket;
  readonly replicationRole: aws.iam.Role;
}

/**
 * Where an instance's automated backups are copied: the DR region, unless the instance itself lives
 * there (a promoted cross-region replica, a restored writer), then the primary region. RDS copies
 * backups only to another region.
 */
export function backupCopyRegion(
  place: Place,
  config: Pick<TapConfig, "primaryRegion" | "replicaRegion" | "drRegion">,
): string {
  return placeRegion(place, config) === config.drRegion ? config.primaryRegion : config.drRegion;
}

/** Logical name of an instance's backup copy; the primary slot's keeps its first name. */
const BACKUP_COPY_NAMES: Readonly<Record<Place, string>> = {
  primary: "rds-backups-replication",
  replica: "rds-backups-replication-replica",
  restored: "rds-backups-replication-restored",
};

/** A bucket policy that refuses every request not made over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, pulumi.interpolate`${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

/**
 * Permissions of the S3 replication role, following "Replicating encrypted objects"
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html):
 * read and decrypt in the source region, replicate and encrypt with the DR key in the DR region.
 * With bucket keys on, the KMS encryption context is the bucket ARN, not the object ARN, so
 * both forms are allowed.
 */
export function replicationPolicy(args: {
  readonly sourceBucketArn: pulumi.Input<string>;
  readonly destinationBucketArn: pulumi.Input<string>;
  readonly sourceKeyArn: pulumi.Input<string>;
  readonly destinationKeyArn: pulumi.Input<string>;
  readonly sourceRegion: string;
  readonly destinationRegion: string;
}): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadReplicationConfiguration",
        Effect: "Allow",
        Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
        Resource: [args.sourceBucketArn],
      },
      {
        Sid: "ReadSourceVersions",
        Effect: "Allow",
        Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
        Resource: [pulumi.interpolate`${args.sourceBucketArn}/*`],
      },
      {
        Sid: "WriteReplicas",
        Effect: "Allow",
        Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
        Resource: [pulumi.interpolate`${args.destinationBucketArn}/*`],
      },
      {
        Sid: "DecryptSource",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: [args.sourceKeyArn],
        Condition: {
          StringLike: {
            "kms:ViaService": `s3.${args.sourceRegion}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": [
              args.sourceBucketArn,
              pulumi.interpolate`${args.sourceBucketArn}/*`,
            ],
          },
        },
      },
      {
        Sid: "EncryptDestination",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:GenerateDataKey"],
        Resource: [args.destinationKeyArn],
        Condition: {
          StringLike: {
            "kms:ViaService": `s3.${args.destinationRegion}.amazonaws.com`,
            "kms:EncryptionContext:aws:s3:arn": [
              args.destinationBucketArn,
              pulumi.interpolate`${args.destinationBucketArn}/*`,
            ],
          },
        },
      },
    ],
  });
}

function backupBucket(
  ctx: BuildContext,
  role: "primary" | "dr",
  key: aws.kms.Key,
  provider: aws.Provider,
): BackupBucket {
  const opts = { parent: ctx.parent, provider };
  const { config } = ctx;
  const name = ctx.name(`s3-backups-${role}`);
  // Auto-named (logical name + random suffix): bucket names are global across all accounts.
  const bucket = new aws.s3.Bucket(name, { forceDestroy: true, tags: ctx.tags("backup", name) }, opts);
  const versioning = new aws.s3.BucketVersioning(
    ctx.name(`s3-versioning-${role}`),
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    opts,
  );
  new aws.s3.BucketServerSideEncryptionConfiguration(
    ctx.name(`s3-sse-${role}`),
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
          // One KMS data key per bucket instead of per object: far fewer KMS calls and cost.
          bucketKeyEnabled: true,
        },
      ],
    },
    opts,
  );
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    ctx.name(`s3-public-access-${role}`),
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    opts,
  );
  new aws.s3.BucketOwnershipControls(
    ctx.name(`s3-ownership-${role}`),
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    opts,
  );
  // After the public-access block: S3 rejects policy writes that race with it.
  new aws.s3.BucketPolicy(
    ctx.name(`s3-policy-${role}`),
    { bucket: bucket.id, policy: tlsOnlyBucketPolicy(bucket.arn) },
    { ...opts, dependsOn: [publicAccessBlock] },
  );
  new aws.s3.BucketLifecycleConfiguration(
    ctx.name(`s3-lifecycle-${role}`),
    {
      bucket: bucket.id,
      rules: [
        {
          id: "noncurrent-versions",
          status: "Enabled",
          filter: {},
          noncurrentVersionTransitions: [
            { noncurrentDays: config.noncurrentTransitionDays, storageClass: "STANDARD_IA" },
          ],
          noncurrentVersionExpiration: { noncurrentDays: config.noncurrentExpirationDays },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ],
    },
    { ...opts, dependsOn: [versioning] },
  );
  return { bucket, versioning };
}

/**
 * Cross-region automated backups of the primary, both backup buckets (versioned, SSE-KMS,
 * private, TLS-only, lifecycle) and replication primary → DR re-encrypted with the DR key.
 */
export function buildBackups(
  ctx: BuildContext,
  database: DatabaseResult,
  keys: EncryptionResult,
): BackupsResult {
  const { config, providers } = ctx;
  const automatedBackupsReplications: Partial<Record<Place, aws.rds.InstanceAutomatedBackupsReplication>> =
    {};
  for (const [place, instance] of Object.entries(database.instances) as [Place, aws.rds.Instance][]) {
    if (place !== database.topology.writer && database.topology.roles[place as Slot] === "replica") continue;
    const toDr = backupCopyRegion(place, config) === config.drRegion;
    // Must be created in the destination region, with a key of that region. Named per instance, so
    // a failover adds the promoted writer's copy and leaves the kept old writer's in place, and a
    // restored writer's backups go back to the primary region.
    automatedBackupsReplications[place] = new aws.rds.InstanceAutomatedBackupsReplication(
      ctx.name(BACKUP_COPY_NAMES[place]),
      {
        sourceDbInstanceArn: instance.arn,
        retentionPeriod: config.backupRetentionDays,
        kmsKeyId: (toDr ? keys.drKey : keys.primaryKey).arn,
      },
      { parent: ctx.parent, provider: toDr ? providers.dr : providers.primary },
    );
  }
  const automatedBackupsReplication = automatedBackupsReplications[database.topology.writer];
  if (!automatedBackupsReplication) throw new Error("the writer slot has no backup copy");

  const primaryBucket = backupBucket(ctx, "primary", keys.primaryKey, providers.primary);
  const drBucket = backupBucket(ctx, "dr", keys.drKey, providers.dr);

  const roleName = ctx.name("iam-s3-replication");
  const replicationRole = new aws.iam.Role(
    roleName,
    {
      description: `S3 replication of TapStack ${config.environmentSuffix} backups to ${config.drRegion}`,
      assumeRolePolicy: pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "s3.amazonaws.com" },
            Action: "sts:AssumeRole",
            Condition: { StringEquals: { "aws:SourceAccount": ctx.accountId } },
          },
        ],
      }),
      forceDetachPolicies: true,
      tags: ctx.tags("backup", roleName),
    },
    { parent: ctx.parent, provider: providers.dr },
  );
  const rolePolicy = new aws.iam.RolePolicy(
    ctx.name("iam-s3-replication-policy"),
    {
      role: replicationRole.id,
      policy: replicationPolicy({
        sourceBucketArn: primaryBucket.bucket.arn,
        destinationBucketArn: drBucket.bucket.arn,
        sourceKeyArn: keys.primaryKey.arn,
        destinationKeyArn: keys.drKey.arn,
        sourceRegion: config.primaryRegion,
        destinationRegion: config.drRegion,
      }),
    },
    { parent: ctx.parent, provider: providers.dr },
  );

  // Versioning must be Enabled on both buckets before a replication configuration is accepted.
  new aws.s3.BucketReplicationConfig(
    ctx.name("s3-replication-primary-to-dr"),
    {
      bucket: primaryBucket.bucket.id,
      role: replicationRole.arn,
      rules: [
        {
          id: "backups-to-dr",
          status: "Enabled",
          priority: 1,
          filter: {},
          deleteMarkerReplication: { status: "Enabled" },
          // SSE-KMS objects are skipped unless this is on.
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: drBucket.bucket.arn,
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: keys.drKey.arn },
          },
        },
      ],
    },
    {
      parent: ctx.parent,
      provider: providers.primary,
      dependsOn: [primaryBucket.versioning, drBucket.versioning, rolePolicy],
    },
  );

  return {
    automatedBackupsReplication,
    automatedBackupsReplications,
    primaryBucket,
    drBucket,
    replicationRole,
  };
}
