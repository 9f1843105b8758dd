/**
 * The drill's side of the restore test: the temporary instance is a real PostgreSQL point-in-time
 * recovery of the live primary's base backup and archived WAL (`LocalCluster.restoreLatest`, the
 * analogue of `RestoreDBInstanceToPointInTime` from the replicated backups), torn down with
 * `LocalCluster.removeRestored`; reports go to files, metrics to memory. The primary and the
 * replica keep running: the restore only reads the archive.
 *
 * Statuses follow RDS's: `creating` while the recovery runs, `available` once it takes writes,
 * `failed` when it did not come up, `deleting` while it is torn down, then not found.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";

import { ReportStoreError } from "../lambda/core/errors";
import type { Clock } from "../lambda/core/ports";
import {
  NO_TEST_INSTANCE,
  type DeleteOutcome,
  type RestoreTestDatabase,
  type RestoreTestMetric,
  type RestoreTestMetrics,
  type RestoreTestReport,
  type RestoreTestStore,
  type TestInstanceView,
} from "../lambda/core/restore-test";
import type { BackupsView } from "../lambda/core/types";
import type { PgNode } from "./cluster";
import { localBackupsView, type PitrSource } from "./local-recovery";

/** What the restore test needs of the local cluster. */
export interface RestoreTestSource extends PitrSource {
  /** Stops and removes the restored node. */
  removeRestored(): Promise<void>;
}

/** What became of the temporary instance, for the drill's figures and checks. */
export interface LocalRestoreTestRecord {
  readonly restores: number;
  readonly restoreCalledAtMs: number | null;
  readonly availableAtMs: number | null;
  readonly removedAtMs: number | null;
  /** The restored node's endpoint while it ran. */
  readonly endpoint: string | null;
}

/** The temporary instance as a PostgreSQL point-in-time recovery beside the live cluster. */
export class LocalRestoreTestDatabase implements RestoreTestDatabase {
  private node: PgNode | null = null;
  private phase: "none" | "creating" | "available" | "failed" | "deleting" = "none";
  private execution: string | null = null;
  private restorePointMs: number | null = null;
  private failure: string | null = null;
  private removal: Promise<void> | null = null;
  private record: LocalRestoreTestRecord = {
    restores: 0,
    restoreCalledAtMs: null,
    availableAtMs: null,
    removedAtMs: null,
    endpoint: null,
  };

  constructor(
    private readonly source: RestoreTestSource,
    private readonly clock: Clock,
    private readonly options: { readonly retentionDays: number; readonly restoreTimeoutMs: number },
  ) {}

  restoreRecord(): LocalRestoreTestRecord {
    return this.record;
  }

  /** The restored node while it runs (for the drill's checks). */
  restoredNode(): PgNode | null {
    return this.node;
  }

  async backups(): Promise<BackupsView> {
    return localBackupsView(this.source, this.options.retentionDays);
  }

  async describeTest(): Promise<TestInstanceView> {
    if (this.phase === "none") {
      return NO_TEST_INSTANCE;
    }
    const up = this.phase === "available" && this.node !== null;
    return {
      found: true,
      rawStatus: this.phase,
      endpoint: up ? this.node!.host : null,
      port: up ? this.node!.port : null,
      restoreTest: true,
      execution: this.execution,
      restorePointMs: this.restorePointMs,
      createdAtMs: this.record.restoreCalledAtMs,
    };
  }

  async restoreTest(backups: Extract<BackupsView, { kind: "available" }>, execution: string): Promise<void> {
    if (this.phase !== "none") return;
    this.phase = "creating";
    this.execution = execution;
    this.restorePointMs = backups.latestRestorableTimeMs;
    this.failure = null;
    this.record = {
      ...this.record,
      restores: this.record.restores + 1,
      restoreCalledAtMs: this.clock.nowMs(),
      availableAtMs: null,
      removedAtMs: null,
    };
    // Asynchronous, as RestoreDBInstanceToPointInTime is: the workflow polls describeTest.
    void this.source.restoreLatest(this.options.restoreTimeoutMs).then(
      (node) => {
        this.node = node;
        this.phase = "available";
        this.record = {
          ...this.record,
          availableAtMs: this.clock.nowMs(),
          endpoint: `${node.host}:${node.port}`,
        };
      },
      (error: unknown) => {
        this.failure = error instanceof Error ? error.message : String(error);
        this.phase = "failed";
      },
    );
  }

  /** The recovery's error, when it failed. */
  failureDetail(): string | null {
    return this.failure;
  }

  async deleteTest(): Promise<DeleteOutcome> {
    if (this.phase === "none") return "gone";
    // A running recovery cannot be stopped halfway (RDS refuses a delete it cannot take yet, too).
    if (this.phase === "creating" || this.phase === "deleting") return "busy";
    this.phase = "deleting";
    this.removal = this.source.removeRestored().then(
      () => {
        this.node = null;
        this.phase = "none";
        this.record = { ...this.record, removedAtMs: this.clock.nowMs() };
      },
      (error: unknown) => {
        this.failure = `removing the restored node failed: ${error instanceof Error ? error.message : String(error)}`;
        this.phase = "failed";
      },
    );
    return "requested";
  }

  /** Resolves once a requested removal finished (for the drill's teardown). */
  async settled(): Promise<void> {
    await this.removal;
  }
}

/**
 * The drill's `RestoreTestStore`: the S3 layout under `<folder>/restore-tests/`, with the
 * conditional write of `first-seen.json` done by an exclusive create (`wx`).
 */
export class FileRestoreTestStore implements RestoreTestStore {
  private readonly dir: string;

  constructor(folder: string) {
    this.dir = path.join(folder, "restore-tests");
  }

  async putReport(report: RestoreTestReport): Promise<string> {
    const day = (report.startedAt ?? report.finishedAt).slice(0, 10);
    return this.write(path.join(this.dir, day, `${report.id}.json`), report);
  }

  async latestSuccess(): Promise<RestoreTestReport | null> {
    const file = path.join(this.dir, "latest-success.json");
    try {
      return JSON.parse(await fs.readFile(file, "utf8")) as RestoreTestReport;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new ReportStoreError(`could not read ${file}`, { cause: error });
    }
  }

  async putLatestSuccess(report: RestoreTestReport): Promise<string> {
    return this.write(path.join(this.dir, "latest-success.json"), report);
  }

  async firstSeen(nowMs: number): Promise<{ atMs: number; created: boolean }> {
    const file = path.join(this.dir, "first-seen.json");
    await fs.mkdir(this.dir, { recursive: true });
    try {
      await fs.writeFile(file, `${JSON.stringify({ firstSeenAt: new Date(nowMs).toISOString() })}\n`, {
        flag: "wx",
      });
      return { atMs: nowMs, created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new ReportStoreError(`could not write ${file}`, { cause: error });
      }
    }
    const stored = JSON.parse(await fs.readFile(file, "utf8")) as { firstSeenAt: string };
    return { atMs: Date.parse(stored.firstSeenAt), created: false };
  }

  private async write(file: string, body: unknown): Promise<string> {
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, `${JSON.stringify(body, null, 2)}\n`, "utf8");
    } catch (error) {
      throw new ReportStoreError(`could not write ${file}`, { cause: error });
    }
    return file;
  }
}

/** The drill's metrics: kept in memory for the report. */
export class RecordingRestoreTestMetrics implements RestoreTestMetrics {
  readonly recorded: RestoreTestMetric[] = [];
  record(metric: RestoreTestMetric): void {
    this.recorded.push(metric);
  }
}
