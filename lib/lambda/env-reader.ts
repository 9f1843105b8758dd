/**
 * Reads and validates a Lambda function's environment once, at cold start. Every variable is
 * checked before anything fails, so one deployment error lists every bad variable at once
 * instead of one per redeploy.
 */
import { ConfigurationError } from "./core/errors";
import { validatePolicy } from "./core/policy";
import type { FailoverPolicy } from "./core/types";

/** The environment as Node exposes it (`process.env`), or a plain record in tests. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** `ap-southeast-1`, `us-gov-west-1`, `cn-north-1`, `eu-central-2`, … */
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
/** Partitions: aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, … */
const ARN_PATTERN = /^arn:(aws(?:-[a-z]+)*):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/;
/** Host name labels of letters, digits and hyphens; no scheme, no port, no path. */
const HOST_NAME_PATTERN =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
/** RDS DB instance identifiers: 1–63 letters, digits, hyphens; start with a letter; no `--`, no trailing `-`. */
const DB_INSTANCE_ID_PATTERN = /^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/;
/** Lambda function names (the bare name, not an ARN). */
const FUNCTION_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** S3 general-purpose bucket names. */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Route 53 hosted zone ids (`Z…`, upper-case letters and digits), without the `/hostedzone/` prefix. */
const HOSTED_ZONE_ID_PATTERN = /^Z[A-Z0-9]{1,32}$/;
const SECURITY_GROUP_ID_PATTERN = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;
/** PostgreSQL identifiers as the monitor uses them unquoted. */
const SQL_IDENTIFIER_PATTERN = /^[a-z_][a-z0-9_$]{0,62}$/;
/** Letters, digits and hyphens: it is part of every physical resource name. */
const SUFFIX_PATTERN = /^[A-Za-z0-9-]{1,32}$/;

/** What an ARN is made of, as far as the handlers care. */
export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly accountId: string;
  readonly resource: string;
}

/** Splits an ARN into its parts, or returns `null` when the text is not an ARN. */
export function parseArn(text: string): ParsedArn | null {
  const match = ARN_PATTERN.exec(text);
  if (match === null) return null;
  const [, partition, service, region, accountId, resource] = match;
  return { partition, service, region, accountId, resource };
}

/**
 * Collects problems while reading variables, then throws them all together from {@link EnvReader.finish}.
 * Each reader returns a placeholder of the right type when the variable is bad, so a caller can
 * build its whole config object first and call `finish()` before using it.
 */
export class EnvReader<Name extends string> {
  private readonly problems: string[] = [];

  /**
   * @param env where variables come from (`process.env` in Lambda).
   * @param functionLabel the function the environment belongs to, named in the error (`health-monitor`).
   */
  constructor(
    private readonly env: EnvSource,
    private readonly functionLabel: string,
  ) {}

  /** Records a problem found by the caller (e.g. a rule that spans two variables). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** A required, non-empty string. `form` describes what is expected, for the error. */
  string(name: Name, form: string): string {
    const raw = this.env[name];
    if (raw === undefined || raw.trim() === "") {
      this.problems.push(`${name} is missing: set it to ${form}`);
      return "";
    }
    return raw.trim();
  }

  /** A required string that must match `pattern`. */
  matching(name: Name, pattern: RegExp, form: string): string {
    const value = this.string(name, form);
    if (value !== "" && !pattern.test(value)) {
      this.problems.push(`${name}=${JSON.stringify(value)} is not valid: expected ${form}`);
      return "";
    }
    return value;
  }

