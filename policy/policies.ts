/**
 * TapStack's guardrails as `@pulumi/policy` policies. This module only defines them; the pack
 * (`policy/index.ts`) and the offline runner (`npm run policy`) both use this list, so what
 * runs in `pulumi preview --policy-pack policy` is exactly what runs on `npm run synth` output.
 *
 * Resource policies see one resource's inputs; stack policies see every resource and check
 * what only shows across resources (a bucket and its public-access block, an instance and its
 * parameter group). Every message names the resource, the property, the bad value and the fix.
 */
import type {
  PolicyResource,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { METRICS } from "../lib/function-env";
import { MAX_REPLICATION_LAG_RANGE } from "../lib/lambda/core/policy";
import { LOG_DELIVERY_ACTIONS } from "../lib/infra/iam";
import { ALLOWED_MANAGED_POLICIES, wildcardResourceAllowed } from "./iam-allowlist";
import {
  DR_ROLES,
  REQUIRED_TAGS,
  Res,
  T,
  TAGGABLE_TYPES,
  arr,
  deniesInsecureTransport,
  effectiveTags,
  isAws,
  obj,
  ofType,
  parsePolicyDocument,
  physicalNames,
  PolicyDocumentError,
  providerDefaultTags,
  refersTo,
  resolveRef,
  str,
} from "./model";

/** Configuration every policy accepts (`pulumi preview --policy-pack-config`, or `npm run policy` flags). */
export interface TapPolicyConfig {
  /**
   * The stack's `environmentSuffix`. When unset, the `Environment` tag of the AWS provider's
   * `defaultTags` is used.
   */
  readonly environmentSuffix?: string;
  /** Set for stacks (e.g. `prod`) that opt in to RDS deletion protection. */
  readonly allowDeletionProtection?: boolean;
}

const CONFIG_SCHEMA = {
  properties: {
    environmentSuffix: { type: "string" as const },
    allowDeletionProtection: { type: "boolean" as const },
  },
};

export type TapPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** Smallest backup retention on the primary, days (DESIGN.md: 7). */
export const MIN_BACKUP_RETENTION_DAYS = 7;
/** Largest threshold the replica-lag alarm may have, seconds: the lag limit's one range (the RPO guard). */
export const MAX_REPLICA_LAG_ALARM_SECONDS = MAX_REPLICATION_LAG_RANGE.max;

// ---------------------------------------------------------------------------------------------
// Helpers

type ResourceCheck = (r: Res, args: ResourceValidationArgs, report: ReportViolation) => void;

/** A resource validation limited to `types`; other types are marked not applicable. */
function forTypes(
  types: readonly string[],
  check: ResourceCheck,
): ResourceValidationPolicy["validateResource"] {
  return (args, report) => {
    if (!types.includes(args.type)) args.notApplicable(`applies to ${types.join(", ")}`);
    check(asRes(args), args, report);
  };
}

function asRes(a: { type: string; name: string; urn: string; props: Record<string, unknown> }): Res {
  return {
    type: a.type,
    name: a.name,
    urn: a.urn,
    props: a.props ?? {},
    ...("propertyDependencies" in a
      ? { propertyDependencies: (a as PolicyResource).propertyDependencies }
      : {}),
  };
}

const stackRes = (args: StackValidationArgs): Res[] => args.resources.map(asRes);
const label = (r: Res): string => `${r.type.split(":").pop()} "${r.name}"`;
const isReplica = (r: Res): boolean => str(r.props, "replicateSourceDb") !== undefined;
const isCrossRegionReplica = (r: Res): boolean =>
  (str(r.props, "replicateSourceDb") ?? "").startsWith("arn:");

/** A KMS key reference that is a customer-managed key (not an `alias/aws/…` AWS-managed key). */
function isCustomerKey(v: unknown): boolean {
  return typeof v === "string" && v !== "" && !/alias\/aws\//.test(v);
}

function cfg(args: { getConfig<T extends object>(): T }): TapPolicyConfig {
  try {
    return args.getConfig<TapPolicyConfig>() ?? {};
  } catch {
    return {};
  }
}

function bucketsOf(rs: readonly Res[]): Res[] {
  return ofType(rs, T.s3Bucket, T.s3BucketV2);
}

/** Sub-resources (`types`) whose `bucket` input refers to `bucket`. */
function attached(rs: readonly Res[], bucket: Res, ...types: string[]): Res[] {
  return ofType(rs, ...types).filter((s) => refersTo(s.props["bucket"], bucket, s, "bucket"));
}

function parsedPolicies(r: Res): { where: string; doc: ReturnType<typeof parsePolicyDocument> }[] {
  const out: { where: string; doc: ReturnType<typeof parsePolicyDocument> }[] = [];
  if (r.type === T.iamRole) {
    for (const [i, p] of arr(r.props["inlinePolicies"]).entries()) {
      const po = obj(p);
      if (po?.["policy"] !== undefined) {
        out.push({
          where: `${label(r)} inlinePolicies[${i}]`,
          doc: parsePolicyDocument(po["policy"], label(r)),
        });
      }
    }
  } else if (r.props["policy"] !== undefined) {
    out.push({ where: `${label(r)} policy`, doc: parsePolicyDocument(r.props["policy"], label(r)) });
  }
  return out;
}

function withDocuments(
  r: Res,
  report: ReportViolation,
  each: (where: string, s: ReturnType<typeof parsePolicyDocument>["Statement"][number], i: number) => void,
): void {
  let docs;
  try {
    docs = parsedPolicies(r);
  } catch (e) {
    if (e instanceof PolicyDocumentError) {
      report(`${e.message}. Fix: pass a JSON policy document (aws.iam.getPolicyDocumentOutput(...).json).`);
      return;
    }
    throw e;
  }
  for (const { where, doc } of docs) doc.Statement.forEach((s, i) => each(where, s, i));
}

// ---------------------------------------------------------------------------------------------
// Encryption at rest with customer-managed keys

export const rdsStorageEncrypted: ResourceValidationPolicy = {
  name: "rds-storage-encrypted-cmk",
  description: "RDS instances are encrypted at rest with a customer-managed KMS key.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: forTypes([T.rdsInstance], (r, _a, report) => {
    if (isReplica(r) && !isCrossRegionReplica(r)) {
      // A same-region replica is always encrypted with its source's key; RDS rejects kmsKeyId
      // on it ("Your request does not require the KMS key parameter").
      if (r.props["kmsKeyId"] !== undefined) {
        report(
          `${label(r)}: same-region replica sets kmsKeyId; remove it (RDS uses the source's key and rejects the parameter).`,
        );
      }
      return;
    }
    // Promoted from a same-region replica (activeWriter=replica): still on its source's key, which
    // RDS never lets it name; the marker tag says so and storage encryption must still be on.
    const inheritedKey =
      r.props["kmsKeyId"] === undefined &&
      effectiveTags(r.props)["DR-Key-Source"] === "inherited-from-source";
    if (inheritedKey && r.props["storageEncrypted"] === true) return;
    if (!isReplica(r) && r.props["storageEncrypted"] !== true) {
      report(
        `${label(r)}: storageEncrypted is ${JSON.stringify(r.props["storageEncrypted"])}; set storageEncrypted: true.`,
      );
    }
    if (!isCustomerKey(r.props["kmsKeyId"])) {
      report(
        `${label(r)}: kmsKeyId is ${JSON.stringify(r.props["kmsKeyId"])}; set it to the ARN of the region's customer-managed key` +
          (isReplica(r) ? " (a cross-region replica needs a key in its own region)." : "."),
      );
    }
  }),
};

