import * as pulumi from "@pulumi/pulumi";
import type { TapConfig } from "./config";
import * as aws from "@pulumi/aws";
import { buildAlerting, METRICS_NAMESPACE, type AlertingResult } from "./infra/alerting";
import { buildBackups, type BackupsResult } from "./infra/backups";
import { buildLambdaBundle, type Bundler } from "./infra/bundle";
import { createContext, type BuildContext } from "./infra/context";
import { buildDatabase, type DatabaseResult } from "./infra/database";
import { buildDns, type DnsResult } from "./infra/dns";
import { buildEncryption, type EncryptionResult } from "./infra/encryption";
import {
  bootstrapNotDeployed,
  buildFunctions,
  FUNCTION_SETTINGS,
  type FunctionsResult,
} from "./infra/functions";
import { buildNetwork, subnetIds, type NetworkResult } from "./infra/network";
import {
  buildRestoreTest,
  RESTORE_TEST_SETTINGS,
  restoreTestStartCommand,
  type RestoreTestResult,
} from "./infra/restore-test";
import { buildSnapshotExport, EXPORT_SETTINGS, type SnapshotExportResult } from "./infra/snapshot-export";
import type { TopologyPlan } from "./infra/topology";
import { dashboardBody } from "./infra/dashboard";

/** Arguments of {@link TapStack}. */
export interface TapStackArgs {
  /** Validated configuration (see `readProgramConfig` in `lib/program.ts`); validation must run first. */
  readonly config: TapConfig;
  /**
   * The topology the pre-flight check approved (`preflightTopology` in `lib/infra/preflight.ts`):
   * which slot writes and what the standby is. It must come from the check, never be made up.
   */
  readonly topology: TopologyPlan;
  /** Builds each function's package; the deployed optimized bundles when omitted. */
  readonly bundle?: Bundler;
}

/**
 * The whole DR system for one RDS PostgreSQL 14 database: network, keys, primary and replica,
 * cross-region backups, backup buckets, alerting, alarms, DNS, the failover functions and workflow,
 * the weekly restore test,
 * across the primary region and the stack's DR region. The constructor only calls the builders in `lib/infra/`, in order.
 */
export class TapStack extends pulumi.ComponentResource {
  /** Builder results, for anything built on top of the stack (e.g. the failover functions). */
  public readonly context: BuildContext;
  public readonly network: NetworkResult;
  public readonly encryption: EncryptionResult;
  public readonly database: DatabaseResult;
  public readonly backups: BackupsResult;
  public readonly alerting: AlertingResult;
  public readonly dns: DnsResult;
  public readonly functions: FunctionsResult;
  public readonly snapshotExport: SnapshotExportResult;
  /** The weekly restore test (`sfn-restore-test-<suffix>`, `restore-check`, schedules, alarms). */
  public readonly restoreTest: RestoreTestResult;
  /** The CloudWatch dashboard of the stack, in the DR region. */
  public readonly dashboard: aws.cloudwatch.Dashboard;

