/**
 * The least-privilege matrix: for each TapStack role, what it must be able to do and what it
 * must never do, with the concrete ARNs of one synth inventory. Resources the stack does not
 * own ("another instance", "another zone") are made-up ARNs in the same account and region,
 * which is what a too-broad grant would also match.
 */
import { T, obj, str } from "./model";
import { accountOf, arnOf, type MatrixRow } from "./least-privilege";
import type { SynthOutput, SynthResource } from "./offline";
import { LOG_DELIVERY_ACTIONS, dbInstanceArn, defaultOptionGroupArn } from "../lib/infra/iam";
import { restoredInstanceId, restoreTestInstanceId } from "../lib/infra/topology";

/** The resources the matrix talks about, found in an inventory. */
export interface MatrixTargets {
  readonly account: string;
  /** Region of the writer instance (the primary region until a failover to a cross-region replica). */
  readonly primaryRegion: string;
  readonly drRegion: string;
  /** Region of the primary backup bucket and key (tap:primaryRegion), whichever instance writes. */
  readonly sourceRegion: string;
  readonly primaryDb: string;
  readonly replicaDb: string;
  readonly replicaRegion: string;
  readonly zone: string;
  readonly dbAlarmsTopic: string;
  readonly drEventsTopic: string;
  readonly primaryBucket: string;
  readonly drBucket: string;
  readonly primaryKey: string;
  readonly drKey: string;
  readonly primarySecurityGroup: string;
  /** `writer.<zone>` and `reader.<zone>`, the only names the failover function may change. */
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  /** The failover function's log group ARN, when the inventory has the function. */
  readonly failoverLogGroup?: string;
  /** The health-monitor's resources, when the inventory has the function. */
  readonly monitor?: {
    readonly logGroup: string;
    readonly failoverFunction: string;
    /** The health-monitor function itself (the failover function invokes it for WAL positions). */
    readonly monitorFunction: string;
    /** `rds-db:connect` resources of the monitor user on the primary and on the replica. */
    readonly primaryDbUser: string;
    readonly replicaDbUser: string;
  };
  /** The snapshot export's resources, when the inventory has the function. */
  readonly snapshotExport?: {
    readonly logGroup: string;
    /** The role RDS assumes to write exports. */
    readonly exportRole: string;
    /** The writer region's backup bucket and key, where exports are written. */
    readonly bucket: string;
    readonly key: string;
  };
  /** The failover workflow's resources, when the inventory has the state machine and the step runner. */
  readonly workflow?: {
    readonly stateMachine: string;
    /** `arn:aws:states:<dr>:<account>:execution:<machine>:*` */
    readonly executions: string;
    /** The step runner's unqualified ARN. */
    readonly stepRunner: string;
    readonly stepRunnerLogGroup: string;
    /** The state machine's log group. */
    readonly logGroup: string;
  };
  /**
   * The regional restore's resources, when the inventory has the DR region's subnet and parameter
   * groups (the restored instance itself is created by the workflow, never declared).
   */
  readonly restore?: {
    /** `rds-restored-<suffix>` in the DR region. */
    readonly restoredDb: string;
    /** The writer's identifier as a DR-region instance ARN (the backups lookup's filter). */
    readonly writerBackupsFilter: string;
    /** The writer's automated backups replicated to the DR region; absent when copied elsewhere. */
    readonly replicatedBackup?: string;
    readonly subnetGroup: string;
    readonly parameterGroup: string;
    /** The DR region's default option group of the engine major. */
    readonly optionGroup: string;
  };
  /** The restore test's resources, when the inventory has its state machine and restore-check function. */
  readonly restoreTest?: {
    /** `sfn-restore-test-<suffix>`. */
    readonly stateMachine: string;
    readonly logGroup: string;
    /** The restore-check function's unqualified ARN and its log group. */
    readonly restoreCheck: string;
    readonly restoreCheckLogGroup: string;
    /** `rds-restore-test-<suffix>` in the DR region (created and deleted by each test). */
    readonly testDb: string;
    /** The schedules' role is declared (not with `tap:restoreTestSchedule off`, nor while the writer lives in the DR region). */
    readonly scheduled: boolean;
  };
  /** The one-time bootstrap function's resources, when the inventory has the function. */
  readonly bootstrap?: {
    readonly logGroup: string;
    readonly masterSecret: string;
  };
}

/** The database role the health-monitor logs in as (`FUNCTION_SETTINGS.monitorDbUser`). */
export const MONITOR_DB_USER = "dr_monitor";

const tag = (r: SynthResource, k: string): string | undefined => {
  const t = r.inputs["tags"];
  return t && typeof t === "object" ? ((t as Record<string, unknown>)[k] as string | undefined) : undefined;
};

function one(synth: SynthOutput, what: string, pred: (r: SynthResource) => boolean): SynthResource {
  const found = synth.resources.filter(pred);
  if (found.length !== 1) {
    throw new Error(
      `least-privilege matrix: expected exactly one ${what} in the synth output, found ${found.length}`,
    );
  }
  return found[0];
}

