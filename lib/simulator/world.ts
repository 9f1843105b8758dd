/**
 * One simulated run: AWS (RDS, EC2, CloudWatch, EventBridge, Lambda, Route 53, SNS, S3) and the two
 * databases on a virtual clock, with the *deployed* code plugged in where it runs on AWS: the real
 * health-monitor handler (its real `runMonitor`, metrics through real Powertools EMF output) and the
 * real failover handler built by the deployed wiring (`readFailoverConfig` + `buildFailoverPorts`
 * with its real adapters, `SfnWorkflow` for the workflow), whose SDK clients are answered by the
 * simulated AWS, and the real step-runner handler (`createStepRunnerHandler` on the same wiring)
 * behind the failover state machine: the deployed definition (`failoverDefinition`) run by
 * `LocalWorkflow`, which serves Step Functions' StartExecution / ListExecutions / DescribeExecution
 * and invokes the step runner synchronously through the Lambda model. Only the network edge is
 * simulated: AWS's services, PostgreSQL as the monitor's probe sees it, and time.
 */
import type { Clock, DatabaseProbe } from "../lambda/core/ports";
import type { LagReading, ProbeResult, ReplicationPositions } from "../lambda/core/types";
import type { HandlerLogger, HandlerMetrics } from "../lambda/telemetry";
import { createMetrics } from "../lambda/telemetry";
import { readFailoverConfig, readStepRunnerConfig } from "../lambda/failover/env";
import { createFailoverHandler } from "../lambda/failover/handler";
import { buildFailoverPorts } from "../lambda/failover/ports";
import { readMonitorConfig } from "../lambda/health-monitor/env";
import { createMonitorHandler } from "../lambda/health-monitor/handler";
import { SfnWorkflow } from "../lambda/adapters/aws/sfn-workflow";
import { createStepRunnerHandler } from "../lambda/step-runner/handler";
import { buildRestoreTestContext } from "../lambda/step-runner/restore-test";
import { createRestoreCheckHandler, type RestoreCheckEvent } from "../lambda/restore-check/handler";
import { readRestoreCheckConfig, type RestoreCheckConfig } from "../lambda/restore-check/env";
import { readRestoreCheck, RestoreCheckFailed } from "../lambda/adapters/postgres/restore-check";
import { isRestoreTestRequest } from "../lambda/core/restore-test-request";
import type { RestoreCheckResult, RestoreTestInput } from "../lambda/core/restore-test";
import { restoreTestDefinition } from "../workflow/restore-test-definition";
import { failoverDefinition } from "../workflow/definition";
import { LocalWorkflow, type LocalExecution } from "../workflow/local";
import { FENCED_AT_TAG } from "../function-env";
import type { SimulatedAwsConfig } from "./config";
import {
  BASE_LAG_SECONDS,
  clientWritable,
  acceptsNewWriters,
  freezeReplication,
  newestAtOrBefore,
  newestCommitAtOrBefore,
  replayedUpToMs,
  type SimInstance,
} from "./database";
import { MetricStore, SimAlarm, metricKey } from "./aws/cloudwatch";
import { SimulatedServiceError, rdsFault } from "./aws/errors";
import { NotSimulatedError, SimulatedAws, SimulatedAwsClients, type ServiceName } from "./aws/sdk";
import {
  emfDatapoints,
  restoredDatabase,
  type RestoreTestMetric,
  type TestInstanceRecord,
} from "./restore-test";
import { lambdaIntegrationError, SimLambda, type LambdaContextLike, type SimFunction } from "./lambda";
import { Rng } from "./rng";
import { Scheduler, type InvocationContext } from "./scheduler";
import { CRASH_POINTS, type CrashPoint, type Fault, type FaultFunction, type Timeline } from "./timeline";

const MINUTE_MS = 60_000;
/** Client reconnect cadence while it has no working session. */
const RECONNECT_MS = 2_000;
/** Virtual epoch of every run: a fixed date keeps runs identical across days. */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 5, 0, 0, 0);
/** Minutes of healthy operation before the first fault can apply (heartbeats and metrics exist). */
export const WARM_UP_MINUTES = 5;

/** RDS ships the transaction logs to the backups every 5 minutes (reference §1.6). */
export const LOG_SHIP_PERIOD_MS = 5 * MINUTE_MS;

/** Step Functions' limit on a state's input or output (reference §3: `States.DataLimitExceeded`). */
export const STATE_PAYLOAD_LIMIT_BYTES = 262_144;

/**
 * The restore-check function's connect bound (`CHECK_TIMEOUT_MS` of its entry module, 20 s): an
 * instance it has no network path to answers nothing, and the connect gives up after it.
 */
const RESTORE_CHECK_CONNECT_TIMEOUT_MS = 20_000;

/** One SNS notification as it reached the topic. */
export interface AlertRecord {
  readonly atMs: number;
  readonly subject: string;
  readonly severity: string;
  readonly event: string;
}

/** A log line of a deployed handler (the recording logger keeps them for the outcome). */
export interface LogRecord {
  readonly atMs: number;
  readonly functionKey: string;
  readonly level: "info" | "warn" | "error";
  readonly message: string;
  readonly data: Record<string, unknown>;
}

/** A logger with Powertools' surface that records instead of printing. */
function recordingLogger(scheduler: Scheduler, functionKey: string, sink: LogRecord[]): HandlerLogger {
  const log =
    (level: LogRecord["level"]) =>
    (message: unknown, ...rest: unknown[]): void => {
      const data = Object.assign({}, ...rest.filter((r) => typeof r === "object" && r !== null)) as Record<
        string,
        unknown
      >;
      sink.push({ atMs: scheduler.nowMs(), functionKey, level, message: String(message), data });
    };
  return {
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    appendKeys: () => undefined,
    addContext: () => undefined,
  } as unknown as HandlerLogger;
}

/** Real Powertools metrics whose EMF output goes to the simulated CloudWatch instead of stdout. */
function emfMetrics(
  namespace: string,
  service: string,
  suffix: string,
  sink: (line: string) => void,
): HandlerMetrics {
  const metrics = createMetrics(namespace, service, suffix);
  (metrics as unknown as { console: { log: (line: string) => void } }).console = { log: sink };
  return metrics;
}

/** Everything one run produced, before invariants are checked. */
export interface RunRecord {
  readonly timeline: Timeline;
  readonly config: SimulatedAwsConfig;
  readonly primary: SimInstance;
  readonly replica: SimInstance;
  readonly alerts: readonly AlertRecord[];
  readonly logs: readonly LogRecord[];
  readonly lambda: SimLambda;
  readonly aws: SimulatedAws;
  readonly s3Keys: readonly string[];
  readonly writerTargetAtEnd: string | null;
  readonly splitBrainMs: number;
  readonly faultAtMs: number | null;
  readonly endMs: number;
  /** Client-observed: first commit on each instance after `faultAtMs`, and interruptions. */
  readonly firstCommitAfterFault: ReadonlyMap<string, number>;
  readonly writesInterruptedAfterFault: boolean;
  /** Every execution of the failover state machine, oldest first, as it stood at the end. */
  readonly executions: readonly ExecutionRecord[];
  /** Most executions that ran at once. */
  readonly maxRunningExecutions: number;
  /** Every change of the writer record, in order. */
  readonly writerChanges: readonly WriterChange[];
  /** Largest task input or output the step runner exchanged with the state machine, bytes. */
  readonly largestStatePayloadBytes: number;
  /** Invocations an injected fault crashed or stalled right after a call reached AWS. */
  readonly interruptions: readonly Interruption[];
  /** The instance a regional restore created, if any. */
  readonly restored: SimInstance | null;
  /** What was promotable or writable when RDS accepted the restore, `null` when nothing was. */
  readonly restoreWhile: string | null;
  /** Regional restores RDS accepted (RestoreDBInstanceToPointInTime into any identifier but the test's). */
  readonly restores: number;
  /** Executions of the restore-test state machine, with the mode they were started with. */
  readonly restoreTestExecutions: readonly (ExecutionRecord & {
    readonly mode: string;
    readonly by: string;
  })[];
  /** Every temporary instance under the restore test's identifier. */
  readonly testInstances: readonly TestInstanceRecord[];
  /** The restore-test metrics the step runner published. */
  readonly restoreTestMetrics: readonly RestoreTestMetric[];
  /** Client commits that reached a restore-test instance (it must never be a writer). */
  readonly testInstanceCommitSegments: number;
}

/** An invocation ended by an injected fault right after `command` reached AWS. */
export interface Interruption {
  readonly atMs: number;
  readonly functionKey: string;
  readonly command: string;
  readonly fate: "crash" | "stall";
}

/** An execution of the failover state machine as the run left it. */
export interface ExecutionRecord {
  readonly name: string;
  readonly status: LocalExecution["status"];
  readonly startedAtMs: number;
  readonly stoppedAtMs: number | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly transitions: number;
  /** Waiting for an operator's answer (a `waitForTaskToken` task) when the run ended. */
  readonly awaitingApproval: boolean;
  /** The last state entered (for a closed execution, the terminal state: `FailoverSucceeded`, …). */
  readonly endState: string | null;
  /** Each failed attempt of a state, in order, with the error Step Functions matched (retried or caught). */
  readonly stateErrors: readonly { readonly state: string; readonly error: string }[];
  /** The states entered, in order (for debugging a timeline). */
  readonly states: readonly string[];
}

/** One ChangeResourceRecordSets of the writer record. */
export interface WriterChange {
  readonly atMs: number;
  readonly target: string;
  /** The replica had accepted a promotion when the change was made. */
  readonly afterPromotion: boolean;
}

