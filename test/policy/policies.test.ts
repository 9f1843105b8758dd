import { allPolicies, isWildcardResource, type TapPolicy } from "../../policy/policies";
import { formatTable, hasMandatoryViolation, runPolicies, type PolicyOutcome } from "../../policy/offline";
import type { SynthOutput } from "../../policy/offline";
import {
  ACCOUNT,
  DR_REGION,
  PRIMARY_REGION,
  arns,
  compliantStack,
  failoverPolicy,
  plus,
  type Placement,
  withInputs,
  without,
} from "./fixtures";

const byName = (name: string): TapPolicy => {
  const p = allPolicies.find((x) => x.name === name);
  if (!p) throw new Error(`no policy ${name}`);
  return p;
};

async function violationsOf(policy: string, synth: SynthOutput, config = {}): Promise<string[]> {
  const [outcome] = await runPolicies([byName(policy)], synth, config);
  return outcome.violations.map((v) => v.message);
}

describe("the compliant stack", () => {
  it.each<Placement>(["same-region", "cross-region"])(
    "passes every policy with the replica %s",
    async (placement) => {
      const outcomes = await runPolicies(allPolicies, compliantStack(placement));
      const failing = outcomes.filter((o) => o.result !== "pass");
      expect(failing).toEqual([]);
      expect(hasMandatoryViolation(outcomes)).toBe(false);
    },
  );

  it("has 24 policies, all mandatory, with unique names", () => {
    expect(allPolicies).toHaveLength(24);
    expect(new Set(allPolicies.map((p) => p.name)).size).toBe(24);
    expect(allPolicies.every((p) => p.enforcementLevel === "mandatory")).toBe(true);
  });
});

type Mutation = (s: SynthOutput) => SynthOutput;
const set =
  (name: string, patch: Record<string, unknown>): Mutation =>
  (s) =>
    withInputs(s, name, (i) => ({ ...i, ...patch }));
const unset =
  (name: string, ...keys: string[]): Mutation =>
  (s) =>
    withInputs(s, name, (i) => Object.fromEntries(Object.entries(i).filter(([k]) => !keys.includes(k))));

/**
 * [policy, situation, how the compliant stack is broken, what the first violation says,
 * number of violations (default 1)].
 */
