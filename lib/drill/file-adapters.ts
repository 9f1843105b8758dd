import { promises as fs } from "node:fs";
import * as path from "node:path";

import { NotificationError, ReportStoreError } from "../lambda/core/errors";
import type { FailoverReport, Notification, Notifier, ReportStore } from "../lambda/core/ports";

/** A notification as the drill stores it: the message plus when it was sent. */
export interface StoredNotification extends Notification {
  readonly atMs: number;
}

/**
 * The drill's `Notifier`: appends each notification as one JSON line to
 * `<folder>/notifications.jsonl` (the run's stand-in for the SNS topic) and keeps it in
 * memory for the report.
 */
export class FileNotifier implements Notifier {
  readonly file: string;
  private readonly sent: StoredNotification[] = [];
  private readonly listeners: ((n: StoredNotification) => void)[] = [];

  constructor(
    folder: string,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.file = path.join(folder, "notifications.jsonl");
  }

  async notify(notification: Notification): Promise<void> {
    const stored: StoredNotification = { atMs: this.nowMs(), ...notification };
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await fs.appendFile(this.file, `${JSON.stringify(stored)}\n`, "utf8");
    } catch (cause) {
      throw new NotificationError(`could not append notification "${notification.event}" to ${this.file}`, {
        cause,
      });
    }
    this.sent.push(stored);
    for (const listener of this.listeners) listener(stored);
  }

  /** Everything sent so far, oldest first. */
  notifications(): readonly StoredNotification[] {
    return [...this.sent];
  }

  /** Calls `listener` after each notification (the runner puts it on the timeline). */
  onNotify(listener: (n: StoredNotification) => void): void {
    this.listeners.push(listener);
  }
}

/**
 * The drill's `ReportStore`: `<folder>/reports/<kind>/<id>.json`, the same object layout
 * the S3 adapter uses in the DR bucket.
 */
export class FileReportStore implements ReportStore {
  constructor(private readonly folder: string) {}

  /** Where a report with this kind and id lives. */
  pathOf(kind: FailoverReport["kind"], id: string): string {
    // The id becomes a file name: refuse anything that could escape the reports folder.
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id.startsWith(".")) {
      throw new ReportStoreError(
        `report id "${id}" is not a safe file name; use letters, digits, ".", "_" and "-" only`,
      );
    }
    return path.join(this.folder, "reports", kind, `${id}.json`);
  }

  async put(report: FailoverReport): Promise<string> {
    const file = this.pathOf(report.kind, report.id);
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      // Write then rename, so a crash mid-write never leaves a half report that `exists` would accept.
      const partial = `${file}.partial`;
      await fs.writeFile(partial, `${JSON.stringify(report, null, 2)}\n`, "utf8");
      await fs.rename(partial, file);
    } catch (cause) {
      throw new ReportStoreError(`could not write report ${report.kind}/${report.id} to ${file}`, { cause });
    }
    return file;
  }

  async exists(kind: FailoverReport["kind"], id: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(kind, id));
      return true;
    } catch (error) {
      if (error instanceof ReportStoreError) throw error;
      return false;
    }
  }

  /** Reads a stored report back (used by the drill summary and the tests). */
  async read(kind: FailoverReport["kind"], id: string): Promise<FailoverReport> {
    const file = this.pathOf(kind, id);
    try {
      return JSON.parse(await fs.readFile(file, "utf8")) as FailoverReport;
    } catch (cause) {
      throw new ReportStoreError(`could not read report ${kind}/${id} from ${file}`, { cause });
    }
  }
}
