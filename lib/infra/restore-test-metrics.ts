/**
 * The restore test's metrics as the stack reads them (alarms, dashboard): plain constants, no
 * Pulumi, so the pure dashboard module can import them. The step runner emits them by EMF
 * (namespace METRICS_NAMESPACE, dimension Environment=<suffix>, RESTORE_TEST_CONTRACT.md);
 * `lib/function-env.ts` lists them with the other metrics (runtime branch).
 */

/** Metric names of the restore test. */
export const RESTORE_TEST_METRICS = {
  /** 1 per successful test, 0 per failed one. */
  succeeded: "RestoreTestSucceeded",
  /** RestoreDBInstanceToPointInTime call → available: the measured regional-loss RTO of the restore. */
  durationSeconds: "RestoreTestDurationSeconds",
  /** Restore start − the newest heartbeat row in the restored copy. */
  dataAgeSeconds: "RestoreTestDataAgeSeconds",
  /** Hours since the newest successful test (freshness runs only). */
  ageHours: "RestoreTestAgeHours",
} as const;

/**
 * No successful test in 8 days: a weekly test may fail once and be run again before this fires.
 * Hours, because CloudWatch caps an alarm's range at 7 days (Period x EvaluationPeriods <=
 * 604800 s), so "no success in 8 days" cannot be counted by the alarm itself.
 */
export const RESTORE_TEST_STALE_HOURS = 192;
