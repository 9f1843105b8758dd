import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  type IpPermission,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import {
  AddTagsToResourceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RebootDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  type DBInstance,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { FENCED_AT_TAG, PROMOTION_REQUESTED_AT_TAG } from "../../../function-env";
import { ConfigurationError, ControlPlaneError } from "../../core/errors";
import type { Clock, DatabaseControl, DatabaseProbe, FenceResult, UnfenceResult } from "../../core/ports";
import type { DbRole, IngressRule, InstanceStatus, InstanceView } from "../../core/types";
import { apiErrorKind, describeAwsError, hasErrorName, isApiUnavailable } from "./aws-errors";
import { pollUntil, type PollCheck } from "./poll";

/** Settings of the RDS control adapter (from the failover function's environment). */
export interface RdsDatabaseControlConfig {
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  /**
   * The primary's client security group: it holds only the rules that admit database clients, so
   * fencing revokes every ingress rule in it. The monitor reaches the instance through a separate
   * access group, which fencing never touches.
   */
  readonly primarySecurityGroupId: string;
  /** Backup retention the promoted replica gets (RDS turns automated backups on at promotion). */
  readonly backupRetentionDays: number;
  /** Pause between two WAL-position reads in `waitUntilCaughtUp`. Default 5 s. */
  readonly positionsPollIntervalMs?: number;
  /** Bound on one WAL-position read (both databases). Default 8 s. */
  readonly positionsTimeoutMs?: number;
}

/** The AWS clients the adapter talks to; each in the region of the instance it serves. */
export interface RdsDatabaseControlClients {
  /** RDS in the primary's region. */
  readonly primaryRds: RDSClient;
  /** RDS in the replica's region (the same region as the primary for a same-region replica). */
  readonly replicaRds: RDSClient;
  /** EC2 in the primary's region (its security group). */
  readonly primaryEc2: EC2Client;
  /**
   * Where WAL positions come from: only the health-monitor has a network path to the databases, so
   * on AWS this invokes it synchronously (`{"action":"replication-positions"}`).
   */
  readonly positions: Pick<DatabaseProbe, "replicationPositions">;
}

/**
 * RDS `DBInstanceStatus` values, normalised to the engine's statuses.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
 * Anything not listed maps to `unknown`, keeping the raw string in `rawStatus`.
 */
const STATUS_MAP: Readonly<Record<string, InstanceStatus>> = {
  available: "available",
  // Storage optimisation runs in the background; the instance serves traffic normally.
  "storage-optimization": "available",
  "backing-up": "backing-up",
  modifying: "modifying",
  "configuring-enhanced-monitoring": "modifying",
  "configuring-iam-database-auth": "modifying",
  "configuring-log-exports": "modifying",
  "converting-to-vpc": "modifying",
  "moving-to-vpc": "modifying",
  maintenance: "modifying",
  upgrading: "modifying",
  renaming: "modifying",
  "resetting-master-credentials": "modifying",
  creating: "modifying",
  rebooting: "rebooting",
  starting: "rebooting",
  stopped: "stopped",
  stopping: "stopping",
  failed: "failed",
  "inaccessible-encryption-credentials": "failed",
  "inaccessible-encryption-credentials-recoverable": "failed",
  "incompatible-network": "failed",
  "incompatible-option-group": "failed",
  "incompatible-parameters": "failed",
  "incompatible-restore": "failed",
  "insufficient-capacity": "failed",
  "restore-error": "failed",
  "storage-full": "storage-full",
  deleting: "deleting",
  "delete-precheck": "deleting",
};

/** Normalise an RDS `DBInstanceStatus` string; unrecognised or missing values give `unknown`. */
export function normaliseRdsStatus(rawStatus: string | undefined): InstanceStatus {
  if (rawStatus === undefined) return "unknown";
  return STATUS_MAP[rawStatus.toLowerCase()] ?? "unknown";
}

/**
 * Statuses in which a refused `PromoteReadReplica` (`InvalidDBInstanceState`) means a promotion is
 * already under way: a lab write-up and the fog-aws mock show `modifying`, the docs a reboot; the
 * exact sequence is UNCONFIRMED (reference §1.2), so both count.
 */
const PROMOTION_IN_PROGRESS: ReadonlySet<InstanceStatus> = new Set(["modifying", "rebooting"]);

/**
 * Raw RDS statuses in which no database session from before the fence can still be open: the
 * engine is restarting, stopping, stopped or going away, or RDS cannot run it at all. New sessions
 * meet the revoked client group. Every other status (`available`, `backing-up`, `modifying`,
 * `storage-full`, `incompatible-network`, anything new) may run the engine with its old sessions.
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/accessing-monitoring.html#Overview.DBInstance.Status
 */
const NO_OLD_SESSIONS_STATUSES: ReadonlySet<string> = new Set([
  "rebooting",
  "starting",
  "stopping",
  "stopped",
  "deleting",
  "delete-precheck",
  "failed",
  "inaccessible-encryption-credentials",
  "inaccessible-encryption-credentials-recoverable",
  "incompatible-parameters",
  "incompatible-restore",
  "insufficient-capacity",
  "restore-error",
]);

/** True when no session opened before the fence can still be open in an instance in `rawStatus`. */
export function endsOldSessions(rawStatus: string | undefined): boolean {
  return rawStatus !== undefined && NO_OLD_SESSIONS_STATUSES.has(rawStatus.toLowerCase());
}

/** What the old writer looked like to the fence, right after its client ingress was handled. */
export interface OldWriterState {
  /** Raw `DBInstanceStatus`. */
  readonly rawStatus: string | undefined;
  /** Value of the `tap:fenced-at` tag, when an earlier fence rebooted it. */
  readonly fencedAt: string | undefined;
  /** Client ingress rules this fence revoked just now (0 when the group was already empty). */
  readonly revokedRuleCount: number;
}

/** Whether the fence must reboot the old writer, and why (the sentence goes into the fence detail). */
export type SessionFencePlan =
  { readonly action: "reboot"; readonly why: string } | { readonly action: "none"; readonly why: string };

/**
 * Decide whether the old writer must be rebooted to end the sessions that were open before its
 * client ingress was revoked. Revoking a security-group rule does not interrupt connections that are
 * already tracked ("the security group continues to allow packets until existing connections time
 * out", and an established TCP connection times out only after days of idleness), so a writer that
 * still runs keeps accepting writes on them.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html
 *
 * - In a status that ends every old session (`rebooting`, `stopped`, …): nothing to do.
 * - Rules were revoked just now: reboot, whatever any tag says (clients were admitted until now).
 * - The group was already empty and `tap:fenced-at` is set: an earlier fence revoked and rebooted.
 * - The group was already empty and no tag: nothing proves a reboot since the revoke (a run that
 *   stopped between the two, or ingress removed by hand), so reboot.
 */
export function planSessionFence(state: OldWriterState): SessionFencePlan {
  const status = state.rawStatus ?? "no status";
  if (endsOldSessions(state.rawStatus)) {
    return { action: "none", why: `it is ${status}, which ends every session from before the fence` };
  }
  if (state.revokedRuleCount > 0) {
    return { action: "reboot", why: `it is ${status} and kept its sessions from before the revoke` };
  }
  if (state.fencedAt !== undefined) {
    return {
      action: "none",
      why: `it is ${status} and was already rebooted by the fence at ${state.fencedAt} (${FENCED_AT_TAG})`,
    };
  }
  return {
    action: "reboot",
    why: `it is ${status} and nothing records a reboot since its client ingress went (no ${FENCED_AT_TAG} tag)`,
  };
}

const DEFAULT_POSITIONS_POLL_INTERVAL_MS = 5_000;
const DEFAULT_POSITIONS_TIMEOUT_MS = 8_000;

/** PostgreSQL `pg_lsn` text (`X/Y`, two hex numbers) as a bigint, for comparison. */
export function parseLsn(lsn: string): bigint | null {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn.trim());
  if (match === null) return null;
  return (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`);
}

/** The rule as data, so the undo re-authorizes exactly it. */
function toIngressRule(rule: SecurityGroupRule): IngressRule {
  return {
    protocol: rule.IpProtocol ?? "-1",
    ...(rule.FromPort === undefined ? {} : { fromPort: rule.FromPort }),
    ...(rule.ToPort === undefined ? {} : { toPort: rule.ToPort }),
    ...(rule.CidrIpv4 === undefined ? {} : { cidrIpv4: rule.CidrIpv4 }),
    ...(rule.CidrIpv6 === undefined ? {} : { cidrIpv6: rule.CidrIpv6 }),
    ...(rule.PrefixListId === undefined ? {} : { prefixListId: rule.PrefixListId }),
    ...(rule.ReferencedGroupInfo?.GroupId === undefined
      ? {}
      : { referencedGroupId: rule.ReferencedGroupInfo.GroupId }),
    ...(rule.Description === undefined ? {} : { description: rule.Description }),
  };
}

/** The EC2 `IpPermission` that re-authorizes `rule`. */
function toIpPermission(rule: IngressRule): IpPermission {
  const description = rule.description === undefined ? {} : { Description: rule.description };
  return {
    IpProtocol: rule.protocol,
    ...(rule.fromPort === undefined ? {} : { FromPort: rule.fromPort }),
    ...(rule.toPort === undefined ? {} : { ToPort: rule.toPort }),
    ...(rule.cidrIpv4 === undefined ? {} : { IpRanges: [{ CidrIp: rule.cidrIpv4, ...description }] }),
    ...(rule.cidrIpv6 === undefined ? {} : { Ipv6Ranges: [{ CidrIpv6: rule.cidrIpv6, ...description }] }),
    ...(rule.prefixListId === undefined
      ? {}
      : { PrefixListIds: [{ PrefixListId: rule.prefixListId, ...description }] }),
    ...(rule.referencedGroupId === undefined
      ? {}
      : { UserIdGroupPairs: [{ GroupId: rule.referencedGroupId, ...description }] }),
  };
}

function requireText(key: keyof RdsDatabaseControlConfig, value: unknown): void {
  if (typeof value !== "string" || value.trim() === "") {
    throw new ConfigurationError(
      `RdsDatabaseControl ${key} must be a non-empty string, got ${JSON.stringify(value)}`,
    );
  }
}

function requireNonNegativeInteger(key: keyof RdsDatabaseControlConfig, value: unknown, min: number): void {
  if (value !== undefined && (typeof value !== "number" || !Number.isInteger(value) || value < min)) {
    throw new ConfigurationError(
      `RdsDatabaseControl ${key} must be an integer >= ${min}, got ${JSON.stringify(value)}`,
    );
  }
}

/** A rule as text, for details: protocol, ports and source. */
function ruleText(rule: IngressRule): string {
  const source = rule.cidrIpv4 ?? rule.cidrIpv6 ?? rule.prefixListId ?? rule.referencedGroupId ?? "?";
  const ports =
    rule.fromPort === rule.toPort ? `${rule.fromPort ?? "all"}` : `${rule.fromPort}-${rule.toPort}`;
  return `${rule.protocol}/${ports} from ${source}`;
}

/** The source a rule admits, for the fence detail: a CIDR, a prefix list or a security group. */
function ruleSource(rule: SecurityGroupRule): string {
  return rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId ?? rule.ReferencedGroupInfo?.GroupId ?? "?";
}

/**
 * `DatabaseControl` on RDS: describes both instances, fences the old primary (revokes its client
 * ingress, then reboots it to end the sessions already open), promotes the replica and waits for a
 * switchover's replica to catch up. It reports facts and carries out one step each; whether a step
 * should happen, and whether a promoted replica is writable yet, is decided by the failover engine.
 */
/**
 * The view of an instance whose `DescribeDBInstances` failed: `not-found` when RDS says so; else
 * `unknown`, with `apiReachable: false` when the API gave no usable answer (network, timeout,
 * throttling or 5xx after the SDK's retries) and the failure's kind in `apiError`.
 */
export function describeFailedView(err: unknown, id: string, role: DbRole): InstanceView {
  if (hasErrorName(err, "DBInstanceNotFoundFault", "DBInstanceNotFound")) {
    return {
      id,
      role,
      status: "not-found",
      rawStatus: describeAwsError(err),
      isReplica: false,
      apiReachable: true,
    };
  }
  return {
    id,
    role,
    status: "unknown",
    rawStatus: describeAwsError(err),
    isReplica: false,
    apiReachable: !isApiUnavailable(err),
    apiError: apiErrorKind(err),
  };
}

export class RdsDatabaseControl implements DatabaseControl {
  private readonly positionsPollIntervalMs: number;
  private readonly positionsTimeoutMs: number;

  constructor(
    private readonly config: RdsDatabaseControlConfig,
    private readonly clients: RdsDatabaseControlClients,
    private readonly clock: Clock,
  ) {
    requireText("primaryInstanceId", config.primaryInstanceId);
    requireText("replicaInstanceId", config.replicaInstanceId);
    if (!/^sg-[0-9a-f]+$/.test(config.primarySecurityGroupId ?? "")) {
      throw new ConfigurationError(
        `RdsDatabaseControl primarySecurityGroupId must look like "sg-0123abcd", got ${JSON.stringify(config.primarySecurityGroupId)} (check PRIMARY_SECURITY_GROUP_ID)`,
      );
    }
    // RDS accepts 1..35 days; 0 would promote a writer without point-in-time recovery.
    const retention = config.backupRetentionDays;
    if (!Number.isInteger(retention) || retention < 1 || retention > 35) {
      throw new ConfigurationError(
        `RdsDatabaseControl backupRetentionDays must be an integer from 1 to 35, got ${JSON.stringify(retention)} (check BACKUP_RETENTION_DAYS)`,
      );
    }
    requireNonNegativeInteger("positionsPollIntervalMs", config.positionsPollIntervalMs, 1);
    requireNonNegativeInteger("positionsTimeoutMs", config.positionsTimeoutMs, 1);
    this.positionsPollIntervalMs = config.positionsPollIntervalMs ?? DEFAULT_POSITIONS_POLL_INTERVAL_MS;
    this.positionsTimeoutMs = config.positionsTimeoutMs ?? DEFAULT_POSITIONS_TIMEOUT_MS;
  }

  /**
   * `DescribeDBInstances` for one instance. Never throws: not found gives `not-found`; an API that
   * gives no usable answer (network, timeout, throttling or 5xx after the SDK's retries) gives
   * `apiReachable: false` with `unknown`; any other refusal (e.g. access denied) gives `unknown`
   * with the error in `rawStatus`. `apiError` says which kind of failure it was, because only a
   * connectivity failure can be evidence of a regional outage (a throttle is "slow down",
   * reference aws-behaviour.md §6).
   */
  async describe(role: DbRole): Promise<InstanceView> {
    const id = role === "primary" ? this.config.primaryInstanceId : this.config.replicaInstanceId;
    const client = role === "primary" ? this.clients.primaryRds : this.clients.replicaRds;
    try {
      const out = await client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
      const instance = out.DBInstances?.find((db) => db.DBInstanceIdentifier === id) ?? out.DBInstances?.[0];
      if (instance === undefined) {
        return { id, role, status: "not-found", isReplica: false, apiReachable: true };
      }
      const source = instance.ReadReplicaSourceDBInstanceIdentifier;
      const tags = instance.TagList ?? [];
      const fenceTag = tags.some((tag) => tag.Key === FENCED_AT_TAG);
      const requestedAt = tags.find((tag) => tag.Key === PROMOTION_REQUESTED_AT_TAG)?.Value;
      const requestedAtMs = requestedAt === undefined ? Number.NaN : Date.parse(requestedAt);
      return {
        id,
        role,
        status: normaliseRdsStatus(instance.DBInstanceStatus),
        rawStatus: instance.DBInstanceStatus,
        endpoint: instance.Endpoint?.Address,
        isReplica: typeof source === "string" && source !== "",
        apiReachable: true,
        // The fence tags the old writer once its client ingress is gone and its sessions ended. On
        // the primary the tag counts only while its client group admits nobody: a tag left on an
        // instance put back into service (ingress restored) must not read as fenced.
        fenced: fenceTag && (role === "replica" || (await this.clientIngressClosed())),
        // Any tag value means "begun"; an unparsable one is kept as the epoch rather than dropped.
        ...(requestedAt === undefined
          ? {}
          : { promotionRequestedAtMs: Number.isFinite(requestedAtMs) ? requestedAtMs : 0 }),
        ...(instance.BackupRetentionPeriod === undefined
          ? {}
          : { backupRetentionDays: instance.BackupRetentionPeriod }),
        ...(instance.InstanceCreateTime === undefined
          ? {}
          : { createdAtMs: instance.InstanceCreateTime.getTime() }),
      };
    } catch (err) {
      return describeFailedView(err, id, role);
    }
  }

  /**
   * Fence the old writer in two moves, each re-reading the real state first:
   *
   * 1. Revoke every ingress rule of its client security group (the monitor's access group is a
   *    different group and is left alone), so no new client session can open.
   * 2. End the sessions that were already open: revoking a rule does not cut tracked connections,
   *    so a writer that still runs is rebooted (`RebootDBInstance`, no failover) and then tagged
   *    `tap:fenced-at`. `planSessionFence` decides; a writer already `rebooting`, or already tagged
   *    while its group was empty, is not rebooted again.
   *
   * With both done nothing more can be written to the old writer by clients, which is what a
   * switchover's zero-data-loss wait needs. The tag is written after the reboot, never before, so a
   * run that stops in between errs towards one more reboot of a fenced writer, never towards a
   * surviving session. Returning the instance to service must restore its client ingress (the next
   * fence then revokes and reboots whatever the tag says); operators should also drop the tag.
   *
   * The tag is read from `DescribeDBInstances`' `TagList`; an answer without it reads as "no tag",
   * which again errs towards one more reboot.
   *
   * `fenced: false` with the reason when the EC2 or RDS API does not answer, or RDS refuses the
   * reboot (`InvalidDBInstanceState`) while the instance still runs. Other refusals (access denied,
   * unknown group) throw `ControlPlaneError`. `detail` says exactly what was done.
   */
  async fencePrimary(): Promise<FenceResult> {
    const fenceStartedAtMs = this.clock.nowMs();
    const ingress = await this.revokeClientIngress();
    if (ingress.unavailable !== undefined) return { fenced: false, detail: ingress.unavailable };
    const id = this.config.primaryInstanceId;
    // Kept on every result, so a switchover that stops can re-authorize exactly these.
    const revoked = ingress.revoked.length > 0 ? { revokedIngress: ingress.revoked } : {};
    const withRevoked = (result: FenceResult): FenceResult => ({ ...result, ...revoked });

    const before = await this.readOldWriter(ingress.detail);
    if ("result" in before) return withRevoked(before.result);
    const plan = planSessionFence({
      rawStatus: before.instance.DBInstanceStatus,
      fencedAt: before.instance.TagList?.find((tag) => tag.Key === FENCED_AT_TAG)?.Value,
      revokedRuleCount: ingress.revokedRuleCount,
    });
    if (plan.action === "none") {
      // A reboot already running ends the old sessions only once the engine restarts.
      const restarting = (before.instance.DBInstanceStatus ?? "").toLowerCase() === "rebooting";
      return withRevoked({
        fenced: true,
        detail: `${ingress.detail}; ${id} not rebooted: ${plan.why}`,
        ...(restarting ? { restartAfterMs: fenceStartedAtMs } : {}),
      });
    }

    try {
      await this.clients.primaryRds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: id }));
    } catch (err) {
      return withRevoked(await this.rebootRefused(err, ingress.detail));
    }
    const rebooted = `${ingress.detail}; rebooted ${id} to end its open sessions (${plan.why})`;
    return withRevoked({
      fenced: true,
      detail: `${rebooted}; ${await this.tagFenced(before.instance)}`,
      restartAfterMs: fenceStartedAtMs,
    });
  }

  /**
   * Undo a switchover's fence: `AuthorizeSecurityGroupIngress` with exactly the rules the fence
   * revoked (a rule already there, `InvalidPermission.Duplicate`, counts as restored), then
   * `RemoveTagsFromResource` of `tap:fenced-at`. Throws `ControlPlaneError` when either fails.
   */
  async unfencePrimary(fence: FenceResult): Promise<UnfenceResult> {
    const groupId = this.config.primarySecurityGroupId;
    const id = this.config.primaryInstanceId;
    const rules = fence.revokedIngress ?? [];
    const done: string[] = [];
    for (const rule of rules) {
      try {
        await this.clients.primaryEc2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: groupId,
            IpPermissions: [toIpPermission(rule)],
          }),
        );
        done.push(ruleText(rule));
      } catch (err) {
        if (hasErrorName(err, "InvalidPermission.Duplicate")) {
          done.push(`${ruleText(rule)} (already there)`);
          continue;
        }
        throw new ControlPlaneError(
          `Re-authorizing ${ruleText(rule)} on ${groupId} failed after ${done.length} of ${rules.length} rule(s): ${describeAwsError(err)}`,
          { cause: err },
        );
      }
    }
    const instance = await this.readOldWriter("");
    if ("instance" in instance && instance.instance.DBInstanceArn) {
      try {
        await this.clients.primaryRds.send(
          new RemoveTagsFromResourceCommand({
            ResourceName: instance.instance.DBInstanceArn,
            TagKeys: [FENCED_AT_TAG],
          }),
        );
      } catch (err) {
        throw new ControlPlaneError(
          `Client ingress of ${groupId} is restored but removing ${FENCED_AT_TAG} from ${id} failed: ${describeAwsError(err)}`,
          { cause: err },
        );
      }
    }
    return {
      restored: true,
      detail:
        `re-authorized ${done.length} client ingress rule(s) on ${groupId}` +
        (done.length > 0 ? ` (${done.join(", ")})` : "") +
        ` and removed ${FENCED_AT_TAG} from ${id}`,
    };
  }

  /** True when the primary's client group admits nobody; an unreadable group counts as open. */
  private async clientIngressClosed(): Promise<boolean> {
    try {
      return (await this.ingressRules(this.config.primarySecurityGroupId)).length === 0;
    } catch {
      return false;
    }
  }

  /** Revoke every ingress rule of the client group; `unavailable` is set when EC2 did not answer. */
  private async revokeClientIngress(): Promise<{
    readonly revokedRuleCount: number;
    readonly revoked: readonly IngressRule[];
    readonly detail: string;
    readonly unavailable?: string;
  }> {
    const groupId = this.config.primarySecurityGroupId;
    try {
      const rules = await this.ingressRules(groupId);
      if (rules.length === 0) {
        return { revokedRuleCount: 0, revoked: [], detail: `${groupId} had no client ingress left` };
      }
      // DescribeSecurityGroupRules always returns rule ids; the type marks every field optional.
      const ruleIds = rules.flatMap((rule) => (rule.SecurityGroupRuleId ? [rule.SecurityGroupRuleId] : []));
      try {
        const out = await this.clients.primaryEc2.send(
          new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds: ruleIds }),
        );
        if (out.Return === false) {
          throw new ControlPlaneError(
            `RevokeSecurityGroupIngress on ${groupId} returned false for ${ruleIds.join(", ")}`,
          );
        }
      } catch (err) {
        // A concurrent run revoked a rule between our read and our revoke: the goal is reached.
        if (!hasErrorName(err, "InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound"))
          throw err;
      }
      const sources = rules.map((rule) => ruleSource(rule)).join(", ");
      return {
        revokedRuleCount: rules.length,
        revoked: rules.map(toIngressRule),
        detail: `revoked ${rules.length} client ingress rule(s) from ${groupId} (${sources})`,
      };
    } catch (err) {
      if (err instanceof ControlPlaneError) throw err;
      if (isApiUnavailable(err)) {
        return {
          revokedRuleCount: 0,
          revoked: [],
          detail: "",
          unavailable: `EC2 API did not answer while fencing ${groupId}: ${describeAwsError(err)}`,
        };
      }
      throw new ControlPlaneError(`Fencing ${groupId} failed: ${describeAwsError(err)}`, { cause: err });
    }
  }

  /**
   * The old writer as RDS sees it now, with its tags (`DescribeDBInstances` returns `TagList`).
   * A final `result` instead when it does not exist (fenced: nothing runs) or RDS does not answer
   * (not fenced: its sessions may live on); other refusals throw `ControlPlaneError`.
   */
  private async readOldWriter(
    done: string,
  ): Promise<{ readonly instance: DBInstance } | { readonly result: FenceResult }> {
    const id = this.config.primaryInstanceId;
    try {
      const out = await this.clients.primaryRds.send(
        new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
      );
      const instance = out.DBInstances?.find((db) => db.DBInstanceIdentifier === id) ?? out.DBInstances?.[0];
      if (instance !== undefined) return { instance };
      return {
        result: { fenced: true, detail: `${done}; ${id} does not exist, so nothing serves its sessions` },
      };
    } catch (err) {
      if (hasErrorName(err, "DBInstanceNotFoundFault", "DBInstanceNotFound")) {
        return {
          result: { fenced: true, detail: `${done}; ${id} does not exist, so nothing serves its sessions` },
        };
      }
      if (isApiUnavailable(err)) {
        return {
          result: {
            fenced: false,
            detail:
              `${done}; RDS API did not answer (${describeAwsError(err)}), so ${id} could not be rebooted and ` +
              "sessions opened before the revoke may still write",
          },
        };
      }
      throw new ControlPlaneError(`Reading ${id} while fencing it failed: ${describeAwsError(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * RDS refused or did not take the reboot. `InvalidDBInstanceState` says only "not available";
   * the state read right after tells whether the instance still runs with its old sessions.
   */
  private async rebootRefused(err: unknown, done: string): Promise<FenceResult> {
    const id = this.config.primaryInstanceId;
    if (hasErrorName(err, "DBInstanceNotFoundFault", "DBInstanceNotFound")) {
      return { fenced: true, detail: `${done}; ${id} does not exist, so nothing serves its sessions` };
    }
    if (isApiUnavailable(err)) {
      return {
        fenced: false,
        detail:
          `${done}; RebootDBInstance ${id} got no answer (${describeAwsError(err)}), so sessions opened ` +
          "before the revoke may still write",
      };
    }
    if (!hasErrorName(err, "InvalidDBInstanceStateFault", "InvalidDBInstanceState")) {
      throw new ControlPlaneError(`RebootDBInstance ${id} failed: ${describeAwsError(err)}`, { cause: err });
    }
    const refused = `RDS refused to reboot ${id} (${describeAwsError(err)})`;
    const after = await this.readOldWriter(`${done}; ${refused}`);
    if ("result" in after) return after.result;
    const status = after.instance.DBInstanceStatus ?? "no status";
    if (endsOldSessions(status)) {
      return {
        fenced: true,
        detail: `${done}; ${refused}, but it is ${status}, which ends every session from before the fence`,
      };
    }
    return {
      fenced: false,
      detail:
        `${done}; ${refused} and it is ${status}, still running: sessions opened before the revoke may ` +
        "still write until it can be rebooted",
    };
  }

  /** Record the reboot on the instance; a failure is reported, not thrown (the reboot is done). */
  private async tagFenced(instance: DBInstance): Promise<string> {
    const value = new Date(this.clock.nowMs()).toISOString();
    const arn = instance.DBInstanceArn;
    if (arn === undefined || arn === "") {
      return `could not tag ${FENCED_AT_TAG} (DescribeDBInstances gave no ARN); a later fence may reboot it again`;
    }
    try {
      await this.clients.primaryRds.send(
        new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: FENCED_AT_TAG, Value: value }] }),
      );
      return `tagged ${FENCED_AT_TAG}=${value}`;
    } catch (err) {
      return `could not tag ${FENCED_AT_TAG} (${describeAwsError(err)}); a later fence may reboot it again`;
    }
  }

  /**
   * Tag the replica `tap:promotion-requested-at` (`AddTagsToResource`), then `PromoteReadReplica`
   * with `BackupRetentionPeriod: 0`.
   *
   * The tag comes first: RDS has no "promoting" status and may keep the replica's source field until
   * the end (both UNCONFIRMED, reference §1.1, §1.2), so the tag is what tells a resumed run that a
   * promotion has begun. Without it the promotion is not requested.
   *
   * Retention 0: the replica has backups off (DESIGN §3, reference §1.2: new replicas start without
   * automated backups), and a promote that turns backups on includes a backup, lengthening the
   * promotion (reference §1.2, older PromoteReadReplica text). Retention 0 is refused only for an
   * instance that is itself a replication source (§1.2), which this replica is not; if RDS refuses
   * 0 anyway (`InvalidParameterCombination` / `InvalidParameterValue`), the promotion is requested
   * again with the configured retention rather than not at all. `enableBackups` turns backups on
   * once writer points at the new writer, so RTO excludes the backup and PITR still follows.
   *
   * Idempotent: a replica that is no longer a replica is left alone; `InvalidDBInstanceState` while
   * `modifying` or `rebooting` is a promotion in progress. Any other refusal removes the tag again
   * (nothing began) and throws `ControlPlaneError` with the RDS error as `cause`.
   */
  async promoteReplica(): Promise<void> {
    const id = this.config.replicaInstanceId;
    const before = await this.describe("replica");
    this.assertUsableReplica(before);
    if (!before.isReplica) return;
    const arn = await this.replicaArn();
    const requestedAt = new Date(this.clock.nowMs()).toISOString();
    try {
      await this.clients.replicaRds.send(
        new AddTagsToResourceCommand({
          ResourceName: arn,
          Tags: [{ Key: PROMOTION_REQUESTED_AT_TAG, Value: requestedAt }],
        }),
      );
    } catch (err) {
      throw new ControlPlaneError(
        `Not promoting ${id}: tagging it ${PROMOTION_REQUESTED_AT_TAG} failed (${describeAwsError(err)}), and without the tag an interrupted promotion could not be resumed`,
        { cause: err },
      );
    }
    const promote = (retention: number): Promise<unknown> =>
      this.clients.replicaRds.send(
        new PromoteReadReplicaCommand({ DBInstanceIdentifier: id, BackupRetentionPeriod: retention }),
      );
    try {
      try {
        await promote(0);
      } catch (err) {
        if (!hasErrorName(err, "InvalidParameterCombination", "InvalidParameterValue")) throw err;
        await promote(this.config.backupRetentionDays);
      }
    } catch (err) {
      if (hasErrorName(err, "InvalidDBInstanceStateFault", "InvalidDBInstanceState")) {
        // RDS also says InvalidDBInstanceState for "not a read replica" and while a backup runs;
        // only the instance's current state tells them apart.
        const after = await this.describe("replica");
        if (after.apiReachable && (!after.isReplica || PROMOTION_IN_PROGRESS.has(after.status))) return;
        await this.untagPromotion(arn);
        throw new ControlPlaneError(
          `RDS refused to promote ${id} in state ${after.rawStatus ?? after.status}: ${describeAwsError(err)}` +
            (after.status === "backing-up"
              ? "; RDS cannot promote a replica while it is backing up, retry when it is done"
              : ""),
          { cause: err },
        );
      }
      // A call that got no answer may have been accepted: the tag stays, the next run finds out.
      if (!isApiUnavailable(err)) await this.untagPromotion(arn);
      throw new ControlPlaneError(`PromoteReadReplica ${id} failed: ${describeAwsError(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * `ModifyDBInstance` with `BackupRetentionPeriod` = the configured retention and
   * `ApplyImmediately: true`, unless the instance already keeps backups that long. Called after
   * writer moved: the promoted writer serves clients meanwhile (`backing-up` is writable, see
   * `isWritable`). Throws `ControlPlaneError` when RDS refuses (the next run retries the step).
   */
  async enableBackups(): Promise<string> {
    const id = this.config.replicaInstanceId;
    const retention = this.config.backupRetentionDays;
    const view = await this.describe("replica");
    if (!view.apiReachable || view.status === "not-found" || view.status === "unknown") {
      throw new ControlPlaneError(
        `Cannot turn backups on for ${id}: its state is unknown (${view.rawStatus ?? view.status})`,
      );
    }
    if ((view.backupRetentionDays ?? 0) >= retention) {
      return `${id} already keeps automated backups for ${view.backupRetentionDays} day(s)`;
    }
    try {
      await this.clients.replicaRds.send(
        new ModifyDBInstanceCommand({
          DBInstanceIdentifier: id,
          BackupRetentionPeriod: retention,
          ApplyImmediately: true,
        }),
      );
    } catch (err) {
      throw new ControlPlaneError(
        `Turning automated backups on for ${id} (retention ${retention} days) failed in state ${view.rawStatus ?? view.status}: ${describeAwsError(err)}`,
        { cause: err },
      );
    }
    return `requested automated backups for ${id} (retention ${retention} days, applied immediately)`;
  }

  /**
   * Planned switchover: resolve once the replica's replayed WAL position reaches the fenced
   * primary's current WAL position, both read through `positions` (the health-monitor, the only
   * function with a network path to the databases). The target is the primary's position read
   * first; when the fence restarted the engine (`fence.restartAfterMs`), only a position read from
   * a postmaster started after that moment counts, because sessions from before the fence end only
   * at the restart. From then on no client can write (ingress revoked), so every client commit is
   * at or before the target, and replay reaching it means zero lost commits. The monitor's own
   * heartbeats keep moving the primary's position; they are not client data and are not awaited.
   * `ReplicaLag` cannot decide this: it is now − last replayed commit time (reference §1.4), never 0
   * with heartbeats 15 s apart. Throws `WaitTimeoutError` after `timeoutMs`.
   */
  async waitUntilCaughtUp(timeoutMs: number, fence: FenceResult): Promise<void> {
    const id = this.config.replicaInstanceId;
    const primaryId = this.config.primaryInstanceId;
    let target: { lsn: string; value: bigint } | null = null;
    await pollUntil(
      async (): Promise<PollCheck<void>> => {
        let positions;
        try {
          positions = await this.clients.positions.replicationPositions(this.positionsTimeoutMs);
        } catch (err) {
          return { done: false, state: `WAL positions unreadable: ${describeAwsError(err)}` };
        }
        if (target === null) {
          const lsn = positions.primaryLsn;
          const value = lsn === null ? null : parseLsn(lsn);
          if (lsn === null || value === null) {
            return {
              done: false,
              state: `${primaryId}'s WAL position unreadable (${positions.primaryDetail ?? lsn ?? "no value"})`,
            };
          }
          const startedAtMs = positions.primaryStartedAtMs;
          if (
            fence.restartAfterMs !== undefined &&
            (startedAtMs === null || startedAtMs < fence.restartAfterMs)
          ) {
            return {
              done: false,
              state:
                `${primaryId} has not restarted since the fence (postmaster started ` +
                `${startedAtMs === null ? "at an unknown time" : new Date(startedAtMs).toISOString()}), so sessions from before it may still write`,
            };
          }
          target = { lsn, value };
        }
        const replayed = positions.replicaReplayLsn === null ? null : parseLsn(positions.replicaReplayLsn);
        if (replayed !== null && replayed >= target.value) return { done: true, value: undefined };
        return {
          done: false,
          state: `${id} replayed ${positions.replicaReplayLsn ?? positions.replicaDetail ?? "nothing"}, target ${target.lsn}`,
        };
      },
      {
        what: `${id} to replay everything ${primaryId} wrote before the fence`,
        timeoutMs,
        intervalMs: this.positionsPollIntervalMs,
        clock: this.clock,
      },
    );
  }

  /** The replica's ARN (tags are addressed by ARN). */
  private async replicaArn(): Promise<string> {
    const id = this.config.replicaInstanceId;
    const out = await this.clients.replicaRds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }),
    );
    const arn = out.DBInstances?.find((db) => db.DBInstanceIdentifier === id)?.DBInstanceArn;
    if (arn === undefined || arn === "") {
      throw new ControlPlaneError(`Not promoting ${id}: DescribeDBInstances gave no ARN to tag`);
    }
    return arn;
  }

  /** Remove the promotion tag after a refused promotion; a failure is left for the next run. */
  private async untagPromotion(arn: string): Promise<void> {
    try {
      await this.clients.replicaRds.send(
        new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: [PROMOTION_REQUESTED_AT_TAG] }),
      );
    } catch {
      // The next run sees the tag on an available replica and calls promote again: idempotent.
    }
  }

  private assertUsableReplica(view: InstanceView): void {
    if (!view.apiReachable) {
      throw new ControlPlaneError(
        `Cannot promote ${view.id}: the replica region's RDS API did not answer (${view.rawStatus})`,
      );
    }
    if (view.status === "not-found") {
      throw new ControlPlaneError(`Cannot promote ${view.id}: DescribeDBInstances says it does not exist`);
    }
    if (view.status === "unknown") {
      throw new ControlPlaneError(
        `Cannot promote ${view.id}: its state is unknown (${view.rawStatus ?? "no status"})`,
      );
    }
  }

  private async ingressRules(groupId: string): Promise<SecurityGroupRule[]> {
    const rules: SecurityGroupRule[] = [];
    let nextToken: string | undefined;
    do {
      const out = await this.clients.primaryEc2.send(
        new DescribeSecurityGroupRulesCommand({
          Filters: [{ Name: "group-id", Values: [groupId] }],
          ...(nextToken === undefined ? {} : { NextToken: nextToken }),
        }),
      );
      rules.push(...(out.SecurityGroupRules ?? []).filter((rule) => rule.IsEgress !== true));
      nextToken = out.NextToken;
    } while (nextToken !== undefined && nextToken !== "");
    return rules;
  }
}
