/**
 * The daily snapshot export, wired in: the `snapshot-export` function (DR region, no VPC: it only
 * calls the RDS API), its least-privilege role, the role RDS assumes to write the export
 * (`export.rds.amazonaws.com`), the daily schedule, and two alarms on the export health it emits.
 *
 * Everything follows `tap:activeWriter`: the export reads the writer's newest automated snapshot,
 * and RDS exports only within the snapshot's region, so the bucket is the writer region's backup
 * bucket (replicated to the DR bucket when that is the primary bucket) and the key is the writer
 * region's key. https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ExportSnapshot.html
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRIC_DIMENSION, METRICS, type ExportEnvName } from "../function-env";
import { metricAlarm } from "./alarms";
import { METRICS_NAMESPACE, type AlertingResult } from "./alerting";
import type { BackupsResult } from "./backups";
import type { BuildContext } from "./context";
import type { DatabaseResult } from "./database";
import type { EncryptionResult } from "./encryption";
import { logsStatement } from "./iam";
import { eventTrigger, lambdaFunction, roleAndLogs, type FunctionResources } from "./lambda-kit";
import {
  exportFunctionPolicyStatements,
  exportRolePolicyStatements,
  exportRoleTrustPolicy,
  policyDocument,
} from "./snapshot-export-policy";

/** Fixed settings of the export function and its alarms. */
export const EXPORT_SETTINGS = {
  /**
   * 18:00 UTC daily: after the writer's backup window (16:00-16:30 UTC, `lib/infra/database.ts`),
   * so the newest automated snapshot is that day's.
   */
  schedule: "cron(0 18 * * ? *)",
  /** Starting an export task takes seconds; the function never waits for the export to finish. */
  timeoutSeconds: 120,
  memoryMb: 256,
  /** A daily job: one datapoint a day, so the alarms look at whole days. */
  alarmPeriodSeconds: 86_400,
  /** One daily export plus two hours of slack (`DEFAULT_EXPORT_OVERDUE_HOURS` of the dashboard). */
  overdueHours: 26,
} as const;

/** Every variable of `EXPORT_ENV` (a missing one is a compile error). */
export function exportEnvironment(v: {
  readonly writerInstanceId: pulumi.Input<string>;
  readonly writerRegion: string;
  readonly exportBucket: pulumi.Input<string>;
  readonly exportRoleArn: pulumi.Input<string>;
  readonly exportKmsKeyArn: pulumi.Input<string>;
  readonly environmentSuffix: string;
}): Record<ExportEnvName, pulumi.Input<string>> {
  return {
    WRITER_INSTANCE_ID: v.writerInstanceId,
    WRITER_REGION: v.writerRegion,
    EXPORT_BUCKET: v.exportBucket,
    EXPORT_ROLE_ARN: v.exportRoleArn,
    EXPORT_KMS_KEY_ARN: v.exportKmsKeyArn,
    METRICS_NAMESPACE: METRICS_NAMESPACE,
    ENVIRONMENT_SUFFIX: v.environmentSuffix,
  };
}

/** What the export builder creates. */
export interface SnapshotExportResult {
  readonly exportFn: FunctionResources;
  /** The role RDS assumes to write the export. */
  readonly exportRole: aws.iam.Role;
  readonly schedule: aws.cloudwatch.EventRule;
  /** SnapshotExportFailed > 0. */
  readonly failedAlarm: aws.cloudwatch.MetricAlarm;
  /** HoursSinceLastSuccessfulExport > 26, or no datapoint for a day. */
  readonly overdueAlarm: aws.cloudwatch.MetricAlarm;
}

/** What the export builder needs from the other builders. */
export interface SnapshotExportDeps {
  readonly encryption: EncryptionResult;
  readonly database: DatabaseResult;
  readonly backups: BackupsResult;
  readonly alerting: AlertingResult;
}

