/**
 * Timeline files: one JSON document describes one simulated run (placement, AWS timings, workload,
 * faults). Parsed and validated before anything runs; a malformed timeline is refused with the
 * field, the value and the fix.
 *
 * Hand-written validation rather than a JSON-Schema library: the refusal must name the fix for each
 * field (a schema validator reports only what is wrong), and the rules across fields (a fault after
 * the end of the run, a step name that no function runs) are not expressible in a schema anyway.
 */

export const PLACEMENTS = ["same-region", "cross-region"] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const SERVICES = ["rds", "ec2", "route53", "cloudwatch", "sns", "s3", "sfn"] as const;
export type FaultService = (typeof SERVICES)[number];

/** Where an API fault applies: a role of the placement, or a literal region code. */
export const REGION_ALIASES = ["primary", "replica", "dr", "global"] as const;

/** Statuses RDS may show for an instance whose host died (reference §1.1, §1.3: which one is UNCONFIRMED). */
export const DEAD_STATUSES = [
  "failed",
  "inaccessible-encryption-credentials",
  "rebooting",
  "available",
] as const;

/** Where a crash or a stall is injected: right after `command` reached AWS, in an invocation running `task`. */
export interface CrashPoint {
  /** The step runner's task the invocation runs (the step runner serves every task). */
  readonly task?: string;
  readonly command: string;
}

/**
 * The points of each function a crash or a stall can be injected at. The failover function only
 * decides and starts the workflow; the workflow's steps run in the step runner, one task per
 * invocation.
 */
export const CRASH_POINTS = {
  failover: {
    "start-execution": { command: "StartExecution" },
  },
  "step-runner": {
    "notify-start": { task: "notify-start", command: "Publish" },
    "fence-old-primary": { task: "fence-old-primary", command: "RevokeSecurityGroupIngress" },
    "reboot-old-primary": { task: "fence-old-primary", command: "RebootDBInstance" },
    "promote-replica": { task: "promote-replica", command: "PromoteReadReplica" },
    "check-writable": { task: "check-writable", command: "DescribeDBInstances" },
    "switch-writer": { task: "switch-writer", command: "ChangeResourceRecordSets" },
    "enable-backups": { task: "enable-backups", command: "ModifyDBInstance" },
    "write-report": { task: "write-report", command: "PutObject" },
    "notify-success": { task: "notify-success", command: "Publish" },
    "restore-from-backup": { task: "restore-from-backup", command: "RestoreDBInstanceToPointInTime" },
  },
} as const satisfies Record<string, Record<string, CrashPoint>>;

/** The functions whose invocations a fault can crash or stall (the monitor has no points: it dies part-way). */
export const FAULT_FUNCTIONS = ["monitor", "failover", "step-runner"] as const;
export type FaultFunction = (typeof FAULT_FUNCTIONS)[number];

export const TRIGGER_PATHS = ["both", "monitor", "alarm"] as const;
export type TriggerPath = (typeof TRIGGER_PATHS)[number];

