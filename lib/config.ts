/**
 * TapStack configuration: every key the program reads, its default, and the validation that
 * runs before any resource is declared. Keys live under the project namespace `tap:`; the DR
 * (control) region is the stack's own `aws:region`.
 *
 * Validation is a pure function over the raw string values, without the Pulumi SDK (the program
 * reads Pulumi's config and hands it here: `readProgramConfig` in `lib/program.ts`), so it is
 * tested without Pulumi and reused by `npm run synth` and the simulator. Every problem names the
 * key, the bad value and the fix; all problems are reported at once.
 */
import { NAME_LIMITS, maxEnvironmentSuffixLength } from "./naming";
// The failover policy's one home: pure, so the stack's config may share its values and ranges.
// lib/infra never imports lib/lambda: it reads the validated policy from TapConfig.failoverPolicy,
// and the one derived figure it needs (a monitor run's longest length) through the re-export below.
import {
  DEFAULT_POLICY,
  MAX_REPLICATION_LAG_RANGE,
  POLICY_RANGES,
  policyProblems,
} from "./lambda/core/policy";
import { REGIONAL_RESTORE_MODES, type FailoverPolicy, type RegionalRestoreMode } from "./lambda/core/types";
// The workflow limits' defaults and upper bounds are the failover function's, which validates them again.
import {
  DEFAULT_APPROVAL_TIMEOUT_MINUTES,
  DEFAULT_PROMOTION_TIMEOUT_MINUTES,
  MAX_APPROVAL_TIMEOUT_MINUTES,
  MAX_PROMOTION_TIMEOUT_MINUTES,
} from "./lambda/failover/env";

export type { FailoverPolicy };
export { longestMonitorRunSeconds } from "./lambda/core/policy";

/** Pulumi project name, and therefore the config namespace. */
export const PROJECT = "tap";

/** Commercial AWS regions (https://docs.aws.amazon.com/general/latest/gr/rande.html#regional-endpoints). */
export const AWS_REGIONS: ReadonlySet<string> = new Set([
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-7",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-south-1",
  "eu-south-2",
  "eu-north-1",
  "il-central-1",
  "me-south-1",
  "me-central-1",
  "mx-central-1",
  "sa-east-1",
]);

/** Validated, typed configuration of one TapStack deployment. */
export interface TapConfig {
  /** Short lowercase name of the environment (`dev`, `prod`); part of every physical name. */
  readonly environmentSuffix: string;
  /** Value of the `Owner` tag. */
  readonly owner: string;
  /** Region of the RDS primary. */
  readonly primaryRegion: string;
  /** The stack's `aws:region`: monitor, failover, DR bucket, backup copies, Route 53 zone. */
  readonly drRegion: string;
  /** Region of the read replica: the primary region (default) or the DR region. */
  readonly replicaRegion: string;
  /** PostgreSQL major ("14") or exact minor ("14.15") version. */
  readonly engineVersion: string;
  /** `postgres14` for any 14.x. */
  readonly parameterGroupFamily: string;
  readonly instanceClass: string;
  readonly allocatedStorageGb: number;
  /** Upper bound of RDS storage autoscaling. */
  readonly maxAllocatedStorageGb: number;
  /** Automated backup retention of the primary, and of the backup copies in the DR region. */
  readonly backupRetentionDays: number;
  /**
   * The failover policy the functions run with: `DEFAULT_POLICY` (lib/lambda/core/policy.ts, the one
   * constant to change) with the stack's `tap:maxReplicationLagSeconds`, `tap:regionalRestore` and
   * `tap:restoreConfirmationMinutes`, validated by the policy's own `policyProblems`. Its
   * `maxReplicationLagSeconds` is also the replica-lag alarm's threshold.
   */
  readonly failoverPolicy: FailoverPolicy;
  /** Addresses subscribed (by email) to both SNS topics. */
  readonly alertEmails: readonly string[];
  /** IPv4 CIDRs of database clients allowed to reach 5432 (besides the monitor subnets). */
  readonly allowedClientCidrs: readonly string[];
  readonly multiAz: boolean;
  /** When true, the primary also keeps a final snapshot on delete. */
  readonly deletionProtection: boolean;
  readonly primaryVpcCidr: string;
  readonly drVpcCidr: string;
  readonly databaseName: string;
  readonly masterUsername: string;
  /** Private hosted zone holding `writer.` and `reader.` */
  readonly hostedZoneName: string;
  readonly dnsTtlSeconds: number;
  readonly cpuAlarmPercent: number;
  readonly connectionsAlarmCount: number;
  readonly freeStorageAlarmPercent: number;
  readonly freeableMemoryAlarmMb: number;
  readonly writeLatencyAlarmMs: number;
  readonly performanceInsightsRetentionDays: number;
  /** Days before noncurrent backup-object versions move to STANDARD_IA. */
  readonly noncurrentTransitionDays: number;
  /** Days before noncurrent backup-object versions are deleted. */
  readonly noncurrentExpirationDays: number;
  /**
   * Which instance slot takes writes: `primary` (`rds-primary-<suffix>`, the first deployment) or
   * `replica` (`rds-replica-<suffix>`, after it was promoted). Set it after a failover or a
   * switchover, once `pulumi refresh` has read the new topology (RUNBOOK.md, "Life after a failover").
   */
  readonly activeWriter: ActiveWriter;
  /**
   * When the standby slot is a standalone old writer (fenced by a failover, possibly holding commits
   * that never reached the new writer): keep it as it is, fenced, with a final snapshot on delete
   * (`true`), or rebuild it as a replica of the writer (`false`; replaces it, taking the final snapshot).
   */
  readonly keepOldWriter: boolean;
  /** Promote call → writable, in minutes, before a failover execution fails (the failover function's PROMOTION_TIMEOUT_MINUTES). */
  readonly promotionTimeoutMinutes: number;
  /** How long an operator has to approve a failover the lag guard blocked (APPROVAL_TIMEOUT_MINUTES). */
  readonly approvalTimeoutMinutes: number;
  /**
   * Restore call → restored instance available, in minutes, before a regional-restore execution
   * fails (the failover function's RESTORE_TIMEOUT_MINUTES).
   */
  readonly restoreTimeoutMinutes: number;
  /**
   * EventBridge schedule expression of the restore test (`tap:restoreTestSchedule`, default
   * `cron(0 3 ? * SUN *)`), or `null` for `off`: no schedules (the state machine stays, so an
   * operator can still start a test by hand).
   */
  readonly restoreTestSchedule: string | null;
  /** Fewest heartbeat rows the restored copy must hold for a restore test to pass (`tap:restoreTestMinRows`). */
  readonly restoreTestMinRows: number;
}

