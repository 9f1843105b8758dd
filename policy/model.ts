/**
 * The vocabulary the TapStack policies are written in: Pulumi type tokens, tag and name
 * lookups, IAM policy documents in canonical form, and references between resources.
 *
 * Deliberately free of `@pulumi/aws`: the same code runs inside `pulumi preview --policy-pack`
 * (where `props` are engine values) and offline against `npm run synth` output (where `props`
 * are the inputs the program resolved under mocks), and loading the AWS SDK for Pulumi would
 * cost seconds for nothing but type tokens.
 */

/** Pulumi type tokens of the resources the policies look at (`@pulumi/aws` 7.x). */
export const T = {
  provider: "pulumi:providers:aws",
  rdsInstance: "aws:rds/instance:Instance",
  rdsParameterGroup: "aws:rds/parameterGroup:ParameterGroup",
  rdsSubnetGroup: "aws:rds/subnetGroup:SubnetGroup",
  rdsBackupReplication: "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
  s3Bucket: "aws:s3/bucket:Bucket",
  s3BucketV2: "aws:s3/bucketV2:BucketV2",
  s3Versioning: "aws:s3/bucketVersioning:BucketVersioning",
  s3VersioningV2: "aws:s3/bucketVersioningV2:BucketVersioningV2",
  s3Sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  s3SseV2: "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  s3PublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  s3BucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  s3Replication: "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
  s3Lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  snsTopic: "aws:sns/topic:Topic",
  snsTopicPolicy: "aws:sns/topicPolicy:TopicPolicy",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  iamRole: "aws:iam/role:Role",
  iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
  iamPolicy: "aws:iam/policy:Policy",
  iamRolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  kmsKey: "aws:kms/key:Key",
  lambdaFunction: "aws:lambda/function:Function",
  stateMachine: "aws:sfn/stateMachine:StateMachine",
} as const;

/**
 * A resource as the policies see it. Structurally a subset of `@pulumi/policy`'s
 * `PolicyResource`, so engine resources can be passed as they are.
 */
export interface Res {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, unknown>;
  readonly propertyDependencies?: Record<string, readonly { readonly urn: string }[]>;
}

/** Tags every resource must carry (the first two normally come from the provider's `defaultTags`). */
export const REQUIRED_TAGS = ["Environment", "Owner", "DR-Role"] as const;

/** `DR-Role` values DESIGN.md defines. */
export const DR_ROLES = [
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
] as const;

/**
 * Types that accept `tags` in @pulumi/aws 7 and that this stack creates. A resource of another
 * type is checked too when it carries a `tags` property; types such as `RolePolicy` or
 * `BucketVersioning` have no tags in AWS at all and are skipped.
 */
export const TAGGABLE_TYPES: ReadonlySet<string> = new Set([
  T.rdsInstance,
  T.rdsParameterGroup,
  T.rdsSubnetGroup,
  T.s3Bucket,
  T.s3BucketV2,
  T.snsTopic,
  T.logGroup,
  T.metricAlarm,
  T.securityGroup,
  T.ingressRule,
  T.iamRole,
  T.iamPolicy,
  T.kmsKey,
  T.lambdaFunction,
  T.stateMachine,
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "aws:ec2/routeTable:RouteTable",
  "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
  "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
  "aws:ec2/vpcEndpoint:VpcEndpoint",
  "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  "aws:route53/zone:Zone",
  "aws:route53/healthCheck:HealthCheck",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:secretsmanager/secret:Secret",
]);

export const isAws = (r: { type: string }): boolean => r.type.startsWith("aws:");
export const ofType = (rs: readonly Res[], ...types: string[]): Res[] =>
  rs.filter((r) => types.includes(r.type));

/** Reads a string property; engine values that are unknown during preview come back `undefined`. */
export function str(props: Record<string, unknown>, key: string): string | undefined {
  const v = props[key];
  return typeof v === "string" ? v : undefined;
}

/** Returns an object-valued property (Pulumi inputs are objects or one-element arrays). */
export function obj(v: unknown): Record<string, unknown> | undefined {
  if (Array.isArray(v)) return obj(v[0]);
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>) : undefined;
}