export type Fault =
  | { readonly kind: "primary-dies"; readonly atMinute: number; readonly forMinutes?: number }
  | { readonly kind: "primary-reboot"; readonly atMinute: number; readonly forMinutes: number }
  | { readonly kind: "primary-storage-full"; readonly atMinute: number; readonly forMinutes?: number }
  | {
      readonly kind: "primary-refuses";
      readonly atMinute: number;
      readonly forMinutes?: number;
      /** What the server says to every new session, e.g. "too many connections". */
      readonly detail: string;
    }
  | {
      readonly kind: "replica-lag";
      readonly atMinute: number;
      readonly seconds: number;
      readonly forMinutes?: number;
    }
  | { readonly kind: "replica-dies"; readonly atMinute: number }
  /**
   * The primary's region is lost for good: every instance in it dies, and its RDS, EC2 and
   * CloudWatch APIs stop answering (connections time out).
   */
  | { readonly kind: "region-lost"; readonly atMinute: number }
  | {
      readonly kind: "api-throttle" | "api-errors" | "api-blackhole";
      readonly atMinute: number;
      readonly forMinutes?: number;
      readonly service: FaultService;
      readonly region: string;
    }
  | { readonly kind: "probe-path-down"; readonly atMinute: number; readonly forMinutes?: number }
  | {
      readonly kind: "function-crash";
      readonly atMinute: number;
      readonly function: FaultFunction;
      /** Failover and step runner: the point at which it dies ({@link CRASH_POINTS}). Monitor: omitted. */
      readonly step?: string;
      /** How many invocations die this way (default 1). */
      readonly times?: number;
    }
  /**
   * The step runner's call at `step` never returns (a stalled connection the SDK's request timeout
   * does not cover, a hung runtime): the invocation makes no more progress until Lambda's timeout
   * ends it, which Step Functions reports as `Lambda.Unknown`.
   */
  | {
      readonly kind: "function-timeout";
      readonly atMinute: number;
      readonly function: "step-runner";
      readonly step: string;
      readonly times?: number;
    }
  | { readonly kind: "duplicate-events"; readonly atMinute: number; readonly forMinutes?: number }
  | { readonly kind: "lost-events"; readonly atMinute: number; readonly forMinutes?: number }
  | { readonly kind: "switchover-request"; readonly atMinute: number }
  /**
   * The primary carries a `tap:fenced-at` tag from an earlier incident although it was put back into
   * service (its client ingress restored), as after a failback.
   */
  | { readonly kind: "stale-fence-tag"; readonly atMinute: number }
  | { readonly kind: "manual-failover"; readonly atMinute: number; readonly acceptDataLoss: boolean };

export type FaultKind = Fault["kind"];

export const FAULT_KINDS: readonly FaultKind[] = [
  "primary-dies",
  "primary-reboot",
  "primary-storage-full",
  "primary-refuses",
  "replica-lag",
  "replica-dies",
  "region-lost",
  "api-throttle",
  "api-errors",
  "api-blackhole",
  "probe-path-down",
  "function-crash",
  "function-timeout",
  "duplicate-events",
  "lost-events",
  "switchover-request",
  "stale-fence-tag",
  "manual-failover",
];

/** Longest promotion a timeline may ask for: beyond the workflow's promotion timeout (45 min by default). */
export const MAX_PROMOTION_SECONDS = 3 * 3600;

/** AWS timings of the run (reference facts give the ranges; the timeline picks a point). */
export interface AwsTimings {
  /** PromoteReadReplica call → standalone and available (reference §1.2: "a few minutes", no number). */
  readonly promotionSeconds: number;
  /** Host death → RDS shows `deadStatus` (reference §1.3: UNCONFIRMED, so 0–600 s is explored). */
  readonly rdsStatusDelaySeconds: number;
  readonly deadStatus: (typeof DEAD_STATUSES)[number];
  /** ChangeResourceRecordSets → GetChange INSYNC (reference §4: generally within 60 s). */
  readonly route53InsyncSeconds: number;
  /** EMF line / PutMetricData → queryable (reference §5: UNCONFIRMED; default 60 s, worse than typical). */
  readonly metricIngestionSeconds: number;
  /** RebootDBInstance → available again. */
  readonly rebootSeconds: number;
  /**
   * Status sequence during promotion (reference §1.2: UNCONFIRMED), and whether
   * `ReadReplicaSourceDBInstanceIdentifier` clears at the start or at the end.
   */
  readonly promotionSequence: "modifying" | "modifying-rebooting" | "modifying-rebooting-backing-up";
  readonly sourceClears: "start" | "end";
  /**
   * RestoreDBInstanceToPointInTime call → the restored instance available (reference §1.6: "up to
   * a few hours", growing with the logs to replay; 10–120 min explored).
   */
  readonly restoreSeconds: number;
  /** Whether RDS replicates the primary's automated backups to the DR region (the stack turns it on). */
  readonly backupsReplicated: boolean;
  /**
   * DeleteDBInstance (SkipFinalSnapshot) → the instance gone from DescribeDBInstances. The reference
   * (§1.6) documents the `deleting` status but no duration: an assumption, a few minutes (300 s).
   */
  readonly deleteSeconds: number;
}

/**
 * A restore-test execution started at a timeline minute: by its EventBridge schedule (the weekly
 * `{"mode":"test"}` or the daily `{"mode":"freshness"}` rule, which names executions with UUIDs) or
 * by an operator's `start-execution` (`by: "operator"`). Timelines pick the minute instead of
 * waiting for Sunday 03:00 UTC.
 */