export class World {
  readonly scheduler = new Scheduler(SIM_EPOCH_MS);
  readonly rng: Rng;
  readonly aws: SimulatedAws;
  readonly lambda: SimLambda;
  readonly primary: SimInstance;
  readonly replica: SimInstance;
  /** The instance a regional restore created in the DR region, once RDS accepted the restore. */
  private restored: SimInstance | null = null;
  /** What was promotable or writable when RDS accepted the restore (an invariant's evidence). */
  private restoreWhile: string | null = null;
  private regionalRestores = 0;
  /** The instance under the restore test's identifier, while one exists. */
  private testInstance: SimInstance | null = null;
  /** Every instance the restore test's identifier held, and what happened to it. */
  private readonly testRecords = new Map<SimInstance, TestInstanceRecord>();
  /** The restore-test state machine, run locally from the deployed definition. */
  private restoreTestWorkflow: LocalWorkflow<RestoreTestInput> | null = null;
  private restoreCheck!: SimFunction;
  private readonly restoreTestStarts = new Map<string, { mode: string; by: string }>();
  private readonly restoreTestMetrics: RestoreTestMetric[] = [];
  /** The restore-test execution each running step-runner invocation serves, by invocation id. */
  private readonly stepExecution = new Map<string, string>();
  /**
   * The primary's logs reach the DR region's backups every 5 minutes (reference §1.6), at this
   * offset into each 5-minute period: a restore recovers up to the newest shipment.
   */
  private readonly logShipOffsetMs: number;
  private readonly stores = new Map<string, MetricStore>();
  private readonly alarms: SimAlarm[] = [];
  readonly alerts: AlertRecord[] = [];
  readonly logs: LogRecord[] = [];
  /** S3 objects by key, with the ETag conditional writes compare (reference: S3 conditional writes). */
  private readonly objects = new Map<string, { body: string; etag: string }>();
  private etags = 0;
  private readonly records = new Map<string, { value: string; ttl: number }>();
  /** Client-visible writer value and when it became visible. */
  private writerVisible: string;
  private readonly changes = new Map<string, number>();
  private pathDownUntilMs = -1;
  private pathDownFromMs = Infinity;
  private monitor!: SimFunction;
  private failover!: SimFunction;
  private readonly baseLag: number;
  private readonly endMs: number;
  private readonly faultAtMs: number | null;
  // Workload
  private session: { instance: SimInstance; openedAtMs: number } | null = null;
  private dnsCache: { target: string; untilMs: number } | null = null;
  private reconnectPending = false;
  private splitBrainMs = 0;
  private lastObservedMs: number;
  private readonly firstCommitAfterFault = new Map<string, number>();
  private interrupted = false;
  private stepRunner!: SimFunction;
  /** The failover state machine, run locally; Step Functions' API is served from it. */
  private workflow!: LocalWorkflow;
  private maxRunningExecutions = 0;
  private readonly writerChanges: WriterChange[] = [];
  private largestStatePayloadBytes = 0;
  private readonly interruptions: Interruption[] = [];
  /** The definition's `Fail` states: entering one is the execution's end, not a failed attempt. */
  private readonly failStates = new Set<string>();
  /** The task the running step-runner invocation serves (it runs one at a time). */
  private stepRunnerTask: string | undefined;
  private crashes: {
    fn: FaultFunction;
    point?: CrashPoint;
    fate: "crash" | "stall";
    fromMs: number;
    left: number;
  }[] = [];

  constructor(
    readonly timeline: Timeline,
    readonly config: SimulatedAwsConfig,
  ) {
    this.rng = new Rng(timeline.seed);
    this.aws = new SimulatedAws(this.scheduler, this.rng);
    this.lambda = new SimLambda(this.scheduler);
    this.baseLag =
      timeline.placement === "cross-region" ? BASE_LAG_SECONDS.crossRegion : BASE_LAG_SECONDS.sameRegion;
    this.endMs = SIM_EPOCH_MS + (WARM_UP_MINUTES + timeline.durationMinutes) * MINUTE_MS;
    const firstFault = timeline.faults.map((f) => f.atMinute).sort((a, b) => a - b)[0];
    this.faultAtMs = firstFault === undefined ? null : this.minuteMs(firstFault);
    this.lastObservedMs = SIM_EPOCH_MS;
    this.primary = this.instance(
      config.primaryId,
      config.primaryRegion,
      config.primaryEndpoint,
      config.primaryGroupId,
      null,
    );
    this.replica = this.instance(
      config.replicaId,
      config.replicaRegion,
      config.replicaEndpoint,
      config.replicaGroupId,
      this.primary,
    );
    this.records.set(config.writerRecordName, { value: config.primaryEndpoint, ttl: config.dnsTtlSeconds });
    this.records.set(config.readerRecordName, { value: config.replicaEndpoint, ttl: config.dnsTtlSeconds });
    this.writerVisible = config.primaryEndpoint;
    // From the seed, not the generator: the other draws of a run stay as they were.
    this.logShipOffsetMs = ((timeline.seed * 7_919) % 300) * 1000;
    this.registerServices();
  }

  /** Every instance there is: the primary, the replica, and a restored one once created. */
  private instances(): SimInstance[] {
    const out = [this.primary, this.replica];
    if (this.restored !== null) out.push(this.restored);
    if (this.testInstance !== null) out.push(this.testInstance);
    return out;
  }

  /**
   * `LatestRestorableTime` of the replicated backups at `nowMs`: the newest log shipment while the
   * primary lived (shipments every 5 minutes; after its death nothing more is shipped).
   */
  private latestRestorableMs(nowMs: number): number {
    const p = this.primary;
    const until = p.hostAlive ? nowMs : (p.downSinceMs ?? nowMs);
    const offset = this.logShipOffsetMs;
    return Math.floor((until - offset) / LOG_SHIP_PERIOD_MS) * LOG_SHIP_PERIOD_MS + offset;
  }

  /** Virtual time of a timeline minute (minute 0 is the end of the warm-up). */
  minuteMs(minute: number): number {
    return SIM_EPOCH_MS + (WARM_UP_MINUTES + minute) * MINUTE_MS;
  }

  private instance(
    id: string,
    region: string,
    endpoint: string,
    groupId: string,
    source: SimInstance | null,
  ): SimInstance {
    return {
      id,
      region,
      arn: `arn:aws:rds:${region}:${this.config.account}:db:${id}`,
      endpoint,
      createdAtMs: SIM_EPOCH_MS - 86_400_000,
      status: "available",
      engineUp: true,
      hostAlive: true,
      lastRestartAtMs: SIM_EPOCH_MS - 86_400_000,
      downSinceMs: null,
      sourceId: source === null ? null : source.region === region ? source.id : source.arn,
      replicatingFrom: source,
      frozenReplayMs: null,
      standalone: source === null,
      storageFull: false,
      refuses: null,
      extraLagSeconds: 0,
      tags: new Map([["DR-Role", source === null ? "primary" : "replica"]]),
      // New read replicas start with automated backups off (reference §1.2).
      backupRetentionDays: source === null ? 7 : 0,
      clientRules: new Map([[`sgr-${id}-app`, "10.20.0.0/16"]]),
      clientGroupId: groupId,
      revokedAtMs: null,
      heartbeats: [SIM_EPOCH_MS - 30_000],
      commitSegments: [],
      promotionsAccepted: 0,
    };
  }

  private store(region: string): MetricStore {
    let store = this.stores.get(region);
    if (store === undefined) {
      store = new MetricStore(this.timeline.aws.metricIngestionSeconds * 1000);
      this.stores.set(region, store);
    }
    return store;
  }

  private byId(id: string, region: string): SimInstance | undefined {
    return this.instances().find((i) => i.id === id && i.region === region);
  }

  private byArn(arn: string): SimInstance | undefined {
    return this.instances().find((i) => i.arn === arn);
  }

  // -------------------------------------------------------------------------------------------
  // Services

