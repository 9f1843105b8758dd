/**
 * Lambda entry point of the snapshot-export function (`index.handler`), run daily by EventBridge.
 * Configuration, logger, metrics and the RDS client are built once per execution environment, at
 * module scope. The function has no VPC: it only calls the RDS API of the writer's region.
 */
import { RDSClient } from "@aws-sdk/client-rds";
import { awsClientConfig } from "../adapters/aws/clients";
import { RdsSnapshotExports } from "../adapters/aws/rds-snapshot-exports";
import { systemClock } from "../adapters/aws/system-clock";
import { createLogger, createMetrics } from "../telemetry";
import { readExportConfig } from "./env";
import { createExportHandler } from "./handler";

const config = readExportConfig(process.env);
const logger = createLogger("snapshot-export", config.environmentSuffix);
const metrics = createMetrics(config.metricsNamespace, "snapshot-export", config.environmentSuffix);
// Snapshots and export tasks are regional: the client calls the writer's region, wherever the
// function itself runs.
const rds = new RDSClient(awsClientConfig(config.writerRegion));

/** The function's handler. */
export const handler = createExportHandler({
  config,
  control: new RdsSnapshotExports(rds),
  clock: systemClock,
  logger,
  metrics,
});
