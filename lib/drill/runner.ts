import { promises as fs } from "node:fs";
import * as path from "node:path";

import { PgDatabaseProbe } from "../lambda/adapters/postgres/probe";
import { SystemClock } from "../lambda/adapters/aws/system-clock";
import { DEFAULT_POLICY, longestMonitorRunSeconds, validatePolicy } from "../lambda/core/policy";
import { MemoryAlertLedger } from "../lambda/core/alerts";
import type { Clock, FailoverReport, LagHistory, Ports, PrimaryHealthSignals } from "../lambda/core/ports";
import type { RunState } from "../lambda/core/workflow";
import { STATES } from "../workflow/definition";
import type { LocalExecution, LocalWorkflow } from "../workflow/local";
import type { FailoverPolicy, LagReading } from "../lambda/core/types";
import { type DrillOptions, DrillUsageError, type ScenarioName } from "./args";
import { type ClusterOptions, isAlive, type LocalCluster, type PgNode, startCluster } from "./cluster";
import { formatEndpoint } from "./endpoint";
import { FileNotifier, FileReportStore } from "./file-adapters";
import { LocalDatabaseControl } from "./local-control";
import { LocalDns } from "./local-dns";
import { DrillMetrics } from "./metrics";
import { MonitorLoop, QUIET_LOGGER } from "./monitor-loop";
import type { PgLogin } from "./pg-session";
import {
  computeFigures,
  DRILL_REPORT_SCHEMA_VERSION,
  type DrillEvent,
  type DrillReport,
  type EvaluationRecord,
  type ScenarioFigures,
  type ScenarioReport,
  targetChecks,
  translateToProduction,
  writeSeries,
} from "./report";
import {
  type ApprovalFacts,
  type DrillScenario,
  type RestoreFacts,
  type RestoreTestFacts,
  type ScenarioContext,
  type ScenarioOutcome,
  scenarioNamed,
} from "./scenarios";
import { restoreTestName } from "./scenarios/restore-test";
import { POLL_MS } from "./scenarios/types";
import { renderTimelineSvg } from "./svg";
import { LocalRegionalRecovery } from "./local-recovery";
import {
  createDrillRestoreTestWorkflow,
  createDrillWorkflow,
  DRILL_LIMITS,
  drillDispatchOptions,
  executionRecord,
} from "./workflow";
import {
  FileRestoreTestStore,
  LocalRestoreTestDatabase,
  RecordingRestoreTestMetrics,
} from "./local-restore-test";
import {
  DEFAULT_DELETE_TIMEOUT_SECONDS,
  type RestoreTestFreshness,
  type RestoreTestInput,
  type RestoreTestReport,
  type RestoreTestState,
} from "../lambda/core/restore-test";
import { createWorkloadTable, findLostCommits, Workload } from "./workload";

/** Route 53 TTL of the writer / reader records in production (DESIGN.md). */
export const PRODUCTION_DNS_TTL_SECONDS = 30;

/** Instance ids of the local nodes, as decisions and reports name them. */
export const LOCAL_INSTANCE_IDS = { primary: "pg-primary", replica: "pg-replica" } as const;
/** Id of the instance a regional restore creates in the drill. */
export const LOCAL_RESTORED_ID = "pg-restored";
/** Id of the restore test's temporary instance in the drill. */
export const LOCAL_RESTORE_TEST_ID = "pg-restore-test";

/** Where the drill writes and how it reports progress. */
export interface DrillEnvironment {
  /** The run's output folder (created if missing). */
  readonly outDir: string;
  /** Progress lines; silent when omitted. */
  readonly log?: (line: string) => void;
  /** Passed to the local cluster (e.g. a base directory for tests). */
  readonly cluster?: Omit<ClusterOptions, "log">;
  readonly clock?: Clock;
}

/** Who approves the blocked failover of the `lagging-replica` scenario. */
export const DRILL_OPERATOR = "drill-operator";

/**
 * What the operator sends: the `--task-output` of the approve command in the approval alert
 * (`aws stepfunctions send-task-success --task-output '{"approvedBy":"<your name>"}'`).
 */
export const APPROVAL_TASK_OUTPUT = JSON.stringify({ approvedBy: DRILL_OPERATOR });

/** Events of the workflow's own timeline (its report) that the drill's timeline shows. */
const ENGINE_EVENTS = ["fenced", "fence-skipped", "caught-up", "step-failed", "rollback-failed"];

/**
 * The local cluster has no CloudWatch, so RDS's metric stream and the region's API history are not
 * observed: the drill's second signal is the local control plane's status of the primary.
 */
const LOCAL_PRIMARY_HEALTH: PrimaryHealthSignals = {
  rdsMetrics: () => Promise.resolve({ kind: "not-observed", reason: "the local drill has no CloudWatch" }),
  apiReachabilityHistory: () =>
    Promise.resolve({ kind: "not-observed", reason: "the local drill has no regional API" }),
};

const STATEMENT_TIMEOUT_MS = 1_000;
const RECONNECT_DELAY_MS = 50;
/** How long the workload keeps writing after the first write on the new writer. */
const RECOVERY_TAIL_MS = 1500;
/** Cluster warm-up slack on top of a monitor run: the first connections and the first write. */
const WARM_UP_MARGIN_SECONDS = 10;

/**
 * How long the warm-up may take before the drill gives up: the requested warm-up or the first
 * monitor run's worst-case length (`longestMonitorRunSeconds`: a healthy reading is emitted when the
 * run ends), whichever is longer, plus a margin. 4 probes 15 s apart need up to 96 s + 10 s.
 */
export function warmUpDeadlineSeconds(policy: FailoverPolicy, warmupSeconds: number): number {
  return Math.max(warmupSeconds, longestMonitorRunSeconds(policy)) + WARM_UP_MARGIN_SECONDS;
}

/**
 * Runs the chosen scenarios one after another, each on a fresh cluster, and writes
 * `report.json` and `timeline.svg` (plus `--json FILE` when asked) into the output folder.
 */