  private registerServices(): void {
    const aws = this.aws;
    const now = (): number => this.scheduler.nowMs();
    const describe = (i: SimInstance): Record<string, unknown> => ({
      DBInstanceIdentifier: i.id,
      DBInstanceArn: i.arn,
      DBInstanceStatus: i.status,
      // No endpoint while an instance is first created (commonly observed; the reference does not
      // say: an assumption, the stricter one for code that would use it early).
      ...(i.status === "creating" ? {} : { Endpoint: { Address: i.endpoint, Port: 5432 } }),
      InstanceCreateTime: new Date(i.createdAtMs),
      BackupRetentionPeriod: i.backupRetentionDays,
      TagList: [...i.tags.entries()].map(([Key, Value]) => ({ Key, Value })),
      ...(i.sourceId === null
        ? {}
        : {
            ReadReplicaSourceDBInstanceIdentifier: i.sourceId,
            StatusInfos: [
              {
                StatusType: "read replication",
                Status: i.engineUp ? "replicating" : "error",
                Normal: i.engineUp,
              },
            ],
          }),
    });
    const find = (region: string, id: unknown): SimInstance => {
      const instance = typeof id === "string" ? this.byId(id, region) : undefined;
      if (instance === undefined)
        throw rdsFault("DBInstanceNotFoundFault", `DBInstance ${String(id)} not found.`);
      return instance;
    };
    aws.handle("rds", "DescribeDBInstances", (region, input: { DBInstanceIdentifier?: string }) => ({
      DBInstances: [describe(find(region, input.DBInstanceIdentifier))],
    }));
    const backupArn = `arn:aws:rds:${this.config.drRegion}:${this.config.account}:auto-backup:ab-sim-${this.config.primaryId}`;
    aws.handle(
      "rds",
      "DescribeDBInstanceAutomatedBackups",
      (region, input: { DBInstanceIdentifier?: string }) => {
        // Replicated to the DR region only; in the primary's region its own backups (not restored from here).
        const replicated =
          this.timeline.aws.backupsReplicated &&
          region === this.config.drRegion &&
          input.DBInstanceIdentifier === this.primary.id;
        return {
          DBInstanceAutomatedBackups: replicated
            ? [
                {
                  DBInstanceIdentifier: this.primary.id,
                  DBInstanceAutomatedBackupsArn: backupArn,
                  Region: this.config.primaryRegion,
                  Status: "replicating",
                  BackupRetentionPeriod: this.primary.backupRetentionDays,
                  RestoreWindow: {
                    EarliestTime: new Date(SIM_EPOCH_MS - 7 * 86_400_000),
                    LatestTime: new Date(this.latestRestorableMs(now())),
                  },
                },
              ]
            : [],
        };
      },
    );
    aws.handle(
      "rds",
      "RestoreDBInstanceToPointInTime",
      (
        region,
        input: {
          SourceDBInstanceAutomatedBackupsArn?: string;
          TargetDBInstanceIdentifier?: string;
          UseLatestRestorableTime?: boolean;
          BackupRetentionPeriod?: number;
          VpcSecurityGroupIds?: string[];
          EnableIAMDatabaseAuthentication?: boolean;
          Tags?: { Key?: string; Value?: string }[];
        },
      ) => {
        const id = String(input.TargetDBInstanceIdentifier);
        if (this.instances().some((i) => i.id === id && i.region === region))
          throw rdsFault("DBInstanceAlreadyExistsFault", `DB instance already exists: ${id}`);
        if (
          !this.timeline.aws.backupsReplicated ||
          input.SourceDBInstanceAutomatedBackupsArn !== backupArn ||
          region !== this.config.drRegion
        )
          throw rdsFault(
            "DBInstanceAutomatedBackupNotFoundFault",
            `${String(input.SourceDBInstanceAutomatedBackupsArn)} not found.`,
          );
        if (input.UseLatestRestorableTime !== true)
          throw rdsFault("InvalidParameterCombination", "RestoreTime or UseLatestRestorableTime is required");
        const restored = this.restore(id, region, input);
        if (id === this.config.restoreTestInstanceId) {
          this.testInstance = restored;
          this.testRecords.set(restored, {
            id,
            endpoint: restored.endpoint,
            execution: restored.tags.get("tap:restore-test") ?? null,
            createdAtMs: restored.createdAtMs,
            availableAtMs: null,
            deleteRequestedAtMs: null,
            deletedBy: null,
            goneAtMs: null,
          });
        } else {
          this.restoreWhile =
            [this.primary, this.replica]
              .filter((i) => i.hostAlive && i.engineUp && (i.standalone || i.replicatingFrom !== null))
              .map((i) => `${i.id} (${i.standalone ? "writable" : "promotable"})`)
              .join(", ") || null;
          this.restored = restored;
          this.regionalRestores++;
        }
        return { DBInstance: describe(restored) };
      },
    );
    aws.handle(
      "rds",
      "DeleteDBInstance",
      (
        region,
        input: {
          DBInstanceIdentifier?: string;
          SkipFinalSnapshot?: boolean;
          FinalDBSnapshotIdentifier?: string;
        },
        invocation,
      ) => {
        const i = find(region, input.DBInstanceIdentifier);
        if (i !== this.testInstance)
          throw new NotSimulatedError("rds", "DeleteDBInstance of a stack instance");
        // Reference §1.6: without SkipFinalSnapshot a FinalDBSnapshotIdentifier is required.
        if (input.SkipFinalSnapshot !== true && input.FinalDBSnapshotIdentifier === undefined)
          throw rdsFault(
            "InvalidParameterCombination",
            "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.",
          );
        // `deleting` cannot be cancelled (reference §1.6). Whether a `creating` instance is refused is
        // UNCONFIRMED there: refused here, the stricter case (the caller asks again at its next poll).
        if (i.status === "deleting" || i.status === "creating")
          throw rdsFault("InvalidDBInstanceStateFault", `DB instance ${i.id} is ${i.status}.`);
        const record = this.testRecords.get(i);
        if (record !== undefined) {
          record.deleteRequestedAtMs = now();
          record.deletedBy =
            invocation === undefined ? null : (this.stepExecution.get(invocation.id) ?? null);
        }
        i.status = "deleting";
        i.engineUp = false;
        i.downSinceMs = now();
        this.observe();
        this.scheduler.after(this.timeline.aws.deleteSeconds * 1000, () => {
          if (this.testInstance === i) this.testInstance = null;
          if (record !== undefined) record.goneAtMs = this.scheduler.nowMs();
        });
        return { DBInstance: describe(i) };
      },
    );
    aws.handle(
      "rds",
      "PromoteReadReplica",
      (region, input: { DBInstanceIdentifier?: string; BackupRetentionPeriod?: number }) => {
        const i = find(region, input.DBInstanceIdentifier);
        if (i.sourceId === null || i.replicatingFrom === null)
          throw rdsFault("InvalidDBInstanceStateFault", `DB Instance ${i.id} is not a read replica.`);
        if (i.status !== "available")
          throw rdsFault(
            "InvalidDBInstanceStateFault",
            `DB instance ${i.id} is not in available state (${i.status}).`,
          );
        this.promote(i, input.BackupRetentionPeriod ?? 1);
        return { DBInstance: describe(i) };
      },
    );
    aws.handle("rds", "RebootDBInstance", (region, input: { DBInstanceIdentifier?: string }) => {
      const i = find(region, input.DBInstanceIdentifier);
      // Reboot works only from `available` (reference §1.3).
      if (i.status !== "available" || !i.hostAlive)
        throw rdsFault(
          "InvalidDBInstanceStateFault",
          `DB instance ${i.id} is not in available state (${i.status}).`,
        );
      this.restart(i, "rebooting", this.timeline.aws.rebootSeconds * 1000);
      return { DBInstance: describe(i) };
    });
    aws.handle(
      "rds",
      "ModifyDBInstance",
      (region, input: { DBInstanceIdentifier?: string; BackupRetentionPeriod?: number }) => {
        const i = find(region, input.DBInstanceIdentifier);
        if (i.status !== "available" && i.status !== "backing-up")
          throw rdsFault("InvalidDBInstanceStateFault", `DB instance ${i.id} is ${i.status}.`);
        if (input.BackupRetentionPeriod !== undefined) {
          const enabling = i.backupRetentionDays === 0 && input.BackupRetentionPeriod > 0;
          i.backupRetentionDays = input.BackupRetentionPeriod;
          if (enabling)
            this.statusFor(i, "backing-up", Math.max(60_000, this.timeline.aws.promotionSeconds * 500));
        }
        return { DBInstance: describe(i) };
      },
    );
    aws.handle(
      "rds",
      "AddTagsToResource",
      (_region, input: { ResourceName?: string; Tags?: { Key?: string; Value?: string }[] }) => {
        const i = this.byArn(String(input.ResourceName));
        if (i === undefined)
          throw rdsFault("DBInstanceNotFoundFault", `${String(input.ResourceName)} not found.`);
        for (const tag of input.Tags ?? []) i.tags.set(String(tag.Key), String(tag.Value));
        return {};
      },
    );
    aws.handle(
      "rds",
      "RemoveTagsFromResource",
      (_region, input: { ResourceName?: string; TagKeys?: string[] }) => {
        const i = this.byArn(String(input.ResourceName));
        if (i === undefined)
          throw rdsFault("DBInstanceNotFoundFault", `${String(input.ResourceName)} not found.`);
        for (const key of input.TagKeys ?? []) i.tags.delete(key);
        return {};
      },
    );

    const group = (region: string, id: unknown): SimInstance => {
      const instance = [this.primary, this.replica].find(
        (i) => i.clientGroupId === id && i.region === region,
      );
      if (instance === undefined)
        throw new SimulatedServiceError(
          "InvalidGroup.NotFound",
          `The security group '${String(id)}' does not exist`,
          400,
        );
      return instance;
    };
    aws.handle(
      "ec2",
      "DescribeSecurityGroupRules",
      (region, input: { Filters?: { Name?: string; Values?: string[] }[] }) => {
        const groupId = input.Filters?.find((f) => f.Name === "group-id")?.Values?.[0];
        const i = group(region, groupId);
        return {
          SecurityGroupRules: [...i.clientRules.entries()].map(([id, cidr]) => ({
            SecurityGroupRuleId: id,
            GroupId: i.clientGroupId,
            IsEgress: false,
            IpProtocol: "tcp",
            FromPort: 5432,
            ToPort: 5432,
            CidrIpv4: cidr,
          })),
        };
      },
    );
    aws.handle(
      "ec2",
      "RevokeSecurityGroupIngress",
      (region, input: { GroupId?: string; SecurityGroupRuleIds?: string[] }) => {
        const i = group(region, input.GroupId);
        for (const id of input.SecurityGroupRuleIds ?? []) {
          if (!i.clientRules.has(id))
            throw new SimulatedServiceError("InvalidPermission.NotFound", `rule ${id} not found`, 400);
        }
        for (const id of input.SecurityGroupRuleIds ?? []) i.clientRules.delete(id);
        i.revokedAtMs = now();
        this.observe();
        return { Return: true };
      },
    );
    aws.handle(
      "ec2",
      "AuthorizeSecurityGroupIngress",
      (region, input: { GroupId?: string; IpPermissions?: { IpRanges?: { CidrIp?: string }[] }[] }) => {
        const i = group(region, input.GroupId);
        const created = [];
        for (const permission of input.IpPermissions ?? []) {
          for (const range of permission.IpRanges ?? []) {
            const id = `sgr-${i.id}-${now()}-${i.clientRules.size}`;
            i.clientRules.set(id, String(range.CidrIp));
            created.push({
              SecurityGroupRuleId: id,
              GroupId: i.clientGroupId,
              CidrIpv4: range.CidrIp,
              IsEgress: false,
            });
          }
        }
        this.observe();
        return { Return: true, SecurityGroupRules: created };
      },
    );

    aws.handle("cloudwatch", "GetMetricData", (region, input: never) =>
      this.store(region).getMetricData(input, now()),
    );
    aws.handle(
      "cloudwatch",
      "PutMetricData",
      (
        region,
        input: {
          Namespace?: string;
          MetricData?: {
            MetricName?: string;
            Dimensions?: { Name?: string; Value?: string }[];
            Timestamp?: Date;
            Value?: number;
          }[];
        },
      ) => {
        for (const d of input.MetricData ?? []) {
          this.store(region).put(
            metricKey(String(input.Namespace), String(d.MetricName), d.Dimensions ?? []),
            d.Timestamp?.getTime() ?? now(),
            Number(d.Value),
            now(),
          );
        }
        return {};
      },
    );

    aws.handle(
      "route53",
      "ListResourceRecordSets",
      (_region, input: { StartRecordName?: string; MaxItems?: number }) => {
        const names = [...this.records.keys()]
          .sort()
          .filter(
            (n) => input.StartRecordName === undefined || n >= input.StartRecordName.replace(/\.$/, ""),
          );
        const take = names.slice(0, input.MaxItems ?? 100);
        return {
          ResourceRecordSets: take.map((name) => {
            const record = this.records.get(name)!;
            return {
              Name: `${name}.`,
              Type: "CNAME",
              TTL: record.ttl,
              ResourceRecords: [{ Value: record.value }],
            };
          }),
          IsTruncated: names.length > take.length,
          MaxItems: input.MaxItems,
        };
      },
    );
    aws.handle(
      "route53",
      "ChangeResourceRecordSets",
      (
        _region,
        input: {
          ChangeBatch?: {
            Changes?: {
              Action?: string;
              ResourceRecordSet?: { Name?: string; TTL?: number; ResourceRecords?: { Value?: string }[] };
            }[];
          };
        },
      ) => {
        const id = `/change/C${String(this.changes.size + 1).padStart(8, "0")}`;
        const insyncAtMs = now() + this.timeline.aws.route53InsyncSeconds * 1000;
        this.changes.set(id, insyncAtMs);
        for (const change of input.ChangeBatch?.Changes ?? []) {
          const set = change.ResourceRecordSet;
          const name = String(set?.Name).replace(/\.$/, "");
          const value = String(set?.ResourceRecords?.[0]?.Value);
          this.records.set(name, { value, ttl: set?.TTL ?? 30 });
          if (name === this.config.writerRecordName) {
            this.writerChanges.push({
              atMs: now(),
              target: value,
              afterPromotion: this.replica.promotionsAccepted > 0,
            });
            this.scheduler.at(insyncAtMs, () => {
              if (this.records.get(name)?.value === value) {
                this.writerVisible = value;
                this.observe();
              }
            });
          }
        }
        return { ChangeInfo: { Id: id, Status: "PENDING", SubmittedAt: new Date(now()) } };
      },
    );
    aws.handle("route53", "GetChange", (_region, input: { Id?: string }) => {
      const key = String(input.Id).startsWith("/change/") ? String(input.Id) : `/change/${String(input.Id)}`;
      const insyncAtMs = this.changes.get(key);
      if (insyncAtMs === undefined)
        throw new SimulatedServiceError("NoSuchChange", `change ${String(input.Id)} not found`, 404);
      return {
        ChangeInfo: {
          Id: key,
          Status: now() >= insyncAtMs ? "INSYNC" : "PENDING",
          SubmittedAt: new Date(now()),
        },
      };
    });

    aws.handle(
      "sns",
      "Publish",
      (
        _region,
        input: { Subject?: string; MessageAttributes?: Record<string, { StringValue?: string }> },
      ) => {
        this.alerts.push({
          atMs: now(),
          subject: String(input.Subject),
          severity: input.MessageAttributes?.severity?.StringValue ?? "unknown",
          event: input.MessageAttributes?.event?.StringValue ?? "unknown",
        });
        return { MessageId: `msg-${this.alerts.length}` };
      },
    );

    // The failover function reads WAL positions through the monitor (RequestResponse invoke).
    aws.handle(
      "lambda",
      "Invoke",
      async (_region, input: { FunctionName?: string; Payload?: Uint8Array }) => {
        if (input.FunctionName !== this.config.monitorFunctionName) {
          throw new SimulatedServiceError(
            "ResourceNotFoundException",
            `Function not found: ${String(input.FunctionName)}`,
            404,
          );
        }
        const request: unknown = JSON.parse(Buffer.from(input.Payload ?? new Uint8Array()).toString("utf8"));
        const bytes = (value: unknown): Uint8Array =>
          new Uint8Array(Buffer.from(JSON.stringify(value), "utf8"));
        try {
          const result = await this.lambda.invokeSync(this.monitor, request);
          return { StatusCode: 200, ExecutedVersion: "$LATEST", Payload: bytes(result) };
        } catch (error) {
          if ((error as Error).name === "TooManyRequestsException") {
            throw new SimulatedServiceError("TooManyRequestsException", "Rate Exceeded.", 429);
          }
          // A function error is still HTTP 200, with FunctionError set (reference §2).
          return {
            StatusCode: 200,
            FunctionError: "Unhandled",
            ExecutedVersion: "$LATEST",
            Payload: bytes({ errorType: "Error", errorMessage: (error as Error).message }),
          };
        }
      },
    );
    const precondition = (key: unknown): SimulatedServiceError =>
      new SimulatedServiceError(
        "PreconditionFailed",
        `At least one of the pre-conditions you specified did not hold for ${String(key)}`,
        412,
      );
    aws.handle(
      "s3",
      "PutObject",
      (_region, input: { Key?: string; Body?: unknown; IfMatch?: string; IfNoneMatch?: string }) => {
        const key = String(input.Key);
        const existing = this.objects.get(key);
        if (input.IfNoneMatch === "*" && existing !== undefined) throw precondition(key);
        if (input.IfMatch !== undefined && existing?.etag !== input.IfMatch) throw precondition(key);
        const etag = `"etag-${++this.etags}"`;
        this.objects.set(key, {
          body: typeof input.Body === "string" ? input.Body : JSON.stringify(input.Body),
          etag,
        });
        return { ETag: etag };
      },
    );
    aws.handle("s3", "ListObjectsV2", (_region, input: { Prefix?: string; MaxKeys?: number }) => {
      const keys = [...this.objects.keys()]
        .filter((k) => k.startsWith(input.Prefix ?? ""))
        .sort()
        .slice(0, input.MaxKeys ?? 1000);
      return {
        Contents: keys.map((Key) => ({ Key, ETag: this.objects.get(Key)?.etag })),
        KeyCount: keys.length,
        IsTruncated: false,
      };
    });
    const noSuchKey = (key: unknown): SimulatedServiceError =>
      new SimulatedServiceError("NoSuchKey", `The specified key does not exist: ${String(key)}`, 404);
    aws.handle("s3", "GetObject", (_region, input: { Key?: string }) => {
      const object = this.objects.get(String(input.Key));
      if (object === undefined) throw noSuchKey(input.Key);
      return {
        Body: { transformToString: () => Promise.resolve(object.body) },
        ContentLength: object.body.length,
        ETag: object.etag,
      };
    });
    aws.handle("s3", "HeadObject", (_region, input: { Key?: string }) => {
      const object = this.objects.get(String(input.Key));
      if (object === undefined) throw new SimulatedServiceError("NotFound", "Not Found", 404);
      return { ContentLength: object.body.length, ETag: object.etag };
    });

    this.registerStepFunctions();
  }