/**
 * The instance that takes writes: `primary` = `rds-primary-<suffix>`, `replica` =
 * `rds-replica-<suffix>` (promoted by a failover), `restored` = `rds-restored-<suffix>` (created in
 * the DR region by a regional restore).
 */
export type ActiveWriter = "primary" | "replica" | "restored";

/** Values `tap:activeWriter` accepts. */
export const ACTIVE_WRITERS: readonly ActiveWriter[] = ["primary", "replica", "restored"];

/** One rejected value. */
export interface ConfigProblem {
  /** Fully-qualified key, e.g. `tap:replicaRegion`. */
  readonly key: string;
  /** The value as given (`<unset>` when missing). */
  readonly value: string;
  /** What is wrong and how to fix it. */
  readonly fix: string;
}

/** Thrown when one or more config values are invalid; `problems` lists each one. */
export class ConfigValidationError extends Error {
  constructor(public readonly problems: readonly ConfigProblem[]) {
    super(
      `Invalid TapStack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p.key} = ${p.value}: ${p.fix}`).join("\n"),
    );
    this.name = "ConfigValidationError";
  }
}

/** Raw values as Pulumi stores them: strings, lists and objects JSON-encoded. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

/** The stack region key; not under `tap:` because Pulumi's AWS provider owns it. */
export const STACK_REGION_KEY = "aws:region";
/** DR region when the stack sets no `aws:region`. */
export const DEFAULT_DR_REGION = "ap-southeast-1";

/**
 * Default `tap:restoreTimeoutMinutes`: three hours, the "up to a few hours" AWS gives a cross-region
 * point-in-time restore (aws-behaviour.md §1.6) with room to spare.
 */
export const DEFAULT_RESTORE_TIMEOUT_MINUTES = 180;

/** Defaults of every optional `tap:` key (`environmentSuffix` is required, `hostedZoneName` derived). */
export const DEFAULTS = {
  owner: "platform-team",
  primaryRegion: "ap-southeast-2",
  engineVersion: "14",
  instanceClass: "db.t3.medium",
  allocatedStorageGb: 50,
  maxAllocatedStorageGb: 200,
  backupRetentionDays: 7,
  maxReplicationLagSeconds: DEFAULT_POLICY.maxReplicationLagSeconds,
  alertEmails: [] as readonly string[],
  allowedClientCidrs: [] as readonly string[],
  multiAz: false,
  deletionProtection: false,
  primaryVpcCidr: "10.20.0.0/16",
  drVpcCidr: "10.30.0.0/16",
  databaseName: "app",
  masterUsername: "tap_admin",
  dnsTtlSeconds: 30,
  cpuAlarmPercent: 80,
  /** About 80% of max_connections on db.t3.medium (LEAST(DBInstanceClassMemory/9531392, 5000) ≈ 410). */
  connectionsAlarmCount: 320,
  freeStorageAlarmPercent: 10,
  freeableMemoryAlarmMb: 256,
  writeLatencyAlarmMs: 20,
  performanceInsightsRetentionDays: 7,
  noncurrentTransitionDays: 30,
  noncurrentExpirationDays: 365,
  activeWriter: "primary",
  keepOldWriter: true,
  promotionTimeoutMinutes: DEFAULT_PROMOTION_TIMEOUT_MINUTES,
  approvalTimeoutMinutes: DEFAULT_APPROVAL_TIMEOUT_MINUTES,
  regionalRestore: DEFAULT_POLICY.regionalRestore,
  restoreConfirmationMinutes: DEFAULT_POLICY.restoreConfirmationMinutes,
  restoreTimeoutMinutes: DEFAULT_RESTORE_TIMEOUT_MINUTES,
  /** Weekly, Sunday 03:00 UTC (EventBridge cron expressions are in UTC). */
  restoreTestSchedule: "cron(0 3 ? * SUN *)",
  restoreTestMinRows: 1,
} as const;

