import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
  type SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import {
  AddTagsToResourceCommand,
  DBInstanceNotFoundFault,
  DescribeDBInstancesCommand,
  InvalidDBInstanceStateFault,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RebootDBInstanceCommand,
  RemoveTagsFromResourceCommand,
  type DBInstance,
  type Tag,
} from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";
import { FENCED_AT_TAG } from "../../../../lib/function-env";
import {
  RdsDatabaseControl,
  endsOldSessions,
  normaliseRdsStatus,
  planSessionFence,
  type OldWriterState,
  type RdsDatabaseControlConfig,
  type SessionFencePlan,
} from "../../../../lib/lambda/adapters/aws/rds-database-control";
import { ConfigurationError, ControlPlaneError, WaitTimeoutError } from "../../../../lib/lambda/core/errors";
import type { ApiErrorKind, InstanceStatus, ReplicationPositions } from "../../../../lib/lambda/core/types";
import { FakeClock, awsError, networkError } from "./fake-clock";

const primaryRds = mockClient(RDSClient);
const replicaRdsClient = new RDSClient({ region: "ap-southeast-1" });
const primaryRdsClient = new RDSClient({ region: "ap-southeast-2" });
const ec2 = mockClient(EC2Client);
const cloudWatch = mockClient(CloudWatchClient);

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

const config: RdsDatabaseControlConfig = {
  primaryInstanceId: "rds-primary-dev",
  replicaInstanceId: "rds-replica-dev",
  primarySecurityGroupId: "sg-0abc123",
  backupRetentionDays: 7,
  positionsPollIntervalMs: 5_000,
};

/** Scripted answers of the monitor's replication-positions request, consumed in order (last repeats). */
let positionsScript: (ReplicationPositions | Error)[] = [];
const positionsCalls: number[] = [];
const positions = {
  replicationPositions: async (timeoutMs: number): Promise<ReplicationPositions> => {
    positionsCalls.push(timeoutMs);
    const next = positionsScript.length > 1 ? positionsScript.shift() : positionsScript[0];
    if (next === undefined) throw new Error("no positions scripted");
    if (next instanceof Error) throw next;
    return next;
  },
};

function control(clock = new FakeClock(T0), overrides: Partial<RdsDatabaseControlConfig> = {}) {
  return new RdsDatabaseControl(
    { ...config, ...overrides },
    {
      primaryRds: primaryRdsClient,
      replicaRds: replicaRdsClient,
      primaryEc2: new EC2Client({ region: "ap-southeast-2" }),
      positions,
    },
    clock,
  );
}

const primaryInstance: DBInstance = {
  DBInstanceIdentifier: "rds-primary-dev",
  DBInstanceStatus: "available",
  Endpoint: { Address: "rds-primary-dev.abc.ap-southeast-2.rds.amazonaws.com", Port: 5432 },
  InstanceCreateTime: new Date(Date.UTC(2026, 0, 1)),
};

function replicaInstance(status: string, isReplica: boolean, extra: Partial<DBInstance> = {}): DBInstance {
  return {
    ...extra,
    DBInstanceIdentifier: "rds-replica-dev",
    DBInstanceArn: "arn:aws:rds:ap-southeast-1:123456789012:db:rds-replica-dev",
    DBInstanceStatus: status,
    Endpoint: { Address: "rds-replica-dev.abc.ap-southeast-2.rds.amazonaws.com", Port: 5432 },
    ...(isReplica ? { ReadReplicaSourceDBInstanceIdentifier: "rds-primary-dev" } : {}),
  };
}

/** aws-sdk-client-mock mocks by client class, so route calls by the instance asked for. */
function describeReturns(...replicaStates: DBInstance[]) {
  let call = 0;
  primaryRds.on(DescribeDBInstancesCommand).callsFake((input: { DBInstanceIdentifier?: string }) => {
    if (input.DBInstanceIdentifier === "rds-primary-dev") return { DBInstances: [primaryInstance] };
    return { DBInstances: [replicaStates[Math.min(call++, replicaStates.length - 1)]] };
  });
}

beforeEach(() => {
  primaryRds.reset();
  ec2.reset();
  cloudWatch.reset();
  positionsScript = [];
  positionsCalls.length = 0;
});

describe("normaliseRdsStatus", () => {
  const table: [raw: string | undefined, status: InstanceStatus][] = [
    ["available", "available"],
    ["storage-optimization", "available"],
    ["backing-up", "backing-up"],
    ["modifying", "modifying"],
    ["configuring-iam-database-auth", "modifying"],
    ["upgrading", "modifying"],
    ["rebooting", "rebooting"],
    ["starting", "rebooting"],
    ["stopped", "stopped"],
    ["stopping", "stopping"],
    ["failed", "failed"],
    ["inaccessible-encryption-credentials", "failed"],
    ["incompatible-parameters", "failed"],
    ["storage-full", "storage-full"],
    ["deleting", "deleting"],
    ["Available", "available"],
    ["something-new", "unknown"],
    [undefined, "unknown"],
  ];
  it.each(table)("%s → %s", (raw, status) => expect(normaliseRdsStatus(raw)).toBe(status));
});

