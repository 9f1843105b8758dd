import { GetMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { DescribeDBInstancesCommand, PromoteReadReplicaCommand, type RDSClient } from "@aws-sdk/client-rds";
import { ConfigurationError, ControlPlaneError } from "../../core/errors";
import type { Clock, DatabaseControl, FenceResult } from "../../core/ports";
import type { DbRole, InstanceStatus, InstanceView } from "../../core/types";
import { describeAwsError, hasErrorName, isApiUnavailable } from "./aws-errors";
import { pollUntil, type PollCheck } from "./poll";

/** Settings of the RDS control adapter (from the failover function's environment). */
export interface RdsDatabaseControlConfig {
  readonly primaryInstanceId: string;
  readonly replicaInstanceId: string;
  /** Security group of the primary whose client ingress is revoked to fence it. */
  readonly primarySecurityGroupId: string;
  /** Backup retention the promoted replica gets (RDS turns automated backups on at promotion). */
  readonly backupRetentionDays: number;
  /**
   * Ingress CIDRs that belong to the monitor and survive fencing. Rules that reference a security
   * group are always kept; this list is for a monitor in another region, because security-group
   * references do not work across an inter-region VPC peering, so that monitor is admitted by CIDR.
   * https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-security-groups.html
   */
  readonly monitorIngressCidrs?: readonly string[];
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

/**
 * `DatabaseControl` on RDS: describes both instances, fences the old primary through its security
 * group, promotes the replica and waits for it. It reports facts and carries out one step each;
 * whether a step should happen is decided by the failover engine.
 */
export class RdsDatabaseControl implements DatabaseControl {
  private readonly pollIntervalMs: number;
  private readonly lagPollIntervalMs: number;
  private readonly caughtUpLagSeconds: number;
  private readonly monitorIngressCidrs: ReadonlySet<string>;

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
    this.monitorIngressCidrs = new Set(config.monitorIngressCidrs ?? []);
  }

  /**
   * `DescribeDBInstances` for one instance. Never throws: not found gives `not-found`; an API that
   * does not answer (network, timeout, throttling or 5xx after the SDK's retries) gives
   * `apiReachable: false` with `unknown`; any other refusal (e.g. access denied) gives `unknown`
   * with the error in `rawStatus`.
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
      };
    }
  }

  /**
   * Revoke every client ingress rule (CIDR or prefix-list source) of the primary's security group.
   * Rules that reference a security group, and `monitorIngressCidrs`, are kept so the monitor can
   * still observe the old primary. Idempotent: nothing left to revoke is `fenced: true`. An EC2 API
   * that does not answer gives `fenced: false` with the reason; any other failure (e.g. access
   * denied, unknown group) throws `ControlPlaneError`.
   */
  async fencePrimary(): Promise<FenceResult> {
    const groupId = this.config.primarySecurityGroupId;
    try {
      const rules = await this.ingressRules(groupId);
      const clientRules = rules.filter((rule) => this.isClientIngress(rule));
      const kept = rules.length - clientRules.length;
      if (clientRules.length === 0) {
        return {
          fenced: true,
          detail: `${groupId} has no client ingress left (${kept} monitor rule(s) kept)`,
        };
      }
      // DescribeSecurityGroupRules always returns rule ids; the type marks every field optional.
      const ruleIds = clientRules.flatMap((rule) =>
        rule.SecurityGroupRuleId ? [rule.SecurityGroupRuleId] : [],
      );
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
      const sources = clientRules
        .map((rule) => rule.CidrIpv4 ?? rule.CidrIpv6 ?? rule.PrefixListId)
        .join(", ");
      return {
        fenced: true,
        detail: `revoked ${clientRules.length} client ingress rule(s) from ${groupId} (${sources}); ${kept} monitor rule(s) kept`,
      };
    } catch (err) {
      if (err instanceof ControlPlaneError) throw err;
      if (isApiUnavailable(err)) {
        return {
          fenced: false,
          detail: `EC2 API did not answer while fencing ${groupId}: ${describeAwsError(err)}`,
        };
      }
      throw new ControlPlaneError(`Fencing ${groupId} failed: ${describeAwsError(err)}`, { cause: err });
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
   * The failover function runs outside the VPCs, so it cannot compare WAL positions over SQL; the
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

  private isClientIngress(rule: SecurityGroupRule): boolean {
    if (rule.IsEgress === true || rule.ReferencedGroupInfo?.GroupId !== undefined) return false;
    const cidr = rule.CidrIpv4 ?? rule.CidrIpv6;
    if (cidr !== undefined && this.monitorIngressCidrs.has(cidr)) return false;
    return cidr !== undefined || rule.PrefixListId !== undefined;
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
