import type { ScenarioName } from "./args";
import { STATES } from "../workflow/definition";
import type { EvaluationRecord, ScenarioCheck, ScenarioFigures } from "./report";
import type { ExecutionRecord } from "./workflow";
import type { RestoreTestReport } from "../lambda/core/restore-test";

/** What a scenario does and what must come of it. */
export interface ScenarioDefinition {
  readonly name: ScenarioName;
  readonly description: string;
  readonly expectation: string;
  /** True when the replica must be promoted and `writer` moved to it. */
  readonly promotionExpected: boolean;
  /** True for the planned switchover, which an operator requests (no monitor trigger). */
  readonly planned: boolean;
  /**
   * True when the lag guard blocks the failover and the drill plays the operator who approves it,
   * accepting the data loss (`send-task-success` with the approval's task token).
   */
  readonly approval: boolean;
  /** True when both instances are lost and a new writer must be restored from the DR backups. */
  readonly restore: boolean;
  /**
   * True for the weekly restore test: nothing fails; the restore-test workflow restores a temporary
   * instance from the live primary's backups, checks it and tears it down, disturbing nothing.
   */
  readonly restoreTest: boolean;
}

/** The scenarios, by name. */
export const SCENARIOS: Readonly<Record<ScenarioName, ScenarioDefinition>> = {
  crash: {
    name: "crash",
    description: "the primary is killed with SIGKILL (a lost host)",
    expectation: "detect, promote the replica, move writer, writes resume; every lost commit is listed",
    promotionExpected: true,
    planned: false,
    approval: false,
    restore: false,
    restoreTest: false,
  },
  stop: {
    name: "stop",
    description: "the primary is shut down immediately (pg_ctl stop -m immediate)",
    expectation: "detect, promote the replica, move writer, writes resume; every lost commit is listed",
    promotionExpected: true,
    planned: false,
    approval: false,
    restore: false,
    restoreTest: false,
  },
  blip: {
    name: "blip",
    description: "the primary is frozen with SIGSTOP for less than the detection window, then resumed",
    expectation: "no failover: too few consecutive probes fail; writes resume on the primary",
    promotionExpected: false,
    planned: false,
    approval: false,
    restore: false,
    restoreTest: false,
  },
  "lagging-replica": {
    name: "lagging-replica",
    description:
      "replay is paused on the replica until its lag exceeds the limit, then the primary is killed; an operator approves the failover",
    expectation:
      "no automatic promotion (it would lose data): the lag guard blocks it, alerts a human and waits; " +
      "on the operator's approval the failover completes, accepting the data loss, and every lost commit is listed",
    promotionExpected: true,
    planned: false,
    approval: true,
    restore: false,
    restoreTest: false,
  },
  partition: {
    name: "partition",
    description: "the monitor loses its network path to the primary, which stays healthy and writable",
    expectation: "no promotion (no second signal: the primary is available); a critical alert is sent",
    promotionExpected: false,
    planned: false,
    approval: false,
    restore: false,
    restoreTest: false,
  },
  switchover: {
    name: "switchover",
    description: "planned switchover: fence the primary, wait for the replica to replay everything, promote",
    expectation: "replica promoted, writer moved, zero lost commits",
    promotionExpected: true,
    planned: true,
    approval: false,
    restore: false,
    restoreTest: false,
  },
  "region-lost": {
    name: "region-lost",
    description:
      "the primary and the replica are killed together (their region is lost); the primary archived its WAL to the DR backups",
    expectation:
      "no promotion (no replica survives): after the confirmation window a new writer is restored from the base " +
      "backup and the archived WAL (PostgreSQL point-in-time recovery), writer moves to it, writes resume; exactly " +
      "the commits after the last archived WAL are lost",
    promotionExpected: false,
    planned: false,
    approval: false,
    restore: true,
    restoreTest: false,
  },
  "restore-test": {
    name: "restore-test",
    description:
      "the weekly restore test: while the cluster serves clients, the primary's base backup and archived WAL are " +
      "restored into a temporary instance (PostgreSQL point-in-time recovery)",
    expectation:
      "the restore-test workflow restores the temporary instance, the restore-check handler reads the heartbeat table " +
      "on it as the monitor's role, the instance is torn down and a successful report gives the restore duration, " +
      "data age and row count; no failover, writer stays, clients keep writing",
    promotionExpected: false,
    planned: false,
    approval: false,
    restore: false,
    restoreTest: true,
  },
};

