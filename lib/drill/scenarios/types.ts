import type { Clock } from "../../lambda/core/ports";
import type { LagReading } from "../../lambda/core/types";
import type { RestoreTestInput, RestoreTestReport } from "../../lambda/core/restore-test";
import type { LocalWorkflow } from "../../workflow/local";
import type { DrillOptions } from "../args";
import type { LocalCluster } from "../cluster";
import type { LocalDatabaseControl } from "../local-control";
import type { MonitorLoop } from "../monitor-loop";
import type { EvaluationRecord, ScenarioCheck, ScenarioFigures } from "../report";
import type { ExecutionRecord } from "../workflow";

/** How often the drill looks again while it waits for something (ms). */
export const POLL_MS = 25;

/**
 * What the runner waits for once the fault is in:
 * - `promotion`: `writer` moved to the promoted replica and took a write (or the workflow failed);
 * - `restore`: `writer` moved to the instance restored from the DR backups and took a write (or the
 *   workflow failed). The primary archives its WAL, and the deadline has one history period more;
 * - `restore-test`: the restore-test execution closed, then the freshness run after it. The primary
 *   archives its WAL, and the deadline has one history period more;
 * - `observe`: nothing must happen; the engine is watched for `--observe` seconds.
 */
export type ScenarioOutcome = "promotion" | "restore" | "restore-test" | "observe";

/** What a scenario's `inject` and `clear` act on: the running cluster and the engine around it. */
export interface ScenarioContext {
  readonly cluster: LocalCluster;
  readonly control: LocalDatabaseControl;
  readonly monitor: MonitorLoop;
  /** The run's options; `options.policy` is the validated policy the monitor runs with. */
  readonly options: DrillOptions;
  readonly clock: Clock;
  /** Adds an event, dated now, to the scenario's timeline. */
  event(event: string, detail: string): void;
  /**
   * Marks the fault: its moment is the scenario's time zero, the timeline's `fault-injected` event
   * and a progress line. Called once, right before the fault is applied.
   */
  fault(detail: string): void;
  /** The newest healthy lag reading in the monitor's history, read as the failover function reads it. */
  lastHealthyLag(): Promise<LagReading | null>;
  /** The restore-test workflow; `null` unless the scenario's outcome is `restore-test`. */
  readonly restoreTest: LocalWorkflow<RestoreTestInput> | null;
}

/**
 * One drill scenario: the fault, what must come of it, and the checks that say whether it did.
 * One file per scenario under `lib/drill/scenarios/`, listed in the registry (`index.ts`).
 */
export interface DrillScenario<Name extends string = string> {
  /** The `--scenario` name, also the file's name. */
  readonly name: Name;
  readonly description: string;
  /** What must happen, in one sentence. */
  readonly expectation: string;
  /** What the runner waits for after the fault (and how it sets the cluster up for it). */
  readonly outcome: ScenarioOutcome;
  /**
   * True when the lag guard blocks the failover and the drill plays the operator who approves it,
   * accepting the data loss (`send-task-success` with the approval's task token).
   */
  readonly approval: boolean;
  /**
   * True when the recovery targets (detection, RTO, orchestration) apply: an automatic failover.
   * False when something else paces the failover: a planned switchover waits for the catch-up, an
   * approved failover for a person.
   */
  readonly targets: boolean;
  /**
   * What an operator or a schedule requests instead of a fault ("switchover requested"), for a
   * scenario nothing fails in: the chart's label for its start; detection does not apply.
   * Absent for a fault.
   */
  readonly requested?: string;
  /**
   * Applies the fault, calling `ctx.fault(detail)` right before it (a wait that must come before
   * the fault, such as letting the lag build up, happens first). A transient fault (a freeze)
   * is over when this resolves.
   */
  inject(ctx: ScenarioContext): Promise<void>;
  /** Undoes a lasting fault once the outcome has been observed; nothing to undo when absent. */
  clear?(ctx: ScenarioContext): Promise<void>;
  /** The pass/fail checks of the outcome: at least one. Pure; each check says what it saw. */
  checks(facts: ScenarioFacts): ScenarioCheck[];
}

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
