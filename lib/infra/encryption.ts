import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BuildContext } from "./context";

/** The customer-managed key of each region. */
export interface EncryptionResult {
  /** Primary-region key: primary instance, PI, master secret, primary bucket, db-alarms topic. */
  readonly primaryKey: aws.kms.Key;
  /** DR-region key: cross-region replica, backup copies, DR bucket, dr-events topic, logs. */
  readonly drKey: aws.kms.Key;
  /** Key in the replica's region (`primaryKey` or `drKey`). */
  readonly replicaKey: aws.kms.Key;
}

/**
 * Key policy: the account root statement delegates to IAM, which is how RDS, S3, SNS and
 * Secrets Manager use the key on behalf of callers with IAM permission
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html). Services
 * that act as themselves need their own statement: CloudWatch alarms publishing to an
 * encrypted topic, and CloudWatch Logs encrypting log groups.
 */
export function keyPolicy(accountId: pulumi.Input<string>, region: string): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: pulumi.interpolate`arn:aws:iam::${accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-encrypted-sns
        Sid: "CloudWatchAlarmsPublishToEncryptedTopics",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": accountId } },
      },
      {
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
        Sid: "CloudWatchLogsEncryptLogGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: {
          ArnLike: {
            "kms:EncryptionContext:aws:logs:arn": pulumi.interpolate`arn:aws:logs:${region}:${accountId}:*`,
          },
        },
      },
    ],
  });
}

function buildKey(
  ctx: BuildContext,
  role: "primary" | "dr",
  region: string,
  provider: aws.Provider,
): aws.kms.Key {
  const opts = { parent: ctx.parent, provider };
  const keyName = ctx.name(`kms-${role}`);
  const key = new aws.kms.Key(
    keyName,
    {
      description: `TapStack ${ctx.config.environmentSuffix} ${role}-region key (RDS, S3, SNS, logs)`,
      enableKeyRotation: true,
      // The shortest wait KMS allows: the brief requires a fully destroyable stack.
      deletionWindowInDays: 7,
      policy: keyPolicy(ctx.accountId, region),
      tags: ctx.tags("encryption", keyName),
    },
    opts,
  );
  new aws.kms.Alias(
    ctx.name(`kms-alias-${role}`),
    { name: `alias/tap-${role}-${ctx.config.environmentSuffix}`, targetKeyId: key.keyId },
    opts,
  );
  return key;
}

/** One customer-managed key per region, rotation on, alias containing the suffix. */
export function buildEncryption(ctx: BuildContext): EncryptionResult {
  const primaryKey = buildKey(ctx, "primary", ctx.config.primaryRegion, ctx.providers.primary);
  const drKey = buildKey(ctx, "dr", ctx.config.drRegion, ctx.providers.dr);
  return {
    primaryKey,
    drKey,
    replicaKey: ctx.providers.replica === ctx.providers.primary ? primaryKey : drKey,
  };
}
