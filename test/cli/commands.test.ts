/**
 * Every command's front door, called through its `main` with an argv: unknown arguments and bad
 * paths are refused before any work with exit 2, one line and a hint to `--help`.
 */
import { main as bench } from "../../bin/bench";
import { main as build } from "../../bin/build-lambdas";
import { main as iamCheck } from "../../bin/iam-check";
import { main as policy } from "../../bin/policy";
import { main as synth } from "../../bin/synth";
import { EXIT, helpHint, runCli, type CliIo, type CliMain } from "../../lib/cli/args";

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
