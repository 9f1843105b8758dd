import type { FailoverReport } from "../lambda/core/ports";
import type { Decision, FailoverPolicy } from "../lambda/core/types";
import type { ScenarioName } from "./args";
import { findScenario } from "./scenarios";
import type { ExecutionRecord } from "./workflow";
import type { AckedCommit, FailedWrite } from "./workload";

/** Version of the drill's JSON report; bumped on any incompatible change (documented in the README (section "The local DR drill")). */
export const DRILL_REPORT_SCHEMA_VERSION = 1;

/** One event of a scenario's timeline. */
export interface DrillEvent {
  readonly atMs: number;
  /** Seconds relative to the fault (negative before it). */
  readonly offsetSeconds: number;
  /**
   * `fault-injected`, `fault-cleared`, `probe`, `lag`, `decision`, `notification`, `fenced`,
   * `promote-called`, `promoted`, `writer-switched`, `first-write`, `writes-failing`, …
   */
  readonly event: string;
  readonly detail: string;
  /** For `probe` events: whether the probe succeeded (drives the chart's colours). */
  readonly ok?: boolean;
}

/** One call of the failover engine (`evaluateAndAct`) during a scenario. */
export interface EvaluationRecord {
  readonly startedAtMs: number;
  readonly finishedAtMs: number;
  /** `monitor` or `manual:switchover`. */
  readonly trigger: string;
  readonly decision: Decision;
  readonly acted: boolean;
  /** Time of the newest probe the evaluation was given (the probe that confirmed the failure). */
  readonly lastProbeAtMs: number | null;
  /** Last healthy lag the engine's snapshot held, seconds. */
  readonly lastHealthyLagSeconds: number | null;
  readonly error?: string;
  /**
   * The workflow execution that carries the decision out: `started` when this evaluation started
   * it, otherwise the one already running (then the evaluation only reported it).
   */
  readonly execution?: { readonly name: string; readonly started: boolean };
}

/** What the runner observed during one scenario, before any figure is derived. */
export interface ScenarioObservations {
  readonly faultAtMs: number;
  readonly evaluations: readonly EvaluationRecord[];
  /** The report the workflow's `write-report` step stored; `null` when none was stored. */
  readonly engineReport: FailoverReport | null;
  /** How many times a promotion actually changed a server from standby to primary. */
  readonly promotions: number;
  /** When `writer` was pointed at a different endpoint (the last such change). */
  readonly writerSwitchedAtMs: number | null;
  /** The first acknowledged commit of an attempt started after the fault, on the final writer. */
  readonly firstWriteAfterFault: AckedCommit | null;
  /** Acknowledged commits missing on the final writer; `null` when they could not be checked. */
  readonly lostCommits: readonly AckedCommit[] | null;
  readonly ackedCommits: number;
  readonly inDoubtCommits: number;
}