  public readonly primaryRegion: string;
  public readonly replicaRegion: string;
  public readonly drRegion: string;
  /** The primary slot's instance; undefined when it is not declared (after a regional restore). */
  public readonly primaryInstanceId: pulumi.Output<string> | undefined;
  public readonly primaryAddress: pulumi.Output<string> | undefined;
  /** `host:port` */
  public readonly primaryEndpoint: pulumi.Output<string> | undefined;
  public readonly primaryArn: pulumi.Output<string> | undefined;
  public readonly replicaInstanceId: pulumi.Output<string>;
  public readonly replicaAddress: pulumi.Output<string>;
  public readonly replicaEndpoint: pulumi.Output<string>;
  public readonly replicaArn: pulumi.Output<string>;
  /** Which slot takes writes (`tap:activeWriter`). */
  public readonly activeWriter: string;
  /** What the standby slot is declared as: `replica` or the kept `old-writer`. */
  public readonly standbyRole: string;
  public readonly writerInstanceId: pulumi.Output<string>;
  public readonly writerAddress: pulumi.Output<string>;
  public readonly standbyInstanceId: pulumi.Output<string>;
  /** Client security group of the primary slot (fencing revokes its ingress). */
  public readonly primarySecurityGroupId: pulumi.Output<string>;
  /** Client security group of the replica slot. */
  public readonly replicaSecurityGroupId: pulumi.Output<string>;
  /** Access security groups (monitor, bootstrap), never touched by fencing. */
  public readonly primaryAccessSecurityGroupId: pulumi.Output<string>;
  public readonly replicaAccessSecurityGroupId: pulumi.Output<string>;
  public readonly monitorSecurityGroupId: pulumi.Output<string>;
  /** Private subnets of the DR VPC, where the health monitor runs. */
  public readonly drPrivateSubnetIds: pulumi.Output<string[]>;
  public readonly hostedZoneId: pulumi.Output<string>;
  public readonly writerRecordName: string;
  public readonly readerRecordName: string;
  public readonly dnsTtlSeconds: number;
  public readonly primaryAlarmTopicArn: pulumi.Output<string>;
  public readonly drEventsTopicArn: pulumi.Output<string>;
  public readonly primaryBackupBucketName: pulumi.Output<string>;
  public readonly primaryBackupBucketArn: pulumi.Output<string>;
  public readonly drBackupBucketName: pulumi.Output<string>;
  public readonly drBackupBucketArn: pulumi.Output<string>;
  public readonly primaryKmsKeyArn: pulumi.Output<string>;
  public readonly drKmsKeyArn: pulumi.Output<string>;
  public readonly masterSecretArn: pulumi.Output<string>;
  public readonly primaryUnreachableAlarmName: pulumi.Output<string>;
  public readonly monitorSilentAlarmName: pulumi.Output<string>;
  public readonly metricsNamespace: string;
  public readonly monitorFunctionName: pulumi.Output<string>;
  public readonly failoverFunctionName: pulumi.Output<string>;
  public readonly failoverFunctionArn: pulumi.Output<string>;
  /** The failover workflow's task function. */
  public readonly stepRunnerFunctionName: pulumi.Output<string>;
  /** The failover workflow (`sfn-failover-<suffix>`). */
  public readonly stateMachineArn: pulumi.Output<string>;
  public readonly stateMachineName: pulumi.Output<string>;
  /**
   * The one-time bootstrap function in the primary region (invoke once after the first deployment);
   * absent while the writer is in another region (`bootstrapDeployed`).
   */
  public readonly bootstrapFunctionName: pulumi.Output<string> | undefined;
  /** The exact `aws lambda invoke` command of the one-time bootstrap, or why it is not deployed. */
  public readonly bootstrapCommand: string;
  public readonly snapshotExportFunctionName: pulumi.Output<string>;
  /** Where the exports are written: the writer region's backup bucket. */
  public readonly exportBucketName: pulumi.Output<string>;
  public readonly dashboardName: pulumi.Output<string>;
  /** The restore-test state machine (`sfn-restore-test-<suffix>`). */
  public readonly restoreTestStateMachineArn: pulumi.Output<string>;
  /** The `aws stepfunctions start-execution` command that runs a restore test by hand. */
  public readonly restoreTestCommand: pulumi.Output<string>;

