/**
 * Realistic resource state for running TapStack under Pulumi mocks, shared by `npm run synth`
 * and the tests so the two cannot drift. Mocks do not run the AWS provider: any computed
 * output not returned here (ARNs, endpoints, ids) would be undefined, and provider
 * `defaultTags` are not merged. Ids are derived from a hash of type and name, so two runs of
 * the same program produce the same inventory.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/** The account every mocked ARN belongs to. */
export const MOCK_ACCOUNT_ID = "123456789012";

/** Pulumi's marker for a secret value in serialized properties. */
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Services whose resources are global: they have no region of their own. */
const GLOBAL_TYPE_PREFIXES = ["aws:iam/", "aws:route53/"];

/** Region value recorded for global resources (IAM, Route 53) and for components. */
export const GLOBAL_REGION = "global";

/** One resource the program declared, with its resolved inputs. */
export interface RecordedResource {
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** Logical name of the explicit provider, `null` for components and the default provider. */
  readonly provider: string | null;
  /** Region the resource is created in, or `global`. */
  readonly region: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
  /** The id and state the mock returned (what the rest of the program saw). */
  readonly id: string;
  readonly state: Record<string, unknown>;
  /** The existing resource's id when the program imports it (the `import` option). */
  readonly importId?: string;
}

/** Deterministic lowercase hex of the given length. */
export function mockHex(seed: string, length: number): string {
  let out = "";
  for (let i = 0; out.length < length; i++) {
    out += createHash("sha256").update(`${seed}#${i}`).digest("hex");
  }
  return out.slice(0, length);
}