describe("RdsDatabaseControl.describe", () => {
  it("asks the primary's region for the primary and maps the instance", async () => {
    describeReturns(replicaInstance("available", true));
    const view = await control().describe("primary");
    expect(primaryRds.commandCalls(DescribeDBInstancesCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: "rds-primary-dev",
    });
    expect(primaryRds.commandCalls(DescribeDBInstancesCommand)[0].thisValue).toBe(primaryRdsClient);
    expect(view).toEqual({
      id: "rds-primary-dev",
      role: "primary",
      status: "available",
      rawStatus: "available",
      endpoint: "rds-primary-dev.abc.ap-southeast-2.rds.amazonaws.com",
      isReplica: false,
      apiReachable: true,
      fenced: false,
      createdAtMs: Date.UTC(2026, 0, 1),
    });
  });

  it("reads the fence tag: an old writer tagged tap:fenced-at is fenced", async () => {
    primaryRds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { ...primaryInstance, TagList: [{ Key: "tap:fenced-at", Value: "2026-11-25T10:00:00.000Z" }] },
      ],
    });
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    expect((await control().describe("primary")).fenced).toBe(true);
    expect(ec2.commandCalls(DescribeSecurityGroupRulesCommand).map((c) => c.args[0].input)).toEqual([
      { Filters: [{ Name: "group-id", Values: ["sg-0abc123"] }] },
    ]);
  });

  it("a fence tag on a primary whose client ingress was restored is not fenced", async () => {
    primaryRds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { ...primaryInstance, TagList: [{ Key: "tap:fenced-at", Value: "2026-11-25T10:00:00.000Z" }] },
      ],
    });
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({
      SecurityGroupRules: [{ SecurityGroupRuleId: "sgr-1", IsEgress: false, CidrIpv4: "10.20.0.0/16" }],
    });
    expect((await control().describe("primary")).fenced).toBe(false);
  });

  it("reads the promotion tag and the backup retention of the replica", async () => {
    primaryRds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        replicaInstance("modifying", true, {
          BackupRetentionPeriod: 0,
          TagList: [{ Key: "tap:promotion-requested-at", Value: "2026-11-25T10:00:00.000Z" }],
        }),
      ],
    });
    expect(await control().describe("replica")).toMatchObject({
      status: "modifying",
      isReplica: true,
      promotionRequestedAtMs: T0,
      backupRetentionDays: 0,
    });
  });

  it("asks the replica's region for the replica and sees it replicating", async () => {
    describeReturns(replicaInstance("backing-up", true));
    const view = await control().describe("replica");
    expect(primaryRds.commandCalls(DescribeDBInstancesCommand)[0].thisValue).toBe(replicaRdsClient);
    expect(view).toMatchObject({
      id: "rds-replica-dev",
      role: "replica",
      status: "backing-up",
      isReplica: true,
    });
  });

  const failures: [
    situation: string,
    err: Error,
    status: InstanceStatus,
    apiReachable: boolean,
    raw: string,
    apiError: ApiErrorKind | undefined,
  ][] = [
    [
      "not found",
      new DBInstanceNotFoundFault({
        message: "DBInstance rds-primary-dev not found.",
        $metadata: { httpStatusCode: 404 },
      }),
      "not-found",
      true,
      "DBInstanceNotFoundFault: DBInstance rds-primary-dev not found. (HTTP 404)",
      undefined,
    ],
    [
      "throttling that outlasted the retries",
      awsError("ThrottlingException", "Rate exceeded", 400),
      "unknown",
      false,
      "ThrottlingException: Rate exceeded (HTTP 400)",
      "throttled",
    ],
    [
      "service unavailable",
      awsError("ServiceUnavailable", "Service unavailable", 503),
      "unknown",
      false,
      "ServiceUnavailable: Service unavailable (HTTP 503)",
      "server-error",
    ],
    [
      "internal failure",
      awsError("InternalFailure", "internal", 500),
      "unknown",
      false,
      "InternalFailure: internal (HTTP 500)",
      "server-error",
    ],
    [
      "SDK timeout",
      awsError("TimeoutError", "Connection timed out after 3000 ms"),
      "unknown",
      false,
      "TimeoutError: Connection timed out after 3000 ms",
      "connectivity",
    ],
    [
      "request timeout",
      awsError("RequestTimeout", "timed out", 400),
      "unknown",
      false,
      "RequestTimeout: timed out (HTTP 400)",
      "server-error",
    ],
    [
      "network error",
      networkError("ECONNREFUSED"),
      "unknown",
      false,
      "ECONNREFUSED: connect ECONNREFUSED 10.0.0.1:443",
      "connectivity",
    ],
    [
      "access denied (the API answered)",
      awsError("AccessDenied", "not authorized to DescribeDBInstances", 403),
      "unknown",
      true,
      "AccessDenied: not authorized to DescribeDBInstances (HTTP 403)",
      "refused",
    ],
  ];
  it.each(failures)("never throws: %s", async (_situation, err, status, apiReachable, raw, apiError) => {
    primaryRds.on(DescribeDBInstancesCommand).rejects(err);
    await expect(control().describe("primary")).resolves.toEqual({
      id: "rds-primary-dev",
      role: "primary",
      status,
      rawStatus: raw,
      isReplica: false,
      apiReachable,
      ...(apiError === undefined ? {} : { apiError }),
    });
  });

  it("reports not-found when the answer holds no instance", async () => {
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [] });
    await expect(control().describe("replica")).resolves.toMatchObject({
      status: "not-found",
      apiReachable: true,
    });
  });
});

describe("endsOldSessions", () => {
  const table: [raw: string | undefined, ends: boolean][] = [
    ["available", false],
    ["backing-up", false],
    ["modifying", false],
    ["configuring-log-exports", false],
    ["storage-full", false],
    ["storage-optimization", false],
    ["incompatible-network", false],
    ["something-new", false],
    [undefined, false],
    ["rebooting", true],
    ["Rebooting", true],
    ["starting", true],
    ["stopping", true],
    ["stopped", true],
    ["deleting", true],
    ["failed", true],
    ["inaccessible-encryption-credentials", true],
    ["incompatible-parameters", true],
  ];
  it.each(table)("%s → %s", (raw, ends) => expect(endsOldSessions(raw)).toBe(ends));
});

