import { EnvReader, parseArn } from "../../lib/lambda/env-reader";

describe("parseArn", () => {
  const cases: [string, string, ReturnType<typeof parseArn>][] = [
    [
      "an SNS topic",
      "arn:aws:sns:ap-southeast-1:123456789012:dr-events-dev",
      {
        partition: "aws",
        service: "sns",
        region: "ap-southeast-1",
        accountId: "123456789012",
        resource: "dr-events-dev",
      },
    ],
    [
      "a secret whose name contains colons and '!'",
      "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:rds!db-1-AbCdEf",
      {
        partition: "aws-us-gov",
        service: "secretsmanager",
        region: "us-gov-west-1",
        accountId: "123456789012",
        resource: "secret:rds!db-1-AbCdEf",
      },
    ],
    [
      "a global S3 bucket (no region, no account)",
      "arn:aws:s3:::backups-dr-dev",
      { partition: "aws", service: "s3", region: "", accountId: "", resource: "backups-dr-dev" },
    ],
    ["a plain name", "dr-events-dev", null],
    ["an 11-digit account", "arn:aws:sns:ap-southeast-1:12345678901:topic", null],
  ];
  it.each(cases)("parses %s", (_name, text, expected) => {
    expect(parseArn(text)).toEqual(expected);
  });
});

describe("EnvReader", () => {
  it("trims surrounding whitespace", () => {
    const read = new EnvReader<"A">({ A: "  value \n" }, "test");
    expect(read.string("A", "anything")).toBe("value");
    expect(() => read.finish()).not.toThrow();
  });

  const integers: [string, number | null][] = [
    ["1", 1],
    ["5432", 5432],
    ["0", null],
    ["007", null],
    ["1e3", null],
    ["0x10", null],
    ["12 ", 12],
    ["9007199254740993", null],
  ];
  it.each(integers)("reads %j as a positive integer: %p", (text, expected) => {
    const read = new EnvReader<"N">({ N: text }, "test");
    const value = read.positiveInteger("N", 4);
    if (expected === null) {
      expect(() => read.finish()).toThrow(`N=${JSON.stringify(text.trim())} is not valid`);
    } else {
      expect(value).toBe(expected);
      expect(() => read.finish()).not.toThrow();
    }
  });

  it("names the function and counts problems in the message", () => {
    const read = new EnvReader<"A" | "B">({}, "failover");
    read.string("A", "a value");
    read.string("B", "another value");
    expect(() => read.finish()).toThrow(
      "The failover function's environment is invalid (2 problems); fix the stack's function environment and redeploy:\n- A is missing: set it to a value\n- B is missing: set it to another value",
    );
  });
});
