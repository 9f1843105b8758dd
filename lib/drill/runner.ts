import { promises as fs } from "node:fs";
import * as path from "node:path";

import { PgDatabaseProbe } from "../lambda/adapters/postgres/probe";
import { SystemClock } from "../lambda/adapters/aws/system-clock";
import { DEFAULT_POLICY, longestMonitorRunSeconds, validatePolicy } from "../lambda/core/policy";
import { MemoryAlertLedger } from "../lambda/core/alerts";
import type { Clock, FailoverReport, Ports, PrimaryHealthSignals } from "../lambda/core/ports";
import type { RunState } from "../lambda/core/workflow";
import { STATES } from "../workflow/definition";
import type { LocalExecution, LocalWorkflow } from "../workflow/local";
import type { FailoverPolicy } from "../lambda/core/types";
import { type DrillOptions, DrillUsageError, type ScenarioName } from "./args";
import { type ClusterOptions, isAlive, type LocalCluster, startCluster } from "./cluster";
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
import { type ApprovalFacts, checkScenario, SCENARIOS } from "./scenarios";
import { renderTimelineSvg } from "./svg";
import { LocalRegionalRecovery } from "./local-recovery";
import type { RestoreFacts } from "./scenarios";
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
import type { RestoreTestFacts } from "./scenarios";
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
const POLL_MS = 25;
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
    log(`▶ ${name}: ${SCENARIOS[name].description}`);
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

/**
 * Runs one scenario on a fresh cluster: start, warm up, inject the fault, let the engine
 * act, measure, check, tear down. Never throws: a failure becomes the scenario's `error`.
 */
