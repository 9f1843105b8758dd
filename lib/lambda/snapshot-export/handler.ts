/**
 * The snapshot-export function's handler, as a thin adapter: event → parse → observe (snapshots,
 * export tasks) → metrics → plan → start → result. Built by {@link createExportHandler} so tests can
 * pass fakes; `index.ts` wires the real dependencies at module scope.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { METRICS } from "../../function-env";
import type { Clock } from "../core/ports";
import {
  exportHealth,
  newestAutomatedSnapshot,
  planExport,
  type ExportTrigger,
  type SnapshotExportControl,
} from "../core/snapshot-export";
import { flushMetrics, type HandlerLogger, type HandlerMetrics } from "../telemetry";
import type { ExportConfig } from "./env";
import { parseExportEvent } from "./events";

/** What the handler is built from. */
export interface ExportHandlerDeps {
  readonly config: ExportConfig;
  readonly control: SnapshotExportControl;
  readonly clock: Pick<Clock, "nowMs">;
  readonly logger: HandlerLogger;
  readonly metrics: HandlerMetrics;
}

/** What one run did, returned to the caller (`aws lambda invoke` prints it) and logged. */
export interface ExportRunResult {
  readonly trigger: ExportTrigger;
  readonly requestedBy: string;
  readonly writerInstanceId: string;
  /** The newest automated snapshot of the writer, when there is one. */
  readonly snapshotId: string | null;
  readonly action: "started" | "skipped" | "already-exists";
  readonly reason: string;
  readonly taskId: string | null;
  /** `s3://<bucket>/<prefix>/` the export writes to (RDS adds `<task id>/…` below it). */
  readonly destination: string | null;
  readonly failedExportsInWindow: number;
  readonly hoursSinceLastSuccessfulExport: number | null;
}

/** Builds the handler Lambda calls. */
export function createExportHandler(
  deps: ExportHandlerDeps,
): (event: unknown, context?: Partial<Context>) => Promise<ExportRunResult> {
  const { config, control, logger, metrics } = deps;

  return async function handler(event, context) {
    if (context?.awsRequestId !== undefined) logger.addContext(context as Context);
    try {
      const request = parseExportEvent(event);
      logger.appendKeys({ trigger: request.trigger, requestedBy: request.requestedBy });
      const nowMs = deps.clock.nowMs();

      // Observe first, so the health metrics are emitted even when starting the export fails.
      const snapshots = await control.automatedSnapshots(config.writerInstanceId);
      const tasksInBucket = await control.exportTasksIn(config.exportBucket);
      const health = exportHealth(tasksInBucket, snapshots, nowMs);
      // Always a value, 0 included: an alarm on a metric that is only written on failure has no data
      // on good days and cannot tell "fine" from "not running".
      metrics.addMetric(METRICS.snapshotExportFailed, MetricUnit.Count, health.failedInWindow);
      if (health.hoursSinceLastSuccessfulExport !== null) {
        metrics.addMetric(
          METRICS.hoursSinceLastSuccessfulExport,
          MetricUnit.NoUnit,
          health.hoursSinceLastSuccessfulExport,
        );
      }
      if (health.failedInWindow > 0) {
        logger.warn("Snapshot exports failed recently", { failedTaskIds: health.failedTaskIds });
      }

      const snapshot = newestAutomatedSnapshot(snapshots, config.writerInstanceId);
      const tasksOfSnapshot = snapshot === null ? [] : await control.exportTasksOf(snapshot.arn);
      const plan = planExport(request.trigger, config.writerInstanceId, snapshot, tasksOfSnapshot);
      const base = {
        trigger: request.trigger,
        requestedBy: request.requestedBy,
        writerInstanceId: config.writerInstanceId,
        snapshotId: snapshot?.id ?? null,
        failedExportsInWindow: health.failedInWindow,
        hoursSinceLastSuccessfulExport: health.hoursSinceLastSuccessfulExport,
      };
      if (plan.kind === "skip") {
        logger.info("No export started", { reason: plan.reason });
        return { ...base, action: "skipped", reason: plan.reason, taskId: null, destination: null };
      }

      const destination = `s3://${config.exportBucket}/${plan.prefix}/`;
      const outcome = await control.startExport({
        taskId: plan.taskId,
        sourceArn: plan.snapshot.arn,
        bucket: config.exportBucket,
        prefix: plan.prefix,
        roleArn: config.exportRoleArn,
        kmsKeyArn: config.exportKmsKeyArn,
      });
      if (outcome.kind === "already-exists") {
        const reason = `Export task ${plan.taskId} exists already (${outcome.detail}): nothing new was started.`;
        logger.info("Export task exists already", { taskId: plan.taskId, detail: outcome.detail });
        return { ...base, action: "already-exists", reason, taskId: plan.taskId, destination };
      }
      logger.info("Export started", {
        reason: plan.reason,
        taskId: outcome.task.taskId,
        status: outcome.task.status,
        destination,
      });
      return { ...base, action: "started", reason: plan.reason, taskId: outcome.task.taskId, destination };
    } catch (error) {
      logger.error("Invocation failed", { error: error as Error });
      throw error;
    } finally {
      flushMetrics(metrics);
    }
  };
}