const FAILING: [string, string, Mutation, string, number?][] = [
  [
    "rds-storage-encrypted-cmk",
    "primary unencrypted",
    set("rds-primary-dev", { storageEncrypted: false }),
    "storageEncrypted is false",
  ],
  [
    "rds-storage-encrypted-cmk",
    "primary on the AWS-managed key",
    set("rds-primary-dev", { kmsKeyId: "alias/aws/rds" }),
    'kmsKeyId is "alias/aws/rds"',
  ],
  [
    "rds-storage-encrypted-cmk",
    "same-region replica given a key",
    set("rds-replica-dev", { kmsKeyId: arns.primaryKey }),
    "same-region replica sets kmsKeyId",
  ],
  [
    "rds-performance-insights-cmk",
    "PI without a key",
    unset("rds-primary-dev", "performanceInsightsKmsKeyId"),
    "performanceInsightsKmsKeyId is undefined",
  ],
  [
    "rds-master-secret-managed-cmk",
    "plain password",
    set("rds-primary-dev", { password: "[secret]" }),
    "a plain master password is set",
  ],
  [
    "rds-master-secret-managed-cmk",
    "secret not managed",
    set("rds-primary-dev", { manageMasterUserPassword: false }),
    "manageMasterUserPassword is false",
  ],
  [
    "rds-master-secret-managed-cmk",
    "secret on aws/secretsmanager",
    unset("rds-primary-dev", "masterUserSecretKmsKeyId"),
    "masterUserSecretKmsKeyId is undefined",
  ],
  [
    "s3-default-encryption-cmk",
    "bucket without SSE",
    (s) => without(s, "s3-sse-dr-dev"),
    'Bucket "s3-backups-dr-dev": no BucketServerSideEncryptionConfiguration',
  ],
  [
    "s3-default-encryption-cmk",
    "SSE-S3 instead of KMS",
    set("s3-sse-primary-dev", {
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
    }),
    "every rule needs applyServerSideEncryptionByDefault",
  ],
  [
    "sns-topic-encrypted-cmk",
    "topic unencrypted",
    unset("sns-dr-events-dev", "kmsMasterKeyId"),
    "kmsMasterKeyId is undefined",
  ],
  [
    "sns-topic-encrypted-cmk",
    "topic on alias/aws/sns",
    set("sns-db-alarms-dev", { kmsMasterKeyId: "alias/aws/sns" }),
    'kmsMasterKeyId is "alias/aws/sns"',
  ],
  [
    "log-group-encrypted-cmk",
    "log group unencrypted",
    unset("log-failover-dev", "kmsKeyId"),
    "kmsKeyId is undefined",
  ],
  [
    "log-group-encrypted-cmk",
    "log group kept forever",
    unset("log-failover-dev", "retentionInDays"),
    "retentionInDays is undefined",
  ],
  [
    "rds-force-ssl",
    "replica on the engine default group",
    unset("rds-replica-dev", "parameterGroupName"),
    'Instance "rds-replica-dev": parameterGroupName is undefined',
  ],
  [
    "rds-force-ssl",
    "group without force_ssl",
    set("pg-postgres14-primary-dev", { parameters: [{ name: "rds.force_ssl", value: "0" }] }),
    "no parameter rds.force_ssl=1",
    2, // the group is shared by the primary and the same-region replica
  ],
  [
    "s3-tls-only-bucket-policy",
    "bucket without a policy",
    (s) => without(s, "s3-policy-primary-dev"),
    'Bucket "s3-backups-primary-dev": no bucket policy denies insecure transport',
  ],
  [
    "s3-tls-only-bucket-policy",
    "policy that only allows",
    set("s3-policy-dr-dev", {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }],
      }),
    }),
    'Bucket "s3-backups-dr-dev": no bucket policy denies insecure transport',
  ],
  [
    "sns-tls-only-topic-policy",
    "topic without a policy",
    (s) => without(s, "sns-dr-events-policy-dev"),
    'Topic "sns-dr-events-dev": no topic policy denies insecure transport',
  ],
  [
    "rds-not-publicly-accessible",
    "public replica",
    set("rds-replica-dev", { publiclyAccessible: true }),
    "publiclyAccessible is true",
  ],
  [
    "s3-public-access-blocked",
    "no public-access block",
    (s) => without(s, "s3-public-access-dr-dev"),
    'Bucket "s3-backups-dr-dev": no BucketPublicAccessBlock',
  ],
  [
    "s3-public-access-blocked",
    "one setting off",
    set("s3-public-access-primary-dev", { restrictPublicBuckets: false }),
    "restrictPublicBuckets not true",
  ],
  [
    "security-group-no-world-ingress",
    "rule from 0.0.0.0/0",
    set("sg-db-primary-from-monitor-dev", { cidrIpv4: "0.0.0.0/0" }),
    "cidrIpv4 0.0.0.0/0",
  ],
  [
    "security-group-no-world-ingress",
    "inline ingress from ::/0",
    set("sg-db-primary-dev", {
      ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, ipv6CidrBlocks: ["::/0"] }],
    }),
    "ingress[0] ::/0",
  ],
  [
    "db-access-ingress-only-from-monitor-subnets",
    "access group admits the whole DR private subnet",
    set("sgr-db-access-primary-1-dev", { cidrIpv4: "10.30.0.0/18" }),
    'SecurityGroupIngressRule "sgr-db-access-primary-1-dev" (group "sg-db-access-primary-dev"): admits 10.30.0.0/18; an access group admits only the monitor subnets (10.30.128.0/28) or a security group of its own VPC.',
  ],
  [
    "db-access-ingress-only-from-monitor-subnets",
    "another function placed in a monitor subnet",
    (s) =>
      plus(s, {
        type: "aws:lambda/function:Function",
        name: "lambda-reporting-dev",
        provider: "aws-dr-dev",
        region: DR_REGION,
        inputs: { vpcConfig: { subnetIds: ["subnet-0monitor1"], securityGroupIds: ["sg-0other"] } },
      }),
    'Function "lambda-reporting-dev" is placed in the monitor subnet "subnet-monitor-dr-1-dev" (10.30.128.0/28)',
  ],
  [
    "db-access-ingress-only-from-monitor-subnets",
    "the restore check may reach the primary VPC",
    set("sgr-restore-check-egress-1-dev", { cidrIpv4: "10.20.0.0/18" }),
    'Function "lambda-restore-check-dev" runs in the monitor subnet "subnet-monitor-dr-1-dev", which the databases\' access groups admit even when a writer is fenced, but egress rule "sgr-restore-check-egress-1-dev" (tcp 5432-5432 to 10.20.0.0/18) leaves tcp 5432 within 10.30.0.0/16; give it only egress rules for tcp 5432 to its VPC\'s database subnets.',
  ],
  [
    "db-access-ingress-only-from-monitor-subnets",
    "the restore check may use another port",
    set("sgr-restore-check-egress-1-dev", { fromPort: 0, toPort: 65535 }),
    'egress rule "sgr-restore-check-egress-1-dev" (tcp 0-65535 to 10.30.0.0/18) leaves tcp 5432 within 10.30.0.0/16',
  ],
  [
    "db-access-ingress-only-from-monitor-subnets",
    "the restore check with inline egress",
    set("sg-restore-check-dev", {
      egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
    }),
    'but security group "sg-restore-check-dev" has inline egress rules',
  ],
  [
    "db-access-ingress-only-from-monitor-subnets",
    "the restore check with a security group the stack does not declare",
    set("lambda-restore-check-dev", {
      vpcConfig: { subnetIds: ["subnet-0monitor1"], securityGroupIds: ["sg-0restorecheck", "sg-0elsewhere"] },
    }),
    "but its security groups (sg-0restorecheck, sg-0elsewhere) are not all the stack's",
  ],
  [
    "db-access-ingress-only-from-monitor-subnets",
    "no monitor subnet declared",
    (s) => without(s, "subnet-monitor-dr-1-dev"),
    "No subnet is tagged Subnet-Purpose=health-monitor",
  ],
  [
    "required-tags",
    "no DR-Role",
    set("kms-dr-dev", { tags: { Name: "kms-dr-dev" } }),
    "missing tag(s) DR-Role",
  ],
  [
    "required-tags",
    "provider without default tags and no own tags",
    (s) =>
      set("log-failover-dev", { tags: { "DR-Role": "failover" } })(
        withInputs(s, "aws-dr-dev", (i) => ({ ...i, defaultTags: undefined })),
      ),
    "missing tag(s) Environment, Owner",
  ],
  [
    "required-tags",
    "unknown DR-Role",
    set("sns-dr-events-dev", { tags: { Environment: "dev", Owner: "o", "DR-Role": "misc" } }),
    'DR-Role is "misc"',
  ],
  [
    "names-include-environment-suffix",
    "physical name without suffix",
    set("sns-dr-events-dev", { name: "dr-events" }),
    'name "dr-events" does not contain the environment suffix "dev"',
  ],
  [
    "destroyable",
    "bucket without forceDestroy",
    set("s3-backups-dr-dev", { forceDestroy: false }),
    "forceDestroy is false",
  ],
  [
    "destroyable",
    "deletion protection without opt-in",
    set("rds-primary-dev", { deletionProtection: true }),
    "deletionProtection is true but this stack has not opted in",
  ],
  [
    "destroyable",
    "no final-snapshot choice",
    set("rds-primary-dev", { skipFinalSnapshot: false }),
    "delete would fail",
  ],
  [
    "destroyable",
    "skipDestroy on a parameter group",
    set("pg-postgres14-primary-dev", { skipDestroy: true }),
    "skipDestroy is true",
  ],
  [
    "rds-primary-backup-retention",
    "1-day retention",
    set("rds-primary-dev", { backupRetentionPeriod: 1 }),
    "backupRetentionPeriod is 1; set it to at least 7",
  ],
  [
    "rds-backups-replicated-to-dr",
    "no backup replication",
    (s) => without(s, "rds-backups-replication-dev"),
    'Instance "rds-primary-dev": no InstanceAutomatedBackupsReplication',
  ],
  [
    "rds-backups-replicated-to-dr",
    "3-day copies",
    set("rds-backups-replication-dev", { retentionPeriod: 3 }),
    "retentionPeriod is 3",
  ],
  [
    "rds-backups-replicated-to-dr",
    "copies unencrypted",
    unset("rds-backups-replication-dev", "kmsKeyId"),
    "kmsKeyId is undefined",
  ],
  [
    "rds-backups-replicated-to-dr",
    "copies in the primary's region",
    (s) => ({
      resources: s.resources.map((r) =>
        r.name === "rds-backups-replication-dev" ? { ...r, region: PRIMARY_REGION } : r,
      ),
    }),
    "the primary's own region",
  ],
  [
    "s3-backup-buckets-versioned-replicated",
    "versioning suspended",
    set("s3-versioning-dr-dev", { versioningConfiguration: { status: "Suspended" } }),
    "versioning is not Enabled",
  ],
  [
    "s3-backup-buckets-versioned-replicated",
    "no replication",
    (s) => without(s, "s3-replication-primary-to-dr-dev"),
    "neither the source nor the destination",
    2,
  ],
  [
    "s3-backup-buckets-versioned-replicated",
    "KMS objects not selected",
    withRule({ sourceSelectionCriteria: undefined }),
    "rules[0] must set sourceSelectionCriteria.sseKmsEncryptedObjects.status",
  ],
  [
    "alarm-has-action",
    "alarm without action",
    set("alarm-replica-lag-dev", { alarmActions: [] }),
    "alarmActions is empty",
  ],
  [
    "alarm-has-action",
    "actions disabled",
    set("alarm-replica-lag-dev", { actionsEnabled: false }),
    "actionsEnabled is false",
  ],
  [
    "replica-lag-alarm",
    "no lag alarm",
    (s) => without(s, "alarm-replica-lag-dev"),
    'Instance "rds-replica-dev": no lag alarm',
  ],
  [
    "replica-lag-alarm",
    "threshold 120 s",
    set("alarm-replica-lag-dev", { threshold: 120 }),
    "threshold 120 GreaterThanThreshold",
  ],
  [
    "replica-lag-alarm",
    "alarm on another instance",
    set("alarm-replica-lag-dev", { dimensions: { DBInstanceIdentifier: "rds-primary-dev" } }),
    "no lag alarm",
  ],
  [
    "iam-no-wildcard-action",
    "action *",
    withStatement({ Effect: "Allow", Action: "*", Resource: arns.drBucket }),
    'action "*" is a wildcard',
  ],
  [
    "iam-no-wildcard-action",
    "service-wide rds:*",
    withStatement({ Effect: "Allow", Action: "rds:*", Resource: arns.primaryDb }),
    'action "rds:*" is a wildcard',
  ],
  [
    "iam-no-wildcard-action",
    "NotAction",
    withStatement({ Effect: "Allow", NotAction: "iam:*", Resource: arns.primaryDb }),
    "Allow with NotAction",
  ],
  [
    "iam-no-wildcard-resource",
    "promote on *",
    withStatement({ Effect: "Allow", Action: "rds:PromoteReadReplica", Resource: "*" }),
    'Resource "*" for rds:PromoteReadReplica',
  ],
  [
    "iam-no-wildcard-resource",
    "every instance in the account",
    withStatement({
      Effect: "Allow",
      Action: "rds:DeleteDBInstance",
      Resource: `arn:aws:rds:${DR_REGION}:${ACCOUNT}:db:*`,
    }),
    'Resource "*" for rds:DeleteDBInstance',
  ],
  [
    "iam-no-wildcard-resource",
    "managed admin policy",
    (s) =>
      plus(s, {
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        name: "iam-failover-admin-dev",
        inputs: {
          role: "iam-failover-dev-3c3c3c3",
          policyArn: "arn:aws:iam::aws:policy/AdministratorAccess",
        },
      }),
    "managed policy arn:aws:iam::aws:policy/AdministratorAccess is not on the allow-list",
  ],
  [
    "iam-no-wildcard-resource",
    "policy that is not JSON",
    set("iam-failover-policy-dev", { policy: "{not json" }),
    'RolePolicy "iam-failover-policy-dev": policy is not valid JSON',
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "an Express machine",
    set("sfn-failover-dev", { type: "EXPRESS" }),
    'type is "EXPRESS"; set type: "STANDARD"',
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "logging off",
    set("sfn-failover-dev", {
      loggingConfiguration: {
        level: "OFF",
        includeExecutionData: false,
        logDestination: `${arns.stateMachineLogs}:*`,
      },
    }),
    'loggingConfiguration.level is "OFF"',
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "execution data (task tokens) in the logs",
    set("sfn-failover-dev", {
      loggingConfiguration: {
        level: "ALL",
        includeExecutionData: true,
        logDestination: `${arns.stateMachineLogs}:*`,
      },
    }),
    "includeExecutionData is true; set it to false",
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "logs to a group the stack does not own",
    set("sfn-failover-dev", {
      loggingConfiguration: {
        level: "ERROR",
        includeExecutionData: false,
        logDestination: `arn:aws:logs:${DR_REGION}:${ACCOUNT}:log-group:/elsewhere:*`,
      },
    }),
    "names no log group of the stack",
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "log group on the AWS-owned key",
    unset("logs-sfn-failover-dev", "kmsKeyId"),
    'its log group "logs-sfn-failover-dev" has kmsKeyId undefined',
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "role trusted by Lambda too",
    set("iam-sfn-failover-dev", {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: ["states.amazonaws.com", "lambda.amazonaws.com"] },
            Action: "sts:AssumeRole",
          },
        ],
      }),
    }),
    'trusted by ["states.amazonaws.com","lambda.amazonaws.com"]; trust states.amazonaws.com only',
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "role may invoke every function",
    set("iam-sfn-failover-policy-dev", {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: "lambda:InvokeFunction",
            Resource: `arn:aws:lambda:${DR_REGION}:${ACCOUNT}:function:*`,
          },
        ],
      }),
    }),
    "lambda:InvokeFunction on arn:aws:lambda:ap-southeast-1:123456789012:function:*; name the task function's ARN",
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "role may also promote instances",
    set("iam-sfn-failover-policy-dev", {
      policy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "rds:PromoteReadReplica", Resource: arns.replicaDb(DR_REGION) },
        ],
      }),
    }),
    "the state machine's role grants rds:PromoteReadReplica; it may only invoke its task function",
  ],
  [
    "state-machine-standard-logged-least-privilege",
    "role with an attached managed policy",
    (s) =>
      plus(s, {
        type: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        name: "iam-sfn-failover-lambda-role-dev",
        inputs: {
          role: "iam-sfn-failover-dev-4d4d4d4",
          policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
        },
      }),
    "has an attached policy; grant only inline statements",
  ],
];

