import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../lib/cli/args";
import { parseStackArgs } from "../../lib/cli/stack-args";

describe("parseStackArgs", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tap-stack-args-"));
    writeFileSync(join(dir, "s.json"), "{}");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("defaults to the dev stack with no overrides", () => {
    expect(parseStackArgs([], "--out")).toEqual({ stack: "dev", overrides: {}, help: false, extra: {} });
  });

  it("reads the stack, the tool's file option and repeated config overrides", () => {
    const file = join(dir, "s.json");
    expect(
      parseStackArgs(
        ["--stack", "prod", "--in", file, "--config", "tap:a=1", "--config=aws:region=x=y"],
        "--in",
      ),
    ).toEqual({
      stack: "prod",
      file,
      overrides: { "tap:a": "1", "aws:region": "x=y" },
      help: false,
      extra: {},
    });
  });

  it("reads the tool's own extra options, and only those", () => {
    const extra = { observed: { type: "string", example: "deployed" } } as const;
    expect(parseStackArgs(["--observed", "deployed"], "--out", extra).extra).toEqual({
      observed: "deployed",
    });
    expect(parseStackArgs([], "--out", extra).extra).toEqual({ observed: undefined });
    expect(() => parseStackArgs(["--observed", "deployed"], "--out")).toThrow('unknown option "--observed"');
  });

  it("flags --help and -h", () => {
    expect(parseStackArgs(["-h"], "--out").help).toBe(true);
    expect(parseStackArgs(["--help"], "--out").help).toBe(true);
  });

  it.each([
    ["a missing value", ["--stack"], "--stack needs a value, e.g. --stack dev"],
    ["an option where a value belongs", ["--stack", "--help"], "--stack needs a value, e.g. --stack dev"],
    ["the other tool's file option", ["--out", "x"], 'unknown option "--out"'],
    ["a bad stack name", ["--stack", "a/b"], '--stack "a/b": a stack name has only letters'],
    [
      "a config without a namespace",
      ["--config", "replicaRegion=x"],
      "--config replicaRegion=x: expected <namespace:key>=<value>",
    ],
    [
      "a config without a value separator",
      ["--config", "tap:x"],
      "--config tap:x: expected <namespace:key>=<value>",
    ],
    ["an unknown argument", ["--force"], 'unknown option "--force"'],
    [
      "an --in file that does not exist",
      ["--in", "/nonexistent/s.json"],
      "--in /nonexistent/s.json: no such file",
    ],
  ])("refuses %s, naming it", (_name, argv, message) => {
    expect(() => parseStackArgs(argv, "--in")).toThrow(UsageError);
    expect(() => parseStackArgs(argv, "--in")).toThrow(message);
  });

  it("refuses an --out path whose folder does not exist, before any work", () => {
    const out = join(dir, "missing", "a", "b.json");
    expect(() => parseStackArgs(["--out", out], "--out")).toThrow(
      `--out ${out}: its folder ${join(dir, "missing", "a")} does not exist`,
    );
  });
});
