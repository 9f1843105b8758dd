/**
 * Lambda entry point of the failover function (`index.handler`). Everything slow or shared is
 * built once per execution environment, at module scope: configuration, logger, metrics, AWS
 * clients and the ports. A bad environment fails the cold start with a `ConfigurationError`
 * that names every bad variable.
 *
 * The function has no VPC: it reaches the RDS, EC2, Route 53, SNS, S3, CloudWatch and Lambda APIs
 * (the health-monitor reads the WAL positions for a switchover), and never the database itself.
 */
import { AwsClients } from "../adapters/aws/clients";
import { createLogger, createMetrics } from "../telemetry";
import { readFailoverConfig } from "./env";
import { createFailoverHandler } from "./handler";
import { buildFailoverPorts } from "./ports";

const config = readFailoverConfig(process.env);
const logger = createLogger("failover", config.environmentSuffix);
const metrics = createMetrics(config.metricsNamespace, "failover", config.environmentSuffix);

/** The function's handler. */
export const handler = createFailoverHandler({
  config,
  ports: buildFailoverPorts(config, new AwsClients()),
  logger,
  metrics,
});