/** What the checks look at, gathered by the runner after a scenario. */
export interface ScenarioFacts {
  readonly figures: ScenarioFigures;
  readonly evaluations: readonly EvaluationRecord[];
  readonly notificationEvents: readonly string[];
  readonly writerInitial: string;
  readonly writerFinal: string | null;
  /** The replica's endpoint: where `writer` must point after a promotion. */
  readonly replicaEndpoint: string;
  /** Failed write attempts that started after the fault. */
  readonly writeFailuresAfterFault: number;
  /** The failover workflow's executions, oldest first. */
  readonly executions: readonly ExecutionRecord[];
  /** When `pg_promote()` was called (the local control plane's record). */
  readonly promoteCalledAtMs: number | null;
  /** What the operator saw and did, for a scenario with an approval; `null` when none was given. */
  readonly approval: ApprovalFacts | null;
  /** The regional restore, for a scenario that loses both instances; `null` otherwise. */
  readonly restore: RestoreFacts | null;
  /** The restore test, for the `restore-test` scenario; `null` otherwise. */
  readonly restoreTest?: RestoreTestFacts | null;
}

/** What the restore test did. */
export interface RestoreTestFacts {
  /** The restore-test executions (the test, then a freshness run), oldest first. */
  readonly executions: readonly ExecutionRecord[];
  /** Restores of the temporary instance (the local recovery's record). */
  readonly restores: number;
  /** The stored report of the test execution; `null` when none was written. */
  readonly report: RestoreTestReport | null;
  /** True when the temporary instance is gone: no process, no data directory. */
  readonly tornDown: boolean;
  readonly tornDownDetail: string;
  /** RestoreTestAgeHours of the freshness run after the test; `null` when it did not run. */
  readonly ageHours: number | null;
}

/** What the regional restore did, and what it lost. */
export interface RestoreFacts {
  /** Restores started (the local recovery's record). */
  readonly restores: number;
  /** The restored instance's endpoint, once it takes writes. */
  readonly restoredEndpoint: string | null;
  /** The restore point the archive offered when the restore was asked for. */
  readonly latestRestorableTimeMs: number | null;
  /** Restore call → the restored instance takes writes. */
  readonly restoreSeconds: number | null;
  /** Lost commits that were acknowledged at or before the restore point: must be none. */
  readonly lostBeforeRestorePoint: number | null;
}

/** The operator's part in a blocked failover. */
export interface ApprovalFacts {
  /** When the drill found the execution waiting in `RequestApproval` (its task token pending). */
  readonly requestedAtMs: number;
  readonly approvedAtMs: number;
  /** The name the operator sent (`--task-output '{"approvedBy":"…"}'`). */
  readonly approvedBy: string;
  /** Promotions and `writer` at the moment of the approval: nothing may have changed while waiting. */
  readonly promotionsBeforeApproval: number;
  readonly writerAtApproval: string | null;
  /** Who the closed execution's run state says approved (`null` when it did not record one). */
  readonly recordedApprovedBy: string | null;
}

const check = (name: string, passed: boolean, detail: string): ScenarioCheck => ({ name, passed, detail });