  constructor(name: string, args: TapStackArgs, opts?: pulumi.ComponentResourceOptions) {
    super("tap:index:TapStack", name, {}, opts);
    const { config, topology, bundle = buildLambdaBundle } = args;

    this.context = createContext(config, topology, this, bundle);
    this.network = buildNetwork(this.context);
    this.encryption = buildEncryption(this.context);
    this.database = buildDatabase(this.context, this.network, this.encryption);
    this.backups = buildBackups(this.context, this.database, this.encryption);
    this.alerting = buildAlerting(this.context, this.database, this.encryption);
    this.dns = buildDns(this.context, this.network, this.database);
    this.functions = buildFunctions(this.context, {
      network: this.network,
      encryption: this.encryption,
      database: this.database,
      backups: this.backups,
      alerting: this.alerting,
      dns: this.dns,
    });
    this.snapshotExport = buildSnapshotExport(this.context, {
      encryption: this.encryption,
      database: this.database,
      backups: this.backups,
      alerting: this.alerting,
    });
    this.restoreTest = buildRestoreTest(this.context, {
      network: this.network,
      encryption: this.encryption,
      alerting: this.alerting,
      stepRunnerArn: this.functions.stepRunner.fn.arn,
      stepRunnerTimeoutSeconds: FUNCTION_SETTINGS.stepRunnerTimeoutSeconds,
    });
    // The dashboard's "primary" is the writer's place: the primary slot, or the restored writer
    // (whose region is the DR region) after a regional restore.
    const restored = topology.writer === "restored";
    const slotA = restored ? this.database.writer : this.database.instances.primary;
    const slotB = this.database.instances.replica;
    if (slotA === undefined || slotB === undefined)
      throw new Error("the dashboard needs the writer and the replica slot");
    const slotARegion = restored ? config.drRegion : config.primaryRegion;
    const dashboardName = this.context.name("tapstack");
    this.dashboard = new aws.cloudwatch.Dashboard(
      dashboardName,
      {
        dashboardName,
        // The body names identifiers, endpoints and function names: known once they are created.
        dashboardBody: pulumi
          .all([
            slotA.identifier,
            slotA.address,
            slotB.identifier,
            slotB.address,
            this.functions.failover.fn.name,
            this.functions.stepRunner.fn.name,
            this.functions.workflow.stateMachine.arn,
          ])
          .apply(([aId, aAddress, bId, bAddress, failoverName, stepRunnerName, machineArn]) =>
            JSON.stringify(
              dashboardBody({
                environmentSuffix: config.environmentSuffix,
                metricsNamespace: METRICS_NAMESPACE,
                drRegion: config.drRegion,
                primary: { instanceId: aId, region: slotARegion, endpoint: aAddress },
                replica: { instanceId: bId, region: config.replicaRegion, endpoint: bAddress },
                activeWriter: topology.writer,
                writerRecordName: this.dns.writerRecordName,
                maxReplicationLagSeconds: config.failoverPolicy.maxReplicationLagSeconds,
                failoverFunctionName: failoverName,
                stepRunnerFunctionName: stepRunnerName,
                stateMachineArn: machineArn,
                exportOverdueHours: EXPORT_SETTINGS.overdueHours,
                restoreTestStaleHours: RESTORE_TEST_SETTINGS.staleHours,
              }),
            ),
          ),
      },
      { parent: this, provider: this.context.providers.dr },
    );

    // The primary slot is not declared after a regional restore once the lost writer is not kept.
    const { primary } = this.database.instances;
    const replica = slotB;
    this.primaryRegion = config.primaryRegion;
    this.replicaRegion = config.replicaRegion;
    this.drRegion = config.drRegion;
    this.primaryInstanceId = primary?.identifier;
    this.primaryAddress = primary?.address;
    this.primaryEndpoint = primary?.endpoint;
    this.primaryArn = primary?.arn;
    this.replicaInstanceId = replica.identifier;
    this.replicaAddress = replica.address;
    this.replicaEndpoint = replica.endpoint;
    this.replicaArn = replica.arn;
    this.activeWriter = topology.writer;
    this.standbyRole = topology.standbyRole;
    this.writerInstanceId = this.database.writer.identifier;
    this.writerAddress = this.database.writer.address;
    this.standbyInstanceId = this.database.standby.identifier;
    const sgs = this.network.dbSecurityGroups;
    this.primarySecurityGroupId = sgs.primary.clients.securityGroup.id;
    this.replicaSecurityGroupId = sgs.replica.clients.securityGroup.id;
    this.primaryAccessSecurityGroupId = sgs.primary.access.securityGroup.id;
    this.replicaAccessSecurityGroupId = sgs.replica.access.securityGroup.id;
    this.monitorSecurityGroupId = this.network.monitorSecurityGroup.id;
    this.drPrivateSubnetIds = subnetIds(this.network.drVpc);
    this.hostedZoneId = this.dns.zone.zoneId;
    this.writerRecordName = this.dns.writerRecordName;
    this.readerRecordName = this.dns.readerRecordName;
    this.dnsTtlSeconds = config.dnsTtlSeconds;
    this.primaryAlarmTopicArn = this.alerting.primaryTopic.arn;
    this.drEventsTopicArn = this.alerting.drTopic.arn;
    this.primaryBackupBucketName = this.backups.primaryBucket.bucket.bucket;
    this.primaryBackupBucketArn = this.backups.primaryBucket.bucket.arn;
    this.drBackupBucketName = this.backups.drBucket.bucket.bucket;
    this.drBackupBucketArn = this.backups.drBucket.bucket.arn;
    this.primaryKmsKeyArn = this.encryption.primaryKey.arn;
    this.drKmsKeyArn = this.encryption.drKey.arn;
    this.masterSecretArn = this.database.masterSecretArn;
    this.primaryUnreachableAlarmName = this.alerting.primaryUnreachableAlarm.name;
    this.monitorSilentAlarmName = this.alerting.monitorSilentAlarm.name;
    this.metricsNamespace = METRICS_NAMESPACE;
    this.monitorFunctionName = this.functions.monitor.fn.name;
    this.failoverFunctionName = this.functions.failover.fn.name;
    this.failoverFunctionArn = this.functions.failover.fn.arn;
    this.stepRunnerFunctionName = this.functions.stepRunner.fn.name;
    this.stateMachineArn = this.functions.workflow.stateMachine.arn;
    this.stateMachineName = this.functions.workflow.stateMachine.name;
    const bootstrap = this.functions.bootstrap;
    this.bootstrapFunctionName = bootstrap?.fn.name;
    this.bootstrapCommand =
      bootstrap?.command ?? bootstrapNotDeployed(this.database.writerRegion, config.primaryRegion);
    this.snapshotExportFunctionName = this.snapshotExport.exportFn.fn.name;
    this.exportBucketName = (
      this.database.writerRegion === config.primaryRegion ? this.backups.primaryBucket : this.backups.drBucket
    ).bucket.bucket;
    this.dashboardName = this.dashboard.dashboardName;
    this.restoreTestStateMachineArn = this.restoreTest.stateMachine.arn;
    this.restoreTestCommand = this.restoreTest.stateMachine.arn.apply((arn) =>
      restoreTestStartCommand(arn, config.drRegion),
    );

    this.registerOutputs(this.outputs());
  }

