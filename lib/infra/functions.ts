/**
 * The failover engine's Lambda functions and everything that wires them in:
 *
 * - `health-monitor` (DR region, DR VPC private subnets): probes the primary every minute
 *   (EventBridge schedule) and hands each run's result to `failover` (async destination).
 * - `failover` (DR region, no VPC: it needs the AWS APIs, never the database): triggered by the
 *   monitor's results and, independently, by the primary-unreachable alarm through EventBridge.
 *   It reads the state, decides, alerts, and starts an execution of the failover workflow
 *   (`workflow.ts`); it cannot change the cluster. Reserved concurrency 1, so two triggers never
 *   decide at once.
 * - `step-runner` (DR region, no VPC): every task of the workflow; the only function that promotes,
 *   fences and switches DNS. Only the state machine invokes it.
 * - `db-bootstrap` (primary region, primary VPC private subnets): the monitor's bundle deployed a
 *   second time, invoked once by an operator after `pulumi up` with `{"action":"bootstrap"}` to
 *   create the monitor's IAM-authenticated role and heartbeat table on the primary.
 *
 * Why a separate bootstrap function: the bootstrap reads the RDS-managed master secret, which
 * lives in the primary region, and the monitor runs in the DR VPC without NAT. An interface
 * endpoint serves only its own region, so a DR-VPC endpoint cannot reach the secret; routing the
 * monitor to the primary region's endpoint across the peering would need private DNS tricks and
 * would leave the monitor's always-on role holding the master password. Instead the bootstrap runs
 * next to the primary, reaches Secrets Manager through an interface endpoint in the primary VPC
 * (`bootstrap-network.ts`), and is the only role that can read the secret. The monitor's role never
 * can. Roles and tables reach the replica by physical replication, so once the writer is a promoted
 * replica in another region there is nothing left to bootstrap and the function is not deployed
 * (its secret, key and endpoint would all be in the other region); after a failback it returns.
 *
 * Every input a function needs is an environment variable set from resource outputs (names in
 * `lib/function-env.ts`, read and validated by the handlers' `env.ts`).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
  NO_RESTORE_TARGET,
  type FailoverEnvName,
  type MonitorEnvName,
  type StepRunnerEnvName,
} from "../function-env";
import { longestMonitorRunSeconds, type FailoverPolicy } from "../config";
import { metricAlarm } from "./alarms";
import type { AlertingResult } from "./alerting";
import { METRICS_NAMESPACE } from "./alerting";
import { backupCopyRegion, type BackupsResult } from "./backups";
import { buildBootstrapNetwork, type BootstrapNetwork } from "./bootstrap-network";
import type { BuildContext } from "./context";
import type { DatabaseResult } from "./database";
import type { DnsResult } from "./dns";
import type { EncryptionResult } from "./encryption";
import {
  bootstrapPolicyDocument,
  dbInstanceArn,
  dbUserArn,
  defaultOptionGroupArn,
  executionsArn,
  failoverPolicyDocument,
  lambdaFunctionArn,
  monitorPolicyDocument,
  securityGroupArn,
  stateMachineArn,
  stepRunnerPolicyDocument,
} from "./iam";
import {
  asyncInvokeConfig,
  eventTrigger,
  functionName,
  lambdaFunction,
  roleAndLogs,
  type FunctionResources,
} from "./lambda-kit";
import {
  monitorSubnetIds,
  placeSecurityGroups,
  POSTGRES_PORT,
  subnetIds,
  type NetworkResult,
} from "./network";
import { restoredInstanceId, restoreTestInstanceId } from "./topology";
import { buildWorkflow, stateMachineName, type WorkflowResult } from "./workflow";

// The functions' names, with the settings below (the simulator builds its deployment from both).
export { functionName } from "./lambda-kit";

/**
 * Fixed settings of the functions that are not failover policy: sizing, timeouts, the schedule,
 * the asynchronous invocation settings. The policy (probe cadence, thresholds, the lag limit) comes
 * from `TapConfig.failoverPolicy`, validated once by the policy's own module.
 */
