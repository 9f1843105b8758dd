/**
 * Property tests of config validation: whatever a stack file holds, `validateConfig` either
 * returns a config that satisfies the stack's safety invariants or throws a
 * `ConfigValidationError` whose message names every bad key and value. Nothing else escapes.
 */
import fc from "fast-check";
import { MAX_REPLICATION_LAG_RANGE } from "../lib/lambda/core/policy";
import {
  CONFIG_KEYS,
  ConfigValidationError,
  STACK_REGION_KEY,
  parseIpv4Cidr,
  validateConfig,
  type RawConfig,
} from "../lib/config";

/** Runs per property; 8 properties below, 12,000 generated configurations in all. */
const RUNS = 1500;

const GOOD: RawConfig = {
  environmentSuffix: "dev",
  [STACK_REGION_KEY]: "ap-southeast-1",
  primaryRegion: "ap-southeast-2",
  replicaRegion: "ap-southeast-2",
  allowedClientCidrs: '["10.20.0.0/16"]',
  alertEmails: '["dba-oncall@example.com"]',
};

/** Strings an attacker or a typo could put in a stack file. */
const adversarial = fc.oneof(
  fc.string(),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "0.0.0.0/0",
    "::/0",
    '["0.0.0.0/0"]',
    '["10.0.0.0/7"]',
    "null",
    "[]",
    "{}",
    '{"__proto__":{"x":1}}',
    "NaN",
    "Infinity",
    "-1",
    "1e309",
    "true",
    "DEV",
    "dev; rm -rf /",
    "a".repeat(10_000),
    "ap-southeast-3",
    "us-east-1",
    "\u0000",
    "${aws:region}",
  ),
  fc.json(),
);

const rawConfig = fc.dictionary(fc.constantFrom(...CONFIG_KEYS, STACK_REGION_KEY), adversarial, {
  maxKeys: 12,
});

/** Validates; returns the config or the ConfigValidationError, rethrowing anything else. */
function attempt(raw: RawConfig): ReturnType<typeof validateConfig> | ConfigValidationError {
  try {
    return validateConfig(raw);
  } catch (e) {
    if (e instanceof ConfigValidationError) return e;
    throw e;
  }
}

/** The stack's safety invariants: what an accepted config may never contain. */
function assertSafe(c: ReturnType<typeof validateConfig>): void {
  expect(c.environmentSuffix).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  expect(c.drRegion).not.toBe(c.primaryRegion);
  expect([c.primaryRegion, c.drRegion]).toContain(c.replicaRegion);
  expect(c.backupRetentionDays).toBeGreaterThanOrEqual(1);
  expect(c.failoverPolicy.maxReplicationLagSeconds).toBeGreaterThan(0);
  for (const cidr of c.allowedClientCidrs) {
    const parsed = parseIpv4Cidr(cidr);
    expect(typeof parsed).toBe("object");
    // Never 0.0.0.0/0 or anything close: the database must not be reachable from the internet.
    expect((parsed as { prefixLength: number }).prefixLength).toBeGreaterThanOrEqual(8);
  }
}

describe("validateConfig properties", () => {
  it("arbitrary input: a safe config or a ConfigValidationError, nothing else", () => {
    fc.assert(
      fc.property(rawConfig, (raw) => {
        const r = attempt(raw);
        if (r instanceof ConfigValidationError) expect(r.problems.length).toBeGreaterThan(0);
        else assertSafe(r);
      }),
      { numRuns: RUNS },
    );
  });

  it("adversarial values on a good base: same guarantee", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONFIG_KEYS, STACK_REGION_KEY), adversarial, (key, value) => {
        const r = attempt({ ...GOOD, [key]: value });
        if (r instanceof ConfigValidationError) expect(r.problems.length).toBeGreaterThan(0);
        else assertSafe(r);
      }),
      { numRuns: RUNS },
    );
  });

  it("every problem names a fully-qualified key, the value as given and a fix", () => {
    fc.assert(
      fc.property(rawConfig, (raw) => {
        const r = attempt(raw);
        if (!(r instanceof ConfigValidationError)) return;
        for (const p of r.problems) {
          expect(p.key === STACK_REGION_KEY || p.key.startsWith("tap:")).toBe(true);
          expect(p.fix.length).toBeGreaterThan(10);
          expect(r.message).toContain(`${p.key} = ${p.value}: ${p.fix}`);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("a bad value on a good base is reported against its key (region rules: against a region key)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONFIG_KEYS, STACK_REGION_KEY), adversarial, (key, value) => {
        const r = attempt({ ...GOOD, [key]: value });
        if (!(r instanceof ConfigValidationError)) return;
        const qualified = key === STACK_REGION_KEY ? key : `tap:${key}`;
        // A value may also break a rule that spans keys (e.g. DR region = primary region),
        // which is reported on one of the keys involved; it is never reported on nothing.
        expect(r.problems.map((p) => p.key)).toEqual(
          expect.arrayContaining([
            expect.stringMatching(
              key === "primaryRegion" || key === STACK_REGION_KEY || key === "replicaRegion"
                ? /region/i
                : new RegExp(`^${qualified}$`),
            ),
          ]),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("client CIDRs wider than /8 are always refused", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.integer({ min: 0, max: 7 }), (ip, prefix) => {
        const r = attempt({ ...GOOD, allowedClientCidrs: JSON.stringify([`${ip}/${prefix}`]) });
        expect(r).toBeInstanceOf(ConfigValidationError);
        expect((r as ConfigValidationError).problems.map((p) => p.key)).toContain("tap:allowedClientCidrs");
      }),
      { numRuns: RUNS },
    );
  });

  it("unknown keys are always refused by name", () => {
    const unknownKey = fc
      .string({ minLength: 1, maxLength: 30 })
      .filter((k) => !CONFIG_KEYS.includes(k) && k !== STACK_REGION_KEY);
    fc.assert(
      fc.property(unknownKey, fc.string(), (key, value) => {
        const r = attempt({ ...GOOD, [key]: value });
        expect(r).toBeInstanceOf(ConfigValidationError);
        expect((r as ConfigValidationError).problems).toContainEqual(
          expect.objectContaining({ key: `tap:${key}`, fix: expect.stringContaining("unknown key") }),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it("valid suffixes and lag thresholds are accepted as given", () => {
    const suffix = fc.stringMatching(/^[a-z0-9]{1,8}(-[a-z0-9]{1,4})?$/);
    fc.assert(
      // Every lag limit of the policy's one range above 0 (an alarm at "> 0" fires on any lag).
      fc.property(suffix, fc.integer({ min: 1, max: MAX_REPLICATION_LAG_RANGE.max }), (s, lag) => {
        const r = attempt({ ...GOOD, environmentSuffix: s, maxReplicationLagSeconds: String(lag) });
        expect(r).not.toBeInstanceOf(ConfigValidationError);
        expect(r).toMatchObject({ environmentSuffix: s, failoverPolicy: { maxReplicationLagSeconds: lag } });
      }),
      { numRuns: RUNS },
    );
  });

  it("the replica is only ever placed in the primary or the DR region", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("ap-southeast-1", "ap-southeast-2", "us-east-1", "eu-west-1", "ap-southeast-3"),
        (region) => {
          const r = attempt({ ...GOOD, replicaRegion: region });
          if (region === "ap-southeast-1" || region === "ap-southeast-2")
            expect(r).toMatchObject({ replicaRegion: region });
          else expect((r as ConfigValidationError).problems.map((p) => p.key)).toEqual(["tap:replicaRegion"]);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