describe("planSessionFence", () => {
  const situations: [situation: string, state: OldWriterState, plan: SessionFencePlan][] = [
    [
      "live writer whose rules were just revoked",
      { rawStatus: "available", fencedAt: undefined, revokedRuleCount: 2 },
      { action: "reboot", why: "it is available and kept its sessions from before the revoke" },
    ],
    [
      "rules were just revoked although an old tag says it was fenced before (ingress came back since)",
      { rawStatus: "available", fencedAt: "2026-01-01T00:00:00.000Z", revokedRuleCount: 1 },
      { action: "reboot", why: "it is available and kept its sessions from before the revoke" },
    ],
    [
      "writer busy with a backup while its rules were revoked",
      { rawStatus: "backing-up", fencedAt: undefined, revokedRuleCount: 1 },
      { action: "reboot", why: "it is backing-up and kept its sessions from before the revoke" },
    ],
    [
      "already rebooting (a run that stopped after its reboot call)",
      { rawStatus: "rebooting", fencedAt: undefined, revokedRuleCount: 0 },
      { action: "none", why: "it is rebooting, which ends every session from before the fence" },
    ],
    [
      "rebooting when the rules are revoked",
      { rawStatus: "rebooting", fencedAt: undefined, revokedRuleCount: 3 },
      { action: "none", why: "it is rebooting, which ends every session from before the fence" },
    ],
    [
      "stopped",
      { rawStatus: "stopped", fencedAt: undefined, revokedRuleCount: 1 },
      { action: "none", why: "it is stopped, which ends every session from before the fence" },
    ],
    [
      "empty group and tagged by an earlier fence",
      { rawStatus: "available", fencedAt: "2026-11-25T10:00:00.000Z", revokedRuleCount: 0 },
      {
        action: "none",
        why: "it is available and was already rebooted by the fence at 2026-11-25T10:00:00.000Z (tap:fenced-at)",
      },
    ],
    [
      "empty group, no tag (a run that stopped between revoke and reboot)",
      { rawStatus: "available", fencedAt: undefined, revokedRuleCount: 0 },
      {
        action: "reboot",
        why: "it is available and nothing records a reboot since its client ingress went (no tap:fenced-at tag)",
      },
    ],
    [
      "status missing from the answer",
      { rawStatus: undefined, fencedAt: undefined, revokedRuleCount: 1 },
      { action: "reboot", why: "it is no status and kept its sessions from before the revoke" },
    ],
  ];
  it.each(situations)("%s", (_s, state, plan) => expect(planSessionFence(state)).toEqual(plan));
});