  /** The stack outputs the program (`lib/program.ts`) returns (plain values and outputs, no resources). */
  public outputs(): Record<string, pulumi.Input<unknown>> {
    return {
      primaryRegion: this.primaryRegion,
      replicaRegion: this.replicaRegion,
      drRegion: this.drRegion,
      ...(this.primaryInstanceId !== undefined
        ? {
            primaryInstanceId: this.primaryInstanceId,
            primaryAddress: this.primaryAddress,
            primaryEndpoint: this.primaryEndpoint,
            primaryArn: this.primaryArn,
          }
        : {}),
      replicaInstanceId: this.replicaInstanceId,
      replicaAddress: this.replicaAddress,
      replicaEndpoint: this.replicaEndpoint,
      replicaArn: this.replicaArn,
      activeWriter: this.activeWriter,
      standbyRole: this.standbyRole,
      writerInstanceId: this.writerInstanceId,
      writerAddress: this.writerAddress,
      standbyInstanceId: this.standbyInstanceId,
      primarySecurityGroupId: this.primarySecurityGroupId,
      replicaSecurityGroupId: this.replicaSecurityGroupId,
      primaryAccessSecurityGroupId: this.primaryAccessSecurityGroupId,
      replicaAccessSecurityGroupId: this.replicaAccessSecurityGroupId,
      monitorSecurityGroupId: this.monitorSecurityGroupId,
      drPrivateSubnetIds: this.drPrivateSubnetIds,
      hostedZoneId: this.hostedZoneId,
      writerRecordName: this.writerRecordName,
      readerRecordName: this.readerRecordName,
      primaryAlarmTopicArn: this.primaryAlarmTopicArn,
      drEventsTopicArn: this.drEventsTopicArn,
      primaryBackupBucketName: this.primaryBackupBucketName,
      primaryBackupBucketArn: this.primaryBackupBucketArn,
      drBackupBucketName: this.drBackupBucketName,
      drBackupBucketArn: this.drBackupBucketArn,
      primaryKmsKeyArn: this.primaryKmsKeyArn,
      drKmsKeyArn: this.drKmsKeyArn,
      masterSecretArn: this.masterSecretArn,
      primaryUnreachableAlarmName: this.primaryUnreachableAlarmName,
      monitorSilentAlarmName: this.monitorSilentAlarmName,
      metricsNamespace: this.metricsNamespace,
      monitorFunctionName: this.monitorFunctionName,
      failoverFunctionName: this.failoverFunctionName,
      failoverFunctionArn: this.failoverFunctionArn,
      stepRunnerFunctionName: this.stepRunnerFunctionName,
      stateMachineArn: this.stateMachineArn,
      stateMachineName: this.stateMachineName,
      ...(this.bootstrapFunctionName !== undefined
        ? { bootstrapFunctionName: this.bootstrapFunctionName }
        : {}),
      bootstrapCommand: this.bootstrapCommand,
      snapshotExportFunctionName: this.snapshotExportFunctionName,
      exportBucketName: this.exportBucketName,
      dashboardName: this.dashboardName,
      restoreTestStateMachineArn: this.restoreTestStateMachineArn,
      restoreTestCommand: this.restoreTestCommand,
    };
  }
}
