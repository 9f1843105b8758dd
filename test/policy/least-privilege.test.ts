import { buildMatrix, drRegionOf, findTargets, suffixOf } from "../../policy/iam-matrix";
import { checkLeastPrivilege, formatMatrix, passed } from "../../policy/least-privilege";
import {
  ACCOUNT,
  DR_REGION,
  arns,
  compliantStack,
  failoverPolicy,
  stepRunnerPolicy,
  withInputs,
  type Placement,
} from "./fixtures";

const matrixFor = (synth: ReturnType<typeof compliantStack>) =>
  buildMatrix(findTargets(synth, drRegionOf(synth)));

describe.each<Placement>(["same-region", "cross-region"])("least privilege, replica %s", (placement) => {
  it("every row matches and nothing extra is granted", async () => {
    const synth = compliantStack(placement);
    const report = await checkLeastPrivilege(synth, suffixOf(synth), matrixFor(synth));
    const text = formatMatrix(report, placement);
    expect({
      mismatches: report.rows.filter((r) => !r.ok),
      extras: report.extras,
      problems: report.problems,
    }).toEqual({
      mismatches: [],
      extras: [],
      problems: [],
    });
    expect(passed(report)).toBe(true);
    expect(text).toContain("0 mismatches, 0 extra permissions, 0 problems");
  });
});

