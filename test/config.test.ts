import {
  CONFIG_KEYS,
  ConfigValidationError,
  DEFAULT_RESTORE_TIMEOUT_MINUTES,
  RESTORE_CONFIRMATION_RANGE,
  RESTORE_TEST_MIN_ROWS_RANGE,
  RESTORE_TIMEOUT_RANGE,
  restoreTestScheduleProblem,
  cidrsOverlap,
  parseIpv4Cidr,
  privateSubnetCidrs,
  validateConfig,
  type RawConfig,
} from "../lib/config";
import { DEFAULT_POLICY, POLICY_RANGES, validatePolicy } from "../lib/lambda/core/policy";
import { MAX_REPLICA_LAG_ALARM_SECONDS } from "../policy/policies";

const VALID: RawConfig = { environmentSuffix: "dev", "aws:region": "ap-southeast-1" };

/** The problems validateConfig reports for `overrides` on top of a valid config. */
function problemsFor(overrides: RawConfig): { key: string; value: string; fix: string }[] {
  try {
    validateConfig({ ...VALID, ...overrides });
  } catch (err) {
    if (err instanceof ConfigValidationError) return err.problems.map((p) => ({ ...p }));
    throw err;
  }
  return [];
}

describe("validateConfig defaults", () => {
  it("fills every optional key with the documented default", () => {
    expect(validateConfig(VALID)).toEqual({
      environmentSuffix: "dev",
      owner: "platform-team",
      primaryRegion: "ap-southeast-2",
      drRegion: "ap-southeast-1",
      replicaRegion: "ap-southeast-2",
      engineVersion: "14",
      parameterGroupFamily: "postgres14",
      instanceClass: "db.t3.medium",
      allocatedStorageGb: 50,
      maxAllocatedStorageGb: 200,
      backupRetentionDays: 7,
      failoverPolicy: DEFAULT_POLICY,
      alertEmails: [],
      allowedClientCidrs: [],
      multiAz: false,
      deletionProtection: false,
      primaryVpcCidr: "10.20.0.0/16",
      drVpcCidr: "10.30.0.0/16",
      databaseName: "app",
      masterUsername: "tap_admin",
      hostedZoneName: "dev.tapstack.internal",
      dnsTtlSeconds: 30,
      cpuAlarmPercent: 80,
      connectionsAlarmCount: 320,
      freeStorageAlarmPercent: 10,
      freeableMemoryAlarmMb: 256,
      writeLatencyAlarmMs: 20,
      performanceInsightsRetentionDays: 7,
      noncurrentTransitionDays: 30,
      noncurrentExpirationDays: 365,
      activeWriter: "primary",
      keepOldWriter: true,
      promotionTimeoutMinutes: 45,
      approvalTimeoutMinutes: 1440,
      restoreTimeoutMinutes: 180,
      restoreTestSchedule: "cron(0 3 ? * SUN *)",
      restoreTestMinRows: 1,
    });
    expect(validateConfig(VALID).failoverPolicy).toMatchObject({
      regionalRestore: "auto",
      restoreConfirmationMinutes: 10,
    });
  });

  it("reads the topology after a failover: activeWriter replica, old writer rebuilt", () => {
    expect(validateConfig({ ...VALID, activeWriter: "replica", keepOldWriter: "false" })).toMatchObject({
      activeWriter: "replica",
      keepOldWriter: false,
    });
  });

  it("uses ap-southeast-1 as the DR region when the stack sets no aws:region", () => {
    expect(validateConfig({ environmentSuffix: "dev" }).drRegion).toBe("ap-southeast-1");
  });

  it("parses lists, numbers and booleans from Pulumi's string values", () => {
    const config = validateConfig({
      ...VALID,
      replicaRegion: "ap-southeast-1",
      engineVersion: "14.15",
      alertEmails: '["a@example.com","b.c+dr@example.co.uk"]',
      allowedClientCidrs: '["10.20.0.0/16","192.168.10.0/24"]',
      maxReplicationLagSeconds: "30",
      multiAz: "true",
      deletionProtection: "true",
    });
    expect(config).toMatchObject({
      replicaRegion: "ap-southeast-1",
      engineVersion: "14.15",
      alertEmails: ["a@example.com", "b.c+dr@example.co.uk"],
      allowedClientCidrs: ["10.20.0.0/16", "192.168.10.0/24"],
      failoverPolicy: { ...DEFAULT_POLICY, maxReplicationLagSeconds: 30 },
      multiAz: true,
      deletionProtection: true,
    });
  });

  it("accepts each range's own bounds, as its message says (from min to max)", () => {
    const config = validateConfig({
      ...VALID,
      backupRetentionDays: "1",
      dnsTtlSeconds: "5",
      performanceInsightsRetentionDays: "7",
      noncurrentTransitionDays: "30",
      cpuAlarmPercent: "100",
      promotionTimeoutMinutes: "5",
      approvalTimeoutMinutes: "2880",
      restoreTimeoutMinutes: "30",
      restoreConfirmationMinutes: "120",
    });
    expect(config).toMatchObject({
      promotionTimeoutMinutes: 5,
      approvalTimeoutMinutes: 2880,
      restoreTimeoutMinutes: 30,
      failoverPolicy: { restoreConfirmationMinutes: 120 },
      backupRetentionDays: 1,
      dnsTtlSeconds: 5,
      performanceInsightsRetentionDays: 7,
      noncurrentTransitionDays: 30,
      cpuAlarmPercent: 100,
    });
  });

  it("accepts the longest suffix that fits every derived name (34 characters)", () => {
    expect(validateConfig({ ...VALID, environmentSuffix: "a".repeat(34) }).environmentSuffix).toHaveLength(
      34,
    );
  });
});