/** Finds the matrix's resources; throws naming what is missing. */
export function findTargets(synth: SynthOutput, drRegion: string): MatrixTargets {
  const account = accountOf(synth);
  const arn = (r: SynthResource): string => arnOf(r, account);
  const isDb = (r: SynthResource): boolean => r.type === T.rdsInstance;
  // The writer is the instance the stack tags `DR-Slot-Role: writer` (it follows tap:activeWriter);
  // an inventory without the tag has one standalone instance, the writer. The other is the standby.
  const isWriter = (r: SynthResource): boolean => {
    const role = tag(r, "DR-Slot-Role");
    return role !== undefined ? role === "writer" : r.inputs["replicateSourceDb"] === undefined;
  };
  const primary = one(synth, "writer RDS instance", (r) => isDb(r) && isWriter(r));
  // After a regional restore with the lost writer kept there are three instances: the standby the
  // functions protect is the replica of the restored writer, and the kept lost writer has no grants.
  const others = synth.resources.filter((r) => isDb(r) && !isWriter(r));
  const replica =
    others.length > 1
      ? one(
          synth,
          "standby RDS instance (the replica)",
          (r) => isDb(r) && tag(r, "DR-Slot-Role") === "replica",
        )
      : one(synth, "standby RDS instance", (r) => isDb(r) && !isWriter(r));
  const inDr = (r: SynthResource): boolean => r.region === drRegion;
  const bucket = (dr: boolean) =>
    one(
      synth,
      `${dr ? "DR" : "primary"} backup bucket`,
      (r) => (r.type === T.s3Bucket || r.type === T.s3BucketV2) && inDr(r) === dr,
    );
  const topic = (dr: boolean) =>
    one(synth, `${dr ? "DR" : "primary"} SNS topic`, (r) => r.type === T.snsTopic && inDr(r) === dr);
  const key = (dr: boolean) =>
    one(synth, `${dr ? "DR" : "primary"} KMS key`, (r) => r.type === T.kmsKey && inDr(r) === dr);
  const zone = one(synth, "Route 53 zone", (r) => r.type === "aws:route53/zone:Zone");
  const sgIds = (primary.inputs["vpcSecurityGroupIds"] as unknown[] | undefined) ?? [];
  const sg = synth.resources.find(
    (r) =>
      r.type === T.securityGroup &&
      sgIds.some((id) => id === r.id || id === r.name || id === r.outputs?.["id"]),
  );
  const primaryRegion = primary.region ?? "";
  const logGroup = (fn: string): string | undefined => {
    const lg = synth.resources.find(
      (r) => r.type === T.logGroup && (str(r.inputs, "name") ?? "").startsWith(`/aws/lambda/lambda-${fn}-`),
    );
    return lg ? arn(lg) : undefined;
  };
  const fn = (name: string): SynthResource | undefined =>
    synth.resources.find(
      (r) => r.type === T.lambdaFunction && (str(r.inputs, "name") ?? "").startsWith(`lambda-${name}-`),
    );
  const resourceId = (db: SynthResource): string => String(db.outputs?.["resourceId"] ?? "db-UNKNOWN");
  const dbUser = (db: SynthResource, region: string): string =>
    `arn:aws:rds-db:${region}:${account}:dbuser:${resourceId(db)}/${MONITOR_DB_USER}`;
  const failoverFn = fn("failover");
  const monitorFn = fn("health-monitor");
  const exportRole = synth.resources.find(
    (r) => r.type === T.iamRole && r.name.startsWith("iam-rds-export-"),
  );
  const monitorLogs = logGroup("health-monitor");
  const stepRunnerFn = fn("step-runner");
  const stepRunnerLogs = logGroup("step-runner");
  const machineNamed = (prefix: string): SynthResource | undefined =>
    synth.resources.find(
      (r) =>
        r.type === "aws:sfn/stateMachine:StateMachine" && (str(r.inputs, "name") ?? "").startsWith(prefix),
    );
  const machineLogsNamed = (prefix: string): SynthResource | undefined =>
    synth.resources.find(
      (r) =>
        r.type === T.logGroup && (str(r.inputs, "name") ?? "").startsWith(`/aws/vendedlogs/states/${prefix}`),
    );
  const machine = machineNamed("sfn-failover-");
  const machineLogs = machineLogsNamed("sfn-failover-");
  const restoreTestMachine = machineNamed("sfn-restore-test-");
  const restoreTestMachineLogs = machineLogsNamed("sfn-restore-test-");
  const restoreCheckFn = fn("restore-check");
  const restoreCheckLogs = logGroup("restore-check");
  const bootstrapLogs = logGroup("db-bootstrap");
  const secrets = primary.outputs?.["masterUserSecrets"];
  const masterSecret = Array.isArray(secrets) ? String(obj(secrets[0])?.["secretArn"] ?? "") : "";
  const zoneName = str(zone.inputs, "name") ?? "";
  const inDrOfType = (type: string): SynthResource | undefined =>
    synth.resources.find((r) => r.type === type && inDr(r));
  const rdsArn = (r: SynthResource, kind: string): string => {
    const recorded = r.outputs?.["arn"];
    return typeof recorded === "string" && recorded.startsWith("arn:")
      ? recorded
      : `arn:aws:rds:${drRegion}:${account}:${kind}:${str(r.inputs, "name") ?? r.id ?? r.name}`;
  };
  const drSubnetGroup = inDrOfType(T.rdsSubnetGroup);
  const drParameterGroup = inDrOfType(T.rdsParameterGroup);
  const suffix = tag(primary, "Environment");
  // The copy a restore starts from: the writer's, in the DR region (its id is the auto-backup ARN).
  const writerCopy = synth.resources.find(
    (r) => r.type === T.rdsBackupReplication && inDr(r) && r.inputs["sourceDbInstanceArn"] === arn(primary),
  );
  const copyArn = [writerCopy?.id, writerCopy?.outputs?.["arn"]].find(
    (x): x is string => typeof x === "string" && x.startsWith("arn:aws:rds:"),
  );
  const writerId = arn(primary).slice(arn(primary).indexOf(":db:") + 4);
  return {
    account,
    primaryRegion,
    drRegion,
    sourceRegion: bucket(false).region ?? primaryRegion,
    primaryDb: arn(primary),
    replicaDb: arn(replica),
    replicaRegion: replica.region ?? primaryRegion,
    zone: arn(zone),
    dbAlarmsTopic: arn(topic(false)),
    drEventsTopic: arn(topic(true)),
    primaryBucket: arn(bucket(false)),
    drBucket: arn(bucket(true)),
    primaryKey: arn(key(false)),
    drKey: arn(key(true)),
    primarySecurityGroup: sg
      ? arn(sg)
      : `arn:aws:ec2:${primaryRegion}:${account}:security-group/${String(sgIds[0] ?? "sg-unknown")}`,
    writerRecordName: `writer.${zoneName}`,
    readerRecordName: `reader.${zoneName}`,
    ...(logGroup("failover") ? { failoverLogGroup: logGroup("failover") } : {}),
    ...(monitorFn && monitorLogs && failoverFn
      ? {
          monitor: {
            logGroup: monitorLogs,
            failoverFunction: arn(failoverFn),
            monitorFunction: arn(monitorFn),
            primaryDbUser: dbUser(primary, primaryRegion),
            replicaDbUser: dbUser(replica, replica.region ?? primaryRegion),
          },
        }
      : {}),
    ...(fn("snapshot-export") && logGroup("snapshot-export") && exportRole
      ? {
          snapshotExport: {
            logGroup: logGroup("snapshot-export") as string,
            exportRole: arn(exportRole),
            // RDS exports within the writer's region: that region's bucket and key.
            bucket: arn(bucket(primaryRegion === drRegion)),
            key: arn(key(primaryRegion === drRegion)),
          },
        }
      : {}),
    ...(machine && machineLogs && stepRunnerFn && stepRunnerLogs
      ? {
          workflow: {
            stateMachine: String(machine.outputs?.["arn"]),
            executions: `${String(machine.outputs?.["arn"]).replace(":stateMachine:", ":execution:")}:*`,
            stepRunner: arn(stepRunnerFn),
            stepRunnerLogGroup: stepRunnerLogs,
            logGroup: arn(machineLogs),
          },
        }
      : {}),
    ...(drSubnetGroup && drParameterGroup && suffix
      ? {
          restore: {
            restoredDb: dbInstanceArn(drRegion, account, restoredInstanceId(suffix)),
            writerBackupsFilter: dbInstanceArn(drRegion, account, writerId),
            ...(copyArn !== undefined ? { replicatedBackup: copyArn } : {}),
            subnetGroup: rdsArn(drSubnetGroup, "subgrp"),
            parameterGroup: rdsArn(drParameterGroup, "pg"),
            optionGroup: defaultOptionGroupArn(
              drRegion,
              account,
              str(drParameterGroup.inputs, "family") ?? "postgres14",
            ),
          },
        }
      : {}),
    ...(restoreTestMachine && restoreTestMachineLogs && restoreCheckFn && restoreCheckLogs && suffix
      ? {
          restoreTest: {
            stateMachine: String(restoreTestMachine.outputs?.["arn"]),
            logGroup: arn(restoreTestMachineLogs),
            restoreCheck: arn(restoreCheckFn),
            restoreCheckLogGroup: restoreCheckLogs,
            testDb: dbInstanceArn(drRegion, account, restoreTestInstanceId(suffix)),
            scheduled: synth.resources.some(
              (r) => r.type === T.iamRole && r.name.startsWith("iam-events-restore-"),
            ),
          },
        }
      : {}),
    ...(fn("db-bootstrap") && bootstrapLogs && masterSecret !== ""
      ? { bootstrap: { logGroup: bootstrapLogs, masterSecret } }
      : {}),
  };
}

