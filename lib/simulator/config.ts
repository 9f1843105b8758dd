/**
 * The deployment the simulator runs: names, regions, the functions' environments and settings, and
 * the primary-unreachable alarm, all produced by the stack's own builders (`lib/config.ts`
 * `validateConfig`, `lib/infra/functions.ts` environments and settings, `lib/infra/alerting.ts`
 * `alarmSpecs`), so a change to what is deployed changes what is simulated.
 * The state machine's name follows `lib/infra/workflow.ts` (`sfn-failover-<suffix>`); the
 * definition it runs is the deployed one (`lib/workflow/definition.ts`).
 */
import type { StepRunnerRestoreTestEnvName } from "../function-env";
import { validateConfig, type FailoverPolicy, type TapConfig } from "../config";
import { validatePolicy } from "../lambda/core/policy";
import { DEFAULT_APPROVAL_TIMEOUT_MINUTES, DEFAULT_PROMOTION_TIMEOUT_MINUTES } from "../lambda/failover/env";
import { METRIC_DIMENSION } from "../function-env";
import { alarmSpecs } from "../infra/alerting";
import {
  failoverEnvironment,
  FUNCTION_SETTINGS,
  functionName,
  monitorEnvironment,
  monitorTimeoutSeconds,
  stepRunnerEnvironment,
  type StepRunnerEnvInputs,
} from "../infra/functions";
import {
  RESTORE_TEST_SETTINGS,
  restoreCheckEnvironment,
  restoreTestMachineName,
} from "../infra/restore-test";
import { restoredInstanceId } from "../infra/topology";
import { stateMachineName } from "../infra/workflow";
import { metricKey, type SimAlarmSpec } from "./aws/cloudwatch";
import type { Placement } from "./timeline";

export interface SimulatedAwsConfig {
  readonly tap: TapConfig;
  readonly account: string;
  readonly drRegion: string;
  readonly primaryRegion: string;
  readonly replicaRegion: string;
  readonly primaryId: string;
  readonly replicaId: string;
  readonly primaryEndpoint: string;
  readonly replicaEndpoint: string;
  readonly primaryGroupId: string;
  readonly replicaGroupId: string;
  readonly writerRecordName: string;
  readonly readerRecordName: string;
  readonly dnsTtlSeconds: number;
  readonly monitorFunctionName: string;
  readonly failoverFunctionName: string;
  readonly scheduleRuleArn: string;
  readonly monitorEnv: Record<string, string>;
  readonly failoverEnv: Record<string, string>;
  readonly monitorTimeoutSeconds: number;
  readonly monitorMaxRetryAttempts: number;
  readonly monitorMaxEventAgeSeconds: number;
  readonly failoverTimeoutSeconds: number;
  readonly failoverMaxRetryAttempts: number;
  readonly failoverMaxEventAgeSeconds: number;
  readonly failoverReservedConcurrency: number;
  readonly stateMachineArn: string;
  readonly stepRunnerFunctionName: string;
  readonly stepRunnerEnv: Record<string, string>;
  readonly stepRunnerTimeoutSeconds: number;
  readonly primaryUnreachableAlarm: SimAlarmSpec;
  /** The restore-test state machine (`sfn-restore-test-<suffix>`) and its schedules' rules. */
  readonly restoreTestStateMachineArn: string;
  readonly restoreTestRuleArns: { readonly test: string; readonly freshness: string };
  /** The temporary instance (`RESTORE_TEST_INSTANCE_ID`). */
  readonly restoreTestInstanceId: string;
  /** The restored instance's client group (clients' CIDRs) and access group (5432 from the monitor subnets). */
  readonly restoreClientGroupId: string;
  readonly restoreAccessGroupId: string;
  /** `lambda-restore-check-<suffix>`, its variables and timeout as the stack declares them. */
  readonly restoreCheckFunctionName: string;
  readonly restoreCheckEnv: Record<string, string>;
  readonly restoreCheckTimeoutSeconds: number;
}

const SUFFIX = "sim";
/** `network.restoredSecurityGroups`: the client group and the access group (monitor subnets only). */
const RESTORE_CLIENT_GROUP = "sg-0a1b2c3d4e5f60003";
const RESTORE_ACCESS_GROUP = "sg-0a1b2c3d4e5f60004";
const ACCOUNT = "123456789012";

