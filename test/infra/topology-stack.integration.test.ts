/**
 * The whole program under the synth mocks in both `tap:activeWriter` modes, with the live
 * databases the pre-flight check observes set per case: what each mode declares, that promoting
 * the replica slot is never a replacement, and that a wrong mode stops the program before any
 * resource is declared.
 */
import { join } from "node:path";
import type { ExistingDbInstances, RecordedResource } from "../../lib/synth/mocks";
import { readFailoverConfig, readStepRunnerConfig } from "../../lib/lambda/failover/env";
import { observedInstances } from "../../lib/synth/observed";
import type { SynthResult } from "../../lib/synth/run";
import { readStackConfig } from "../../lib/synth/stack-file";
import { runProgram, type SynthRun } from "../support/synth";

const ROOT = join(__dirname, "..", "..");
const DEV = readStackConfig("dev", ROOT);
const PRIMARY = "ap-southeast-2";
const DR = "ap-southeast-1";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
/** Hooks that synthesize the whole program several times: each run takes seconds, more on a busy machine. */
const SYNTHS_TIMEOUT_MS = 300_000;

/** Replacement-forcing inputs compared across modes (`REPLACEMENT_INPUTS` in lib/infra/database.ts). */
const REPLACEMENT_KEYS = [
  "identifier",
  "region",
  "engine",
  "kmsKeyId",
  "storageEncrypted",
  "dbSubnetGroupName",
  "availabilityZone",
  "username",
  "dbName",
  "characterSetName",
  "performanceInsightsKmsKeyId",
] as const;

const run = (config: Record<string, string>, existing: ExistingDbInstances): Promise<SynthRun> =>
  runProgram({ ...DEV, ...config }, existing);

