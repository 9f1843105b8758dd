/**
 * Physical and logical names of TapStack resources. Pure functions, no Pulumi: config
 * validation uses the same templates to reject a suffix that would make any name too long.
 */

/**
 * Characters Pulumi appends when it auto-names a resource: a hyphen and 7 random hex digits.
 * S3 bucket names are globally unique, so buckets (and the IAM roles) keep this suffix.
 */
export const AUTONAME_RANDOM_LENGTH = 8;

/** The DR-Role tag values; every resource carries exactly one. */
export type DrRole =
  | "primary"
  | "replica"
  | "monitoring"
  | "failover"
  | "backup"
  | "network"
  | "alerting"
  | "dns"
  | "encryption"
  | "restore-test";

/** Logical (and, unless auto-named, physical) name: `{resourceType}-{environmentSuffix}`. */
export function resourceName(resourceType: string, environmentSuffix: string): string {
  return `${resourceType}-${environmentSuffix}`;
}

/** Resource type of the instance a regional restore creates (`rds-restored-<suffix>`, `restoredInstanceId`). */
export const RESTORED_INSTANCE_TYPE = "rds-restored";

/** Resource type of the temporary instance a restore test creates (`rds-restore-test-<suffix>`). */
export const RESTORE_TEST_INSTANCE_TYPE = "rds-restore-test";

/** A derived name with the limit AWS puts on it. */
export interface NameLimit {
  /** What the name is, for the error message. */
  readonly resource: string;
  /** The name built from a suffix, including Pulumi's random part when auto-named. */
  readonly build: (environmentSuffix: string) => string;
  readonly maxLength: number;
}

/**
 * The names with the tightest limits. RDS identifiers: 63
 * (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html#RDS_Limits.Constraints);
 * S3 buckets: 63; IAM roles and Lambda functions: 64.
 */
export const NAME_LIMITS: readonly NameLimit[] = [
  { resource: "RDS primary identifier", build: (s) => resourceName("rds-primary", s), maxLength: 63 },
  { resource: "RDS replica identifier", build: (s) => resourceName("rds-replica", s), maxLength: 63 },
  {
    resource: "RDS restored instance identifier",
    build: (s) => resourceName(RESTORED_INSTANCE_TYPE, s),
    maxLength: 63,
  },
  {
    resource: "RDS restore-test instance identifier",
    build: (s) => resourceName(RESTORE_TEST_INSTANCE_TYPE, s),
    maxLength: 63,
  },
  {
    resource: "S3 primary backup bucket",
    build: (s) => resourceName("s3-backups-primary", s) + "-x".padEnd(AUTONAME_RANDOM_LENGTH, "x"),
    maxLength: 63,
  },
  {
    resource: "S3 replication IAM role",
    build: (s) => resourceName("iam-s3-replication", s) + "-x".padEnd(AUTONAME_RANDOM_LENGTH, "x"),
    maxLength: 64,
  },
  {
    resource: "health-monitor Lambda function",
    build: (s) => resourceName("lambda-health-monitor", s) + "-x".padEnd(AUTONAME_RANDOM_LENGTH, "x"),
    maxLength: 64,
  },
];

/** The longest suffix for which every name in {@link NAME_LIMITS} fits. */
export function maxEnvironmentSuffixLength(): number {
  return Math.min(...NAME_LIMITS.map((l) => l.maxLength - l.build("").length));
}

/** Environment / Owner / DR-Role (and Name) tags for one resource. */
export function resourceTags(
  base: { readonly environmentSuffix: string; readonly owner: string },
  drRole: DrRole,
  name: string,
): Record<string, string> {
  return { Environment: base.environmentSuffix, Owner: base.owner, "DR-Role": drRole, Name: name };
}
