/**
 * Lambda entry point of the step-runner function (`index.handler`): the failover workflow's tasks
 * and the restore test's RDS/S3 steps.
 * It reads and acts through the failover function's ports (`buildFailoverPorts`: RDS, EC2,
 * Route 53, SNS, S3, the health-monitor's WAL positions), built once per execution environment;
 * its role (`iam-step-runner`) holds the failover's reads plus the actions the steps take.
 */
import { AwsClients } from "../adapters/aws/clients";
import { buildFailoverPorts } from "../failover/ports";
import { readStepRunnerConfig } from "../failover/env";
import { createLogger, createMetrics } from "../telemetry";
import { createStepRunnerHandler } from "./handler";
import { buildRestoreTestContext } from "./restore-test";

const config = readStepRunnerConfig(process.env);
const clients = new AwsClients();
const metrics = createMetrics(config.metricsNamespace, "step-runner", config.environmentSuffix);

/** The restore test's part, when the environment configures it. */
function restoreTestDeps() {
  const restoreTest = buildRestoreTestContext(config, clients, metrics);
  return restoreTest === undefined ? {} : { restoreTest };
}

/** The function's handler. */
export const handler = createStepRunnerHandler({
  cluster: { primaryInstanceId: config.primaryInstanceId, replicaInstanceId: config.replicaInstanceId },
  policy: config.policy,
  region: config.controlRegion,
  ports: buildFailoverPorts(config, clients),
  logger: createLogger("step-runner", config.environmentSuffix),
  ...restoreTestDeps(),
});