export const rdsPerformanceInsightsEncrypted: ResourceValidationPolicy = {
  name: "rds-performance-insights-cmk",
  description:
    "Performance Insights data is encrypted with a customer-managed key (it can never be changed later).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes([T.rdsInstance], (r, _a, report) => {
    if (r.props["performanceInsightsEnabled"] !== true) return;
    if (!isCustomerKey(r.props["performanceInsightsKmsKeyId"])) {
      report(
        `${label(r)}: Performance Insights is on but performanceInsightsKmsKeyId is ` +
          `${JSON.stringify(r.props["performanceInsightsKmsKeyId"])}; set it to the customer-managed key ARN ` +
          `(otherwise RDS uses aws/rds, and the key cannot be changed afterwards).`,
      );
    }
  }),
};

export const rdsMasterSecretManaged: ResourceValidationPolicy = {
  name: "rds-master-secret-managed-cmk",
  description:
    "The master password is an RDS-managed Secrets Manager secret encrypted with a customer-managed key.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: forTypes([T.rdsInstance], (r, _a, report) => {
    if (isReplica(r)) return; // replicas inherit the source's credentials
    if (r.props["password"] !== undefined || r.props["passwordWo"] !== undefined) {
      report(
        `${label(r)}: a plain master password is set; remove password and set manageMasterUserPassword: true.`,
      );
    }
    if (r.props["manageMasterUserPassword"] !== true) {
      report(
        `${label(r)}: manageMasterUserPassword is ${JSON.stringify(r.props["manageMasterUserPassword"])}; set it to true.`,
      );
    } else if (!isCustomerKey(r.props["masterUserSecretKmsKeyId"])) {
      report(
        `${label(r)}: masterUserSecretKmsKeyId is ${JSON.stringify(r.props["masterUserSecretKmsKeyId"])}; ` +
          `set it to the customer-managed key ARN (the default is aws/secretsmanager).`,
      );
    }
  }),
};

export const snsTopicEncrypted: ResourceValidationPolicy = {
  name: "sns-topic-encrypted-cmk",
  description: "SNS topics are encrypted with a customer-managed key.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes([T.snsTopic], (r, _a, report) => {
    if (!isCustomerKey(r.props["kmsMasterKeyId"])) {
      report(
        `${label(r)}: kmsMasterKeyId is ${JSON.stringify(r.props["kmsMasterKeyId"])}; set it to the region's ` +
          `customer-managed key (alias/aws/sns cannot be granted to CloudWatch alarms).`,
      );
    }
  }),
};

export const logGroupEncrypted: ResourceValidationPolicy = {
  name: "log-group-encrypted-cmk",
  description: "CloudWatch log groups are encrypted with a customer-managed key and have a finite retention.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes([T.logGroup], (r, _a, report) => {
    if (!isCustomerKey(r.props["kmsKeyId"])) {
      report(
        `${label(r)}: kmsKeyId is ${JSON.stringify(r.props["kmsKeyId"])}; set it to the customer-managed key ARN.`,
      );
    }
    const days = r.props["retentionInDays"];
    if (typeof days !== "number" || days <= 0) {
      report(`${label(r)}: retentionInDays is ${JSON.stringify(days)}; set a finite retention (e.g. 30).`);
    }
  }),
};