/** `tap:restoreTestSchedule` value that turns the scheduled restore tests off. */
export const RESTORE_TEST_SCHEDULE_OFF = "off";
/** Accepted `tap:restoreTestMinRows`: at least one heartbeat row, at most what a 32-bit count comfortably holds. */
export const RESTORE_TEST_MIN_ROWS_RANGE = { min: 1, max: 1_000_000_000 } as const;
/**
 * Accepted `rate(...)` of `tap:restoreTestSchedule`, in days: at most one test a day (each one
 * runs an instance for its duration, and two at once would both restore into
 * `rds-restore-test-<suffix>`), at least one a week (the stale alarm fires after 8 days).
 */
export const RESTORE_TEST_RATE_DAYS = { min: 1, max: 7 } as const;

/**
 * Accepted `tap:promotionTimeoutMinutes`: RDS promotes in minutes, so less than 5 would fail
 * healthy promotions; at most what the failover function accepts (a day).
 */
export const PROMOTION_TIMEOUT_RANGE = { min: 5, max: MAX_PROMOTION_TIMEOUT_MINUTES } as const;
/**
 * Accepted `tap:approvalTimeoutMinutes`: a page needs a quarter of an hour to be answered at the
 * least; at most what the failover function accepts (two days, within the execution's three-day limit).
 */
export const APPROVAL_TIMEOUT_RANGE = { min: 15, max: MAX_APPROVAL_TIMEOUT_MINUTES } as const;

/**
 * Accepted `tap:restoreTimeoutMinutes` (restore call → restored instance available): AWS puts a
 * cross-region point-in-time restore's RTO at "up to a few hours" (aws-behaviour.md §1.6: the
 * nearest snapshot is restored, then the logs are replayed), so less than half an hour would fail
 * healthy restores; more than 12 hours leaves the database down past any recovery objective
 * without anyone told that the restore did not finish.
 */
export const RESTORE_TIMEOUT_RANGE = { min: 30, max: 12 * 60 } as const;
/**
 * Accepted `tap:restoreConfirmationMinutes`: whole minutes, from 5, within the policy's own range
 * (which admits the drill's fractions of a minute). The replicated logs trail by up to 5 minutes
 * (reference §1.6): a shorter window could restore before the last shipment arrived.
 */
export const RESTORE_CONFIRMATION_RANGE = {
  min: 5,
  max: POLICY_RANGES.restoreConfirmationMinutes.max,
  integer: true,
} as const;

/** Every key under `tap:` the program reads. */
export const CONFIG_KEYS: readonly string[] = [
  "environmentSuffix",
  "replicaRegion",
  "hostedZoneName",
  ...Object.keys(DEFAULTS),
];

const SUFFIX_PATTERN = /^[a-z0-9]+(-[a-z0-9]+)*$/;
// RFC 5322 is far wider; this is the shape SNS email subscriptions accept in practice.
const EMAIL_PATTERN = /^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$/;
const ENGINE_VERSION_PATTERN = /^14(\.\d+)?$/;
const INSTANCE_CLASS_PATTERN = /^db\.[a-z0-9]+\.[a-z0-9]+$/;
// PostgreSQL identifiers RDS accepts for the database and master user: letter first, max 63.
const PG_IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
const ZONE_NAME_PATTERN = /^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
// Names RDS reserves for the master user (CreateDBInstance MasterUsername).
const RESERVED_USERNAMES = new Set(["postgres", "rdsadmin", "rds_superuser", "admin", "root"]);

/** A parsed IPv4 CIDR. */
export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly network: number;
  readonly prefixLength: number;
}

/**
 * Parses `a.b.c.d/n`; returns a reason string instead when it is not a canonical IPv4 CIDR
 * (host bits set are refused: AWS would silently widen or reject it).
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | string {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!m) return "is not an IPv4 CIDR like 10.0.0.0/16";
  const octets = m.slice(1, 5).map(Number);
  const prefixLength = Number(m[5]);
  if (octets.some((o) => o > 255)) return "has an octet above 255";
  if (prefixLength > 32) return "has a prefix length above 32";
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) {
    const network = address - (address % size);
    return `has host bits set; did you mean ${formatIpv4(network)}/${prefixLength}?`;
  }
  return { network: address, prefixLength };
}

/** Formats an unsigned 32-bit address as dotted quad. */
export function formatIpv4(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}

