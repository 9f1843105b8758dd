/**
 * The restore test's side of the step runner, wired to AWS: the temporary instance and the
 * replicated backups on RDS in the DR region, the reports in the DR report bucket, the metrics as
 * EMF through Powertools (namespace METRICS_NAMESPACE, dimension `Environment`). The entry module
 * builds it once at module scope; the simulator can build it with its own clients and clock.
 */
import type { AwsClients } from "../adapters/aws/clients";
import { RdsRestoreTestDatabase } from "../adapters/aws/rds-restore-test";
import { S3RestoreTestStore } from "../adapters/aws/s3-restore-test-store";
import { systemClock } from "../adapters/aws/system-clock";
import type { Clock } from "../core/ports";
import {
  DEFAULT_DELETE_TIMEOUT_SECONDS,
  DEFAULT_MAX_RESTORE_POINT_AGE_SECONDS,
  type RestoreTestContext,
  type RestoreTestMetrics,
} from "../core/restore-test";
import type { StepRunnerFullConfig } from "../failover/env";
import { flushMetrics, type HandlerMetrics } from "../telemetry";

/** `RestoreTestMetrics` over Powertools' `Metrics`: datapoints are stored until `flush`. */
export function powertoolsRestoreTestMetrics(
  metrics: HandlerMetrics,
): RestoreTestMetrics & { flush(): void } {
  return {
    record: (m) => metrics.addMetric(m.name, m.unit, m.value),
    flush: () => flushMetrics(metrics),
  };
}

/**
 * The restore test's context and its metrics flush, for `createStepRunnerHandler`'s `restoreTest`;
 * `undefined` when the environment does not configure the restore test.
 */
export function buildRestoreTestContext(
  config: StepRunnerFullConfig,
  clients: AwsClients,
  metrics: HandlerMetrics,
  clock: Clock = systemClock,
): (RestoreTestContext & { readonly flushMetrics: () => void }) | undefined {
  const test = config.restoreTest;
  if (test === null) return undefined;
  const sink = powertoolsRestoreTestMetrics(metrics);
  return {
    // The replicated backups and the temporary instance live in the DR region, beside this function.
    database: new RdsRestoreTestDatabase(
      {
        primaryInstanceId: config.primaryInstanceId,
        primaryRegion: config.primaryRegion,
        target: test.target,
        environmentSuffix: config.environmentSuffix,
      },
      clients.rds(config.controlRegion),
    ),
    store: new S3RestoreTestStore(config.reportBucket, clients.s3(config.controlRegion)),
    metrics: sink,
    clock,
    settings: {
      instanceId: test.target.instanceId,
      restoreTimeoutSeconds: test.restoreTimeoutMinutes * 60,
      deleteTimeoutSeconds: DEFAULT_DELETE_TIMEOUT_SECONDS,
      maxRestorePointAgeSeconds: DEFAULT_MAX_RESTORE_POINT_AGE_SECONDS,
    },
    flushMetrics: sink.flush,
  };
}