function withStatement(statement: object): Mutation {
  return set("iam-failover-policy-dev", {
    policy: JSON.stringify({
      Version: "2012-10-17",
      Statement: [...(failoverPolicy(PRIMARY_REGION) as { Statement: object[] }).Statement, statement],
    }),
  });
}

function withRule(patch: Record<string, unknown>): Mutation {
  return (s) =>
    withInputs(s, "s3-replication-primary-to-dr-dev", (i) => ({
      ...i,
      rules: (i["rules"] as Record<string, unknown>[]).map((r) => ({ ...r, ...patch })),
    }));
}

describe.each(FAILING)("%s: %s", (policy, _situation, mutate, expected, count = 1) => {
  it("passes on the compliant stack", async () => {
    expect(await violationsOf(policy, compliantStack("same-region"))).toEqual([]);
    expect(await violationsOf(policy, compliantStack("cross-region"))).toEqual([]);
  });

  it("reports the broken resource with a fix", async () => {
    const messages = await violationsOf(policy, mutate(compliantStack("same-region")));
    expect(messages).toHaveLength(count);
    expect(messages[0]).toContain(expected);
  });
});

describe("every policy has a failing situation", () => {
  it.each(allPolicies.map((p) => p.name))("%s", (name) => {
    expect(FAILING.filter(([p]) => p === name).length).toBeGreaterThan(0);
  });
});