export interface RestoreTestStart {
  readonly atMinute: number;
  readonly mode: "test" | "freshness";
  readonly by: "schedule" | "operator";
}

export interface Timeline {
  readonly name: string;
  readonly placement: Placement;
  readonly seed: number;
  readonly durationMinutes: number;
  readonly aws: AwsTimings;
  readonly workload: { readonly commitsPerSecond: number };
  /** Which trigger reaches the failover function: both (as deployed), or only one (the other's events lost). */
  readonly triggerPath: TriggerPath;
  readonly faults: readonly Fault[];
  /** Restore-test executions to start (none by default). */
  readonly restoreTests: readonly RestoreTestStart[];
}

export const DEFAULT_AWS: AwsTimings = {
  promotionSeconds: 180,
  rdsStatusDelaySeconds: 60,
  deadStatus: "failed",
  route53InsyncSeconds: 45,
  metricIngestionSeconds: 60,
  rebootSeconds: 60,
  promotionSequence: "modifying-rebooting",
  sourceClears: "end",
  restoreSeconds: 1800,
  backupsReplicated: true,
  deleteSeconds: 300,
};

/** A timeline that cannot be run; the message names the field, the value and the fix. */
export class TimelineError extends Error {
  override readonly name = "TimelineError";
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : JSON.stringify(value);
}

class Reader {
  constructor(private readonly source: string) {}

  fail(field: string, value: unknown, fix: string): never {
    throw new TimelineError(`${this.source}: ${field} is ${show(value)}; ${fix}`);
  }

  number(
    obj: Json,
    key: string,
    path: string,
    min: number,
    max: number,
    fallback?: number,
    integer = false,
  ): number {
    const value = obj[key] ?? fallback;
    if (
      typeof value !== "number" ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    ) {
      this.fail(path, obj[key], `set it to a ${integer ? "whole " : ""}number from ${min} to ${max}`);
    }
    return value;
  }

  optionalNumber(obj: Json, key: string, path: string, min: number, max: number): number | undefined {
    return obj[key] === undefined ? undefined : this.number(obj, key, path, min, max);
  }

  oneOf<T extends string>(obj: Json, key: string, path: string, allowed: readonly T[], fallback?: T): T {
    const value = obj[key] ?? fallback;
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      this.fail(path, obj[key], `use one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`);
    }
    return value as T;
  }

  boolean(obj: Json, key: string, path: string, fallback: boolean): boolean {
    const value = obj[key] ?? fallback;
    if (typeof value !== "boolean") this.fail(path, obj[key], "use true or false");
    return value;
  }

  string(obj: Json, key: string, path: string): string {
    const value = obj[key];
    if (typeof value !== "string" || value.trim() === "") this.fail(path, value, "give a non-empty string");
    return value;
  }

  onlyKeys(obj: Json, path: string, allowed: readonly string[]): void {
    const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
    if (extra.length > 0) {
      this.fail(`${path}.${extra[0]}`, obj[extra[0]], `remove it; known keys here are ${allowed.join(", ")}`);
    }
  }
}