  /**
   * Step Functions' API as the failover function uses it (reference §3), served by the local run of
   * the deployed definition: StartExecution is idempotent for the same name and input while the
   * execution runs and answers `ExecutionAlreadyExists` once it has closed or for another input (the
   * adapter then reads it back with DescribeExecution); ListExecutions lists newest first.
   */
  private registerStepFunctions(): void {
    const aws = this.aws;
    const c = this.config;
    const noMachine = (arn: unknown): SimulatedServiceError =>
      new SimulatedServiceError(
        "StateMachineDoesNotExist",
        `State Machine Does Not Exist: '${String(arn)}'`,
        400,
      );
    const shape = (e: LocalExecution): Record<string, unknown> => ({
      executionArn: e.arn,
      stateMachineArn: c.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: new Date(e.startedAtMs),
      ...(e.stoppedAtMs === null ? {} : { stopDate: new Date(e.stoppedAtMs) }),
    });
    aws.handle(
      "sfn",
      "StartExecution",
      async (_region, input: { stateMachineArn?: string; name?: string; input?: string }) => {
        if (input.stateMachineArn !== c.stateMachineArn) throw noMachine(input.stateMachineArn);
        let parsed: unknown;
        try {
          parsed = JSON.parse(input.input ?? "{}");
        } catch {
          throw new SimulatedServiceError(
            "InvalidExecutionInput",
            "Invalid State Machine Execution Input",
            400,
          );
        }
        const start = await this.workflow.start(String(input.name), parsed as never);
        if (!start.started) {
          throw new SimulatedServiceError(
            "ExecutionAlreadyExists",
            `Execution Already Exists: '${start.arn}'`,
            400,
          );
        }
        const running = this.workflow.all().filter((e) => e.status === "RUNNING").length;
        this.maxRunningExecutions = Math.max(this.maxRunningExecutions, running);
        return { executionArn: start.arn, startDate: new Date(start.startedAtMs) };
      },
    );
    aws.handle(
      "sfn",
      "ListExecutions",
      (_region, input: { stateMachineArn?: string; statusFilter?: string; maxResults?: number }) => {
        if (input.stateMachineArn !== c.stateMachineArn) throw noMachine(input.stateMachineArn);
        const executions = [...this.workflow.all()]
          .reverse()
          .filter((e) => input.statusFilter === undefined || e.status === input.statusFilter)
          .slice(0, input.maxResults || 100);
        return { executions: executions.map(shape) };
      },
    );
    aws.handle("sfn", "DescribeExecution", (_region, input: { executionArn?: string }) => {
      const execution = this.workflow.all().find((e) => e.arn === input.executionArn);
      if (execution === undefined) {
        throw new SimulatedServiceError(
          "ExecutionDoesNotExist",
          `Execution Does Not Exist: '${String(input.executionArn)}'`,
          400,
        );
      }
      return { ...shape(execution), input: execution.inputJson };
    });
  }