export async function runDrill(options: DrillOptions, env: DrillEnvironment): Promise<DrillReport> {
  let policy: FailoverPolicy;
  try {
    policy = validatePolicy(options.policy);
  } catch (error) {
    throw new DrillUsageError(`the timing options give an invalid policy: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const clock = env.clock ?? new SystemClock();
  const log = env.log ?? (() => undefined);
  await fs.mkdir(env.outDir, { recursive: true });
  const startedAtMs = clock.nowMs();
  const scenarios: ScenarioReport[] = [];
  let postgresVersion: string | null = null;
  for (const name of options.scenarios) {
    log(`▶ ${name}: ${scenarioNamed(name).description}`);
    const result = await runScenario(name, { ...options, policy }, { ...env, clock, log }, (v) => {
      postgresVersion = v;
    });
    log(`  ${result.passed ? "passed" : "FAILED"}${result.error ? ` (${result.error})` : ""}`);
    scenarios.push(result);
  }
  const report: DrillReport = {
    schemaVersion: DRILL_REPORT_SCHEMA_VERSION,
    tool: "tapstack-drill",
    startedAt: new Date(startedAtMs).toISOString(),
    finishedAt: new Date(clock.nowMs()).toISOString(),
    outputDir: env.outDir,
    settings: {
      scenarios: options.scenarios,
      policy,
      commitsPerSecond: options.commitsPerSecond,
      warmupSeconds: options.warmupSeconds,
      blipSeconds: options.blipSeconds,
      observeSeconds: options.observeSeconds,
      scenarioTimeoutSeconds: options.scenarioTimeoutSeconds,
      postgresVersion,
    },
    production: translateToProduction(policy, DEFAULT_POLICY, PRODUCTION_DNS_TTL_SECONDS),
    passed: scenarios.every((s) => s.passed),
    scenarios,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await fs.writeFile(path.join(env.outDir, "report.json"), json, "utf8");
  await fs.writeFile(path.join(env.outDir, "timeline.svg"), renderTimelineSvg(report), "utf8");
  if (options.jsonFile) {
    await fs.mkdir(path.dirname(path.resolve(options.jsonFile)), { recursive: true });
    await fs.writeFile(options.jsonFile, json, "utf8");
  }
  return report;
}

/** Mutable collector of one scenario's timeline. */
class Timeline {
  private readonly raw: Omit<DrillEvent, "offsetSeconds">[] = [];
  constructor(private readonly clock: Clock) {}
  add(event: string, detail: string, atMs = this.clock.nowMs(), ok?: boolean): void {
    this.raw.push({ atMs, event, detail, ...(ok !== undefined ? { ok } : {}) });
  }
  events(faultAtMs: number): DrillEvent[] {
    return [...this.raw]
      .sort((a, b) => a.atMs - b.atMs)
      .map((e) => ({ ...e, offsetSeconds: Math.round(e.atMs - faultAtMs) / 1000 }));
  }
}

/** A drill environment with its clock and log settled. */
type ScenarioEnvironment = DrillEnvironment & { readonly clock: Clock; readonly log: (line: string) => void };

/** What every phase of one scenario run shares: the scenario, the settings, where it writes. */
interface ScenarioRun {
  readonly scenario: DrillScenario<ScenarioName>;
  readonly options: DrillOptions;
  readonly env: ScenarioEnvironment;
  readonly clock: Clock;
  readonly log: (line: string) => void;
  /** The scenario's output folder (`<out>/<name>/`). */
  readonly dir: string;
  readonly timeline: Timeline;
  readonly startedAtMs: number;
}

/** The local world one scenario runs in: the cluster, the engine's ports, the workflows, the clients. */
interface ScenarioWorld {
  readonly cluster: LocalCluster;
  /** The superuser's login on a node (the workload table, the row-by-row check). */
  readonly login: (node: PgNode) => PgLogin;
  readonly writerInitial: string;
  readonly replicaEndpoint: string;
  readonly dns: LocalDns;
  readonly control: LocalDatabaseControl;
  readonly notifier: FileNotifier;
  readonly lagHistory: LagHistory;
  readonly recovery: LocalRegionalRecovery;
  readonly workflow: LocalWorkflow;
  /** The restore test's temporary-instance database and workflow (outcome `restore-test` only). */
  readonly restoreTest: {
    readonly db: LocalRestoreTestDatabase;
    readonly workflow: LocalWorkflow<RestoreTestInput>;
  } | null;
  readonly workload: Workload;
  readonly monitor: MonitorLoop;
}

/**
 * What `runScenario` holds however far the scenario got: what the cleanup must stop and the report
 * must show. Each phase that creates or marks something records it here at once.
 */
interface Progress {
  cluster?: LocalCluster;
  world?: ScenarioWorld;
  faultAtMs: number | null;
  /** Set by `measure` as soon as each is known: a report after a failed measurement still shows them. */
  writerFinal: string | null;
  evaluations: readonly EvaluationRecord[];
  engineReportLocation: string | null;
}

/**
 * Everything else measured after a scenario's outcome, for its checks and its report (`writer`'s
 * final target, the evaluations and the engine report's location are in `Progress`).
 */
interface Measurement {
  readonly figures: ScenarioFigures;
  readonly writes: NonNullable<ScenarioReport["writes"]>;
  readonly writeFailuresAfterFault: number;
  readonly promoteCalledAtMs: number | null;
  readonly approval: ApprovalFacts | null;
  readonly restore: RestoreFacts | null;
  readonly restoreTest: (RestoreTestFacts & { readonly reportLocation: string | null }) | null;
}

/** How the runner sets a cluster up for an outcome, and how it waits for it. */
interface OutcomeSpec {
  /** The primary archives its WAL to a directory standing for the DR region's backup copy. */
  readonly archivesWal: boolean;
  /**
   * Added to `--timeout` when the outcome restores from the backups. A regional loss is confirmed
   * from the monitor's history, read as the failover function reads it (one-minute CloudWatch
   * periods, each dated at its end): one period more than the others need; the restore test gets
   * the same room for its restore.
   */
  readonly extraDeadlineSeconds: number;
  /** Said after `--timeout N s after the fault` when the deadline passes. */
  readonly deadlineNote: string;
  /** Waits for the outcome; resolves with what the deadline came before, or `undefined`. */
  wait(
    run: ScenarioRun,
    world: ScenarioWorld,
    faultAtMs: number,
    deadlineMs: number,
  ): Promise<string | undefined>;
}

/** Every outcome's setup and wait: a new outcome must say both (the record is exhaustive). */
const OUTCOMES: Readonly<Record<ScenarioOutcome, OutcomeSpec>> = {
  promotion: {
    archivesWal: false,
    extraDeadlineSeconds: 0,
    deadlineNote: "",
    wait: (run, world, faultAtMs, deadlineMs) =>
      waitForWriter(run, world, faultAtMs, deadlineMs, () => world.replicaEndpoint, true).then((settled) =>
        settled ? undefined : "the new writer took a write (or the workflow failed)",
      ),
  },
  restore: {
    archivesWal: true,
    extraDeadlineSeconds: 60,
    deadlineNote: ", plus 60 s for a regional loss",
    wait: (run, world, faultAtMs, deadlineMs) =>
      waitForWriter(
        run,
        world,
        faultAtMs,
        deadlineMs,
        () => {
          const node = world.recovery.restoredNode();
          return node === null ? null : formatEndpoint(node);
        },
        false,
      ).then((settled) =>
        settled ? undefined : "the restored writer took a write (or the workflow failed)",
      ),
  },
  "restore-test": {
    archivesWal: true,
    extraDeadlineSeconds: 60,
    deadlineNote: "",
    wait: waitForRestoreTest,
  },
  observe: {
    archivesWal: false,
    extraDeadlineSeconds: 0,
    deadlineNote: "",
    wait: async ({ clock, options }, _world, faultAtMs, deadlineMs) => {
      const watchUntil = faultAtMs + options.observeSeconds * 1000;
      while (clock.nowMs() < Math.min(watchUntil, deadlineMs)) await clock.sleep(POLL_MS);
      return deadlineMs < watchUntil
        ? `the ${options.observeSeconds} s of observation (--observe) ended`
        : undefined;
    },
  },
};

/**
 * Runs one scenario on a fresh cluster: start, warm up, inject the fault, (approve,) wait for the
 * outcome, clear the fault, measure, check, tear down. Never throws: a failure becomes the
 * scenario's `error`, and the cluster is torn down and checked whatever happened.
 */
export async function runScenario(
  name: ScenarioName,
  options: DrillOptions,
  env: ScenarioEnvironment,
  onVersion: (version: string) => void = () => undefined,
): Promise<ScenarioReport> {
  const { clock, log } = env;
  const run: ScenarioRun = {
    scenario: scenarioNamed(name),
    options,
    env,
    clock,
    log,
    dir: path.join(env.outDir, name),
    timeline: new Timeline(clock),
    startedAtMs: clock.nowMs(),
  };
  const progress: Progress = {
    faultAtMs: null,
    writerFinal: null,
    evaluations: [],
    engineReportLocation: null,
  };
  let error: string | undefined;
  let deadlineMissed: string | undefined;
  let measured: Measurement | null = null;
  let cleanup: { complete: boolean; detail: string };
  try {
    progress.cluster = await startScenarioCluster(run, onVersion);
    const world = (progress.world = await wireWorld(run, progress.cluster));
    startTraffic(run, world);
    await warmUp(run, world);
    const ctx = scenarioContext(run, world, progress);
    const faultAtMs = await injectFault(run, ctx, progress);
    const deadlineMs =
      faultAtMs +
      (options.scenarioTimeoutSeconds + OUTCOMES[run.scenario.outcome].extraDeadlineSeconds) * 1000;
    const approval = run.scenario.approval ? await approve(run, world, deadlineMs) : null;
    const outcomeCutShort = await OUTCOMES[run.scenario.outcome].wait(run, world, faultAtMs, deadlineMs);
    await run.scenario.clear?.(ctx);
    deadlineMissed = await settle(run, world, deadlineMs, outcomeCutShort);
    measured = await measure(run, world, progress, faultAtMs, deadlineMs, approval);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    log(`  error: ${error}`);
  } finally {
    cleanup = await teardown(run, progress);
  }
  return scenarioReport(run, progress, { measured, error, deadlineMissed, cleanup });
}

/** Starts the scenario's cluster (archiving WAL when its outcome restores from backups). */
async function startScenarioCluster(
  run: ScenarioRun,
  onVersion: (version: string) => void,
): Promise<LocalCluster> {
  const cluster = await startCluster({
    ...run.env.cluster,
    // The primary archives its WAL to a directory standing for the DR region's backup copy.
    ...(OUTCOMES[run.scenario.outcome].archivesWal ? { backups: { archiveTimeoutSeconds: 1 } } : {}),
    log: (line) => run.log(`  ${line}`),
  });
  onVersion(/\d+(\.\d+)+/.exec(cluster.binaries.version)?.[0] ?? cluster.binaries.version);
  return cluster;
}

/**
 * Prepares the cluster (workload table, replication caught up) and wires the engine to it: the
 * local ports, the failover workflow (and the restore-test workflow for that outcome), the
 * workload and the monitor loop, every event reported to the timeline. Nothing runs yet.
 */
async function wireWorld(run: ScenarioRun, cluster: LocalCluster): Promise<ScenarioWorld> {
  const { clock, timeline, dir, options, scenario } = run;
  const policy = options.policy;
  const createdAtMs = clock.nowMs();
  const login = (node: PgNode): PgLogin => {
    const c = cluster.clientConfig(node, "superuser");
    return {
      host: node.host,
      port: node.port,
      user: String(c.user),
      password: String(c.password),
      database: String(c.database),
    };
  };
  await createWorkloadTable(login(cluster.primary), 5_000);
  await cluster.waitForReplication(10_000);

  const writerInitial = formatEndpoint(cluster.primary);
  const replicaEndpoint = formatEndpoint(cluster.replica);
  const dns = new LocalDns({ writer: writerInitial, reader: replicaEndpoint }, () => clock.nowMs());
  dns.onChange((c) =>
    timeline.add(`${c.record}-switched`, `${c.record} ${c.from ?? "nothing"} → ${c.to}`, c.atMs),
  );
  const control = new LocalDatabaseControl(cluster, clock, {
    adminTimeoutMs: 1_000,
    fenceTimeoutMs: 3_000,
    pollIntervalMs: POLL_MS,
    ids: LOCAL_INSTANCE_IDS,
    createdAtMs,
  });
  const notifier = new FileNotifier(dir, () => clock.nowMs());
  notifier.onNotify((n) => timeline.add("notification", `${n.event} (${n.severity}): ${n.subject}`, n.atMs));
  // The lag evidence takes the deployed path: the monitor handler's EMF → CloudWatch → GetMetricData.
  const drillMetrics = new DrillMetrics({ clock });
  const lagHistory = drillMetrics.lagHistory;
  // Without archived WAL (every scenario but a regional loss) a restore finds no backups and is refused.
  const recovery = new LocalRegionalRecovery(scenario.outcome === "restore" ? cluster : null, clock, {
    restoredId: LOCAL_RESTORED_ID,
    retentionDays: 7,
    restoreTimeoutMs: DRILL_LIMITS.restoreTimeoutSeconds * 1000,
  });
  const ports: Ports = {
    probe: new PgDatabaseProbe({ ...cluster.monitorProbeConfig(), nowMs: () => clock.nowMs() }),
    control,
    recovery,
    dns,
    notifier,
    reports: new FileReportStore(dir),
    lagHistory,
    primaryHealth: LOCAL_PRIMARY_HEALTH,
    // The drill's process outlives the incident it plays, so memory is enough to de-duplicate.
    alerts: new MemoryAlertLedger(),
    clock,
  };
  const onClosed = (e: LocalExecution<unknown>) =>
    timeline.add(
      "execution-closed",
      `${e.name} ${e.status}${e.error ? `: ${e.error} ${e.cause ?? ""}`.trimEnd() : ""}`,
      e.stoppedAtMs ?? undefined,
    );
  // The decision is carried out by the failover workflow: the deployed definition, run locally,
  // its tasks by the real step-runner handler on these ports.
  const clusterIds = {
    primaryInstanceId: LOCAL_INSTANCE_IDS.primary,
    replicaInstanceId: LOCAL_INSTANCE_IDS.replica,
  };
  const workflow = createDrillWorkflow({
    ports,
    policy,
    cluster: clusterIds,
    logger: QUIET_LOGGER,
    // A regional restore verifies its instance as the monitor's role before writer moves.
    monitorLogin: cluster.monitorProbeConfig(),
    onClosed,
  });
  let restoreTest: ScenarioWorld["restoreTest"] = null;
  if (scenario.outcome === "restore-test") {
    // The weekly restore test on the live cluster: its temporary instance is a point-in-time
    // recovery of the primary's base backup and archived WAL; the primary and the replica keep
    // serving. The same definition, step-runner handler and restore-check handler as on AWS.
    const db = new LocalRestoreTestDatabase(cluster, clock, {
      retentionDays: 7,
      restoreTimeoutMs: DRILL_LIMITS.restoreTimeoutSeconds * 1000,
    });
    const restoreWorkflow = createDrillRestoreTestWorkflow({
      ports,
      policy,
      cluster: clusterIds,
      restoreTest: {
        database: db,
        store: new FileRestoreTestStore(dir),
        metrics: new RecordingRestoreTestMetrics(),
        clock,
        settings: {
          instanceId: LOCAL_RESTORE_TEST_ID,
          restoreTimeoutSeconds: DRILL_LIMITS.restoreTimeoutSeconds,
          deleteTimeoutSeconds: DEFAULT_DELETE_TIMEOUT_SECONDS,
          // The local archive ships every second (archive_timeout 1 s), not every 5 minutes.
          maxRestorePointAgeSeconds: 60,
        },
      },
      monitorLogin: cluster.monitorProbeConfig(),
      logger: QUIET_LOGGER,
      onClosed,
    });
    restoreTest = { db, workflow: restoreWorkflow };
  }
  const superuser = cluster.clientConfig(cluster.primary, "superuser");
  const workload = new Workload({
    resolveWriter: () => dns.resolveWriter(),
    login: {
      user: String(superuser.user),
      password: String(superuser.password),
      database: String(superuser.database),
    },
    commitsPerSecond: options.commitsPerSecond,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    reconnectDelayMs: RECONNECT_DELAY_MS,
    clock,
  });
  const monitor = new MonitorLoop(ports, drillMetrics, policy, workflow, drillDispatchOptions(clusterIds), {
    onProbe: (p) =>
      timeline.add(
        "probe",
        `${p.outcome} in ${p.latencyMs} ms${p.detail ? `: ${p.detail}` : ""}`,
        p.atMs,
        p.outcome === "ok",
      ),
    onLag: (l) =>
      timeline.add(
        "lag",
        l.lagSeconds === null ? `replica unreadable (${l.probe.outcome})` : `${l.lagSeconds} s`,
        l.atMs,
      ),
    onEvaluation: (e) => {
      // While an execution runs, every evaluation only reports it: one marker per decision that acted.
      if (e.execution !== undefined && !e.execution.started) return;
      if (e.decision.kind !== "none" || e.acted) {
        timeline.add("decision", `${e.decision.kind}: ${e.decision.reason}`, e.startedAtMs);
      }
      if (e.execution?.started) timeline.add("execution-started", e.execution.name, e.finishedAtMs);
    },
  });
  return {
    cluster,
    login,
    writerInitial,
    replicaEndpoint,
    dns,
    control,
    notifier,
    lagHistory,
    recovery,
    workflow,
    restoreTest,
    workload,
    monitor,
  };
}

/** Clients start writing through `writer`, and the monitor starts probing. */
function startTraffic({ timeline, options }: ScenarioRun, world: ScenarioWorld): void {
  timeline.add("workload-started", `${options.commitsPerSecond} commits/s through writer`);
  world.workload.start();
  world.monitor.start();
}

/** The newest healthy lag reading in the monitor's history, read back as the failover function reads it. */
async function lastHealthyLag(
  { clock, options }: ScenarioRun,
  world: ScenarioWorld,
): Promise<LagReading | null> {
  return (await world.lagHistory.lagEvidence(clock.nowMs(), options.policy.maxLagReadingAgeSeconds))
    .lastHealthyLag;
}

/**
 * Warm up: the engine needs a healthy lag reading from before the fault, read back the way the
 * failover function reads it (CloudWatch history), and clients must be writing. Throws when that
 * takes longer than `warmUpDeadlineSeconds`.
 */
async function warmUp(run: ScenarioRun, world: ScenarioWorld): Promise<void> {
  const { clock, options } = run;
  const policy = options.policy;
  const warmLimitSeconds = warmUpDeadlineSeconds(policy, options.warmupSeconds);
  const warmDeadline = clock.nowMs() + warmLimitSeconds * 1000;
  const warmUntil = clock.nowMs() + options.warmupSeconds * 1000;
  while (
    ((await lastHealthyLag(run, world))?.lagSeconds ?? null) === null ||
    world.workload.acks().length === 0 ||
    clock.nowMs() < warmUntil
  ) {
    if (clock.nowMs() > warmDeadline)
      throw new Error(
        `no healthy monitor run and acknowledged write within ${warmLimitSeconds} s of start ` +
          `(the longest monitor run is ${longestMonitorRunSeconds(policy)} s)`,
      );
    await clock.sleep(POLL_MS);
  }
}

/** What the scenario's `inject` and `clear` act on; its `fault` records the fault's moment in `progress`. */
function scenarioContext(run: ScenarioRun, world: ScenarioWorld, progress: Progress): ScenarioContext {
  const { clock, timeline, log } = run;
  return {
    cluster: world.cluster,
    control: world.control,
    monitor: world.monitor,
    options: run.options,
    clock,
    event: (event, detail) => timeline.add(event, detail),
    fault: (detail) => {
      progress.faultAtMs = clock.nowMs();
      timeline.add("fault-injected", detail, progress.faultAtMs);
      log(`  fault: ${detail}`);
    },
    lastHealthyLag: () => lastHealthyLag(run, world),
    restoreTest: world.restoreTest?.workflow ?? null,
  };
}

/** Injects the scenario's fault; resolves with its moment (the scenario's time zero). */
async function injectFault(run: ScenarioRun, ctx: ScenarioContext, progress: Progress): Promise<number> {
  await run.scenario.inject(ctx);
  if (progress.faultAtMs === null) throw new Error("the fault was never injected");
  return progress.faultAtMs;
}

/**
 * The operator of a blocked failover: the alert arrives while the execution waits in
 * RequestApproval; they let the monitor see the blocked failover once more (nothing may change
 * meanwhile), then approve with the alert's command, accepting the data loss. Throws when no
 * execution waits for an approval before the deadline.
 */
async function approve(run: ScenarioRun, world: ScenarioWorld, deadlineMs: number): Promise<ApprovalFacts> {
  const { clock, timeline, log } = run;
  const { workflow, monitor } = world;
  let pending = workflow.pendingTokens()[0];
  while (pending === undefined) {
    if (clock.nowMs() > deadlineMs)
      throw new Error(`no execution waited in ${STATES.requestApproval} before the scenario deadline`);
    await clock.sleep(POLL_MS);
    pending = workflow.pendingTokens()[0];
  }
  const requestedAtMs = clock.nowMs();
  timeline.add(
    "approval-requested",
    `${pending.execution} waits in ${STATES.requestApproval}`,
    requestedAtMs,
  );
  const seen = monitor.records().length;
  while (monitor.records().length === seen && clock.nowMs() < deadlineMs) await clock.sleep(POLL_MS);
  const approvedAtMs = clock.nowMs();
  const promotionsBeforeApproval = world.control.promotionRecord().promotions;
  const writerAtApproval = world.dns.resolveWriter();
  workflow.sendTaskSuccess(pending.token, JSON.parse(APPROVAL_TASK_OUTPUT));
  timeline.add("approved", `send-task-success --task-output '${APPROVAL_TASK_OUTPUT}'`, approvedAtMs);
  log(`  operator: approved ${pending.execution}`);
  return {
    requestedAtMs,
    approvedAtMs,
    approvedBy: DRILL_OPERATOR,
    promotionsBeforeApproval,
    writerAtApproval,
    recordedApprovedBy: null,
  };
}

/**
 * Waits until `writer` points at `target()` and a write started after the fault went through it
 * (then lets the workload write a little longer), or the workflow failed, or (with
 * `stopOnEngineError`) an evaluation after the fault returned an error. False when the deadline came first.
 */
async function waitForWriter(
  { clock }: ScenarioRun,
  world: ScenarioWorld,
  faultAtMs: number,
  deadlineMs: number,
  target: () => string | null,
  stopOnEngineError: boolean,
): Promise<boolean> {
  const { dns, workload, workflow, monitor } = world;
  while (clock.nowMs() < deadlineMs) {
    const endpoint = target();
    if (endpoint !== null && dns.resolveWriter() === endpoint && workload.firstAckFrom(faultAtMs, endpoint)) {
      // Keep writing a little longer: the report and chart then show steady writes on the new
      // writer, and the row-by-row check covers commits made after the switch too.
      await clock.sleep(RECOVERY_TAIL_MS);
      return true;
    }
    if (workflow.all().some((e) => e.status !== "RUNNING" && e.status !== "SUCCEEDED")) return true;
    if (stopOnEngineError && monitor.records().some((e) => e.startedAtMs >= faultAtMs && e.error))
      return true;
    await clock.sleep(POLL_MS);
  }
  return false;
}

/** Waits for the restore test's execution to close, then runs the daily freshness run and waits for it. */
async function waitForRestoreTest(
  { clock }: ScenarioRun,
  world: ScenarioWorld,
  _faultAtMs: number,
  deadlineMs: number,
): Promise<string | undefined> {
  if (world.restoreTest === null)
    throw new Error("the restore-test workflow was not set up for this scenario");
  const rw = world.restoreTest.workflow;
  const closedBy = async (name: string): Promise<boolean> => {
    while (clock.nowMs() < deadlineMs) {
      if (rw.get(name)?.status !== "RUNNING") return true;
      await clock.sleep(POLL_MS);
    }
    return false;
  };
  const testRun = rw.all()[0];
  if (!(await closedBy(testRun.name))) return "the restore test closed";
  // The daily freshness run right after: the age must count from this success.
  const freshness = restoreTestName(clock.nowMs(), "freshness");
  await rw.start(freshness, { mode: "freshness" });
  if (!(await closedBy(freshness))) return "the freshness run closed";
  return undefined;
}

/**
 * Ends the engine's part: no evaluation may start an execution after this, and the figures come
 * from the report the workflow stored, so its executions must close first. Then the workload stops.
 * Resolves with the "within the deadline" failure when the deadline cut a wait short.
 */
async function settle(
  { clock, log, timeline, options, scenario }: ScenarioRun,
  world: ScenarioWorld,
  deadlineMs: number,
  outcomeCutShort: string | undefined,
): Promise<string | undefined> {
  let deadlineHit = outcomeCutShort;
  await world.monitor.stop();
  const running = await waitForExecutions(world.workflow, clock, deadlineMs);
  if (running.length > 0 && deadlineHit === undefined)
    deadlineHit = `the workflow closed (${running.map((e) => `${e.name} in ${currentState(e)}`).join(", ")})`;
  let deadlineMissed: string | undefined;
  if (deadlineHit !== undefined) {
    deadlineMissed =
      `the scenario deadline (--timeout ${options.scenarioTimeoutSeconds} s after the fault${OUTCOMES[scenario.outcome].deadlineNote}) passed ` +
      `before ${deadlineHit}; raise --timeout`;
    timeline.add("deadline", deadlineMissed);
    log(`  deadline: ${deadlineMissed}`);
  }
  await world.workload.stop();
  return deadlineMissed;
}

/**
 * Measures the outcome: where `writer` ended, the promotion, the workflow's stored report, the
 * first write and the failed ones after the fault, the lost commits row by row, the regional
 * restore or the restore test, and the figures. Adds what it finds to the timeline.
 */
async function measure(
  run: ScenarioRun,
  world: ScenarioWorld,
  progress: Progress,
  faultAtMs: number,
  deadlineMs: number,
  approvalGiven: ApprovalFacts | null,
): Promise<Measurement> {
  const { clock, log, timeline, scenario } = run;
  const { cluster, dns, control, workload, recovery, monitor } = world;
  const writerFinal = (progress.writerFinal = dns.resolveWriter());
  const promoted = control.promotionRecord();
  if (promoted.promoteCalledAtMs !== null)
    timeline.add("promote-called", "pg_promote() on the replica", promoted.promoteCalledAtMs);
  if (promoted.writableAtMs !== null)
    timeline.add("promoted", "the replica accepts writes", promoted.writableAtMs);
  const stored = await storedReport(world.workflow);
  progress.engineReportLocation = stored?.location ?? null;
  const engineReport = stored?.report ?? null;
  for (const entry of engineReport?.timeline ?? []) {
    if (ENGINE_EVENTS.includes(entry.event)) timeline.add(entry.event, entry.detail, entry.atMs);
  }
  const approval =
    approvalGiven === null ? null : { ...approvalGiven, recordedApprovedBy: stored?.run.approvedBy ?? null };
  const restoredNode = recovery.restoredNode();
  const finalNode =
    restoredNode !== null && writerFinal === formatEndpoint(restoredNode)
      ? restoredNode
      : writerFinal === world.replicaEndpoint
        ? cluster.replica
        : cluster.primary;
  const firstWrite = workload.firstAckFrom(faultAtMs, writerFinal ?? undefined) ?? null;
  if (firstWrite)
    timeline.add(
      "first-write",
      `commit #${firstWrite.seq} acknowledged by ${firstWrite.endpoint}`,
      firstWrite.ackedAtMs,
    );
  const failuresAfter = workload.failures().filter((f) => f.startedAtMs >= faultAtMs);
  if (failuresAfter.length > 0)
    timeline.add(
      "writes-failing",
      `first failed write: ${failuresAfter[0].error}`,
      failuresAfter[0].failedAtMs,
    );
  let lost = null;
  if (cluster.isRunning(finalNode)) {
    try {
      lost = (await findLostCommits(world.login(finalNode), workload.acks(), 10_000)).lost;
    } catch (e) {
      log(`  could not check commits on ${finalNode.name}: ${(e as Error).message}`);
    }
  }
  const evaluations = (progress.evaluations = monitor.records());
  const acks = workload.acks();
  let restore: RestoreFacts | null = null;
  if (scenario.outcome === "restore") {
    const record = recovery.restoreRecord();
    const point = record.latestRestorableTimeMs;
    if (record.restoreCalledAtMs !== null)
      timeline.add("restore-called", "point-in-time recovery from the DR backups", record.restoreCalledAtMs);
    if (record.restoredAtMs !== null)
      timeline.add("restored", "the restored instance accepts writes", record.restoredAtMs);
    restore = {
      restores: record.restores,
      restoredEndpoint: restoredNode === null ? null : formatEndpoint(restoredNode),
      latestRestorableTimeMs: point,
      restoreSeconds:
        record.restoreCalledAtMs !== null && record.restoredAtMs !== null
          ? Math.round((record.restoredAtMs - record.restoreCalledAtMs) / 10) / 100
          : null,
      lostBeforeRestorePoint:
        lost === null || point === null ? null : lost.filter((c) => c.ackedAtMs <= point).length,
    };
  }
  let restoreTest: Measurement["restoreTest"] = null;
  if (world.restoreTest !== null) {
    await waitForExecutions(world.restoreTest.workflow, clock, deadlineMs);
    await world.restoreTest.db.settled();
    restoreTest = await restoreTestFacts(world.restoreTest.workflow, world.restoreTest.db, cluster, timeline);
  }
  const figures = computeFigures(
    {
      faultAtMs,
      evaluations,
      engineReport,
      promotions: promoted.promotions,
      writerSwitchedAtMs:
        dns
          .changes()
          .filter((c) => c.record === "writer")
          .at(-1)?.atMs ?? null,
      firstWriteAfterFault: firstWrite,
      lostCommits: lost,
      ackedCommits: acks.length,
      inDoubtCommits: workload.failures().filter((f) => f.inDoubt).length,
    },
    scenario.outcome === "promotion",
  );
  return {
    figures,
    writes: writeSeries(acks, workload.failures(), run.startedAtMs, clock.nowMs(), faultAtMs),
    writeFailuresAfterFault: failuresAfter.length,
    promoteCalledAtMs: promoted.promoteCalledAtMs,
    approval,
    restore,
    restoreTest,
  };
}

/**
 * Stops whatever runs, in order (monitor, executions, the restore test's instance, workload), then
 * destroys the cluster and checks that no process and no directory is left. Never throws.
 */
async function teardown(
  { clock }: ScenarioRun,
  { cluster, world }: Progress,
): Promise<{ complete: boolean; detail: string }> {
  await world?.monitor.stop().catch(() => undefined);
  // An execution must not outlive its cluster (nor keep the process alive with its timers).
  if (world) await waitForExecutions(world.workflow, clock, clock.nowMs()).catch(() => undefined);
  if (world?.restoreTest)
    await waitForExecutions(world.restoreTest.workflow, clock, clock.nowMs()).catch(() => undefined);
  await world?.restoreTest?.db.settled().catch(() => undefined);
  await world?.workload.stop().catch(() => undefined);
  return cluster ? destroyAndCheck(cluster) : { complete: false, detail: "the cluster was not started" };
}

/** The scenario's report: its own checks (none when it did not get as far as measuring), the deadline and the cleanup. */
function scenarioReport(
  { scenario, options, clock, timeline, startedAtMs }: ScenarioRun,
  { world, faultAtMs, writerFinal, evaluations, engineReportLocation }: Progress,
  outcome: {
    readonly measured: Measurement | null;
    readonly error: string | undefined;
    readonly deadlineMissed: string | undefined;
    readonly cleanup: { readonly complete: boolean; readonly detail: string };
  },
): ScenarioReport {
  const { measured: m, error, deadlineMissed, cleanup } = outcome;
  const finishedAtMs = clock.nowMs();
  const writerInitial = world?.writerInitial ?? "";
  const figures = m?.figures ?? null;
  const executions = world?.workflow.all().map(executionRecord) ?? [];
  const notifications = world?.notifier.notifications() ?? [];
  const checks =
    m === null
      ? []
      : scenario.checks({
          figures: m.figures,
          evaluations,
          notificationEvents: notifications.map((n) => n.event),
          writerInitial,
          writerFinal,
          replicaEndpoint: world?.replicaEndpoint ?? "",
          writeFailuresAfterFault: m.writeFailuresAfterFault,
          executions,
          promoteCalledAtMs: m.promoteCalledAtMs,
          approval: m.approval,
          restore: m.restore,
          restoreTest: m.restoreTest,
        });
  const cleanupCheck = { name: "cleanup complete", passed: cleanup.complete, detail: cleanup.detail };
  const deadlineCheck =
    deadlineMissed === undefined
      ? []
      : [{ name: "within the deadline", passed: false, detail: deadlineMissed }];
  const restoreTest = m?.restoreTest ?? null;
  return {
    name: scenario.name,
    description: scenario.description,
    expectation: scenario.expectation,
    passed:
      error === undefined &&
      deadlineMissed === undefined &&
      checks.every((c) => c.passed) &&
      cleanup.complete,
    checks: [...deadlineCheck, ...checks, cleanupCheck],
    startedAtMs,
    faultAtMs,
    finishedAtMs,
    promoted: (figures?.promotions ?? 0) > 0,
    writer: { initial: writerInitial, final: writerFinal },
    decisions: evaluations
      .filter((e) => e.decision.kind !== "none" || e.acted || e.error !== undefined)
      .map((e) => ({
        atMs: e.startedAtMs,
        trigger: e.trigger,
        kind: e.decision.kind,
        reason: e.decision.reason,
        acted: e.acted,
        ...(e.error !== undefined ? { error: e.error } : {}),
      })),
    figures,
    // The targets are for an automatic failover: a switchover waits for the catch-up, an approved
    // failover for a person.
    targets: figures && scenario.targets ? targetChecks(figures, options.policy) : [],
    timeline: timeline.events(faultAtMs ?? startedAtMs),
    writes: m?.writes ?? null,
    notifications: notifications.map((n) => ({
      atMs: n.atMs,
      event: n.event,
      severity: n.severity,
      subject: n.subject,
    })),
    engineReportLocation,
    executions,
    ...(restoreTest !== null
      ? {
          restoreTest: {
            executions: restoreTest.executions,
            reportLocation: restoreTest.reportLocation,
            restoreDurationSeconds: restoreTest.report?.figures.restoreDurationSeconds ?? null,
            dataAgeSeconds: restoreTest.report?.figures.dataAgeSeconds ?? null,
            rowCount: restoreTest.report?.figures.rowCount ?? null,
            latestRestorableTime: restoreTest.report?.latestRestorableTime ?? null,
            ageHours: restoreTest.ageHours,
          },
        }
      : {}),
    cleanup,
    ...(error !== undefined ? { error } : {}),
  };
}

/** The state an execution is in (its last state entered). */
function currentState(execution: LocalExecution): string {
  return execution.history.filter((h) => h.type === "StateEntered").at(-1)?.state ?? "no state";
}

/**
 * Waits until every execution has closed, or `untilMs`. An execution still waiting for an approval
 * then is rejected (as an operator would, so that it closes: nothing was changed), and the others
 * get the workflow's longest limit to end on their own failure path. Returns those still running.
 */
async function waitForExecutions<Input>(
  workflow: LocalWorkflow<Input>,
  clock: Clock,
  untilMs: number,
): Promise<LocalExecution<Input>[]> {
  const running = (): LocalExecution<Input>[] => workflow.all().filter((e) => e.status === "RUNNING");
  while (running().length > 0 && clock.nowMs() < untilMs) await clock.sleep(POLL_MS);
  if (running().length > 0) {
    for (const { token } of workflow.pendingTokens()) {
      workflow.sendTaskFailure(token, "ApprovalRejected", "the drill's scenario ended without an approval");
    }
    const graceUntil = clock.nowMs() + Math.max(...Object.values(DRILL_LIMITS)) * 1000;
    while (running().length > 0 && clock.nowMs() < graceUntil) await clock.sleep(POLL_MS);
  }
  const stillRunning = running();
  // `closed` resolves once the execution's history is complete.
  await Promise.all(
    workflow
      .all()
      .filter((e) => e.status !== "RUNNING")
      .map((e) => e.closed),
  );
  return stillRunning;
}

/** What the restore test did, read back from its executions, its stored report and the cluster. */
async function restoreTestFacts(
  rw: LocalWorkflow<RestoreTestInput>,
  db: LocalRestoreTestDatabase,
  cluster: LocalCluster,
  timeline: Timeline,
): Promise<RestoreTestFacts & { readonly reportLocation: string | null }> {
  const runs = rw.all();
  const test = runs.find((e) => e.input.mode === "test");
  const out = test?.output as { test?: RestoreTestState } | null | undefined;
  const reportLocation = out?.test?.reportLocation ?? null;
  const report =
    reportLocation === null
      ? null
      : (JSON.parse(await fs.readFile(reportLocation, "utf8")) as RestoreTestReport);
  const fresh = runs.find((e) => e.input.mode === "freshness");
  const freshness = (fresh?.output as { freshness?: RestoreTestFreshness } | null | undefined)?.freshness;
  const record = db.restoreRecord();
  if (record.restoreCalledAtMs !== null)
    timeline.add(
      "restore-called",
      "restore test: point-in-time recovery into the temporary instance",
      record.restoreCalledAtMs,
    );
  if (record.availableAtMs !== null)
    timeline.add(
      "restored",
      `restore test: temporary instance available on ${record.endpoint ?? "?"}`,
      record.availableAtMs,
    );
  if (record.removedAtMs !== null)
    timeline.add("restore-test-removed", "restore test: temporary instance torn down", record.removedAtMs);
  const dataDir = path.join(cluster.rootDir, "restored");
  const dirLeft = await fs
    .access(dataDir)
    .then(() => true)
    .catch(() => false);
  const nodeLeft = cluster.restored !== null;
  return {
    executions: runs.map(executionRecord),
    restores: record.restores,
    report,
    reportLocation,
    tornDown: !dirLeft && !nodeLeft,
    tornDownDetail:
      !dirLeft && !nodeLeft
        ? `stopped and ${dataDir} removed ${record.removedAtMs === null || record.availableAtMs === null ? "" : `${Math.round(record.removedAtMs - record.availableAtMs)} ms after it became available`}`.trimEnd()
        : `${nodeLeft ? "the restored node still runs" : ""}${nodeLeft && dirLeft ? "; " : ""}${dirLeft ? `${dataDir} is still there` : ""}`,
    ageHours: freshness?.ageHours ?? null,
  };
}

/** The report the `write-report` step stored, read back from where the execution's run state says. */
async function storedReport(
  workflow: LocalWorkflow,
): Promise<{ location: string; report: FailoverReport; run: RunState } | null> {
  for (const execution of [...workflow.all()].reverse()) {
    const run = (execution.output as { run?: RunState } | null)?.run;
    if (execution.status !== "SUCCEEDED" || !run?.reportLocation) continue;
    const report = JSON.parse(await fs.readFile(run.reportLocation, "utf8")) as FailoverReport;
    return { location: run.reportLocation, report, run };
  }
  return null;
}

/** Tears the cluster down and verifies that no process and no directory is left. */
async function destroyAndCheck(cluster: LocalCluster): Promise<{ complete: boolean; detail: string }> {
  const pids = [...cluster.processIds(cluster.primary), ...cluster.processIds(cluster.replica)];
  try {
    await cluster.destroy();
  } catch (e) {
    return { complete: false, detail: `teardown failed: ${(e as Error).message}` };
  }
  const alive = pids.filter(isAlive);
  const dirLeft = await fs
    .access(cluster.rootDir)
    .then(() => true)
    .catch(() => false);
  const problems = [
    ...(alive.length > 0 ? [`processes still running: ${alive.join(", ")}`] : []),
    ...(dirLeft ? [`directory left behind: ${cluster.rootDir}`] : []),
  ];
  return problems.length === 0
    ? { complete: true, detail: `${pids.length} processes stopped, ${cluster.rootDir} removed` }
    : { complete: false, detail: problems.join("; ") };
}
