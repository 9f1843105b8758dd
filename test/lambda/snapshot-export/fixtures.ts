/** The environment TapStack sets on the snapshot-export function of a `dev` stack. */
export const EXPORT_ENV_FIXTURE: Record<string, string> = {
  WRITER_INSTANCE_ID: "rds-primary-dev",
  WRITER_REGION: "ap-southeast-2",
  EXPORT_BUCKET: "s3-backups-primary-dev-1a2b3c4",
  EXPORT_ROLE_ARN: "arn:aws:iam::123456789012:role/iam-rds-export-dev-9f8e7d6",
  EXPORT_KMS_KEY_ARN: "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  METRICS_NAMESPACE: "TapStack",
  ENVIRONMENT_SUFFIX: "dev",
};

/** EventBridge's scheduled event, as the daily rule delivers it. */
export function scheduledEvent(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: "0",
    id: "7bf73129-1428-4cd3-a780-95db273d1602",
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account: "123456789012",
    time: "2026-11-25T20:00:00Z",
    region: "ap-southeast-1",
    resources: ["arn:aws:events:ap-southeast-1:123456789012:rule/snapshot-export-schedule-dev"],
    detail: {},
    ...overrides,
  };
}
