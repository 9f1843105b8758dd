/**
 * Lambda entry point of the failover function (`index.handler`). Everything slow or shared is
 * built once per execution environment, at module scope: configuration, logger, metrics, AWS
 * clients and the ports. A bad environment fails the cold start with a `ConfigurationError`
 * that names every bad variable.
 *
 * The function has no VPC and never reaches the database. It reads the state (RDS, Route 53,
 * CloudWatch, S3), decides, alerts, and starts the failover workflow (Step Functions), which acts
 * through the step-runner function.
 */
import { AwsClients } from "../adapters/aws/clients";
import { SfnWorkflow } from "../adapters/aws/sfn-workflow";
import { createLogger, createMetrics } from "../telemetry";
import { readFailoverConfig } from "./env";
import { createFailoverHandler } from "./handler";
import { buildFailoverPorts } from "./ports";

const config = readFailoverConfig(process.env);
const logger = createLogger("failover", config.environmentSuffix);
const metrics = createMetrics(config.metricsNamespace, "failover", config.environmentSuffix);
const clients = new AwsClients();

/** The function's handler. */
export const handler = createFailoverHandler({
  config,
  ports: buildFailoverPorts(config, clients),
  workflow: new SfnWorkflow(config.stateMachineArn, clients.sfn(config.controlRegion)),
  logger,
  metrics,
});
