/**
 * The whole program under Pulumi mocks, for both replica placements: which resource is created
 * in which region through which provider, and the exact inputs that matter for DR, security and
 * destroyability. The program runs once per placement.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { RecordingMocks, type RecordedResource } from "../lib/synth/mocks";
import { synthesize, type SynthResult } from "../lib/synth/run";
import { readStackConfig } from "../lib/synth/stack-file";
import { synthesizeProgram } from "./support/synth";

const ROOT = join(__dirname, "..");
const DEV = readStackConfig("dev", ROOT);
const PRIMARY = "ap-southeast-2";
const DR = "ap-southeast-1";

/** Lookup helpers over one run's recorded resources. */
function view(result: SynthResult) {
  const all = result.resources;
  const named = (name: string): RecordedResource => {
    const found = all.filter((r) => r.name === name);
    if (found.length !== 1)
      throw new Error(`expected exactly one resource named ${name}, found ${found.length}`);
    return found[0];
  };
  const ofType = (type: string): RecordedResource[] => all.filter((r) => r.type === type);
  const arn = (name: string): string => named(name).state.arn as string;
  return { all, named, ofType, arn };
}

const INSTANCE = "aws:rds/instance:Instance";
const ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

/** Resource types AWS gives no tags; everything else must carry Environment/Owner/DR-Role/Name. */
const UNTAGGABLE = new Set([
  "tap:index:TapStack",
  "pulumi:providers:aws",
  "aws:ec2/route:Route",
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:kms/alias:Alias",
  "aws:s3/bucketVersioning:BucketVersioning",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
  "aws:s3/bucketPolicy:BucketPolicy",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
  "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
  "aws:iam/rolePolicy:RolePolicy",
  "aws:sns/topicPolicy:TopicPolicy",
  "aws:sns/topicSubscription:TopicSubscription",
  "aws:route53/record:Record",
  "aws:cloudwatch/eventTarget:EventTarget",
  "aws:lambda/permission:Permission",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  "aws:cloudwatch/dashboard:Dashboard",
]);
const DR_ROLES = [
  "primary",
  "replica",
  "monitoring",
  "failover",
  "backup",
  "network",
  "alerting",
  "dns",
  "encryption",
  "restore-test",
];