/** The pass/fail checks of a scenario's outcome. Pure; each check says what it saw. */
export function checkScenario(name: ScenarioName, facts: ScenarioFacts): ScenarioCheck[] {
  const { figures: f, writerFinal } = facts;
  const errors = facts.evaluations.filter((e) => e.error !== undefined);
  const checks: ScenarioCheck[] = [];
  const promotedOnce = check("replica promoted once", f.promotions === 1, `${f.promotions} promotion(s)`);
  const noPromotion = check("no promotion", f.promotions === 0, `${f.promotions} promotion(s)`);
  const writerMoved = check(
    "writer moved to the promoted replica",
    writerFinal === facts.replicaEndpoint,
    `writer → ${writerFinal ?? "missing"} (replica ${facts.replicaEndpoint})`,
  );
  const writerKept = check(
    "writer unchanged",
    writerFinal === facts.writerInitial,
    `writer → ${writerFinal ?? "missing"} (initially ${facts.writerInitial})`,
  );
  const writesResumed = check(
    "writes resumed through writer",
    f.rtoSeconds !== null,
    f.rtoSeconds === null
      ? "no write was acknowledged after the fault"
      : `first write ${f.rtoSeconds} s after the fault`,
  );
  const engineClean = check(
    "engine reported no error",
    errors.length === 0,
    errors.length === 0 ? "no evaluation returned an error" : errors.map((e) => e.error).join("; "),
  );
  const executions = facts.executions.map(
    (e) => `${e.name} ${e.status}${e.error ? ` (${e.error}: ${e.cause ?? ""})` : ""}`,
  );
  const workflowSucceeded = check(
    "one workflow execution, succeeded",
    facts.executions.length === 1 && facts.executions[0].status === "SUCCEEDED",
    executions.join("; ") || "no execution was started",
  );
  const noWorkflow = check(
    "no workflow execution",
    facts.executions.length === 0,
    executions.join("; ") || "no execution was started",
  );
  const lostListed = check(
    "lost commits checked row by row",
    f.lostCommits !== null,
    f.lostCommits === null
      ? "the promoted server could not be read"
      : `${f.lostCommits} of ${f.ackedCommits} acknowledged commits missing`,
  );
  switch (name) {
    case "crash":
    case "stop":
      checks.push(promotedOnce, writerMoved, writesResumed, engineClean, workflowSucceeded, lostListed);
      break;
    case "blip":
      checks.push(noPromotion, writerKept, writesResumed, engineClean, noWorkflow);
      break;
    case "lagging-replica": {
      const blockedByLag = facts.evaluations.some(
        (e) => e.decision.kind === "blocked" && e.decision.guard === "replication-lag",
      );
      const a = facts.approval;
      const visited = facts.executions[0]?.statesVisited ?? [];
      checks.push(
        check(
          "blocked by the replication-lag guard",
          blockedByLag,
          blockedByLag
            ? "a blocked decision named the replication-lag guard"
            : "no decision was blocked by the lag guard",
        ),
        check(
          "a human was alerted",
          facts.notificationEvents.includes("failover-blocked"),
          `notifications: ${facts.notificationEvents.join(", ") || "none"}`,
        ),
        check(
          "nothing changed while waiting for the approval",
          a !== null && a.promotionsBeforeApproval === 0 && a.writerAtApproval === facts.writerInitial,
          a === null
            ? "the execution never waited for an approval"
            : `waited ${Math.round(a.approvedAtMs - a.requestedAtMs)} ms in ${STATES.requestApproval}: ` +
                `${a.promotionsBeforeApproval} promotion(s), writer → ${a.writerAtApproval ?? "missing"}`,
        ),
        check(
          "promoted only after the approval",
          a !== null && facts.promoteCalledAtMs !== null && facts.promoteCalledAtMs >= a.approvedAtMs,
          facts.promoteCalledAtMs === null
            ? "the replica was never promoted"
            : a === null
              ? "promoted without an approval"
              : `pg_promote() ${Math.round(facts.promoteCalledAtMs - a.approvedAtMs)} ms after the approval`,
        ),
        check(
          "the approval was carried out",
          a !== null &&
            a.recordedApprovedBy === a.approvedBy &&
            visited.includes(STATES.reassess) &&
            visited.includes(STATES.switchWriter),
          a === null
            ? "no approval was sent"
            : `approved by ${a.approvedBy}; the execution recorded ${a.recordedApprovedBy ?? "nobody"} and visited ` +
                `${[STATES.requestApproval, STATES.reassess, STATES.switchWriter].filter((st) => visited.includes(st)).join(", ") || "none of the approval states"}`,
        ),
        promotedOnce,
        writerMoved,
        writesResumed,
        engineClean,
        workflowSucceeded,
        lostListed,
      );
      break;
    }
    case "partition": {
      const critical = facts.evaluations.some(
        (e) => e.decision.kind === "alert-only" && e.decision.severity === "critical",
      );
      checks.push(noPromotion, writerKept, engineClean, noWorkflow);
      checks.push(
        check(
          "critical alert without failover",
          critical,
          critical
            ? "an alert-only decision with severity critical was made"
            : "no critical alert-only decision",
        ),
        check(
          "clients kept writing",
          facts.writeFailuresAfterFault === 0,
          `${facts.writeFailuresAfterFault} failed write attempts after the fault`,
        ),
      );
      break;
    }
    case "region-lost": {
      const r = facts.restore;
      checks.push(
        noPromotion,
        check("restored once", r !== null && r.restores === 1, `${r?.restores ?? 0} restore(s)`),
        check(
          "writer moved to the restored instance",
          r !== null && r.restoredEndpoint !== null && writerFinal === r.restoredEndpoint,
          `writer → ${writerFinal ?? "missing"} (restored ${r?.restoredEndpoint ?? "nothing"})`,
        ),
        writesResumed,
        engineClean,
        workflowSucceeded,
        lostListed,
        check(
          "only commits after the restore point lost",
          r !== null && r.lostBeforeRestorePoint === 0,
          r === null || r.lostBeforeRestorePoint === null || r.latestRestorableTimeMs === null
            ? "the restored server could not be read"
            : `${r.lostBeforeRestorePoint} lost commit(s) acknowledged at or before the restore point ` +
                `${new Date(r.latestRestorableTimeMs).toISOString()}; restore took ${r.restoreSeconds ?? "?"} s`,
        ),
      );
      break;
    }
    case "restore-test": {
      const t = facts.restoreTest ?? null;
      const r = t?.report ?? null;
      const runs = (t?.executions ?? []).map(
        (e) => `${e.name} ${e.status}${e.error ? ` (${e.error}: ${e.cause ?? ""})` : ""}`,
      );
      checks.push(
        noPromotion,
        writerKept,
        engineClean,
        noWorkflow,
        check(
          "clients kept writing",
          facts.writeFailuresAfterFault === 0,
          `${facts.writeFailuresAfterFault} failed write attempts during the restore test`,
        ),
        check(
          "restore test succeeded, then freshness reported",
          t !== null &&
            t.executions.length === 2 &&
            t.executions.every((e) => e.status === "SUCCEEDED") &&
            r?.outcome === "succeeded",
          runs.join("; ") || "no restore-test execution",
        ),
        check(
          "restored once",
          t !== null && t.restores === 1,
          `${t?.restores ?? 0} restore(s) of the temporary instance`,
        ),
        check(
          "check query read the heartbeat rows as the monitor's role",
          r !== null && r.check !== null && r.check.rowCount >= 1 && r.check.newestHeartbeatAt !== null,
          r?.check
            ? `${r.check.rowCount} row(s) as ${r.check.user}, newest ${r.check.newestHeartbeatAt ?? "none"}`
            : "no check result",
        ),
        check(
          "figures measured",
          r !== null &&
            r.figures.restoreDurationSeconds !== null &&
            r.figures.dataAgeSeconds !== null &&
            r.figures.rowCount !== null,
          r === null
            ? "no report"
            : `restore ${r.figures.restoreDurationSeconds ?? "?"} s, data age ${r.figures.dataAgeSeconds ?? "?"} s, ` +
                `${r.figures.rowCount ?? "?"} row(s), restore point ${r.latestRestorableTime ?? "?"}`,
        ),
        check(
          "temporary instance torn down",
          t?.tornDown === true,
          t?.tornDownDetail ?? "the test did not run",
        ),
        check(
          "freshness counts from the new success",
          t?.ageHours !== null && t?.ageHours !== undefined && t.ageHours < 1,
          t?.ageHours === null || t?.ageHours === undefined
            ? "no freshness run"
            : `RestoreTestAgeHours ${t.ageHours}`,
        ),
      );
      break;
    }
    case "switchover":
      checks.push(promotedOnce, writerMoved, writesResumed, engineClean, workflowSucceeded);
      checks.push(
        check(
          "zero lost commits",
          f.lostCommits === 0,
          f.lostCommits === null ? "the promoted server could not be read" : `${f.lostCommits} lost`,
        ),
      );
      break;
  }
  return checks;
}