  /**
   * One task of an execution: a synchronous invoke of the step runner through the Lambda model, its
   * payload and result crossing as JSON, as the optimized integration passes them; a failure is
   * the error the integration reports ({@link lambdaIntegrationError}).
   */
  private async invokeStep(payload: Record<string, unknown>, fn: SimFunction): Promise<unknown> {
    const measure = (json: string): string => {
      this.largestStatePayloadBytes = Math.max(
        this.largestStatePayloadBytes,
        Buffer.byteLength(json, "utf8"),
      );
      return json;
    };
    const request = JSON.parse(measure(JSON.stringify(payload))) as unknown;
    let result: unknown;
    try {
      result = await this.lambda.invokeSync(fn, request);
    } catch (error) {
      throw lambdaIntegrationError(error, fn.name);
    }
    return JSON.parse(measure(JSON.stringify(result ?? null))) as unknown;
  }

  // -------------------------------------------------------------------------------------------
  // RDS status machine

  /** Shows `status` for `ms`, then `available` (unless something else changed it meanwhile). */
  private statusFor(i: SimInstance, status: string, ms: number): void {
    i.status = status;
    this.scheduler.after(ms, () => {
      if (i.status === status && i.hostAlive) i.status = "available";
    });
  }

  /** A reboot: the engine stops (every session ends) and comes back after `ms`. */
  private restart(i: SimInstance, status: string, ms: number): void {
    const at = this.scheduler.nowMs();
    i.status = status;
    i.engineUp = false;
    i.downSinceMs = at;
    i.lastRestartAtMs = at;
    this.observe();
    this.scheduler.after(ms, () => {
      if (!i.hostAlive || i.downSinceMs !== at) return;
      i.engineUp = true;
      i.downSinceMs = null;
      i.lastRestartAtMs = this.scheduler.nowMs();
      if (i.status === status) i.status = "available";
      this.observe();
    });
  }

  /**
   * RestoreDBInstanceToPointInTime to the latest restorable time: a new instance in the DR region,
   * `creating` for the timeline's `restoreSeconds`, then available and writable; its data is the
   * primary's up to the restore point, so every commit after it is lost.
   */
  private restore(
    id: string,
    region: string,
    input: {
      BackupRetentionPeriod?: number;
      VpcSecurityGroupIds?: string[];
      EnableIAMDatabaseAuthentication?: boolean;
      Tags?: { Key?: string; Value?: string }[];
    },
  ): SimInstance {
    const nowMs = this.scheduler.nowMs();
    const i = this.instance(
      id,
      region,
      `${id}.c0sim0000000.${region}.rds.amazonaws.com`,
      `sg-restored-${id}`,
      null,
    );
    const restored: SimInstance = {
      ...i,
      createdAtMs: nowMs,
      status: "creating",
      engineUp: false,
      standalone: false,
      lastRestartAtMs: nowMs,
      downSinceMs: nowMs,
      backupRetentionDays: input.BackupRetentionPeriod ?? 1,
      heartbeats: [],
      restoredFromMs: this.latestRestorableMs(nowMs),
      // Without VpcSecurityGroupIds the instance gets the VPC's default group (reference §1.6).
      securityGroupIds: input.VpcSecurityGroupIds ?? ["default"],
      iamAuth: input.EnableIAMDatabaseAuthentication === true,
    };
    // Clients reach it only through the restored client group; the access group admits the monitor subnets.
    if (!(restored.securityGroupIds ?? []).includes(this.config.restoreClientGroupId))
      restored.clientRules.clear();
    for (const tag of input.Tags ?? []) restored.tags.set(String(tag.Key), String(tag.Value));
    this.scheduler.at(nowMs + this.timeline.aws.restoreSeconds * 1000, () => {
      if (restored.status !== "creating") return;
      const record = this.testRecords.get(restored);
      if (record !== undefined) record.availableAtMs = this.scheduler.nowMs();
      restored.status = "available";
      restored.engineUp = true;
      restored.standalone = true;
      restored.downSinceMs = null;
      restored.lastRestartAtMs = this.scheduler.nowMs();
      this.observe();
    });
    return restored;
  }