function strings(record: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)]));
}

/**
 * The simulated deployment of `placement`, from the stack's defaults; `policy` replaces failover
 * policy values (validated as the stack validates them) to try other defaults.
 */
export function simulatedDeployment(
  placement: Placement,
  policy: Partial<FailoverPolicy> = {},
): SimulatedAwsConfig {
  const drRegion = "ap-southeast-1";
  const stack = validateConfig({
    "aws:region": drRegion,
    environmentSuffix: SUFFIX,
    replicaRegion: placement === "same-region" ? "ap-southeast-2" : drRegion,
  });
  const tap: TapConfig = { ...stack, failoverPolicy: validatePolicy({ ...stack.failoverPolicy, ...policy }) };
  const primaryRegion = tap.primaryRegion;
  const replicaRegion = tap.replicaRegion;
  const primaryId = `rds-primary-${SUFFIX}`;
  const replicaId = `rds-replica-${SUFFIX}`;
  const endpoint = (id: string, region: string): string => `${id}.c0sim0000000.${region}.rds.amazonaws.com`;
  const zone = tap.hostedZoneName;
  const writerRecordName = `writer.${zone}`;
  const readerRecordName = `reader.${zone}`;
  const monitorFunctionName = functionName("health-monitor", SUFFIX);
  const failoverFunctionName = functionName("failover", SUFFIX);
  const spec = alarmSpecs(tap).find((s) => s.id === "primary-unreachable");
  if (spec === undefined) throw new Error("the stack declares no primary-unreachable alarm");
  const alarmName = `alarm-${spec.subject}-${spec.id}-${SUFFIX}`;
  const stateMachineArn = `arn:aws:states:${drRegion}:${ACCOUNT}:stateMachine:${stateMachineName(SUFFIX)}`;
  const primaryGroupId = "sg-0a1b2c3d4e5f60001";
  const replicaGroupId = "sg-0a1b2c3d4e5f60002";
  const stepRunnerInputs: StepRunnerEnvInputs = {
    primaryInstanceId: primaryId,
    replicaInstanceId: replicaId,
    primaryRegion,
    replicaRegion,
    primarySecurityGroupId: primaryGroupId,
    hostedZoneId: "Z0SIMULATED00001",
    writerRecordName,
    readerRecordName,
    dnsTtlSeconds: tap.dnsTtlSeconds,
    alertTopicArn: `arn:aws:sns:${drRegion}:${ACCOUNT}:dr-events-${SUFFIX}`,
    reportBucket: `tap-backups-dr-${SUFFIX}-0001`,
    backupRetentionDays: tap.backupRetentionDays,
    policy: tap.failoverPolicy,
    primaryAlarmName: alarmName,
    monitorFunctionName,
    environmentSuffix: SUFFIX,
    restoredInstanceId: restoredInstanceId(SUFFIX),
    restoreSubnetGroup: `dbsubnets-dr-${SUFFIX}`,
    restoreSecurityGroupIds: [RESTORE_CLIENT_GROUP, RESTORE_ACCESS_GROUP],
    restoreParameterGroup: `pg-postgres14-dr-${SUFFIX}`,
    restoreInstanceClass: tap.instanceClass,
  };
  // The failover function's variables are the step runner's plus the workflow's, with the limits' defaults.
  const failoverEnv = strings(
    failoverEnvironment({
      ...stepRunnerInputs,
      stateMachineArn,
      promotionTimeoutMinutes: DEFAULT_PROMOTION_TIMEOUT_MINUTES,
      approvalTimeoutMinutes: DEFAULT_APPROVAL_TIMEOUT_MINUTES,
      restoreTimeoutMinutes: tap.restoreTimeoutMinutes,
    }),
  );
  // The restore test's variables (STEP_RUNNER_RESTORE_TEST_ENV): the temporary instance gets the
  // restored instance's access group only.
  const restoreTestEnv: Record<StepRunnerRestoreTestEnvName, string> = {
    RESTORE_TEST_INSTANCE_ID: `rds-restore-test-${SUFFIX}`,
    RESTORE_TEST_SECURITY_GROUP_IDS: RESTORE_ACCESS_GROUP,
    RESTORE_TIMEOUT_MINUTES: String(tap.restoreTimeoutMinutes),
  };
  const stepRunnerEnv = { ...strings(stepRunnerEnvironment(stepRunnerInputs)), ...restoreTestEnv };
  return {
    tap,
    account: ACCOUNT,
    drRegion,
    primaryRegion,
    replicaRegion,
    primaryId,
    replicaId,
    primaryEndpoint: endpoint(primaryId, primaryRegion),
    replicaEndpoint: endpoint(replicaId, replicaRegion),
    primaryGroupId,
    replicaGroupId,
    writerRecordName,
    readerRecordName,
    dnsTtlSeconds: tap.dnsTtlSeconds,
    monitorFunctionName,
    failoverFunctionName,
    scheduleRuleArn: `arn:aws:events:${drRegion}:${ACCOUNT}:rule/events-monitor-schedule-${SUFFIX}`,
    monitorEnv: strings(
      monitorEnvironment({
        primaryHost: endpoint(primaryId, primaryRegion),
        replicaHost: endpoint(replicaId, replicaRegion),
        dbPort: 5432,
        dbName: tap.databaseName,
        primaryRegion,
        replicaRegion,
        masterSecretArn: `arn:aws:secretsmanager:${primaryRegion}:${ACCOUNT}:secret:rds!db-sim-abcdef`,
        environmentSuffix: SUFFIX,
        policy: tap.failoverPolicy,
      }),
    ),
    failoverEnv,
    monitorTimeoutSeconds: monitorTimeoutSeconds(tap.failoverPolicy),
    monitorMaxRetryAttempts: FUNCTION_SETTINGS.monitorMaxRetryAttempts,
    monitorMaxEventAgeSeconds: FUNCTION_SETTINGS.monitorMaxEventAgeSeconds,
    failoverTimeoutSeconds: FUNCTION_SETTINGS.failoverTimeoutSeconds,
    failoverMaxRetryAttempts: FUNCTION_SETTINGS.failoverMaxRetryAttempts,
    failoverMaxEventAgeSeconds: FUNCTION_SETTINGS.failoverMaxEventAgeSeconds,
    failoverReservedConcurrency: FUNCTION_SETTINGS.failoverReservedConcurrency,
    stateMachineArn,
    stepRunnerFunctionName: functionName("step-runner", SUFFIX),
    stepRunnerEnv,
    stepRunnerTimeoutSeconds: FUNCTION_SETTINGS.stepRunnerTimeoutSeconds,
    primaryUnreachableAlarm: {
      name: alarmName,
      arn: `arn:aws:cloudwatch:${drRegion}:${ACCOUNT}:alarm:${alarmName}`,
      key: metricKey(spec.namespace, spec.metricName, [{ Name: METRIC_DIMENSION, Value: SUFFIX }]),
      statistic: spec.statistic,
      comparisonOperator: spec.comparisonOperator,
      threshold: spec.threshold,
      periodSeconds: spec.periodSeconds,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.evaluationPeriods,
      treatMissingData: spec.treatMissingData,
    },
    restoreTestStateMachineArn: `arn:aws:states:${drRegion}:${ACCOUNT}:stateMachine:${restoreTestMachineName(SUFFIX)}`,
    restoreTestRuleArns: {
      test: `arn:aws:events:${drRegion}:${ACCOUNT}:rule/events-restore-test-${SUFFIX}`,
      freshness: `arn:aws:events:${drRegion}:${ACCOUNT}:rule/events-restore-freshness-${SUFFIX}`,
    },
    restoreTestInstanceId: restoreTestEnv.RESTORE_TEST_INSTANCE_ID,
    restoreClientGroupId: RESTORE_CLIENT_GROUP,
    restoreAccessGroupId: RESTORE_ACCESS_GROUP,
    restoreCheckFunctionName: functionName("restore-check", SUFFIX),
    restoreCheckEnv: strings(
      restoreCheckEnvironment({
        dbName: tap.databaseName,
        drRegion,
        minRows: tap.restoreTestMinRows,
        environmentSuffix: SUFFIX,
      }),
    ),
    restoreCheckTimeoutSeconds: RESTORE_TEST_SETTINGS.restoreCheckTimeoutSeconds,
  };
}