export const FUNCTION_SETTINGS = {
  /** The database role the monitor logs in as with IAM authentication (created by the bootstrap). */
  monitorDbUser: "dr_monitor",
  /** Init, the heartbeat write and the metrics flush, on top of the probing (see {@link monitorTimeoutSeconds}). */
  monitorMarginSeconds: 10,
  monitorMemoryMb: 256,
  /**
   * A decision: the snapshot's reads run in parallel, each at most 3 attempts of a 3 s connect and a
   * 10 s answer (`DEFAULT_AWS_CLIENT_OPTIONS`), so a black-holed primary region costs about 40 s;
   * then the alert ledger, SNS and StartExecution in the DR region, which answer in well under a
   * second each when that region is healthy. 60 s covers both with a margin; a slower run is a
   * failed decision Lambda retries (below), not a half-done failover: acting is the workflow's.
   */
  failoverTimeoutSeconds: 60,
  failoverMemoryMb: 256,
  /**
   * One decision at a time: two triggers deciding at once would race to alert and to start. The
   * only reservation of the stack, and an account prerequisite (`lib/infra/preflight.ts`).
   */
  failoverReservedConcurrency: 1,
  /**
   * One retry of a failed decision, 1 minute after the failed attempt (reference §2). A second one
   * would come 2 minutes later still, at least 3 minutes after the event was queued: its evidence
   * would be older than the 120 s `decide` lets a new failover rest on (`maxEvidenceAgeSeconds`),
   * so it could only be refused, and the monitor brings fresh evidence every minute anyway.
   */
  failoverMaxRetryAttempts: 1,
  /**
   * How old a queued failover event may get before Lambda drops it (reference §2: 60–21600 s): the
   * 120 s of `maxEvidenceAgeSeconds`, since an older event can only be refused as stale. The retry
   * above runs when the first attempt failed fast enough to leave it fresh evidence; an event that
   * waited behind another decision (reserved concurrency 1, at most 60 s) still fits.
   */
  failoverMaxEventAgeSeconds: 120,
  /**
   * The longest task: a DNS switch waits up to 120 s for Route 53's INSYNC (`DNS_TIMEOUT_SECONDS`),
   * a caught-up check up to 30 s, each after their AWS calls (up to about 40 s each when a region's
   * endpoint black-holes). 300 s leaves room for both; the workflow re-runs a task that timed out
   * (`Lambda.Unknown`, its retriers), and every task is idempotent on the real state.
   */
  stepRunnerTimeoutSeconds: 300,
  /**
   * `restore-check` (declared with the restore test, `restore-test.ts`): connect (IAM token, TLS)
   * and two small queries on a freshly restored instance. The failover workflow's VerifyRestored
   * invokes it too, so its timeout is known here.
   */
  restoreCheckTimeoutSeconds: 60,
  stepRunnerMemoryMb: 256,
  /** Connect (10 s) plus statements (30 s) of the bootstrap session, with room to spare. */
  bootstrapTimeoutSeconds: 60,
  /** EventBridge schedule of the monitor. */
  monitorSchedule: "rate(1 minute)",
  /** A monitor tick is never retried: the next one comes a minute later. */
  monitorMaxRetryAttempts: 0,
  /** Lambda's minimum event age (reference §2): a tick older than the next one is worthless. */
  monitorMaxEventAgeSeconds: 60,
} as const;

/**
 * Timeout of the health monitor: the longest run of `policy` (`longestMonitorRunSeconds`: the lag
 * read, the probes, extended while the last probes fail and are still short of the failover
 * threshold) plus a margin for init, the heartbeat write and the metrics flush: 106 s with the
 * defaults.
 *
 * That is longer than the one-minute schedule, so a failing run overlaps the next one. That is
 * safe: each run is a complete, independent observation, and the failover function they both hand
 * their results to has reserved concurrency 1 and starts at most one execution per failover.
 */
export function monitorTimeoutSeconds(
  policy: FailoverPolicy,
  marginSeconds: number = FUNCTION_SETTINGS.monitorMarginSeconds,
): number {
  return Math.ceil(longestMonitorRunSeconds(policy) + marginSeconds);
}

/**
 * Where Lambda's Node.js runtime keeps the CA bundle with the RDS certificate authorities; the
 * monitor verifies TLS against it (https://docs.aws.amazon.com/lambda/latest/dg/lambda-nodejs.html).
 */
export const LAMBDA_CA_BUNDLE = "/var/runtime/ca-cert.pem";

// ---------------------------------------------------------------------------------------------
// Environment

/** Resolved values the monitor's environment is built from. */
export interface MonitorEnvInputs {
  readonly primaryHost: pulumi.Input<string>;
  readonly replicaHost: pulumi.Input<string>;
  readonly dbPort: number;
  readonly dbName: string;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly masterSecretArn: pulumi.Input<string>;
  readonly environmentSuffix: string;
  /** The stack's failover policy (`TapConfig.failoverPolicy`): the monitor reads its probe cadence. */
  readonly policy: FailoverPolicy;
}

/**
 * Every variable of {@link MonitorEnvName} (the `Record` type makes a missing one a compile error),
 * plus `NODE_EXTRA_CA_CERTS`, without which Node does not trust the RDS CA.
 */
