/**
 * `npm run drill` as a command: usage errors (exit 2, one line and a hint, nothing started),
 * and Ctrl-C (the cluster torn down, the empty run folder removed, exit 130).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { main } from "../../bin/drill";
import { EXIT, runCli, type CliIo } from "../../lib/cli/args";
import { parseDrillArgs } from "../../lib/drill/args";
import { RunFolder, signalExitCode } from "../../lib/drill/run-folder";
import { runDrill } from "../../lib/drill/runner";

const ROOT = path.join(__dirname, "..", "..");
const HINT = 'Run "npm run drill -- --help" for the options.';

function capture(): CliIo & { out: (l: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(`out: ${l}`), err: (l) => lines.push(`err: ${l}`) };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tap-drill-cli-"));
  fs.writeFileSync(path.join(dir, "file"), "x");
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("drill usage errors", () => {
  it.each([
    ["an unknown option", () => ["--bogus"], () => 'unknown option "--bogus"; known options: --scenario'],
    [
      "a --json path under an existing file",
      () => ["--json", path.join(dir, "file", "x.json")],
      () =>
        `--json ${path.join(dir, "file", "x.json")}: ${path.join(dir, "file")} is a file, not a folder; give another path`,
    ],
    [
      "an --out folder that is a file",
      () => ["--out", path.join(dir, "file")],
      () =>
        `--out ${path.join(dir, "file")}: ${path.join(dir, "file")} is a file, not a folder; give another path`,
    ],
    ["an unknown scenario", () => ["--scenario", "meteor"], () => '--scenario "meteor" is not a scenario'],
  ])("refuses %s before starting anything: exit 2, one line and the hint", async (_name, argv, line) => {
    const io = capture();
    const code = await runCli("drill", main, argv(), io);
    expect(code).toBe(EXIT.usage);
    expect(io.lines).toHaveLength(2);
    expect(io.lines[0]).toMatch(new RegExp(`^err: drill: ${line().replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    expect(io.lines[1]).toBe(`err: ${HINT}`);
    expect(fs.readdirSync(dir)).toEqual(["file"]);
  });

  it("prints the usage on --help and exits 0", async () => {
    const io = capture();
    expect(await runCli("drill", main, ["--help"], io)).toBe(EXIT.ok);
    expect(io.lines).toHaveLength(1);
    expect(io.lines[0]).toMatch(/^out: Usage: npm run drill -- \[options\]\n/);
  });
});

describe("RunFolder", () => {
  it.each([
    ["a created folder with only empty folders in it", ["a/run/crash"], [], true, ["file"]],
    ["a created folder with a file in it", ["a/run/crash"], ["a/run/crash/x.json"], false, ["a", "file"]],
  ])("removes %s only when it holds no file", (_name, folders, files, removed, left) => {
    const run = new RunFolder(path.join(dir, "a", "run"));
    for (const f of folders) fs.mkdirSync(path.join(dir, f), { recursive: true });
    for (const f of files) fs.writeFileSync(path.join(dir, f), "{}");
    expect(run.removeIfEmpty()).toBe(removed);
    expect(fs.readdirSync(dir).sort()).toEqual(left);
  });

  it("never removes a folder that existed before the run", () => {
    fs.mkdirSync(path.join(dir, "mine"));
    expect(new RunFolder(path.join(dir, "mine")).removeIfEmpty()).toBe(false);
    expect(fs.existsSync(path.join(dir, "mine"))).toBe(true);
  });

  it("gives the shell's exit codes for the stop signals", () => {
    expect([signalExitCode("SIGINT"), signalExitCode("SIGTERM"), signalExitCode("SIGHUP")]).toEqual([
      130, 143, 129,
    ]);
  });
});

describe("Ctrl-C on a running drill", () => {
  jest.setTimeout(120_000);

  it("tears the cluster down, removes the empty run folder and exits 130", async () => {
    const outDir = path.join(dir, "drill", "run");
    const child = spawn(process.execPath, ["--import", "tsx", "bin/drill.ts", "--out", outDir], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const clusterRoot = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const ready = /cluster ready in (\S+)/.exec(stdout);
        if (ready) resolve(ready[1]);
      });
      child.once("exit", () =>
        reject(new Error(`the drill ended before its cluster ran:\n${stdout}${stderr}`)),
      );
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toBe(
      `drill: stopped by SIGINT; the local cluster is torn down and the empty ${outDir} removed\n`,
    );
    expect([fs.existsSync(clusterRoot), fs.existsSync(path.join(dir, "drill"))]).toEqual([false, false]);
  });
});

describe("a scenario deadline that ends the wait", () => {
  jest.setTimeout(120_000);

  it("fails the scenario with a check and a log line that name --timeout", async () => {
    const lines: string[] = [];
    const report = await runDrill(parseDrillArgs(["--timeout", "1", "--warmup", "0"]), {
      outDir: path.join(dir, "run"),
      log: (line) => lines.push(line),
    });
    const expected =
      "the scenario deadline (--timeout 1 s after the fault) passed before the new writer took a write " +
      "(or the workflow failed); raise --timeout";
    expect(report.passed).toBe(false);
    expect(report.scenarios[0].checks[0]).toEqual({
      name: "within the deadline",
      passed: false,
      detail: expected,
    });
    expect(lines).toContain(`  deadline: ${expected}`);
  });
});