export function arr(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * Provider `defaultTags` as a map. The engine hands them over as an object; Pulumi's
 * provider resource serialises them to a JSON string (`provider.js` calls `JSON.stringify`),
 * which is what mocks and `npm run synth` record.
 */
export function providerDefaultTags(
  providerProps: Record<string, unknown> | undefined,
): Record<string, string> {
  if (!providerProps) return {};
  let dt: unknown = providerProps["defaultTags"];
  if (typeof dt === "string") {
    try {
      dt = JSON.parse(dt);
    } catch {
      return {};
    }
  }
  const tags = obj(dt)?.["tags"];
  return stringMap(tags);
}

export function stringMap(v: unknown): Record<string, string> {
  const o = obj(v);
  if (!o) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) if (typeof val === "string") out[k] = val;
  return out;
}

/** Effective tags: provider defaults, then `tagsAll` (engine-merged), then the resource's own `tags`. */
export function effectiveTags(
  props: Record<string, unknown>,
  providerProps?: Record<string, unknown>,
): Record<string, string> {
  return {
    ...providerDefaultTags(providerProps),
    ...stringMap(props["tagsAll"]),
    ...stringMap(props["tags"]),
  };
}

/** Physical-name properties per type; a property left unset means Pulumi auto-names from the logical name. */
export const PHYSICAL_NAME_KEYS = [
  "name",
  "namePrefix",
  "identifier",
  "identifierPrefix",
  "bucket",
  "bucketPrefix",
  "alarmName",
  "functionName",
  "dashboardName",
] as const;

/** The physical names a resource sets explicitly (unset names are auto-named from the logical name). */
export function physicalNames(r: Res): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  for (const key of PHYSICAL_NAME_KEYS) {
    // On bucket sub-resources (versioning, policy, ownership, …) `bucket` names the parent.
    if (key === "bucket" && r.type !== T.s3Bucket && r.type !== T.s3BucketV2) continue;
    // A provider's name is not an AWS name; a DNS record's name is a host name in the zone.
    if (key === "name" && (r.type === T.provider || r.type === "aws:route53/record:Record")) continue;
    const v = str(r.props, key);
    if (v !== undefined) out.push({ key, value: v });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// IAM and resource policy documents

/** One statement in canonical AWS JSON form: every list is an array. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action?: string[];
  readonly NotAction?: string[];
  readonly Resource?: string[];
  readonly NotResource?: string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, string[]>>;
}

export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: Statement[];
}

/** Thrown when a policy document cannot be read; the message names the resource and the problem. */
export class PolicyDocumentError extends Error {}

const asList = (v: unknown): string[] | undefined =>
  v === undefined || v === null ? undefined : arr(v).map((x) => String(x));

/**
 * Parses a policy document from a JSON string or an object, in AWS JSON form (`Action`,
 * `Resource`, …) or in `aws.iam.getPolicyDocument` argument form (`actions`, `resources`,
 * `conditions: [{test, variable, values}]`, `principals: [{type, identifiers}]`). Mocks hand
 * the latter through unchanged, so both must read the same.
 */
export function parsePolicyDocument(raw: unknown, where: string): PolicyDocument {
  let doc: unknown = raw;
  if (typeof raw === "string") {
    try {
      doc = JSON.parse(raw);
    } catch (e) {
      throw new PolicyDocumentError(`${where}: policy is not valid JSON (${(e as Error).message})`);
    }
  }
  const o = obj(doc);
  if (!o || Array.isArray(doc)) throw new PolicyDocumentError(`${where}: policy is not a JSON object`);
  const stmts = o["Statement"] ?? o["statements"];
  if (stmts === undefined) throw new PolicyDocumentError(`${where}: policy has no Statement`);
  return {
    Version: String(o["Version"] ?? o["version"] ?? "2012-10-17"),
    Statement: arr(stmts).map(normalise),
  };

  function normalise(s: unknown, i: number): Statement {
    const so = obj(s);
    if (!so) throw new PolicyDocumentError(`${where}: Statement[${i}] is not an object`);
    const effect = String(so["Effect"] ?? so["effect"] ?? "Allow");
    if (effect !== "Allow" && effect !== "Deny") {
      throw new PolicyDocumentError(`${where}: Statement[${i}].Effect is "${effect}"; use "Allow" or "Deny"`);
    }
    const principals = so["principals"];
    const principal =
      so["Principal"] ??
      (principals === undefined
        ? undefined
        : Object.fromEntries(
            arr(principals).map((p) => {
              const po = obj(p) ?? {};
              return [String(po["type"]), arr(po["identifiers"]).map(String)];
            }),
          ));
    let condition: Record<string, Record<string, string[]>> | undefined;
    if (so["Condition"] !== undefined) {
      condition = {};
      for (const [op, kv] of Object.entries(obj(so["Condition"]) ?? {})) {
        condition[op] = {};
        for (const [k, v] of Object.entries(obj(kv) ?? {})) condition[op][k] = arr(v).map(String);
      }
    } else if (so["conditions"] !== undefined) {
      condition = {};
      for (const c of arr(so["conditions"])) {
        const co = obj(c) ?? {};
        const op = String(co["test"]);
        condition[op] = { ...(condition[op] ?? {}), [String(co["variable"])]: arr(co["values"]).map(String) };
      }
    }
    const out: Statement = {
      ...(so["Sid"] !== undefined || so["sid"] !== undefined ? { Sid: String(so["Sid"] ?? so["sid"]) } : {}),
      Effect: effect,
      ...defined("Action", asList(so["Action"] ?? so["actions"])),
      ...defined("NotAction", asList(so["NotAction"] ?? so["notActions"])),
      ...defined("Resource", asList(so["Resource"] ?? so["resources"])),
      ...defined("NotResource", asList(so["NotResource"] ?? so["notResources"])),
      ...(principal !== undefined ? { Principal: principal } : {}),
      ...(condition !== undefined ? { Condition: condition } : {}),
    };
    return out;
  }
}

function defined<K extends string>(key: K, v: string[] | undefined): Partial<Record<K, string[]>> {
  return v === undefined ? {} : ({ [key]: v } as Record<K, string[]>);
}

/** True when a statement denies every request that did not arrive over TLS. */
export function deniesInsecureTransport(s: Statement): boolean {
  if (s.Effect !== "Deny") return false;
  const p = s.Principal;
  const everyone = p === "*" || (obj(p) !== undefined && arr(obj(p)?.["AWS"]).some((x) => x === "*"));
  if (!everyone) return false;
  const cond = s.Condition ?? {};
  for (const op of ["Bool", "BoolIfExists"]) {
    const v = cond[op]?.["aws:SecureTransport"];
    if (v && v.length === 1 && v[0] === "false") return true;
  }
  return false;
}

/** Case-insensitive IAM wildcard match (`*` any run, `?` one character). */
export function wildcardMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    "^" +
      pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("") +
      "$",
    "is",
  );
  return re.test(value);
}