export function monitorEnvironment(
  v: MonitorEnvInputs,
): Record<MonitorEnvName | "NODE_EXTRA_CA_CERTS", pulumi.Input<string>> {
  const s = FUNCTION_SETTINGS;
  const p = v.policy;
  return {
    PRIMARY_HOST: v.primaryHost,
    REPLICA_HOST: v.replicaHost,
    DB_PORT: String(v.dbPort),
    DB_NAME: v.dbName,
    MONITOR_DB_USER: s.monitorDbUser,
    PRIMARY_REGION: v.primaryRegion,
    REPLICA_REGION: v.replicaRegion,
    MASTER_SECRET_ARN: v.masterSecretArn,
    PROBES_PER_RUN: String(p.probesPerRun),
    PROBE_INTERVAL_SECONDS: String(p.probeIntervalSeconds),
    PROBE_TIMEOUT_SECONDS: String(p.probeTimeoutSeconds),
    CONSECUTIVE_FAILURES: String(p.consecutiveFailuresToFailover),
    METRICS_NAMESPACE: METRICS_NAMESPACE,
    ENVIRONMENT_SUFFIX: v.environmentSuffix,
    NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
  };
}

/** Resolved values the step runner's environment is built from. */
export interface StepRunnerEnvInputs {
  readonly primaryInstanceId: pulumi.Input<string>;
  readonly replicaInstanceId: pulumi.Input<string>;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly primarySecurityGroupId: pulumi.Input<string>;
  readonly hostedZoneId: pulumi.Input<string>;
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  readonly dnsTtlSeconds: number;
  readonly alertTopicArn: pulumi.Input<string>;
  readonly reportBucket: pulumi.Input<string>;
  readonly backupRetentionDays: number;
  /** The stack's failover policy (`TapConfig.failoverPolicy`): the functions read its thresholds. */
  readonly policy: FailoverPolicy;
  readonly primaryAlarmName: pulumi.Input<string>;
  readonly monitorFunctionName: string;
  readonly environmentSuffix: string;
  /** `rds-restored-<suffix>` (`restoredInstanceId`): the only identifier a regional restore creates. */
  readonly restoredInstanceId: string;
  /** Name of the DR region's DB subnet group (`dbsubnets-dr-<suffix>`). */
  readonly restoreSubnetGroup: pulumi.Input<string>;
  /** The restored instance's security groups, clients first, then access (the monitor's). */
  readonly restoreSecurityGroupIds: readonly pulumi.Input<string>[];
  /** Name of the DR region's PostgreSQL 14 parameter group (`pg-postgres14-dr-<suffix>`). */
  readonly restoreParameterGroup: pulumi.Input<string>;
  /** Instance class of the restored instance: the primary's (`tap:instanceClass`). */
  readonly restoreInstanceClass: string;
}

/** Comma-joined ids: a plain string when every id is one (the simulator's), an output otherwise. */
function joinIds(ids: readonly pulumi.Input<string>[]): pulumi.Input<string> {
  return ids.every((id): id is string => typeof id === "string")
    ? ids.join(",")
    : pulumi.all([...ids]).apply((resolved) => resolved.join(","));
}

/** Every variable of {@link StepRunnerEnvName}. */
export function stepRunnerEnvironment(
  v: StepRunnerEnvInputs,
): Record<StepRunnerEnvName, pulumi.Input<string>> {
  const p = v.policy;
  return {
    PRIMARY_INSTANCE_ID: v.primaryInstanceId,
    REPLICA_INSTANCE_ID: v.replicaInstanceId,
    PRIMARY_REGION: v.primaryRegion,
    REPLICA_REGION: v.replicaRegion,
    PRIMARY_SECURITY_GROUP_ID: v.primarySecurityGroupId,
    HOSTED_ZONE_ID: v.hostedZoneId,
    WRITER_RECORD_NAME: v.writerRecordName,
    READER_RECORD_NAME: v.readerRecordName,
    DNS_TTL_SECONDS: String(v.dnsTtlSeconds),
    ALERT_TOPIC_ARN: v.alertTopicArn,
    REPORT_BUCKET: v.reportBucket,
    BACKUP_RETENTION_DAYS: String(v.backupRetentionDays),
    MAX_REPLICATION_LAG_SECONDS: String(p.maxReplicationLagSeconds),
    ACCEPT_DATA_LOSS: String(p.acceptDataLoss),
    CONSECUTIVE_FAILURES: String(p.consecutiveFailuresToFailover),
    PRIMARY_ALARM_NAME: v.primaryAlarmName,
    MONITOR_FUNCTION_NAME: v.monitorFunctionName,
    METRICS_NAMESPACE: METRICS_NAMESPACE,
    ENVIRONMENT_SUFFIX: v.environmentSuffix,
    REGIONAL_RESTORE: p.regionalRestore,
    RESTORE_CONFIRMATION_MINUTES: String(p.restoreConfirmationMinutes),
    RESTORED_INSTANCE_ID: v.restoredInstanceId,
    RESTORE_SUBNET_GROUP: v.restoreSubnetGroup,
    RESTORE_SECURITY_GROUP_IDS: joinIds(v.restoreSecurityGroupIds),
    RESTORE_PARAMETER_GROUP: v.restoreParameterGroup,
    RESTORE_INSTANCE_CLASS: v.restoreInstanceClass,
  };
}