function uuid(seed: string): string {
  const h = mockHex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Pulumi's auto-name: the logical name, a hyphen, 7 random characters. */
function autoName(name: string, type: string): string {
  return `${name}-${mockHex(`${type}::${name}`, 7)}`;
}

type State = Record<string, unknown>;

/**
 * The id and output state AWS would return for a resource of `type`. Inputs pass through;
 * computed attributes are added in their real formats.
 */
export function mockResourceState(
  type: string,
  name: string,
  inputs: State,
  region: string,
): { id: string; state: State } {
  const seed = `${type}::${name}`;
  const acct = MOCK_ACCOUNT_ID;
  const hex = (n: number): string => mockHex(seed, n);
  const withRegion = (state: State): State =>
    region === GLOBAL_REGION || type.startsWith("pulumi:") ? state : { region, ...state };
  const done = (id: string, extra: State = {}): { id: string; state: State } => ({
    id,
    state: withRegion({ ...inputs, ...extra }),
  });

  switch (type) {
    case "pulumi:providers:aws":
      return { id: `${name}-id`, state: { ...inputs } };
    case "aws:ec2/vpc:Vpc": {
      const id = `vpc-${hex(17)}`;
      return done(id, {
        arn: `arn:aws:ec2:${region}:${acct}:vpc/${id}`,
        mainRouteTableId: `rtb-${mockHex(seed + "main", 17)}`,
        defaultSecurityGroupId: `sg-${mockHex(seed + "default", 17)}`,
        ownerId: acct,
      });
    }
    case "aws:ec2/subnet:Subnet": {
      const id = `subnet-${hex(17)}`;
      return done(id, { arn: `arn:aws:ec2:${region}:${acct}:subnet/${id}`, ownerId: acct });
    }
    case "aws:ec2/routeTable:RouteTable": {
      const id = `rtb-${hex(17)}`;
      return done(id, { arn: `arn:aws:ec2:${region}:${acct}:route-table/${id}`, ownerId: acct });
    }
    case "aws:ec2/routeTableAssociation:RouteTableAssociation":
      return done(`rtbassoc-${hex(17)}`);
    case "aws:ec2/route:Route":
      return done(`r-${String(inputs.routeTableId)}${hex(10)}`);
    case "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
    case "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": {
      const id =
        type === "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
          ? `pcx-${hex(17)}`
          : String(inputs.vpcPeeringConnectionId);
      return done(id, { accountStatus: "active", acceptStatus: "active" });
    }
    case "aws:ec2/securityGroup:SecurityGroup":
    case "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
      const id = `sg-${hex(17)}`;
      return done(id, {
        arn: `arn:aws:ec2:${region}:${acct}:security-group/${id}`,
        ownerId: acct,
        name: inputs.name ?? autoName(name, type),
      });
    }
    case "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
    case "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
      const id = `sgr-${hex(17)}`;
      return done(id, {
        arn: `arn:aws:ec2:${region}:${acct}:security-group-rule/${id}`,
        securityGroupRuleId: id,
      });
    }
    case "aws:kms/key:Key": {
      const id = uuid(seed);
      return done(id, { arn: `arn:aws:kms:${region}:${acct}:key/${id}`, keyId: id });
    }
    case "aws:kms/alias:Alias":
      return done(String(inputs.name), {
        arn: `arn:aws:kms:${region}:${acct}:${String(inputs.name)}`,
        targetKeyArn: `arn:aws:kms:${region}:${acct}:key/${String(inputs.targetKeyId)}`,
      });
    case "aws:rds/parameterGroup:ParameterGroup": {
      const pgName = String(inputs.name ?? autoName(name, type));
      return done(pgName, { name: pgName, arn: `arn:aws:rds:${region}:${acct}:pg:${pgName}` });
    }
    case "aws:rds/subnetGroup:SubnetGroup": {
      const sgName = String(inputs.name ?? autoName(name, type));
      return done(sgName, { name: sgName, arn: `arn:aws:rds:${region}:${acct}:subgrp:${sgName}` });
    }
    case "aws:rds/instance:Instance": {
      const identifier = String(inputs.identifier ?? autoName(name, type));
      const address = `${identifier}.c${mockHex(`${acct}${region}`, 11)}.${region}.rds.amazonaws.com`;
      const port = Number(inputs.port ?? 5432);
      const extra: State = {
        identifier,
        arn: `arn:aws:rds:${region}:${acct}:db:${identifier}`,
        address,
        endpoint: `${address}:${port}`,
        port,
        resourceId: `db-${mockHex(seed, 26).toUpperCase()}`,
        hostedZoneId: "Z32T0VRHXEXS0V",
        status: "available",
        engine: inputs.engine ?? "postgres",
        engineVersionActual: "14.15",
      };
      if (inputs.manageMasterUserPassword === true) {
        extra.masterUserSecrets = [
          {
            secretArn: `arn:aws:secretsmanager:${region}:${acct}:secret:rds!db-${uuid(seed + "secret")}-${mockHex(seed + "s", 6)}`,
            kmsKeyId: inputs.masterUserSecretKmsKeyId,
            secretStatus: "active",
          },
        ];
      }
      return done(identifier, extra);
    }
    case "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication":
      return done(`arn:aws:rds:${region}:${acct}:auto-backup:ab-${hex(26)}`);
    case "aws:s3/bucket:Bucket": {
      const bucket = String(inputs.bucket ?? autoName(name, type));
      return done(bucket, {
        bucket,
        arn: `arn:aws:s3:::${bucket}`,
        bucketRegion: region,
        bucketDomainName: `${bucket}.s3.amazonaws.com`,
        bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
        hostedZoneId: "Z1WCIGYICN2BYD",
      });
    }
    case "aws:s3/bucketVersioning:BucketVersioning":
    case "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
    case "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
    case "aws:s3/bucketOwnershipControls:BucketOwnershipControls":
    case "aws:s3/bucketPolicy:BucketPolicy":
    case "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
    case "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
      return done(String(inputs.bucket));
    case "aws:iam/role:Role": {
      const roleName = String(inputs.name ?? autoName(name, type));
      return done(roleName, {
        name: roleName,
        arn: `arn:aws:iam::${acct}:role/${roleName}`,
        uniqueId: `AROA${mockHex(seed, 17).toUpperCase()}`,
      });
    }
    case "aws:iam/rolePolicy:RolePolicy":
      return done(`${String(inputs.role)}:${String(inputs.name ?? autoName(name, type))}`);
    case "aws:iam/policy:Policy": {
      const policyName = String(inputs.name ?? autoName(name, type));
      return done(`arn:aws:iam::${acct}:policy/${policyName}`, {
        name: policyName,
        arn: `arn:aws:iam::${acct}:policy/${policyName}`,
      });
    }
    case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
      return done(`${String(inputs.role)}-${hex(8)}`);
    case "aws:sns/topic:Topic": {
      const topicName = String(inputs.name ?? autoName(name, type));
      const arn = `arn:aws:sns:${region}:${acct}:${topicName}`;
      return done(arn, { name: topicName, arn, owner: acct });
    }
    case "aws:sns/topicPolicy:TopicPolicy":
      return done(String(inputs.arn), { owner: acct });
    case "aws:sns/topicSubscription:TopicSubscription": {
      const arn = `${String(inputs.topic)}:${uuid(seed)}`;
      return done(arn, { arn, ownerId: acct, pendingConfirmation: inputs.protocol === "email" });
    }
    case "aws:cloudwatch/metricAlarm:MetricAlarm": {
      const alarmName = String(inputs.name ?? autoName(name, type));
      return done(alarmName, {
        name: alarmName,
        arn: `arn:aws:cloudwatch:${region}:${acct}:alarm:${alarmName}`,
      });
    }
    case "aws:cloudwatch/logGroup:LogGroup": {
      const groupName = String(inputs.name ?? autoName(name, type));
      return done(groupName, {
        name: groupName,
        arn: `arn:aws:logs:${region}:${acct}:log-group:${groupName}`,
      });
    }
    case "aws:route53/zone:Zone": {
      const zoneId = `Z${mockHex(seed, 20).toUpperCase()}`;
      return done(zoneId, {
        zoneId,
        arn: `arn:aws:route53:::hostedzone/${zoneId}`,
        nameServers: [],
        primaryNameServer: "ns-0.awsdns-00.com.",
      });
    }
    case "aws:route53/record:Record":
      return done(`${String(inputs.zoneId)}_${String(inputs.name)}_${String(inputs.type)}`, {
        fqdn: inputs.name,
      });
    case "aws:lambda/function:Function": {
      const fnName = String(inputs.name ?? autoName(name, type));
      const arn = `arn:aws:lambda:${region}:${acct}:function:${fnName}`;
      return done(fnName, {
        name: fnName,
        arn,
        qualifiedArn: `${arn}:$LATEST`,
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
        version: "$LATEST",
      });
    }
    case "aws:sfn/stateMachine:StateMachine": {
      const machineName = String(inputs.name ?? autoName(name, type));
      const arn = `arn:aws:states:${region}:${acct}:stateMachine:${machineName}`;
      return done(arn, {
        name: machineName,
        arn,
        status: "ACTIVE",
        creationDate: "2026-01-01T00:00:00Z",
        revisionId: hex(32),
        stateMachineVersionArn: "",
      });
    }
    case "aws:cloudwatch/eventRule:EventRule": {
      const ruleName = String(inputs.name ?? autoName(name, type));
      return done(ruleName, { name: ruleName, arn: `arn:aws:events:${region}:${acct}:rule/${ruleName}` });
    }
    default:
      // Anything else still gets a stable id and an ARN-shaped attribute, so outputs are defined.
      return done(`${name}-${hex(8)}`, {
        arn: `arn:aws:${type.split(":")[1]?.split("/")[0] ?? "unknown"}:${region}:${acct}:${name}`,
      });
  }
}

