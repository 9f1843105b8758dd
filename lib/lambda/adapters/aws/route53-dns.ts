import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { ConfigurationError, DnsChangeError } from "../../core/errors";
import type { Clock, Dns } from "../../core/ports";
import type { DnsView } from "../../core/types";
import { describeAwsError, isApiUnavailable } from "./aws-errors";
import { pollUntil, type PollCheck } from "./poll";

/** Settings of the Route 53 adapter (from the failover function's environment). */
export interface Route53DnsConfig {
  /** Private hosted zone id, `Z…` or `/hostedzone/Z…` as some APIs return it. */
  readonly hostedZoneId: string;
  /** `writer.<zone>`; with or without the trailing dot. */
  readonly writerRecordName: string;
  /** `reader.<zone>`; with or without the trailing dot. */
  readonly readerRecordName: string;
  /** TTL of the CNAMEs written. */
  readonly ttlSeconds: number;
  /** Pause between two `GetChange` calls. Default 5 s; Route 53 usually syncs within 60 s. */
  readonly pollIntervalMs?: number;
}

const DEFAULT_POLL_INTERVAL_MS = 5_000;
const HOST_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/**
 * A DNS name in the form Route 53 returns it: lowercase, fully qualified with the trailing dot.
 * Route 53 stores names case-insensitively and always answers with the trailing dot, so a name
 * compared without normalising never matches.
 * https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DomainNameFormat.html
 */
export function fullyQualified(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith(".") ? trimmed : `${trimmed}.`;
}

/** A CNAME target as clients and RDS write it: lowercase, without the trailing dot. */
export function hostTarget(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, "");
}

function isHostName(name: string): boolean {
  const labels = hostTarget(name).split(".");
  return (
    labels.length >= 2 && hostTarget(name).length <= 253 && labels.every((label) => HOST_LABEL.test(label))
  );
}