describe("TapStack with the replica in the primary region (dev defaults)", () => {
  let result: SynthResult;
  let v: ReturnType<typeof view>;
  beforeAll(async () => {
    result = await synthesizeProgram({ ...DEV, "tap:replicaRegion": PRIMARY });
    v = view(result);
  });

  it("makes only invokes the mocks know", () => {
    expect(result.unmockedCalls).toEqual([]);
  });

  it("declares two providers with the regions and default tags", () => {
    const providers = v.ofType("pulumi:providers:aws").map((p) => ({
      name: p.name,
      region: p.inputs.region,
      // Provider defaultTags reach the mocks as a JSON string.
      defaultTags: JSON.parse(p.inputs.defaultTags as string),
      ignoreTags: JSON.parse(p.inputs.ignoreTags as string),
    }));
    expect(providers).toEqual([
      {
        name: "aws-primary-dev",
        region: PRIMARY,
        defaultTags: { tags: { Environment: "dev", Owner: "platform-team" } },
        // The fence's tag survives `pulumi up`.
        ignoreTags: { keys: ["tap:fenced-at"] },
      },
      {
        name: "aws-dr-dev",
        region: DR,
        defaultTags: { tags: { Environment: "dev", Owner: "platform-team" } },
        ignoreTags: { keys: ["tap:fenced-at"] },
      },
    ]);
  });

  it.each([
    ["vpc-primary-dev", PRIMARY, "aws-primary-dev"],
    ["vpc-dr-dev", DR, "aws-dr-dev"],
    ["kms-primary-dev", PRIMARY, "aws-primary-dev"],
    ["kms-dr-dev", DR, "aws-dr-dev"],
    ["rds-primary-dev", PRIMARY, "aws-primary-dev"],
    ["rds-replica-dev", PRIMARY, "aws-primary-dev"],
    ["sg-db-clients-replica-dev", PRIMARY, "aws-primary-dev"],
    ["sg-db-access-replica-dev", PRIMARY, "aws-primary-dev"],
    ["rds-backups-replication-dev", DR, "aws-dr-dev"],
    ["s3-backups-primary-dev", PRIMARY, "aws-primary-dev"],
    ["s3-backups-dr-dev", DR, "aws-dr-dev"],
    ["s3-replication-primary-to-dr-dev", PRIMARY, "aws-primary-dev"],
    ["sns-db-alarms-dev", PRIMARY, "aws-primary-dev"],
    ["sns-dr-events-dev", DR, "aws-dr-dev"],
    ["pcx-dr-primary-dev", DR, "aws-dr-dev"],
    ["pcx-accepter-primary-dev", PRIMARY, "aws-primary-dev"],
    ["sg-health-monitor-dev", DR, "aws-dr-dev"],
    ["r53-zone-dev", "global", "aws-dr-dev"],
    ["iam-s3-replication-dev", "global", "aws-dr-dev"],
  ])("creates %s in %s through %s", (name, region, provider) => {
    expect({ region: v.named(name).region, provider: v.named(name).provider }).toEqual({ region, provider });
  });

  it("declares the DR region's parameter and subnet groups for a regional restore, unused by the replica", () => {
    for (const name of ["pg-postgres14-dr-dev", "dbsubnets-dr-dev"]) {
      expect({ region: v.named(name).region, provider: v.named(name).provider }).toEqual({
        region: DR,
        provider: "aws-dr-dev",
      });
    }
    expect(v.named("pg-postgres14-dr-dev").inputs).toMatchObject({
      name: "pg-postgres14-dr-dev",
      family: "postgres14",
      parameters: v.named("pg-postgres14-primary-dev").inputs.parameters,
    });
    expect(v.named("dbsubnets-dr-dev").inputs.subnetIds).toEqual([
      v.named("subnet-private-dr-1-dev").id,
      v.named("subnet-private-dr-2-dev").id,
    ]);
    // The same-region replica keeps the primary region's groups (RDS takes the source's subnet group).
    expect(v.named("rds-replica-dev").inputs.parameterGroupName).toBe("pg-postgres14-primary-dev");
    expect(v.named("rds-replica-dev").inputs.dbSubnetGroupName).toBeUndefined();
  });

  it("gives the instance a regional restore creates its own client and access groups in the DR VPC", () => {
    const rules = (groupName: string) =>
      v
        .ofType(INGRESS)
        .filter((r) => r.inputs.securityGroupId === v.named(groupName).id)
        .map((r) => ({
          name: r.name,
          cidr: r.inputs.cidrIpv4,
          from: r.inputs.fromPort,
          to: r.inputs.toPort,
          kind: (r.inputs.tags as Record<string, string>)["Ingress-Kind"],
        }));
    for (const kind of ["clients", "access"]) {
      const group = v.named(`sg-db-${kind}-restored-dev`);
      expect({ region: group.region, provider: group.provider }).toEqual({
        region: DR,
        provider: "aws-dr-dev",
      });
      expect(group.inputs).toMatchObject({
        vpcId: v.named("vpc-dr-dev").id,
        revokeRulesOnDelete: true,
        tags: { "DR-Role": "failover", Name: `sg-db-${kind}-restored-dev` },
      });
      expect(group.inputs.ingress).toBeUndefined();
      expect(group.inputs.egress).toBeUndefined();
    }
    expect(rules("sg-db-clients-restored-dev")).toEqual([
      { name: "sgr-db-clients-restored-1-dev", cidr: "10.20.0.0/16", from: 5432, to: 5432, kind: "client" },
    ]);
    expect(rules("sg-db-access-restored-dev")).toEqual([
      { name: "sgr-db-access-restored-1-dev", cidr: "10.30.128.0/28", from: 5432, to: 5432, kind: "monitor" },
      {
        name: "sgr-db-access-restored-2-dev",
        cidr: "10.30.128.16/28",
        from: 5432,
        to: 5432,
        kind: "monitor",
      },
    ]);
  });

  it("encrypts the primary with the primary key, enforces TLS and IAM auth, keeps 7 days of backups", () => {
    const primaryKey = v.arn("kms-primary-dev");
    expect(primaryKey).toMatch(/^arn:aws:kms:ap-southeast-2:123456789012:key\//);
    expect(v.named("rds-primary-dev").inputs).toMatchObject({
      identifier: "rds-primary-dev",
      engine: "postgres",
      engineVersion: "14",
      engineLifecycleSupport: "open-source-rds-extended-support-disabled",
      instanceClass: "db.t3.medium",
      storageType: "gp3",
      allocatedStorage: 50,
      storageEncrypted: true,
      kmsKeyId: primaryKey,
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: primaryKey,
      performanceInsightsEnabled: true,
      performanceInsightsKmsKeyId: primaryKey,
      iamDatabaseAuthenticationEnabled: true,
      publiclyAccessible: false,
      backupRetentionPeriod: 7,
      parameterGroupName: "pg-postgres14-primary-dev",
      dbSubnetGroupName: "dbsubnets-primary-dev",
      vpcSecurityGroupIds: [v.named("sg-db-clients-primary-dev").id, v.named("sg-db-access-primary-dev").id],
      deletionProtection: false,
      skipFinalSnapshot: true,
      deleteAutomatedBackups: true,
      enabledCloudwatchLogsExports: ["postgresql", "upgrade"],
    });
    expect(v.named("rds-primary-dev").inputs.password).toBeUndefined();
    expect(v.named("rds-primary-dev").inputs.finalSnapshotIdentifier).toBeUndefined();
  });

  it("sets rds.force_ssl=1 in the postgres14 parameter group", () => {
    const pg = v.named("pg-postgres14-primary-dev").inputs;
    expect(pg.family).toBe("postgres14");
    expect(pg.parameters).toContainEqual({
      name: "rds.force_ssl",
      value: "1",
      applyMethod: "pending-reboot",
    });
  });

  it("replicates by identifier, without kmsKeyId or subnet group, with backups off", () => {
    const replica = v.named("rds-replica-dev").inputs;
    expect(replica).toMatchObject({
      identifier: "rds-replica-dev",
      replicateSourceDb: "rds-primary-dev",
      parameterGroupName: "pg-postgres14-primary-dev",
      instanceClass: "db.t3.medium",
      backupRetentionPeriod: 0,
      publiclyAccessible: false,
      iamDatabaseAuthenticationEnabled: true,
      skipFinalSnapshot: true,
      performanceInsightsKmsKeyId: v.arn("kms-primary-dev"),
      vpcSecurityGroupIds: [v.named("sg-db-clients-replica-dev").id, v.named("sg-db-access-replica-dev").id],
    });
    expect(replica.kmsKeyId).toBeUndefined();
    expect(replica.dbSubnetGroupName).toBeUndefined();
    expect(replica.username).toBeUndefined();
    expect(v.named("sg-db-clients-replica-dev").inputs.vpcId).toBe(v.named("vpc-primary-dev").id);
    expect(v.named("sg-db-access-replica-dev").inputs.vpcId).toBe(v.named("vpc-primary-dev").id);
  });

  it("copies automated backups to the DR region with the DR key for 7 days", () => {
    expect(v.named("rds-backups-replication-dev").inputs).toEqual({
      sourceDbInstanceArn: "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev",
      retentionPeriod: 7,
      kmsKeyId: v.arn("kms-dr-dev"),
    });
  });

  it("gives each instance a client group (client CIDRs only) and an access group (monitor subnets only)", () => {
    const cidrRules = (groupName: string) =>
      v
        .ofType(INGRESS)
        .filter((r) => r.inputs.securityGroupId === v.named(groupName).id && r.inputs.cidrIpv4 !== undefined)
        .map((r) => ({
          cidr: r.inputs.cidrIpv4,
          protocol: r.inputs.ipProtocol,
          from: r.inputs.fromPort,
          to: r.inputs.toPort,
          kind: (r.inputs.tags as Record<string, string>)["Ingress-Kind"],
        }));
    for (const slot of ["primary", "replica"]) {
      // Fencing revokes every rule of the client group, so it must hold nothing the monitor needs.
      expect(cidrRules(`sg-db-clients-${slot}-dev`)).toEqual([
        { cidr: "10.20.0.0/16", protocol: "tcp", from: 5432, to: 5432, kind: "client" },
      ]);
      expect(cidrRules(`sg-db-access-${slot}-dev`)).toEqual([
        { cidr: "10.30.128.0/28", protocol: "tcp", from: 5432, to: 5432, kind: "monitor" },
        { cidr: "10.30.128.16/28", protocol: "tcp", from: 5432, to: 5432, kind: "monitor" },
      ]);
    }
    // The access groups admit exactly the DR VPC's dedicated monitor subnets, one per AZ, where
    // only the health monitor runs; the DR private subnets are not admitted.
    expect(
      v
        .ofType("aws:ec2/subnet:Subnet")
        .filter((s) => s.region === DR)
        .map((s) => [
          s.name,
          s.inputs.cidrBlock,
          (s.inputs.tags as Record<string, string>)["Subnet-Purpose"],
        ]),
    ).toEqual([
      ["subnet-private-dr-1-dev", "10.30.0.0/18", undefined],
      ["subnet-private-dr-2-dev", "10.30.64.0/18", undefined],
      ["subnet-monitor-dr-1-dev", "10.30.128.0/28", "health-monitor"],
      ["subnet-monitor-dr-2-dev", "10.30.128.16/28", "health-monitor"],
    ]);
    expect(v.named("subnet-monitor-dr-1-dev").inputs.availabilityZone).toBe(
      v.named("subnet-private-dr-1-dev").inputs.availabilityZone,
    );
    expect(v.named("subnet-monitor-dr-2-dev").inputs.availabilityZone).toBe(
      v.named("subnet-private-dr-2-dev").inputs.availabilityZone,
    );
    expect(v.named("lambda-health-monitor-dev").inputs.vpcConfig).toEqual({
      subnetIds: [v.named("subnet-monitor-dr-1-dev").id, v.named("subnet-monitor-dr-2-dev").id],
      securityGroupIds: [v.named("sg-health-monitor-dev").id],
    });
    // Routed like the private subnets: the DR route table holds the route into the peering.
    expect(
      v
        .ofType("aws:ec2/routeTableAssociation:RouteTableAssociation")
        .filter((a) => a.name.startsWith("rtb-assoc-monitor-"))
        .map((a) => [a.name, a.inputs.subnetId, a.inputs.routeTableId]),
    ).toEqual([
      ["rtb-assoc-monitor-dr-1-dev", v.named("subnet-monitor-dr-1-dev").id, v.named("rtb-private-dr-dev").id],
      ["rtb-assoc-monitor-dr-2-dev", v.named("subnet-monitor-dr-2-dev").id, v.named("rtb-private-dr-dev").id],
    ]);
    // Rules that name a security group: only the primary's, for the one-time bootstrap function in
    // its VPC (the monitor in the other region is admitted by subnet CIDR above).
    const referenced = v
      .ofType(INGRESS)
      .filter((r) => r.inputs.referencedSecurityGroupId !== undefined)
      .map((r) => [r.name, r.inputs.securityGroupId, r.inputs.referencedSecurityGroupId, r.inputs.fromPort]);
    expect(referenced).toEqual([
      [
        "sgr-endpoint-from-bootstrap-dev",
        v.named("sg-secretsmanager-endpoint-dev").id,
        v.named("sg-db-bootstrap-dev").id,
        443,
      ],
      [
        "sgr-db-primary-from-bootstrap-dev",
        v.named("sg-db-access-primary-dev").id,
        v.named("sg-db-bootstrap-dev").id,
        5432,
      ],
    ]);
    // 8 for the slots, the bootstrap and its endpoint; 3 for the restored instance's groups.
    expect(v.ofType(INGRESS)).toHaveLength(11);
  });

  it("opens nothing to the internet anywhere", () => {
    expect(JSON.stringify(v.all.map((r) => r.inputs))).not.toContain("0.0.0.0/0");
    const types = new Set(v.all.map((r) => r.type));
    for (const t of [
      "aws:ec2/internetGateway:InternetGateway",
      "aws:ec2/natGateway:NatGateway",
      "aws:ec2/eip:Eip",
    ]) {
      expect(types.has(t)).toBe(false);
    }
    expect(v.ofType(INSTANCE).map((r) => r.inputs.publiclyAccessible)).toEqual([false, false]);
    expect(v.ofType("aws:ec2/subnet:Subnet").map((s) => s.inputs.mapPublicIpOnLaunch)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
    for (const pab of v.ofType("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) {
      expect(pab.inputs).toMatchObject({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
    }
    // Default security groups are declared without rules, which strips AWS's allow-all-members rule.
    for (const sg of v.ofType("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")) {
      expect(sg.inputs.ingress).toBeUndefined();
      expect(sg.inputs.egress).toBeUndefined();
    }
  });

  it("limits the monitor's egress to 5432 on the database subnets, the restored instance's included", () => {
    const rules = v
      .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
      .filter((r) => r.inputs.securityGroupId === v.named("sg-health-monitor-dev").id);
    expect(
      rules.map((r) => [r.inputs.securityGroupId, r.inputs.cidrIpv4, r.inputs.fromPort, r.inputs.toPort]),
    ).toEqual([
      [v.named("sg-health-monitor-dev").id, "10.20.0.0/18", 5432, 5432],
      [v.named("sg-health-monitor-dev").id, "10.20.64.0/18", 5432, 5432],
      // The DR VPC's private subnets (dbsubnets-dr), where a regional restore places its instance.
      [v.named("sg-health-monitor-dev").id, "10.30.0.0/18", 5432, 5432],
      [v.named("sg-health-monitor-dev").id, "10.30.64.0/18", 5432, 5432],
    ]);
  });

  it("peers the VPCs across regions with routes both ways", () => {
    const pcx = v.named("pcx-dr-primary-dev");
    expect(pcx.inputs).toMatchObject({
      vpcId: v.named("vpc-dr-dev").id,
      peerVpcId: v.named("vpc-primary-dev").id,
      peerRegion: PRIMARY,
      autoAccept: false,
    });
    expect(v.named("pcx-accepter-primary-dev").inputs).toMatchObject({
      vpcPeeringConnectionId: pcx.id,
      autoAccept: true,
    });
    expect(v.named("route-dr-to-primary-dev").inputs).toEqual({
      routeTableId: v.named("rtb-private-dr-dev").id,
      destinationCidrBlock: "10.20.0.0/16",
      vpcPeeringConnectionId: pcx.id,
    });
    expect(v.named("route-primary-to-dr-dev").inputs).toEqual({
      routeTableId: v.named("rtb-private-primary-dev").id,
      destinationCidrBlock: "10.30.0.0/16",
      vpcPeeringConnectionId: pcx.id,
    });
    for (const vpc of v.ofType("aws:ec2/vpc:Vpc")) {
      expect(vpc.inputs).toMatchObject({ enableDnsSupport: true, enableDnsHostnames: true });
    }
  });

  it("rotates one customer-managed key per region, with an alias containing the suffix", () => {
    for (const [role, region] of [
      ["primary", PRIMARY],
      ["dr", DR],
    ]) {
      const key = v.named(`kms-${role}-dev`);
      expect(key.inputs).toMatchObject({ enableKeyRotation: true, deletionWindowInDays: 7 });
      const policy = JSON.parse(key.inputs.policy as string);
      expect(policy.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
        "AccountAdministersKeyThroughIam",
        "CloudWatchAlarmsPublishToEncryptedTopics",
        "CloudWatchLogsEncryptLogGroups",
      ]);
      expect(policy.Statement[0].Principal).toEqual({ AWS: "arn:aws:iam::123456789012:root" });
      expect(policy.Statement[2].Principal).toEqual({ Service: `logs.${region}.amazonaws.com` });
      expect(v.named(`kms-alias-${role}-dev`).inputs).toEqual({
        name: `alias/tap-${role}-dev`,
        targetKeyId: key.id,
      });
    }
  });

  it("encrypts each bucket with its region's key, versions it and forces TLS", () => {
    for (const [role, key] of [
      ["primary", "kms-primary-dev"],
      ["dr", "kms-dr-dev"],
    ]) {
      const bucket = v.named(`s3-backups-${role}-dev`);
      expect(bucket.inputs.forceDestroy).toBe(true);
      expect(bucket.id).toMatch(new RegExp(`^s3-backups-${role}-dev-[0-9a-f]{7}$`));
      expect(v.named(`s3-sse-${role}-dev`).inputs).toEqual({
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: v.arn(key) },
            bucketKeyEnabled: true,
          },
        ],
      });
      expect(v.named(`s3-versioning-${role}-dev`).inputs).toEqual({
        bucket: bucket.id,
        versioningConfiguration: { status: "Enabled" },
      });
      expect(JSON.parse(v.named(`s3-policy-${role}-dev`).inputs.policy as string)).toEqual({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "DenyInsecureTransport",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucket.state.arn, `${bucket.state.arn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          },
        ],
      });
      expect(v.named(`s3-lifecycle-${role}-dev`).inputs.rules).toEqual([
        {
          id: "noncurrent-versions",
          status: "Enabled",
          filter: {},
          noncurrentVersionTransitions: [{ noncurrentDays: 30, storageClass: "STANDARD_IA" }],
          noncurrentVersionExpiration: { noncurrentDays: 365 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ]);
    }
  });

  it("replicates the primary bucket to the DR bucket, re-encrypting with the DR key", () => {
    const repl = v.named("s3-replication-primary-to-dr-dev").inputs;
    expect(repl).toEqual({
      bucket: v.named("s3-backups-primary-dev").id,
      role: v.arn("iam-s3-replication-dev"),
      rules: [
        {
          id: "backups-to-dr",
          status: "Enabled",
          priority: 1,
          filter: {},
          deleteMarkerReplication: { status: "Enabled" },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
          destination: {
            bucket: v.arn("s3-backups-dr-dev"),
            storageClass: "STANDARD",
            encryptionConfiguration: { replicaKmsKeyId: v.arn("kms-dr-dev") },
          },
        },
      ],
    });
    const policy = JSON.parse(v.named("iam-s3-replication-policy-dev").inputs.policy as string);
    const decrypt = policy.Statement.find((s: { Sid: string }) => s.Sid === "DecryptSource");
    const encrypt = policy.Statement.find((s: { Sid: string }) => s.Sid === "EncryptDestination");
    expect(decrypt.Resource).toEqual([v.arn("kms-primary-dev")]);
    expect(decrypt.Condition.StringLike["kms:ViaService"]).toBe("s3.ap-southeast-2.amazonaws.com");
    expect(encrypt.Resource).toEqual([v.arn("kms-dr-dev")]);
    expect(encrypt.Condition.StringLike["kms:ViaService"]).toBe("s3.ap-southeast-1.amazonaws.com");
    const trust = JSON.parse(v.named("iam-s3-replication-dev").inputs.assumeRolePolicy as string);
    expect(trust.Statement[0].Principal).toEqual({ Service: "s3.amazonaws.com" });
  });

  it("encrypts each topic with its region's key and subscribes the alert emails", () => {
    expect(v.named("sns-db-alarms-dev").inputs.kmsMasterKeyId).toBe(v.arn("kms-primary-dev"));
    expect(v.named("sns-dr-events-dev").inputs.kmsMasterKeyId).toBe(v.arn("kms-dr-dev"));
    expect(
      v
        .ofType("aws:sns/topicSubscription:TopicSubscription")
        .map((s) => [s.region, s.inputs.topic, s.inputs.endpoint]),
    ).toEqual([
      [PRIMARY, v.arn("sns-db-alarms-dev"), "dba-oncall@example.com"],
      [DR, v.arn("sns-dr-events-dev"), "dba-oncall@example.com"],
    ]);
    const policy = JSON.parse(v.named("sns-policy-dr-events-dev").inputs.policy as string);
    expect(policy.Statement[2]).toEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "SNS:Publish",
      Resource: v.arn("sns-dr-events-dev"),
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it("wires every alarm to the SNS topic in its own region", () => {
    const alarms = v.ofType(ALARM);
    // 5 primary, 5 replica (4 per instance + lag), 3 monitor-derived, failover function errors,
    // export failed and export overdue, the workflow's failed, timed-out and throttled executions,
    // the restore test's failed and stale.
    expect(alarms).toHaveLength(21);
    for (const alarm of alarms) {
      const [target] = alarm.inputs.alarmActions as string[];
      expect({ alarm: alarm.name, topicRegion: target.split(":")[3] }).toEqual({
        alarm: alarm.name,
        topicRegion: alarm.region,
      });
      expect(alarm.inputs.okActions).toEqual([target]);
    }
  });

  it.each([
    ["alarm-primary-cpu-dev", PRIMARY, "CPUUtilization", "GreaterThanThreshold", 80, "rds-primary-dev"],
    [
      "alarm-primary-connections-dev",
      PRIMARY,
      "DatabaseConnections",
      "GreaterThanThreshold",
      320,
      "rds-primary-dev",
    ],
    [
      "alarm-primary-free-storage-dev",
      PRIMARY,
      "FreeStorageSpace",
      "LessThanThreshold",
      5368709120,
      "rds-primary-dev",
    ],
    [
      "alarm-primary-freeable-memory-dev",
      PRIMARY,
      "FreeableMemory",
      "LessThanThreshold",
      268435456,
      "rds-primary-dev",
    ],
    [
      "alarm-primary-write-latency-dev",
      PRIMARY,
      "WriteLatency",
      "GreaterThanThreshold",
      0.02,
      "rds-primary-dev",
    ],
    ["alarm-replica-replica-lag-dev", PRIMARY, "ReplicaLag", "GreaterThanThreshold", 60, "rds-replica-dev"],
  ])("%s in %s: %s %s %d on %s", (name, region, metricName, comparisonOperator, threshold, instance) => {
    const alarm = v.named(name);
    expect(alarm.region).toBe(region);
    expect(alarm.inputs).toMatchObject({
      name,
      namespace: "AWS/RDS",
      metricName,
      comparisonOperator,
      threshold,
      dimensions: { DBInstanceIdentifier: instance },
    });
  });

  it("raises the primary-unreachable alarm in the DR region from the monitor's metric", () => {
    const alarm = v.named("alarm-monitor-primary-unreachable-dev");
    expect(alarm.region).toBe(DR);
    expect(alarm.inputs).toMatchObject({
      namespace: "TapStack",
      metricName: "PrimaryReachable",
      dimensions: { Environment: "dev" },
      statistic: "Maximum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      period: 60,
      evaluationPeriods: 2,
      alarmActions: [v.arn("sns-dr-events-dev")],
    });
  });

  it("points writer and reader at the instances in a private zone of both VPCs", () => {
    const zone = v.named("r53-zone-dev");
    expect(zone.inputs).toMatchObject({
      name: "dev.tapstack.internal",
      forceDestroy: true,
      vpcs: [
        { vpcId: v.named("vpc-primary-dev").id, vpcRegion: PRIMARY },
        { vpcId: v.named("vpc-dr-dev").id, vpcRegion: DR },
      ],
    });
    expect(v.named("r53-writer-dev").inputs).toEqual({
      zoneId: zone.state.zoneId,
      name: "writer.dev.tapstack.internal",
      type: "CNAME",
      ttl: 30,
      records: [v.named("rds-primary-dev").state.address],
    });
    expect(v.named("r53-reader-dev").inputs.records).toEqual([v.named("rds-replica-dev").state.address]);
    // Nothing routes on a health check: the step runner alone moves writer, after fencing.
    expect(v.all.filter((r) => r.type === "aws:route53/healthCheck:HealthCheck")).toEqual([]);
  });

  it("tags every taggable resource with Environment, Owner, DR-Role and its name", () => {
    const taggable = v.all.filter((r) => !UNTAGGABLE.has(r.type));
    // 51 before the functions (two security groups per instance); the snapshot export adds its
    // function, 2 roles, log group, schedule and 2 alarms, the dashboard 1; the functions add 3 functions, 3 roles, 3 log groups, 2 event rules, the
    // failover-errors alarm, the bootstrap's and the endpoint's security groups with 4 rules, and
    // the Secrets Manager endpoint.
    // The two monitor subnets of the DR VPC add 2. The failover workflow adds the step runner (function,
    // role, log group), the state machine with its role and log group, and its 3 alarms. The
    // regional restore adds the DR parameter and subnet groups, the restored instance's 2 security
    // groups with their 3 rules, and the monitor's 2 egress rules to the DR private subnets. The
    // restore test adds its state machine with role and log group, restore-check (function, role,
    // log group, security group with 2 egress rules), 2 schedules with their role, and 2 alarms.
    expect(taggable).toHaveLength(110);
    for (const r of taggable) {
      const tags = r.inputs.tags as Record<string, string> | undefined;
      expect({ name: r.name, tags }).toEqual({
        name: r.name,
        tags: expect.objectContaining({ Environment: "dev", Owner: "platform-team", Name: r.name }),
      });
      expect(DR_ROLES).toContain(tags?.["DR-Role"]);
    }
  });

  it("puts the suffix in every logical and physical name", () => {
    for (const r of v.all) {
      expect(r.name).toMatch(/-dev$/);
      for (const key of ["identifier", "name", "bucket"]) {
        const physical = r.state[key];
        if (typeof physical === "string") {
          expect({ resource: r.name, physical }).toEqual({
            resource: r.name,
            physical: expect.stringContaining("dev"),
          });
        }
      }
    }
  });

  it("exports the writer's snapshots daily into the writer region's bucket, with the writer region's key", () => {
    const fn = v.named("lambda-snapshot-export-dev");
    expect(fn.region).toBe(DR);
    expect((fn.inputs.environment as { variables: Record<string, string> }).variables).toEqual({
      WRITER_INSTANCE_ID: "rds-primary-dev",
      WRITER_REGION: PRIMARY,
      EXPORT_BUCKET: v.named("s3-backups-primary-dev").id,
      EXPORT_ROLE_ARN: v.arn("iam-rds-export-dev"),
      EXPORT_KMS_KEY_ARN: v.arn("kms-primary-dev"),
      METRICS_NAMESPACE: "TapStack",
      ENVIRONMENT_SUFFIX: "dev",
    });
    expect(JSON.parse(v.named("iam-rds-export-dev").inputs.assumeRolePolicy as string).Statement).toEqual([
      {
        Sid: "RdsExportAssumesRole",
        Effect: "Allow",
        Principal: { Service: "export.rds.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
      },
    ]);
    expect(v.named("events-snapshot-export-dev").inputs.scheduleExpression).toBe("cron(0 18 * * ? *)");
    expect(v.named("events-snapshot-export-target-dev").inputs.arn).toBe(v.arn("lambda-snapshot-export-dev"));
    expect(v.named("logs-snapshot-export-dev").inputs).toMatchObject({
      name: "/aws/lambda/lambda-snapshot-export-dev",
      retentionInDays: 30,
      kmsKeyId: v.arn("kms-dr-dev"),
    });
  });

  it.each([
    ["alarm-export-failed-dev", "SnapshotExportFailed", 0, "notBreaching"],
    ["alarm-export-overdue-dev", "HoursSinceLastSuccessfulExport", 26, "breaching"],
  ])("%s: %s above %i, missing data %s, to the DR topic", (name, metricName, threshold, treatMissingData) => {
    expect(v.named(name)).toMatchObject({
      region: DR,
      inputs: expect.objectContaining({
        namespace: "TapStack",
        metricName,
        dimensions: { Environment: "dev" },
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold,
        period: 86400,
        evaluationPeriods: 1,
        treatMissingData,
        alarmActions: [v.arn("sns-dr-events-dev")],
      }),
    });
  });

  it("draws the dashboard in the DR region from the typed body, naming the writer", async () => {
    const dashboard = v.named("tapstack-dev");
    expect(dashboard.region).toBe(DR);
    expect(dashboard.inputs.dashboardName).toBe("tapstack-dev");
    const { dashboardBody } = await import("../lib/infra/dashboard");
    expect(JSON.parse(dashboard.inputs.dashboardBody as string)).toEqual(
      JSON.parse(
        JSON.stringify(
          dashboardBody({
            environmentSuffix: "dev",
            metricsNamespace: "TapStack",
            drRegion: DR,
            primary: {
              instanceId: "rds-primary-dev",
              region: PRIMARY,
              endpoint: v.named("rds-primary-dev").state.address as string,
            },
            replica: {
              instanceId: "rds-replica-dev",
              region: PRIMARY,
              endpoint: v.named("rds-replica-dev").state.address as string,
            },
            activeWriter: "primary",
            writerRecordName: "writer.dev.tapstack.internal",
            maxReplicationLagSeconds: 60,
            failoverFunctionName: "lambda-failover-dev",
            stepRunnerFunctionName: "lambda-step-runner-dev",
            stateMachineArn: v.named("sfn-failover-dev").state.arn as string,
            exportOverdueHours: 26,
          }),
        ),
      ),
    );
  });

  it("exports the outputs later builders and operators need", () => {
    expect(result.outputs).toMatchObject({
      primaryRegion: PRIMARY,
      replicaRegion: PRIMARY,
      drRegion: DR,
      primaryInstanceId: "rds-primary-dev",
      replicaInstanceId: "rds-replica-dev",
      primaryArn: "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev",
      primaryEndpoint: `${v.named("rds-primary-dev").state.address}:5432`,
      activeWriter: "primary",
      standbyRole: "replica",
      writerInstanceId: "rds-primary-dev",
      standbyInstanceId: "rds-replica-dev",
      primarySecurityGroupId: v.named("sg-db-clients-primary-dev").id,
      replicaSecurityGroupId: v.named("sg-db-clients-replica-dev").id,
      primaryAccessSecurityGroupId: v.named("sg-db-access-primary-dev").id,
      replicaAccessSecurityGroupId: v.named("sg-db-access-replica-dev").id,
      monitorSecurityGroupId: v.named("sg-health-monitor-dev").id,
      drPrivateSubnetIds: [v.named("subnet-private-dr-1-dev").id, v.named("subnet-private-dr-2-dev").id],
      hostedZoneId: v.named("r53-zone-dev").state.zoneId,
      writerRecordName: "writer.dev.tapstack.internal",
      readerRecordName: "reader.dev.tapstack.internal",
      primaryAlarmTopicArn: "arn:aws:sns:ap-southeast-2:123456789012:sns-db-alarms-dev",
      drEventsTopicArn: "arn:aws:sns:ap-southeast-1:123456789012:sns-dr-events-dev",
      primaryBackupBucketName: v.named("s3-backups-primary-dev").id,
      drBackupBucketArn: v.arn("s3-backups-dr-dev"),
      primaryKmsKeyArn: v.arn("kms-primary-dev"),
      drKmsKeyArn: v.arn("kms-dr-dev"),
      primaryUnreachableAlarmName: "alarm-monitor-primary-unreachable-dev",
      monitorSilentAlarmName: "alarm-monitor-monitor-silent-dev",
      metricsNamespace: "TapStack",
      snapshotExportFunctionName: "lambda-snapshot-export-dev",
      exportBucketName: v.named("s3-backups-primary-dev").id,
      dashboardName: "tapstack-dev",
      restoreTestStateMachineArn:
        "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-restore-test-dev",
      restoreTestCommand:
        "aws stepfunctions start-execution --region ap-southeast-1 --state-machine-arn " +
        'arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-restore-test-dev --input \'{"mode":"test"}\'',
    });
    expect(result.outputs.masterSecretArn).toMatch(
      /^arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:rds!db-[0-9a-f-]{36}-[0-9a-f]{6}$/,
    );
  });
});

describe("TapStack with a cross-region replica (tap:replicaRegion = ap-southeast-1)", () => {
  let v: ReturnType<typeof view>;
  beforeAll(async () => {
    v = view(await synthesizeProgram({ ...DEV, "tap:replicaRegion": DR }));
  });

  it.each([
    ["rds-replica-dev", DR, "aws-dr-dev"],
    ["pg-postgres14-dr-dev", DR, "aws-dr-dev"],
    ["dbsubnets-dr-dev", DR, "aws-dr-dev"],
    ["sg-db-clients-replica-dev", DR, "aws-dr-dev"],
    ["sg-db-access-replica-dev", DR, "aws-dr-dev"],
    ["alarm-replica-replica-lag-dev", DR, "aws-dr-dev"],
    ["rds-primary-dev", PRIMARY, "aws-primary-dev"],
  ])("creates %s in %s through %s", (name, region, provider) => {
    expect({ region: v.named(name).region, provider: v.named(name).provider }).toEqual({ region, provider });
  });

  it("replicates by ARN, encrypted with the DR key, in the DR subnet and parameter groups", () => {
    expect(v.named("rds-replica-dev").inputs).toMatchObject({
      replicateSourceDb: "arn:aws:rds:ap-southeast-2:123456789012:db:rds-primary-dev",
      kmsKeyId: v.arn("kms-dr-dev"),
      dbSubnetGroupName: "dbsubnets-dr-dev",
      parameterGroupName: "pg-postgres14-dr-dev",
      performanceInsightsKmsKeyId: v.arn("kms-dr-dev"),
      backupRetentionPeriod: 0,
      vpcSecurityGroupIds: [v.named("sg-db-clients-replica-dev").id, v.named("sg-db-access-replica-dev").id],
    });
    expect(v.arn("kms-dr-dev")).toMatch(/^arn:aws:kms:ap-southeast-1:/);
    expect(v.named("dbsubnets-dr-dev").inputs.subnetIds).toEqual([
      v.named("subnet-private-dr-1-dev").id,
      v.named("subnet-private-dr-2-dev").id,
    ]);
    expect(v.named("sg-db-clients-replica-dev").inputs.vpcId).toBe(v.named("vpc-dr-dev").id);
    expect(v.named("sg-db-access-replica-dev").inputs.vpcId).toBe(v.named("vpc-dr-dev").id);
    expect(v.named("pg-postgres14-dr-dev").inputs.parameters).toContainEqual({
      name: "rds.force_ssl",
      value: "1",
      applyMethod: "pending-reboot",
    });
  });

  it("sends replica alarms to the DR-region topic", () => {
    const replicaAlarms = v.ofType(ALARM).filter((a) => a.name.startsWith("alarm-replica-"));
    expect(replicaAlarms.map((a) => [a.region, (a.inputs.alarmActions as string[])[0]])).toEqual(
      replicaAlarms.map(() => [DR, v.arn("sns-dr-events-dev")]),
    );
    expect(replicaAlarms).toHaveLength(5);
  });

  it("gives the instance a regional restore creates the same DR groups as with a same-region replica", () => {
    for (const name of ["sg-db-clients-restored-dev", "sg-db-access-restored-dev"]) {
      expect(v.named(name)).toMatchObject({ region: DR, provider: "aws-dr-dev" });
      expect(v.named(name).inputs.vpcId).toBe(v.named("vpc-dr-dev").id);
    }
    // One DR parameter group and one DR subnet group, shared by the replica and a restore.
    expect(
      v.all.filter((r) => r.name.startsWith("pg-postgres14-dr") || r.name.startsWith("dbsubnets-dr")),
    ).toHaveLength(2);
  });

  it("lets the monitor reach the replica subnets in its own VPC too", () => {
    expect(
      v
        .ofType("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        .filter((r) => r.inputs.securityGroupId === v.named("sg-health-monitor-dev").id)
        .map((r) => r.inputs.cidrIpv4),
    ).toEqual(["10.20.0.0/18", "10.20.64.0/18", "10.30.0.0/18", "10.30.64.0/18"]);
  });
});

describe("TapStack runs the stack's failover policy (tap:maxReplicationLagSeconds = 20)", () => {
  let v: ReturnType<typeof view>;
  beforeAll(async () => {
    v = view(
      await synthesizeProgram({ ...DEV, "tap:replicaRegion": PRIMARY, "tap:maxReplicationLagSeconds": "20" }),
    );
  });
  const env = (name: string): Record<string, string> =>
    (v.named(name).inputs.environment as { variables: Record<string, string> }).variables;
  const pick = (e: Record<string, string>, keys: readonly string[]): Record<string, string | undefined> =>
    Object.fromEntries(keys.map((k) => [k, e[k]]));
  const POLICY_VARIABLES = [
    "PROBES_PER_RUN",
    "PROBE_INTERVAL_SECONDS",
    "PROBE_TIMEOUT_SECONDS",
    "CONSECUTIVE_FAILURES",
    "MAX_REPLICATION_LAG_SECONDS",
    "ACCEPT_DATA_LOSS",
  ];

  it("gives the failover function the lag limit, the threshold and the switch, and no probe cadence", () => {
    expect(pick(env("lambda-failover-dev"), POLICY_VARIABLES)).toEqual({
      PROBES_PER_RUN: undefined,
      PROBE_INTERVAL_SECONDS: undefined,
      PROBE_TIMEOUT_SECONDS: undefined,
      CONSECUTIVE_FAILURES: "3",
      MAX_REPLICATION_LAG_SECONDS: "20",
      ACCEPT_DATA_LOSS: "false",
    });
  });

  it("gives the monitor the probe cadence and the threshold, and no guard; its timeout covers its longest run", () => {
    expect(pick(env("lambda-health-monitor-dev"), POLICY_VARIABLES)).toEqual({
      PROBES_PER_RUN: "7",
      PROBE_INTERVAL_SECONDS: "8",
      PROBE_TIMEOUT_SECONDS: "3",
      CONSECUTIVE_FAILURES: "3",
      MAX_REPLICATION_LAG_SECONDS: undefined,
      ACCEPT_DATA_LOSS: undefined,
    });
    expect(v.named("lambda-health-monitor-dev").inputs.timeout).toBe(88);
  });

  it("puts the same lag limit on both lag alarms", () => {
    expect(v.named("alarm-replica-replica-lag-dev").inputs.threshold).toBe(20);
    expect(v.named("alarm-monitor-heartbeat-lag-dev").inputs.threshold).toBe(20);
  });
});

describe("TapStack with invalid config", () => {
  it("fails with the validation message before declaring any resource", async () => {
    const mocks = new RecordingMocks(DR);
    await expect(synthesize("dev", { ...DEV, "tap:replicaRegion": "us-west-2" }, { mocks })).rejects.toThrow(
      'tap:replicaRegion = "us-west-2": must be the primary region (ap-southeast-2, same-region replica) or the stack\'s DR region (ap-southeast-1, cross-region replica)',
    );
    expect(mocks.resources).toEqual([]);
    // Control: these mocks are the active ones, so an empty record means nothing was declared.
    const probe = new pulumi.ComponentResource("test:index:Probe", "probe-dev");
    await new Promise((resolve) => probe.urn.apply(resolve));
    expect(mocks.resources.map((r) => r.type)).toEqual(["test:index:Probe"]);
  });
});