describe("RdsDatabaseControl.fencePrimary", () => {
  const SG = "sg-0abc123";
  const ARN = "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev";
  const clientV4: SecurityGroupRule = {
    SecurityGroupRuleId: "sgr-client4",
    GroupId: SG,
    IsEgress: false,
    IpProtocol: "tcp",
    FromPort: 5432,
    ToPort: 5432,
    CidrIpv4: "10.20.0.0/16",
  };
  const clientV6: SecurityGroupRule = {
    ...clientV4,
    SecurityGroupRuleId: "sgr-client6",
    CidrIpv4: undefined,
    CidrIpv6: "fd00::/8",
  };
  const prefixList: SecurityGroupRule = {
    ...clientV4,
    SecurityGroupRuleId: "sgr-pl",
    CidrIpv4: undefined,
    PrefixListId: "pl-123",
  };
  const appGroup: SecurityGroupRule = {
    ...clientV4,
    SecurityGroupRuleId: "sgr-app",
    CidrIpv4: undefined,
    ReferencedGroupInfo: { GroupId: "sg-0app" },
  };
  const egress: SecurityGroupRule = {
    ...clientV4,
    SecurityGroupRuleId: "sgr-egress",
    IsEgress: true,
    CidrIpv4: "0.0.0.0/0",
  };

  function oldWriter(status: string, tags: Tag[] = []): DBInstance {
    return {
      ...primaryInstance,
      DBInstanceStatus: status,
      DBInstanceArn: ARN,
      TagList: [{ Key: "DR-Role", Value: "primary" }, ...tags],
    };
  }
  const describeRules = { Filters: [{ Name: "group-id", Values: [SG] }] };
  const describeWriter = { DBInstanceIdentifier: "rds-primary-dev" };
  const reboot = { DBInstanceIdentifier: "rds-primary-dev" };
  const tag = { ResourceName: ARN, Tags: [{ Key: FENCED_AT_TAG, Value: "2026-11-25T10:00:00.000Z" }] };

  /** Every EC2 and RDS call, in the order made, as [command, input]. */
  function sequence(): [string, unknown][] {
    return [...ec2.calls(), ...primaryRds.calls()]
      .sort((a, b) => (a.calledBefore(b) ? -1 : 1))
      .map((call) => {
        const command = call.args[0] as { constructor: { name: string }; input: unknown };
        return [command.constructor.name, command.input];
      });
  }

  const stateFault = (message: string) =>
    new InvalidDBInstanceStateFault({ message, $metadata: { httpStatusCode: 400 } });

  it("revokes every ingress rule, reboots the live writer, then tags it", async () => {
    ec2
      .on(DescribeSecurityGroupRulesCommand)
      .resolvesOnce({ SecurityGroupRules: [clientV4, appGroup, egress], NextToken: "page2" })
      .resolvesOnce({ SecurityGroupRules: [clientV6, prefixList] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [oldWriter("available")] });
    primaryRds.on(RebootDBInstanceCommand).resolves({ DBInstance: oldWriter("rebooting") });
    primaryRds.on(AddTagsToResourceCommand).resolves({});

    const result = await control().fencePrimary();

    expect(sequence()).toEqual([
      ["DescribeSecurityGroupRulesCommand", describeRules],
      ["DescribeSecurityGroupRulesCommand", { ...describeRules, NextToken: "page2" }],
      [
        "RevokeSecurityGroupIngressCommand",
        { GroupId: SG, SecurityGroupRuleIds: ["sgr-client4", "sgr-app", "sgr-client6", "sgr-pl"] },
      ],
      ["DescribeDBInstancesCommand", describeWriter],
      ["RebootDBInstanceCommand", reboot],
      ["AddTagsToResourceCommand", tag],
    ]);
    // No ForceFailover: a Multi-AZ writer must restart in place, not hand its sessions to a standby.
    expect(primaryRds.commandCalls(RebootDBInstanceCommand)[0].args[0].input).not.toHaveProperty(
      "ForceFailover",
    );
    expect(primaryRds.commandCalls(RebootDBInstanceCommand)[0].thisValue).toBe(primaryRdsClient);
    expect(result.revokedIngress).toEqual([
      { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "10.20.0.0/16" },
      { protocol: "tcp", fromPort: 5432, toPort: 5432, referencedGroupId: "sg-0app" },
      { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv6: "fd00::/8" },
      { protocol: "tcp", fromPort: 5432, toPort: 5432, prefixListId: "pl-123" },
    ]);
    expect(result.restartAfterMs).toBe(T0);
    expect(result).toMatchObject({
      fenced: true,
      detail:
        "revoked 4 client ingress rule(s) from sg-0abc123 (10.20.0.0/16, sg-0app, fd00::/8, pl-123); " +
        "rebooted rds-primary-dev to end its open sessions (it is available and kept its sessions from before the revoke); " +
        "tagged tap:fenced-at=2026-11-25T10:00:00.000Z",
    });
  });

  it("does not reboot a writer that is already rebooting", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [oldWriter("rebooting")] });

    await expect(control().fencePrimary()).resolves.toMatchObject({
      fenced: true,
      detail:
        "revoked 1 client ingress rule(s) from sg-0abc123 (10.20.0.0/16); " +
        "rds-primary-dev not rebooted: it is rebooting, which ends every session from before the fence",
    });
    expect(sequence().map(([name]) => name)).toEqual([
      "DescribeSecurityGroupRulesCommand",
      "RevokeSecurityGroupIngressCommand",
      "DescribeDBInstancesCommand",
    ]);
  });

  it("fences once: a second fence after a completed one neither revokes nor reboots", async () => {
    // One stateful account: the revoke empties the group, the reboot ends and leaves it available,
    // the tag stays on the instance.
    let rules: SecurityGroupRule[] = [clientV4, clientV6];
    let tags: Tag[] = [];
    ec2.on(DescribeSecurityGroupRulesCommand).callsFake(() => ({ SecurityGroupRules: rules }));
    ec2.on(RevokeSecurityGroupIngressCommand).callsFake(() => {
      rules = [];
      return { Return: true };
    });
    primaryRds
      .on(DescribeDBInstancesCommand)
      .callsFake(() => ({ DBInstances: [oldWriter("available", tags)] }));
    primaryRds.on(RebootDBInstanceCommand).resolves({ DBInstance: oldWriter("rebooting") });
    primaryRds.on(AddTagsToResourceCommand).callsFake((input: { Tags: Tag[] }) => {
      tags = input.Tags;
      return {};
    });
    const clock = new FakeClock(T0);

    const first = await control(clock).fencePrimary();
    clock.advance(5 * 60_000);
    const callsAfterFirst = sequence().length;
    const second = await control(clock).fencePrimary();

    expect(first.fenced).toBe(true);
    expect(sequence().slice(callsAfterFirst)).toEqual([
      ["DescribeSecurityGroupRulesCommand", describeRules],
      ["DescribeDBInstancesCommand", describeWriter],
    ]);
    expect(primaryRds.commandCalls(RebootDBInstanceCommand)).toHaveLength(1);
    expect(second).toEqual({
      fenced: true,
      detail:
        "sg-0abc123 had no client ingress left; rds-primary-dev not rebooted: it is available and was already " +
        "rebooted by the fence at 2026-11-25T10:00:00.000Z (tap:fenced-at)",
    });
  });

  it("reboots when the group is empty but nothing records a reboot (a run stopped after its revoke)", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [egress] });
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [oldWriter("available")] });
    primaryRds.on(RebootDBInstanceCommand).resolves({});
    primaryRds.on(AddTagsToResourceCommand).resolves({});

    await expect(control().fencePrimary()).resolves.toMatchObject({
      fenced: true,
      detail:
        "sg-0abc123 had no client ingress left; rebooted rds-primary-dev to end its open sessions (it is available " +
        "and nothing records a reboot since its client ingress went (no tap:fenced-at tag)); " +
        "tagged tap:fenced-at=2026-11-25T10:00:00.000Z",
    });
    expect(sequence().map(([name]) => name)).toEqual([
      "DescribeSecurityGroupRulesCommand",
      "DescribeDBInstancesCommand",
      "RebootDBInstanceCommand",
      "AddTagsToResourceCommand",
    ]);
  });

  const refusedReboot: [situation: string, after: string, fenced: boolean, tail: string][] = [
    [
      "another run's reboot began meanwhile",
      "rebooting",
      true,
      ", but it is rebooting, which ends every session from before the fence",
    ],
    [
      "it is stopping",
      "stopping",
      true,
      ", but it is stopping, which ends every session from before the fence",
    ],
    [
      "it is being modified and runs",
      "modifying",
      false,
      " and it is modifying, still running: sessions opened before the revoke may still write until it can be rebooted",
    ],
    [
      "it is backing up and runs",
      "backing-up",
      false,
      " and it is backing-up, still running: sessions opened before the revoke may still write until it can be rebooted",
    ],
  ];
  it.each(refusedReboot)(
    "InvalidDBInstanceState on reboot when %s: fenced only if it no longer runs",
    async (_s, after, fenced, tail) => {
      ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
      ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
      primaryRds
        .on(DescribeDBInstancesCommand)
        .resolvesOnce({ DBInstances: [oldWriter("available")] })
        .resolves({ DBInstances: [oldWriter(after)] });
      primaryRds.on(RebootDBInstanceCommand).rejects(stateFault("DB instance is not in available state"));

      await expect(control().fencePrimary()).resolves.toMatchObject({
        fenced,
        detail:
          "revoked 1 client ingress rule(s) from sg-0abc123 (10.20.0.0/16); RDS refused to reboot rds-primary-dev " +
          "(InvalidDBInstanceStateFault: DB instance is not in available state (HTTP 400))" +
          tail,
      });
      expect(sequence().map(([name]) => name)).toEqual([
        "DescribeSecurityGroupRulesCommand",
        "RevokeSecurityGroupIngressCommand",
        "DescribeDBInstancesCommand",
        "RebootDBInstanceCommand",
        "DescribeDBInstancesCommand",
      ]);
      expect(primaryRds.commandCalls(AddTagsToResourceCommand)).toHaveLength(0);
    },
  );

  const ec2Unreachable: [situation: string, err: Error, reason: string][] = [
    [
      "EC2 throttling",
      awsError("RequestLimitExceeded", "Request limit exceeded.", 503),
      "RequestLimitExceeded: Request limit exceeded. (HTTP 503)",
    ],
    [
      "EC2 5xx",
      awsError("Unavailable", "The server is overloaded", 503),
      "Unavailable: The server is overloaded (HTTP 503)",
    ],
    ["timeout", awsError("TimeoutError", "socket hang up"), "TimeoutError: socket hang up"],
  ];
  it.each(ec2Unreachable)(
    "is not fenced on %s while reading the rules, and touches nothing else",
    async (_s, err, reason) => {
      ec2.on(DescribeSecurityGroupRulesCommand).rejects(err);
      await expect(control().fencePrimary()).resolves.toMatchObject({
        fenced: false,
        detail: `EC2 API did not answer while fencing sg-0abc123: ${reason}`,
      });
      expect(sequence().map(([name]) => name)).toEqual(["DescribeSecurityGroupRulesCommand"]);
    },
  );

  it("is not fenced when the revoke itself gets no answer, and does not reboot", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(networkError("ETIMEDOUT"));
    await expect(control().fencePrimary()).resolves.toMatchObject({
      fenced: false,
      detail: "EC2 API did not answer while fencing sg-0abc123: ETIMEDOUT: connect ETIMEDOUT 10.0.0.1:443",
    });
    expect(primaryRds.calls()).toHaveLength(0);
  });

  it("is not fenced when RDS does not answer after the revoke: old sessions may still write", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    primaryRds.on(DescribeDBInstancesCommand).rejects(awsError("ServiceUnavailable", "down", 503));
    await expect(control().fencePrimary()).resolves.toMatchObject({
      fenced: false,
      detail:
        "revoked 1 client ingress rule(s) from sg-0abc123 (10.20.0.0/16); RDS API did not answer " +
        "(ServiceUnavailable: down (HTTP 503)), so rds-primary-dev could not be rebooted and sessions opened " +
        "before the revoke may still write",
    });
    expect(primaryRds.commandCalls(RebootDBInstanceCommand)).toHaveLength(0);
  });

  it("is not fenced when the reboot call gets no answer", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [oldWriter("available")] });
    primaryRds.on(RebootDBInstanceCommand).rejects(networkError("ECONNRESET"));
    await expect(control().fencePrimary()).resolves.toMatchObject({
      fenced: false,
      detail:
        "revoked 1 client ingress rule(s) from sg-0abc123 (10.20.0.0/16); RebootDBInstance rds-primary-dev got " +
        "no answer (ECONNRESET: connect ECONNRESET 10.0.0.1:443), so sessions opened before the revoke may still write",
    });
  });

  it("is fenced when the old writer no longer exists", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    primaryRds
      .on(DescribeDBInstancesCommand)
      .rejects(new DBInstanceNotFoundFault({ message: "gone", $metadata: { httpStatusCode: 404 } }));
    await expect(control().fencePrimary()).resolves.toMatchObject({
      fenced: true,
      detail:
        "sg-0abc123 had no client ingress left; rds-primary-dev does not exist, so nothing serves its sessions",
    });
  });

  it("stays fenced but says so when the tag cannot be written", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [oldWriter("available")] });
    primaryRds.on(RebootDBInstanceCommand).resolves({});
    primaryRds
      .on(AddTagsToResourceCommand)
      .rejects(awsError("AccessDenied", "not authorized to perform rds:AddTagsToResource", 403));
    await expect(control().fencePrimary()).resolves.toMatchObject({
      fenced: true,
      detail:
        "revoked 1 client ingress rule(s) from sg-0abc123 (10.20.0.0/16); rebooted rds-primary-dev to end its open " +
        "sessions (it is available and kept its sessions from before the revoke); could not tag tap:fenced-at " +
        "(AccessDenied: not authorized to perform rds:AddTagsToResource (HTTP 403)); a later fence may reboot it again",
    });
  });

  it("throws ControlPlaneError when RDS refuses the reboot for another reason", async () => {
    const denied = awsError("AccessDenied", "not authorized to perform rds:RebootDBInstance", 403);
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: true });
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [oldWriter("available")] });
    primaryRds.on(RebootDBInstanceCommand).rejects(denied);
    await expect(control().fencePrimary()).rejects.toMatchObject({
      name: "ControlPlaneError",
      message:
        "RebootDBInstance rds-primary-dev failed: AccessDenied: not authorized to perform rds:RebootDBInstance (HTTP 403)",
      cause: denied,
    });
  });

  it("throws ControlPlaneError when RDS refuses to describe the old writer", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
    const denied = awsError("AccessDenied", "no", 403);
    primaryRds.on(DescribeDBInstancesCommand).rejects(denied);
    await expect(control().fencePrimary()).rejects.toMatchObject({
      name: "ControlPlaneError",
      message: "Reading rds-primary-dev while fencing it failed: AccessDenied: no (HTTP 403)",
      cause: denied,
    });
    expect(primaryRds.commandCalls(RebootDBInstanceCommand)).toHaveLength(0);
  });

  it("treats a rule revoked concurrently as revoked", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2
      .on(RevokeSecurityGroupIngressCommand)
      .rejects(
        awsError("InvalidSecurityGroupRuleId.NotFound", "The rule ID 'sgr-client4' does not exist", 400),
      );
    primaryRds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [oldWriter("rebooting")] });
    await expect(control().fencePrimary()).resolves.toMatchObject({ fenced: true });
  });

  it("throws ControlPlaneError with the cause when EC2 refuses", async () => {
    const denied = awsError(
      "UnauthorizedOperation",
      "You are not authorized to perform this operation.",
      403,
    );
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).rejects(denied);
    const fencing = control().fencePrimary();
    await expect(fencing).rejects.toThrow(ControlPlaneError);
    await expect(fencing).rejects.toMatchObject({
      message:
        "Fencing sg-0abc123 failed: UnauthorizedOperation: You are not authorized to perform this operation. (HTTP 403)",
      cause: denied,
    });
    expect(primaryRds.calls()).toHaveLength(0);
  });

  it("throws when EC2 answers Return false", async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [clientV4] });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({ Return: false });
    await expect(control().fencePrimary()).rejects.toThrow(
      "RevokeSecurityGroupIngress on sg-0abc123 returned false for sgr-client4",
    );
  });
});