/** Builds every row of the matrix for one inventory. */
export function buildMatrix(t: MatrixTargets): MatrixRow[] {
  const other = {
    db: (region: string) => `arn:aws:rds:${region}:${t.account}:db:payments-ledger`,
    zone: "arn:aws:route53:::hostedzone/ZOTHERZONE0001",
    topic: `arn:aws:sns:${t.drRegion}:${t.account}:billing-events`,
    key: `arn:aws:kms:${t.drRegion}:${t.account}:key/99999999-9999-9999-9999-999999999999`,
    sg: `arn:aws:ec2:${t.primaryRegion}:${t.account}:security-group/sg-0other`,
    role: `arn:aws:iam::${t.account}:role/admin`,
  };
  const rows: MatrixRow[] = [];
  const allow = (
    role: string,
    action: string,
    resource: string,
    why: string,
    extra: Partial<MatrixRow> = {},
  ): void => {
    rows.push({ role, action, resource, expected: "allow", why, ...extra });
  };
  const deny = (
    role: string,
    action: string,
    resource: string,
    why: string,
    extra: Partial<MatrixRow> = {},
  ): void => {
    rows.push({ role, action, resource, expected: "deny", why, ...extra });
  };
  /**
   * A state machine's role: it invokes exactly `tasks` (unqualified and any version), delivers its
   * own logs, and no other function, the failover function or the health-monitor.
   */
  const stateMachineRole = (
    m: string,
    stepRunner: string,
    tasks: readonly { readonly fn: string; readonly name: string; readonly why: string }[],
  ): void => {
    for (const task of tasks) {
      allow(m, "lambda:InvokeFunction", task.fn, task.why);
      allow(m, "lambda:InvokeFunction", `${task.fn}:1`, `a task naming a version of ${task.name}`, {
        scope: `${task.fn}:*`,
      });
    }
    for (const a of LOG_DELIVERY_ACTIONS) {
      allow(m, a, "*", 'Step Functions delivers the execution logs under the role (AWS documents "*")', {
        scope: "*",
      });
    }
    deny(m, "lambda:InvokeFunction", stepRunner.replace(/[^:]+$/, "payments-api"), "no other function");
    deny(
      m,
      "lambda:InvokeFunction",
      t.monitor?.failoverFunction ?? stepRunner.replace(/step-runner/, "failover"),
      "never the failover function",
    );
    deny(
      m,
      "lambda:InvokeFunction",
      t.monitor?.monitorFunction ?? stepRunner.replace(/step-runner/, "health-monitor"),
      "never the health-monitor",
    );
  };
  const viaS3 = { "kms:ViaService": `s3.${t.drRegion}.amazonaws.com` };
  const viaSns = { "kms:ViaService": `sns.${t.drRegion}.amazonaws.com` };
  const viaS3Primary = { "kms:ViaService": `s3.${t.sourceRegion}.amazonaws.com` };

  // ---- the failover function and the step runner --------------------------------------------
  // Both read the same cluster snapshot and alert ledger; only the step runner acts (`can`). For
  // the failover function every acting row is a must-deny: it decides and starts the workflow only.
  const snapshotAndActions = (f: string, acting: boolean, logGroup: string | undefined): void => {
    const can = (
      role: string,
      action: string,
      resource: string,
      why: string,
      extra: Partial<MatrixRow> = {},
    ) => {
      if (acting) allow(role, action, resource, why, extra);
      else
        deny(role, action, resource, `the step runner's, never the failover function's: ${why}`, {
          ...(extra.context !== undefined ? { context: extra.context } : {}),
        });
    };
    allow(f, "rds:DescribeDBInstances", t.primaryDb, "reads the primary's status");
    allow(f, "rds:DescribeDBInstances", t.replicaDb, "reads the replica's status");
    can(f, "rds:PromoteReadReplica", t.replicaDb, "promotes this replica");
    can(f, "ec2:RevokeSecurityGroupIngress", t.primarySecurityGroup, "fences the old primary");
    // The fencing adapter reads rules with DescribeSecurityGroupRules only; DescribeSecurityGroups
    // was a guess of the first matrix and is not granted.
    deny(f, "ec2:DescribeSecurityGroups", "*", "fencing reads rules, never whole groups");
    can(f, "ec2:DescribeSecurityGroupRules", "*", "finds the client-ingress rules to revoke", { scope: "*" });
    const change = (name: string, type: string, action: string): Record<string, string[]> => ({
      "route53:ChangeResourceRecordSetsNormalizedRecordNames": [name],
      "route53:ChangeResourceRecordSetsRecordTypes": [type],
      "route53:ChangeResourceRecordSetsActions": [action],
    });
    can(f, "route53:ChangeResourceRecordSets", t.zone, "switches writer.<zone>", {
      context: change(t.writerRecordName, "CNAME", "UPSERT"),
    });
    can(f, "route53:ChangeResourceRecordSets", t.zone, "repoints reader.<zone>", {
      context: change(t.readerRecordName, "CNAME", "UPSERT"),
    });
    deny(f, "route53:ChangeResourceRecordSets", t.zone, "no other name in the zone", {
      context: change(`payments.${t.writerRecordName.replace(/^writer\./, "")}`, "CNAME", "UPSERT"),
    });
    deny(f, "route53:ChangeResourceRecordSets", t.zone, "CNAMEs only", {
      context: change(t.writerRecordName, "A", "UPSERT"),
    });
    deny(f, "route53:ChangeResourceRecordSets", t.zone, "records are switched, never deleted", {
      context: change(t.writerRecordName, "CNAME", "DELETE"),
    });
    allow(f, "route53:ListResourceRecordSets", t.zone, "reads where writer.<zone> points");
    can(f, "route53:GetChange", "arn:aws:route53:::change/C0123456789", "waits for INSYNC", {
      scope: "arn:aws:route53:::change/*",
    });
    allow(f, "sns:Publish", t.drEventsTopic, "notifies start / success / failure");
    can(f, "s3:PutObject", `${t.drBucket}/reports/failover/2026-01-01.json`, "writes the audit report", {
      scope: `${t.drBucket}/reports/*`,
    });
    deny(f, "s3:GetObject", `${t.drBucket}/reports/failover/2026-01-01.json`, "reports are never read back");
    allow(f, "s3:ListBucket", t.drBucket, "checks whether the report exists (resume), by listing its key", {
      context: { "s3:prefix": "reports/failover/2026-01-01.json" },
    });
    allow(
      f,
      "s3:GetObject",
      `${t.drBucket}/alerts/failover-blocked-0a1b2c3d.json`,
      "reads when an alert was last sent",
      {
        scope: `${t.drBucket}/alerts/*`,
      },
    );
    allow(
      f,
      "s3:PutObject",
      `${t.drBucket}/alerts/failover-blocked-0a1b2c3d.json`,
      "records an alert's send time",
      {
        scope: `${t.drBucket}/alerts/*`,
      },
    );
    allow(f, "s3:ListBucket", t.drBucket, "checks whether an alert record exists, by listing its key", {
      context: { "s3:prefix": "alerts/failover-blocked-0a1b2c3d.json" },
    });
    allow(f, "kms:Decrypt", t.drKey, "reads an SSE-KMS alert record", { context: viaS3 });
    deny(
      f,
      "s3:DeleteObject",
      `${t.drBucket}/alerts/failover-blocked-0a1b2c3d.json`,
      "alert records are overwritten, never deleted",
    );
    deny(f, "s3:GetObject", `${t.drBucket}/alertsx/leak.json`, "the ledger prefix is exactly alerts/");
    deny(f, "s3:PutObject", `${t.drBucket}/alert.json`, "nothing outside alerts/ and reports/ is written");
    deny(
      f,
      "s3:GetObject",
      `${t.primaryBucket}/alerts/failover-blocked-0a1b2c3d.json`,
      "the ledger lives in the DR bucket only",
    );
    deny(
      f,
      "s3:PutObject",
      `${t.drBucket}/alerts/failover-blocked-0a1b2c3d.json`,
      "TLS only (bucket policy)",
      {
        context: { "aws:SecureTransport": "false" },
      },
    );
    deny(f, "s3:ListBucket", t.drBucket, "the bucket is never listed whole", {
      context: { "s3:prefix": "" },
    });
    deny(f, "s3:ListBucket", t.drBucket, "backup exports are not listed", {
      context: { "s3:prefix": "exports/" },
    });
    allow(f, "kms:GenerateDataKey", t.drKey, "encrypts the report (SSE-KMS)", { context: viaS3 });
    allow(f, "kms:Decrypt", t.drKey, "multipart upload of a large report (SSE-KMS)", { context: viaS3 });
    allow(f, "kms:GenerateDataKey", t.drKey, "publishes to the encrypted topic", { context: viaSns });
    allow(f, "cloudwatch:GetMetricData", "*", "reads the last healthy lag", { scope: "*" });
    allow(f, "cloudwatch:GetMetricData", "*", "reads RDS's own metric stream of the primary in its region", {
      scope: "*",
    });
    allow(f, "cloudwatch:GetMetricData", "*", "reads back its own PrimaryRegionApiReachable history", {
      scope: "*",
    });
    deny(f, "rds:PromoteReadReplica", t.primaryDb, "the primary is never promoted");
    deny(f, "rds:PromoteReadReplica", other.db(t.replicaRegion), "no other instance is ever promoted");
    deny(f, "rds:DeleteDBInstance", t.replicaDb, "failover never deletes the replica");
    deny(f, "rds:DeleteDBInstance", t.primaryDb, "failover never deletes the primary");
    deny(f, "rds:DeleteDBInstance", other.db(t.primaryRegion), "no other instance is deleted");
    deny(f, "rds:ModifyDBInstance", t.primaryDb, "only the promoted replica's backups are changed");
    can(
      f,
      "rds:RebootDBInstance",
      t.primaryDb,
      "the fence reboots a writer that still answers: revoking a rule does not cut tracked connections",
    );
    deny(f, "rds:RebootDBInstance", t.replicaDb, "the standby, about to be promoted, is never rebooted");
    can(f, "rds:AddTagsToResource", t.primaryDb, "the fence marks the old writer tap:fenced-at", {
      context: { "aws:TagKeys": ["tap:fenced-at"] },
    });
    deny(f, "rds:AddTagsToResource", t.primaryDb, "no other tag key", {
      context: { "aws:TagKeys": ["DR-Slot-Role"] },
    });
    deny(f, "rds:AddTagsToResource", t.replicaDb, "the standby is never marked fenced", {
      context: { "aws:TagKeys": ["tap:fenced-at"] },
    });
    can(
      f,
      "rds:RemoveTagsFromResource",
      t.primaryDb,
      "undoing a stopped switchover's fence removes its mark",
      {
        context: { "aws:TagKeys": ["tap:fenced-at"] },
      },
    );
    deny(f, "rds:RemoveTagsFromResource", t.primaryDb, "no other tag key", {
      context: { "aws:TagKeys": ["DR-Slot-Role"] },
    });
    for (const action of ["rds:AddTagsToResource", "rds:RemoveTagsFromResource"]) {
      can(f, action, t.replicaDb, "marks the promotion before requesting it, unmarks a refused one", {
        context: { "aws:TagKeys": ["tap:promotion-requested-at"] },
      });
    }
    deny(f, "rds:AddTagsToResource", t.replicaDb, "no other tag key on the standby", {
      context: { "aws:TagKeys": ["DR-Slot-Role"] },
    });
    can(f, "rds:ModifyDBInstance", t.replicaDb, "turns backups on once the promoted replica serves writes");
    deny(f, "rds:ModifyDBInstance", other.db(t.replicaRegion), "no other instance is modified");
    deny(f, "rds:RebootDBInstance", other.db(t.primaryRegion), "no other instance is ever rebooted");
    deny(f, "ec2:RevokeSecurityGroupIngress", other.sg, "only the primary's group is fenced");
    can(
      f,
      "ec2:AuthorizeSecurityGroupIngress",
      t.primarySecurityGroup,
      "undoing a stopped switchover's fence re-admits exactly the revoked clients",
    );
    deny(f, "ec2:AuthorizeSecurityGroupIngress", other.sg, "no other group's ingress is opened");
    deny(f, "route53:ChangeResourceRecordSets", other.zone, "other zones are not touched");
    deny(f, "route53:DeleteHostedZone", t.zone, "the zone itself is not touched");
    deny(f, "sns:Publish", other.topic, "only the DR topic");
    deny(f, "s3:GetObject", `${t.drBucket}/exports/snapshot-0001.parquet`, "backup data is not readable");
    deny(
      f,
      "s3:GetObject",
      `${t.primaryBucket}/exports/snapshot-0001.parquet`,
      "backup data is not readable",
    );
    deny(f, "s3:PutObject", `${t.drBucket}/exports/snapshot-0001.parquet`, "writes only under reports/");
    deny(f, "s3:DeleteObject", `${t.drBucket}/reports/failover/2026-01-01.json`, "reports are never deleted");
    deny(f, "s3:PutObject", `${t.drBucket}/reports/failover/2026-01-01.json`, "TLS only (bucket policy)", {
      context: { "aws:SecureTransport": "false" },
    });
    deny(f, "kms:Decrypt", other.key, "no other KMS key");
    deny(f, "kms:Decrypt", t.primaryKey, "the primary-region key protects backup data");
    deny(f, "kms:Decrypt", t.drKey, "the DR key only through S3 or SNS", {
      context: { "kms:ViaService": `secretsmanager.${t.drRegion}.amazonaws.com` },
    });
    deny(f, "iam:PassRole", other.role, "never passes roles");
    deny(f, "iam:PutRolePolicy", other.role, "never touches IAM");
    deny(f, "iam:AttachRolePolicy", other.role, "never touches IAM");
    deny(
      f,
      "secretsmanager:GetSecretValue",
      `arn:aws:secretsmanager:${t.primaryRegion}:${t.account}:secret:rds!db-master-AbCdEf`,
      "never reads the master secret",
    );

    if (t.restore !== undefined) {
      const r = t.restore;
      const restore = "rds:RestoreDBInstanceToPointInTime";
      const viaRdsDr = { "kms:ViaService": `rds.${t.drRegion}.amazonaws.com` };
      const otherBackup = `arn:aws:rds:${t.drRegion}:${t.account}:auto-backup:ab-paymentsledger0000000000000`;
      allow(f, "rds:DescribeDBInstances", r.restoredDb, "reads back the instance a regional restore created");
      allow(
        f,
        "rds:DescribeDBInstanceAutomatedBackups",
        r.writerBackupsFilter,
        "finds the writer's backups replicated to the DR region, by its identifier",
      );
      if (r.replicatedBackup !== undefined) {
        allow(
          f,
          "rds:DescribeDBInstanceAutomatedBackups",
          r.replicatedBackup,
          "reads the writer's replicated backups (restorable window)",
        );
        can(f, restore, r.restoredDb, "a regional restore creates rds-restored-<suffix>");
        can(f, restore, r.replicatedBackup, "restores from the writer's backups replicated to the DR region");
        can(f, restore, r.subnetGroup, "places the restored instance in the DR VPC's private subnets");
        can(f, restore, r.parameterGroup, "gives the restored instance the TLS-only PostgreSQL 14 group");
        can(f, restore, r.optionGroup, "the restored instance keeps the engine's default option group");
        can(f, "rds:AddTagsToResource", r.restoredDb, "tags the restored instance at creation");
        for (const a of ["kms:CreateGrant", "kms:DescribeKey"]) {
          can(f, a, t.drKey, "RDS encrypts the restored instance with the DR key for the caller", {
            context: viaRdsDr,
          });
        }
      }
      deny(f, "rds:DescribeDBInstanceAutomatedBackups", otherBackup, "no other instance's backups");
      deny(f, restore, other.db(t.drRegion), "never restores into another identifier");
      deny(f, restore, t.replicaDb, "never restores over an instance of the stack");
      deny(f, restore, otherBackup, "never restores another instance's backups");
      deny(
        f,
        restore,
        `arn:aws:rds:${t.drRegion}:${t.account}:subgrp:default`,
        "never into the region's default subnet group",
      );
      deny(
        f,
        restore,
        `arn:aws:rds:${t.drRegion}:${t.account}:pg:default.postgres14`,
        "never with the engine's default parameter group (no rds.force_ssl)",
      );
      deny(f, "rds:DeleteDBInstance", r.restoredDb, "never deletes the restored instance");
      deny(f, "rds:AddTagsToResource", other.db(t.drRegion), "tags no other DR-region instance");
      deny(f, "kms:CreateGrant", t.drKey, "grants on the DR key only through RDS", { context: viaS3 });
      deny(f, "kms:CreateGrant", t.primaryKey, "never grants on the primary-region key", {
        context: { "kms:ViaService": `rds.${t.sourceRegion}.amazonaws.com` },
      });
    }

    if (logGroup !== undefined) {
      for (const a of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
        allow(f, a, `${logGroup}:log-stream:2026/01/01/[$LATEST]0123`, "writes its own logs", {
          scope: `${logGroup}:*`,
        });
      }
      deny(f, "logs:CreateLogGroup", logGroup, "the log group is the stack's (retention, KMS)");
    }
    if (t.monitor !== undefined) {
      can(
        f,
        "lambda:InvokeFunction",
        t.monitor.monitorFunction,
        "reads a switchover's WAL positions through the health-monitor",
      );
      deny(
        f,
        "lambda:InvokeFunction",
        t.monitor.monitorFunction.replace(/[^:]+$/, "payments-api"),
        "no other function",
      );
      deny(f, "lambda:InvokeFunction", t.monitor.failoverFunction, "never invokes itself");
    }
  };
  snapshotAndActions("iam-failover", false, t.failoverLogGroup);
  if (t.workflow !== undefined) {
    const w = t.workflow;
    const f = "iam-failover";
    const execution = `${w.executions.slice(0, -1)}failover-rds-replica-2026-01-01T00-00-00Z`;
    allow(f, "states:StartExecution", w.stateMachine, "starts the failover workflow");
    allow(f, "states:ListExecutions", w.stateMachine, "finds a running failover execution");
    allow(f, "states:DescribeExecution", execution, "reads back an execution that already exists", {
      scope: w.executions,
    });
    const otherMachine = w.stateMachine.replace(/[^:]+$/, "payments-batch");
    deny(f, "states:StartExecution", otherMachine, "no other state machine");
    deny(
      f,
      "states:DescribeExecution",
      `${otherMachine.replace(":stateMachine:", ":execution:")}:run-1`,
      "no other machine's executions",
    );
    deny(f, "states:StopExecution", execution, "never stops a failover");
    deny(f, "states:SendTaskSuccess", "*", "approvals are an operator's, never the function's");
    deny(f, "states:UpdateStateMachine", w.stateMachine, "never changes the workflow");

    const r = "iam-step-runner";
    snapshotAndActions(r, true, w.stepRunnerLogGroup);
    deny(r, "states:StartExecution", w.stateMachine, "the step runner never starts a workflow");
    deny(r, "states:SendTaskSuccess", "*", "never approves its own failover");
    deny(r, "lambda:InvokeFunction", w.stepRunner, "never invokes itself");

    const m = "iam-sfn-failover";
    stateMachineRole(m, w.stepRunner, [
      { fn: w.stepRunner, name: "the step runner", why: "runs each task on the step runner" },
      // VerifyRestored: the regional restore's check query, before writer moves.
      {
        fn: w.stepRunner.replace(/step-runner/, "restore-check"),
        name: "restore-check",
        why: "a regional restore verifies the restored instance",
      },
    ]);
    deny(m, "states:StartExecution", w.stateMachine, "never starts executions");
    deny(m, "rds:PromoteReadReplica", t.replicaDb, "acts only through the step runner");
    deny(m, "ec2:RevokeSecurityGroupIngress", t.primarySecurityGroup, "acts only through the step runner");
    deny(m, "route53:ChangeResourceRecordSets", t.zone, "acts only through the step runner");
    deny(m, "sns:Publish", t.drEventsTopic, "notifies only through the step runner");
    deny(
      m,
      "s3:PutObject",
      `${t.drBucket}/reports/failover/2026-01-01.json`,
      "writes reports only through the step runner",
    );
    deny(
      m,
      "logs:PutLogEvents",
      `${w.logGroup}:log-stream:s`,
      "log events are delivered by Step Functions, not written by the role",
    );
    deny(m, "kms:Decrypt", t.drKey, "no key");
    deny(m, "iam:PassRole", other.role, "never passes roles");
  }

  // ---- snapshot export: the function's role and the role RDS assumes -------------------------
  if (t.snapshotExport !== undefined) {
    const x = "iam-snapshot-export";
    const e = t.snapshotExport;
    const rdsArn = t.primaryDb.slice(0, t.primaryDb.indexOf(":db:"));
    const writerId = t.primaryDb.slice(t.primaryDb.indexOf(":db:") + 4);
    const standbyId = t.replicaDb.slice(t.replicaDb.indexOf(":db:") + 4);
    const snapshots = `${rdsArn}:snapshot:rds:${writerId}-*`;
    const snapshot = `${rdsArn}:snapshot:rds:${writerId}-2026-01-01-16-05`;
    const viaRds = { "kms:ViaService": `rds.${t.primaryRegion}.amazonaws.com` };
    allow(x, "rds:DescribeDBSnapshots", t.primaryDb, "lists the writer's automated snapshots");
    allow(x, "rds:DescribeDBSnapshots", snapshot, "reads the writer's snapshots", { scope: snapshots });
    allow(x, "rds:DescribeExportTasks", "*", "lists export tasks (no resource-level permission)", {
      scope: "*",
    });
    allow(x, "rds:StartExportTask", snapshot, "exports the writer's newest snapshot", { scope: snapshots });
    allow(x, "iam:PassRole", e.exportRole, "hands the export role to RDS", {
      context: { "iam:PassedToService": "export.rds.amazonaws.com" },
    });
    for (const a of ["kms:CreateGrant", "kms:DescribeKey"]) {
      allow(x, a, e.key, "lets RDS encrypt the export with the writer region's key", { context: viaRds });
    }
    for (const a of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
      allow(x, a, `${e.logGroup}:log-stream:2026/01/01/[$LATEST]0123`, "writes its own logs", {
        scope: `${e.logGroup}:*`,
      });
    }
    deny(
      x,
      "rds:StartExportTask",
      `${rdsArn}:snapshot:rds:${standbyId}-2026-01-01-16-05`,
      "only the writer's snapshots",
    );
    deny(
      x,
      "rds:StartExportTask",
      `${rdsArn}:snapshot:rds:payments-ledger-2026-01-01-16-05`,
      "no other instance",
    );
    deny(x, "iam:PassRole", e.exportRole, "the export role goes to RDS exports only", {
      context: { "iam:PassedToService": "lambda.amazonaws.com" },
    });
    deny(x, "iam:PassRole", other.role, "passes no other role");
    deny(x, "kms:CreateGrant", e.key, "grants only through RDS", {
      context: { "kms:ViaService": `s3.${t.primaryRegion}.amazonaws.com` },
    });
    deny(x, "kms:Decrypt", e.key, "never reads exported data");
    deny(x, "s3:GetObject", `${e.bucket}/exports/snapshot-0001.parquet`, "never reads exported data");
    deny(x, "rds:DeleteDBInstance", t.primaryDb, "never changes the database");
    deny(x, "rds:PromoteReadReplica", t.replicaDb, "never acts on the cluster");

    const r = "iam-rds-export";
    for (const a of ["s3:ListBucket", "s3:GetBucketLocation"]) {
      allow(r, a, e.bucket, "RDS locates and lists the export bucket");
    }
    for (const a of ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"]) {
      allow(r, a, `${e.bucket}/exports/rds-primary/snapshot-0001/part-0.parquet`, "RDS writes the export", {
        scope: `${e.bucket}/exports/*`,
      });
    }
    for (const a of [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:CreateGrant",
      "kms:DescribeKey",
      "kms:RetireGrant",
    ]) {
      allow(r, a, e.key, "RDS encrypts the exported files");
    }
    deny(
      r,
      "s3:PutObject",
      `${e.bucket}/reports/failover/2026-01-01.json`,
      "never touches the failover reports",
    );
    deny(
      r,
      "s3:PutObject",
      `${t.drBucket === e.bucket ? t.primaryBucket : t.drBucket}/exports/x.parquet`,
      "only the writer region's bucket",
    );
    deny(r, "kms:Decrypt", other.key, "no other key");
    deny(r, "rds:StartExportTask", snapshot, "the export role itself starts nothing");
    deny(r, "iam:PassRole", other.role, "never passes roles");
  }

  // ---- health-monitor function -------------------------------------------------------------
  const eni = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
  ];
  const vpcFunction = (role: string, logGroupArn: string): void => {
    for (const a of eni) {
      allow(role, a, "*", "Lambda manages the function's ENIs in its VPC", { scope: "*" });
    }
    for (const a of ["logs:CreateLogStream", "logs:PutLogEvents"]) {
      allow(role, a, `${logGroupArn}:log-stream:2026/01/01/[$LATEST]0123`, "writes its own logs", {
        scope: `${logGroupArn}:*`,
      });
    }
    deny(
      role,
      "logs:PutLogEvents",
      `${t.failoverLogGroup ?? "arn:aws:logs:x:0:log-group:other"}:log-stream:s`,
      "only its own logs",
    );
    deny(role, "rds:PromoteReadReplica", t.replicaDb, "never acts on the cluster");
    deny(role, "route53:ChangeResourceRecordSets", t.zone, "never touches DNS");
    deny(role, "ec2:RevokeSecurityGroupIngress", t.primarySecurityGroup, "never fences");
    deny(role, "iam:PassRole", other.role, "never passes roles");
  };
  if (t.monitor !== undefined) {
    const m = "iam-health-monitor";
    const masterSecret =
      t.bootstrap?.masterSecret ??
      `arn:aws:secretsmanager:${t.primaryRegion}:${t.account}:secret:rds!db-master-AbCdEf`;
    allow(m, "rds-db:connect", t.monitor.primaryDbUser, "probes the primary with IAM authentication");
    allow(m, "rds-db:connect", t.monitor.replicaDbUser, "reads the heartbeat on the replica");
    deny(
      m,
      "rds-db:connect",
      t.monitor.primaryDbUser.replace(/[^/]+$/, "tap_admin"),
      "never logs in as another database user",
    );
    allow(m, "lambda:InvokeFunction", t.monitor.failoverFunction, "hands each run's result to failover");
    deny(
      m,
      "lambda:InvokeFunction",
      t.monitor.failoverFunction.replace(/[^:]+$/, "payments-api"),
      "no other function",
    );
    deny(m, "secretsmanager:GetSecretValue", masterSecret, "never holds the master password");
    deny(m, "kms:Decrypt", t.primaryKey, "never decrypts the master secret");
    vpcFunction(m, t.monitor.logGroup);
  }

  // ---- db-bootstrap function (one-time, primary region) -------------------------------------
  if (t.bootstrap !== undefined) {
    const b = "iam-db-bootstrap";
    const viaSecrets = { "kms:ViaService": `secretsmanager.${t.sourceRegion}.amazonaws.com` };
    allow(b, "secretsmanager:GetSecretValue", t.bootstrap.masterSecret, "reads the master credentials once");
    deny(
      b,
      "secretsmanager:GetSecretValue",
      `arn:aws:secretsmanager:${t.primaryRegion}:${t.account}:secret:payments-api-AbCdEf`,
      "no other secret",
    );
    // The bootstrap lives in the primary region's VPC (tap:primaryRegion) with that region's key.
    allow(b, "kms:Decrypt", t.primaryKey, "decrypts the master secret", { context: viaSecrets });
    deny(b, "kms:Decrypt", t.primaryKey, "only through Secrets Manager", { context: viaS3Primary });
    deny(b, "kms:Decrypt", t.drKey, "no other key", { context: viaSecrets });
    deny(
      b,
      "rds-db:connect",
      t.monitor?.primaryDbUser ?? t.primaryDb,
      "logs in with the master password, never IAM",
    );
    vpcFunction(b, t.bootstrap.logGroup);
  }

  // ---- the restore test: the step runner's part, its state machine, restore-check, schedules ---
  if (t.restoreTest !== undefined && t.workflow !== undefined) {
    const rt = t.restoreTest;
    const w = t.workflow;
    const r = "iam-step-runner";
    const restore = "rds:RestoreDBInstanceToPointInTime";
    const report = `${t.drBucket}/restore-tests/2026-01-04/restore-test-0123.json`;
    const reports = { scope: `${t.drBucket}/restore-tests/*` };
    if (t.restore?.replicatedBackup !== undefined) {
      allow(
        r,
        restore,
        rt.testDb,
        "a restore test restores the replicated backups into rds-restore-test-<suffix>",
      );
      allow(
        r,
        "rds:AddTagsToResource",
        rt.testDb,
        "tags the test instance (DR-Role, tap:restore-test) at creation",
      );
      allow(r, "rds:DescribeDBInstances", rt.testDb, "waits until the test instance is available, then gone");
      allow(r, "rds:DeleteDBInstance", rt.testDb, "deletes the test instance, also on the catch path");
    }
    allow(r, "s3:PutObject", report, "writes the restore test's report", reports);
    allow(
      r,
      "s3:PutObject",
      `${t.drBucket}/restore-tests/first-seen.json`,
      "records the first freshness run once",
      reports,
    );
    allow(
      r,
      "s3:GetObject",
      `${t.drBucket}/restore-tests/latest-success.json`,
      "freshness reads the newest success",
      reports,
    );
    allow(r, "s3:ListBucket", t.drBucket, "checks whether latest-success.json exists, by listing its key", {
      context: { "s3:prefix": "restore-tests/latest-success.json" },
    });
    deny(r, "s3:DeleteObject", report, "restore-test reports are never deleted");
    deny(r, "s3:GetObject", `${t.drBucket}/restore-testsx/leak.json`, "the prefix is exactly restore-tests/");
    deny(r, "s3:PutObject", `${t.primaryBucket}/restore-tests/x.json`, "reports live in the DR bucket only");
    deny(r, "rds:DeleteDBInstance", other.db(t.drRegion), "deletes no other DR-region instance");
    deny(
      r,
      "rds:DeleteDBInstance",
      rt.testDb.replace(/[^:]+$/, "rds-restore-test-other"),
      "only its own test identifier",
    );
    deny(
      r,
      restore,
      rt.testDb.replace(/[^:]+$/, "rds-restore-test-other"),
      "restores into no other test identifier",
    );
    deny(r, "rds:ModifyDBInstance", rt.testDb, "never changes the test instance");
    deny(
      r,
      "rds-db:connect",
      `arn:aws:rds-db:${t.drRegion}:${t.account}:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/dr_monitor`,
      "the check query is restore-check's, never the step runner's",
    );
    deny(
      r,
      "lambda:InvokeFunction",
      rt.restoreCheck,
      "the state machine invokes restore-check, the step runner never",
    );

    const m = "iam-sfn-restore-test";
    stateMachineRole(m, w.stepRunner, [
      {
        fn: w.stepRunner,
        name: "the step runner",
        why: "runs the test's RDS and S3 steps on the step runner",
      },
      { fn: rt.restoreCheck, name: "restore-check", why: "runs the check query on restore-check" },
    ]);
    deny(m, "states:StartExecution", w.stateMachine, "never starts a failover");
    deny(m, "states:StartExecution", rt.stateMachine, "never starts itself");
    deny(m, "rds:RestoreDBInstanceToPointInTime", rt.testDb, "restores only through the step runner");
    deny(m, "rds:DeleteDBInstance", rt.testDb, "deletes only through the step runner");
    deny(
      m,
      "s3:PutObject",
      `${t.drBucket}/restore-tests/x.json`,
      "writes reports only through the step runner",
    );
    deny(m, "logs:PutLogEvents", `${rt.logGroup}:log-stream:s`, "log events are delivered by Step Functions");
    deny(m, "iam:PassRole", other.role, "never passes roles");

    const c = "iam-restore-check";
    const testUser = `arn:aws:rds-db:${t.drRegion}:${t.account}:dbuser:db-ABCDEFGHIJKLMNOPQRSTUVWXYZ/${MONITOR_DB_USER}`;
    // Documented exception: the test instance's DbiResourceId is new with each restore, so any
    // DR-region instance's monitor user (the cross-region replica's too) is allowed; the function's
    // security group reaches PostgreSQL only in the DR VPC's database subnets (policy pack).
    allow(c, "rds-db:connect", testUser, "logs in to the restored copy as the monitor's user", {
      scope: `arn:aws:rds-db:${t.drRegion}:${t.account}:dbuser:*/${MONITOR_DB_USER}`,
    });
    deny(c, "rds-db:connect", testUser.replace(/[^/]+$/, "tap_admin"), "never as another database user");
    // Outside the DR region: the primary region's instances (after a regional restore the writer
    // lives in the DR region, where the documented exception above reaches it too, read-only).
    const outsideDr = [t.monitor?.primaryDbUser, t.monitor?.replicaDbUser].find(
      (u) => u !== undefined && !u.startsWith(`arn:aws:rds-db:${t.drRegion}:`),
    );
    deny(
      c,
      "rds-db:connect",
      outsideDr ?? `arn:aws:rds-db:${t.primaryRegion}:${t.account}:dbuser:db-PRIMARY/${MONITOR_DB_USER}`,
      "never outside the DR region",
    );
    deny(c, "rds:DeleteDBInstance", rt.testDb, "the check never manages the instance");
    deny(c, "rds:DescribeDBInstances", rt.testDb, "gets the endpoint in its event, calls no AWS API");
    deny(c, "s3:PutObject", report, "reports are the step runner's");
    deny(c, "lambda:InvokeFunction", w.stepRunner, "invokes no function");
    deny(
      c,
      "secretsmanager:GetSecretValue",
      `arn:aws:secretsmanager:${t.primaryRegion}:${t.account}:secret:rds!db-master-AbCdEf`,
      "never holds the master password",
    );
    vpcFunction(c, rt.restoreCheckLogGroup);

    const e = "iam-events-restore";
    if (rt.scheduled) {
      allow(
        e,
        "states:StartExecution",
        rt.stateMachine,
        "the schedules start restore tests and freshness runs",
      );
      deny(e, "states:StartExecution", w.stateMachine, "never starts a failover");
      deny(
        e,
        "states:StopExecution",
        `${rt.stateMachine.replace(":stateMachine:", ":execution:")}:run-1`,
        "never stops a test",
      );
      deny(e, "lambda:InvokeFunction", w.stepRunner, "invokes no function");
      deny(e, "rds:DeleteDBInstance", rt.testDb, "no database access");
      deny(e, "iam:PassRole", other.role, "never passes roles");
    }
  }

  // ---- S3 replication ----------------------------------------------------------------------
  const s = "iam-s3-replication";
  allow(s, "s3:GetReplicationConfiguration", t.primaryBucket, "reads the source's rules");
  allow(s, "s3:ListBucket", t.primaryBucket, "lists the source");
  for (const a of [
    "s3:GetObjectVersionForReplication",
    "s3:GetObjectVersionAcl",
    "s3:GetObjectVersionTagging",
  ]) {
    allow(s, a, `${t.primaryBucket}/exports/snapshot-0001.parquet`, "reads source versions to copy", {
      scope: `${t.primaryBucket}/*`,
    });
  }
  for (const a of ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"]) {
    allow(s, a, `${t.drBucket}/exports/snapshot-0001.parquet`, "writes replicas", {
      scope: `${t.drBucket}/*`,
    });
  }
  allow(s, "kms:Decrypt", t.primaryKey, "decrypts source objects", {
    context: { ...viaS3Primary, "kms:EncryptionContext:aws:s3:arn": t.primaryBucket },
  });
  allow(s, "kms:Encrypt", t.drKey, "re-encrypts replicas with the DR key", {
    context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": t.drBucket },
  });
  allow(s, "kms:GenerateDataKey", t.drKey, "re-encrypts replicas with the DR key", {
    context: { ...viaS3, "kms:EncryptionContext:aws:s3:arn": t.drBucket },
  });
  deny(
    s,
    "s3:GetObject",
    `${t.primaryBucket}/exports/snapshot-0001.parquet`,
    "copies versions, never reads data directly",
  );
  deny(s, "s3:GetObject", `${t.drBucket}/exports/snapshot-0001.parquet`, "never reads the replicas");
  deny(
    s,
    "s3:DeleteObject",
    `${t.primaryBucket}/exports/snapshot-0001.parquet`,
    "never deletes source objects",
  );
  deny(
    s,
    "s3:ReplicateObject",
    `${t.primaryBucket}/exports/snapshot-0001.parquet`,
    "replicates only into the DR bucket",
  );
  deny(s, "kms:Decrypt", t.primaryKey, "decrypts only through S3 for the source bucket", {
    context: {
      "kms:ViaService": `s3.${t.sourceRegion}.amazonaws.com`,
      "kms:EncryptionContext:aws:s3:arn": "arn:aws:s3:::someone-elses-bucket",
    },
  });
  deny(s, "kms:Decrypt", other.key, "no other KMS key", { context: viaS3 });
  deny(s, "iam:PassRole", other.role, "never passes roles");
  deny(s, "rds:DeleteDBInstance", t.primaryDb, "no database access");

  return rows;
}

/** The suffix a synth inventory was built with (the `Environment` tag of the primary instance). */
export function suffixOf(synth: SynthOutput): string {
  const db = synth.resources.find((r) => r.type === T.rdsInstance);
  const env = db ? tag(db, "Environment") : undefined;
  if (!env)
    throw new Error(
      "cannot tell the environment suffix: no RDS instance with an Environment tag in the synth output",
    );
  return env;
}

/** The DR (stack) region: where the backup replication lives. */
export function drRegionOf(synth: SynthOutput): string {
  // The control region is where the failover function runs. Backup copies are a guide only without
  // it: after a failover they also run from the DR region back to the primary region.
  const failover = synth.resources.find(
    (r) => r.type === T.lambdaFunction && (str(r.inputs, "name") ?? "").startsWith("lambda-failover-"),
  );
  const copy = synth.resources.find((r) => r.type === T.rdsBackupReplication);
  const from = failover ?? copy;
  const region = from?.region ?? (from ? str(from.inputs, "region") : undefined);
  if (!region) {
    throw new Error(
      "cannot tell the DR region: no failover function or InstanceAutomatedBackupsReplication with a region in the synth output",
    );
  }
  return region;
}