/**
 * Results of the data-source invokes the program makes. `undefined` for an unknown token:
 * the caller records it (throwing inside a mock loses the message and can kill the process).
 */
export function mockCallResult(token: string, inputs: State, region: string): State | undefined {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: MOCK_ACCOUNT_ID,
        arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/deployer`,
        userId: "AIDAEXAMPLEUSERID0001",
        id: MOCK_ACCOUNT_ID,
      };
    case "aws:index/getRegion:getRegion": {
      const r = String(inputs.region ?? region);
      return { region: r, name: r, id: r, description: r, endpoint: `ec2.${r}.amazonaws.com` };
    }
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const r = String(inputs.region ?? region);
      // Real zone ids abbreviate the region: ap-southeast-2 → apse2, us-east-1 → use1.
      const [area, direction = "", number = ""] = r.split("-");
      const abbrev = direction.replace(
        /(north|south)?(east|west|central)?/,
        (_m, ns?: string, ew?: string) => `${ns?.[0] ?? ""}${ew?.[0] ?? ""}`,
      );
      const short = `${area}${abbrev}${number}`;
      return {
        id: r,
        region: r,
        names: [`${r}a`, `${r}b`, `${r}c`],
        zoneIds: [`${short}-az1`, `${short}-az2`, `${short}-az3`],
        groupNames: [r],
      };
    }
    default:
      return undefined;
  }
}

/** An RDS instance that already exists in the account, as the pre-flight invokes see it. */
export interface ExistingDbInstance {
  readonly region: string;
  /** Source of replication (identifier, or ARN across regions); empty or absent for a standalone instance. */
  readonly replicateSourceDb?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Existing instances by identifier. The default, `{}`, is a first deployment: nothing exists. */
export type ExistingDbInstances = Readonly<Record<string, ExistingDbInstance>>;

/**
 * `aws.rds.getInstances` / `aws.rds.getInstance` against {@link ExistingDbInstances}; undefined for
 * other tokens. Like the real provider, `getInstance` of a missing instance is an error (recorded by
 * the caller), and each call sees only the instances of its region.
 */
export function mockRdsCallResult(
  token: string,
  inputs: State,
  region: string,
  existing: ExistingDbInstances,
): State | undefined {
  const callRegion = String(inputs.region ?? region);
  const inRegion = Object.entries(existing).filter(([, i]) => i.region === callRegion);
  if (token === "aws:rds/getInstances:getInstances") {
    const filters = (inputs.filters ?? []) as { name: string; values: string[] }[];
    const ids = filters.filter((f) => f.name === "db-instance-id").flatMap((f) => f.values);
    const matched = inRegion.filter(([id]) => ids.length === 0 || ids.includes(id));
    return {
      id: callRegion,
      region: callRegion,
      filters,
      tags: {},
      instanceIdentifiers: matched.map(([id]) => id),
      instanceArns: matched.map(([id]) => `arn:aws:rds:${callRegion}:${MOCK_ACCOUNT_ID}:db:${id}`),
    };
  }
  if (token === "aws:rds/getInstance:getInstance") {
    const id = String(inputs.dbInstanceIdentifier);
    const found = inRegion.find(([i]) => i === id)?.[1];
    if (!found) return undefined;
    return {
      id,
      region: callRegion,
      dbInstanceIdentifier: id,
      dbInstanceArn: `arn:aws:rds:${callRegion}:${MOCK_ACCOUNT_ID}:db:${id}`,
      replicateSourceDb: found.replicateSourceDb ?? "",
      tags: { ...(found.tags ?? {}) },
    };
  }
  return undefined;
}

/** Replaces secret values (and password-like keys) so an inventory never prints one. */
export function redactSecrets(value: unknown, key = ""): unknown {
  if (/^password(Wo)?$/i.test(key) && value !== undefined) return "[secret]";
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return "[secret]";
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redactSecrets(v, k)]));
  }
  return value;
}

/**
 * Pulumi mocks that return {@link mockResourceState} / {@link mockCallResult} and record
 * every resource with the region it is created in.
 */
export class RecordingMocks implements pulumi.runtime.Mocks {
  /** Every resource, in registration order. */
  public readonly resources: RecordedResource[] = [];
  /** Invoke tokens the mocks do not know (asserted empty by the tests). */
  public readonly unmockedCalls: string[] = [];
  private readonly providerRegions = new Map<string, { name: string; region: string }>();

  /**
   * @param defaultRegion region of resources without an explicit provider (the stack's `aws:region`).
   * @param existingInstances what the pre-flight invokes find; default: nothing (a first deployment).
   */
  constructor(
    private readonly defaultRegion: string,
    private readonly existingInstances: ExistingDbInstances = {},
  ) {}

  private providerOf(ref: string | undefined): { name: string; region: string } | undefined {
    if (!ref) return undefined;
    // A provider reference is "<provider URN>::<provider id>".
    return this.providerRegions.get(ref.slice(ref.lastIndexOf("::") + 2));
  }

  public newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
    const provider = this.providerOf(args.provider);
    const isGlobal = !args.custom || GLOBAL_TYPE_PREFIXES.some((p) => args.type.startsWith(p));
    const region =
      args.type === "pulumi:providers:aws"
        ? String(args.inputs.region ?? this.defaultRegion)
        : isGlobal
          ? GLOBAL_REGION
          : String(args.inputs.region ?? provider?.region ?? this.defaultRegion);
    const { id, state } = mockResourceState(args.type, args.name, args.inputs as State, region);
    if (args.type === "pulumi:providers:aws") this.providerRegions.set(id, { name: args.name, region });
    this.resources.push({
      type: args.type,
      name: args.name,
      provider: provider?.name ?? null,
      region,
      custom: args.custom ?? false,
      inputs: args.inputs as State,
      id,
      state,
      ...(args.id ? { importId: args.id } : {}),
    });
    return { id, state };
  }

  public call(args: pulumi.runtime.MockCallArgs): State {
    const region = this.providerOf(args.provider)?.region ?? this.defaultRegion;
    const result =
      mockRdsCallResult(args.token, args.inputs as State, region, this.existingInstances) ??
      mockCallResult(args.token, args.inputs as State, region);
    if (result === undefined) {
      this.unmockedCalls.push(args.token);
      return {};
    }
    return result;
  }
}
