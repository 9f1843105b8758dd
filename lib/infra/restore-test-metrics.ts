/**
 * The restore test's alarm limit as the stack reads it (alarm, dashboard): a plain constant, no
 * Pulumi, so the pure dashboard module can import it. The metric names are in
 * `lib/function-env.ts` (`RESTORE_TEST_METRICS`), which the step runner emits them by.
 */

/**
 * No successful test in 8 days: a weekly test may fail once and be run again before this fires.
 * Hours, because CloudWatch caps an alarm's range at 7 days (Period x EvaluationPeriods <=
 * 604800 s), so "no success in 8 days" cannot be counted by the alarm itself.
 */
export const RESTORE_TEST_STALE_HOURS = 192;
