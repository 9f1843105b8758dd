/**
 * In-memory worlds for the restore test: an RDS-like temporary instance (its status moves as RDS
 * moves it, on the injected clock: `creating` → `backing-up` → `available`, `deleting` → gone), a
 * report store and a metrics sink.
 */
import {
  NO_TEST_INSTANCE,
  type DeleteOutcome,
  type RestoreTestDatabase,
  type RestoreTestMetric,
  type RestoreTestMetrics,
  type RestoreTestReport,
  type RestoreTestStore,
  type TestInstanceView,
} from "../../lib/lambda/core/restore-test";
import type { BackupsView } from "../../lib/lambda/core/types";

export interface FakeInstance {
  status: string;
  execution: string | null;
  restoreTest: boolean;
  createdAtMs: number;
  restorePointMs: number | null;
  /** When it becomes `available` (or `finalStatus`). */
  readyAtMs: number;
  /** Set by a delete: when it is gone. */
  goneAtMs: number | null;
}

export class FakeRestoreTestDatabase implements RestoreTestDatabase {
  instance: FakeInstance | null = null;
  /** What `backups()` answers; `null`: available, restorable to `restorePointLagMs` before now. */
  backupsView: BackupsView | null = null;
  readonly calls: string[] = [];
  /** Restore → available, ms. */
  restoreMs = 30 * 60_000;
  /** Delete → gone, ms. */
  deleteMs = 5 * 60_000;
  /** The status the restore ends in (`available`, or e.g. `incompatible-restore`). */
  finalStatus = "available";
  /** RDS refuses a delete while the instance is still being created. */
  refuseDeleteWhileCreating = true;

  constructor(
    private readonly nowMs: () => number,
    /** How far the latest restorable time trails the clock (logs ship every 5 minutes). */
    public restorePointLagMs: number,
  ) {}

  private tick(): void {
    const i = this.instance;
    if (i === null) return;
    const now = this.nowMs();
    if (i.goneAtMs !== null && now >= i.goneAtMs) this.instance = null;
    else if (i.goneAtMs === null && i.status === "creating" && now >= i.readyAtMs)
      i.status = this.finalStatus;
  }

  async backups(): Promise<BackupsView> {
    this.calls.push("backups");
    return (
      this.backupsView ?? {
        kind: "available",
        arn: "arn:aws:rds:ap-southeast-1:123456789012:auto-backup:ab-test",
        latestRestorableTimeMs: this.nowMs() - this.restorePointLagMs,
        earliestRestorableTimeMs: null,
        retentionDays: 7,
      }
    );
  }

  async describeTest(): Promise<TestInstanceView> {
    this.tick();
    this.calls.push("describe");
    const i = this.instance;
    if (i === null) {
      return NO_TEST_INSTANCE;
    }
    return {
      found: true,
      rawStatus: i.status,
      endpoint: i.status === "creating" ? null : "rds-restore-test-dev.abc.ap-southeast-1.rds.amazonaws.com",
      port: i.status === "creating" ? null : 5432,
      restoreTest: i.restoreTest,
      execution: i.execution,
      restorePointMs: i.restorePointMs,
      createdAtMs: i.createdAtMs,
    };
  }

  async restoreTest(backups: Extract<BackupsView, { kind: "available" }>, execution: string): Promise<void> {
    this.tick();
    this.calls.push(`restore:${execution}`);
    if (this.instance !== null) return;
    const now = this.nowMs();
    this.instance = {
      status: "creating",
      execution,
      restoreTest: true,
      createdAtMs: now,
      restorePointMs: backups.latestRestorableTimeMs,
      readyAtMs: now + this.restoreMs,
      goneAtMs: null,
    };
  }

  async deleteTest(): Promise<DeleteOutcome> {
    this.tick();
    this.calls.push("delete");
    const i = this.instance;
    if (i === null) return "gone";
    if (i.status === "deleting" || (this.refuseDeleteWhileCreating && i.status === "creating")) return "busy";
    i.status = "deleting";
    i.goneAtMs = this.nowMs() + this.deleteMs;
    return "requested";
  }
}

export class MemoryRestoreTestStore implements RestoreTestStore {
  readonly reports: RestoreTestReport[] = [];
  latest: RestoreTestReport | null = null;
  firstSeenAtMs: number | null = null;

  async putReport(report: RestoreTestReport): Promise<string> {
    this.reports.push(report);
    return `memory://restore-tests/${report.id}.json`;
  }
  async latestSuccess(): Promise<RestoreTestReport | null> {
    return this.latest;
  }
  async putLatestSuccess(report: RestoreTestReport): Promise<string> {
    this.latest = report;
    return "memory://restore-tests/latest-success.json";
  }
  async firstSeen(nowMs: number): Promise<{ atMs: number; created: boolean }> {
    if (this.firstSeenAtMs !== null) return { atMs: this.firstSeenAtMs, created: false };
    this.firstSeenAtMs = nowMs;
    return { atMs: nowMs, created: true };
  }
}

export class MemoryRestoreTestMetrics implements RestoreTestMetrics {
  readonly recorded: RestoreTestMetric[] = [];
  record(metric: RestoreTestMetric): void {
    this.recorded.push(metric);
  }
}
