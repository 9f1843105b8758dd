import { parseStackArgs } from "../../lib/cli/stack-args";

const USAGE = "usage: tool";

describe("parseStackArgs", () => {
  it("defaults to the dev stack with no overrides", () => {
    expect(parseStackArgs([], "--out", USAGE)).toEqual({ stack: "dev", overrides: {}, help: false });
  });

  it("reads the stack, the tool's file option and repeated config overrides", () => {
    expect(
      parseStackArgs(
        ["--stack", "prod", "--in", "s.json", "--config", "tap:a=1", "--config", "aws:region=x=y"],
        "--in",
        USAGE,
      ),
    ).toEqual({
      stack: "prod",
      file: "s.json",
      overrides: { "tap:a": "1", "aws:region": "x=y" },
      help: false,
    });
  });

  it("flags --help and -h", () => {
    expect(parseStackArgs(["-h"], "--out", USAGE).help).toBe(true);
    expect(parseStackArgs(["--help"], "--out", USAGE).help).toBe(true);
  });

  it.each([
    ["a missing value", ["--stack"], "--stack needs a value\nusage: tool"],
    ["the other tool's file option", ["--out", "x"], "unknown argument --out\nusage: tool"],
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
    ["an unknown argument", ["--force"], "unknown argument --force"],
  ])("refuses %s, naming it", (_name, argv, message) => {
    expect(() => parseStackArgs(argv, "--in", USAGE)).toThrow(message);
  });
});