describe("RdsDatabaseControl.promoteReplica", () => {
  it("tags the replica tap:promotion-requested-at first, then promotes it with backups off (§1.2)", async () => {
    describeReturns(replicaInstance("available", true));
    primaryRds.on(AddTagsToResourceCommand).resolves({});
    primaryRds.on(PromoteReadReplicaCommand).resolves({});
    await control().promoteReplica();
    const calls = primaryRds.commandCalls(PromoteReadReplicaCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: "rds-replica-dev", BackupRetentionPeriod: 0 },
    ]);
    expect(calls[0].thisValue).toBe(replicaRdsClient);
    const tags = primaryRds.commandCalls(AddTagsToResourceCommand);
    expect(tags.map((c) => c.args[0].input)).toEqual([
      {
        ResourceName: "arn:aws:rds:ap-southeast-1:123456789012:db:rds-replica-dev",
        Tags: [{ Key: "tap:promotion-requested-at", Value: new Date(T0).toISOString() }],
      },
    ]);
    expect(tags[0].thisValue).toBe(replicaRdsClient);
    const order = primaryRds
      .calls()
      .map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(order.indexOf("AddTagsToResourceCommand")).toBeLessThan(
      order.indexOf("PromoteReadReplicaCommand"),
    );
  });

  it("does not promote when the tag cannot be written", async () => {
    describeReturns(replicaInstance("available", true));
    primaryRds
      .on(AddTagsToResourceCommand)
      .rejects(awsError("AccessDenied", "no rds:AddTagsToResource", 403));
    await expect(control().promoteReplica()).rejects.toThrow(
      "Not promoting rds-replica-dev: tagging it tap:promotion-requested-at failed (AccessDenied: no rds:AddTagsToResource (HTTP 403))",
    );
    expect(primaryRds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("falls back to the configured retention if RDS refuses retention 0", async () => {
    describeReturns(replicaInstance("available", true));
    primaryRds.on(AddTagsToResourceCommand).resolves({});
    primaryRds
      .on(PromoteReadReplicaCommand, { DBInstanceIdentifier: "rds-replica-dev", BackupRetentionPeriod: 0 })
      .rejects(awsError("InvalidParameterCombination", "retention 0 not allowed", 400));
    primaryRds
      .on(PromoteReadReplicaCommand, { DBInstanceIdentifier: "rds-replica-dev", BackupRetentionPeriod: 7 })
      .resolves({});
    await control().promoteReplica();
    expect(primaryRds.commandCalls(PromoteReadReplicaCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: "rds-replica-dev", BackupRetentionPeriod: 0 },
      { DBInstanceIdentifier: "rds-replica-dev", BackupRetentionPeriod: 7 },
    ]);
  });

  it("a refused promotion removes the tag again: nothing began", async () => {
    describeReturns(replicaInstance("available", true), replicaInstance("backing-up", true));
    primaryRds.on(AddTagsToResourceCommand).resolves({});
    primaryRds.on(RemoveTagsFromResourceCommand).resolves({});
    primaryRds.on(PromoteReadReplicaCommand).rejects(awsError("InvalidDBInstanceState", "backing up", 400));
    await expect(control().promoteReplica()).rejects.toThrow(ControlPlaneError);
    expect(primaryRds.commandCalls(RemoveTagsFromResourceCommand).map((c) => c.args[0].input)).toEqual([
      {
        ResourceName: "arn:aws:rds:ap-southeast-1:123456789012:db:rds-replica-dev",
        TagKeys: ["tap:promotion-requested-at"],
      },
    ]);
  });

  it("does nothing when the replica was already promoted", async () => {
    describeReturns(replicaInstance("available", false));
    await control().promoteReplica();
    expect(primaryRds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  const inProgress: [situation: string, after: DBInstance][] = [
    ["already modifying", replicaInstance("modifying", true)],
    ["rebooting at the end of promotion", replicaInstance("rebooting", true)],
    ["promotion finished meanwhile", replicaInstance("backing-up", false)],
  ];
  it.each(inProgress)("treats InvalidDBInstanceState as in progress when %s", async (_s, after) => {
    describeReturns(replicaInstance("available", true), after);
    primaryRds.on(AddTagsToResourceCommand).resolves({});
    primaryRds.on(PromoteReadReplicaCommand).rejects(
      new InvalidDBInstanceStateFault({
        message: "DB Instance is not in available state",
        $metadata: { httpStatusCode: 400 },
      }),
    );
    await expect(control().promoteReplica()).resolves.toBeUndefined();
    expect(primaryRds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(1);
  });

  it("explains InvalidDBInstanceState while the replica is backing up", async () => {
    const refused = awsError("InvalidDBInstanceState", "Instance is backing up", 400);
    describeReturns(replicaInstance("available", true), replicaInstance("backing-up", true));
    primaryRds.on(AddTagsToResourceCommand).resolves({});
    primaryRds.on(PromoteReadReplicaCommand).rejects(refused);
    const promotion = control().promoteReplica();
    await expect(promotion).rejects.toThrow(ControlPlaneError);
    await expect(promotion).rejects.toMatchObject({
      cause: refused,
      message:
        "RDS refused to promote rds-replica-dev in state backing-up: InvalidDBInstanceState: Instance is backing up (HTTP 400); " +
        "RDS cannot promote a replica while it is backing up, retry when it is done",
    });
  });

  it("wraps other RDS errors in ControlPlaneError with the cause", async () => {
    const denied = awsError("AccessDenied", "not authorized to PromoteReadReplica", 403);
    describeReturns(replicaInstance("available", true));
    primaryRds.on(AddTagsToResourceCommand).resolves({});
    primaryRds.on(PromoteReadReplicaCommand).rejects(denied);
    await expect(control().promoteReplica()).rejects.toMatchObject({
      name: "ControlPlaneError",
      message:
        "PromoteReadReplica rds-replica-dev failed: AccessDenied: not authorized to PromoteReadReplica (HTTP 403)",
      cause: denied,
    });
  });

  it("refuses when the replica's region does not answer, without calling PromoteReadReplica", async () => {
    primaryRds.on(DescribeDBInstancesCommand).rejects(awsError("ServiceUnavailable", "down", 503));
    await expect(control().promoteReplica()).rejects.toThrow(
      "Cannot promote rds-replica-dev: the replica region's RDS API did not answer (ServiceUnavailable: down (HTTP 503))",
    );
    expect(primaryRds.commandCalls(PromoteReadReplicaCommand)).toHaveLength(0);
  });

  it("refuses when the replica does not exist", async () => {
    primaryRds.on(DescribeDBInstancesCommand).rejects(awsError("DBInstanceNotFound", "gone", 404));
    await expect(control().promoteReplica()).rejects.toThrow(
      "Cannot promote rds-replica-dev: DescribeDBInstances says it does not exist",
    );
  });
});

describe("RdsDatabaseControl.waitUntilCaughtUp (WAL positions, not ReplicaLag: reference §1.4)", () => {
  const FENCE = { fenced: true, detail: "revoked; rebooted", restartAfterMs: T0 - 60_000 };
  const at = (
    primaryLsn: string | null,
    replicaReplayLsn: string | null,
    startedAtMs: number | null = T0 - 1_000,
  ) => ({
    atMs: T0,
    primaryLsn,
    primaryStartedAtMs: startedAtMs,
    replicaReplayLsn,
  });

  it("done once replay reaches the primary position read first (later heartbeats are not awaited)", async () => {
    positionsScript = [at("0/3000100", "0/3000000"), at("0/3000200", "0/3000100")];
    const clock = new FakeClock(T0);
    await control(clock).waitUntilCaughtUp(300_000, FENCE);
    expect(positionsCalls).toEqual([8_000, 8_000]);
    expect(clock.sleeps).toEqual([5_000]);
  });

  it("compares positions numerically across the high half (A/0 is beyond 9/FFFFFFFF)", async () => {
    positionsScript = [at("A/0", "9/FFFFFFFF"), at("A/10", "A/0")];
    await control(new FakeClock(T0)).waitUntilCaughtUp(300_000, FENCE);
    expect(positionsCalls).toHaveLength(2);
  });

  it("ignores a primary position from a postmaster started before the fence's restart", async () => {
    positionsScript = [
      at("0/2000000", "0/2000000", T0 - 120_000),
      at("0/3000000", "0/2000000"),
      at("0/3000000", "0/3000000"),
    ];
    const clock = new FakeClock(T0);
    await control(clock).waitUntilCaughtUp(300_000, FENCE);
    expect(positionsCalls).toHaveLength(3);
  });

  it("keeps polling through unreadable positions and times out with the last state", async () => {
    positionsScript = [new Error("Lambda TooManyRequestsException"), at("0/3000100", null)];
    const clock = new FakeClock(T0);
    await expect(control(clock).waitUntilCaughtUp(12_000, FENCE)).rejects.toThrow(WaitTimeoutError);
    await expect(control(new FakeClock(T0)).waitUntilCaughtUp(12_000, FENCE)).rejects.toThrow(
      "last state: rds-replica-dev replayed nothing, target 0/3000100",
    );
  });

  it("without a restart to wait for (an earlier fence rebooted), the first reading is the target", async () => {
    positionsScript = [at("0/3000000", "0/3000000", T0 - 86_400_000)];
    await control(new FakeClock(T0)).waitUntilCaughtUp(300_000, { fenced: true, detail: "already fenced" });
    expect(positionsCalls).toHaveLength(1);
  });
});

describe("RdsDatabaseControl.unfencePrimary", () => {
  it("re-authorizes exactly the revoked rules and removes the fence tag", async () => {
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({ Return: true });
    primaryRds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        { ...primaryInstance, DBInstanceArn: "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev" },
      ],
    });
    primaryRds.on(RemoveTagsFromResourceCommand).resolves({});
    const result = await control().unfencePrimary({
      fenced: true,
      detail: "revoked",
      revokedIngress: [
        { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "10.20.0.0/16", description: "app" },
        { protocol: "tcp", fromPort: 5432, toPort: 5432, prefixListId: "pl-0abc" },
        { protocol: "tcp", fromPort: 5432, toPort: 5432, referencedGroupId: "sg-0app" },
      ],
    });
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand).map((c) => c.args[0].input)).toEqual([
      {
        GroupId: "sg-0abc123",
        IpPermissions: [
          {
            IpProtocol: "tcp",
            FromPort: 5432,
            ToPort: 5432,
            IpRanges: [{ CidrIp: "10.20.0.0/16", Description: "app" }],
          },
        ],
      },
      {
        GroupId: "sg-0abc123",
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, PrefixListIds: [{ PrefixListId: "pl-0abc" }] },
        ],
      },
      {
        GroupId: "sg-0abc123",
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 5432, ToPort: 5432, UserIdGroupPairs: [{ GroupId: "sg-0app" }] },
        ],
      },
    ]);
    expect(primaryRds.commandCalls(RemoveTagsFromResourceCommand).map((c) => c.args[0].input)).toEqual([
      {
        ResourceName: "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev",
        TagKeys: ["tap:fenced-at"],
      },
    ]);
    expect(result.restored).toBe(true);
  });

  it("a rule already back counts as restored; another refusal throws with how far it got", async () => {
    ec2
      .on(AuthorizeSecurityGroupIngressCommand)
      .rejectsOnce(awsError("InvalidPermission.Duplicate", "exists", 400))
      .rejectsOnce(awsError("UnauthorizedOperation", "no", 403));
    await expect(
      control().unfencePrimary({
        fenced: true,
        detail: "revoked",
        revokedIngress: [
          { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "10.20.0.0/16" },
          { protocol: "tcp", fromPort: 5432, toPort: 5432, cidrIpv4: "10.30.0.0/16" },
        ],
      }),
    ).rejects.toThrow("Re-authorizing tcp/5432 from 10.30.0.0/16 on sg-0abc123 failed after 1 of 2 rule(s)");
  });
});