/** True when two CIDRs share any address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const aEnd = a.network + 2 ** (32 - a.prefixLength);
  const bEnd = b.network + 2 ** (32 - b.prefixLength);
  return a.network < bEnd && b.network < aEnd;
}

/**
 * The private subnets of a VPC: the VPC split in four equal blocks, the first `count` used
 * (one per availability zone; the rest stays free for later tiers).
 */
export function privateSubnetCidrs(vpcCidr: string, count: number): string[] {
  const parsed = parseIpv4Cidr(vpcCidr);
  if (typeof parsed === "string") throw new Error(`VPC CIDR ${vpcCidr} ${parsed}`);
  const prefixLength = parsed.prefixLength + 2;
  const size = 2 ** (32 - prefixLength);
  return Array.from({ length: count }, (_, i) => `${formatIpv4(parsed.network + i * size)}/${prefixLength}`);
}

/** The fields of an EventBridge cron expression, in order, with their ranges and names. */
const CRON_FIELDS = [
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
  },
  { name: "day-of-week", min: 1, max: 7, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
  { name: "year", min: 1970, max: 2199 },
] as const;

/** Why one cron field is not valid EventBridge syntax, or undefined when it is. */
function cronFieldProblem(field: (typeof CRON_FIELDS)[number], text: string): string | undefined {
  const names: readonly string[] = "names" in field ? field.names : [];
  const value = (v: string): boolean => {
    const i = names.indexOf(v.toUpperCase());
    if (i >= 0) return true;
    return /^\d+$/.test(v) && Number(v) >= field.min && Number(v) <= field.max;
  };
  const wildcard = field.name === "day-of-month" || field.name === "day-of-week" ? /^[*?]$/ : /^\*$/;
  if (wildcard.test(text)) return undefined;
  for (const item of text.split(",")) {
    // a | a-b | a/n | a-b/n | */n, plus L and W (day of month) and L and # (day of week).
    const special =
      (field.name === "day-of-month" &&
        /^(L|LW|\d{1,2}W)$/.test(item) &&
        (item[0] === "L" || value(item.slice(0, -1)))) ||
      (field.name === "day-of-week" &&
        ((/^\w+L$/.test(item) && value(item.slice(0, -1))) ||
          (/^\w+#[1-5]$/.test(item) && value(item.split("#")[0]))));
    if (special) continue;
    const m = /^(\*|\w+)(?:-(\w+))?(?:\/(\d+))?$/.exec(item);
    // Day-of-week takes no increments; `*` alone is handled above, `*/n` needs its increment.
    const step = m?.[3];
    const ok =
      m !== null &&
      (m[1] === "*" ? m[2] === undefined && step !== undefined : value(m[1])) &&
      (m[2] === undefined || value(m[2])) &&
      (step === undefined || (field.name !== "day-of-week" && Number(step) >= 1));
    if (!ok) {
      return `its ${field.name} field "${text}" is not valid (${field.min}-${field.max}${names.length > 0 ? ` or ${names[0]}-${names[names.length - 1]}` : ""})`;
    }
  }
  return undefined;
}

/**
 * Why `text` is not an acceptable `tap:restoreTestSchedule`, or undefined when it is: `off`,
 * `rate(N day|days)` with N in {@link RESTORE_TEST_RATE_DAYS}, or an EventBridge cron expression
 * (six fields, UTC; https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html)
 * that runs at most once a day and at least once a week: one minute and one hour, every month and
 * year, and either every day (day-of-month `*`) or a set of weekdays (day-of-month `?`). Every
 * field is checked against its range and the characters EventBridge allows in it.
 */
export function restoreTestScheduleProblem(text: string): string | undefined {
  if (text === RESTORE_TEST_SCHEDULE_OFF) return undefined;
  const { min, max } = RESTORE_TEST_RATE_DAYS;
  const rate = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2];
    if (n === 0 || unit.endsWith("s") !== n > 1) {
      return `is not a valid rate: EventBridge wants a positive number and the singular unit for 1 (rate(1 day)), the plural otherwise (rate(7 days))`;
    }
    if (!unit.startsWith("day") || n < min || n > max) {
      return `runs a restore test every ${n} ${unit}; use rate(N days) with N from ${min} to ${max}: at most one test a day (each one restores into rds-restore-test-<suffix>), at least one a week (the stale alarm fires after 8 days)`;
    }
    return undefined;
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (!cron) return `is neither "${RESTORE_TEST_SCHEDULE_OFF}", rate(...) nor cron(...)`;
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    return `has ${fields.length} cron fields; EventBridge wants ${CRON_FIELDS.length}: minutes hours day-of-month month day-of-week year`;
  }
  for (const [i, field] of CRON_FIELDS.entries()) {
    const p = cronFieldProblem(field, fields[i]);
    if (p) return p;
  }
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = fields;
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
    return "must have ? in exactly one of day-of-month and day-of-week (EventBridge refuses both or neither)";
  }
  if (!/^\d+$/.test(minutes) || !/^\d+$/.test(hours)) {
    return `runs more than once a day (minutes "${minutes}", hours "${hours}"); give one minute and one hour: each test restores into rds-restore-test-<suffix>`;
  }
  if (
    month !== "*" ||
    year !== "*" ||
    (dayOfMonth !== "*" && dayOfMonth !== "?") ||
    /[L#]/i.test(dayOfWeek)
  ) {
    return "may leave more than a week between tests (the stale alarm fires after 8 days); run every day (day-of-month *) or on weekdays (day-of-month ?, day-of-week such as SUN or MON,THU), every month and year";
  }
  return undefined;
}

/**
 * Validates raw config values (keys without the `tap:` prefix, plus `aws:region`) and returns
 * the typed config, or throws {@link ConfigValidationError} listing every problem.
 */
export function validateConfig(raw: RawConfig): TapConfig {
  const problems: ConfigProblem[] = [];
  const problem = (key: string, value: string | undefined, fix: string): void => {
    problems.push({
      key: key === STACK_REGION_KEY ? key : `${PROJECT}:${key}`,
      value: value === undefined ? "<unset>" : JSON.stringify(value),
      fix,
    });
  };

  for (const key of Object.keys(raw)) {
    if (key !== STACK_REGION_KEY && !CONFIG_KEYS.includes(key) && raw[key] !== undefined) {
      problem(key, raw[key], `unknown key (a typo?); known keys: ${CONFIG_KEYS.join(", ")}`);
    }
  }

  const str = (key: keyof typeof DEFAULTS): string => {
    const v = raw[key];
    return v === undefined || v === "" ? String(DEFAULTS[key]) : v;
  };
  const int = (key: keyof typeof DEFAULTS, min: number, max: number, unit: string): number => {
    const text = raw[key];
    if (text === undefined || text === "") return DEFAULTS[key] as number;
    const n = Number(text);
    // Both ends are accepted, as the message says (7 days of Performance Insights, 30 days to IA).
    if (!Number.isInteger(n) || n < min || n > max) {
      problem(key, text, `must be a whole number of ${unit} from ${min} to ${max}`);
      return DEFAULTS[key] as number;
    }
    return n;
  };
  const bool = (key: keyof typeof DEFAULTS): boolean => {
    const text = raw[key];
    if (text === undefined || text === "") return DEFAULTS[key] as boolean;
    if (text === "true" || text === "false") return text === "true";
    problem(key, text, "must be true or false");
    return DEFAULTS[key] as boolean;
  };
  const list = (key: keyof typeof DEFAULTS, example: string): string[] => {
    const text = raw[key];
    if (text === undefined || text === "") return [...(DEFAULTS[key] as readonly string[])];
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.some((e) => typeof e !== "string")) {
      problem(key, text, `must be a list of strings, e.g. pulumi config set --path '${key}[0]' ${example}`);
      return [];
    }
    return parsed as string[];
  };

  // environmentSuffix: part of RDS identifiers and S3 bucket names (lowercase, digits, hyphens).
  const environmentSuffix = raw.environmentSuffix ?? "";
  const maxSuffix = maxEnvironmentSuffixLength();
  if (environmentSuffix === "") {
    problem(
      "environmentSuffix",
      raw.environmentSuffix,
      "is required, e.g. pulumi config set environmentSuffix dev",
    );
  } else if (!SUFFIX_PATTERN.test(environmentSuffix)) {
    problem(
      "environmentSuffix",
      environmentSuffix,
      "must be lowercase letters and digits, optionally separated by single hyphens (RDS identifiers and S3 bucket names allow nothing else), e.g. dev or pr-42",
    );
  } else if (environmentSuffix.length > maxSuffix) {
    const longest = NAME_LIMITS.map((l) => ({ l, name: l.build(environmentSuffix) })).find(
      ({ l, name }) => name.length > l.maxLength,
    );
    problem(
      "environmentSuffix",
      environmentSuffix,
      `is ${environmentSuffix.length} characters; at most ${maxSuffix} fit, because the ${longest?.l.resource} name would be ${longest?.name.length} characters (limit ${longest?.l.maxLength})`,
    );
  }

  const owner = str("owner");
  if (!/^[\p{L}\p{N}\s_.:/=+\-@]{1,256}$/u.test(owner)) {
    problem(
      "owner",
      owner,
      "must be 1-256 characters allowed in AWS tag values (letters, digits, spaces, _.:/=+-@)",
    );
  }

  const region = (key: "primaryRegion" | "replicaRegion" | typeof STACK_REGION_KEY, value: string): void => {
    if (!AWS_REGIONS.has(value)) {
      problem(key, value, `is not an AWS region; use one of ${[...AWS_REGIONS].join(", ")}`);
    }
  };
  const primaryRegion = str("primaryRegion");
  region("primaryRegion", primaryRegion);
  const drRegion = raw[STACK_REGION_KEY] || DEFAULT_DR_REGION;
  region(STACK_REGION_KEY, drRegion);
  if (drRegion === primaryRegion) {
    problem(
      STACK_REGION_KEY,
      drRegion,
      `the stack (DR) region must differ from tap:primaryRegion (${primaryRegion}), or the monitor and backups die with the primary; e.g. pulumi config set aws:region ap-southeast-1`,
    );
  }
  const replicaRegion = raw.replicaRegion || primaryRegion;
  if (raw.replicaRegion) region("replicaRegion", replicaRegion);
  if (AWS_REGIONS.has(replicaRegion) && replicaRegion !== primaryRegion && replicaRegion !== drRegion) {
    problem(
      "replicaRegion",
      replicaRegion,
      `must be the primary region (${primaryRegion}, same-region replica) or the stack's DR region (${drRegion}, cross-region replica)`,
    );
  }

  const engineVersion = str("engineVersion");
  if (!ENGINE_VERSION_PATTERN.test(engineVersion)) {
    problem(
      "engineVersion",
      engineVersion,
      'must be PostgreSQL 14: "14" (latest minor, auto-upgraded) or an exact minor such as "14.15"; the parameter group family is postgres14',
    );
  }

  const instanceClass = str("instanceClass");
  if (!INSTANCE_CLASS_PATTERN.test(instanceClass)) {
    problem(
      "instanceClass",
      instanceClass,
      "must be an RDS instance class such as db.t3.medium or db.r6g.large",
    );
  }

  // gp3 needs at least 20 GiB; RDS caps PostgreSQL at 64 TiB.
  const allocatedStorageGb = int("allocatedStorageGb", 20, 65536, "GiB");
  const maxAllocatedStorageGb = int("maxAllocatedStorageGb", 20, 65536, "GiB");
  if (maxAllocatedStorageGb < allocatedStorageGb) {
    problem(
      "maxAllocatedStorageGb",
      String(maxAllocatedStorageGb),
      `must be at least tap:allocatedStorageGb (${allocatedStorageGb}); storage autoscaling only grows`,
    );
  }
  // 0 would disable backups, and RDS refuses read replicas of a source without backups.
  const backupRetentionDays = int("backupRetentionDays", 1, 35, "days");

  const lagText = raw.maxReplicationLagSeconds;
  let maxReplicationLagSeconds: number = DEFAULTS.maxReplicationLagSeconds;
  if (lagText !== undefined && lagText !== "") {
    const n = Number(lagText);
    const { min, max } = MAX_REPLICATION_LAG_RANGE;
    if (!Number.isInteger(n) || n <= min || n > max) {
      problem(
        "maxReplicationLagSeconds",
        lagText,
        `must be a whole number of seconds above ${min} and at most ${max}; it is the replica-lag alarm threshold, which the mandatory policy caps at ${max} s, and the failover data-loss guard`,
      );
    } else {
      maxReplicationLagSeconds = n;
    }
  }
  // The regional-restore fields are judged by the policy's own validation (`policyProblems`), each
  // alone on DEFAULT_POLICY so that a refusal is reported against the key that caused it; a refused
  // value falls back to its default so the whole policy is checked once below with the rest.
  const refusedAlone = (field: "regionalRestore" | "restoreConfirmationMinutes", value: unknown): boolean =>
    policyProblems({ ...DEFAULT_POLICY, [field]: value }).length > 0;
  const restoreModeText = raw.regionalRestore;
  let regionalRestore: RegionalRestoreMode = DEFAULTS.regionalRestore;
  if (restoreModeText !== undefined && restoreModeText !== "") {
    if (refusedAlone("regionalRestore", restoreModeText)) {
      problem(
        "regionalRestore",
        restoreModeText,
        `must be one of ${REGIONAL_RESTORE_MODES.join(", ")} (default ${DEFAULTS.regionalRestore}): what a lost writer region with no promotable replica leads to. ` +
          "auto restores a new writer in the DR region from the replicated automated backups, approve waits for an operator's approval first, off only alerts; e.g. pulumi config set tap:regionalRestore approve",
      );
    } else {
      regionalRestore = restoreModeText as RegionalRestoreMode;
    }
  }
  const confirmationText = raw.restoreConfirmationMinutes;
  let restoreConfirmationMinutes: number = DEFAULTS.restoreConfirmationMinutes;
  if (confirmationText !== undefined && confirmationText !== "") {
    const n = Number(confirmationText);
    const { min, max } = RESTORE_CONFIRMATION_RANGE;
    if (!Number.isInteger(n) || n < min || n > max || refusedAlone("restoreConfirmationMinutes", n)) {
      problem(
        "restoreConfirmationMinutes",
        confirmationText,
        `must be a whole number of minutes from ${min} to ${max} (default ${DEFAULTS.restoreConfirmationMinutes}): how long a regional loss must last, from the first failed probe, before a restore starts`,
      );
    } else {
      restoreConfirmationMinutes = n;
    }
  }
  // The one validation of the policy: a value it refuses is reported here, before any resource is
  // declared, rather than by the functions at their first cold start.
  const failoverPolicy: FailoverPolicy = Object.freeze({
    ...DEFAULT_POLICY,
    maxReplicationLagSeconds,
    regionalRestore,
    restoreConfirmationMinutes,
  });
  for (const policyProblem of policyProblems(failoverPolicy)) {
    problem(
      "maxReplicationLagSeconds",
      lagText,
      `with the other values of DEFAULT_POLICY (lib/lambda/core/policy.ts) it gives an invalid failover policy: ${policyProblem}`,
    );
  }

  const alertEmails = list("alertEmails", "oncall@example.com");
  for (const email of alertEmails) {
    if (!EMAIL_PATTERN.test(email)) {
      problem("alertEmails", email, "is not an email address like oncall@example.com");
    }
  }

  const allowedClientCidrs = list("allowedClientCidrs", "10.20.0.0/16");
  for (const cidr of allowedClientCidrs) {
    const parsed = parseIpv4Cidr(cidr);
    if (typeof parsed === "string") {
      problem("allowedClientCidrs", cidr, `${parsed}`);
    } else if (parsed.prefixLength < 8) {
      problem(
        "allowedClientCidrs",
        cidr,
        "opens PostgreSQL to far too much of the address space (nothing wider than /8, never 0.0.0.0/0); list the client networks instead",
      );
    }
  }

  const vpcCidr = (key: "primaryVpcCidr" | "drVpcCidr"): Ipv4Cidr | undefined => {
    const value = str(key);
    const parsed = parseIpv4Cidr(value);
    if (typeof parsed === "string") {
      problem(key, value, `${parsed}`);
      return undefined;
    }
    // AWS VPCs are /16../28; four subnets of at least /28 need a /26 or larger.
    if (parsed.prefixLength < 16 || parsed.prefixLength > 26) {
      problem(key, value, "must have a prefix length from /16 to /26 (AWS VPC limits, four subnets per VPC)");
      return undefined;
    }
    return parsed;
  };
  const primaryVpc = vpcCidr("primaryVpcCidr");
  const drVpc = vpcCidr("drVpcCidr");
  if (primaryVpc && drVpc && cidrsOverlap(primaryVpc, drVpc)) {
    problem(
      "drVpcCidr",
      str("drVpcCidr"),
      `overlaps tap:primaryVpcCidr (${str("primaryVpcCidr")}); VPC peering needs disjoint ranges`,
    );
  }

  const databaseName = str("databaseName");
  if (!PG_IDENTIFIER_PATTERN.test(databaseName)) {
    problem(
      "databaseName",
      databaseName,
      "must start with a lowercase letter and contain only a-z, 0-9, _ (max 63)",
    );
  }
  const masterUsername = str("masterUsername");
  if (!PG_IDENTIFIER_PATTERN.test(masterUsername) || RESERVED_USERNAMES.has(masterUsername)) {
    problem(
      "masterUsername",
      masterUsername,
      `must start with a lowercase letter, contain only a-z, 0-9, _ and not be reserved (${[...RESERVED_USERNAMES].join(", ")})`,
    );
  }

  // The derived default is a valid DNS name whenever the suffix is valid, so only an explicit
  // value is checked (a bad suffix is reported once, under its own key).
  const hostedZoneName = raw.hostedZoneName || `${environmentSuffix}.tapstack.internal`;
  if (raw.hostedZoneName && !ZONE_NAME_PATTERN.test(hostedZoneName)) {
    problem(
      "hostedZoneName",
      hostedZoneName,
      "must be a lowercase DNS name such as dev.tapstack.internal (no trailing dot)",
    );
  }

  const dnsTtlSeconds = int("dnsTtlSeconds", 5, 300, "seconds");
  const cpuAlarmPercent = int("cpuAlarmPercent", 1, 100, "percent");
  const connectionsAlarmCount = int("connectionsAlarmCount", 1, 5000, "connections");
  const freeStorageAlarmPercent = int("freeStorageAlarmPercent", 1, 99, "percent");
  const freeableMemoryAlarmMb = int("freeableMemoryAlarmMb", 1, 1048576, "MiB");
  const writeLatencyAlarmMs = int("writeLatencyAlarmMs", 1, 60000, "milliseconds");
  const performanceInsightsRetentionDays = int("performanceInsightsRetentionDays", 7, 731, "days");
  // RDS accepts 7, 731, or a multiple of 31 (CreateDBInstance PerformanceInsightsRetentionPeriod).
  if (
    performanceInsightsRetentionDays !== 7 &&
    performanceInsightsRetentionDays !== 731 &&
    performanceInsightsRetentionDays % 31 !== 0
  ) {
    problem(
      "performanceInsightsRetentionDays",
      String(performanceInsightsRetentionDays),
      "must be 7, 731, or a multiple of 31 (RDS accepts nothing else)",
    );
  }
  // S3 refuses transitions to STANDARD_IA before 30 days.
  const noncurrentTransitionDays = int("noncurrentTransitionDays", 30, 3650, "days");
  const noncurrentExpirationDays = int("noncurrentExpirationDays", 1, 36500, "days");
  if (noncurrentExpirationDays <= noncurrentTransitionDays) {
    problem(
      "noncurrentExpirationDays",
      String(noncurrentExpirationDays),
      `must be greater than tap:noncurrentTransitionDays (${noncurrentTransitionDays}); a version cannot move to STANDARD_IA after it is deleted`,
    );
  }

  const promotionTimeoutMinutes = int(
    "promotionTimeoutMinutes",
    PROMOTION_TIMEOUT_RANGE.min,
    PROMOTION_TIMEOUT_RANGE.max,
    "minutes",
  );
  const approvalTimeoutMinutes = int(
    "approvalTimeoutMinutes",
    APPROVAL_TIMEOUT_RANGE.min,
    APPROVAL_TIMEOUT_RANGE.max,
    "minutes",
  );
  const restoreTimeoutMinutes = int(
    "restoreTimeoutMinutes",
    RESTORE_TIMEOUT_RANGE.min,
    RESTORE_TIMEOUT_RANGE.max,
    "minutes",
  );

  const restoreTestScheduleText = str("restoreTestSchedule");
  const scheduleProblem = restoreTestScheduleProblem(restoreTestScheduleText);
  if (scheduleProblem !== undefined) {
    problem(
      "restoreTestSchedule",
      restoreTestScheduleText,
      `${scheduleProblem}. Use an EventBridge expression in UTC such as ${DEFAULTS.restoreTestSchedule} (the default, Sunday 03:00) or rate(7 days), or ${RESTORE_TEST_SCHEDULE_OFF} to stop scheduled restore tests; e.g. pulumi config set tap:restoreTestSchedule "cron(0 3 ? * SUN *)"`,
    );
  }
  const restoreTestSchedule =
    restoreTestScheduleText === RESTORE_TEST_SCHEDULE_OFF ? null : restoreTestScheduleText;
  const restoreTestMinRows = int(
    "restoreTestMinRows",
    RESTORE_TEST_MIN_ROWS_RANGE.min,
    RESTORE_TEST_MIN_ROWS_RANGE.max,
    "heartbeat rows (the fewest the restored copy must hold for a restore test to pass)",
  );

  const multiAz = bool("multiAz");
  const deletionProtection = bool("deletionProtection");
  const keepOldWriter = bool("keepOldWriter");
  const activeWriterText = str("activeWriter");
  let activeWriter: ActiveWriter = DEFAULTS.activeWriter;
  if ((ACTIVE_WRITERS as readonly string[]).includes(activeWriterText)) {
    activeWriter = activeWriterText as ActiveWriter;
  } else {
    problem(
      "activeWriter",
      activeWriterText,
      `must be primary (rds-primary-${environmentSuffix || "<suffix>"} takes writes), replica (rds-replica-${environmentSuffix || "<suffix>"} was promoted and takes writes) or restored (rds-restored-${environmentSuffix || "<suffix>"} was created by a regional restore and takes writes), e.g. pulumi config set tap:activeWriter replica`,
    );
  }

  if (problems.length > 0) throw new ConfigValidationError(problems);

  return {
    environmentSuffix,
    owner,
    primaryRegion,
    drRegion,
    replicaRegion,
    engineVersion,
    parameterGroupFamily: "postgres14",
    instanceClass,
    allocatedStorageGb,
    maxAllocatedStorageGb,
    backupRetentionDays,
    failoverPolicy,
    alertEmails,
    allowedClientCidrs,
    multiAz,
    deletionProtection,
    primaryVpcCidr: str("primaryVpcCidr"),
    drVpcCidr: str("drVpcCidr"),
    databaseName,
    masterUsername,
    hostedZoneName,
    dnsTtlSeconds,
    cpuAlarmPercent,
    connectionsAlarmCount,
    freeStorageAlarmPercent,
    freeableMemoryAlarmMb,
    writeLatencyAlarmMs,
    performanceInsightsRetentionDays,
    noncurrentTransitionDays,
    noncurrentExpirationDays,
    activeWriter,
    keepOldWriter,
    promotionTimeoutMinutes,
    approvalTimeoutMinutes,
    restoreTimeoutMinutes,
    restoreTestSchedule,
    restoreTestMinRows,
  };
}

/** True when the replica lives in the DR region (cross-region replica). */
export function isCrossRegionReplica(config: Pick<TapConfig, "primaryRegion" | "replicaRegion">): boolean {
  return config.replicaRegion !== config.primaryRegion;
}