export const s3DefaultEncryption: StackValidationPolicy = {
  name: "s3-default-encryption-cmk",
  description: "Every S3 bucket has default encryption SSE-KMS with a customer-managed key.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    for (const b of bucketsOf(rs)) {
      const sse = attached(rs, b, T.s3Sse, T.s3SseV2);
      if (sse.length === 0) {
        report(
          `${label(b)}: no BucketServerSideEncryptionConfiguration; add one with sseAlgorithm "aws:kms" and the region's key.`,
          b.urn,
        );
        continue;
      }
      for (const c of sse) {
        const rules = arr(c.props["rules"]);
        const ok =
          rules.length > 0 &&
          rules.every((rule) => {
            const d = obj(obj(rule)?.["applyServerSideEncryptionByDefault"]);
            return d?.["sseAlgorithm"] === "aws:kms" && isCustomerKey(d["kmsMasterKeyId"]);
          });
        if (!ok) {
          report(
            `${label(c)} (bucket "${b.name}"): rules ${JSON.stringify(c.props["rules"])}; every rule needs ` +
              `applyServerSideEncryptionByDefault { sseAlgorithm: "aws:kms", kmsMasterKeyId: <key ARN> }.`,
            c.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// TLS in transit

export const rdsForceSsl: StackValidationPolicy = {
  name: "rds-force-ssl",
  description: "Every RDS instance uses a parameter group with rds.force_ssl=1.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    for (const db of ofType(rs, T.rdsInstance)) {
      const pg = resolveRef(rs, db, "parameterGroupName", T.rdsParameterGroup);
      if (!pg) {
        report(
          `${label(db)}: parameterGroupName is ${JSON.stringify(db.props["parameterGroupName"])}, not a parameter group ` +
            `of this stack; attach the postgres14 group with rds.force_ssl=1 (a cross-region replica otherwise gets the engine default).`,
          db.urn,
        );
        continue;
      }
      const forced = arr(pg.props["parameters"]).some((p) => {
        const po = obj(p);
        return po?.["name"] === "rds.force_ssl" && String(po["value"]) === "1";
      });
      if (!forced) {
        report(
          `${label(pg)} (used by "${db.name}"): no parameter rds.force_ssl=1; add { name: "rds.force_ssl", value: "1" }.`,
          pg.urn,
        );
      }
    }
  },
};

export const s3TlsOnly: StackValidationPolicy = {
  name: "s3-tls-only-bucket-policy",
  description: "Every S3 bucket policy denies requests without aws:SecureTransport.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    for (const b of bucketsOf(rs)) {
      const policies = attached(rs, b, T.s3BucketPolicy);
      const ok = policies.some((p) => {
        try {
          return parsePolicyDocument(p.props["policy"], label(p)).Statement.some(deniesInsecureTransport);
        } catch {
          return false;
        }
      });
      if (!ok) {
        report(
          `${label(b)}: no bucket policy denies insecure transport; add a BucketPolicy statement ` +
            `{ Effect: "Deny", Principal: "*", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } }.`,
          b.urn,
        );
      }
    }
  },
};

export const snsTlsOnly: StackValidationPolicy = {
  name: "sns-tls-only-topic-policy",
  description: "Every SNS topic policy denies requests without aws:SecureTransport.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    for (const t of ofType(rs, T.snsTopic)) {
      const docs: unknown[] = [];
      if (t.props["policy"] !== undefined) docs.push(t.props["policy"]);
      for (const p of ofType(rs, T.snsTopicPolicy)) {
        if (refersTo(p.props["arn"], t, p, "arn")) docs.push(p.props["policy"]);
      }
      const ok = docs.some((d) => {
        try {
          return parsePolicyDocument(d, label(t)).Statement.some(deniesInsecureTransport);
        } catch {
          return false;
        }
      });
      if (!ok) {
        report(
          `${label(t)}: no topic policy denies insecure transport; add a TopicPolicy statement ` +
            `{ Effect: "Deny", Principal: "*", Action: "sns:Publish", Condition: { Bool: { "aws:SecureTransport": "false" } } }.`,
          t.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// No public exposure

export const rdsNotPublic: ResourceValidationPolicy = {
  name: "rds-not-publicly-accessible",
  description: "RDS instances are not publicly accessible.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: forTypes([T.rdsInstance], (r, _a, report) => {
    // Unset means false (the RDS default for instances in a DB subnet group).
    if (r.props["publiclyAccessible"] === true) {
      report(`${label(r)}: publiclyAccessible is true; set publiclyAccessible: false.`);
    }
  }),
};

export const s3PublicAccessBlocked: StackValidationPolicy = {
  name: "s3-public-access-blocked",
  description: "Every S3 bucket has a public-access block with all four settings on.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    const keys = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
    for (const b of bucketsOf(rs)) {
      const pabs = attached(rs, b, T.s3PublicAccessBlock);
      if (pabs.length === 0) {
        report(`${label(b)}: no BucketPublicAccessBlock; add one with ${keys.join(", ")} all true.`, b.urn);
        continue;
      }
      for (const p of pabs) {
        const off = keys.filter((k) => p.props[k] !== true);
        if (off.length > 0)
          report(`${label(p)} (bucket "${b.name}"): ${off.join(", ")} not true; set them to true.`, p.urn);
      }
    }
  },
};

const WORLD = /^(0\.0\.0\.0|::)\/0$/;

export const noWorldIngress: ResourceValidationPolicy = {
  name: "security-group-no-world-ingress",
  description: "No security group admits traffic from 0.0.0.0/0 or ::/0.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: forTypes([T.securityGroup, T.securityGroupRule, T.ingressRule], (r, _a, report) => {
    const bad: string[] = [];
    if (r.type === T.securityGroup) {
      for (const [i, rule] of arr(r.props["ingress"]).entries()) {
        const o = obj(rule) ?? {};
        for (const c of [...arr(o["cidrBlocks"]), ...arr(o["ipv6CidrBlocks"])]) {
          if (WORLD.test(String(c))) bad.push(`ingress[${i}] ${String(c)}`);
        }
      }
    } else if (r.type === T.securityGroupRule) {
      if (r.props["type"] !== "ingress") return;
      for (const c of [...arr(r.props["cidrBlocks"]), ...arr(r.props["ipv6CidrBlocks"])]) {
        if (WORLD.test(String(c))) bad.push(String(c));
      }
    } else {
      for (const k of ["cidrIpv4", "cidrIpv6"]) {
        const c = str(r.props, k);
        if (c && WORLD.test(c)) bad.push(`${k} ${c}`);
      }
    }
    if (bad.length > 0) {
      report(
        `${label(r)}: ingress open to the internet (${bad.join(", ")}); allow only the monitor subnets and configured client CIDRs.`,
      );
    }
  }),
};

