/**
 * Least privilege, proven: every IAM role of the synth inventory is evaluated with an IAM
 * policy simulator (`@cloud-copilot/iam-simulate`) against a matrix of requests it must be
 * able to make and requests it must never make, and every permission its policies grant must
 * be accounted for by an allowed row, so a permission nobody asked for fails the check.
 *
 * Requests are simulated with the resource's own policy where AWS evaluates one (the bucket
 * policy, the KMS key policy, the topic policy), over TLS unless a row says otherwise.
 */
import { runSimulation, type Simulation } from "@cloud-copilot/iam-simulate";
import { ALLOWED_MANAGED_POLICIES } from "./iam-allowlist";
import { T, arr, obj, parsePolicyDocument, str, wildcardMatch, type PolicyDocument } from "./model";
import type { SynthOutput, SynthResource } from "./offline";

/** One request of the matrix. */
export interface MatrixRow {
  /** Role key: the role's logical name without the environment suffix, e.g. `iam-failover`. */
  readonly role: string;
  readonly action: string;
  /** The exact resource ARN of the request. */
  readonly resource: string;
  readonly expected: "allow" | "deny";
  /** Why the role needs, or must never have, this. */
  readonly why: string;
  /**
   * For `allow` rows: the broadest resource pattern a policy may grant this action on
   * (default: `resource` itself). A grant broader than every scope is an extra permission.
   */
  readonly scope?: string;
  /** Request context keys (`aws:SecureTransport` defaults to "true"). */
  readonly context?: Readonly<Record<string, string | string[]>>;
}

/** An IAM role of the inventory with everything that grants it permissions. */
export interface RoleView {
  readonly key: string;
  readonly logicalName: string;
  readonly arn: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
  /** Problems found while collecting the policies (unknown managed policy, unreadable document). */
  readonly problems: readonly string[];
}

export interface RowResult extends MatrixRow {
  /** Simulator verdict: Allowed, ImplicitlyDenied, ExplicitlyDenied, or `error: …`. */
  readonly actual: string;
  readonly ok: boolean;
}

/** A granted (action, resource pattern) that no allowed row accounts for. */
export interface ExtraPermission {
  readonly role: string;
  readonly policy: string;
  readonly action: string;
  readonly resource: string;
}

export interface LeastPrivilegeReport {
  readonly rows: readonly RowResult[];
  readonly extras: readonly ExtraPermission[];
  /** Roles of the inventory without matrix rows, and role problems. */
  readonly problems: readonly string[];
}

/** Account id of the inventory, read from the first ARN that carries one. */
export function accountOf(synth: SynthOutput): string {
  for (const r of synth.resources) {
    for (const v of [r.outputs?.["arn"], r.inputs["arn"], r.inputs["sourceDbInstanceArn"]]) {
      const m = typeof v === "string" ? /^arn:aws:[^:]+:[^:]*:(\d{12}):/.exec(v) : null;
      if (m) return m[1];
    }
  }
  return "123456789012";
}

/** The ARN of a resource: as recorded by the synth, or built the way AWS builds it. */
export function arnOf(r: SynthResource, account: string): string {
  const recorded = r.outputs?.["arn"] ?? r.inputs["arn"];
  if (typeof recorded === "string" && recorded.startsWith("arn:")) return recorded;
  const region = r.region ?? str(r.inputs, "region") ?? "";
  const id = r.id ?? r.name;
  switch (r.type) {
    case T.rdsInstance:
      return `arn:aws:rds:${region}:${account}:db:${str(r.inputs, "identifier") ?? id}`;
    case T.s3Bucket:
    case T.s3BucketV2:
      return `arn:aws:s3:::${str(r.inputs, "bucket") ?? id}`;
    case T.snsTopic:
      return id.startsWith("arn:") ? id : `arn:aws:sns:${region}:${account}:${str(r.inputs, "name") ?? id}`;
    case T.kmsKey:
      return `arn:aws:kms:${region}:${account}:key/${id}`;
    case T.iamRole:
      return `arn:aws:iam::${account}:role/${str(r.inputs, "name") ?? id}`;
    case "aws:route53/zone:Zone":
      return `arn:aws:route53:::hostedzone/${id}`;
    case T.securityGroup:
      return `arn:aws:ec2:${region}:${account}:security-group/${id}`;
    case T.logGroup:
      return `arn:aws:logs:${region}:${account}:log-group:${str(r.inputs, "name") ?? id}`;
    case T.lambdaFunction:
      return `arn:aws:lambda:${region}:${account}:function:${str(r.inputs, "name") ?? id}`;
    default:
      throw new Error(`no ARN rule for ${r.type} "${r.name}"; record its arn in the synth output`);
  }
}

