/**
 * Every command's front door, called through its `main` with an argv: unknown arguments and bad
 * paths are refused before any work with exit 2, one line and a hint to `--help`.
 */
import { main as bench } from "../../bin/bench";
import { main as build } from "../../bin/build-lambdas";
import { main as iamCheck } from "../../bin/iam-check";
import { main as policy } from "../../bin/policy";
import { main as simulate, parseSimulateArgs } from "../../bin/simulate";
import { main as synth } from "../../bin/synth";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  EXIT,
  helpHint,
  quietSdkNodeVersionWarning,
  runCli,
  type CliIo,
  type CliMain,
} from "../../lib/cli/args";

function capture(): CliIo & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(`out: ${l}`), err: (l) => lines.push(`err: ${l}`) };
}

const COMMANDS: [string, CliMain][] = [
  ["bench", bench],
  ["build", build],
  ["synth", synth],
  ["policy", policy],
  ["iam-check", iamCheck],
  ["simulate", simulate],
];

describe.each(COMMANDS)("npm run %s", (tool, main) => {
  it("refuses --bogus with exit 2, one line and the hint", async () => {
    const io = capture();
    expect(await runCli(tool, main, ["--bogus"], io)).toBe(EXIT.usage);
    expect(io.lines).toEqual([
      expect.stringMatching(new RegExp(`^err: ${tool}: unknown option "--bogus"; known options: .*--help$`)),
      `err: ${helpHint(tool)}`,
    ]);
  });

  it("refuses a positional argument", async () => {
    const io = capture();
    expect(await runCli(tool, main, ["extra"], io)).toBe(EXIT.usage);
    expect(io.lines[0]).toMatch(new RegExp(`^err: ${tool}: unexpected argument "extra"`));
  });

  it("prints its usage on -h and exits 0", async () => {
    const io = capture();
    expect(await runCli(tool, main, ["-h"], io)).toBe(EXIT.ok);
    expect(io.lines).toEqual([expect.stringMatching(new RegExp(`^out: Usage: npm run ${tool}`))]);
  });
});

describe.each([
  ["policy", policy],
  ["iam-check", iamCheck],
] as const)("npm run %s -- --in", (tool, main) => {
  it("refuses a file that does not exist", async () => {
    const io = capture();
    expect(await runCli(tool, main, ["--in", "/nonexistent-tap/s.json"], io)).toBe(EXIT.usage);
    expect(io.lines).toEqual([
      `err: ${tool}: --in /nonexistent-tap/s.json: no such file; write one with npm run synth -- --out /nonexistent-tap/s.json, then pass it to --in`,
      `err: ${helpHint(tool)}`,
    ]);
  });
});

describe("npm run simulate: paths and values are checked before any timeline runs", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tap-simulate-cli-"));
    writeFileSync(join(dir, "file"), "x");
    writeFileSync(join(dir, "broken.json"), "{");
    writeFileSync(join(dir, "extra-key.json"), JSON.stringify({ bogus: 1 }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each<[string, () => string[], () => string]>([
    [
      "a --json path that is a folder (written only after the whole matrix ran)",
      () => ["--matrix", "--json", dir],
      () => `--json ${dir}: is a folder; give a file path, e.g. --json ${dir}/out.json`,
    ],
    [
      "a --json path under a file",
      () => ["--matrix", "--json", join(dir, "file", "x.json")],
      () =>
        `--json ${join(dir, "file", "x.json")}: its folder ${join(dir, "file")} is a file, not a folder; give another path`,
    ],
    [
      "a --timeline file that does not exist",
      () => ["--timeline", join(dir, "none.json")],
      () =>
        `--timeline ${join(dir, "none.json")}: no such file; give the path of a timeline JSON file, ` +
        "e.g. --timeline timelines/defect-2-switchover-stops.json",
    ],
    [
      "a --timeline file that is not JSON",
      () => ["--timeline", join(dir, "broken.json")],
      () => `--timeline ${join(dir, "broken.json")}: not valid JSON (`,
    ],
    [
      "a --timeline file with an unknown key",
      () => ["--timeline", join(dir, "extra-key.json")],
      () =>
        `--timeline ${join(dir, "extra-key.json")}: timeline.bogus is 1; remove it; known keys here are name,`,
    ],
    [
      "both --timeline and --matrix",
      () => ["--matrix", "--timeline", join(dir, "extra-key.json")],
      () => "give exactly one of --timeline FILE or --matrix",
    ],
    [
      "a policy key inherited from Object.prototype",
      () => ["--matrix", "--policy", "constructor=1"],
      () => '--policy "constructor=1" is not key=value with a policy key; keys are probesPerRun,',
    ],
    [
      "a policy mode that does not exist",
      () => ["--matrix", "--policy", "regionalRestore=maybe"],
      () =>
        '--policy "regionalRestore=maybe": regionalRestore must be one of auto, approve, off; got "maybe".',
    ],
  ])("refuses %s with exit 2, one line and the hint", async (_name, argv, start) => {
    const io = capture();
    expect(await runCli("simulate", simulate, argv(), io)).toBe(EXIT.usage);
    expect(io.lines).toHaveLength(2);
    expect(io.lines[0].startsWith(`err: simulate: ${start()}`)).toBe(true);
    expect(io.lines[1]).toBe(`err: ${helpHint("simulate")}`);
  });

  it("reads --policy values as the type of their default: numbers, true/false and words", () => {
    expect(
      parseSimulateArgs([
        "--matrix",
        "--policy",
        "probeIntervalSeconds=5,acceptDataLoss=true,regionalRestore=approve",
      ]).policy,
    ).toEqual({ probeIntervalSeconds: 5, acceptDataLoss: true, regionalRestore: "approve" });
  });
});

describe("the AWS SDK's Node version warning", () => {
  const SWITCH = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

  it("is off by default and stays on when the caller asks for it", () => {
    const unset: NodeJS.ProcessEnv = {};
    const asked: NodeJS.ProcessEnv = { [SWITCH]: "false" };
    quietSdkNodeVersionWarning(unset);
    quietSdkNodeVersionWarning(asked);
    expect([unset[SWITCH], asked[SWITCH]]).toEqual(["true", "false"]);
  });

  it("does not interrupt a command's output: a simulated timeline prints nothing on stderr", async () => {
    const root = join(__dirname, "..", "..");
    const dir = mkdtempSync(join(tmpdir(), "tap-simulate-run-"));
    try {
      const out = join(dir, "outcome.json");
      // Without the switch the test setup sets for every test process and its children.
      const env = { ...process.env };
      delete env[SWITCH];
      const run = await new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          join(root, "node_modules", ".bin", "tsx"),
          ["bin/simulate.ts", "--timeline", "timelines/defect-2-switchover-stops.json", "--json", out],
          { cwd: root, env },
          (error, _stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stderr }),
        ),
      );
      expect(run).toEqual({ code: EXIT.ok, stderr: "" });
      expect((JSON.parse(readFileSync(out, "utf8")) as { violations: unknown[] }).violations).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
