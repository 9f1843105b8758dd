import { GetMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import {
  AddTagsToResourceCommand,
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  RebootDBInstanceCommand,
  type DBInstance,
  type RDSClient,
} from "@aws-sdk/client-rds";
import { FENCED_AT_TAG } from "../../../function-env";
import { ConfigurationError, ControlPlaneError } from "../../core/errors";
import type { Clock, DatabaseControl, FenceResult } from "../../core/ports";
import type { DbRole, InstanceStatus, InstanceView } from "../../core/types";
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
  /** Pause between two `DescribeDBInstances` calls while waiting. Default 15 s. */
  readonly pollIntervalMs?: number;
  /** Pause between two CloudWatch reads in `waitUntilCaughtUp`. Default 30 s (the metric is per minute). */
  readonly lagPollIntervalMs?: number;
  /** Largest `ReplicaLag` (Maximum over one minute) that counts as caught up. Default 0. */
  readonly caughtUpLagSeconds?: number;
}

/** The AWS clients the adapter talks to; each in the region of the instance it serves. */
export interface RdsDatabaseControlClients {
  /** RDS in the primary's region. */
  readonly primaryRds: RDSClient;
  /** RDS in the replica's region (the same region as the primary for a same-region replica). */
  readonly replicaRds: RDSClient;
  /** EC2 in the primary's region (its security group). */
  readonly primaryEc2: EC2Client;
  /** CloudWatch in the replica's region (RDS publishes `ReplicaLag` where the replica lives). */
  readonly replicaCloudWatch: CloudWatchClient;
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
  promoting: "promoting",
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
 * already under way: RDS moves a promoting replica through `modifying` and a reboot.
 */
const PROMOTION_IN_PROGRESS: ReadonlySet<InstanceStatus> = new Set(["modifying", "promoting", "rebooting"]);

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

const DEFAULT_POLL_INTERVAL_MS = 15_000;
const DEFAULT_LAG_POLL_INTERVAL_MS = 30_000;
const REPLICA_LAG_PERIOD_SECONDS = 60;

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

/** The source a rule admits, for the fence detail: a CIDR, a prefix list or a security group. */
function ruleSource(rule: SecurityGroupRule): string {
  return rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId ?? rule.ReferencedGroupInfo?.GroupId ?? "?";
}

/**
 * `DatabaseControl` on RDS: describes both instances, fences the old primary (revokes its client
 * ingress, then reboots it to end the sessions already open), promotes the replica and waits for it. It reports facts and carries out one step each;
 * whether a step should happen is decided by the failover engine.
 */
export class RdsDatabaseControl implements DatabaseControl {
  private readonly pollIntervalMs: number;
  private readonly lagPollIntervalMs: number;
  private readonly caughtUpLagSeconds: number;

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
    requireNonNegativeInteger("pollIntervalMs", config.pollIntervalMs, 1);
    requireNonNegativeInteger("lagPollIntervalMs", config.lagPollIntervalMs, 1);
    requireNonNegativeInteger("caughtUpLagSeconds", config.caughtUpLagSeconds, 0);
    this.pollIntervalMs = config.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.lagPollIntervalMs = config.lagPollIntervalMs ?? DEFAULT_LAG_POLL_INTERVAL_MS;
    this.caughtUpLagSeconds = config.caughtUpLagSeconds ?? 0;
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
      return {
        id,
        role,
        status: normaliseRdsStatus(instance.DBInstanceStatus),
        rawStatus: instance.DBInstanceStatus,
        endpoint: instance.Endpoint?.Address,
        isReplica: typeof source === "string" && source !== "",
        apiReachable: true,
        // The fence tags the old writer once its client ingress is gone and its sessions ended.
        fenced: (instance.TagList ?? []).some((tag) => tag.Key === FENCED_AT_TAG),
        ...(instance.InstanceCreateTime === undefined
          ? {}
          : { createdAtMs: instance.InstanceCreateTime.getTime() }),
      };
    } catch (err) {
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
    const ingress = await this.revokeClientIngress();
    if (ingress.unavailable !== undefined) return { fenced: false, detail: ingress.unavailable };
    const id = this.config.primaryInstanceId;

    const before = await this.readOldWriter(ingress.detail);
    if ("result" in before) return before.result;
    const plan = planSessionFence({
      rawStatus: before.instance.DBInstanceStatus,
      fencedAt: before.instance.TagList?.find((tag) => tag.Key === FENCED_AT_TAG)?.Value,
      revokedRuleCount: ingress.revokedRuleCount,
    });
    if (plan.action === "none") {
      return { fenced: true, detail: `${ingress.detail}; ${id} not rebooted: ${plan.why}` };
    }

    try {
      await this.clients.primaryRds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: id }));
    } catch (err) {
      return this.rebootRefused(err, ingress.detail);
    }
    const rebooted = `${ingress.detail}; rebooted ${id} to end its open sessions (${plan.why})`;
    return { fenced: true, detail: `${rebooted}; ${await this.tagFenced(before.instance)}` };
  }

  /** Revoke every ingress rule of the client group; `unavailable` is set when EC2 did not answer. */
  private async revokeClientIngress(): Promise<{
    readonly revokedRuleCount: number;
    readonly detail: string;
    readonly unavailable?: string;
  }> {
    const groupId = this.config.primarySecurityGroupId;
    try {
      const rules = await this.ingressRules(groupId);
      if (rules.length === 0) return { revokedRuleCount: 0, detail: `${groupId} had no client ingress left` };
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
        detail: `revoked ${rules.length} client ingress rule(s) from ${groupId} (${sources})`,
      };
    } catch (err) {
      if (err instanceof ControlPlaneError) throw err;
      if (isApiUnavailable(err)) {
        return {
          revokedRuleCount: 0,
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
   * `PromoteReadReplica` with the configured backup retention. Idempotent: a replica that is no
   * longer a replica is left alone, and a promotion RDS refuses because one is already running is
   * treated as in progress. Throws `ControlPlaneError` otherwise, with the RDS error as `cause`.
   */
  async promoteReplica(): Promise<void> {
    const id = this.config.replicaInstanceId;
    const before = await this.describe("replica");
    this.assertUsableReplica(before);
    if (!before.isReplica) return;
    try {
      await this.clients.replicaRds.send(
        new PromoteReadReplicaCommand({
          DBInstanceIdentifier: id,
          BackupRetentionPeriod: this.config.backupRetentionDays,
        }),
      );
    } catch (err) {
      if (hasErrorName(err, "InvalidDBInstanceStateFault", "InvalidDBInstanceState")) {
        // RDS also says InvalidDBInstanceState for "not a read replica" and while a backup runs;
        // only the instance's current state tells them apart.
        const after = await this.describe("replica");
        if (after.apiReachable && (!after.isReplica || PROMOTION_IN_PROGRESS.has(after.status))) return;
        throw new ControlPlaneError(
          `RDS refused to promote ${id} in state ${after.rawStatus ?? after.status}: ${describeAwsError(err)}` +
            (after.status === "backing-up"
              ? "; RDS cannot promote a replica while it is backing up, retry when it is done"
              : ""),
          { cause: err },
        );
      }
      throw new ControlPlaneError(`PromoteReadReplica ${id} failed: ${describeAwsError(err)}`, {
        cause: err,
      });
    }
  }

  /**
   * Poll `describe("replica")` until it is `available` and no longer a replica. Throws
   * `WaitTimeoutError` after `timeoutMs`, and `ControlPlaneError` at once if the instance is gone.
   */
  async waitUntilWritable(timeoutMs: number): Promise<InstanceView> {
    const id = this.config.replicaInstanceId;
    return pollUntil(
      async (): Promise<PollCheck<InstanceView>> => {
        const view = await this.describe("replica");
        if (view.status === "not-found") {
          throw new ControlPlaneError(
            `Replica ${id} does not exist (DescribeDBInstances: DBInstanceNotFound)`,
          );
        }
        if (view.status === "available" && !view.isReplica) return { done: true, value: view };
        return { done: false, state: `${view.rawStatus ?? view.status}, isReplica=${view.isReplica}` };
      },
      {
        what: `${id} to become a writable standalone instance`,
        timeoutMs,
        intervalMs: this.pollIntervalMs,
        clock: this.clock,
      },
    );
  }

  /**
   * Planned switchover: resolve once RDS's own `ReplicaLag` metric of the replica (AWS/RDS, Maximum
   * over one minute) is at most `caughtUpLagSeconds` (default 0) for a minute that began after this
   * call, i.e. after the old primary was fenced. Only a whole minute measured after fencing proves
   * that the replica replayed everything clients wrote before the fence; an older datapoint does not.
   * Fencing rebooted a writer that still ran, so no client session outlives the fence: every client
   * write is older than the reboot, and any WAL not yet streamed when the engine stopped is streamed
   * once it is back up. The reboot makes `ReplicaLag` rise for its duration, so the zero-lag minute
   * this waits for lies after the restart, when only the monitor's heartbeats still reach the old
   * writer (through its own access group). The failover function runs outside the VPCs, so it cannot compare WAL positions over SQL; the
   * monitor's heartbeat writes keep the fenced primary from going idle, which keeps `ReplicaLag`
   * meaningful (on an idle source RDS PostgreSQL reports growing lag). CloudWatch errors that mean
   * "unavailable" are retried until the deadline; throws `WaitTimeoutError` after `timeoutMs`.
   * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-metrics.html
   */
  async waitUntilCaughtUp(timeoutMs: number): Promise<void> {
    const id = this.config.replicaInstanceId;
    const fencedAtMs = this.clock.nowMs();
    await pollUntil(
      async (): Promise<PollCheck<void>> => {
        const nowMs = this.clock.nowMs();
        let out;
        try {
          out = await this.clients.replicaCloudWatch.send(
            new GetMetricDataCommand({
              MetricDataQueries: [
                {
                  Id: "replicaLag",
                  MetricStat: {
                    Metric: {
                      Namespace: "AWS/RDS",
                      MetricName: "ReplicaLag",
                      Dimensions: [{ Name: "DBInstanceIdentifier", Value: id }],
                    },
                    Period: REPLICA_LAG_PERIOD_SECONDS,
                    Stat: "Maximum",
                  },
                  ReturnData: true,
                },
              ],
              StartTime: new Date(fencedAtMs),
              // StartTime must be before EndTime; a future EndTime is accepted and simply has no data yet.
              EndTime: new Date(Math.max(nowMs, fencedAtMs + REPLICA_LAG_PERIOD_SECONDS * 1000)),
              ScanBy: "TimestampDescending",
            }),
          );
        } catch (err) {
          if (isApiUnavailable(err))
            return { done: false, state: `CloudWatch unavailable: ${describeAwsError(err)}` };
          throw new ControlPlaneError(`Reading ReplicaLag of ${id} failed: ${describeAwsError(err)}`, {
            cause: err,
          });
        }
        const result = out.MetricDataResults?.[0];
        const points = (result?.Timestamps ?? [])
          .map((at, i) => ({ atMs: at.getTime(), value: result?.Values?.[i] }))
          .filter((p) => p.atMs >= fencedAtMs && typeof p.value === "number")
          .sort((a, b) => b.atMs - a.atMs);
        const newest = points[0];
        if (newest === undefined) return { done: false, state: "no ReplicaLag datapoint since fencing yet" };
        if ((newest.value as number) <= this.caughtUpLagSeconds) return { done: true, value: undefined };
        return {
          done: false,
          state: `ReplicaLag ${newest.value} s at ${new Date(newest.atMs).toISOString()}`,
        };
      },
      {
        what: `${id} to replay everything (ReplicaLag <= ${this.caughtUpLagSeconds} s)`,
        timeoutMs,
        intervalMs: this.lagPollIntervalMs,
        clock: this.clock,
      },
    );
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