/** The export function, both roles, the schedule and the two alarms. */
export function buildSnapshotExport(ctx: BuildContext, deps: SnapshotExportDeps): SnapshotExportResult {
  const { config, providers, accountId } = ctx;
  const { encryption, database, backups, alerting } = deps;
  const suffix = config.environmentSuffix;
  const dr = { parent: ctx.parent, provider: providers.dr };
  const writerRegion = database.writerRegion;
  const inPrimaryRegion = writerRegion === config.primaryRegion;
  const bucket = (inPrimaryRegion ? backups.primaryBucket : backups.drBucket).bucket;
  const key = inPrimaryRegion ? encryption.primaryKey : encryption.drKey;

  const exportRoleName = ctx.name("iam-rds-export");
  const exportRole = new aws.iam.Role(
    exportRoleName,
    {
      description: `TapStack ${suffix}: RDS writes snapshot exports into the ${writerRegion} backup bucket`,
      assumeRolePolicy: accountId.apply((account) => JSON.stringify(exportRoleTrustPolicy(account))),
      forceDetachPolicies: true,
      tags: ctx.tags("backup", exportRoleName),
    },
    dr,
  );
  const exportRolePolicy = new aws.iam.RolePolicy(
    ctx.name("iam-rds-export-policy"),
    {
      role: exportRole.id,
      // The bucket's default encryption is the same key, so no separate bucket-key statement.
      policy: pulumi
        .all([bucket.bucket, key.arn])
        .apply(([bucketName, keyArn]) =>
          JSON.stringify(policyDocument(exportRolePolicyStatements({ bucketName, exportKeyArn: keyArn }))),
        ),
    },
    dr,
  );

  const parts = roleAndLogs(
    ctx,
    "snapshot-export",
    "backup",
    config.drRegion,
    encryption.drKey,
    providers.dr,
    (logGroupArn) =>
      pulumi
        .all([accountId, database.writer.identifier, exportRole.arn, key.arn, logGroupArn])
        .apply(([account, writerId, roleArn, keyArn, lgArn]) =>
          JSON.stringify(
            policyDocument([
              ...exportFunctionPolicyStatements({
                accountId: account,
                region: writerRegion,
                writerInstanceId: writerId,
                exportRoleArn: roleArn,
                exportKeyArn: keyArn,
              }),
              logsStatement(lgArn),
            ]),
          ),
        ),
  );
  const fn = lambdaFunction(
    ctx,
    parts,
    "snapshot-export",
    {
      entry: "snapshot-export",
      description: "daily export of the writer's newest automated snapshot",
      drRole: "backup",
      timeoutSeconds: EXPORT_SETTINGS.timeoutSeconds,
      memoryMb: EXPORT_SETTINGS.memoryMb,
      environment: exportEnvironment({
        writerInstanceId: database.writer.identifier,
        writerRegion,
        exportBucket: bucket.bucket,
        exportRoleArn: exportRole.arn,
        exportKmsKeyArn: key.arn,
        environmentSuffix: suffix,
      }),
      dependsOn: [exportRolePolicy],
    },
    dr,
  );

  const schedule = eventTrigger(
    ctx,
    {
      ruleName: ctx.name("events-snapshot-export"),
      targetName: ctx.name("events-snapshot-export-target"),
      permissionName: ctx.name("lambda-snapshot-export-allow-schedule"),
      description: `TapStack ${suffix}: export the writer's newest automated snapshot every day`,
      drRole: "backup",
      trigger: { scheduleExpression: EXPORT_SETTINGS.schedule },
      fn,
    },
    dr,
  );

  const alarm = (
    id: string,
    metricName: string,
    threshold: number,
    treatMissingData: "breaching" | "notBreaching",
    description: string,
  ): aws.cloudwatch.MetricAlarm =>
    metricAlarm(
      ctx,
      {
        name: ctx.name(`alarm-export-${id}`),
        description,
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensions: { [METRIC_DIMENSION]: suffix },
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold,
        periodSeconds: EXPORT_SETTINGS.alarmPeriodSeconds,
        evaluationPeriods: 1,
        treatMissingData,
        topicArn: alerting.drTopic.arn,
        drRole: "backup",
      },
      dr,
    );
  const failedAlarm = alarm(
    "failed",
    METRICS.snapshotExportFailed,
    0,
    // A day without a run says nothing about failures; the overdue alarm covers silence.
    "notBreaching",
    "a snapshot export task failed in the last 26 hours",
  );
  const overdueAlarm = alarm(
    "overdue",
    METRICS.hoursSinceLastSuccessfulExport,
    EXPORT_SETTINGS.overdueHours,
    // No datapoint for a whole day means the function did not run: as bad as an old export.
    "breaching",
    `no snapshot export succeeded in ${EXPORT_SETTINGS.overdueHours} hours (or the export function did not run)`,
  );

  return { exportFn: { ...parts, fn }, exportRole, schedule, failedAlarm, overdueAlarm };
}