describe("configuration", () => {
  it("lets a stack that opts in keep deletion protection", async () => {
    const s = set("rds-primary-dev", {
      deletionProtection: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: "rds-primary-dev-final",
    })(compliantStack());
    expect(await violationsOf("destroyable", s, { allowDeletionProtection: true })).toEqual([]);
    expect(await violationsOf("destroyable", s)).toEqual([
      'Instance "rds-primary-dev": deletionProtection is true but this stack has not opted in; set deletionProtection: false, or opt in with the allowDeletionProtection policy setting.',
    ]);
  });

  it("takes the environment suffix from config over the provider's Environment tag", async () => {
    const messages = await violationsOf("names-include-environment-suffix", compliantStack(), {
      environmentSuffix: "prod",
    });
    expect(messages).toContain(
      'Key "kms-primary-dev": logical name does not contain the environment suffix "prod"; name it "<type>-prod".',
    );
  });

  it("accepts a promoted same-region replica on its inherited key only with the marker and encryption on", async () => {
    const promoted = unset("rds-replica-dev", "replicateSourceDb", "kmsKeyId")(compliantStack());
    const withKeySource =
      (value: string): Mutation =>
      (st) =>
        withInputs(st, "rds-replica-dev", (i) => ({
          ...i,
          storageEncrypted: true,
          tags: { ...(i["tags"] as Record<string, string>), "DR-Key-Source": value },
        }));
    const marked = withKeySource("inherited-from-source")(promoted);
    expect(await violationsOf("rds-storage-encrypted-cmk", marked)).toEqual([]);
    const unmarked = withKeySource("")(promoted);
    expect(await violationsOf("rds-storage-encrypted-cmk", unmarked)).toEqual([
      'Instance "rds-replica-dev": kmsKeyId is undefined; set it to the ARN of the region\'s customer-managed key.',
    ]);
    const unencrypted = set("rds-replica-dev", { storageEncrypted: false })(marked);
    expect(await violationsOf("rds-storage-encrypted-cmk", unencrypted)).toEqual([
      'Instance "rds-replica-dev": storageEncrypted is false; set storageEncrypted: true.',
      'Instance "rds-replica-dev": kmsKeyId is undefined; set it to the ARN of the region\'s customer-managed key.',
    ]);
  });

  it("accepts a cross-region replica only with a key of its own region", async () => {
    const s = unset("rds-replica-dev", "kmsKeyId")(compliantStack("cross-region"));
    expect(await violationsOf("rds-storage-encrypted-cmk", s)).toEqual([
      'Instance "rds-replica-dev": kmsKeyId is undefined; set it to the ARN of the region\'s customer-managed key (a cross-region replica needs a key in its own region).',
    ]);
  });
});