export async function runScenario(
  name: ScenarioName,
  options: DrillOptions,
  env: DrillEnvironment & { readonly clock: Clock; readonly log: (line: string) => void },
  onVersion: (version: string) => void = () => undefined,
): Promise<ScenarioReport> {
  const def = SCENARIOS[name];
  const { clock, log } = env;
  const policy = options.policy;
  const dir = path.join(env.outDir, name);
  const timeline = new Timeline(clock);
  const startedAtMs = clock.nowMs();
  let cluster: LocalCluster | undefined;
  let monitor: MonitorLoop | undefined;
  let workload: Workload | undefined;
  let faultAtMs: number | null = null;
  let error: string | undefined;
  let figures: ScenarioFigures | null = null;
  let writerInitial = "";
  let writerFinal: string | null = null;
  let replicaEndpoint = "";
  let notifier: FileNotifier | undefined;
  let writes: ScenarioReport["writes"] = null;
  let evaluations: readonly EvaluationRecord[] = [];
  let cleanup = { complete: false, detail: "the cluster was not started" };
  let writeFailuresAfterFault = 0;
  let deadlineMissed: string | undefined;
  let workflow: LocalWorkflow | undefined;
  let approval: ApprovalFacts | null = null;
  let engineReportLocation: string | null = null;
  let promoteCalledAtMs: number | null = null;
  let recovery: LocalRegionalRecovery | undefined;
  let restore: RestoreFacts | null = null;
  let restoreTestDb: LocalRestoreTestDatabase | undefined;
  let restoreWorkflow: LocalWorkflow<RestoreTestInput> | undefined;
  let restoreTest: (RestoreTestFacts & { readonly reportLocation: string | null }) | null = null;
  try {
    cluster = await startCluster({
      ...env.cluster,
      // The primary archives its WAL to a directory standing for the DR region's backup copy.
      ...(def.restore || def.restoreTest ? { backups: { archiveTimeoutSeconds: 1 } } : {}),
      log: (line) => log(`  ${line}`),
    });
    onVersion(/\d+(\.\d+)+/.exec(cluster.binaries.version)?.[0] ?? cluster.binaries.version);
    const createdAtMs = clock.nowMs();
    const login = (node: LocalCluster["primary"]): PgLogin => {
      const c = cluster!.clientConfig(node, "superuser");
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

    writerInitial = formatEndpoint(cluster.primary);
    replicaEndpoint = formatEndpoint(cluster.replica);
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
    notifier = new FileNotifier(dir, () => clock.nowMs());
    notifier.onNotify((n) =>
      timeline.add("notification", `${n.event} (${n.severity}): ${n.subject}`, n.atMs),
    );
    // The lag evidence takes the deployed path: the monitor handler's EMF → CloudWatch → GetMetricData.
    const drillMetrics = new DrillMetrics({ clock });
    const lagHistory = drillMetrics.lagHistory;
    // Without archived WAL (every scenario but a regional loss) a restore finds no backups and is refused.
    recovery = new LocalRegionalRecovery(def.restore ? cluster : null, clock, {
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
    // The decision is carried out by the failover workflow: the deployed definition, run locally,
    // its tasks by the real step-runner handler on these ports.
    const clusterIds = {
      primaryInstanceId: LOCAL_INSTANCE_IDS.primary,
      replicaInstanceId: LOCAL_INSTANCE_IDS.replica,
    };
    const drillWorkflow = createDrillWorkflow({
      ports,
      policy,
      cluster: clusterIds,
      logger: QUIET_LOGGER,
      // A regional restore verifies its instance as the monitor's role before writer moves.
      monitorLogin: cluster.monitorProbeConfig(),
      onClosed: (e) =>
        timeline.add(
          "execution-closed",
          `${e.name} ${e.status}${e.error ? `: ${e.error} ${e.cause ?? ""}`.trimEnd() : ""}`,
          e.stoppedAtMs ?? undefined,
        ),
    });
    workflow = drillWorkflow;
    if (def.restoreTest) {
      // The weekly restore test on the live cluster: its temporary instance is a point-in-time
      // recovery of the primary's base backup and archived WAL; the primary and the replica keep
      // serving. The same definition, step-runner handler and restore-check handler as on AWS.
      restoreTestDb = new LocalRestoreTestDatabase(cluster, clock, {
        retentionDays: 7,
        restoreTimeoutMs: DRILL_LIMITS.restoreTimeoutSeconds * 1000,
      });
      restoreWorkflow = createDrillRestoreTestWorkflow({
        ports,
        policy,
        cluster: clusterIds,
        restoreTest: {
          database: restoreTestDb,
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
        onClosed: (e) =>
          timeline.add(
            "execution-closed",
            `${e.name} ${e.status}${e.error ? `: ${e.error} ${e.cause ?? ""}`.trimEnd() : ""}`,
            e.stoppedAtMs ?? undefined,
          ),
      });
    }
    const superuser = cluster.clientConfig(cluster.primary, "superuser");
    workload = new Workload({
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
    monitor = new MonitorLoop(ports, drillMetrics, policy, drillWorkflow, drillDispatchOptions(clusterIds), {
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
    timeline.add("workload-started", `${options.commitsPerSecond} commits/s through writer`);
    workload.start();
    monitor.start();

    // Warm up: the engine needs a healthy lag reading from before the fault, read back the way the
    // failover function reads it (CloudWatch history), and clients must be writing.
    const warmLimitSeconds = warmUpDeadlineSeconds(policy, options.warmupSeconds);
    const warmDeadline = clock.nowMs() + warmLimitSeconds * 1000;
    const warmUntil = clock.nowMs() + options.warmupSeconds * 1000;
    const lookbackSeconds = policy.maxLagReadingAgeSeconds;
    const historyLag = async (): Promise<number | null> =>
      (await lagHistory.lagEvidence(clock.nowMs(), lookbackSeconds)).lastHealthyLag?.lagSeconds ?? null;
    while ((await historyLag()) === null || workload.acks().length === 0 || clock.nowMs() < warmUntil) {
      if (clock.nowMs() > warmDeadline)
        throw new Error(
          `no healthy monitor run and acknowledged write within ${warmLimitSeconds} s of start ` +
            `(the longest monitor run is ${longestMonitorRunSeconds(policy)} s)`,
        );
      await clock.sleep(POLL_MS);
    }

    // A regional loss is confirmed from the monitor's history, read as the failover function reads it
    // (one-minute CloudWatch periods, each dated at its end): one period more than the others need.
    const timeoutSeconds = options.scenarioTimeoutSeconds + (def.restore || def.restoreTest ? 60 : 0);
    const deadline = () => (faultAtMs ?? clock.nowMs()) + timeoutSeconds * 1000;
    const fault = (detail: string) => {
      faultAtMs = clock.nowMs();
      timeline.add("fault-injected", detail, faultAtMs);
      log(`  fault: ${detail}`);
    };
    switch (name) {
      case "crash":
        fault("SIGKILL to every process of the primary");
        await cluster.kill(cluster.primary, "SIGKILL");
        break;
      case "stop":
        control.markStopped("primary");
        fault("pg_ctl stop -m immediate on the primary");
        await cluster.stopImmediate(cluster.primary);
        break;
      case "blip":
        fault(`SIGSTOP to the primary for ${options.blipSeconds} s`);
        await cluster.kill(cluster.primary, "SIGSTOP");
        await clock.sleep(options.blipSeconds * 1000);
        await cluster.kill(cluster.primary, "SIGCONT");
        timeline.add("fault-cleared", "SIGCONT: the primary runs again");
        break;
      case "lagging-replica": {
        await cluster.pauseReplay(cluster.replica);
        timeline.add("replay-paused", "WAL replay paused on the replica");
        const limit = policy.maxReplicationLagSeconds;
        const lagDeadline =
          clock.nowMs() + (limit + 4 * policy.probesPerRun * policy.probeIntervalSeconds + 10) * 1000;
        // Read back as the failover side reads it: the newest healthy reading in the history.
        while (((await historyLag()) ?? 0) <= limit) {
          if (clock.nowMs() > lagDeadline)
            throw new Error(`the replica's lag never exceeded ${limit} s after pausing replay`);
          await clock.sleep(POLL_MS);
        }
        fault(`SIGKILL to the primary while the replica lags more than ${limit} s`);
        await cluster.kill(cluster.primary, "SIGKILL");
        break;
      }
      case "partition":
        fault("the monitor's path to the primary is cut (packets dropped)");
        cluster.monitorPath.cut("drop");
        break;
      case "region-lost":
        fault("SIGKILL to every process of the primary and of the replica (their region is lost)");
        await Promise.all([
          cluster.kill(cluster.primary, "SIGKILL"),
          cluster.kill(cluster.replica, "SIGKILL"),
        ]);
        break;
      case "restore-test":
        fault('the weekly restore test starts ({"mode":"test"}) while clients keep writing');
        await restoreWorkflow!.start(restoreTestName(clock.nowMs(), "test"), { mode: "test" });
        break;
      case "switchover": {
        // Automatic failover is paused for planned maintenance, as an operator would.
        await monitor.stop();
        const latest = monitor.latest();
        const lag = (await lagHistory.lagEvidence(clock.nowMs(), policy.maxLagReadingAgeSeconds))
          .lastHealthyLag;
        fault("an operator requests a planned switchover");
        await monitor.evaluate(
          {
            kind: "manual",
            action: "switchover",
            requestedBy: "drill",
            reason: "planned switchover game day",
            acceptDataLoss: false,
          },
          { primaryProbes: latest?.primaryProbes ?? [], lastHealthyLag: lag },
        );
        break;
      }
    }
    const faultTime = faultAtMs as number | null;
    if (faultTime === null) throw new Error("the fault was never injected");
    // Set when the scenario's deadline (--timeout) ends the wait: a failed check then says so.
    let deadlineHit: string | undefined;

    if (def.approval) {
      // The operator: the alert arrives while the execution waits in RequestApproval; they let the
      // monitor see the blocked failover once more (nothing may change meanwhile), then approve
      // with the alert's command, accepting the data loss.
      let pending = drillWorkflow.pendingTokens()[0];
      while (pending === undefined) {
        if (clock.nowMs() > deadline())
          throw new Error(`no execution waited in ${STATES.requestApproval} before the scenario deadline`);
        await clock.sleep(POLL_MS);
        pending = drillWorkflow.pendingTokens()[0];
      }
      const requestedAtMs = clock.nowMs();
      timeline.add(
        "approval-requested",
        `${pending.execution} waits in ${STATES.requestApproval}`,
        requestedAtMs,
      );
      const seen = monitor.records().length;
      while (monitor.records().length === seen && clock.nowMs() < deadline()) await clock.sleep(POLL_MS);
      const approvedAtMs = clock.nowMs();
      const promotionsBeforeApproval = control.promotionRecord().promotions;
      const writerAtApproval = dns.resolveWriter();
      drillWorkflow.sendTaskSuccess(pending.token, JSON.parse(APPROVAL_TASK_OUTPUT));
      timeline.add("approved", `send-task-success --task-output '${APPROVAL_TASK_OUTPUT}'`, approvedAtMs);
      log(`  operator: approved ${pending.execution}`);
      approval = {
        requestedAtMs,
        approvedAtMs,
        approvedBy: DRILL_OPERATOR,
        promotionsBeforeApproval,
        writerAtApproval,
        recordedApprovedBy: null,
      };
    }

    // Wait for the outcome.
    if (def.promotionExpected) {
      let settled = false;
      while (clock.nowMs() < deadline()) {
        if (dns.resolveWriter() === replicaEndpoint && workload.firstAckFrom(faultTime, replicaEndpoint)) {
          // Keep writing a little longer: the report and chart then show steady writes on the new
          // writer, and the row-by-row check covers commits made after the switch too.
          await clock.sleep(RECOVERY_TAIL_MS);
          settled = true;
          break;
        }
        const failed = drillWorkflow.all().some((e) => e.status !== "RUNNING" && e.status !== "SUCCEEDED");
        if (failed || monitor.records().some((e) => e.startedAtMs >= faultTime && e.error)) {
          settled = true;
          break;
        }
        await clock.sleep(POLL_MS);
      }
      if (!settled) deadlineHit = "the new writer took a write (or the workflow failed)";
    } else if (def.restore) {
      let settled = false;
      while (clock.nowMs() < deadline()) {
        const node = recovery.restoredNode();
        const endpoint = node === null ? null : formatEndpoint(node);
        if (
          endpoint !== null &&
          dns.resolveWriter() === endpoint &&
          workload.firstAckFrom(faultTime, endpoint)
        ) {
          await clock.sleep(RECOVERY_TAIL_MS);
          settled = true;
          break;
        }
        if (drillWorkflow.all().some((e) => e.status !== "RUNNING" && e.status !== "SUCCEEDED")) {
          settled = true;
          break;
        }
        await clock.sleep(POLL_MS);
      }
      if (!settled) deadlineHit = "the restored writer took a write (or the workflow failed)";
    } else if (def.restoreTest) {
      const rw = restoreWorkflow!;
      const closedBy = async (name: string): Promise<boolean> => {
        while (clock.nowMs() < deadline()) {
          if (rw.get(name)?.status !== "RUNNING") return true;
          await clock.sleep(POLL_MS);
        }
        return false;
      };
      const testRun = rw.all()[0];
      if (!(await closedBy(testRun.name))) deadlineHit = "the restore test closed";
      else {
        // The daily freshness run right after: the age must count from this success.
        const freshness = restoreTestName(clock.nowMs(), "freshness");
        await rw.start(freshness, { mode: "freshness" });
        if (!(await closedBy(freshness))) deadlineHit = "the freshness run closed";
      }
    } else {
      const watchUntil = faultTime + options.observeSeconds * 1000;
      while (clock.nowMs() < Math.min(watchUntil, deadline())) await clock.sleep(POLL_MS);
      if (deadline() < watchUntil)
        deadlineHit = `the ${options.observeSeconds} s of observation (--observe) ended`;
      if (name === "partition") {
        cluster.monitorPath.restore();
        timeline.add("fault-cleared", "the monitor's path to the primary is restored");
        await clock.sleep(policy.probeIntervalSeconds * 1000 * 2);
      }
    }
    // No evaluation may start an execution after this; the figures come from the report the
    // workflow stored, so its executions must close first.
    await monitor.stop();
    const running = await waitForExecutions(drillWorkflow, clock, deadline());
    if (running.length > 0 && deadlineHit === undefined)
      deadlineHit = `the workflow closed (${running.map((e) => `${e.name} in ${currentState(e)}`).join(", ")})`;
    if (deadlineHit !== undefined) {
      deadlineMissed =
        `the scenario deadline (--timeout ${options.scenarioTimeoutSeconds} s after the fault${def.restore ? ", plus 60 s for a regional loss" : ""}) passed ` +
        `before ${deadlineHit}; raise --timeout`;
      timeline.add("deadline", deadlineMissed);
      log(`  deadline: ${deadlineMissed}`);
    }
    await workload.stop();

    // Measure.
    writerFinal = dns.resolveWriter();
    const promoted = control.promotionRecord();
    promoteCalledAtMs = promoted.promoteCalledAtMs;
    if (promoted.promoteCalledAtMs !== null)
      timeline.add("promote-called", "pg_promote() on the replica", promoted.promoteCalledAtMs);
    if (promoted.writableAtMs !== null)
      timeline.add("promoted", "the replica accepts writes", promoted.writableAtMs);
    const stored = await storedReport(drillWorkflow);
    engineReportLocation = stored?.location ?? null;
    const engineReport = stored?.report ?? null;
    for (const entry of engineReport?.timeline ?? []) {
      if (ENGINE_EVENTS.includes(entry.event)) timeline.add(entry.event, entry.detail, entry.atMs);
    }
    if (approval !== null) approval = { ...approval, recordedApprovedBy: stored?.run.approvedBy ?? null };
    const restoredNode = recovery.restoredNode();
    const finalNode =
      restoredNode !== null && writerFinal === formatEndpoint(restoredNode)
        ? restoredNode
        : writerFinal === replicaEndpoint
          ? cluster.replica
          : cluster.primary;
    const firstWrite = workload.firstAckFrom(faultTime, writerFinal ?? undefined) ?? null;
    if (firstWrite)
      timeline.add(
        "first-write",
        `commit #${firstWrite.seq} acknowledged by ${firstWrite.endpoint}`,
        firstWrite.ackedAtMs,
      );
    const failuresAfter = workload.failures().filter((f) => f.startedAtMs >= faultTime);
    writeFailuresAfterFault = failuresAfter.length;
    if (failuresAfter.length > 0)
      timeline.add(
        "writes-failing",
        `first failed write: ${failuresAfter[0].error}`,
        failuresAfter[0].failedAtMs,
      );
    let lost = null;
    if (cluster.isRunning(finalNode)) {
      try {
        lost = (await findLostCommits(login(finalNode), workload.acks(), 10_000)).lost;
      } catch (e) {
        log(`  could not check commits on ${finalNode.name}: ${(e as Error).message}`);
      }
    }
    evaluations = monitor.records();
    const acks = workload.acks();
    if (def.restore) {
      const record = recovery.restoreRecord();
      const point = record.latestRestorableTimeMs;
      if (record.restoreCalledAtMs !== null)
        timeline.add(
          "restore-called",
          "point-in-time recovery from the DR backups",
          record.restoreCalledAtMs,
        );
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
    if (def.restoreTest && restoreWorkflow && restoreTestDb) {
      await waitForExecutions(restoreWorkflow, clock, deadline());
      await restoreTestDb.settled();
      restoreTest = await restoreTestFacts(restoreWorkflow, restoreTestDb, cluster, timeline);
    }
    figures = computeFigures(
      {
        faultAtMs: faultTime,
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
      def.promotionExpected,
    );
    writes = writeSeries(acks, workload.failures(), startedAtMs, clock.nowMs(), faultTime);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    log(`  error: ${error}`);
  } finally {
    await monitor?.stop().catch(() => undefined);
    // An execution must not outlive its cluster (nor keep the process alive with its timers).
    if (workflow) await waitForExecutions(workflow, clock, clock.nowMs()).catch(() => undefined);
    if (restoreWorkflow)
      await waitForExecutions(restoreWorkflow, clock, clock.nowMs()).catch(() => undefined);
    await restoreTestDb?.settled().catch(() => undefined);
    await workload?.stop().catch(() => undefined);
    if (cluster) cleanup = await destroyAndCheck(cluster);
  }
  const finishedAtMs = clock.nowMs();
  const executions = workflow?.all().map(executionRecord) ?? [];
  const notifications = notifier?.notifications() ?? [];
  const checks =
    figures === null
      ? []
      : checkScenario(name, {
          figures,
          evaluations,
          notificationEvents: notifications.map((n) => n.event),
          writerInitial,
          writerFinal,
          replicaEndpoint,
          writeFailuresAfterFault,
          executions,
          promoteCalledAtMs,
          approval,
          restore,
          restoreTest,
        });
  const cleanupCheck = { name: "cleanup complete", passed: cleanup.complete, detail: cleanup.detail };
  const deadlineCheck =
    deadlineMissed === undefined
      ? []
      : [{ name: "within the deadline", passed: false, detail: deadlineMissed }];
  return {
    name,
    description: def.description,
    expectation: def.expectation,
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
    targets: figures && !def.planned && !def.approval ? targetChecks(figures, policy) : [],
    timeline: timeline.events(faultAtMs ?? startedAtMs),
    writes,
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

/** Execution name of a drill restore-test run: `restore-test-<mode>-<UTC yyyymmddThhmmss>`. */
function restoreTestName(nowMs: number, mode: RestoreTestInput["mode"]): string {
  const stamp = new Date(nowMs).toISOString().slice(0, 19).replace(/[-:]/g, "");
  return `restore-test-${mode}-${stamp}`;
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