// ---------------------------------------------------------------------------------------------
// References between resources

/**
 * Values by which other resources can refer to `r`: its logical name and URN, and the id,
 * ARN and physical name the engine (or the synth mocks) resolved.
 */
export function identitiesOf(r: Res): Set<string> {
  const ids = new Set<string>([r.name, r.urn]);
  for (const k of ["id", "arn", "name", "bucket", "identifier", "keyId", "zoneId", "resourceId"]) {
    const v = str(r.props, k);
    if (v) ids.add(v);
  }
  return ids;
}

/**
 * True when `value` (an input of `from.props[key]`) refers to `target`: through the engine's
 * property dependencies when known, else by value (an id, name, or ARN whose last segment is
 * the name).
 */
export function refersTo(value: unknown, target: Res, from?: Res, key?: string): boolean {
  if (from && key && from.propertyDependencies?.[key]?.some((d) => d.urn === target.urn)) return true;
  if (typeof value !== "string" || value === "") return false;
  const ids = identitiesOf(target);
  if (ids.has(value)) return true;
  if (value.startsWith("arn:")) {
    const last = value.split(/[:/]/).pop() ?? "";
    return last !== "" && ids.has(last);
  }
  return false;
}

/** The first resource of `types` that `from.props[key]` refers to. */
export function resolveRef(rs: readonly Res[], from: Res, key: string, ...types: string[]): Res | undefined {
  const v = from.props[key];
  return ofType(rs, ...types).find((t) => refersTo(v, t, from, key));
}