/** The measured figures of one scenario. `null` means "did not happen" (e.g. no promotion). */
export interface ScenarioFigures {
  /** Fault → failure confirmed (the probe that met the threshold, or the first alert). */
  readonly detectionSeconds: number | null;
  /** Promotion requested → replica seen writable, as the workflow recorded them (PostgreSQL's promotion time). */
  readonly promotionSeconds: number | null;
  /**
   * (writer switched − decision) − (writable − promotion requested), from the workflow's report:
   * the workflow's own overhead (steps, waits, state transitions), without PostgreSQL's promotion.
   */
  readonly orchestrationMs: number | null;
  /** Fault → `writer` switched. */
  readonly writerSwitchedSeconds: number | null;
  /** Fault → first acknowledged write through `writer` (what clients feel). */
  readonly rtoSeconds: number | null;
  /** Acknowledged commits missing on the final writer, checked row by row. */
  readonly lostCommits: number | null;
  /** Sequence numbers of the lost commits. */
  readonly lostCommitSeqs: readonly number[];
  /** The engine's estimate: the last healthy replication lag before the failure. */
  readonly dataLossWindowSeconds: number | null;
  /** Measured: fault time minus the acknowledgement time of the oldest lost commit (0 when none lost). */
  readonly measuredDataLossWindowSeconds: number | null;
  /** Promotions in a scenario where the primary was healthy or had to be kept (blip, partition, lag). */
  readonly falseFailovers: number;
  readonly promotions: number;
  readonly ackedCommits: number;
  readonly inDoubtCommits: number;
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** The moments the workflow recorded in its report's timeline. */
export interface EngineMoments {
  /**
   * The decision the promotion followed: the failover function's, or for an approved failover the
   * one the workflow made again on the approval (the wait for a person is not overhead).
   */
  readonly decisionAtMs: number | null;
  readonly promoteRequestedAtMs: number | null;
  readonly writableAtMs: number | null;
  readonly writerSwitchedAtMs: number | null;
}

/** Reads the workflow's moments from the timeline of its report. */
export function engineMoments(report: FailoverReport): EngineMoments {
  const first = (event: string): number | null =>
    report.timeline.find((e) => e.event === event)?.atMs ?? null;
  const promoteRequestedAtMs = first("promote-requested");
  const writerSwitchedAtMs = first("writer-switched");
  const actedAtMs = promoteRequestedAtMs ?? writerSwitchedAtMs;
  const decisions = report.timeline.filter(
    (e) => e.event === "decision" && (actedAtMs === null || e.atMs <= actedAtMs),
  );
  return {
    decisionAtMs: decisions.at(-1)?.atMs ?? null,
    promoteRequestedAtMs,
    writableAtMs: first("promoted"),
    writerSwitchedAtMs,
  };
}

/**
 * The evaluation that decided the outcome after the fault: the promotion if there was one,
 * else the first evaluation that decided anything but `none`.
 */
export function decisiveEvaluation(obs: ScenarioObservations): EvaluationRecord | undefined {
  const after = obs.evaluations.filter((e) => e.finishedAtMs >= obs.faultAtMs);
  return (
    after.find((e) => e.decision.kind === "promote-replica") ?? after.find((e) => e.decision.kind !== "none")
  );
}

/** Derives the figures from what was observed. Pure; every figure is defined in the README (section "The local DR drill"). */
export function computeFigures(obs: ScenarioObservations, promotionExpected: boolean): ScenarioFigures {
  const decisive = decisiveEvaluation(obs);
  let detectionSeconds: number | null = null;
  // A planned switchover is requested, not detected: its decision confirms no failure.
  const planned = decisive?.decision.kind === "promote-replica" && decisive.decision.planned;
  if (decisive && !planned) {
    const confirmedAtMs =
      decisive.decision.kind === "promote-replica"
        ? decisive.decision.detectedAtMs
        : (decisive.lastProbeAtMs ?? decisive.startedAtMs);
    detectionSeconds = seconds(confirmedAtMs - obs.faultAtMs);
  }
  const m = obs.engineReport === null ? null : engineMoments(obs.engineReport);
  const promotionMs =
    m?.promoteRequestedAtMs != null && m.writableAtMs !== null
      ? m.writableAtMs - m.promoteRequestedAtMs
      : null;
  const orchestrationMs =
    m?.decisionAtMs != null && m.writerSwitchedAtMs !== null && promotionMs !== null
      ? Math.round(m.writerSwitchedAtMs - m.decisionAtMs - promotionMs)
      : null;
  const lost = obs.lostCommits;
  const acting = obs.evaluations.find((e) => e.acted);
  const engineWindow =
    obs.engineReport?.figures.dataLossWindowSeconds ?? acting?.lastHealthyLagSeconds ?? null;
  let measuredWindow: number | null = null;
  if (lost !== null) {
    const oldest = lost.reduce<number | null>(
      (min, c) => (min === null || c.ackedAtMs < min ? c.ackedAtMs : min),
      null,
    );
    measuredWindow = oldest === null ? 0 : seconds(Math.max(0, obs.faultAtMs - oldest));
  }
  return {
    detectionSeconds,
    promotionSeconds: promotionMs === null ? null : seconds(promotionMs),
    orchestrationMs,
    writerSwitchedSeconds:
      obs.writerSwitchedAtMs === null ? null : seconds(obs.writerSwitchedAtMs - obs.faultAtMs),
    rtoSeconds: obs.firstWriteAfterFault ? seconds(obs.firstWriteAfterFault.ackedAtMs - obs.faultAtMs) : null,
    lostCommits: lost === null ? null : lost.length,
    lostCommitSeqs: lost === null ? [] : lost.map((c) => c.seq),
    dataLossWindowSeconds: engineWindow,
    measuredDataLossWindowSeconds: measuredWindow,
    falseFailovers: promotionExpected ? 0 : obs.promotions,
    promotions: obs.promotions,
    ackedCommits: obs.ackedCommits,
    inDoubtCommits: obs.inDoubtCommits,
  };
}

/** One pass/fail check of a scenario's expected outcome. */
export interface ScenarioCheck {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** A published target and whether this run met it (informational: targets never fail the drill). */
export interface TargetCheck {
  readonly name: string;
  readonly limit: string;
  readonly value: string;
  readonly met: boolean;
}

/** The targets the README publishes, for a scenario that promoted; only meaningful with 1 s probes and 3 failures. */
export function targetChecks(figures: ScenarioFigures, policy: FailoverPolicy): TargetCheck[] {
  if (policy.probeIntervalSeconds !== 1 || policy.consecutiveFailuresToFailover !== 3) return [];
  const checks: TargetCheck[] = [];
  const add = (name: string, value: number | null, limit: number, unit: string) => {
    if (value === null) return;
    const shown = unit === "ms" ? formatMs(value) : formatSeconds(value);
    checks.push({ name, limit: `<= ${limit} ${unit}`, value: shown, met: value <= limit });
  };
  if (figures.promotions > 0) {
    add("detection", figures.detectionSeconds, 3.5, "s");
    add("RTO", figures.rtoSeconds, 10, "s");
    add("orchestration", figures.orchestrationMs, 500, "ms");
  }
  return checks;
}

/** Acknowledged and failed writes per time bucket, for the chart. */
export interface WriteSeries {
  /** Start of the first bucket, seconds relative to the fault. */
  readonly startOffsetSeconds: number;
  readonly bucketMs: number;
  readonly acked: readonly number[];
  readonly failed: readonly number[];
}

/** Buckets writes by acknowledgement (or failure) time. */
export function writeSeries(
  acked: readonly AckedCommit[],
  failed: readonly FailedWrite[],
  fromMs: number,
  toMs: number,
  faultAtMs: number,
  bucketMs = 250,
): WriteSeries {
  const n = Math.max(1, Math.ceil((toMs - fromMs) / bucketMs));
  const a = new Array<number>(n).fill(0);
  const f = new Array<number>(n).fill(0);
  const slot = (t: number) => Math.min(n - 1, Math.max(0, Math.floor((t - fromMs) / bucketMs)));
  for (const c of acked) if (c.ackedAtMs >= fromMs && c.ackedAtMs <= toMs) a[slot(c.ackedAtMs)]++;
  for (const w of failed) if (w.failedAtMs >= fromMs && w.failedAtMs <= toMs) f[slot(w.failedAtMs)]++;
  return { startOffsetSeconds: seconds(fromMs - faultAtMs), bucketMs, acked: a, failed: f };
}

/** The report of one scenario, as written into the JSON report. */
export interface ScenarioReport {
  readonly name: ScenarioName;
  readonly description: string;
  /** What must happen, in one sentence. */
  readonly expectation: string;
  readonly passed: boolean;
  readonly checks: readonly ScenarioCheck[];
  readonly startedAtMs: number;
  readonly faultAtMs: number | null;
  readonly finishedAtMs: number;
  readonly promoted: boolean;
  /** Where `writer` pointed at the start and at the end. */
  readonly writer: { readonly initial: string; readonly final: string | null };
  readonly decisions: readonly {
    readonly atMs: number;
    readonly trigger: string;
    readonly kind: string;
    readonly reason: string;
    readonly acted: boolean;
    readonly error?: string;
  }[];
  readonly figures: ScenarioFigures | null;
  readonly targets: readonly TargetCheck[];
  readonly timeline: readonly DrillEvent[];
  readonly writes: WriteSeries | null;
  readonly notifications: readonly {
    readonly atMs: number;
    readonly event: string;
    readonly severity: string;
    readonly subject: string;
  }[];
  /** Where the engine's own `FailoverReport` went, when it wrote one. */
  readonly engineReportLocation: string | null;
  /** The failover workflow's executions, oldest first (none when nothing had to be done). */
  readonly executions: readonly ExecutionRecord[];
  /** The `restore-test` scenario's figures and its restore-test executions. */
  readonly restoreTest?: {
    readonly executions: readonly ExecutionRecord[];
    /** Where the test's report (`restore-tests/<day>/<execution>.json`) went. */
    readonly reportLocation: string | null;
    /** Restore call → the temporary instance available (RestoreTestDurationSeconds). */
    readonly restoreDurationSeconds: number | null;
    /** Restore point − newest heartbeat row (RestoreTestDataAgeSeconds). */
    readonly dataAgeSeconds: number | null;
    readonly rowCount: number | null;
    readonly latestRestorableTime: string | null;
    /** RestoreTestAgeHours of the freshness run after the test. */
    readonly ageHours: number | null;
  };
  readonly cleanup: { readonly complete: boolean; readonly detail: string };
  /** Set when the scenario could not run to the end (the cluster did not start, …). */
  readonly error?: string;
}

/** What the same run means with the production defaults. */
export interface ProductionTranslation {
  readonly policy: FailoverPolicy;
  readonly notes: readonly string[];
}

/** The whole JSON report of a drill run (schema in the README (section "The local DR drill")). */
export interface DrillReport {
  readonly schemaVersion: typeof DRILL_REPORT_SCHEMA_VERSION;
  readonly tool: "tapstack-drill";
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outputDir: string;
  readonly settings: {
    readonly scenarios: readonly ScenarioName[];
    readonly policy: FailoverPolicy;
    readonly commitsPerSecond: number;
    readonly warmupSeconds: number;
    readonly blipSeconds: number;
    readonly observeSeconds: number;
    readonly scenarioTimeoutSeconds: number;
    readonly postgresVersion: string | null;
  };
  readonly production: ProductionTranslation;
  readonly passed: boolean;
  readonly scenarios: readonly ScenarioReport[];
}

/**
 * Explains what the drill's figures mean with the production policy: the probe cadence
 * scales detection, RDS promotion replaces PostgreSQL's, and clients also wait out the DNS TTL.
 */
export function translateToProduction(
  drill: FailoverPolicy,
  production: FailoverPolicy,
  dnsTtlSeconds: number,
): ProductionTranslation {
  const drillWindow = drill.consecutiveFailuresToFailover * drill.probeIntervalSeconds;
  const prodWindow = production.consecutiveFailuresToFailover * production.probeIntervalSeconds;
  return {
    policy: production,
    notes: [
      `Detection: the drill confirms a failure after ${drill.consecutiveFailuresToFailover} failed probes ` +
        `${drill.probeIntervalSeconds} s apart (about ${drillWindow} s); production needs ` +
        `${production.consecutiveFailuresToFailover} probes ${production.probeIntervalSeconds} s apart ` +
        `(at most ${prodWindow + production.probeTimeoutSeconds} s from the fault to the confirming probe: ` +
        "a run that ends on a failing probe keeps probing until it confirms or recovers).",
      `Promotion: the drill measures PostgreSQL's own promotion (pg_promote); on RDS, PromoteReadReplica ` +
        "takes minutes (TapStack promotes with backups off and turns them on after the writer switch); only the orchestration overhead carries over.",
      `Clients: the drill's writer name changes at once; Route 53 clients keep the old answer for up to ` +
        `the record's TTL (${dnsTtlSeconds} s), which adds to the RTO clients see.`,
      `Lag guard: the drill blocks automatic failover above ${drill.maxReplicationLagSeconds} s of lag; ` +
        `production above ${production.maxReplicationLagSeconds} s.`,
    ],
  };
}

/** Shown for a figure that does not apply to the scenario (detection of a planned switchover, …). */
export const NOT_APPLICABLE = "n/a";
/** Shown for a figure that applies but was not measured (it did not happen, or could not be read). */
export const NOT_MEASURED = "—";

/** Seconds for display: always two decimals (the JSON report keeps the measured precision). */
export const formatSeconds = (value: number): string => `${value.toFixed(2)} s`;
/** Milliseconds for display: whole milliseconds. */
export const formatMs = (value: number): string => `${Math.round(value)} ms`;

const orMissing = (value: number | null, format: (v: number) => string): string =>
  value === null ? NOT_MEASURED : format(value);
const count = (value: number | null): string => orMissing(value, (v) => String(v));
const plural = (n: number | null, noun: string): string => `${count(n)} ${noun}${n === 1 ? "" : "s"}`;

/** The figures the summary and the chart show, each of which may not apply to a scenario. */
export type ShownFigure =
  "detection" | "promotion" | "orchestration" | "writerSwitched" | "rto" | "dataLossWindow";

/**
 * The figures that do not apply to a scenario, from what the scenario is and what happened in it:
 * - detection: a planned switchover and the restore test detect no failure; a scenario that must
 *   not fail over (`blip`) has none to show unless something was confirmed;
 * - promotion and orchestration (defined by the promotion): a scenario that must not promote,
 *   unless it did (a false failover shows its figures);
 * - writer switched and the engine's data-loss window: a scenario that neither promotes nor restores;
 * - RTO: such a scenario whose clients never failed a write (`partition`, `restore-test`): there
 *   was no outage to recover from.
 */
export function notApplicableFigures(s: ScenarioReport): ReadonlySet<ShownFigure> {
  const na = new Set<ShownFigure>();
  const def = findScenario(s.name);
  const f = s.figures;
  if (!def || !f) return na;
  const promotes = def.outcome === "promotion";
  const actsOnFailure = promotes || def.outcome === "restore";
  if (def.requested !== undefined || (!actsOnFailure && f.detectionSeconds === null)) na.add("detection");
  if (!promotes && f.promotionSeconds === null) na.add("promotion");
  if (!promotes && f.orchestrationMs === null) na.add("orchestration");
  if (!actsOnFailure && f.writerSwitchedSeconds === null) na.add("writerSwitched");
  if (!actsOnFailure && f.dataLossWindowSeconds === null) na.add("dataLossWindow");
  if (!actsOnFailure && !s.timeline.some((e) => e.event === "writes-failing")) na.add("rto");
  return na;
}

/** One figure of a scenario for display: rounded, `n/a` when it does not apply, `—` when not measured. */
export function figureText(s: ScenarioReport, figure: ShownFigure): string {
  const f = s.figures;
  if (notApplicableFigures(s).has(figure)) return NOT_APPLICABLE;
  if (!f) return NOT_MEASURED;
  switch (figure) {
    case "detection":
      return orMissing(f.detectionSeconds, formatSeconds);
    case "promotion":
      return orMissing(f.promotionSeconds, formatSeconds);
    case "orchestration":
      return orMissing(f.orchestrationMs, formatMs);
    case "writerSwitched":
      return orMissing(f.writerSwitchedSeconds, formatSeconds);
    case "rto":
      return orMissing(f.rtoSeconds, formatSeconds);
    case "dataLossWindow":
      return orMissing(f.dataLossWindowSeconds, formatSeconds);
  }
}

/** "3 of 751": lost commits of the acknowledged ones. */
export function lostText(f: ScenarioFigures): string {
  return `${count(f.lostCommits)} of ${f.ackedCommits}`;
}

/** A number of seconds with more than two decimals, in a sentence. */
const LONG_SECONDS = /\b(\d+\.\d{3,}) s\b/g;
const roundSeconds = (_match: string, n: string): string => formatSeconds(Number(n));

/**
 * The engine's sentences in the drill's terms. The decision logic is the one that runs on AWS and
 * speaks of RDS; in the drill the status comes from the local control plane (`LocalDatabaseControl`),
 * which stands in for RDS. Long decimals in the sentences are rounded like the figures.
 * The one place the drill's summary and chart translate the engine's wording.
 */
export function inLocalTerms(text: string): string {
  const local = "the local control plane";
  const out = text
    .replace(/\(second signal: RDS status\)/g, "(second signal: the control plane's status)")
    .replace(/RDS's own metrics are not observed here/g, "the database's own metrics are not observed here")
    .replace(/\bthe RDS API of the primary's region answers\b/g, `${local} answers`)
    .replace(/\bRDS (still )?reports\b/g, (_m, still: string | undefined) => `${local} ${still ?? ""}reports`)
    .replace(LONG_SECONDS, roundSeconds);
  const first = out.indexOf(local);
  const named =
    first === -1
      ? out
      : `${out.slice(0, first + local.length)} (standing in for RDS)${out.slice(first + local.length)}`;
  // A sentence that began with "RDS" begins with a capital again.
  return named.replace(
    /(^|[.!?] )the local control plane/g,
    (_m, lead: string) => `${lead}The local control plane`,
  );
}

/** The longest run of consecutive failed probes after the fault. */
function longestFailedProbeRun(s: ScenarioReport): number {
  let run = 0;
  let longest = 0;
  for (const e of s.timeline) {
    if (e.event !== "probe" || e.offsetSeconds < 0) continue;
    run = e.ok ? 0 : run + 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** The one thing to know about a scenario's outcome, for the summary table. */
export function keyOutcome(s: ScenarioReport, policy: FailoverPolicy): string {
  if (s.error) return `error: ${s.error}`;
  const failed = s.checks.filter((c) => !c.passed);
  if (failed.length > 0)
    return `✗ ${failed[0].name}: ${failed[0].detail}${failed.length > 1 ? ` (+${failed.length - 1} more)` : ""}`;
  const at = (event: string) => s.timeline.find((e) => e.event === event)?.offsetSeconds;
  const kinds = new Set(s.decisions.map((d) => d.kind));
  const rt = s.restoreTest;
  if (rt) {
    return (
      `restored in ${orMissing(rt.restoreDurationSeconds, formatSeconds)}, ` +
      `data age ${orMissing(rt.dataAgeSeconds, formatSeconds)}, ${plural(rt.rowCount, "heartbeat row")} read; writer unchanged`
    );
  }
  const restoreCalled = at("restore-called");
  const restored = at("restored");
  const f = s.figures;
  if (restoreCalled !== undefined && restored !== undefined)
    return (
      `no replica left: restored from the DR backups in ${formatSeconds(restored - restoreCalled)}` +
      // Passed checks: none acknowledged by the restore point is missing.
      ((f?.lostCommits ?? 0) > 0 ? "; lost only commits after the restore point" : "; nothing lost")
    );
  if (s.promoted && f) {
    const blockedAt = s.timeline.find(
      (e) => e.event === "decision" && e.detail.startsWith("blocked"),
    )?.offsetSeconds;
    const approvedAt = at("approved");
    const planned = findScenario(s.name)?.requested !== undefined;
    if (blockedAt !== undefined && approvedAt !== undefined)
      return (
        `lag guard blocked (lag ${orMissing(f.dataLossWindowSeconds, formatSeconds)} > ${policy.maxReplicationLagSeconds} s); ` +
        `an operator approved after ${formatSeconds(approvedAt - blockedAt)}`
      );
    if (planned)
      return `planned: fenced, caught up, promoted (orchestration ${figureText(s, "orchestration")})`;
    return `automatic failover: promotion ${figureText(s, "promotion")}, orchestration ${figureText(s, "orchestration")}`;
  }
  if (kinds.has("alert-only")) {
    const critical = s.notifications.some((n) => n.severity === "critical");
    const clientsFailed = s.timeline.some((e) => e.event === "writes-failing");
    return `${critical ? "critical " : ""}alert, no failover${clientsFailed ? "" : "; clients unaffected"}`;
  }
  if (kinds.size === 0)
    return (
      `no failover: at most ${plural(longestFailedProbeRun(s), "consecutive failed probe")}, ` +
      `${policy.consecutiveFailuresToFailover} needed`
    );
  return [...kinds].join(", ");
}

/** Lays out rows under a header, each column as wide as its widest cell. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The table that ends a run of several scenarios: one row per scenario. */
export function renderSummaryTable(report: DrillReport): string[] {
  const passed = report.scenarios.filter((s) => s.passed).length;
  const rows = report.scenarios.map((s) => [
    s.name,
    s.passed ? "passed" : "FAILED",
    s.promoted ? "yes" : "no",
    figureText(s, "detection"),
    figureText(s, "rto"),
    s.figures ? lostText(s.figures) : NOT_MEASURED,
    keyOutcome(s, report.settings.policy),
  ]);
  return [
    `Summary: ${passed} of ${report.scenarios.length} scenarios passed ` +
      `(${NOT_APPLICABLE}: does not apply to the scenario; ${NOT_MEASURED}: not measured)`,
    ...table(
      ["scenario", "result", "promoted", "detection", "RTO", "lost commits", "what matters"],
      rows,
    ).map((l) => `  ${l}`),
  ];
}

/** The human-readable summary printed at the end of a run. */
export function renderSummary(report: DrillReport): string {
  const p = report.settings.policy;
  const lines: string[] = [];
  lines.push(`TapStack DR drill — ${report.passed ? "PASSED" : "FAILED"}`);
  lines.push(
    `Settings: probes every ${p.probeIntervalSeconds} s (timeout ${p.probeTimeoutSeconds} s, ${p.probesPerRun} per run), ` +
      `fail over after ${p.consecutiveFailuresToFailover} failures, lag guard ${p.maxReplicationLagSeconds} s` +
      `${p.acceptDataLoss ? " (data loss accepted)" : ""}, workload ${report.settings.commitsPerSecond} commits/s` +
      (report.settings.postgresVersion ? `, PostgreSQL ${report.settings.postgresVersion}` : ""),
  );
  for (const s of report.scenarios) {
    lines.push("");
    lines.push(`■ ${s.name} — ${s.passed ? "passed" : "FAILED"}: ${s.description}`);
    lines.push(`  expected: ${s.expectation}`);
    if (s.error) lines.push(`  error: ${s.error}`);
    const last = s.decisions.filter((d) => d.kind !== "none").at(-1);
    lines.push(
      `  outcome: ${s.promoted ? "replica promoted" : "no promotion"}; writer ${s.writer.initial} → ${s.writer.final ?? "missing"}`,
    );
    if (last) lines.push(`  decision: ${last.kind} — ${inLocalTerms(last.reason)}`);
    const f = s.figures;
    // The restore test injects no fault: detection, promotion and RTO do not apply to it.
    if (f && !s.restoreTest) {
      lines.push(
        `  detection ${figureText(s, "detection")} | promotion ${figureText(s, "promotion")} | ` +
          `orchestration ${figureText(s, "orchestration")} | writer switched ${figureText(s, "writerSwitched")} | ` +
          `RTO ${figureText(s, "rto")}`,
      );
      lines.push(
        `  commits acknowledged ${f.ackedCommits} (in doubt ${f.inDoubtCommits}) | lost ${count(f.lostCommits)}` +
          (f.lostCommitSeqs.length > 0 ? ` (seq ${abbreviate(f.lostCommitSeqs)})` : "") +
          ` | data-loss window: engine ${figureText(s, "dataLossWindow")}, ` +
          `measured ${orMissing(f.measuredDataLossWindowSeconds, formatSeconds)}` +
          ` | false failovers ${f.falseFailovers}`,
      );
    }
    if (f && s.restoreTest) {
      lines.push(
        `  commits acknowledged ${f.ackedCommits} (in doubt ${f.inDoubtCommits}) | lost ${count(f.lostCommits)}`,
      );
    }
    for (const e of s.executions) {
      lines.push(
        `  workflow: ${e.name} ${e.status}${e.error ? ` (${e.error})` : ""}, ${e.transitions} transitions: ` +
          abbreviateStates(e.statesVisited),
      );
    }
    const rt = s.restoreTest;
    if (rt) {
      lines.push(
        `  restore test: restore ${orMissing(rt.restoreDurationSeconds, formatSeconds)} | ` +
          `data age ${orMissing(rt.dataAgeSeconds, formatSeconds)} | heartbeat rows ${count(rt.rowCount)}` +
          ` | restore point ${rt.latestRestorableTime ?? "?"} | freshness ${orMissing(rt.ageHours, (h) => `${Number(h.toFixed(1))} h`)}`,
      );
      for (const e of rt.executions) {
        lines.push(
          `  restore-test workflow: ${e.name} ${e.status}${e.error ? ` (${e.error})` : ""}, ${e.transitions} transitions: ` +
            abbreviateStates(e.statesVisited),
        );
      }
      if (rt.reportLocation) lines.push(`  restore-test report: ${rt.reportLocation}`);
    }
    for (const c of s.checks) lines.push(`  ${c.passed ? "✓" : "✗"} ${c.name}: ${inLocalTerms(c.detail)}`);
    for (const t of s.targets)
      lines.push(
        `  target ${t.name} ${t.limit}: ${t.value.replace(LONG_SECONDS, roundSeconds)} ${t.met ? "(met)" : "(MISSED)"}`,
      );
    if (!s.cleanup.complete) lines.push(`  ✗ cleanup: ${s.cleanup.detail}`);
  }
  lines.push("");
  lines.push("With the production defaults:");
  for (const note of report.production.notes) lines.push(`  - ${note}`);
  if (report.scenarios.length > 1) {
    lines.push("");
    lines.push(...renderSummaryTable(report));
  }
  lines.push("");
  lines.push(`Report: ${report.outputDir}/report.json, chart: ${report.outputDir}/timeline.svg`);
  return lines.join("\n");
}

/** States in order, a wait loop's repeated cycle (check → choice → wait) shown once with its count. */
export function abbreviateStates(states: readonly string[]): string {
  const out: string[] = [];
  const cycle = (i: number, len: number): string => states.slice(i, i + len).join(" → ");
  for (let i = 0; i < states.length;) {
    let best = { len: 1, n: 1 };
    for (let len = 2; len <= 4; len++) {
      let n = 1;
      while (i + len * (n + 1) <= states.length && cycle(i + len * n, len) === cycle(i, len)) n++;
      if (n > 1 && len * n > best.len * best.n) best = { len, n };
    }
    out.push(best.n > 1 ? `(${cycle(i, best.len)}) ×${best.n}` : states[i]);
    i += best.len * best.n;
  }
  return out.join(" → ");
}

function abbreviate(seqs: readonly number[]): string {
  return seqs.length <= 12 ? seqs.join(", ") : `${seqs.slice(0, 10).join(", ")}, … ${seqs.length - 10} more`;
}