function named(resources: readonly RecordedResource[], name: string): RecordedResource {
  const found = resources.filter((r) => r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${name}, found ${found.length}`);
  return found[0];
}

/** The live databases right after the failover workflow promoted the replica slot. */
function afterFailover(replicaRegion: string): ExistingDbInstances {
  return observedInstances("after-failover", {
    environmentSuffix: "dev",
    primaryRegion: PRIMARY,
    replicaRegion,
    drRegion: DR,
  });
}

/** After `pulumi up` with activeWriter=replica and keepOldWriter=true. */
function oldWriterKept(replicaRegion: string): ExistingDbInstances {
  return {
    "rds-primary-dev": { region: PRIMARY, tags: { "DR-Slot-Role": "old-writer" } },
    "rds-replica-dev": { region: replicaRegion, tags: { "DR-Slot-Role": "writer" } },
  };
}

/** The policy pack's violations on a synthesized stack, as `[policy] message`. */
async function policyViolations(result: SynthResult): Promise<string[]> {
  const { allPolicies } = await import("../../policy/policies");
  const { runPolicies } = await import("../../policy/offline");
  const { inventoryOf } = await import("../../policy/synth-source");
  const { redactSecrets } = await import("../../lib/synth/mocks");
  const outcomes = await runPolicies(allPolicies, inventoryOf(result.resources, redactSecrets), {
    environmentSuffix: "dev",
    allowDeletionProtection: false,
  });
  return outcomes.flatMap((o) => o.violations.map((v) => `[${o.policy}] ${v.message}`));
}

const NO_FINDINGS = { mismatches: [], extras: [], problems: [] };

/** What the least-privilege matrix finds wrong with a synthesized stack's roles. */
async function leastPrivilegeFindings(
  result: SynthResult,
): Promise<{ mismatches: string[]; extras: string[]; problems: readonly string[] }> {
  const { buildMatrix, drRegionOf, findTargets, suffixOf } = await import("../../policy/iam-matrix");
  const { checkLeastPrivilege } = await import("../../policy/least-privilege");
  const { inventoryOf } = await import("../../policy/synth-source");
  const { redactSecrets } = await import("../../lib/synth/mocks");
  const synth = inventoryOf(result.resources, redactSecrets);
  const report = await checkLeastPrivilege(
    synth,
    suffixOf(synth),
    buildMatrix(findTargets(synth, drRegionOf(synth))),
  );
  return {
    mismatches: report.rows
      .filter((r) => !r.ok)
      .map((r) => `${r.role} ${r.expected} ${r.action} ${r.resource}: ${r.actual}`),
    extras: report.extras.map((e) => `${e.role} ${e.action} ${e.resource}`),
    problems: report.problems,
  };
}

function replacementInputs(r: RecordedResource): Record<string, unknown> {
  return Object.fromEntries(REPLACEMENT_KEYS.map((k) => [k, k === "region" ? r.region : r.inputs[k]]));
}

describe.each([
  ["same-region replica", PRIMARY],
  ["cross-region replica", DR],
])("activeWriter=replica with a %s", (_label, replicaRegion) => {
  const crossRegion = replicaRegion === DR;
  let steady: readonly RecordedResource[];
  let kept: SynthResult;
  let rebuilt: SynthResult;
  beforeAll(async () => {
    steady = (await run({ "tap:replicaRegion": replicaRegion }, {})).resources;
    const keptRun = await run(
      { "tap:replicaRegion": replicaRegion, "tap:activeWriter": "replica" },
      afterFailover(replicaRegion),
    );
    if (!keptRun.result) throw keptRun.error;
    kept = keptRun.result;
    const rebuiltRun = await run(
      { "tap:replicaRegion": replicaRegion, "tap:activeWriter": "replica", "tap:keepOldWriter": "false" },
      oldWriterKept(replicaRegion),
    );
    if (!rebuiltRun.result) throw rebuiltRun.error;
    rebuilt = rebuiltRun.result;
  }, SYNTHS_TIMEOUT_MS);

  it("makes only invokes the mocks know", () => {
    expect(kept.unmockedCalls).toEqual([]);
    expect(rebuilt.unmockedCalls).toEqual([]);
  });

  it("promoting the replica slot changes no input that forces a replacement", () => {
    const before = replacementInputs(named(steady, "rds-replica-dev"));
    expect(replacementInputs(named(kept.resources, "rds-replica-dev"))).toEqual(before);
    expect(replacementInputs(named(rebuilt.resources, "rds-replica-dev"))).toEqual(before);
    expect(before).toEqual({
      identifier: "rds-replica-dev",
      region: replicaRegion,
      engine: undefined,
      kmsKeyId: crossRegion ? named(steady, "kms-dr-dev").state.arn : undefined,
      storageEncrypted: true,
      dbSubnetGroupName: crossRegion ? "dbsubnets-dr-dev" : undefined,
      availabilityZone: undefined,
      username: undefined,
      dbName: undefined,
      characterSetName: undefined,
      performanceInsightsKmsKeyId: named(steady, crossRegion ? "kms-dr-dev" : "kms-primary-dev").state.arn,
    });
  });

  it("keeping the old writer changes no input that forces a replacement either", () => {
    expect(replacementInputs(named(kept.resources, "rds-primary-dev"))).toEqual(
      replacementInputs(named(steady, "rds-primary-dev")),
    );
  });

  it("passes every mandatory policy, with the old writer kept and once it is rebuilt", async () => {
    for (const result of [kept, rebuilt]) expect(await policyViolations(result)).toEqual([]);
  });

  it("holds least privilege for every role, with the old writer kept and once it is rebuilt", async () => {
    for (const result of [kept, rebuilt]) expect(await leastPrivilegeFindings(result)).toEqual(NO_FINDINGS);
  });

  it("declares the regional restore's DR-region groups in every mode, unchanged by it", () => {
    const restoreResources = [
      "pg-postgres14-dr-dev",
      "dbsubnets-dr-dev",
      "sg-db-clients-restored-dev",
      "sg-db-access-restored-dev",
      "sgr-db-clients-restored-1-dev",
      "sgr-db-access-restored-1-dev",
      "sgr-db-access-restored-2-dev",
    ];
    const declared = (resources: readonly RecordedResource[]) =>
      restoreResources.map((name) => {
        const r = named(resources, name);
        return { name, region: r.region, inputs: r.inputs };
      });
    expect(declared(steady).every((r) => r.region === DR)).toBe(true);
    expect(declared(kept.resources)).toEqual(declared(steady));
    expect(declared(rebuilt.resources)).toEqual(declared(steady));
  });

  it("declares the promoted instance a standalone writer with backups and its own managed secret", () => {
    const writer = named(kept.resources, "rds-replica-dev").inputs;
    const key = named(kept.resources, crossRegion ? "kms-dr-dev" : "kms-primary-dev").state.arn;
    expect(writer.replicateSourceDb).toBeUndefined();
    expect(writer).toMatchObject({
      backupRetentionPeriod: 7,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: key,
      skipFinalSnapshot: true,
      deleteAutomatedBackups: true,
      tags: expect.objectContaining({ "DR-Slot-Role": "writer" }),
    });
  });

  it("keeps the old writer as it is, fenced, with a final snapshot and its backups on delete", () => {
    const old = named(kept.resources, "rds-primary-dev").inputs;
    expect(old.replicateSourceDb).toBeUndefined();
    expect(old).toMatchObject({
      backupRetentionPeriod: 7,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "rds-primary-dev-final",
      deleteAutomatedBackups: false,
      manageMasterUserPassword: true,
      tags: expect.objectContaining({ "DR-Slot-Role": "old-writer" }),
    });
    const clientRules = (resources: readonly RecordedResource[], group: string) =>
      resources
        .filter((r) => r.type === INGRESS && r.inputs.securityGroupId === named(resources, group).id)
        .map((r) => r.inputs.cidrIpv4);
    expect(clientRules(kept.resources, "sg-db-clients-primary-dev")).toEqual([]);
    expect(clientRules(kept.resources, "sg-db-clients-replica-dev")).toEqual(["10.20.0.0/16"]);
    // The monitor still reaches the fenced old writer, from its dedicated subnets only (the third
    // rule is the bootstrap function's same-VPC security-group reference, no CIDR).
    expect(clientRules(kept.resources, "sg-db-access-primary-dev")).toEqual([
      "10.30.128.0/28",
      "10.30.128.16/28",
      undefined,
    ]);
  });

  it("rebuilds the old writer as a replica of the new writer once keepOldWriter is false", () => {
    const replica = named(rebuilt.resources, "rds-primary-dev").inputs;
    const writer = named(rebuilt.resources, "rds-replica-dev");
    expect(replica).toMatchObject({
      replicateSourceDb: crossRegion ? writer.state.arn : "rds-replica-dev",
      backupRetentionPeriod: 0,
      skipFinalSnapshot: true,
      tags: expect.objectContaining({ "DR-Slot-Role": "replica" }),
    });
    expect(replica.username).toBeUndefined();
    expect(replica.kmsKeyId).toBe(
      crossRegion ? named(rebuilt.resources, "kms-primary-dev").state.arn : undefined,
    );
    expect(
      rebuilt.resources
        .filter(
          (r) =>
            r.type === INGRESS &&
            r.inputs.securityGroupId === named(rebuilt.resources, "sg-db-clients-primary-dev").id,
        )
        .map((r) => r.inputs.cidrIpv4),
    ).toEqual(["10.20.0.0/16"]);
  });

  it("points writer and reader, alarms, backup copies and the functions at the new roles", () => {
    const r = kept.resources;
    const writer = named(r, "rds-replica-dev");
    const old = named(r, "rds-primary-dev");
    expect(named(r, "r53-writer-dev").inputs.records).toEqual([writer.state.address]);
    expect(named(r, "r53-reader-dev").inputs.records).toEqual([old.state.address]);
    expect(named(r, "alarm-primary-cpu-dev")).toMatchObject({
      region: replicaRegion,
      inputs: expect.objectContaining({ dimensions: { DBInstanceIdentifier: "rds-replica-dev" } }),
    });
    expect(named(r, "alarm-replica-replica-lag-dev").inputs.dimensions).toEqual({
      DBInstanceIdentifier: "rds-primary-dev",
    });
    // The writer's backups go to the other region; the old writer's copy stays where it was.
    expect(named(r, "rds-backups-replication-replica-dev")).toMatchObject({
      region: crossRegion ? PRIMARY : DR,
      inputs: expect.objectContaining({ sourceDbInstanceArn: writer.state.arn }),
    });
    expect(named(r, "rds-backups-replication-dev").inputs.sourceDbInstanceArn).toBe(old.state.arn);
    expect(rebuilt.resources.filter((x) => x.name === "rds-backups-replication-dev")).toEqual([]);
    const env = (named(r, "lambda-failover-dev").inputs.environment as { variables: Record<string, string> })
      .variables;
    expect(env).toMatchObject({
      PRIMARY_INSTANCE_ID: "rds-replica-dev",
      REPLICA_INSTANCE_ID: "rds-primary-dev",
      PRIMARY_REGION: replicaRegion,
      REPLICA_REGION: PRIMARY,
      PRIMARY_SECURITY_GROUP_ID: named(r, "sg-db-clients-replica-dev").id,
    });
    expect(kept.outputs).toMatchObject({
      activeWriter: "replica",
      standbyRole: "old-writer",
      writerInstanceId: "rds-replica-dev",
      standbyInstanceId: "rds-primary-dev",
    });
  });

  it("lets the step runner reboot only the new writer", () => {
    const policy = JSON.parse(
      named(kept.resources, "iam-step-runner-policy-dev").inputs.policy as string,
    ) as {
      Statement: { Sid: string; Resource: string[] }[];
    };
    expect(policy.Statement.find((s) => s.Sid === "RebootTheWriterToFence")?.Resource).toEqual([
      named(kept.resources, "rds-replica-dev").state.arn,
    ]);
    expect(policy.Statement.find((s) => s.Sid === "PromoteTheReplicaOnly")?.Resource).toEqual([
      named(kept.resources, "rds-primary-dev").state.arn,
    ]);
  });
});

/** After a regional restore of the same-region placement: the restored writer, the lost region back. */
function afterRestore(): ExistingDbInstances {
  return observedInstances("after-restore", {
    environmentSuffix: "dev",
    primaryRegion: PRIMARY,
    replicaRegion: PRIMARY,
    drRegion: DR,
  });
}

describe("activeWriter=restored after a regional restore (replica next to the primary)", () => {
  let kept: SynthResult;
  let gone: SynthResult;
  beforeAll(async () => {
    const keptRun = await run({ "tap:activeWriter": "restored" }, afterRestore());
    if (!keptRun.result) throw keptRun.error;
    kept = keptRun.result;
    // The lost region never came back: nothing of it is left to keep.
    const goneRun = await run(
      { "tap:activeWriter": "restored" },
      { "rds-restored-dev": { region: DR, tags: { "DR-Slot-Role": "writer" } } },
    );
    if (!goneRun.result) throw goneRun.error;
    gone = goneRun.result;
  }, SYNTHS_TIMEOUT_MS);

  it("imports the restored instance as the writer, exactly as the restore made it, with a final snapshot", () => {
    const restored = named(kept.resources, "rds-restored-dev");
    const sg = (name: string) => named(kept.resources, name).id;
    expect(restored.region).toBe(DR);
    expect(restored.importId).toBe("rds-restored-dev");
    expect(restored.inputs.replicateSourceDb).toBeUndefined();
    expect(restored.inputs).toMatchObject({
      identifier: "rds-restored-dev",
      kmsKeyId: named(kept.resources, "kms-dr-dev").state.arn,
      dbSubnetGroupName: "dbsubnets-dr-dev",
      parameterGroupName: "pg-postgres14-dr-dev",
      vpcSecurityGroupIds: [sg("sg-db-clients-restored-dev"), sg("sg-db-access-restored-dev")],
      iamDatabaseAuthenticationEnabled: true,
      publiclyAccessible: false,
      backupRetentionPeriod: 7,
      manageMasterUserPassword: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "rds-restored-dev-final",
      tags: expect.objectContaining({ "DR-Role": "primary", "DR-Slot-Role": "writer" }),
    });
  });

  it("keeps the lost writer fenced and rebuilds the replica slot as a cross-region replica of the restored writer", () => {
    const r = kept.resources;
    expect(named(r, "rds-primary-dev").inputs).toMatchObject({
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "rds-primary-dev-final",
      deleteAutomatedBackups: false,
      tags: expect.objectContaining({ "DR-Slot-Role": "old-writer" }),
    });
    expect(
      r
        .filter(
          (x) => x.type === INGRESS && x.inputs.securityGroupId === named(r, "sg-db-clients-primary-dev").id,
        )
        .map((x) => x.inputs.cidrIpv4),
    ).toEqual([]);
    expect(named(r, "rds-replica-dev")).toMatchObject({
      region: PRIMARY,
      inputs: expect.objectContaining({
        replicateSourceDb: named(r, "rds-restored-dev").state.arn,
        kmsKeyId: named(r, "kms-primary-dev").state.arn,
        dbSubnetGroupName: "dbsubnets-primary-dev",
        backupRetentionPeriod: 0,
      }),
    });
    expect(gone.resources.filter((x) => x.name === "rds-primary-dev")).toEqual([]);
    expect(gone.outputs.primaryInstanceId).toBeUndefined();
  });

  it("points writer, reader, alarms, backup copies and the functions at the restored writer", () => {
    const r = kept.resources;
    const restored = named(r, "rds-restored-dev");
    expect(named(r, "r53-writer-dev").inputs.records).toEqual([restored.state.address]);
    expect(named(r, "r53-reader-dev").inputs.records).toEqual([named(r, "rds-replica-dev").state.address]);
    expect(named(r, "alarm-primary-cpu-dev")).toMatchObject({
      region: DR,
      inputs: expect.objectContaining({ dimensions: { DBInstanceIdentifier: "rds-restored-dev" } }),
    });
    // Its backups go back to the primary region; the kept lost writer's copy stays in the DR region.
    expect(named(r, "rds-backups-replication-restored-dev")).toMatchObject({
      region: PRIMARY,
      inputs: expect.objectContaining({
        sourceDbInstanceArn: restored.state.arn,
        kmsKeyId: named(r, "kms-primary-dev").state.arn,
      }),
    });
    expect(named(r, "rds-backups-replication-dev").region).toBe(DR);
    const env = (fn: string) =>
      (named(r, fn).inputs.environment as { variables: Record<string, string> }).variables;
    expect(env("lambda-failover-dev")).toMatchObject({
      PRIMARY_INSTANCE_ID: "rds-restored-dev",
      REPLICA_INSTANCE_ID: "rds-replica-dev",
      PRIMARY_REGION: DR,
      REPLICA_REGION: PRIMARY,
      PRIMARY_SECURITY_GROUP_ID: named(r, "sg-db-clients-restored-dev").id,
    });
    expect(env("lambda-health-monitor-dev")).toMatchObject({
      PRIMARY_HOST: restored.state.address,
      PRIMARY_REGION: DR,
    });
    // No second regional restore from here, and the deployed readers accept what is set.
    expect(env("lambda-failover-dev")).toMatchObject({
      REGIONAL_RESTORE: "off",
      RESTORED_INSTANCE_ID: "none",
    });
    expect(readFailoverConfig(env("lambda-failover-dev")).restore.instanceId).toBe("none");
    expect(readStepRunnerConfig(env("lambda-step-runner-dev")).policy.regionalRestore).toBe("off");
    expect(kept.outputs).toMatchObject({
      activeWriter: "restored",
      standbyRole: "replica",
      writerInstanceId: "rds-restored-dev",
      standbyInstanceId: "rds-replica-dev",
    });
  });

  it("passes every mandatory policy and holds least privilege", async () => {
    for (const result of [kept, gone]) {
      expect(await policyViolations(result)).toEqual([]);
      expect(await leastPrivilegeFindings(result)).toEqual(NO_FINDINGS);
    }
  });
});

describe("the pre-flight guard stops the program before any resource is declared", () => {
  it.each([
    [
      "a failover happened and activeWriter is still primary",
      { "tap:activeWriter": "primary" },
      afterFailover(PRIMARY),
      "rds-replica-dev is the live writer (standalone, promoted by a failover), but tap:activeWriter=primary",
    ],
    [
      "activeWriter replica on a stack whose replica was never promoted",
      { "tap:activeWriter": "replica" },
      {
        "rds-primary-dev": { region: PRIMARY },
        "rds-replica-dev": { region: PRIMARY, replicateSourceDb: "rds-primary-dev" },
      },
      "pulumi config set tap:activeWriter primary",
    ],
    [
      "keepOldWriter false before the old writer was kept once",
      { "tap:activeWriter": "replica", "tap:keepOldWriter": "false" },
      afterFailover(PRIMARY),
      "rds-primary-dev is a standalone old writer and tap:keepOldWriter=false would delete and rebuild it",
    ],
    [
      "the cross-region replica was promoted (observed in its own region) and activeWriter is still primary",
      { "tap:activeWriter": "primary", "tap:replicaRegion": DR },
      afterFailover(DR),
      "Fix: pulumi refresh && pulumi config set tap:activeWriter replica && pulumi up",
    ],
    [
      "a regional restore happened and activeWriter is still primary",
      { "tap:activeWriter": "primary" },
      afterRestore(),
      "rds-restored-dev is the live writer (standalone, created by a regional restore)",
    ],
    [
      "activeWriter restored with no restored instance",
      { "tap:activeWriter": "restored" },
      {},
      "rds-restored-dev does not exist, but tap:activeWriter=restored declares it the writer",
    ],
  ])("%s", async (_situation, config, existing, fragment) => {
    const { error, resources } = await run(config, existing);
    expect(error?.name).toBe("TopologyPreflightError");
    expect(error?.message).toContain(fragment);
    expect(resources).toEqual([]);
  });

  it("reads each slot in its own region: an instance in another region does not count", async () => {
    // The replica slot exists only in the DR region while the config places it next to the
    // primary: the check must not see it, so activeWriter=replica is refused as "does not exist".
    const { error } = await run({ "tap:activeWriter": "replica" }, afterFailover(DR));
    expect(error?.message).toContain("rds-replica-dev does not exist");
  });
});