  /** A positive decimal integer (`1`, `15`, `5432`), at most `max` when given. */
  positiveInteger(name: Name, example: number, max?: number): number {
    const form = `a positive integer such as ${example}${max === undefined ? "" : ` (at most ${max})`}`;
    const value = this.string(name, form);
    if (value === "") return 0;
    const parsed = /^[1-9][0-9]*$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || (max !== undefined && parsed > max)) {
      this.problems.push(`${name}=${JSON.stringify(value)} is not valid: expected ${form}`);
      return 0;
    }
    return parsed;
  }

  /** Exactly `true` or `false`: `1`, `yes` or `TRUE` are refused so that a typo cannot flip a safety switch. */
  boolean(name: Name): boolean {
    const form = '"true" or "false"';
    const value = this.string(name, form);
    if (value === "true") return true;
    if (value !== "false" && value !== "") {
      this.problems.push(`${name}=${JSON.stringify(value)} is not valid: expected ${form}`);
    }
    return false;
  }

  /** An AWS region code such as `ap-southeast-1`. */
  region(name: Name): string {
    return this.matching(name, REGION_PATTERN, "an AWS region code such as ap-southeast-1");
  }

  /** An ARN of `service` (e.g. `sns`, `secretsmanager`) with a region and a 12-digit account id. */
  arn(name: Name, service: string, example: string): string {
    const form = `an ARN of the ${service} service, such as ${example}`;
    const value = this.string(name, form);
    if (value === "") return "";
    const arn = parseArn(value);
    if (arn === null || arn.service !== service || !REGION_PATTERN.test(arn.region) || arn.accountId === "") {
      this.problems.push(`${name}=${JSON.stringify(value)} is not valid: expected ${form}`);
      return "";
    }
    return value;
  }

  /** A DNS host name (an RDS endpoint address), without scheme or port. */
  hostName(name: Name, example: string): string {
    return this.matching(
      name,
      HOST_NAME_PATTERN,
      `a host name without scheme or port, such as ${example}`,
    ).replace(/\.$/, "");
  }

  /** A fully-qualified record name such as `writer.db.internal` (a trailing dot is accepted). */
  recordName(name: Name, example: string): string {
    const value = this.matching(name, HOST_NAME_PATTERN, `a fully-qualified record name such as ${example}`);
    if (value !== "" && !value.replace(/\.$/, "").includes(".")) {
      this.problems.push(
        `${name}=${JSON.stringify(value)} is not valid: expected a fully-qualified record name such as ${example}`,
      );
      return "";
    }
    return value.replace(/\.$/, "");
  }

  /** An RDS DB instance identifier. */
  dbInstanceId(name: Name): string {
    return this.matching(
      name,
      DB_INSTANCE_ID_PATTERN,
      "an RDS DB instance identifier (letters, digits, single hyphens; starts with a letter), such as rds-primary-dev",
    );
  }

  /** A bare Lambda function name (not an ARN). */
  functionName(name: Name): string {
    return this.matching(
      name,
      FUNCTION_NAME_PATTERN,
      "a Lambda function name (not an ARN) of at most 64 letters, digits, '-' or '_', such as health-monitor-dev",
    );
  }

  /** An S3 bucket name. */
  bucket(name: Name): string {
    return this.matching(
      name,
      BUCKET_PATTERN,
      "an S3 bucket name (3–63 lower-case letters, digits, '.', '-'), such as backups-dr-dev",
    );
  }

  /** A Route 53 hosted zone id, without the `/hostedzone/` prefix. */
  hostedZoneId(name: Name): string {
    return this.matching(
      name,
      HOSTED_ZONE_ID_PATTERN,
      "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ",
    );
  }

  /** An EC2 security group id. */
  securityGroupId(name: Name): string {
    return this.matching(name, SECURITY_GROUP_ID_PATTERN, "a security group id such as sg-0123456789abcdef0");
  }

  /** A lower-case PostgreSQL identifier (database or role name). */
  sqlIdentifier(name: Name, example: string): string {
    return this.matching(
      name,
      SQL_IDENTIFIER_PATTERN,
      `a lower-case PostgreSQL identifier (letters, digits, '_'), such as ${example}`,
    );
  }

  /** The stack's environment suffix (part of every resource name and the metrics' `Environment` dimension). */
  environmentSuffix(name: Name): string {
    return this.matching(
      name,
      SUFFIX_PATTERN,
      "the stack's environment suffix (letters, digits, '-'), such as dev",
    );
  }

  /**
   * A CloudWatch namespace. Namespaces starting with `AWS/` are reserved for AWS services and
   * PutMetricData / EMF refuse them.
   */
  metricsNamespace(name: Name): string {
    const value = this.string(name, "a CloudWatch namespace such as TapStack/DR");
    if (value !== "" && (value.length > 255 || value.startsWith("AWS/"))) {
      this.problems.push(
        `${name}=${JSON.stringify(value)} is not valid: expected a CloudWatch namespace of at most 255 characters not starting with "AWS/", such as TapStack/DR`,
      );
      return "";
    }
    return value;
  }

  /** Throws one {@link ConfigurationError} listing every problem found so far; returns when there is none. */
  finish(): void {
    if (this.problems.length === 0) return;
    throw new ConfigurationError(
      `The ${this.functionLabel} function's environment is invalid (${this.problems.length} problem${
        this.problems.length === 1 ? "" : "s"
      }); fix the stack's function environment and redeploy:\n- ${this.problems.join("\n- ")}`,
    );
  }
}

/**
 * Runs the core's policy validation and restates its error in terms of the environment, so the
 * message names what to change in the stack rather than a field of an internal object.
 * `variables` are the policy variables the function reads (the rest keep `DEFAULT_POLICY`'s values).
 */
export function policyFromEnv(
  policy: FailoverPolicy,
  functionLabel: string,
  variables: readonly string[],
): FailoverPolicy {
  try {
    return validatePolicy(policy);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(
      `The ${functionLabel} function's environment gives an invalid failover policy (${variables.join(", ")}): ${detail}`,
      { cause: error },
    );
  }
}