/** Role key: logical name without the `-<suffix>` ending. */
export function roleKey(logicalName: string, suffix: string): string {
  return logicalName.endsWith(`-${suffix}`) ? logicalName.slice(0, -suffix.length - 1) : logicalName;
}

const refers = (value: unknown, r: SynthResource, account: string): boolean => {
  if (typeof value !== "string") return false;
  const ids = [r.name, r.id, str(r.inputs, "name"), r.outputs?.["name"], r.outputs?.["id"]].filter(
    (x): x is string => typeof x === "string",
  );
  return ids.includes(value) || value === arnOf(r, account);
};

/** Collects every role and the policies that grant it permissions. */
export function collectRoles(synth: SynthOutput, suffix: string): RoleView[] {
  const account = accountOf(synth);
  const rs = synth.resources;
  return rs
    .filter((r) => r.type === T.iamRole)
    .map((role) => {
      const problems: string[] = [];
      const policies: { name: string; document: PolicyDocument }[] = [];
      const add = (name: string, raw: unknown): void => {
        try {
          policies.push({ name, document: parsePolicyDocument(raw, name) });
        } catch (e) {
          problems.push((e as Error).message);
        }
      };
      for (const [i, p] of arr(role.inputs["inlinePolicies"]).entries()) {
        const po = obj(p);
        if (po?.["policy"] !== undefined) add(`${role.name} inlinePolicies[${i}]`, po["policy"]);
      }
      for (const rp of rs.filter(
        (r) => r.type === T.iamRolePolicy && refers(r.inputs["role"], role, account),
      )) {
        add(rp.name, rp.inputs["policy"]);
      }
      for (const att of rs.filter(
        (r) => r.type === T.iamRolePolicyAttachment && refers(r.inputs["role"], role, account),
      )) {
        const arn = str(att.inputs, "policyArn") ?? "";
        const managed = ALLOWED_MANAGED_POLICIES[arn];
        const own = rs.find((r) => r.type === T.iamPolicy && refers(arn, r, account));
        if (managed) add(arn.split("/").pop() ?? arn, managed.document);
        else if (own) add(own.name, own.inputs["policy"]);
        else
          problems.push(`${att.name}: policy ${arn} is neither this stack's nor on the managed allow-list`);
      }
      return {
        key: roleKey(role.name, suffix),
        logicalName: role.name,
        arn: arnOf(role, account),
        policies,
        problems,
      };
    });
}

/** The resource policy AWS evaluates for a request on `resource`, if any. */
export function resourcePolicyFor(synth: SynthOutput, resource: string): unknown {
  const account = accountOf(synth);
  const rs = synth.resources;
  if (resource.startsWith("arn:aws:s3:::")) {
    const bucketName = resource.slice("arn:aws:s3:::".length).split("/")[0];
    const bucket = rs.find(
      (r) =>
        (r.type === T.s3Bucket || r.type === T.s3BucketV2) &&
        arnOf(r, account) === `arn:aws:s3:::${bucketName}`,
    );
    const policy =
      bucket && rs.find((r) => r.type === T.s3BucketPolicy && refers(r.inputs["bucket"], bucket, account));
    return policy ? parsePolicyDocument(policy.inputs["policy"], policy.name) : undefined;
  }
  if (resource.startsWith("arn:aws:kms:")) {
    const key = rs.find((r) => r.type === T.kmsKey && arnOf(r, account) === resource);
    // A key without a policy gets the default key policy, which delegates to IAM in the account
    // (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
    if (!key || key.inputs["policy"] === undefined) {
      return {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Principal: { AWS: `arn:aws:iam::${account}:root` },
            Action: "kms:*",
            Resource: "*",
          },
        ],
      };
    }
    return parsePolicyDocument(key.inputs["policy"], key.name);
  }
  if (resource.startsWith("arn:aws:sns:")) {
    const topic = rs.find((r) => r.type === T.snsTopic && arnOf(r, account) === resource);
    const tp = rs.find((r) => r.type === T.snsTopicPolicy && r.inputs["arn"] === resource);
    const raw = tp?.inputs["policy"] ?? topic?.inputs["policy"];
    return raw === undefined ? undefined : parsePolicyDocument(raw, tp?.name ?? topic?.name ?? resource);
  }
  return undefined;
}