  /**
   * PromoteReadReplica: replication stops at once, the instance goes through the timeline's status
   * sequence (reference §1.2: `modifying` and a reboot; the exact sequence is UNCONFIRMED, so every
   * variant is explored) and becomes writable after its reboot. A promote that turns backups on for a
   * backup-less replica includes a backup (reference §1.2): `backing-up` before `available`.
   */
  private promote(i: SimInstance, backupRetentionDays: number): void {
    const t = this.timeline.aws;
    const total = t.promotionSeconds * 1000;
    i.promotionsAccepted++;
    freezeReplication(i, this.scheduler.nowMs(), this.baseLag);
    i.replicatingFrom = null;
    if (t.sourceClears === "start") i.sourceId = null;
    const includesBackup = i.backupRetentionDays === 0 && backupRetentionDays > 0;
    i.backupRetentionDays = backupRetentionDays;
    const phases: { status: string; ms: number; engineUp: boolean }[] =
      t.promotionSequence === "modifying"
        ? [{ status: "modifying", ms: total, engineUp: true }]
        : t.promotionSequence === "modifying-rebooting"
          ? [
              { status: "modifying", ms: total * 0.8, engineUp: true },
              { status: "rebooting", ms: total * 0.2, engineUp: false },
            ]
          : [
              { status: "modifying", ms: total * 0.6, engineUp: true },
              { status: "rebooting", ms: total * 0.15, engineUp: false },
              { status: "backing-up", ms: total * 0.25, engineUp: true },
            ];
    let at = this.scheduler.nowMs();
    i.status = phases[0].status;
    for (const [index, phase] of phases.entries()) {
      const startAt = at;
      this.scheduler.at(startAt, () => {
        if (!i.hostAlive) return;
        i.status = phase.status;
        if (!phase.engineUp) {
          i.engineUp = false;
          i.downSinceMs = startAt;
          i.lastRestartAtMs = startAt;
        } else if (index > 0 && !i.engineUp) {
          i.engineUp = true;
          i.downSinceMs = null;
          i.lastRestartAtMs = startAt;
        }
        // Writable once past the reboot (a backup at the end does not stop writes).
        if (phases.slice(0, index + 1).some((p) => !p.engineUp) && phase.engineUp) i.standalone = true;
        this.observe();
      });
      at += phase.ms;
    }
    const backupMs = includesBackup ? Math.max(60_000, total * 0.5) : 0;
    this.scheduler.at(at, () => {
      if (!i.hostAlive) return;
      i.engineUp = true;
      i.downSinceMs = null;
      i.standalone = true;
      i.sourceId = null;
      i.status = backupMs > 0 ? "backing-up" : "available";
      this.observe();
    });
    if (backupMs > 0) {
      this.scheduler.at(at + backupMs, () => {
        if (i.hostAlive && i.status === "backing-up") i.status = "available";
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // The monitor's view of PostgreSQL

  private pathDown(region: string, atMs: number): boolean {
    return region === this.config.primaryRegion && atMs >= this.pathDownFromMs && atMs < this.pathDownUntilMs;
  }

  private probeResult(
    target: "primary" | "replica",
    atMs: number,
    outcome: ProbeResult["outcome"],
    detail?: string,
  ): ProbeResult {
    return {
      target,
      atMs,
      outcome,
      latencyMs: this.scheduler.nowMs() - atMs,
      ...(detail === undefined ? {} : { detail }),
    };
  }

  /** PostgreSQL as the health monitor's probe sees it (answers, timeouts, refusals, heartbeat rows), on `clock`. */
  probeFor(clock: Clock): DatabaseProbe {
    return {
      probePrimary: async (timeoutMs: number): Promise<ProbeResult> => {
        const p = this.primary;
        const atMs = this.scheduler.nowMs();
        if (this.pathDown(p.region, atMs) || !p.hostAlive) {
          await clock.sleep(timeoutMs);
          return this.probeResult("primary", atMs, "timeout", `no answer within ${timeoutMs} ms`);
        }
        await clock.sleep(this.rng.between(3, 15));
        if (!p.engineUp) return this.probeResult("primary", atMs, "unreachable", "connect ECONNREFUSED");
        if (p.refuses !== null) return this.probeResult("primary", atMs, "error", p.refuses);
        if (!p.standalone)
          return this.probeResult(
            "primary",
            atMs,
            "read-only",
            "cannot execute INSERT in a read-only transaction",
          );
        if (p.storageFull)
          return this.probeResult("primary", atMs, "error", "could not extend file: No space left on device");
        p.heartbeats.push(this.scheduler.nowMs());
        return this.probeResult("primary", atMs, "ok");
      },
      readReplicaLag: async (timeoutMs: number): Promise<LagReading> => {
        const r = this.replica;
        const atMs = this.scheduler.nowMs();
        if (this.pathDown(r.region, atMs) || !r.hostAlive) {
          await clock.sleep(timeoutMs);
          return {
            atMs,
            lagSeconds: null,
            probe: this.probeResult("replica", atMs, "timeout", `no answer within ${timeoutMs} ms`),
          };
        }
        await clock.sleep(this.rng.between(3, 15));
        if (!r.engineUp)
          return {
            atMs,
            lagSeconds: null,
            probe: this.probeResult("replica", atMs, "unreachable", "connect ECONNREFUSED"),
          };
        const replayed = replayedUpToMs(r, this.scheduler.nowMs(), this.baseLag);
        const newest = newestAtOrBefore(this.primary.heartbeats, replayed);
        const lagSeconds = newest === null ? null : (this.scheduler.nowMs() - newest) / 1000;
        return { atMs, lagSeconds, probe: this.probeResult("replica", atMs, "ok") };
      },
      replicationPositions: (timeoutMs: number) => this.replicationPositions(clock, timeoutMs),
    };
  }

  /** WAL position of `ms` on the primary's timeline: positions are times here, so LSNs order as times do. */
  private static lsn(ms: number): string {
    const value = BigInt(Math.max(0, Math.floor(ms)));
    return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`;
  }

  private async replicationPositions(clock: Clock, timeoutMs: number): Promise<ReplicationPositions> {
    const p = this.primary;
    const r = this.replica;
    const atMs = this.scheduler.nowMs();
    const reachable = (i: SimInstance): boolean => !this.pathDown(i.region, atMs) && i.hostAlive;
    await clock.sleep(reachable(p) && reachable(r) ? this.rng.between(3, 15) : timeoutMs);
    const primaryUp = reachable(p) && p.engineUp;
    const replicaUp = reachable(r) && r.engineUp;
    const newest = newestCommitAtOrBefore(p, this.scheduler.nowMs());
    return {
      atMs,
      primaryLsn: primaryUp && newest !== null ? World.lsn(newest) : null,
      primaryStartedAtMs: primaryUp ? p.lastRestartAtMs : null,
      ...(primaryUp ? {} : { primaryDetail: "no answer" }),
      replicaReplayLsn: replicaUp ? World.lsn(replayedUpToMs(r, this.scheduler.nowMs(), this.baseLag)) : null,
      ...(replicaUp ? {} : { replicaDetail: "no answer" }),
    };
  }

  // -------------------------------------------------------------------------------------------
  // The client workload: commits at a steady rate to whatever `writer` resolves to.

  private instanceAt(endpoint: string): SimInstance | undefined {
    return this.instances().find((i) => i.endpoint === endpoint);
  }

  private closeSegment(nowMs: number): void {
    if (this.session === null) return;
    const segments = this.session.instance.commitSegments;
    const open = segments[segments.length - 1];
    if (open !== undefined && open.toMs === Infinity) open.toMs = nowMs;
    if (this.faultAtMs !== null && nowMs >= this.faultAtMs) this.interrupted = true;
    this.session = null;
  }

  /** Re-evaluates the clients after any change of state: sessions break, reconnect, commit. */
  observe(): void {
    const nowMs = this.scheduler.nowMs();
    // Split brain: time during which two instances took (or could take) client writes.
    if (this.instances().filter(clientWritable).length >= 2) this.splitBrainMs += nowMs - this.lastObservedMs;
    this.lastObservedMs = nowMs;
    const s = this.session;
    if (s !== null) {
      const i = s.instance;
      const alive = i.engineUp && i.standalone && !i.storageFull && i.lastRestartAtMs <= s.openedAtMs;
      if (!alive) this.closeSegment(nowMs);
    }
    if (this.session !== null) return;
    if (this.dnsCache === null || this.dnsCache.untilMs <= nowMs) {
      this.dnsCache = { target: this.writerVisible, untilMs: nowMs + this.config.dnsTtlSeconds * 1000 };
    }
    const target = this.instanceAt(this.dnsCache.target);
    if (target !== undefined && acceptsNewWriters(target)) {
      this.session = { instance: target, openedAtMs: nowMs };
      target.commitSegments.push({ fromMs: nowMs, toMs: Infinity });
      if (this.faultAtMs !== null && nowMs >= this.faultAtMs && !this.firstCommitAfterFault.has(target.id)) {
        this.firstCommitAfterFault.set(target.id, nowMs);
      }
      return;
    }
    if (!this.reconnectPending) {
      this.reconnectPending = true;
      this.scheduler.after(RECONNECT_MS, () => {
        this.reconnectPending = false;
        this.observe();
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Functions, schedules, metrics, alarms

  private emf(region: string): (line: string) => void {
    return (line) => this.store(region).ingestEmf(line, this.scheduler.nowMs());
  }

  private installFunctions(): void {
    const c = this.config;
    const monitorConfig = readMonitorConfig(c.monitorEnv);
    const monitorLogger = recordingLogger(this.scheduler, "monitor", this.logs);
    // The monitor's handler is stateless across invocations, and runs overlap when a run outlasts
    // the schedule: each invocation gets the handler bound to its own clock (and so to its own fate).
    const monitorHandler = (
      event: unknown,
      context: LambdaContextLike,
      invocation: InvocationContext,
    ): Promise<unknown> => {
      const clock = this.scheduler.clockFor(() => invocation);
      return createMonitorHandler({
        config: monitorConfig,
        probe: this.probeFor(clock),
        clock,
        logger: monitorLogger,
        metrics: emfMetrics(
          monitorConfig.metricsNamespace,
          "health-monitor",
          monitorConfig.environmentSuffix,
          this.emf(c.drRegion),
        ),
        bootstrap: () => Promise.reject(new Error("the simulator does not run the bootstrap")),
      })(event, context as never);
    };
    this.installWorkflow();
    // The failover function runs one invocation at a time (reserved concurrency 1): its clock and
    // SDK clients belong to whichever invocation runs now.
    let current: InvocationContext | undefined;
    const failoverClock = this.scheduler.clockFor(() => current);
    const failoverConfig = readFailoverConfig(c.failoverEnv);
    const failoverClients = new SimulatedAwsClients(this.aws, this.scheduler, "failover", () => current);
    const failoverHandler = createFailoverHandler({
      config: failoverConfig,
      ports: buildFailoverPorts(failoverConfig, failoverClients, failoverClock),
      logger: recordingLogger(this.scheduler, "failover", this.logs),
      metrics: emfMetrics(
        failoverConfig.metricsNamespace,
        "failover",
        failoverConfig.environmentSuffix,
        this.emf(c.drRegion),
      ),
      workflow: new SfnWorkflow(
        failoverConfig.stateMachineArn,
        failoverClients.sfn(failoverConfig.controlRegion),
      ),
    });
    this.failover = {
      key: "failover",
      name: c.failoverFunctionName,
      arn: `arn:aws:lambda:${c.drRegion}:${c.account}:function:${c.failoverFunctionName}`,
      timeoutMs: c.failoverTimeoutSeconds * 1000,
      reservedConcurrency: c.failoverReservedConcurrency,
      maxRetryAttempts: c.failoverMaxRetryAttempts,
      maxEventAgeMs: c.failoverMaxEventAgeSeconds * 1000,
      handler: (event, context, invocation) => {
        current = invocation;
        return failoverHandler(event, context as never);
      },
    };
    this.monitor = {
      key: "monitor",
      name: c.monitorFunctionName,
      arn: `arn:aws:lambda:${c.drRegion}:${c.account}:function:${c.monitorFunctionName}`,
      timeoutMs: c.monitorTimeoutSeconds * 1000,
      reservedConcurrency: null,
      maxRetryAttempts: c.monitorMaxRetryAttempts,
      maxEventAgeMs: c.monitorMaxEventAgeSeconds * 1000,
      handler: monitorHandler,
      onSuccess: (envelope) => {
        if (this.timeline.triggerPath !== "alarm") this.lambda.invokeAsync(this.failover, envelope);
      },
    };
  }

  /** The step-runner function and the failover state machine that invokes it. */
  private installWorkflow(): void {
    const c = this.config;
    // The step runner has no reservation; its clock and SDK clients are bound to the one invocation
    // that runs now. The workflow guarantees there is only one (one execution per cluster, its tasks
    // in sequence, each task's timeout longer than the function's), and the handler below checks it:
    // a new invocation while the last one is neither finished nor killed (timed out, crashed).
    let finished = true;
    let current: InvocationContext | undefined;
    const config = readStepRunnerConfig(c.stepRunnerEnv);
    const handler = createStepRunnerHandler({
      cluster: { primaryInstanceId: config.primaryInstanceId, replicaInstanceId: config.replicaInstanceId },
      policy: config.policy,
      region: config.controlRegion,
      ports: buildFailoverPorts(
        config,
        new SimulatedAwsClients(this.aws, this.scheduler, "step-runner", () => current),
        this.scheduler.clockFor(() => current),
      ),
      logger: recordingLogger(this.scheduler, "step-runner", this.logs),
    });
    const arn = `arn:aws:lambda:${c.drRegion}:${c.account}:function:${c.stepRunnerFunctionName}`;
    this.stepRunner = {
      key: "step-runner",
      name: c.stepRunnerFunctionName,
      arn,
      timeoutMs: c.stepRunnerTimeoutSeconds * 1000,
      reservedConcurrency: null,
      // Invoked synchronously only: Step Functions' retriers, not Lambda's, retry it.
      maxRetryAttempts: 0,
      maxEventAgeMs: 0,
      handler: async (event, context, invocation) => {
        // A restore test's task runs beside the failover's (Lambda gives concurrent invocations
        // their own execution environments): its own handler, clients and clock per invocation.
        if (isRestoreTestRequest(event)) return this.runRestoreTestStep(event, context, invocation);
        if (!finished && current !== undefined && !current.killed) {
          throw new Error("two step-runner invocations overlap: the workflow runs one task at a time");
        }
        finished = false;
        current = invocation;
        this.stepRunnerTask = (event as { step?: unknown } | null)?.step as string | undefined;
        try {
          return await handler(event, context as never);
        } finally {
          if (current === invocation) finished = true;
        }
      },
    };
    const definition = failoverDefinition({
      stepRunnerArn: arn,
      stepRunnerTimeoutSeconds: c.stepRunnerTimeoutSeconds,
    });
    for (const [name, state] of Object.entries(definition.States as Record<string, { Type?: string }>)) {
      if (state.Type === "Fail") this.failStates.add(name);
    }
    this.workflow = new LocalWorkflow({
      definition,
      stateMachineArn: c.stateMachineArn,
      invokeStep: (payload) => this.invokeStep(payload, this.stepRunner),
      clock: this.scheduler,
    });
    // The restore-test machine exists only where the timeline starts it: nothing else reaches it,
    // and building a machine (aws-local-stepfunctions validates the definition) costs time per run.
    if (this.timeline.restoreTests.length > 0) this.installRestoreTest(arn);
  }

  /**
   * The restore-test state machine (the deployed `restoreTestDefinition`), its step-runner tasks
   * served by the real step-runner handler with the restore test's real adapters, and its check
   * query by the real restore-check handler, whose PostgreSQL session is the simulated one.
   */
  private installRestoreTest(stepRunnerArn: string): void {
    const c = this.config;
    const checkConfig = readRestoreCheckConfig(c.restoreCheckEnv);
    const checkLogger = recordingLogger(this.scheduler, "restore-check", this.logs);
    const restoreCheckArn = `arn:aws:lambda:${c.drRegion}:${c.account}:function:${c.restoreCheckFunctionName}`;
    this.restoreCheck = {
      key: "restore-check",
      name: c.restoreCheckFunctionName,
      arn: restoreCheckArn,
      timeoutMs: c.restoreCheckTimeoutSeconds * 1000,
      reservedConcurrency: null,
      maxRetryAttempts: 0,
      maxEventAgeMs: 0,
      handler: (event, context, invocation) => {
        const clock = this.scheduler.clockFor(() => invocation);
        return createRestoreCheckHandler({
          config: checkConfig,
          logger: checkLogger,
          check: (endpoint, minRows) => this.restoreCheckQuery(checkConfig, endpoint, minRows, clock),
        })(event, context as never);
      },
    };
    this.restoreTestWorkflow = new LocalWorkflow<RestoreTestInput>({
      definition: restoreTestDefinition({
        stepRunnerArn,
        restoreCheckArn,
        stepRunnerTimeoutSeconds: c.stepRunnerTimeoutSeconds,
        restoreCheckTimeoutSeconds: c.restoreCheckTimeoutSeconds,
      }),
      stateMachineArn: c.restoreTestStateMachineArn,
      invokeStep: (payload, functionName) =>
        this.invokeStep(payload, functionName === restoreCheckArn ? this.restoreCheck : this.stepRunner),
      clock: this.scheduler,
    });
  }

  /** One restore-test task of the step runner, in an execution environment of its own. */
  private async runRestoreTestStep(
    event: unknown,
    context: LambdaContextLike,
    invocation: InvocationContext,
  ): Promise<unknown> {
    const c = this.config;
    const config = readStepRunnerConfig(c.stepRunnerEnv);
    const clients = new SimulatedAwsClients(this.aws, this.scheduler, "step-runner", () => invocation);
    const clock = this.scheduler.clockFor(() => invocation);
    const sink = this.emf(c.drRegion);
    const metrics = emfMetrics(config.metricsNamespace, "step-runner", config.environmentSuffix, (line) => {
      sink(line);
      this.restoreTestMetrics.push(...emfDatapoints(line, this.scheduler.nowMs()));
    });
    const execution = (event as { execution?: { name?: unknown } }).execution?.name;
    if (typeof execution === "string") this.stepExecution.set(invocation.id, execution);
    try {
      return await createStepRunnerHandler({
        cluster: { primaryInstanceId: config.primaryInstanceId, replicaInstanceId: config.replicaInstanceId },
        policy: config.policy,
        region: config.controlRegion,
        ports: buildFailoverPorts(config, clients, clock),
        logger: recordingLogger(this.scheduler, "step-runner", this.logs),
        restoreTest: buildRestoreTestContext(config, clients, metrics, clock),
      })(event, context as never);
    } finally {
      this.stepExecution.delete(invocation.id);
    }
  }

  /**
   * The restore-check function's session with `endpoint`, the way PostgreSQL on RDS answers it: it
   * is in the monitor subnets, so it reaches an instance in the DR region whose security groups
   * include the restored access group (else the connect times out); the engine must run (else
   * ECONNREFUSED) and IAM authentication be on (the monitor's role logs in with a token). The query
   * itself is read by the real `readRestoreCheck`; a failed connect is the `RestoreCheckFailed`
   * `runRestoreCheck` throws.
   */
  private async restoreCheckQuery(
    config: RestoreCheckConfig,
    endpoint: RestoreCheckEvent,
    minRows: number,
    clock: Clock,
  ): Promise<RestoreCheckResult> {
    const c = this.config;
    const user = config.monitorDbUser;
    const refused = (why: string): RestoreCheckFailed =>
      new RestoreCheckFailed(
        `Cannot connect to ${endpoint.host}:${endpoint.port}/${config.dbName} as ${user}: ${why}`,
      );
    const i = this.instances().find((x) => x.endpoint === endpoint.host);
    const reachable =
      i !== undefined &&
      i.region === c.drRegion &&
      i.hostAlive &&
      endpoint.port === 5432 &&
      (i.securityGroupIds ?? []).includes(c.restoreAccessGroupId);
    if (!reachable) {
      await clock.sleep(RESTORE_CHECK_CONNECT_TIMEOUT_MS);
      throw refused("timeout expired");
    }
    await clock.sleep(30);
    if (!i.engineUp) throw refused(`connect ECONNREFUSED ${endpoint.host}:${endpoint.port}`);
    if (i.iamAuth !== true) throw refused(`PAM authentication failed for user "${user}"`);
    return readRestoreCheck(restoredDatabase(i, this.primary), user, minRows);
  }

  private installSchedules(): void {
    const c = this.config;
    // The restore test's EventBridge rules (weekly test, daily freshness) or an operator's
    // start-execution, at the timeline's minutes. EventBridge names its executions with UUIDs.
    for (const [index, start] of this.timeline.restoreTests.entries()) {
      const name =
        start.by === "operator"
          ? `manual-${start.mode}-${index + 1}`
          : `00000000-0000-4000-8000-${String(index + 1).padStart(12, "0")}`;
      this.restoreTestStarts.set(name, { mode: start.mode, by: start.by });
      this.scheduler.at(this.minuteMs(start.atMinute) + 2_000, () => {
        void this.restoreTestWorkflow?.start(name, { mode: start.mode });
      });
    }
    // EventBridge `rate(1 minute)` schedule of the monitor (a second or so after the minute).
    this.scheduler.every(SIM_EPOCH_MS + 1_000, MINUTE_MS, this.endMs, () =>
      this.lambda.invokeAsync(this.monitor, {
        version: "0",
        id: `schedule-${this.scheduler.nowMs()}`,
        "detail-type": "Scheduled Event",
        source: "aws.events",
        account: c.account,
        time: new Date(this.scheduler.nowMs()).toISOString().replace(/\.\d{3}Z$/, "Z"),
        region: c.drRegion,
        resources: [c.scheduleRuleArn],
        detail: {},
      }),
    );
    // RDS publishes each instance's metrics once a minute (reference §1.4), while its host lives.
    this.scheduler.every(SIM_EPOCH_MS, MINUTE_MS, this.endMs, (atMs) => this.publishRdsMetrics(atMs));
    // The primary-unreachable alarm, evaluated every minute (reference §5).
    const spec = c.primaryUnreachableAlarm;
    const alarm = new SimAlarm(spec, this.store(c.drRegion), SIM_EPOCH_MS, (event) => {
      if (this.timeline.triggerPath === "monitor") return;
      const detail = event.detail as { state: { value: string } };
      // The stack's rule matches only ALARM (lib/infra/functions.ts alarmEventPattern).
      if (detail.state.value === "ALARM") this.lambda.invokeAsync(this.failover, event);
    });
    this.alarms.push(alarm);
    this.scheduler.every(SIM_EPOCH_MS + 20_000, MINUTE_MS, this.endMs, (atMs) => alarm.evaluate(atMs));
  }

  private publishRdsMetrics(atMs: number): void {
    const periodStart = atMs - MINUTE_MS;
    for (const i of this.instances()) {
      if (!i.hostAlive) continue;
      const dims = [{ Name: "DBInstanceIdentifier", Value: i.id }];
      const store = this.store(i.region);
      store.put(metricKey("AWS/RDS", "CPUUtilization", dims), periodStart, 12, atMs);
      store.put(metricKey("AWS/RDS", "DatabaseConnections", dims), periodStart, i.engineUp ? 8 : 0, atMs);
      if (i.sourceId !== null && i.replicatingFrom !== null && i.engineUp) {
        // ReplicaLag = now − last replayed commit (reference §1.4).
        const newest = newestCommitAtOrBefore(i.replicatingFrom, replayedUpToMs(i, atMs, this.baseLag));
        if (newest !== null)
          store.put(
            metricKey("AWS/RDS", "ReplicaLag", dims),
            periodStart,
            Math.max(0, (atMs - newest) / 1000),
            atMs,
          );
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Faults

  private resolveRegion(region: string): string {
    const c = this.config;
    switch (region) {
      case "primary":
        return c.primaryRegion;
      case "replica":
        return c.replicaRegion;
      case "dr":
        return c.drRegion;
      case "global":
        return "us-east-1";
      default:
        return region;
    }
  }

  private installFaults(): void {
    for (const fault of this.timeline.faults) {
      const atMs = this.minuteMs(fault.atMinute);
      const untilMs =
        "forMinutes" in fault && fault.forMinutes !== undefined
          ? atMs + fault.forMinutes * MINUTE_MS
          : Infinity;
      this.scheduler.at(atMs, () => this.inject(fault, atMs, untilMs));
    }
    this.aws.crashHook = (functionKey, command) => {
      const crash = this.crashes.find(
        (c) =>
          c.fn === functionKey &&
          c.point?.command === command &&
          (c.point.task === undefined || c.point.task === this.stepRunnerTask) &&
          c.left > 0 &&
          this.scheduler.nowMs() >= c.fromMs,
      );
      if (crash === undefined) return null;
      crash.left--;
      this.interruptions.push({ atMs: this.scheduler.nowMs(), functionKey, command, fate: crash.fate });
      return crash.fate;
    };
    this.lambda.onStart = (fn, context) => {
      const crash = this.crashes.find(
        (c) => c.fn === "monitor" && fn.key === "monitor" && c.left > 0 && this.scheduler.nowMs() >= c.fromMs,
      );
      if (crash === undefined) return;
      crash.left--;
      // The monitor dies part-way through its run (an out-of-memory kill, a runtime crash).
      this.scheduler.after(5_000, () => {
        if (context.killed) return;
        context.killed = true;
        context.onKill?.("Runtime exited with error: signal: killed");
      });
    };
    const windows = this.timeline.faults.filter(
      (f) => f.kind === "duplicate-events" || f.kind === "lost-events",
    );
    this.lambda.deliveryFilter = (fn) => {
      if (fn.key !== "failover") return "deliver";
      const nowMs = this.scheduler.nowMs();
      for (const f of windows) {
        const from = this.minuteMs(f.atMinute);
        const until =
          "forMinutes" in f && f.forMinutes !== undefined ? from + f.forMinutes * MINUTE_MS : Infinity;
        if (nowMs >= from && nowMs < until) return f.kind === "lost-events" ? "lose" : "duplicate";
      }
      return "deliver";
    };
  }

  private inject(fault: Fault, atMs: number, untilMs: number): void {
    const p = this.primary;
    const r = this.replica;
    const statusDelayMs = this.timeline.aws.rdsStatusDelaySeconds * 1000;
    switch (fault.kind) {
      case "primary-dies":
      case "replica-dies": {
        const i = fault.kind === "primary-dies" ? p : r;
        i.engineUp = false;
        i.hostAlive = false;
        i.downSinceMs = atMs;
        i.lastRestartAtMs = atMs;
        if (i === r) freezeReplication(r, atMs, this.baseLag);
        this.observe();
        this.scheduler.at(atMs + statusDelayMs, () => {
          if (!i.hostAlive) i.status = this.timeline.aws.deadStatus;
        });
        if (untilMs !== Infinity) {
          this.scheduler.at(untilMs, () => {
            i.engineUp = true;
            i.hostAlive = true;
            i.downSinceMs = null;
            i.lastRestartAtMs = untilMs;
            i.status = "available";
            this.observe();
          });
        }
        return;
      }
      case "region-lost": {
        // Every instance of the primary's region dies; its control-plane APIs time out.
        for (const i of [p, r].filter((x) => x.region === this.config.primaryRegion)) {
          i.engineUp = false;
          i.hostAlive = false;
          i.downSinceMs = atMs;
          i.lastRestartAtMs = atMs;
          if (i === r) freezeReplication(r, atMs, this.baseLag);
        }
        for (const service of ["rds", "ec2", "cloudwatch"] as const) {
          this.aws.addFault({
            kind: "api-blackhole",
            service,
            region: this.config.primaryRegion,
            fromMs: atMs,
            untilMs,
          });
        }
        this.observe();
        return;
      }
      case "primary-reboot":
        // Maintenance: RDS shows `rebooting` at once and the engine restarts (reference §1.3).
        this.restart(p, "rebooting", untilMs - atMs);
        return;
      case "primary-storage-full":
        p.storageFull = true;
        this.observe();
        this.scheduler.at(atMs + Math.min(statusDelayMs, MINUTE_MS), () => {
          if (p.storageFull) p.status = "storage-full";
        });
        if (untilMs !== Infinity) {
          this.scheduler.at(untilMs, () => {
            p.storageFull = false;
            if (p.status === "storage-full") p.status = "available";
            this.observe();
          });
        }
        return;
      case "primary-refuses":
        p.refuses = fault.detail;
        if (untilMs !== Infinity) this.scheduler.at(untilMs, () => (p.refuses = null));
        return;
      case "replica-lag":
        r.extraLagSeconds = fault.seconds;
        if (untilMs !== Infinity) this.scheduler.at(untilMs, () => (r.extraLagSeconds = 0));
        return;
      case "api-throttle":
      case "api-errors":
      case "api-blackhole":
        this.aws.addFault({
          kind: fault.kind,
          service: fault.service as ServiceName,
          region: this.resolveRegion(fault.region),
          fromMs: atMs,
          untilMs,
        });
        return;
      case "probe-path-down":
        this.pathDownFromMs = atMs;
        this.pathDownUntilMs = untilMs;
        return;
      case "function-crash":
      case "function-timeout":
        this.crashes.push({
          fn: fault.function,
          ...(fault.function === "monitor" || fault.step === undefined
            ? {}
            : { point: (CRASH_POINTS[fault.function] as Record<string, CrashPoint>)[fault.step] }),
          fate: fault.kind === "function-crash" ? "crash" : "stall",
          fromMs: atMs,
          left: fault.times ?? 1,
        });
        return;
      case "duplicate-events":
      case "lost-events":
        return;
      case "stale-fence-tag":
        p.tags.set(FENCED_AT_TAG, new Date(atMs - 86_400_000).toISOString());
        return;
      case "switchover-request":
        this.operatorRequest({
          action: "switchover",
          requestedBy: "sim-operator",
          reason: "planned switchover drill",
        });
        return;
      case "manual-failover": {
        // A failover the lag guard blocked waits for an approval: the operator accepting the loss
        // sends it (the alert's `send-task-success` command) instead of a new request, which the
        // running execution would only be reported for.
        const pending = this.workflow.pendingTokens()[0];
        if (fault.acceptDataLoss && pending !== undefined) {
          this.workflow.sendTaskSuccess(pending.token, { approvedBy: "sim-operator" });
          return;
        }
        this.operatorRequest({
          action: "failover",
          requestedBy: "sim-operator",
          reason: "manual failover",
          ...(fault.acceptDataLoss ? { acceptDataLoss: true } : {}),
        });
        return;
      }
    }
  }

  /**
   * The runbook's `aws lambda invoke` (RequestResponse). The CLI retries a throttled call and, after
   * its 60 s read timeout, sends the request again (reference §2), up to 3 attempts in standard mode.
   */
  private operatorRequest(payload: Record<string, unknown>): void {
    const attempt = (n: number): void => {
      let answered = false;
      this.lambda.invokeSync(this.failover, payload).then(
        () => (answered = true),
        (error: unknown) => {
          answered = true;
          if ((error as Error).name === "TooManyRequestsException" && n < 3)
            this.scheduler.after(1_000 * 2 ** n, () => attempt(n + 1));
        },
      );
      this.scheduler.after(60_000, () => {
        if (!answered && n < 3) attempt(n + 1);
      });
    };
    attempt(1);
  }

  // -------------------------------------------------------------------------------------------

  /** Runs the timeline to its end and returns what happened. */
  async run(onTick?: (nowMs: number) => void): Promise<RunRecord> {
    this.installFunctions();
    this.installSchedules();
    this.installFaults();
    this.scheduler.at(SIM_EPOCH_MS, () => this.observe());
    await this.scheduler.runUntil(this.endMs, onTick);
    this.observe();
    this.closeSegmentsAt(this.endMs);
    return {
      timeline: this.timeline,
      config: this.config,
      primary: this.primary,
      replica: this.replica,
      alerts: this.alerts,
      logs: this.logs,
      lambda: this.lambda,
      aws: this.aws,
      s3Keys: [...this.objects.keys()],
      writerTargetAtEnd: this.records.get(this.config.writerRecordName)?.value ?? null,
      splitBrainMs: this.splitBrainMs,
      faultAtMs: this.faultAtMs,
      endMs: this.endMs,
      firstCommitAfterFault: this.firstCommitAfterFault,
      writesInterruptedAfterFault: this.interrupted,
      executions: this.executionRecords(this.workflow),
      maxRunningExecutions: this.maxRunningExecutions,
      writerChanges: this.writerChanges,
      largestStatePayloadBytes: this.largestStatePayloadBytes,
      interruptions: this.interruptions,
      restored: this.restored,
      restoreWhile: this.restoreWhile,
      restores: this.regionalRestores,
      restoreTestExecutions: (this.restoreTestWorkflow === null
        ? []
        : this.executionRecords(this.restoreTestWorkflow)
      ).map((e) => ({
        ...e,
        mode: this.restoreTestStarts.get(e.name)?.mode ?? "?",
        by: this.restoreTestStarts.get(e.name)?.by ?? "?",
      })),
      testInstances: [...this.testRecords.values()],
      restoreTestMetrics: this.restoreTestMetrics,
      testInstanceCommitSegments: [...this.testRecords.keys()].reduce(
        (n, i) => n + i.commitSegments.length,
        0,
      ),
    };
  }

  private executionRecords<I>(workflow: LocalWorkflow<I>): ExecutionRecord[] {
    const waiting = new Set(workflow.pendingTokens().map((t) => t.execution));
    return workflow.all().map((e) => {
      const states = e.history.filter((h) => h.type === "StateEntered").map((h) => h.state ?? "?");
      return {
        name: e.name,
        status: e.status,
        startedAtMs: e.startedAtMs,
        stoppedAtMs: e.stoppedAtMs,
        error: e.error,
        cause: e.cause,
        transitions: e.transitions,
        awaitingApproval: e.status === "RUNNING" && waiting.has(e.name),
        endState: states.at(-1) ?? null,
        stateErrors: e.history
          .filter((h) => h.type === "StateFailed" && !this.failStates.has(h.state ?? ""))
          .map((h) => ({ state: h.state ?? "?", error: h.error ?? "?" })),
        states,
      };
    });
  }

  private closeSegmentsAt(endMs: number): void {
    for (const i of this.instances()) {
      for (const s of i.commitSegments) if (s.toMs === Infinity) s.toMs = endMs;
    }
  }
}
