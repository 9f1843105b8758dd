/**
 * The simulator's side of the restore test: the PostgreSQL answer of a restored instance to the
 * restore-check function's query (the `SqlClient` that `readRestoreCheck` reads, the lowest port of
 * the real handler below `pg` itself), the restore-test metrics as the step runner's EMF output
 * carried them, and what happened to each temporary instance (the invariants' evidence).
 */
import type { SqlClient } from "../lambda/adapters/postgres";
import { READ_RESTORE_CHECK_SQL } from "../lambda/adapters/postgres/heartbeat";
import type { SimInstance } from "./database";

/** One temporary instance under the restore test's identifier, from its restore to its end. */
export interface TestInstanceRecord {
  readonly id: string;
  readonly endpoint: string;
  /** `tap:restore-test`: the execution that restored it. */
  readonly execution: string | null;
  readonly createdAtMs: number;
  /** When RDS showed it `available`, once it did. */
  availableAtMs: number | null;
  /** When RDS accepted its DeleteDBInstance, and which execution's step runner sent it. */
  deleteRequestedAtMs: number | null;
  deletedBy: string | null;
  /** When it was gone from DescribeDBInstances. */
  goneAtMs: number | null;
}

/** One restore-test datapoint the step runner published (EMF), as CloudWatch received it. */
export interface RestoreTestMetric {
  readonly atMs: number;
  readonly name: string;
  readonly value: number;
}

/**
 * The metrics of one EMF document (`_aws.CloudWatchMetrics[].Metrics[].Name`, values at the top
 * level); nothing for a line that is not one.
 */
export function emfDatapoints(line: string, atMs: number): RestoreTestMetric[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return [];
  }
  const directives =
    (doc._aws as { CloudWatchMetrics?: { Metrics?: { Name?: string }[] }[] } | undefined)
      ?.CloudWatchMetrics ?? [];
  const out: RestoreTestMetric[] = [];
  for (const directive of directives) {
    for (const metric of directive.Metrics ?? []) {
      const name = String(metric.Name);
      const raw = doc[name];
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (typeof value === "number") out.push({ atMs, name, value });
      }
    }
  }
  return out;
}

/**
 * PostgreSQL on a restored instance, as the monitor's role sees it: the heartbeat table holds the
 * primary's heartbeat rows up to the restore point (a point-in-time restore recovers the data up
 * to it, reference §1.6). Only the check query is answered; anything else is a model gap.
 */
export function restoredDatabase(instance: SimInstance, primary: SimInstance): SqlClient {
  return {
    query: (text: string) => {
      if (text !== READ_RESTORE_CHECK_SQL)
        return Promise.reject(new Error(`the simulator answers only the restore check query, not: ${text}`));
      const upTo = instance.restoredFromMs ?? -Infinity;
      const rows = primary.heartbeats.filter((ms) => ms <= upTo);
      return Promise.resolve({
        rows: [{ row_count: rows.length, newest_ms: rows.length === 0 ? null : Math.max(...rows) }],
      });
    },
  };
}