const REGION_CODE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Parses and validates one timeline; `source` names it in errors (a file path). */
export function parseTimeline(value: unknown, source = "timeline"): Timeline {
  const r = new Reader(source);
  if (!isRecord(value))
    return r.fail(
      "the document",
      value,
      "write a JSON object with name, placement, seed, durationMinutes, aws, workload, faults",
    );
  r.onlyKeys(value, "timeline", [
    "name",
    "placement",
    "seed",
    "durationMinutes",
    "aws",
    "workload",
    "triggerPath",
    "faults",
    "restoreTests",
  ]);
  const name = r.string(value, "name", "name");
  const placement = r.oneOf(value, "placement", "placement", PLACEMENTS);
  const seed = r.number(value, "seed", "seed", 0, 2 ** 32 - 1, undefined, true);
  const durationMinutes = r.number(value, "durationMinutes", "durationMinutes", 5, 24 * 60, undefined, true);
  const awsRaw = value.aws ?? {};
  if (!isRecord(awsRaw)) return r.fail("aws", awsRaw, "give an object of AWS timings");
  r.onlyKeys(awsRaw, "aws", Object.keys(DEFAULT_AWS));
  const aws: AwsTimings = {
    promotionSeconds: r.number(
      awsRaw,
      "promotionSeconds",
      "aws.promotionSeconds",
      60,
      MAX_PROMOTION_SECONDS,
      DEFAULT_AWS.promotionSeconds,
    ),
    rdsStatusDelaySeconds: r.number(
      awsRaw,
      "rdsStatusDelaySeconds",
      "aws.rdsStatusDelaySeconds",
      0,
      600,
      DEFAULT_AWS.rdsStatusDelaySeconds,
    ),
    deadStatus: r.oneOf(awsRaw, "deadStatus", "aws.deadStatus", DEAD_STATUSES, DEFAULT_AWS.deadStatus),
    route53InsyncSeconds: r.number(
      awsRaw,
      "route53InsyncSeconds",
      "aws.route53InsyncSeconds",
      1,
      300,
      DEFAULT_AWS.route53InsyncSeconds,
    ),
    metricIngestionSeconds: r.number(
      awsRaw,
      "metricIngestionSeconds",
      "aws.metricIngestionSeconds",
      0,
      300,
      DEFAULT_AWS.metricIngestionSeconds,
    ),
    rebootSeconds: r.number(awsRaw, "rebootSeconds", "aws.rebootSeconds", 10, 900, DEFAULT_AWS.rebootSeconds),
    promotionSequence: r.oneOf(
      awsRaw,
      "promotionSequence",
      "aws.promotionSequence",
      ["modifying", "modifying-rebooting", "modifying-rebooting-backing-up"] as const,
      DEFAULT_AWS.promotionSequence,
    ),
    sourceClears: r.oneOf(
      awsRaw,
      "sourceClears",
      "aws.sourceClears",
      ["start", "end"] as const,
      DEFAULT_AWS.sourceClears,
    ),
    restoreSeconds: r.number(
      awsRaw,
      "restoreSeconds",
      "aws.restoreSeconds",
      600,
      7200,
      DEFAULT_AWS.restoreSeconds,
    ),
    backupsReplicated: r.boolean(
      awsRaw,
      "backupsReplicated",
      "aws.backupsReplicated",
      DEFAULT_AWS.backupsReplicated,
    ),
    deleteSeconds: r.number(
      awsRaw,
      "deleteSeconds",
      "aws.deleteSeconds",
      30,
      3600,
      DEFAULT_AWS.deleteSeconds,
    ),
  };
  const workloadRaw = value.workload ?? {};
  if (!isRecord(workloadRaw))
    return r.fail("workload", workloadRaw, 'give an object like {"commitsPerSecond": 10}');
  r.onlyKeys(workloadRaw, "workload", ["commitsPerSecond"]);
  const workload = {
    commitsPerSecond: r.number(workloadRaw, "commitsPerSecond", "workload.commitsPerSecond", 0, 10_000, 10),
  };
  const triggerPath = r.oneOf(value, "triggerPath", "triggerPath", TRIGGER_PATHS, "both");
  if (!Array.isArray(value.faults))
    return r.fail("faults", value.faults, "give a list of faults (it may be empty)");
  const faults = value.faults.map((raw, index) => parseFault(r, raw, `faults[${index}]`, durationMinutes));
  const testsRaw = value.restoreTests ?? [];
  if (!Array.isArray(testsRaw))
    return r.fail("restoreTests", testsRaw, 'give a list like [{"atMinute": 1, "mode": "test"}]');
  const restoreTests = testsRaw.map((raw: unknown, index): RestoreTestStart => {
    const path = `restoreTests[${index}]`;
    if (!isRecord(raw)) return r.fail(path, raw, 'give an object like {"atMinute": 1, "mode": "test"}');
    r.onlyKeys(raw, path, ["atMinute", "mode", "by"]);
    return {
      atMinute: r.number(raw, "atMinute", `${path}.atMinute`, 0, durationMinutes - 1),
      mode: r.oneOf(raw, "mode", `${path}.mode`, ["test", "freshness"] as const),
      by: r.oneOf(raw, "by", `${path}.by`, ["schedule", "operator"] as const, "schedule"),
    };
  });
  return { name, placement, seed, durationMinutes, aws, workload, triggerPath, faults, restoreTests };
}