describe("validateConfig rejects, naming key, value and fix", () => {
  it.each<[string, RawConfig, { key: string; value: string; fix: RegExp }]>([
    [
      "a promotion timeout below 5 minutes",
      { promotionTimeoutMinutes: "4" },
      { key: "tap:promotionTimeoutMinutes", value: '"4"', fix: /whole number of minutes from 5 to 1440/ },
    ],
    [
      "a promotion timeout above a day",
      { promotionTimeoutMinutes: "1441" },
      { key: "tap:promotionTimeoutMinutes", value: '"1441"', fix: /whole number of minutes from 5 to 1440/ },
    ],
    [
      "a fractional promotion timeout",
      { promotionTimeoutMinutes: "45.5" },
      { key: "tap:promotionTimeoutMinutes", value: '"45.5"', fix: /whole number of minutes/ },
    ],
    [
      "an approval window below 15 minutes",
      { approvalTimeoutMinutes: "14" },
      { key: "tap:approvalTimeoutMinutes", value: '"14"', fix: /whole number of minutes from 15 to 2880/ },
    ],
    [
      "an approval window above two days",
      { approvalTimeoutMinutes: "2881" },
      { key: "tap:approvalTimeoutMinutes", value: '"2881"', fix: /whole number of minutes from 15 to 2880/ },
    ],
    [
      "a regional-restore mode that is not auto, approve or off",
      { regionalRestore: "manual" },
      {
        key: "tap:regionalRestore",
        value: '"manual"',
        fix: /^must be one of auto, approve, off \(default auto\).*pulumi config set tap:regionalRestore approve$/,
      },
    ],
    [
      "a restore confirmation outside the policy's 5 to 120 minutes",
      { restoreConfirmationMinutes: "4" },
      {
        key: "tap:restoreConfirmationMinutes",
        value: '"4"',
        fix: /^must be a whole number of minutes from 5 to 120 \(default 10\)/,
      },
    ],
    [
      "a restore confirmation that is not a whole number of minutes",
      { restoreConfirmationMinutes: "7.5" },
      {
        key: "tap:restoreConfirmationMinutes",
        value: '"7.5"',
        fix: /^must be a whole number of minutes from 5 to 120/,
      },
    ],
    [
      "a restore timeout outside 30 to 720 minutes",
      { restoreTimeoutMinutes: "721" },
      {
        key: "tap:restoreTimeoutMinutes",
        value: '"721"',
        fix: /^must be a whole number of minutes from 30 to 720$/,
      },
    ],
    [
      "a restore timeout that is not a whole number of minutes",
      { restoreTimeoutMinutes: "90.5" },
      {
        key: "tap:restoreTimeoutMinutes",
        value: '"90.5"',
        fix: /^must be a whole number of minutes from 30 to 720$/,
      },
    ],
    [
      "a missing suffix",
      { environmentSuffix: undefined },
      { key: "tap:environmentSuffix", value: "<unset>", fix: /is required/ },
    ],
    [
      "an uppercase suffix",
      { environmentSuffix: "Dev" },
      { key: "tap:environmentSuffix", value: '"Dev"', fix: /lowercase letters and digits/ },
    ],
    [
      "an underscore in the suffix",
      { environmentSuffix: "pr_42" },
      { key: "tap:environmentSuffix", value: '"pr_42"', fix: /single hyphens/ },
    ],
    [
      "a double hyphen in the suffix",
      { environmentSuffix: "pr--42" },
      { key: "tap:environmentSuffix", value: '"pr--42"', fix: /single hyphens/ },
    ],
    [
      "a suffix too long for the Lambda function name",
      { environmentSuffix: "a".repeat(35) },
      {
        key: "tap:environmentSuffix",
        value: `"${"a".repeat(35)}"`,
        fix: /at most 34 fit, because the health-monitor Lambda function name would be 65 characters \(limit 64\)/,
      },
    ],
    [
      "an unknown primary region",
      { primaryRegion: "ap-southeast-9" },
      { key: "tap:primaryRegion", value: '"ap-southeast-9"', fix: /is not an AWS region/ },
    ],
    [
      "an unknown stack region",
      { "aws:region": "mars-1" },
      { key: "aws:region", value: '"mars-1"', fix: /is not an AWS region/ },
    ],
    [
      "a DR region equal to the primary region",
      { "aws:region": "ap-southeast-2" },
      { key: "aws:region", value: '"ap-southeast-2"', fix: /must differ from tap:primaryRegion/ },
    ],
    [
      "a replica region that is neither primary nor DR",
      { replicaRegion: "us-east-1" },
      {
        key: "tap:replicaRegion",
        value: '"us-east-1"',
        fix: /must be the primary region \(ap-southeast-2.*or the stack's DR region \(ap-southeast-1/,
      },
    ],
    [
      "a lag threshold of 0",
      { maxReplicationLagSeconds: "0" },
      { key: "tap:maxReplicationLagSeconds", value: '"0"', fix: /above 0/ },
    ],
    [
      "a negative lag threshold",
      { maxReplicationLagSeconds: "-5" },
      { key: "tap:maxReplicationLagSeconds", value: '"-5"', fix: /above 0/ },
    ],
    [
      "a fractional lag threshold",
      { maxReplicationLagSeconds: "1.5" },
      { key: "tap:maxReplicationLagSeconds", value: '"1.5"', fix: /whole number of seconds/ },
    ],
    [
      "a lag limit the mandatory policy would reject (alarm above 60 s)",
      { maxReplicationLagSeconds: "120" },
      { key: "tap:maxReplicationLagSeconds", value: '"120"', fix: /at most 60/ },
    ],
    [
      "a malformed email",
      { alertEmails: '["oncall@example"]' },
      { key: "tap:alertEmails", value: '"oncall@example"', fix: /not an email address/ },
    ],
    [
      "emails that are not a list",
      { alertEmails: "oncall@example.com" },
      { key: "tap:alertEmails", value: '"oncall@example.com"', fix: /must be a list of strings/ },
    ],
    [
      "a malformed CIDR",
      { allowedClientCidrs: '["10.0.0/16"]' },
      { key: "tap:allowedClientCidrs", value: '"10.0.0/16"', fix: /not an IPv4 CIDR/ },
    ],
    [
      "a CIDR with host bits",
      { allowedClientCidrs: '["10.20.1.5/16"]' },
      { key: "tap:allowedClientCidrs", value: '"10.20.1.5/16"', fix: /did you mean 10\.20\.0\.0\/16/ },
    ],
    [
      "0.0.0.0/0 as a client CIDR",
      { allowedClientCidrs: '["0.0.0.0/0"]' },
      { key: "tap:allowedClientCidrs", value: '"0.0.0.0/0"', fix: /never 0\.0\.0\.0\/0/ },
    ],
    [
      "engine version 15",
      { engineVersion: "15" },
      { key: "tap:engineVersion", value: '"15"', fix: /must be PostgreSQL 14/ },
    ],
    [
      "engine version 14.x with letters",
      { engineVersion: "14.x" },
      { key: "tap:engineVersion", value: '"14.x"', fix: /must be PostgreSQL 14/ },
    ],
    [
      "a malformed instance class",
      { instanceClass: "t3.medium" },
      { key: "tap:instanceClass", value: '"t3.medium"', fix: /db\.t3\.medium/ },
    ],
    [
      "storage below the gp3 minimum",
      { allocatedStorageGb: "10" },
      { key: "tap:allocatedStorageGb", value: '"10"', fix: /from 20 to 65536/ },
    ],
    [
      "autoscaling below allocated storage",
      { allocatedStorageGb: "100", maxAllocatedStorageGb: "50" },
      { key: "tap:maxAllocatedStorageGb", value: '"50"', fix: /at least tap:allocatedStorageGb \(100\)/ },
    ],
    [
      "0 days of backups",
      { backupRetentionDays: "0" },
      { key: "tap:backupRetentionDays", value: '"0"', fix: /from 1 to 35/ },
    ],
    [
      "an activeWriter naming no slot",
      { activeWriter: "secondary" },
      {
        key: "tap:activeWriter",
        value: '"secondary"',
        fix: /must be primary \(rds-primary-dev takes writes\), replica \(rds-replica-dev was promoted and takes writes\) or restored \(rds-restored-dev was created by a regional restore and takes writes\), e\.g\. pulumi config set tap:activeWriter replica/,
      },
    ],
    [
      "a non-boolean keepOldWriter",
      { keepOldWriter: "keep" },
      { key: "tap:keepOldWriter", value: '"keep"', fix: /true or false/ },
    ],
    [
      "a non-boolean multiAz",
      { multiAz: "yes" },
      { key: "tap:multiAz", value: '"yes"', fix: /true or false/ },
    ],
    [
      "overlapping VPC CIDRs",
      { drVpcCidr: "10.20.128.0/17" },
      { key: "tap:drVpcCidr", value: '"10.20.128.0/17"', fix: /overlaps tap:primaryVpcCidr/ },
    ],
    [
      "a VPC too large for AWS",
      { primaryVpcCidr: "10.0.0.0/8" },
      { key: "tap:primaryVpcCidr", value: '"10.0.0.0/8"', fix: /\/16 to \/26/ },
    ],
    [
      "a reserved master user",
      { masterUsername: "postgres" },
      { key: "tap:masterUsername", value: '"postgres"', fix: /not be reserved/ },
    ],
    [
      "a database name with a hyphen",
      { databaseName: "my-app" },
      { key: "tap:databaseName", value: '"my-app"', fix: /only a-z, 0-9, _/ },
    ],
    [
      "a zone name with a trailing dot",
      { hostedZoneName: "db.internal." },
      { key: "tap:hostedZoneName", value: '"db.internal."', fix: /no trailing dot/ },
    ],
    [
      "a PI retention RDS refuses",
      { performanceInsightsRetentionDays: "30" },
      { key: "tap:performanceInsightsRetentionDays", value: '"30"', fix: /7, 731, or a multiple of 31/ },
    ],
    [
      "expiry before the IA transition",
      { noncurrentExpirationDays: "20" },
      {
        key: "tap:noncurrentExpirationDays",
        value: '"20"',
        fix: /greater than tap:noncurrentTransitionDays \(30\)/,
      },
    ],
    [
      "a misspelt key",
      { replicaRegon: "ap-southeast-1" },
      { key: "tap:replicaRegon", value: '"ap-southeast-1"', fix: /unknown key \(a typo\?\)/ },
    ],
  ])("%s", (_situation, overrides, expected) => {
    const problems = problemsFor(overrides);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toEqual({
      key: expected.key,
      value: expected.value,
      fix: expect.stringMatching(expected.fix),
    });
  });

  it("reports every problem at once in one message", () => {
    expect(() => validateConfig({ environmentSuffix: "Dev", maxReplicationLagSeconds: "0" })).toThrow(
      'Invalid TapStack configuration (2 problems):\n  - tap:environmentSuffix = "Dev": must be lowercase letters',
    );
  });

  it("lists the known keys in the unknown-key message", () => {
    expect(problemsFor({ typo: "x" })[0].fix).toContain(CONFIG_KEYS.join(", "));
  });
});

describe("tap:restoreTestSchedule and tap:restoreTestMinRows", () => {
  it.each([
    // The default, weekly on Sunday at 03:00 UTC.
    ["cron(0 3 ? * SUN *)", "cron(0 3 ? * SUN *)"],
    // Daily; twice a week by name; weekdays by number (1 = SUN); a weekday range.
    ["cron(15 2 * * ? *)", "cron(15 2 * * ? *)"],
    ["cron(30 1 ? * MON,THU *)", "cron(30 1 ? * MON,THU *)"],
    ["cron(0 4 ? * 1,4 *)", "cron(0 4 ? * 1,4 *)"],
    ["cron(0 4 ? * MON-FRI *)", "cron(0 4 ? * MON-FRI *)"],
    ["rate(1 day)", "rate(1 day)"],
    ["rate(7 days)", "rate(7 days)"],
    // off: no schedules at all.
    ["off", null],
  ])("accepts %s", (value, expected) => {
    expect(validateConfig({ ...VALID, restoreTestSchedule: value }).restoreTestSchedule).toBe(expected);
  });

  it.each([
    // Typos EventBridge would refuse at deploy time.
    [
      "cron(0 3 ? * SUN)",
      /has 5 cron fields; EventBridge wants 6: minutes hours day-of-month month day-of-week year/,
    ],
    ["cron(0 3 * * SUN *)", /must have \? in exactly one of day-of-month and day-of-week/],
    ["cron(0 3 ? * ? *)", /must have \? in exactly one of day-of-month and day-of-week/],
    ["cron(0 24 ? * SUN *)", /its hours field "24" is not valid \(0-23\)/],
    ["cron(60 3 ? * SUN *)", /its minutes field "60" is not valid \(0-59\)/],
    ["cron(0 3 ? * SUNDAY *)", /its day-of-week field "SUNDAY" is not valid \(1-7 or SUN-SAT\)/],
    ["cron(0 3 ? * SUN/2 *)", /its day-of-week field "SUN\/2" is not valid/],
    ["cron(0 3 ? 13 SUN *)", /its month field "13" is not valid \(1-12 or JAN-DEC\)/],
    ["cron(0 3 ? * SUN 1969)", /its year field "1969" is not valid \(1970-2199\)/],
    ["cron 0 3 ? * SUN *", /is neither "off", rate\(\.\.\.\) nor cron\(\.\.\.\)/],
    ["weekly", /is neither "off", rate\(\.\.\.\) nor cron\(\.\.\.\)/],
    ["Off", /is neither "off"/],
    ["rate(1 days)", /singular unit for 1 \(rate\(1 day\)\), the plural otherwise/],
    ["rate(7 day)", /singular unit for 1/],
    ["rate(0 days)", /positive number/],
    // Valid EventBridge, but a test more than once a day or less than once a week.
    ["rate(12 hours)", /every 12 hours; use rate\(N days\) with N from 1 to 7/],
    ["rate(8 days)", /every 8 days; use rate\(N days\) with N from 1 to 7/],
    ["cron(0 */6 * * ? *)", /runs more than once a day \(minutes "0", hours "\*\/6"\)/],
    ["cron(0,30 3 ? * SUN *)", /runs more than once a day/],
    ["cron(0 3 1 * ? *)", /may leave more than a week between tests/],
    ["cron(0 3 ? * 1#1 *)", /may leave more than a week between tests/],
    ["cron(0 3 ? JAN SUN *)", /may leave more than a week between tests/],
  ])("refuses %s, naming key, value and fix", (value, reason) => {
    const problems = problemsFor({ restoreTestSchedule: value });
    expect(problems).toEqual([
      {
        key: "tap:restoreTestSchedule",
        value: JSON.stringify(value),
        fix: expect.stringMatching(reason),
      },
    ]);
    expect(problems[0].fix).toContain(
      'or off to stop scheduled restore tests; e.g. pulumi config set tap:restoreTestSchedule "cron(0 3 ? * SUN *)"',
    );
    expect(restoreTestScheduleProblem(value)).toMatch(reason);
  });

  it("takes the minimum row count from 1 to 1000000000, both bounds included", () => {
    expect(RESTORE_TEST_MIN_ROWS_RANGE).toEqual({ min: 1, max: 1_000_000_000 });
    expect(validateConfig({ ...VALID, restoreTestMinRows: "1" }).restoreTestMinRows).toBe(1);
    expect(validateConfig({ ...VALID, restoreTestMinRows: "1000000000" }).restoreTestMinRows).toBe(
      1_000_000_000,
    );
    expect(validateConfig({ ...VALID, restoreTestMinRows: "60" }).restoreTestMinRows).toBe(60);
  });

  it.each(["0", "-1", "1000000001", "2.5", "ten"])("refuses tap:restoreTestMinRows %s", (value) => {
    expect(problemsFor({ restoreTestMinRows: value })).toEqual([
      {
        key: "tap:restoreTestMinRows",
        value: JSON.stringify(value),
        fix: "must be a whole number of heartbeat rows (the fewest the restored copy must hold for a restore test to pass) from 1 to 1000000000",
      },
    ]);
  });
});

describe("CIDR helpers", () => {
  it.each([
    ["10.20.0.0/16", { network: 0x0a140000, prefixLength: 16 }],
    ["192.168.1.0/24", { network: 0xc0a80100, prefixLength: 24 }],
    ["0.0.0.0/0", { network: 0, prefixLength: 0 }],
    ["10.0.0.0/33", "has a prefix length above 32"],
    ["256.0.0.0/8", "has an octet above 255"],
    ["10.0.0.1/24", "has host bits set; did you mean 10.0.0.0/24?"],
    ["fd00::/8", "is not an IPv4 CIDR like 10.0.0.0/16"],
  ])("parseIpv4Cidr(%s)", (text, expected) => {
    expect(parseIpv4Cidr(text)).toEqual(expected);
  });

  it("splits a VPC into quarter-size subnets", () => {
    expect(privateSubnetCidrs("10.30.0.0/16", 2)).toEqual(["10.30.0.0/18", "10.30.64.0/18"]);
    expect(privateSubnetCidrs("172.16.8.0/24", 4)).toEqual([
      "172.16.8.0/26",
      "172.16.8.64/26",
      "172.16.8.128/26",
      "172.16.8.192/26",
    ]);
  });

  it.each([
    ["10.20.0.0/16", "10.30.0.0/16", false],
    ["10.20.0.0/16", "10.20.255.0/24", true],
    ["10.0.0.0/8", "10.200.0.0/16", true],
    ["10.20.0.0/17", "10.20.128.0/17", false],
  ])("cidrsOverlap(%s, %s) = %s", (a, b, expected) => {
    expect(cidrsOverlap(parseIpv4Cidr(a) as never, parseIpv4Cidr(b) as never)).toBe(expected);
  });
});

describe("the failover policy in the typed config", () => {
  it("is DEFAULT_POLICY with the stack's lag limit, frozen", () => {
    const config = validateConfig({ ...VALID, maxReplicationLagSeconds: "25" });
    expect(config.failoverPolicy).toEqual({ ...DEFAULT_POLICY, maxReplicationLagSeconds: 25 });
    expect(Object.isFrozen(config.failoverPolicy)).toBe(true);
  });

  it("takes tap:regionalRestore and tap:restoreConfirmationMinutes into the policy, each mode and both bounds", () => {
    for (const regionalRestore of ["auto", "approve", "off"] as const) {
      for (const minutes of [RESTORE_CONFIRMATION_RANGE.min, 30, RESTORE_CONFIRMATION_RANGE.max]) {
        const { failoverPolicy } = validateConfig({
          ...VALID,
          regionalRestore,
          restoreConfirmationMinutes: String(minutes),
        });
        expect(failoverPolicy).toEqual({
          ...DEFAULT_POLICY,
          regionalRestore,
          restoreConfirmationMinutes: minutes,
        });
        expect(validatePolicy(failoverPolicy)).toEqual(failoverPolicy);
      }
    }
  });

  it("takes whole minutes from 5 within the policy's own range, and refuses just outside them", () => {
    const { min, max } = RESTORE_CONFIRMATION_RANGE;
    expect(min).toBeGreaterThanOrEqual(POLICY_RANGES.restoreConfirmationMinutes.min);
    expect(max).toBe(POLICY_RANGES.restoreConfirmationMinutes.max);
    for (const inside of [min, max]) {
      expect(problemsFor({ restoreConfirmationMinutes: String(inside) })).toEqual([]);
    }
    for (const outside of [min - 1, max + 1, min + 0.5]) {
      expect(problemsFor({ restoreConfirmationMinutes: String(outside) }).map((p) => p.key)).toEqual([
        "tap:restoreConfirmationMinutes",
      ]);
    }
  });

  it("a refused restore mode or confirmation is reported once, against its own key only", () => {
    expect(
      problemsFor({ regionalRestore: "AUTO", restoreConfirmationMinutes: "ten" }).map((p) => [
        p.key,
        p.value,
      ]),
    ).toEqual([
      ["tap:regionalRestore", '"AUTO"'],
      ["tap:restoreConfirmationMinutes", '"ten"'],
    ]);
  });

  it("keeps the restore timeout out of the policy, with its exported range and default", () => {
    expect(RESTORE_TIMEOUT_RANGE).toEqual({ min: 30, max: 720 });
    expect(DEFAULT_RESTORE_TIMEOUT_MINUTES).toBe(180);
    expect(validateConfig({ ...VALID, restoreTimeoutMinutes: "720" })).toMatchObject({
      restoreTimeoutMinutes: 720,
      failoverPolicy: DEFAULT_POLICY,
    });
    expect(problemsFor({ restoreTimeoutMinutes: "29" })).toEqual([
      {
        key: "tap:restoreTimeoutMinutes",
        value: '"29"',
        fix: "must be a whole number of minutes from 30 to 720",
      },
    ]);
  });

  it("every lag limit the config accepts is one the policy's validation and the policy pack accept", () => {
    for (let lag = 1; lag <= 60; lag++) {
      const { failoverPolicy } = validateConfig({ ...VALID, maxReplicationLagSeconds: String(lag) });
      expect(validatePolicy(failoverPolicy)).toEqual(failoverPolicy);
      expect(failoverPolicy.maxReplicationLagSeconds).toBeLessThanOrEqual(MAX_REPLICA_LAG_ALARM_SECONDS);
    }
    // Just past the pack's limit: refused by the config, naming the key, the value and the fix.
    expect(() =>
      validateConfig({ ...VALID, maxReplicationLagSeconds: String(MAX_REPLICA_LAG_ALARM_SECONDS + 1) }),
    ).toThrow(
      /tap:maxReplicationLagSeconds = "61": must be a whole number of seconds above 0 and at most 60/,
    );
  });
});
