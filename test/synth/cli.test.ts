/** `npm run synth` end to end: real process, real stack file, JSON output, exit codes. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(__dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

function runSynth(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ["bin/synth.ts", ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe("bin/synth.ts", () => {
  it("writes every resource with its region, and exits 1 with the message on bad config", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "synth-")), "synth.json");
    const [good, bad] = await Promise.all([
      runSynth(["--stack", "dev", "--config", "tap:replicaRegion=ap-southeast-1", "--out", out]),
      runSynth(["--stack", "dev", "--config", "tap:maxReplicationLagSeconds=0"]),
    ]);

    expect(good.code).toBe(0);
    const doc = JSON.parse(readFileSync(out, "utf8")) as {
      resources: { type: string; name: string; region: string; provider: string | null }[];
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

    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(
      'tap:maxReplicationLagSeconds = "0": must be a whole number of seconds above 0',
    );
  });

  it("exits 2 on an unknown argument", async () => {
    const result = await runSynth(["--stak", "dev"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown argument --stak");
  });
});
