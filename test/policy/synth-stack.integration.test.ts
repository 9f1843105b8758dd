/**
 * The real program, synthesized under the offline mocks for both replica placements, must pass
 * every mandatory policy and the least-privilege matrix.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SynthOutput } from "../../policy/offline";
import { programInventory } from "../support/synth";

const ROOT = join(__dirname, "..", "..");

const PLACEMENTS = ["ap-southeast-2", "ap-southeast-1"] as const;

const synthFor = (replicaRegion: string): Promise<SynthOutput> =>
  programInventory({ "tap:replicaRegion": replicaRegion });

describe.each(PLACEMENTS)("stack dev with tap:replicaRegion=%s", (replicaRegion) => {
  let synth: SynthOutput;
  beforeAll(async () => {
    synth = await synthFor(replicaRegion);
  });

  it("leaves untagged only resources whose @pulumi/aws type takes no tags (what npm run synth prints)", () => {
    // `aws:s3/bucketVersioning:BucketVersioning` is declared in @pulumi/aws/s3/bucketVersioning.d.ts.
    const declaresTags = (type: string): boolean => {
      const [, module, file] = /^aws:([^/]+)\/([^:]+):/.exec(type) ?? [];
      const dts = readFileSync(join(ROOT, "node_modules", "@pulumi", "aws", module, `${file}.d.ts`), "utf8");
      return /^\s+tags\?: pulumi\.Input</m.test(dts);
    };
    const aws = synth.resources.filter((r) => r.type.startsWith("aws:"));
    const types = (tagged: boolean): string[] =>
      [...new Set(aws.filter((r) => (r.inputs.tags !== undefined) === tagged).map((r) => r.type))].sort();
    expect(types(false).filter(declaresTags)).toEqual([]);
    // The check itself sees tags where a type has them.
    expect(types(true).filter((t) => !declaresTags(t))).toEqual([]);
    expect(types(false)).toContain("aws:iam/rolePolicy:RolePolicy");
  });

  it("passes every mandatory policy", async () => {
    const { allPolicies } = await import("../../policy/policies");
    const { runPolicies } = await import("../../policy/offline");
    const outcomes = await runPolicies(allPolicies, synth, {
      environmentSuffix: "dev",
      allowDeletionProtection: false,
    });
    const violations = outcomes.flatMap((o) => o.violations.map((v) => `[${o.policy}] ${v.message}`));
    expect(violations).toEqual([]);
    // The checks must have had something to check: no policy may be vacuously "n/a".
    expect(outcomes.filter((o) => o.result === "n/a").map((o) => o.policy)).toEqual([]);
  });

  it("holds least privilege for every role", async () => {
    const { buildMatrix, drRegionOf, findTargets, suffixOf } = await import("../../policy/iam-matrix");
    const { checkLeastPrivilege } = await import("../../policy/least-privilege");
    const report = await checkLeastPrivilege(
      synth,
      suffixOf(synth),
      buildMatrix(findTargets(synth, drRegionOf(synth))),
    );
    expect({
      mismatches: report.rows
        .filter((r) => !r.ok)
        .map((r) => `${r.role} ${r.expected} ${r.action} ${r.resource}: ${r.actual}`),
      extras: report.extras.map((e) => `${e.role} ${e.action} ${e.resource}`),
      problems: report.problems,
    }).toEqual({ mismatches: [], extras: [], problems: [] });
    // The switchover's WAL positions: the step runner invokes the health-monitor and nothing else;
    // the failover function invokes no function at all; the restore-test machine invokes exactly
    // its two task functions.
    const suffix = suffixOf(synth);
    const invokes = (role: string): string[] =>
      report.rows
        .filter((r) => r.role === role && r.action === "lambda:InvokeFunction")
        .map((r) => `${r.expected} ${r.resource.split(":").pop() ?? ""}: ${r.actual}`);
    expect(invokes("iam-step-runner")).toEqual([
      `allow lambda-health-monitor-${suffix}: Allowed`,
      "deny payments-api: ImplicitlyDenied",
      `deny lambda-failover-${suffix}: ImplicitlyDenied`,
      `deny lambda-step-runner-${suffix}: ImplicitlyDenied`,
      // The restore test's check query: the state machine invokes it, the step runner never.
      `deny lambda-restore-check-${suffix}: ImplicitlyDenied`,
    ]);
    expect(invokes("iam-sfn-restore-test")).toEqual([
      `allow lambda-step-runner-${suffix}: Allowed`,
      "allow 1: Allowed",
      `allow lambda-restore-check-${suffix}: Allowed`,
      "allow 1: Allowed",
      "deny payments-api: ImplicitlyDenied",
      `deny lambda-failover-${suffix}: ImplicitlyDenied`,
      `deny lambda-health-monitor-${suffix}: ImplicitlyDenied`,
    ]);
    expect(invokes("iam-failover")).toEqual([
      `deny lambda-health-monitor-${suffix}: ImplicitlyDenied`,
      "deny payments-api: ImplicitlyDenied",
      `deny lambda-failover-${suffix}: ImplicitlyDenied`,
    ]);
  });
});