/** Tag (and value) that marks the DR VPC's monitor subnets (lib/infra/network.ts). */
export const MONITOR_SUBNET_TAG = { key: "Subnet-Purpose", value: "health-monitor" } as const;
/** Logical-name prefix of the databases' access groups, the groups fencing never touches. */
export const DB_ACCESS_GROUP_PREFIX = "sg-db-access-";
const SUBNET_TYPE = "aws:ec2/subnet:Subnet";
/** Resources that may name a monitor subnet besides the health monitor: its routing and NACL wiring. */
const MONITOR_SUBNET_WIRING = new Set([
  "aws:ec2/routeTableAssociation:RouteTableAssociation",
  "aws:ec2/networkAclAssociation:NetworkAclAssociation",
  "aws:ec2/networkAcl:NetworkAcl",
]);

/** Logical-name prefixes of the functions that may run in the monitor subnets. */
export const MONITOR_SUBNET_FUNCTIONS = {
  monitor: "lambda-health-monitor-",
  /** The restore test's check query (lib/infra/restore-test.ts), egress-limited to its own VPC. */
  restoreCheck: "lambda-restore-check-",
} as const;

/** `[first, last]` address of an IPv4 CIDR as integers, or undefined when it is not one. */
function cidrRange(cidr: string | undefined): [number, number] | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr ?? "");
  if (!m) return undefined;
  const address = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(m[5]));
  const first = address - (address % size);
  return [first, first + size - 1];
}

/**
 * Why the restore check may not run in monitor subnet `sn`, or undefined: the access groups admit
 * that subnet even to a fenced writer, so the function may only reach PostgreSQL inside the
 * subnet's own (DR) VPC, where its test instance is, never the primary VPC across the peering.
 * Every security group it runs with has only separate egress rules, each tcp 5432 to a CIDR
 * within that VPC.
 */
function restoreCheckEgressProblem(rs: readonly Res[], fn: Res, sn: Res): string | undefined {
  const vpc = resolveRef(rs, sn, "vpcId", "aws:ec2/vpc:Vpc");
  const vpcRange = cidrRange(vpc ? str(vpc.props, "cidrBlock") : undefined);
  if (!vpc || !vpcRange)
    return `the VPC of "${sn.name}" is not in the stack, so its egress cannot be checked`;
  const groupIds = arr(obj(fn.props["vpcConfig"])?.["securityGroupIds"]);
  const groups = groupIds.map((id) => ofType(rs, T.securityGroup).find((g) => refersTo(id, g)));
  if (groups.length === 0 || groups.some((g) => g === undefined)) {
    return `its security groups (${groupIds.map(String).join(", ") || "none"}) are not all the stack's`;
  }
  for (const g of groups as Res[]) {
    if (arr(g.props["egress"]).length > 0) return `security group "${g.name}" has inline egress rules`;
    const rules = ofType(rs, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").filter((r) =>
      refersTo(r.props["securityGroupId"], g, r, "securityGroupId"),
    );
    for (const r of rules) {
      const range = cidrRange(str(r.props, "cidrIpv4"));
      const ok =
        r.props["ipProtocol"] === "tcp" &&
        r.props["fromPort"] === 5432 &&
        r.props["toPort"] === 5432 &&
        range !== undefined &&
        range[0] >= vpcRange[0] &&
        range[1] <= vpcRange[1];
      if (!ok) {
        return `egress rule "${r.name}" (${String(r.props["ipProtocol"])} ${String(r.props["fromPort"])}-${String(r.props["toPort"])} to ${str(r.props, "cidrIpv4") ?? "a non-IPv4 destination"}) leaves tcp 5432 within ${str(vpc.props, "cidrBlock")}`;
      }
    }
  }
  return undefined;
}

/** Every string inside a property value (nested objects and arrays included). */
function stringsIn(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) stringsIn(x, out);
  else if (v !== null && typeof v === "object") for (const x of Object.values(v)) stringsIn(x, out);
  return out;
}

/** True when any property of `r` names `subnet` (by engine dependency or by id). */
function namesSubnet(r: Res, subnet: Res): boolean {
  if (Object.values(r.propertyDependencies ?? {}).some((deps) => deps.some((d) => d.urn === subnet.urn))) {
    return true;
  }
  const id = str(subnet.props, "id");
  const ids = new Set([subnet.urn, ...(id ? [id] : [])]);
  return Object.entries(r.props).some(
    ([key, v]) =>
      key !== "tags" &&
      key !== "tagsAll" &&
      stringsIn(v).some((x) => ids.has(x) || refersTo(x, subnet, r, key)),
  );
}

/**
 * The fence revokes the client groups only; the access groups stay, so the monitor can keep
 * watching a fenced writer. Whatever an access group admits can therefore still write to a
 * fenced writer: it must admit nothing but the monitor subnets (security groups cannot be named
 * across an inter-Region peering, so they are admitted by CIDR), or a security group of its own
 * VPC (the bootstrap function, a same-VPC monitor). And the monitor subnets must hold nothing but
 * the health monitor, or the CIDR would admit more than the monitor; the one exception is the
 * restore test's check function, whose egress must stay on PostgreSQL inside its own (DR) VPC, so
 * it cannot reach a writer in the primary VPC at all.
 */