describe("RdsDatabaseControl.enableBackups", () => {
  it("ModifyDBInstance with the configured retention, applied immediately, when backups are off", async () => {
    describeReturns(replicaInstance("available", false, { BackupRetentionPeriod: 0 }));
    primaryRds.on(ModifyDBInstanceCommand).resolves({});
    await expect(control().enableBackups()).resolves.toBe(
      "requested automated backups for rds-replica-dev (retention 7 days, applied immediately)",
    );
    const calls = primaryRds.commandCalls(ModifyDBInstanceCommand);
    expect(calls.map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: "rds-replica-dev", BackupRetentionPeriod: 7, ApplyImmediately: true },
    ]);
    expect(calls[0].thisValue).toBe(replicaRdsClient);
  });

  it("does nothing when backups are already on", async () => {
    describeReturns(replicaInstance("backing-up", false, { BackupRetentionPeriod: 7 }));
    await expect(control().enableBackups()).resolves.toBe(
      "rds-replica-dev already keeps automated backups for 7 day(s)",
    );
    expect(primaryRds.commandCalls(ModifyDBInstanceCommand)).toHaveLength(0);
  });

  it("throws ControlPlaneError when RDS refuses, so the next run retries the step", async () => {
    describeReturns(replicaInstance("modifying", false, { BackupRetentionPeriod: 0 }));
    primaryRds.on(ModifyDBInstanceCommand).rejects(awsError("InvalidDBInstanceState", "modifying", 400));
    await expect(control().enableBackups()).rejects.toThrow(
      "Turning automated backups on for rds-replica-dev (retention 7 days) failed in state modifying",
    );
  });
});