/** Resolved values of the restore test's step-runner variables. */
export interface RestoreTestStepRunnerEnvInputs {
  /** `rds-restore-test-<suffix>` (`restoreTestInstanceId`): the only identifier a restore test creates. */
  readonly restoreTestInstanceId: string;
  /** The restored instance's access group only (5432 from the monitor subnets), never the client group. */
  readonly accessSecurityGroupId: pulumi.Input<string>;
  /** `tap:restoreTimeoutMinutes`: restore call → available, as for a regional restore. */
  readonly restoreTimeoutMinutes: number;
}

/**
 * The step runner's variables for the restore test (RESTORE_TEST_CONTRACT.md), beside
 * {@link stepRunnerEnvironment}: a restore test's execution input carries only its mode, so the
 * step runner reads the timeout from its own environment. `lib/function-env.ts` lists these names.
 */
export function restoreTestStepRunnerEnvironment(
  v: RestoreTestStepRunnerEnvInputs,
): Record<string, pulumi.Input<string>> {
  return {
    RESTORE_TEST_INSTANCE_ID: v.restoreTestInstanceId,
    RESTORE_TEST_SECURITY_GROUP_IDS: v.accessSecurityGroupId,
    RESTORE_TIMEOUT_MINUTES: String(v.restoreTimeoutMinutes),
  };
}

/** Resolved values the failover function's environment is built from: the step runner's and the workflow's. */
export interface FailoverEnvInputs extends StepRunnerEnvInputs {
  readonly stateMachineArn: pulumi.Input<string>;
  /** `tap:promotionTimeoutMinutes`. */
  readonly promotionTimeoutMinutes: number;
  /** `tap:approvalTimeoutMinutes`. */
  readonly approvalTimeoutMinutes: number;
  /** `tap:restoreTimeoutMinutes`. */
  readonly restoreTimeoutMinutes: number;
}

/**
 * Every variable of {@link FailoverEnvName}: the step runner's (the failover function reads the
 * same snapshot and puts the same configuration into each execution's input) and the workflow's.
 */
export function failoverEnvironment(v: FailoverEnvInputs): Record<FailoverEnvName, pulumi.Input<string>> {
  return {
    ...stepRunnerEnvironment(v),
    STATE_MACHINE_ARN: v.stateMachineArn,
    PROMOTION_TIMEOUT_MINUTES: String(v.promotionTimeoutMinutes),
    APPROVAL_TIMEOUT_MINUTES: String(v.approvalTimeoutMinutes),
    RESTORE_TIMEOUT_MINUTES: String(v.restoreTimeoutMinutes),
  };
}

/** Event pattern of the second trigger: the primary-unreachable alarm entering ALARM. */
export function alarmEventPattern(alarmArn: string): object {
  return {
    source: ["aws.cloudwatch"],
    "detail-type": ["CloudWatch Alarm State Change"],
    resources: [alarmArn],
    detail: { state: { value: ["ALARM"] } },
  };
}

/** The `aws lambda invoke` command that runs the one-time bootstrap. */
export function bootstrapCommand(fnName: string, region: string): string {
  return (
    `aws lambda invoke --region ${region} --function-name ${fnName} ` +
    `--cli-binary-format raw-in-base64-out --payload '{"action":"bootstrap"}' bootstrap-result.json`
  );
}

// ---------------------------------------------------------------------------------------------
// Resources

/** The one-time bootstrap: the function and its network in the primary VPC. */
export interface BootstrapResources extends FunctionResources, BootstrapNetwork {
  /** The command an operator runs once after the first `pulumi up` (see {@link bootstrapCommand}). */
  readonly command: string;
}

/** What the functions builder creates. */
export interface FunctionsResult {
  readonly monitor: FunctionResources;
  readonly failover: FunctionResources;
  readonly stepRunner: FunctionResources;
  /** The failover workflow, whose only task function is the step runner. */
  readonly workflow: WorkflowResult;
  /** Absent while the writer is outside the primary region (see the module comment). */
  readonly bootstrap: BootstrapResources | undefined;
  readonly monitorSchedule: aws.cloudwatch.EventRule;
  readonly alarmRule: aws.cloudwatch.EventRule;
  readonly monitorDestination: aws.lambda.FunctionEventInvokeConfig;
  readonly failoverAsync: aws.lambda.FunctionEventInvokeConfig;
  readonly failoverErrorsAlarm: aws.cloudwatch.MetricAlarm;
}