/**
 * Decides, in `doc`, the conditions on context keys the simulator cannot evaluate, from the
 * request's values: a condition that holds is dropped, one that fails is replaced by one that
 * can never hold. Only the string operators TapStack uses are supported.
 */
export function resolveConditions(
  doc: PolicyDocument,
  context: Record<string, string | string[]>,
  keys: readonly string[],
): PolicyDocument {
  const lower = new Set(keys.map((k) => k.toLowerCase()));
  return {
    ...doc,
    Statement: doc.Statement.map((st) => {
      if (!st.Condition) return st;
      const condition: Record<string, Record<string, string[]>> = {};
      let impossible = false;
      for (const [op, kv] of Object.entries(st.Condition)) {
        for (const [key, patterns] of Object.entries(kv)) {
          if (!lower.has(key.toLowerCase())) {
            condition[op] = { ...(condition[op] ?? {}), [key]: patterns };
            continue;
          }
          if (!["StringLike", "StringEquals"].includes(op)) {
            throw new Error(
              `cannot evaluate ${op} on ${key} outside the simulator; use StringLike or StringEquals`,
            );
          }
          const given = Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
          const values = given === undefined ? [] : Array.isArray(given) ? given : [given];
          const holds = values.some((v) =>
            patterns.some((p) => (op === "StringLike" ? wildcardMatch(p, v) : p === v)),
          );
          if (!holds) impossible = true;
        }
      }
      if (impossible)
        condition["Bool"] = { ...(condition["Bool"] ?? {}), "aws:SecureTransport": ["impossible"] };
      return {
        ...st,
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : { Condition: undefined }),
      };
    }),
  };
}

