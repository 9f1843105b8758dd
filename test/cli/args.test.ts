import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  checkOutputFile,
  checkOutputFolder,
  EXIT,
  helpHint,
  parseCliArgs,
  runCli,
  UsageError,
  type CliIo,
  type CliOptions,
} from "../../lib/cli/args";

const OPTIONS = {
  out: { type: "string", example: "x.json" },
  all: { type: "boolean" },
  config: { type: "string", multiple: true },
} as const satisfies CliOptions;

describe("parseCliArgs", () => {
  it.each([
    ["nothing", [], { values: {}, help: false, given: [] }],
    ["a value after the option", ["--out", "a"], { values: { out: "a" }, help: false, given: ["out"] }],
    ["a value after =", ["--out=a=b"], { values: { out: "a=b" }, help: false, given: ["out"] }],
    ["a flag", ["--all"], { values: { all: true }, help: false, given: ["all"] }],
    [
      "a repeated option, in order",
      ["--config", "a", "--config=b"],
      { values: { config: ["a", "b"] }, help: false, given: ["config", "config"] },
    ],
    [
      "the last of a repeated single option",
      ["--out", "a", "--out", "b"],
      { values: { out: "b" }, help: false, given: ["out", "out"] },
    ],
    ["-h", ["-h"], { values: {}, help: true, given: ["help"] }],
    ["--help", ["--help"], { values: {}, help: true, given: ["help"] }],
  ])("reads %s", (_name, argv, expected) => {
    expect(parseCliArgs(argv, OPTIONS)).toEqual(expected);
  });

  it.each([
    [
      "an unknown long option",
      ["--bogus"],
      'unknown option "--bogus"; known options: --out, --all, --config, --help',
    ],
    ["an unknown short option", ["-x"], 'unknown option "-x"'],
    ["a prototype key", ["--constructor"], 'unknown option "--constructor"'],
    ["a missing value at the end", ["--out"], "--out needs a value, e.g. --out x.json"],
    ["an option where the value belongs", ["--out", "--all"], "--out needs a value, e.g. --out x.json"],
    ["an empty value", ["--out="], "--out needs a non-empty value"],
    [
      "a value given to a flag",
      ["--all=yes"],
      '--all is a flag and takes no value, got "yes"; write just --all',
    ],
    ["a positional argument", ["stray"], 'unexpected argument "stray"'],
    ["an option terminator", ["--", "x"], 'unexpected "--"'],
  ])("refuses %s with a UsageError naming it", (_name, argv, message) => {
    expect(() => parseCliArgs(argv, OPTIONS)).toThrow(UsageError);
    expect(() => parseCliArgs(argv, OPTIONS)).toThrow(message);
  });
});

describe("output path checks", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tap-cli-args-"));
    writeFileSync(join(dir, "file"), "x");
    mkdirSync(join(dir, "sub"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("accepts a new file in an existing folder and a new folder under one", () => {
    expect(() => checkOutputFile("--out", join(dir, "new.json"))).not.toThrow();
    expect(() => checkOutputFile("--out", join(dir, "file"))).not.toThrow();
    expect(() => checkOutputFolder("--out", join(dir, "a", "b"))).not.toThrow();
    expect(() => checkOutputFolder("--out", join(dir, "sub"))).not.toThrow();
  });

  it.each([
    [
      "a file under a file",
      () => checkOutputFile("--json", join(dir, "file", "x.json")),
      "is a file, not a folder",
    ],
    [
      "a file in a missing folder",
      () => checkOutputFile("--out", join(dir, "no", "x.json")),
      "does not exist",
    ],
    [
      "a file that is a folder",
      () => checkOutputFile("--out", join(dir, "sub")),
      "is a folder; give a file path",
    ],
    [
      "a folder under a file",
      () => checkOutputFolder("--out", join(dir, "file", "run")),
      "is a file, not a folder",
    ],
  ])("refuses %s", (_name, check, message) => {
    expect(check).toThrow(UsageError);
    expect(check).toThrow(message);
  });
});

describe("runCli", () => {
  function capture(): CliIo & { lines: string[] } {
    const lines: string[] = [];
    return { lines, out: (l) => lines.push(`out: ${l}`), err: (l) => lines.push(`err: ${l}`) };
  }

  it.each<[string, () => Promise<number>, number, string[]]>([
    ["a passing command", async () => EXIT.ok, EXIT.ok, []],
    ["a failed check", async () => EXIT.failed, EXIT.failed, []],
    [
      "a usage error: one line and the hint",
      async () => {
        throw new UsageError("--out x: bad; fix it");
      },
      EXIT.usage,
      ["err: tool: --out x: bad; fix it", `err: ${helpHint("tool")}`],
    ],
    [
      "any other error: one line, no stack",
      async () => {
        throw new Error("postgres did not start");
      },
      EXIT.failed,
      ["err: tool: postgres did not start"],
    ],
  ])("maps %s to its exit code", async (_name, main, code, lines) => {
    const io = capture();
    await expect(runCli("tool", main, [], io)).resolves.toBe(code);
    expect(io.lines).toEqual(lines);
  });

  it("hints at the tool's --help", () => {
    expect(helpHint("drill")).toBe('Run "npm run drill -- --help" for the options.');
  });
});