/** What the functions builder needs from the other builders. */
export interface FunctionsDeps {
  readonly network: NetworkResult;
  readonly encryption: EncryptionResult;
  readonly database: DatabaseResult;
  readonly backups: BackupsResult;
  readonly alerting: AlertingResult;
  readonly dns: DnsResult;
}

/**
 * Whether the one-time bootstrap is deployed: only while the writer is in the primary region, where
 * its master secret, that secret's key and the bootstrap's endpoint are. After a failover to a
 * cross-region replica the monitor's role and table are already on the new writer (physical
 * replication), and the bootstrap returns with a failback.
 */
export function bootstrapDeployed(writerRegion: string, primaryRegion: string): boolean {
  return writerRegion === primaryRegion;
}

/** What `bootstrapCommand` says when the bootstrap is not deployed. */
export function bootstrapNotDeployed(writerRegion: string, primaryRegion: string): string {
  return (
    `not deployed: the writer is in ${writerRegion}, not the primary region ${primaryRegion}; ` +
    "the monitor's role and heartbeat table reached it by replication. Fail back to run the bootstrap again."
  );
}

/**
 * The four functions, their roles, log groups, triggers, destination and async settings, the
 * failover workflow, the bootstrap's network, and the failover-errors alarm. The primary-unreachable
 * and monitor-silent alarms are `alerting.ts`'s.
 */