describe("what the matrix catches", () => {
  const base = compliantStack("same-region");
  const policyWith = (extra: object[]) =>
    withInputs(base, "iam-failover-policy-dev", (i) => ({
      ...i,
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [...(failoverPolicy("ap-southeast-2") as { Statement: object[] }).Statement, ...extra],
      }),
    }));

  it("a grant to promote any instance fails the deny rows (the failover function promotes nothing) and is extra", async () => {
    const synth = policyWith([
      {
        Effect: "Allow",
        Action: "rds:PromoteReadReplica",
        Resource: `arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:*`,
      },
    ]);
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(report.rows.filter((r) => !r.ok).map((r) => `${r.action} ${r.resource} ${r.actual}`)).toEqual([
      `rds:PromoteReadReplica arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:rds-replica-dev Allowed`,
      `rds:PromoteReadReplica arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:rds-primary-dev Allowed`,
      `rds:PromoteReadReplica arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:payments-ledger Allowed`,
    ]);
    expect(report.extras).toEqual([
      {
        role: "iam-failover",
        policy: "iam-failover-policy-dev",
        action: "rds:PromoteReadReplica",
        resource: `arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:*`,
      },
    ]);
    expect(passed(report)).toBe(false);
  });

  it("an unneeded permission no deny row mentions is still caught as extra", async () => {
    const synth = policyWith([
      {
        Effect: "Allow",
        Action: "rds:CreateDBSnapshot",
        Resource: `arn:aws:rds:ap-southeast-2:${ACCOUNT}:db:rds-primary-dev`,
      },
    ]);
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(report.rows.every((r) => r.ok)).toBe(true);
    expect(report.extras.map((e) => e.action)).toEqual(["rds:CreateDBSnapshot"]);
  });

  it("report writes by the failover function fail (reports are the step runner's) and are extra", async () => {
    const synth = policyWith([
      { Effect: "Allow", Action: "s3:PutObject", Resource: `arn:aws:s3:::s3-backups-dr-dev-5d6e7f8/*` },
    ]);
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(report.rows.filter((r) => !r.ok).map((r) => r.resource)).toEqual([
      "arn:aws:s3:::s3-backups-dr-dev-5d6e7f8/reports/failover/2026-01-01.json",
      "arn:aws:s3:::s3-backups-dr-dev-5d6e7f8/alert.json",
      "arn:aws:s3:::s3-backups-dr-dev-5d6e7f8/exports/snapshot-0001.parquet",
    ]);
    expect(report.extras.map((e) => `${e.action} ${e.resource}`)).toEqual([
      "s3:PutObject arn:aws:s3:::s3-backups-dr-dev-5d6e7f8/*",
    ]);
  });

  it("a missing permission fails its allow row", async () => {
    const synth = withInputs(base, "iam-step-runner-policy-dev", (i) => {
      const doc = stepRunnerPolicy("ap-southeast-2") as { Statement: { Sid: string }[] };
      return {
        ...i,
        policy: JSON.stringify({
          ...doc,
          Statement: doc.Statement.filter((s) => s.Sid !== "PromoteTheReplica"),
        }),
      };
    });
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(report.rows.filter((r) => !r.ok).map((r) => `${r.expected} ${r.action} ${r.actual}`)).toEqual([
      "allow rds:PromoteReadReplica ImplicitlyDenied",
    ]);
  });

  it("a restore the failover function could start fails its deny rows (restoring is the step runner's) and is extra", async () => {
    const synth = policyWith([
      { Effect: "Allow", Action: "rds:RestoreDBInstanceToPointInTime", Resource: arns.restoredDb },
    ]);
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(
      report.rows.filter((r) => !r.ok).map((r) => `${r.role} ${r.action} ${r.resource} ${r.actual}`),
    ).toEqual([`iam-failover rds:RestoreDBInstanceToPointInTime ${arns.restoredDb} Allowed`]);
    expect(report.extras.map((e) => `${e.role} ${e.action} ${e.resource}`)).toEqual([
      `iam-failover rds:RestoreDBInstanceToPointInTime ${arns.restoredDb}`,
    ]);
  });

  it("a step runner that may restore into any DR-region identifier fails the deny rows and is extra", async () => {
    const anyInstance = `arn:aws:rds:${DR_REGION}:${ACCOUNT}:db:*`;
    const synth = withInputs(base, "iam-step-runner-policy-dev", (i) => {
      const doc = stepRunnerPolicy("ap-southeast-2") as { Statement: { Sid: string; Resource: string[] }[] };
      return {
        ...i,
        policy: JSON.stringify({
          ...doc,
          Statement: doc.Statement.map((st) =>
            st.Sid === "RestoreInTheDrRegion"
              ? { ...st, Resource: st.Resource.map((r) => (r === arns.restoredDb ? anyInstance : r)) }
              : st,
          ),
        }),
      };
    });
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(report.rows.filter((r) => !r.ok).map((r) => `${r.expected} ${r.resource} ${r.actual}`)).toEqual([
      `deny arn:aws:rds:${DR_REGION}:${ACCOUNT}:db:payments-ledger Allowed`,
    ]);
    expect(report.extras.map((e) => `${e.action} ${e.resource}`)).toEqual([
      `rds:RestoreDBInstanceToPointInTime ${anyInstance}`,
    ]);
  });

  it("a restore without the DR key's grant through RDS fails its allow rows", async () => {
    const synth = withInputs(base, "iam-step-runner-policy-dev", (i) => {
      const doc = stepRunnerPolicy("ap-southeast-2") as { Statement: { Sid: string }[] };
      return {
        ...i,
        policy: JSON.stringify({
          ...doc,
          Statement: doc.Statement.filter((st) => st.Sid !== "DrKeyForTheRestore"),
        }),
      };
    });
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(report.rows.filter((r) => !r.ok).map((r) => `${r.expected} ${r.action} ${r.actual}`)).toEqual([
      "allow kms:CreateGrant ImplicitlyDenied",
      "allow kms:DescribeKey ImplicitlyDenied",
    ]);
  });

  it("a role without matrix rows is a problem", async () => {
    const synth = {
      resources: [
        ...base.resources,
        {
          ...base.resources.find((r) => r.name === "iam-failover-dev")!,
          name: "iam-debug-dev",
          id: "iam-debug-dev-1",
        },
      ],
    };
    const report = await checkLeastPrivilege(synth, "dev", matrixFor(synth));
    expect(report.problems).toEqual([
      'iam-debug: role "iam-debug-dev" has no rows in the least-privilege matrix; add what it may and may never do',
    ]);
  });

  it("finds the DR region and suffix from the inventory", () => {
    expect(drRegionOf(base)).toBe(DR_REGION);
    expect(suffixOf(base)).toBe("dev");
  });
});