export const dbAccessOnlyFromMonitorSubnets: StackValidationPolicy = {
  name: "db-access-ingress-only-from-monitor-subnets",
  description:
    "Database access groups (kept when fencing) admit only the DR VPC's monitor subnets or same-VPC security groups, and nothing but the health monitor (and the restore check, limited to PostgreSQL in its own VPC) runs in those subnets.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    const monitorSubnets = ofType(rs, SUBNET_TYPE).filter(
      (sn) => effectiveTags(sn.props)[MONITOR_SUBNET_TAG.key] === MONITOR_SUBNET_TAG.value,
    );
    const monitorCidrs = new Set(monitorSubnets.map((sn) => str(sn.props, "cidrBlock") ?? ""));
    const accessGroups = ofType(rs, T.securityGroup).filter((g) => g.name.startsWith(DB_ACCESS_GROUP_PREFIX));
    const allowed =
      [...monitorCidrs].join(", ") || "none: tag the monitor subnets Subnet-Purpose=health-monitor";
    if (accessGroups.length > 0 && monitorSubnets.length === 0) {
      report(
        `No subnet is tagged ${MONITOR_SUBNET_TAG.key}=${MONITOR_SUBNET_TAG.value}, so the access groups cannot be checked; declare the DR VPC's monitor subnets.`,
      );
      return;
    }
    const cidrOk = (c: unknown): boolean => typeof c === "string" && monitorCidrs.has(c);

    for (const g of accessGroups) {
      for (const [i, rule] of arr(g.props["ingress"]).entries()) {
        const o = obj(rule) ?? {};
        const cidrs = [...arr(o["cidrBlocks"]), ...arr(o["ipv6CidrBlocks"])];
        if (cidrs.some((c) => !cidrOk(c))) {
          report(
            `${label(g)}: ingress[${i}] from ${cidrs.join(", ")}; an access group admits only the monitor subnets (${allowed}).`,
            g.urn,
          );
        }
      }
    }
    const onAccessGroup = (r: Res): Res | undefined =>
      accessGroups.find((g) => refersTo(r.props["securityGroupId"], g, r, "securityGroupId"));
    for (const r of ofType(rs, T.ingressRule)) {
      const g = onAccessGroup(r);
      if (!g) continue;
      const cidr = str(r.props, "cidrIpv4") ?? str(r.props, "cidrIpv6");
      const bySg = str(r.props, "referencedSecurityGroupId") !== undefined && cidr === undefined;
      const byPrefixList = str(r.props, "prefixListId") !== undefined;
      if (byPrefixList || (!bySg && !cidrOk(cidr))) {
        report(
          `${label(r)} (group "${g.name}"): admits ${cidr ?? str(r.props, "prefixListId") ?? "an unknown source"}; ` +
            `an access group admits only the monitor subnets (${allowed}) or a security group of its own VPC.`,
          r.urn,
        );
      }
    }
    for (const r of ofType(rs, T.securityGroupRule)) {
      if (r.props["type"] !== "ingress" || !onAccessGroup(r)) continue;
      const cidrs = [...arr(r.props["cidrBlocks"]), ...arr(r.props["ipv6CidrBlocks"])];
      if (cidrs.some((c) => !cidrOk(c))) {
        report(
          `${label(r)}: admits ${cidrs.join(", ")}; an access group admits only the monitor subnets (${allowed}).`,
          r.urn,
        );
      }
    }

    for (const sn of monitorSubnets) {
      for (const r of rs) {
        if (r === sn || MONITOR_SUBNET_WIRING.has(r.type) || !namesSubnet(r, sn)) continue;
        const isFunction = r.type === T.lambdaFunction;
        if (isFunction && r.name.startsWith(MONITOR_SUBNET_FUNCTIONS.restoreCheck)) {
          const problem = restoreCheckEgressProblem(rs, r, sn);
          if (problem !== undefined) {
            report(
              `${label(r)} runs in the monitor subnet "${sn.name}", which the databases' access groups admit even when a writer is fenced, ` +
                `but ${problem}; give it only egress rules for tcp 5432 to its VPC's database subnets.`,
              r.urn,
            );
          }
          continue;
        }
        const isMonitor = isFunction && r.name.startsWith(MONITOR_SUBNET_FUNCTIONS.monitor);
        if (!isMonitor) {
          report(
            `${label(r)} is placed in the monitor subnet "${sn.name}" (${str(sn.props, "cidrBlock") ?? "?"}); the databases' ` +
              "access groups admit that subnet even when a writer is fenced, so only the health-monitor (and the egress-limited restore-check) function may run there. Use the private subnets.",
            r.urn,
          );
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Tags and names

export const requiredTags: ResourceValidationPolicy = {
  name: "required-tags",
  description: `Every taggable resource carries ${REQUIRED_TAGS.join(", ")} (provider defaults count), with a known DR-Role.`,
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: (args, report) => {
    if (!isAws(args) || (!TAGGABLE_TYPES.has(args.type) && args.props?.["tags"] === undefined)) {
      args.notApplicable("not a taggable AWS resource");
    }
    const r = asRes(args);
    const tags = effectiveTags(r.props, args.provider?.props);
    const missing = REQUIRED_TAGS.filter((k) => !tags[k]);
    if (missing.length > 0) {
      report(
        `${label(r)}: missing tag(s) ${missing.join(", ")}; Environment and Owner come from the provider's ` +
          `defaultTags, DR-Role is set on each resource (one of ${DR_ROLES.join(", ")}).`,
      );
    }
    const role = tags["DR-Role"];
    if (role && !(DR_ROLES as readonly string[]).includes(role)) {
      report(`${label(r)}: DR-Role is "${role}"; use one of ${DR_ROLES.join(", ")}.`);
    }
  },
};

export const namesIncludeSuffix: ResourceValidationPolicy = {
  name: "names-include-environment-suffix",
  description: "Logical and physical names of AWS resources contain the stack's environment suffix.",
  enforcementLevel: "mandatory",
  severity: "medium",
  configSchema: CONFIG_SCHEMA,
  validateResource: (args, report) => {
    if (!isAws(args)) args.notApplicable("not an AWS resource");
    const suffix = cfg(args).environmentSuffix ?? providerDefaultTags(args.provider?.props)["Environment"];
    if (!suffix) {
      args.notApplicable("no environmentSuffix configured and no Environment default tag on the provider");
    }
    const r = asRes(args);
    if (!r.name.includes(suffix)) {
      report(
        `${label(r)}: logical name does not contain the environment suffix "${suffix}"; name it "<type>-${suffix}".`,
      );
    }
    for (const { key, value } of physicalNames(r)) {
      if (!value.includes(suffix)) {
        report(`${label(r)}: ${key} "${value}" does not contain the environment suffix "${suffix}".`);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Destroyability

export const destroyable: ResourceValidationPolicy = {
  name: "destroyable",
  description:
    "`pulumi destroy` removes everything: no protect/retainOnDelete/skipDestroy, buckets force-destroy, " +
    "RDS without deletion protection (unless the stack opts in) and with a final-snapshot choice.",
  enforcementLevel: "mandatory",
  severity: "medium",
  configSchema: CONFIG_SCHEMA,
  validateResource: (args, report) => {
    if (!isAws(args)) args.notApplicable("not an AWS resource");
    const r = asRes(args);
    const opts = (args.opts ?? {}) as unknown as Record<string, unknown>;
    if (opts["protect"] === true) report(`${label(r)}: protect is set; remove { protect: true }.`);
    if (opts["retainOnDelete"] === true)
      report(`${label(r)}: retainOnDelete is set; remove { retainOnDelete: true }.`);
    if (r.props["skipDestroy"] === true) report(`${label(r)}: skipDestroy is true; remove it.`);
    if (r.type === T.s3Bucket || r.type === T.s3BucketV2) {
      if (r.props["forceDestroy"] !== true) {
        report(
          `${label(r)}: forceDestroy is ${JSON.stringify(r.props["forceDestroy"])}; set forceDestroy: true (a versioned bucket with objects cannot be deleted otherwise).`,
        );
      }
    }
    if (r.type === T.rdsInstance) {
      if (r.props["deletionProtection"] === true && cfg(args).allowDeletionProtection !== true) {
        report(
          `${label(r)}: deletionProtection is true but this stack has not opted in; set deletionProtection: false, or opt in with the allowDeletionProtection policy setting.`,
        );
      }
      if (r.props["skipFinalSnapshot"] !== true && !str(r.props, "finalSnapshotIdentifier")) {
        report(
          `${label(r)}: skipFinalSnapshot is not true and no finalSnapshotIdentifier is set; delete would fail. Set one of them.`,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Backups

export const primaryBackupRetention: ResourceValidationPolicy = {
  name: "rds-primary-backup-retention",
  description: `The primary keeps automated backups for at least ${MIN_BACKUP_RETENTION_DAYS} days.`,
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: forTypes([T.rdsInstance], (r, _a, report) => {
    if (isReplica(r)) return;
    const days = r.props["backupRetentionPeriod"];
    if (typeof days !== "number" || days < MIN_BACKUP_RETENTION_DAYS) {
      report(
        `${label(r)}: backupRetentionPeriod is ${JSON.stringify(days)}; set it to at least ${MIN_BACKUP_RETENTION_DAYS}.`,
      );
    }
  }),
};

export const backupsReplicatedToDr: StackValidationPolicy = {
  name: "rds-backups-replicated-to-dr",
  description:
    "Automated backups of every primary are replicated to another region, encrypted, for at least 7 days.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    for (const db of ofType(rs, T.rdsInstance).filter((d) => !isReplica(d))) {
      const reps = ofType(rs, T.rdsBackupReplication).filter((b) =>
        refersTo(b.props["sourceDbInstanceArn"], db, b, "sourceDbInstanceArn"),
      );
      if (reps.length === 0) {
        report(
          `${label(db)}: no InstanceAutomatedBackupsReplication; add one in the DR region with sourceDbInstanceArn = its ARN.`,
          db.urn,
        );
        continue;
      }
      for (const b of reps) {
        const days = b.props["retentionPeriod"] ?? 7; // the provider's default is 7
        if (typeof days !== "number" || days < MIN_BACKUP_RETENTION_DAYS) {
          report(
            `${label(b)}: retentionPeriod is ${JSON.stringify(days)}; set it to at least ${MIN_BACKUP_RETENTION_DAYS}.`,
            b.urn,
          );
        }
        if (!isCustomerKey(b.props["kmsKeyId"])) {
          report(
            `${label(b)}: kmsKeyId is ${JSON.stringify(b.props["kmsKeyId"])}; set the DR region's key ARN (the source is encrypted).`,
            b.urn,
          );
        }
        const srcRegion = str(db.props, "region");
        const dstRegion = str(b.props, "region");
        if (srcRegion && dstRegion && srcRegion === dstRegion) {
          report(
            `${label(b)}: replicates to ${dstRegion}, the primary's own region; create it in the DR region.`,
            b.urn,
          );
        }
      }
    }
  },
};

export const backupBucketsVersionedReplicated: StackValidationPolicy = {
  name: "s3-backup-buckets-versioned-replicated",
  description:
    "Backup buckets are versioned, and each is either the source or the destination of KMS-encrypted cross-region replication.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    const backups = bucketsOf(rs).filter((b) => effectiveTags(b.props)["DR-Role"] === "backup");
    for (const b of backups) {
      const versioned = attached(rs, b, T.s3Versioning, T.s3VersioningV2).some(
        (v) => obj(v.props["versioningConfiguration"])?.["status"] === "Enabled",
      );
      if (!versioned) {
        report(
          `${label(b)}: versioning is not Enabled; add BucketVersioning { versioningConfiguration: { status: "Enabled" } }.`,
          b.urn,
        );
      }
      const outgoing = attached(rs, b, T.s3Replication);
      const incoming = ofType(rs, T.s3Replication).filter((c) =>
        arr(c.props["rules"]).some((rule) => refersTo(obj(obj(rule)?.["destination"])?.["bucket"], b)),
      );
      if (outgoing.length === 0 && incoming.length === 0) {
        report(
          `${label(b)}: neither the source nor the destination of a BucketReplicationConfig; replicate the primary bucket to the DR bucket.`,
          b.urn,
        );
      }
      for (const c of outgoing) {
        const rules = arr(c.props["rules"]).map((x) => obj(x) ?? {});
        if (!rules.some((rule) => rule["status"] === "Enabled")) {
          report(`${label(c)}: no rule has status "Enabled".`, c.urn);
        }
        for (const [i, rule] of rules.entries()) {
          const sse = obj(obj(rule["sourceSelectionCriteria"])?.["sseKmsEncryptedObjects"]);
          const dest = obj(rule["destination"]);
          const key = obj(dest?.["encryptionConfiguration"])?.["replicaKmsKeyId"];
          if (sse?.["status"] !== "Enabled" || !isCustomerKey(key)) {
            report(
              `${label(c)}: rules[${i}] must set sourceSelectionCriteria.sseKmsEncryptedObjects.status "Enabled" and ` +
                `destination.encryptionConfiguration.replicaKmsKeyId (SSE-KMS objects are not replicated otherwise).`,
              c.urn,
            );
          }
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// Monitoring

export const alarmsHaveActions: ResourceValidationPolicy = {
  name: "alarm-has-action",
  description: "Every CloudWatch alarm notifies someone (alarmActions set, actions enabled).",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: forTypes([T.metricAlarm], (r, _a, report) => {
    if (arr(r.props["alarmActions"]).length === 0) {
      report(`${label(r)}: alarmActions is empty; add the region's SNS topic ARN.`);
    }
    if (r.props["actionsEnabled"] === false) report(`${label(r)}: actionsEnabled is false; remove it.`);
  }),
};

function alarmMetricNames(a: Res): string[] {
  const names = [str(a.props, "metricName")];
  for (const q of arr(a.props["metricQueries"])) names.push(str(obj(obj(q)?.["metric"]) ?? {}, "metricName"));
  return names.filter((n): n is string => n !== undefined);
}

export const replicaLagAlarm: StackValidationPolicy = {
  name: "replica-lag-alarm",
  description: `Every replica has a lag alarm (ReplicaLag or ${METRICS.heartbeatLagSeconds}) at <= ${MAX_REPLICA_LAG_ALARM_SECONDS} s with an action.`,
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    const alarms = ofType(rs, T.metricAlarm);
    for (const replica of ofType(rs, T.rdsInstance).filter(isReplica)) {
      const candidates = alarms.filter((a) => {
        const names = alarmMetricNames(a);
        if (names.includes(METRICS.heartbeatLagSeconds)) return true;
        return (
          names.includes("ReplicaLag") &&
          refersTo(obj(a.props["dimensions"])?.["DBInstanceIdentifier"], replica)
        );
      });
      if (candidates.length === 0) {
        report(
          `${label(replica)}: no lag alarm; add a MetricAlarm on AWS/RDS ReplicaLag (DBInstanceIdentifier = the replica) ` +
            `or on ${METRICS.heartbeatLagSeconds}, threshold <= ${MAX_REPLICA_LAG_ALARM_SECONDS}.`,
          replica.urn,
        );
        continue;
      }
      const good = candidates.filter((a) => {
        const t = a.props["threshold"];
        const op = str(a.props, "comparisonOperator") ?? "";
        return (
          typeof t === "number" &&
          t > 0 &&
          t <= MAX_REPLICA_LAG_ALARM_SECONDS &&
          op.startsWith("GreaterThan") &&
          arr(a.props["alarmActions"]).length > 0
        );
      });
      if (good.length === 0) {
        const a = candidates[0];
        report(
          `${label(a)}: threshold ${JSON.stringify(a.props["threshold"])} ${String(a.props["comparisonOperator"])}; ` +
            `a lag alarm must fire at > 0 and <= ${MAX_REPLICA_LAG_ALARM_SECONDS} s (GreaterThan…) and have alarmActions.`,
          a.urn,
        );
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// IAM

const IAM_DOC_TYPES = [T.iamRolePolicy, T.iamPolicy, T.iamRole];

/**
 * True for a resource that names no particular resource: `*`, any account (`arn:aws:rds:r:*:…`),
 * or every resource of a kind (`…:db:*`, `…:key/*`, `arn:aws:s3:::*`). Route 53 change ids are
 * issued per request, so `arn:aws:route53:::change/*` is the narrowest possible and is accepted.
 */
export function isWildcardResource(resource: string): boolean {
  if (resource === "*") return true;
  const parts = resource.split(":");
  if (parts.length < 6) return false;
  const [, , service, , account] = parts;
  const rest = parts.slice(5).join(":");
  if (account === "*" || rest === "*") return true;
  if (service === "s3") return false; // bucket/* is one bucket's objects
  if (service === "route53" && rest === "change/*") return false;
  return /^[^/:]+[:/]\*$/.test(rest);
}

export const iamNoWildcardAction: ResourceValidationPolicy = {
  name: "iam-no-wildcard-action",
  description: "IAM policies grant named actions only: no `*`, no `service:*`, no Allow with NotAction.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: forTypes(IAM_DOC_TYPES, (r, _a, report) => {
    withDocuments(r, report, (where, s, i) => {
      if (s.Effect !== "Allow") return;
      if (s.NotAction)
        report(`${where} Statement[${i}]: Allow with NotAction grants everything else; list the actions.`);
      for (const a of s.Action ?? []) {
        if (a === "*" || /^[^:]+:\*$/.test(a)) {
          report(
            `${where} Statement[${i}]: action "${a}" is a wildcard; list the exact actions the function calls.`,
          );
        }
      }
    });
  }),
};

export const iamNoWildcardResource: ResourceValidationPolicy = {
  name: "iam-no-wildcard-resource",
  description:
    "IAM policies name exact resources; `*` only for actions on the documented allow-list (policy/iam-allowlist.ts).",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: forTypes([...IAM_DOC_TYPES, T.iamRolePolicyAttachment], (r, _a, report) => {
    if (r.type === T.iamRolePolicyAttachment) {
      const arn = str(r.props, "policyArn") ?? "";
      if (arn.startsWith("arn:aws:iam::aws:policy/") && !(arn in ALLOWED_MANAGED_POLICIES)) {
        report(
          `${label(r)}: managed policy ${arn} is not on the allow-list; write a scoped inline policy instead.`,
        );
      }
      return;
    }
    withDocuments(r, report, (where, s, i) => {
      if (s.Effect !== "Allow") return;
      if (s.NotResource) report(`${where} Statement[${i}]: Allow with NotResource; list the resources.`);
      if (!(s.Resource ?? []).some(isWildcardResource)) return;
      const bad = (s.Action ?? []).filter((a) => !wildcardResourceAllowed(a));
      if (bad.length > 0) {
        report(
          `${where} Statement[${i}]: Resource "*" for ${bad.join(", ")}; scope these to exact ARNs ` +
            `(only the actions in policy/iam-allowlist.ts may use "*").`,
        );
      }
    });
  }),
};

// ---------------------------------------------------------------------------------------------
// The failover workflow

/** Levels at which a state machine logs at all (`OFF` does not). */
const LOGGING_LEVELS = ["ALL", "ERROR", "FATAL"];

/** The log group a `logDestination` (`<log group ARN>:*`) names, by the group's name. */
function destinationGroup(rs: readonly Res[], destination: string | undefined): Res | undefined {
  const name = /:log-group:(.+?)(:\*)?$/.exec(destination ?? "")?.[1];
  return name === undefined ? undefined : ofType(rs, T.logGroup).find((g) => str(g.props, "name") === name);
}

export const stateMachineStandardLoggedLeastPrivilege: StackValidationPolicy = {
  name: "state-machine-standard-logged-least-privilege",
  description:
    "State machines are STANDARD, log to a KMS-encrypted log group without execution data (it holds task " +
    "tokens), and their role may only invoke Lambda functions and deliver logs, trusted by Step Functions only.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const rs = stackRes(args);
    for (const m of ofType(rs, T.stateMachine)) {
      if (str(m.props, "type") !== "STANDARD") {
        report(
          `${label(m)}: type is ${JSON.stringify(m.props["type"])}; set type: "STANDARD" (approvals wait for a task token, which Express cannot, and only Standard StartExecution is idempotent).`,
        );
      }
      const logging = obj(m.props["loggingConfiguration"]);
      const level = str(logging ?? {}, "level");
      if (level === undefined || !LOGGING_LEVELS.includes(level)) {
        report(
          `${label(m)}: loggingConfiguration.level is ${JSON.stringify(level)}; set it to ERROR (or ALL) with a logDestination.`,
        );
      }
      if (logging?.["includeExecutionData"] !== false) {
        report(
          `${label(m)}: loggingConfiguration.includeExecutionData is ${JSON.stringify(logging?.["includeExecutionData"])}; set it to false (execution data holds the approval's task token).`,
        );
      }
      const destination = str(logging ?? {}, "logDestination");
      const group = destinationGroup(rs, destination);
      if (group === undefined) {
        report(
          `${label(m)}: loggingConfiguration.logDestination ${JSON.stringify(destination)} names no log group of the stack; set it to \`\${logGroup.arn}:*\`.`,
        );
      } else if (!isCustomerKey(group.props["kmsKeyId"])) {
        report(
          `${label(m)}: its log group "${group.name}" has kmsKeyId ${JSON.stringify(group.props["kmsKeyId"])}; encrypt it with the customer-managed key.`,
        );
      }
      const role = resolveRef(rs, m, "roleArn", T.iamRole);
      if (role === undefined) {
        report(
          `${label(m)}: roleArn ${JSON.stringify(m.props["roleArn"])} names no role of the stack; give it its own role.`,
        );
        continue;
      }
      let trust;
      try {
        trust = parsePolicyDocument(role.props["assumeRolePolicy"], label(role));
      } catch (e) {
        if (!(e instanceof PolicyDocumentError)) throw e;
        report(`${label(role)}: ${e.message}`);
        continue;
      }
      const principals = trust.Statement.flatMap((st) => arr(obj(st.Principal)?.["Service"]));
      if (principals.length !== 1 || principals[0] !== "states.amazonaws.com") {
        report(
          `${label(role)} (role of ${label(m)}): trusted by ${JSON.stringify(principals)}; trust states.amazonaws.com only.`,
        );
      }
      const granted = [
        role,
        ...ofType(rs, T.iamRolePolicy).filter((p) => refersTo(p.props["role"], role, p, "role")),
      ];
      if (ofType(rs, T.iamRolePolicyAttachment).some((a) => refersTo(a.props["role"], role, a, "role"))) {
        report(`${label(role)} (role of ${label(m)}): has an attached policy; grant only inline statements.`);
      }
      for (const g of granted) {
        withDocuments(g, report, (where, st, i) => {
          if (st.Effect !== "Allow") return;
          for (const a of st.Action ?? []) {
            const logDelivery = (LOG_DELIVERY_ACTIONS as readonly string[]).includes(a);
            if (a === "lambda:InvokeFunction") {
              const bad = (st.Resource ?? []).filter(
                (r) => !/^arn:aws:lambda:[^:]+:\d{12}:function:[^:*]+(:\*)?$/.test(r),
              );
              if (bad.length > 0) {
                report(
                  `${where} Statement[${i}]: lambda:InvokeFunction on ${bad.join(", ")}; name the task function's ARN (and its ":*").`,
                );
              }
            } else if (!logDelivery) {
              report(
                `${where} Statement[${i}]: the state machine's role grants ${a}; it may only invoke its task function and deliver its logs (${LOG_DELIVERY_ACTIONS.join(", ")}).`,
              );
            }
          }
        });
      }
    }
  },
};

/** Every policy of the pack, in the order the offline table prints them. */
export const allPolicies: readonly TapPolicy[] = [
  rdsStorageEncrypted,
  rdsPerformanceInsightsEncrypted,
  rdsMasterSecretManaged,
  s3DefaultEncryption,
  snsTopicEncrypted,
  logGroupEncrypted,
  rdsForceSsl,
  s3TlsOnly,
  snsTlsOnly,
  rdsNotPublic,
  s3PublicAccessBlocked,
  noWorldIngress,
  dbAccessOnlyFromMonitorSubnets,
  requiredTags,
  namesIncludeSuffix,
  destroyable,
  primaryBackupRetention,
  backupsReplicatedToDr,
  backupBucketsVersionedReplicated,
  alarmsHaveActions,
  replicaLagAlarm,
  iamNoWildcardAction,
  iamNoWildcardResource,
  stateMachineStandardLoggedLeastPrivilege,
];