describe("RdsDatabaseControl configuration", () => {
  const bad: [situation: string, overrides: Partial<RdsDatabaseControlConfig>, message: string][] = [
    [
      "empty primary id",
      { primaryInstanceId: "" },
      'RdsDatabaseControl primaryInstanceId must be a non-empty string, got ""',
    ],
    [
      "security group name instead of id",
      { primarySecurityGroupId: "db-sg" },
      'primarySecurityGroupId must look like "sg-0123abcd", got "db-sg" (check PRIMARY_SECURITY_GROUP_ID)',
    ],
    [
      "backup retention 0",
      { backupRetentionDays: 0 },
      "backupRetentionDays must be an integer from 1 to 35, got 0 (check BACKUP_RETENTION_DAYS)",
    ],
    [
      "backup retention 36",
      { backupRetentionDays: 36 },
      "backupRetentionDays must be an integer from 1 to 35, got 36",
    ],
    [
      "zero positions poll interval",
      { positionsPollIntervalMs: 0 },
      "positionsPollIntervalMs must be an integer >= 1, got 0",
    ],
  ];
  it.each(bad)("rejects %s", (_s, overrides, message) => {
    expect(() => control(new FakeClock(T0), overrides)).toThrow(ConfigurationError);
    expect(() => control(new FakeClock(T0), overrides)).toThrow(message);
  });
});
