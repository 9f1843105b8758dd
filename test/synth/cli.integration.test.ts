/**
 * `npm run synth` end to end (real process, real stack file, JSON output, exit codes), and the
 * file it writes checked by `npm run policy -- --in` and `npm run iam-check -- --in`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

function run(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, [script, ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("bin/synth.ts", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "synth-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // One real synth (it bundles every function, as `pulumi up` would): the cross-region placement,
  // observed after a failover, so that one file shows the regions, the promoted writer and that
  // the checks reading a synth file pass on the project's own output.
  it("writes every resource with its region and the promoted writer, which policy --in and iam-check --in pass; exits 1 on bad config and on a mode the guard refuses", async () => {
    const out = join(dir, "synth.json");
    const [good, bad, refused] = await Promise.all([
      run("bin/synth.ts", [
        "--stack",
        "dev",
        "--observed",
        "after-failover",
        "--config",
        "tap:replicaRegion=ap-southeast-1",
        "--out",
        out,
      ]),
      run("bin/synth.ts", ["--stack", "dev", "--config", "tap:maxReplicationLagSeconds=0"]),
      run("bin/synth.ts", ["--observed", "after-failover", "--config", "tap:activeWriter=primary"]),
    ]);

    expect(good.code).toBe(0);
    expect(good.stdout).toContain(
      'TapStack offline synth, stack "dev", observed databases: after-failover, tap:activeWriter replica',
    );
    const doc = JSON.parse(readFileSync(out, "utf8")) as {
      resources: { type: string; name: string; region: string; inputs: Record<string, unknown> }[];
    };
    expect(doc.resources.every((r) => typeof r.region === "string" && r.region.length > 0)).toBe(true);
    const where = (name: string) => doc.resources.find((r) => r.name === name)?.region;
    expect([where("rds-replica-dev"), where("kms-dr-dev"), where("dbsubnets-dr-dev")]).toEqual([
      "ap-southeast-1",
      "ap-southeast-1",
      "ap-southeast-1",
    ]);
    expect(good.stdout).toContain(`Wrote ${doc.resources.length} resources to ${out}`);
    expect(good.stdout).toMatch(/^ap-southeast-2 \(\d+ resources\)$/m);
    const inputs = (name: string) => doc.resources.find((r) => r.name === name)?.inputs ?? {};
    expect([
      inputs("rds-replica-dev").replicateSourceDb,
      (inputs("rds-replica-dev").tags as Record<string, string>)["DR-Slot-Role"],
      (inputs("rds-primary-dev").tags as Record<string, string>)["DR-Slot-Role"],
      inputs("rds-primary-dev").skipFinalSnapshot,
    ]).toEqual([undefined, "writer", "old-writer", false]);

    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'tap:maxReplicationLagSeconds = "0": must be a whole number of seconds above 0',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      "rds-replica-dev is the live writer (standalone, promoted by a failover), but tap:activeWriter=primary declares rds-primary-dev the writer",
    );

    // The project's own synth file must pass the checks that read it.
    const [policy, iam] = await Promise.all([
      run("bin/policy.ts", ["--in", out]),
      run("bin/iam-check.ts", ["--in", out]),
    ]);
    expect([policy.code, policy.stdout.trim().split("\n").pop()]).toEqual([
      0,
      "RESULT: every mandatory policy passes",
    ]);
    expect(policy.stdout).not.toMatch(/\bFAIL\b/);
    expect([iam.code, iam.stdout.trim().split("\n").pop()]).toEqual([0, "RESULT: least privilege holds"]);
    expect(iam.stdout).toMatch(/ 0 mismatches, 0 extra permissions, 0 problems/);
  });

  it("refuses a synth file without ids and outputs, saying what it lacks", async () => {
    const old = join(dir, "old.json");
    writeFileSync(
      old,
      JSON.stringify({ resources: [{ type: "aws:s3/bucket:Bucket", name: "b", inputs: {} }] }),
    );
    const result = await run("bin/policy.ts", ["--in", old]);
    expect([result.code, result.stderr.trim()]).toEqual([
      1,
      `policy: ${old}: resources[0] (aws:s3/bucket:Bucket b) has no "id" and "outputs", which the checks ` +
        `need to resolve references between resources; write the file again with npm run synth -- --out ${old}`,
    ]);
  });

  it.each([
    [
      "an unknown --observed state",
      ["--observed", "after-lunch"],
      'synth: --observed "after-lunch": expected one of none, deployed, after-failover, after-restore, e.g. --observed after-failover',
    ],
    [
      "an unknown argument",
      ["--stak", "dev"],
      'synth: unknown option "--stak"; known options: --observed, --stack, --config, --out, --help',
    ],
    [
      "an --out path in a missing folder, before synthesizing",
      ["--out", "/nonexistent-tap/a/b.json"],
      "synth: --out /nonexistent-tap/a/b.json: its folder /nonexistent-tap/a does not exist; create it first or give a path in an existing folder",
    ],
  ])("exits 2 on %s with one line and the --help hint", async (_name, args, line) => {
    const result = await run("bin/synth.ts", args);
    expect([result.code, result.stdout, result.stderr]).toEqual([
      2,
      "",
      `${line}\nRun "npm run synth -- --help" for the options.\n`,
    ]);
  });
});