export function buildFunctions(ctx: BuildContext, deps: FunctionsDeps): FunctionsResult {
  const { config, providers, accountId } = ctx;
  const { network, encryption, database, backups, alerting, dns } = deps;
  const suffix = config.environmentSuffix;
  const s = FUNCTION_SETTINGS;
  const dr = { parent: ctx.parent, provider: providers.dr };
  const monitorName = functionName("health-monitor", suffix);
  const machineName = stateMachineName(suffix);

  // PRIMARY_* is the writer and REPLICA_* the standby slot: after `tap:activeWriter replica` the
  // functions watch and protect the promoted instance, after `restored` the restored one.
  const writerSgs = placeSecurityGroups(network, database.topology.writer);
  const monitorEnv = monitorEnvironment({
    primaryHost: database.writer.address,
    replicaHost: database.standby.address,
    dbPort: POSTGRES_PORT,
    dbName: config.databaseName,
    primaryRegion: database.writerRegion,
    replicaRegion: database.standbyRegion,
    masterSecretArn: database.masterSecretArn,
    environmentSuffix: suffix,
    policy: config.failoverPolicy,
  });
  // After a regional restore the writer is the restored instance: it shares the region of the
  // monitor and the workflow, its backups are copied away from it, and no second regional restore
  // runs from here (NO_RESTORE_TARGET); a promotion of the replica slot still protects it.
  const restoredWriter = database.topology.writer === "restored";
  const stepRunnerEnv: StepRunnerEnvInputs = {
    primaryInstanceId: database.writer.identifier,
    replicaInstanceId: database.standby.identifier,
    primaryRegion: database.writerRegion,
    replicaRegion: database.standbyRegion,
    // The client group only: fencing revokes all of its ingress, and the access group keeps
    // the monitor observing the old writer.
    primarySecurityGroupId: writerSgs.clients.securityGroup.id,
    hostedZoneId: dns.zone.zoneId,
    writerRecordName: dns.writerRecordName,
    readerRecordName: dns.readerRecordName,
    dnsTtlSeconds: config.dnsTtlSeconds,
    alertTopicArn: alerting.drTopic.arn,
    reportBucket: backups.drBucket.bucket.bucket,
    backupRetentionDays: config.backupRetentionDays,
    policy: restoredWriter ? { ...config.failoverPolicy, regionalRestore: "off" } : config.failoverPolicy,
    primaryAlarmName: alerting.primaryUnreachableAlarm.name,
    monitorFunctionName: monitorName,
    environmentSuffix: suffix,
    // A regional restore: the DR region's groups and the restored instance's security groups,
    // all declared whatever the placement (database.ts, network.ts), and the primary's class.
    restoredInstanceId: restoredWriter ? NO_RESTORE_TARGET : restoredInstanceId(suffix),
    restoreSubnetGroup: database.drSubnetGroup.name,
    restoreSecurityGroupIds: [
      network.restoredSecurityGroups.clients.securityGroup.id,
      network.restoredSecurityGroups.access.securityGroup.id,
    ],
    restoreParameterGroup: database.drParameterGroup.name,
    restoreInstanceClass: config.instanceClass,
  };
  // The writer's automated backups in the DR region, which a regional restore starts from: none
  // when the writer itself lives there (a promoted cross-region replica), its copy then going to
  // the primary region (backups.ts `backupCopyRegion`).
  const replicatedBackupArn: pulumi.Output<string | undefined> =
    backupCopyRegion(database.topology.writer, config) === config.drRegion
      ? backups.automatedBackupsReplication.id
      : pulumi.output(undefined);
  const restoreReads = pulumi
    .all([database.writer.identifier, replicatedBackupArn, accountId])
    .apply(([writerId, backupArn, account]) => ({
      restoredDbArn: dbInstanceArn(config.drRegion, account, restoredInstanceId(suffix)),
      writerBackupsFilterArn: dbInstanceArn(config.drRegion, account, writerId),
      replicatedBackupArn: backupArn,
    }));
  // What both the failover function and the step runner read: the cluster snapshot and the ledger.
  const snapshotTargets = pulumi
    .all([
      database.writer.arn,
      database.standby.arn,
      dns.zone.arn,
      alerting.drTopic.arn,
      backups.drBucket.bucket.arn,
      encryption.drKey.arn,
      restoreReads,
    ])
    .apply(
      ([primaryDbArn, replicaDbArn, hostedZoneArn, alertTopicArn, reportBucketArn, drKeyArn, restore]) => ({
        primaryDbArn,
        replicaDbArn,
        hostedZoneArn,
        alertTopicArn,
        reportBucketArn,
        drKeyArn,
        drRegion: config.drRegion,
        ...restore,
      }),
    );

  // ---- step-runner (DR region, no VPC): the workflow's tasks ---------------------------------
  const stepRunnerParts = roleAndLogs(
    ctx,
    "step-runner",
    "failover",
    config.drRegion,
    encryption.drKey,
    providers.dr,
    (logGroupArn) =>
      pulumi
        .all([
          snapshotTargets,
          writerSgs.clients.securityGroup.id,
          accountId,
          logGroupArn,
          database.drSubnetGroup.arn,
          database.drParameterGroup.arn,
        ])
        .apply(([targets, sgId, account, lgArn, subnetGroupArn, parameterGroupArn]) =>
          JSON.stringify(
            stepRunnerPolicyDocument({
              ...targets,
              primarySecurityGroupArn: securityGroupArn(database.writerRegion, account, sgId),
              writerRecordName: dns.writerRecordName,
              readerRecordName: dns.readerRecordName,
              logGroupArn: lgArn,
              monitorFunctionArn: lambdaFunctionArn(config.drRegion, account, monitorName),
              restoreSubnetGroupArn: subnetGroupArn,
              restoreParameterGroupArn: parameterGroupArn,
              restoreOptionGroupArn: defaultOptionGroupArn(
                config.drRegion,
                account,
                config.parameterGroupFamily,
              ),
              restoreTestDbArn: dbInstanceArn(config.drRegion, account, restoreTestInstanceId(suffix)),
            }),
          ),
        ),
  );
  // Invoked synchronously by the state machine only: no trigger, no async settings, no reservation
  // (a reservation would only throttle a step the workflow then retries).
  const stepRunnerFn = lambdaFunction(
    ctx,
    stepRunnerParts,
    "step-runner",
    {
      entry: "step-runner",
      description:
        "the failover workflow's steps (fence, promote, switch DNS, report) and the restore test's",
      drRole: "failover",
      timeoutSeconds: s.stepRunnerTimeoutSeconds,
      memoryMb: s.stepRunnerMemoryMb,
      environment: {
        ...stepRunnerEnvironment(stepRunnerEnv),
        ...restoreTestStepRunnerEnvironment({
          restoreTestInstanceId: restoreTestInstanceId(suffix),
          accessSecurityGroupId: network.restoredSecurityGroups.access.securityGroup.id,
          restoreTimeoutMinutes: config.restoreTimeoutMinutes,
        }),
      },
    },
    dr,
  );

  // ---- the failover workflow ----------------------------------------------------------------
  const workflow = buildWorkflow(ctx, {
    encryption,
    alerting,
    stepRunnerArn: stepRunnerFn.arn,
    stepRunnerTimeoutSeconds: s.stepRunnerTimeoutSeconds,
    // Declared by the restore test's builder after this one (it needs the step runner): named here.
    restoreCheckArn: accountId.apply((account) =>
      lambdaFunctionArn(config.drRegion, account, functionName("restore-check", suffix)),
    ),
    restoreCheckTimeoutSeconds: s.restoreCheckTimeoutSeconds,
  });

  // ---- failover (DR region, no VPC): decides and starts executions ---------------------------
  const failoverParts = roleAndLogs(
    ctx,
    "failover",
    "failover",
    config.drRegion,
    encryption.drKey,
    providers.dr,
    (logGroupArn) =>
      pulumi.all([snapshotTargets, accountId, logGroupArn]).apply(([targets, account, lgArn]) =>
        JSON.stringify(
          failoverPolicyDocument({
            ...targets,
            // Known before the machine exists: the name is fixed.
            stateMachineArn: stateMachineArn(config.drRegion, account, machineName),
            executionsArn: executionsArn(config.drRegion, account, machineName),
            logGroupArn: lgArn,
          }),
        ),
      ),
  );
  const failoverFn = lambdaFunction(
    ctx,
    failoverParts,
    "failover",
    {
      entry: "failover",
      description: "decide on the failover of the primary and start the failover workflow",
      drRole: "failover",
      timeoutSeconds: s.failoverTimeoutSeconds,
      memoryMb: s.failoverMemoryMb,
      reservedConcurrentExecutions: s.failoverReservedConcurrency,
      environment: failoverEnvironment({
        ...stepRunnerEnv,
        stateMachineArn: workflow.stateMachine.arn,
        promotionTimeoutMinutes: config.promotionTimeoutMinutes,
        approvalTimeoutMinutes: config.approvalTimeoutMinutes,
        restoreTimeoutMinutes: config.restoreTimeoutMinutes,
      }),
    },
    dr,
  );
  // Lambda retries throttled async events (reserved concurrency 1) until they are this old.
  const failoverAsync = asyncInvokeConfig(
    ctx,
    "failover",
    failoverFn,
    {
      maximumRetryAttempts: s.failoverMaxRetryAttempts,
      maximumEventAgeInSeconds: s.failoverMaxEventAgeSeconds,
    },
    dr,
  );

  // ---- health-monitor (DR region, DR VPC) ----------------------------------------------------
  const monitorParts = roleAndLogs(
    ctx,
    "health-monitor",
    "monitoring",
    config.drRegion,
    encryption.drKey,
    providers.dr,
    (logGroupArn) =>
      pulumi
        .all([
          database.writer.resourceId,
          database.standby.resourceId,
          failoverFn.arn,
          accountId,
          logGroupArn,
        ])
        .apply(([primaryResourceId, replicaResourceId, failoverArn, account, lgArn]) =>
          JSON.stringify(
            monitorPolicyDocument({
              dbUserArns: [
                dbUserArn(database.writerRegion, account, primaryResourceId, s.monitorDbUser),
                dbUserArn(database.standbyRegion, account, replicaResourceId, s.monitorDbUser),
              ],
              failoverFunctionArn: failoverArn,
              logGroupArn: lgArn,
            }),
          ),
        ),
  );
  const monitorFn = lambdaFunction(
    ctx,
    monitorParts,
    "health-monitor",
    {
      entry: "health-monitor",
      description: "probe the primary and the replica every minute",
      drRole: "monitoring",
      timeoutSeconds: monitorTimeoutSeconds(config.failoverPolicy),
      memoryMb: s.monitorMemoryMb,
      // Only the monitor subnets: the databases' access groups admit exactly their CIDRs, and the
      // policy pack refuses any other resource in them.
      vpcConfig: {
        subnetIds: monitorSubnetIds(network),
        securityGroupIds: [network.monitorSecurityGroup.id],
      },
      environment: monitorEnv,
    },
    dr,
  );
  // Only successful runs go to failover: its handler accepts the success envelope only. A failed
  // run (an exception, not a failed probe: those are results) emits no MonitorRun metric, which
  // the monitor-silent alarm reports. A tick is never retried: the next one comes a minute later.
  const monitorDestination = asyncInvokeConfig(
    ctx,
    "health-monitor",
    monitorFn,
    {
      maximumRetryAttempts: s.monitorMaxRetryAttempts,
      maximumEventAgeInSeconds: s.monitorMaxEventAgeSeconds,
      onSuccess: failoverFn.arn,
    },
    dr,
  );

  // The monitor reaches the databases on 5432. Across the inter-region peering security-group
  // references do not work, so the access groups admit the monitor's subnets by CIDR (network.ts);
  // an access group in the monitor's own VPC (a cross-region replica slot) also admits its group.
  for (const role of ["primary", "replica"] as const) {
    const group = network.dbSecurityGroups[role];
    if (group.vpc !== network.drVpc) continue;
    const ruleName = ctx.name(`sgr-db-${role}-from-health-monitor`);
    new aws.vpc.SecurityGroupIngressRule(
      ruleName,
      {
        securityGroupId: group.access.securityGroup.id,
        ipProtocol: "tcp",
        fromPort: POSTGRES_PORT,
        toPort: POSTGRES_PORT,
        referencedSecurityGroupId: network.monitorSecurityGroup.id,
        description: "health monitor function",
        tags: { ...ctx.tags(role, ruleName), "Ingress-Kind": "monitor" },
      },
      { parent: ctx.parent, provider: role === "primary" ? providers.primary : providers.replica },
    );
  }

  // EventBridge rule names are at most 64 characters; this one and "events-primary-unreachable"
  // stay within that for the longest suffix config validation accepts.
  const monitorSchedule = eventTrigger(
    ctx,
    {
      ruleName: ctx.name("events-monitor-schedule"),
      targetName: ctx.name("events-monitor-schedule-target"),
      permissionName: ctx.name("lambda-health-monitor-allow-schedule"),
      description: `TapStack ${suffix}: run the health monitor every minute`,
      drRole: "monitoring",
      trigger: { scheduleExpression: s.monitorSchedule },
      fn: monitorFn,
    },
    dr,
  );

  // The second, independent trigger: the primary-unreachable alarm entering ALARM.
  const alarmRule = eventTrigger(
    ctx,
    {
      ruleName: ctx.name("events-primary-unreachable"),
      targetName: ctx.name("events-primary-unreachable-target"),
      permissionName: ctx.name("lambda-failover-allow-alarm-rule"),
      description: `TapStack ${suffix}: evaluate failover when the primary-unreachable alarm fires`,
      drRole: "failover",
      trigger: {
        eventPattern: alerting.primaryUnreachableAlarm.arn.apply((arn) =>
          JSON.stringify(alarmEventPattern(arn)),
        ),
      },
      fn: failoverFn,
    },
    dr,
  );

  const failoverErrorsAlarm = metricAlarm(
    ctx,
    {
      name: ctx.name("alarm-failover-errors"),
      description: "the failover function failed (an invocation ended with an error)",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: failoverFn.name },
      statistic: "Sum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      periodSeconds: 60,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      topicArn: alerting.drTopic.arn,
      drRole: "failover",
    },
    dr,
  );

  return {
    monitor: { ...monitorParts, fn: monitorFn },
    failover: { ...failoverParts, fn: failoverFn },
    stepRunner: { ...stepRunnerParts, fn: stepRunnerFn },
    workflow,
    bootstrap: bootstrapDeployed(database.writerRegion, config.primaryRegion)
      ? buildBootstrap(ctx, deps, monitorEnv)
      : undefined,
    monitorSchedule,
    alarmRule,
    monitorDestination,
    failoverAsync,
    failoverErrorsAlarm,
  };
}