function parseFault(r: Reader, raw: unknown, path: string, durationMinutes: number): Fault {
  if (!isRecord(raw))
    return r.fail(path, raw, 'give an object like {"atMinute": 10, "kind": "primary-dies"}');
  const kind = r.oneOf(raw, "kind", `${path}.kind`, FAULT_KINDS);
  const atMinute = r.number(raw, "atMinute", `${path}.atMinute`, 0, durationMinutes - 1);
  const forMinutes = (): number | undefined =>
    r.optionalNumber(raw, "forMinutes", `${path}.forMinutes`, 0.05, durationMinutes);
  const keys = (...extra: string[]): void => r.onlyKeys(raw, path, ["kind", "atMinute", ...extra]);
  switch (kind) {
    case "primary-dies":
    case "primary-storage-full":
    case "probe-path-down":
    case "duplicate-events":
    case "lost-events":
      keys("forMinutes");
      return { kind, atMinute, forMinutes: forMinutes() };
    case "primary-reboot":
      keys("forMinutes");
      return {
        kind,
        atMinute,
        forMinutes: r.number(raw, "forMinutes", `${path}.forMinutes`, 0.05, durationMinutes),
      };
    case "primary-refuses":
      keys("forMinutes", "detail");
      return { kind, atMinute, forMinutes: forMinutes(), detail: r.string(raw, "detail", `${path}.detail`) };
    case "replica-lag":
      keys("forMinutes", "seconds");
      return {
        kind,
        atMinute,
        forMinutes: forMinutes(),
        seconds: r.number(raw, "seconds", `${path}.seconds`, 0, 86_400),
      };
    case "replica-dies":
    case "region-lost":
    case "switchover-request":
    case "stale-fence-tag":
      keys();
      return { kind, atMinute };
    case "api-throttle":
    case "api-errors":
    case "api-blackhole": {
      keys("forMinutes", "service", "region");
      const service = r.oneOf(raw, "service", `${path}.service`, SERVICES);
      const region = r.string(raw, "region", `${path}.region`);
      if (!(REGION_ALIASES as readonly string[]).includes(region) && !REGION_CODE.test(region)) {
        r.fail(
          `${path}.region`,
          region,
          `use a region code like "ap-southeast-2" or one of ${REGION_ALIASES.join(", ")}`,
        );
      }
      return { kind, atMinute, forMinutes: forMinutes(), service, region };
    }
    case "function-crash": {
      keys("function", "step", "times");
      const fn = r.oneOf(raw, "function", `${path}.function`, FAULT_FUNCTIONS);
      const times = r.number(raw, "times", `${path}.times`, 1, 100, 1, true);
      if (fn === "monitor") {
        if (raw.step !== undefined) r.fail(`${path}.step`, raw.step, "remove it: the monitor has no steps");
        return { kind, atMinute, function: fn, times };
      }
      return { kind, atMinute, function: fn, step: crashPoint(r, raw, path, fn), times };
    }
    case "function-timeout": {
      keys("function", "step", "times");
      const fn = r.oneOf(raw, "function", `${path}.function`, ["step-runner"] as const);
      const times = r.number(raw, "times", `${path}.times`, 1, 100, 1, true);
      return { kind, atMinute, function: fn, step: crashPoint(r, raw, path, fn), times };
    }
    case "manual-failover": {
      keys("acceptDataLoss");
      const accept = raw.acceptDataLoss ?? false;
      if (typeof accept !== "boolean") r.fail(`${path}.acceptDataLoss`, accept, "use true or false");
      return { kind, atMinute, acceptDataLoss: accept as boolean };
    }
  }
}

/** The `step` of a crash or a stall of `fn`: one of its points; a workflow step named for the failover function says where it runs. */
function crashPoint(r: Reader, raw: Json, path: string, fn: "failover" | "step-runner"): string {
  const points = Object.keys(CRASH_POINTS[fn]);
  const step = raw.step;
  if (typeof step === "string" && points.includes(step)) return step;
  const workflowStep = fn === "failover" && typeof step === "string" && step in CRASH_POINTS["step-runner"];
  return r.fail(
    `${path}.step`,
    step,
    workflowStep
      ? `the failover function only decides and starts the workflow (its point is "start-execution"); set function to "step-runner", which runs ${JSON.stringify(step)}`
      : `use one of ${points.map((p) => JSON.stringify(p)).join(", ")}`,
  );
}
