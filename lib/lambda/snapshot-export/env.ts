/**
 * The snapshot-export function's configuration, read from the environment TapStack sets (names in
 * `EXPORT_ENV` of `lib/function-env.ts`).
 */
import type { ExportEnvName } from "../../function-env";
import { EnvReader, parseArn, type EnvSource } from "../env-reader";

/** `arn:aws:iam::123456789012:role/<path/>name`: IAM is global, so the ARN has no region. */
const IAM_ROLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** Everything the snapshot-export function needs, validated. */
export interface ExportConfig {
  /** The instance that takes writes now; its newest automated snapshot is exported. */
  readonly writerInstanceId: string;
  /** Region of the writer, its snapshots, the export tasks, the bucket and the key. */
  readonly writerRegion: string;
  /** Backup bucket in the writer's region. */
  readonly exportBucket: string;
  /** Role RDS assumes to write the export. */
  readonly exportRoleArn: string;
  /** Key ARN (not an alias) of the customer-managed key that encrypts the export. */
  readonly exportKmsKeyArn: string;
  readonly metricsNamespace: string;
  readonly environmentSuffix: string;
}

/**
 * Reads and validates the function's environment. Throws one `ConfigurationError` naming every
 * missing or malformed variable and the expected form.
 */
export function readExportConfig(env: EnvSource): ExportConfig {
  const read = new EnvReader<ExportEnvName>(env, "snapshot-export");
  const writerRegion = read.region("WRITER_REGION");
  const exportKmsKeyArn = read.arn(
    "EXPORT_KMS_KEY_ARN",
    "kms",
    "arn:aws:kms:ap-southeast-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
  );
  const key = exportKmsKeyArn === "" ? null : parseArn(exportKmsKeyArn);
  if (key !== null && !key.resource.startsWith("key/")) {
    read.problem(
      `EXPORT_KMS_KEY_ARN=${JSON.stringify(exportKmsKeyArn)} is not valid: expected a key ARN (…:key/<key id>), not an alias, so the IAM grants on the key match`,
    );
  }
  // KMS keys are regional and RDS exports only within the snapshot's region: a key elsewhere fails
  // every export with KMSKeyNotAccessibleFault, a day later, instead of now.
  if (key !== null && writerRegion !== "" && key.region !== writerRegion) {
    read.problem(
      `EXPORT_KMS_KEY_ARN=${JSON.stringify(exportKmsKeyArn)} is in ${key.region}, but WRITER_REGION is ${writerRegion}: use the key of the writer's region`,
    );
  }
  const config: ExportConfig = {
    writerInstanceId: read.dbInstanceId("WRITER_INSTANCE_ID"),
    writerRegion,
    exportBucket: read.bucket("EXPORT_BUCKET"),
    exportRoleArn: read.matching(
      "EXPORT_ROLE_ARN",
      IAM_ROLE_ARN_PATTERN,
      "an IAM role ARN such as arn:aws:iam::123456789012:role/rds-export-dev",
    ),
    exportKmsKeyArn,
    metricsNamespace: read.metricsNamespace("METRICS_NAMESPACE"),
    environmentSuffix: read.environmentSuffix("ENVIRONMENT_SUFFIX"),
  };
  read.finish();
  return config;
}