/** Evaluates one row with the simulator. */
async function simulate(synth: SynthOutput, role: RoleView, row: MatrixRow): Promise<string> {
  const account = accountOf(synth);
  const resourcePolicy = resourcePolicyFor(synth, row.resource) as PolicyDocument | undefined;
  const context: Record<string, string | string[]> = {
    "aws:SecureTransport": "true",
    "aws:PrincipalAccount": account,
    ...(row.context ?? {}),
  };
  const run = async (ignored: readonly string[]) => {
    const keep = (d: PolicyDocument): PolicyDocument =>
      JSON.parse(JSON.stringify(resolveConditions(d, context, ignored)));
    const simulation: Simulation = {
      request: {
        principal: role.arn,
        action: row.action,
        resource: { resource: row.resource, accountId: account },
        contextVariables: Object.fromEntries(Object.entries(context).filter(([k]) => !ignored.includes(k))),
      },
      identityPolicies: role.policies.map((p) => ({ name: p.name, policy: keep(p.document) })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy !== undefined ? { resourcePolicy: keep(resourcePolicy) } : {}),
    };
    return runSimulation(simulation, {});
  };
  let result = await run([]);
  const ignored = result.resultType === "single" ? (result.result.ignoredContextKeys ?? []) : [];
  if (ignored.length > 0) {
    // iam-simulate 0.1.173 drops `kms:EncryptionContext:aws:s3:arn` as unknown: its catalogue
    // template `kms:EncryptionContext:${EncryptionContextKey}` does not match a key that itself
    // contains colons. KMS does evaluate it (S3 SSE-KMS sets it:
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context),
    // so those conditions are decided here from the request and the rest is simulated.
    result = await run(ignored);
  }
  if (result.resultType === "error")
    return `error: ${result.errors.message} ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

/** A grant pattern is within a scope when the scope, as a wildcard pattern, covers it literally. */
export function withinScope(granted: string, scope: string): boolean {
  return wildcardMatch(scope, granted);
}

/** Every (action, resource) an Allow statement grants that no allowed row of the role accounts for. */
export function extraPermissions(role: RoleView, rows: readonly MatrixRow[]): ExtraPermission[] {
  const allowed = rows.filter((r) => r.role === role.key && r.expected === "allow");
  const extras: ExtraPermission[] = [];
  for (const { name, document } of role.policies) {
    for (const s of document.Statement) {
      if (s.Effect !== "Allow") continue;
      const actions = s.Action ?? ["<NotAction>"];
      const resources = s.Resource ?? ["<NotResource>"];
      for (const action of actions) {
        for (const resource of resources) {
          const covered = allowed.some(
            (r) =>
              r.action.toLowerCase() === action.toLowerCase() && withinScope(resource, r.scope ?? r.resource),
          );
          if (!covered) extras.push({ role: role.key, policy: name, action, resource });
        }
      }
    }
  }
  return extras;
}

/** Runs the whole matrix against the inventory's roles. */
export async function checkLeastPrivilege(
  synth: SynthOutput,
  suffix: string,
  rows: readonly MatrixRow[],
): Promise<LeastPrivilegeReport> {
  const roles = collectRoles(synth, suffix);
  const problems: string[] = [];
  for (const role of roles) {
    problems.push(...role.problems.map((p) => `${role.key}: ${p}`));
    if (!rows.some((r) => r.role === role.key)) {
      problems.push(
        `${role.key}: role "${role.logicalName}" has no rows in the least-privilege matrix; add what it may and may never do`,
      );
    }
  }
  const results: RowResult[] = [];
  for (const row of rows) {
    const role = roles.find((r) => r.key === row.role);
    if (!role) {
      problems.push(`${row.role}: the matrix has rows for this role but the inventory has no such role`);
      continue;
    }
    const actual = await simulate(synth, role, row);
    const ok =
      row.expected === "allow"
        ? actual === "Allowed"
        : actual === "ImplicitlyDenied" || actual === "ExplicitlyDenied";
    results.push({ ...row, actual, ok });
  }
  const extras = roles.flatMap((role) => extraPermissions(role, rows));
  return { rows: results, extras, problems: [...new Set(problems)] };
}

/** True when every row matched, nothing extra is granted and no role is unaccounted for. */
export function passed(report: LeastPrivilegeReport): boolean {
  return report.rows.every((r) => r.ok) && report.extras.length === 0 && report.problems.length === 0;
}

/** The matrix as `npm run iam-check` prints it. */
export function formatMatrix(report: LeastPrivilegeReport, title: string): string {
  const wRole = Math.max(4, ...report.rows.map((r) => r.role.length));
  const wAction = Math.max(6, ...report.rows.map((r) => r.action.length));
  const lines = [
    title,
    `${"role".padEnd(wRole)}  ${"action".padEnd(wAction)}  expected  actual            ok  resource`,
    `${"-".repeat(wRole)}  ${"-".repeat(wAction)}  --------  ----------------  --  --------`,
  ];
  for (const r of report.rows) {
    lines.push(
      `${r.role.padEnd(wRole)}  ${r.action.padEnd(wAction)}  ${r.expected.padEnd(8)}  ${r.actual.slice(0, 16).padEnd(16)}  ${r.ok ? "ok" : "XX"}  ${r.resource}`,
    );
  }
  const allowRows = report.rows.filter((r) => r.expected === "allow").length;
  lines.push(
    "",
    `${report.rows.length} rows (${allowRows} allowed, ${report.rows.length - allowRows} denied), ` +
      `${report.rows.filter((r) => !r.ok).length} mismatches, ${report.extras.length} extra permissions, ${report.problems.length} problems`,
  );
  for (const r of report.rows.filter((x) => !x.ok)) {
    lines.push(
      `  MISMATCH ${r.role} ${r.action} on ${r.resource}: expected ${r.expected}, got ${r.actual} (${r.why})`,
    );
  }
  for (const e of report.extras) {
    lines.push(
      `  EXTRA ${e.role} (${e.policy}) grants ${e.action} on ${e.resource}, which no allowed row needs; remove it or add the row.`,
    );
  }
  for (const p of report.problems) lines.push(`  PROBLEM ${p}`);
  return lines.join("\n");
}