/** The one-time bootstrap function (primary region, primary VPC) and its network. */
function buildBootstrap(
  ctx: BuildContext,
  deps: FunctionsDeps,
  monitorEnv: Record<string, pulumi.Input<string>>,
): BootstrapResources {
  const { config, providers } = ctx;
  const { network, encryption, database } = deps;
  const parts = roleAndLogs(
    ctx,
    "db-bootstrap",
    "monitoring",
    config.primaryRegion,
    encryption.primaryKey,
    providers.primary,
    (logGroupArn) =>
      pulumi
        .all([database.masterSecretArn, encryption.primaryKey.arn, logGroupArn])
        .apply(([masterSecretArn, keyArn, lgArn]) =>
          JSON.stringify(
            bootstrapPolicyDocument({
              masterSecretArn,
              secretKeyArn: keyArn,
              primaryRegion: config.primaryRegion,
              logGroupArn: lgArn,
            }),
          ),
        ),
  );
  const net = buildBootstrapNetwork(ctx, network, parts.role.arn, database.masterSecretArn);
  const fn = lambdaFunction(
    ctx,
    parts,
    "db-bootstrap",
    {
      // The monitor's bundle: the same validated environment, the same bootstrap code.
      entry: "health-monitor",
      description: "one-time creation of the monitor's database role and heartbeat table",
      drRole: "monitoring",
      timeoutSeconds: FUNCTION_SETTINGS.bootstrapTimeoutSeconds,
      memoryMb: FUNCTION_SETTINGS.monitorMemoryMb,
      vpcConfig: {
        subnetIds: subnetIds(network.primaryVpc),
        securityGroupIds: [net.bootstrapSecurityGroup.id],
      },
      environment: monitorEnv,
      dependsOn: [net.secretsEndpoint],
    },
    { parent: ctx.parent, provider: providers.primary },
  );
  return { ...parts, fn, ...net, command: bootstrapCommand(parts.name, config.primaryRegion) };
}