describe("isWildcardResource", () => {
  it.each<[string, boolean]>([
    ["*", true],
    [`arn:aws:rds:${DR_REGION}:*:db:rds-replica-dev`, true],
    [`arn:aws:rds:${DR_REGION}:${ACCOUNT}:db:*`, true],
    [`arn:aws:kms:${DR_REGION}:${ACCOUNT}:key/*`, true],
    ["arn:aws:route53:::hostedzone/*", true],
    ["arn:aws:s3:::*", true],
    [`arn:aws:rds:${DR_REGION}:${ACCOUNT}:db:rds-replica-dev`, false],
    [`${arns.drBucket}/*`, false],
    [`${arns.drBucket}/reports/*`, false],
    ["arn:aws:route53:::change/*", false],
  ])("%s → %s", (resource, expected) => {
    expect(isWildcardResource(resource)).toBe(expected);
  });
});

describe("offline table", () => {
  it("prints one row per policy and each violation under it", async () => {
    const outcomes: PolicyOutcome[] = await runPolicies(
      allPolicies,
      set("rds-primary-dev", { publiclyAccessible: true })(compliantStack()),
    );
    const table = formatTable(outcomes, "dev (same-region)");
    expect(table.split("\n")).toHaveLength(3 + 24 + 3);
    expect(table).toMatch(/^rds-not-publicly-accessible\s+mandatory\s+FAIL\s+2\s+1$/m);
    expect(table).toMatch(/^rds-storage-encrypted-cmk\s+mandatory\s+PASS\s+2\s+0$/m);
    expect(table).toContain(
      '  [rds-not-publicly-accessible] Instance "rds-primary-dev": publiclyAccessible is true; set publiclyAccessible: false.',
    );
    expect(hasMandatoryViolation(outcomes)).toBe(true);
  });

  it("marks a policy with nothing to check as n/a", async () => {
    const [o] = await runPolicies(
      [byName("log-group-encrypted-cmk")],
      without(compliantStack(), "log-failover-dev", "log-step-runner-dev", "logs-sfn-failover-dev"),
    );
    expect(o).toMatchObject({ result: "n/a", checked: 0, violations: [] });
  });
});