/** `Z123` from `Z123` or `/hostedzone/Z123`. */
function bareZoneId(id: string): string {
  return id.trim().replace(/^\/hostedzone\//, "");
}

/** `C123` from `C123` or `/change/C123` (the form `ChangeInfo.Id` takes). */
function bareChangeId(id: string): string {
  return id.replace(/^\/change\//, "");
}

/**
 * `Dns` on a Route 53 hosted zone: reads and upserts the `writer` and `reader` CNAMEs, and waits for
 * each change to be `INSYNC` (applied on every Route 53 server), so a switch that returns is a switch
 * clients see once their cached answer (TTL) expires.
 */
export class Route53Dns implements Dns {
  private readonly zoneId: string;
  private readonly writerName: string;
  private readonly readerName: string;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly config: Route53DnsConfig,
    private readonly route53: Route53Client,
    private readonly clock: Clock,
  ) {
    if (typeof config.hostedZoneId !== "string" || !/^Z[A-Z0-9]+$/.test(bareZoneId(config.hostedZoneId))) {
      throw new ConfigurationError(
        `Route53Dns hostedZoneId must be a hosted zone id like "Z0123456789ABC", got ${JSON.stringify(config.hostedZoneId)} (check HOSTED_ZONE_ID)`,
      );
    }
    for (const key of ["writerRecordName", "readerRecordName"] as const) {
      if (typeof config[key] !== "string" || !isHostName(config[key])) {
        throw new ConfigurationError(
          `Route53Dns ${key} must be a fully-qualified name like "writer.db.internal.", got ${JSON.stringify(config[key])} (check ${key === "writerRecordName" ? "WRITER_RECORD_NAME" : "READER_RECORD_NAME"})`,
        );
      }
    }
    if (!Number.isInteger(config.ttlSeconds) || config.ttlSeconds < 0 || config.ttlSeconds > 2_147_483_647) {
      throw new ConfigurationError(
        `Route53Dns ttlSeconds must be a non-negative integer, got ${JSON.stringify(config.ttlSeconds)} (check DNS_TTL_SECONDS)`,
      );
    }
    if (
      config.pollIntervalMs !== undefined &&
      (!Number.isInteger(config.pollIntervalMs) || config.pollIntervalMs < 1)
    ) {
      throw new ConfigurationError(
        `Route53Dns pollIntervalMs must be a positive integer, got ${JSON.stringify(config.pollIntervalMs)}`,
      );
    }
    this.zoneId = bareZoneId(config.hostedZoneId);
    this.writerName = fullyQualified(config.writerRecordName);
    this.readerName = fullyQualified(config.readerRecordName);
    this.pollIntervalMs = config.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
  }

  /**
   * Where `writer` and `reader` point (targets without the trailing dot); `null` for a missing
   * record. Throws `DnsChangeError` if Route 53 cannot be read: unlike a dead database, an unreadable
   * zone is not a fact about the cluster, and guessing "missing" would block or mislead a failover.
   */
  async read(): Promise<DnsView> {
    const [writerTarget, readerTarget] = await Promise.all([
      this.readCname(this.writerName),
      this.readCname(this.readerName),
    ]);
    return { writerTarget, readerTarget };
  }

  /** UPSERT `writer` → `target` and resolve once Route 53 reports the change `INSYNC`. */
  setWriter(target: string, timeoutMs: number): Promise<void> {
    return this.upsert(this.writerName, target, timeoutMs);
  }

  /** UPSERT `reader` → `target` and resolve once Route 53 reports the change `INSYNC`. */
  setReader(target: string, timeoutMs: number): Promise<void> {
    return this.upsert(this.readerName, target, timeoutMs);
  }

  private async readCname(name: string): Promise<string | null> {
    try {
      // The listing starts at this name and type and runs on in Route 53's order, so the first
      // record returned is another name when ours is missing.
      const out = await this.route53.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: this.zoneId,
          StartRecordName: name,
          StartRecordType: "CNAME",
          MaxItems: 1,
        }),
      );
      const record = out.ResourceRecordSets?.[0];
      if (record === undefined || record.Type !== "CNAME" || fullyQualified(record.Name ?? "") !== name)
        return null;
      const value = record.ResourceRecords?.[0]?.Value;
      return value === undefined ? null : hostTarget(value);
    } catch (err) {
      throw new DnsChangeError(
        `Reading ${name} in hosted zone ${this.zoneId} failed: ${describeAwsError(err)}`,
        {
          cause: err,
        },
      );
    }
  }

  private async upsert(name: string, target: string, timeoutMs: number): Promise<void> {
    if (typeof target !== "string" || !isHostName(target)) {
      throw new DnsChangeError(
        `Refusing to point ${name} at ${JSON.stringify(target)}: the target must be a host name such as an RDS endpoint address`,
      );
    }
    const value = hostTarget(target);
    let changeId: string;
    let status: string | undefined;
    try {
      const out = await this.route53.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: this.zoneId,
          ChangeBatch: {
            Comment: `TapStack: point ${name} at ${value}`,
            Changes: [
              {
                Action: "UPSERT",
                ResourceRecordSet: {
                  Name: name,
                  Type: "CNAME",
                  TTL: this.config.ttlSeconds,
                  ResourceRecords: [{ Value: value }],
                },
              },
            ],
          },
        }),
      );
      if (out.ChangeInfo?.Id === undefined) {
        throw new DnsChangeError(`ChangeResourceRecordSets for ${name} returned no change id`);
      }
      changeId = bareChangeId(out.ChangeInfo.Id);
      status = out.ChangeInfo.Status;
    } catch (err) {
      if (err instanceof DnsChangeError) throw err;
      throw new DnsChangeError(`Pointing ${name} at ${value} failed: ${describeAwsError(err)}`, {
        cause: err,
      });
    }
    if (status === "INSYNC") return;
    await pollUntil(
      async (): Promise<PollCheck<void>> => {
        try {
          const out = await this.route53.send(new GetChangeCommand({ Id: changeId }));
          const current = out.ChangeInfo?.Status;
          return current === "INSYNC"
            ? { done: true, value: undefined }
            : { done: false, state: current ?? "no status" };
        } catch (err) {
          // Route 53 allows five GetChange calls a second per account; throttling or a blip while
          // waiting is worth another try before the deadline, a refusal is not.
          if (isApiUnavailable(err))
            return { done: false, state: `GetChange failed: ${describeAwsError(err)}` };
          throw new DnsChangeError(
            `Checking change ${changeId} for ${name} failed: ${describeAwsError(err)}`,
            {
              cause: err,
            },
          );
        }
      },
      {
        what: `Route 53 change ${changeId} (${name} → ${value}) to be INSYNC`,
        timeoutMs,
        intervalMs: this.pollIntervalMs,
        clock: this.clock,
      },
    );
  }
}
