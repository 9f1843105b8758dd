/**
 * The failover policy: defaults and validation. Pure: no AWS SDK, no Pulumi, no I/O.
 */
import { ConfigurationError } from "./errors";
import { REGIONAL_RESTORE_MODES, type FailoverPolicy } from "./types";

/**
 * The production defaults, chosen with the simulator (`npm run simulate -- --matrix --policy …`):
 * 7 probes 8 s apart with a 3 s timeout each, fail over after 3 consecutive failures. That is the
 * shortest cadence tried that keeps every invariant of the 305-timeline matrix (no promotion on a
 * blip shorter than the 24 s detection window, a maintenance reboot, a partition, throttling or
 * storage-full) and confirms a loss 20–25 s after the fault when RDS reports it at once (the old
 * 4 × 15 s gave 34–47 s; 6 × 10 s gave 24–32 s). Never when the replica was more than 60 s behind
 * before the failure; a lag reading more than 5 minutes older than the failure counts as unknown.
 * RDS's own metrics silent for 3 minutes, or 3 minutes of failed connections to the primary
 * region's APIs, count as the second signal next to RDS's reported status.
 */
export const DEFAULT_POLICY: FailoverPolicy = Object.freeze({
  probesPerRun: 7,
  probeIntervalSeconds: 8,
  probeTimeoutSeconds: 3,
  consecutiveFailuresToFailover: 3,
  maxReplicationLagSeconds: 60,
  acceptDataLoss: false,
  maxLagReadingAgeSeconds: 300,
  rdsMetricsSilentMinutes: 3,
  apiOutageMinutes: 3,
  regionalRestore: "auto",
  restoreConfirmationMinutes: 10,
});

/**
 * The monitor is scheduled once a minute (EventBridge `rate(1 minute)`); a run that lasts
 * longer overlaps the next one, and two runs probing at once double the load on a primary
 * that may already be struggling.
 */
export const MONITOR_SCHEDULE_SECONDS = 60;

/** The numeric fields of the policy (every field but the `acceptDataLoss` switch and the restore mode). */
export type NumericPolicyField = Exclude<keyof FailoverPolicy, "acceptDataLoss" | "regionalRestore">;

/** The accepted values of one numeric policy field: `min` to `max` inclusive, whole numbers when `integer`. */
export interface PolicyRange {
  readonly min: number;
  readonly max: number;
  readonly integer: boolean;
}

/**
 * The one range of every numeric policy field, for every place that takes one (stack config, the
 * functions' environment, the policy pack, the drill, the simulator): {@link policyProblems} checks
 * exactly these, so nothing else may keep its own copy.
 */
export const POLICY_RANGES: Readonly<Record<NumericPolicyField, PolicyRange>> = Object.freeze({
  probesPerRun: { min: 1, max: 20, integer: true },
  probeIntervalSeconds: { min: 1, max: MONITOR_SCHEDULE_SECONDS, integer: true },
  // A fraction is allowed: the local drill probes every second, which needs a sub-second timeout.
  probeTimeoutSeconds: { min: 0.1, max: 30, integer: false },
  // One failed probe is a blip: a failover on a single probe would fire on every packet loss.
  consecutiveFailuresToFailover: { min: 2, max: 20, integer: true },
  // The same value is the replica-lag alarm's threshold, which must fire at most at the 60 s RPO
  // guard the mandatory policy demands, so a stack config the policy pack would reject is refused by
  // config validation first. 0 (any lag blocks) is a sound guard; the stack config also needs it
  // above 0 because an alarm at "> 0" fires on any lag.
  maxReplicationLagSeconds: { min: 0, max: 60, integer: true },
  maxLagReadingAgeSeconds: { min: 60, max: 86_400, integer: true },
  // The newest 1–2 minutes of a healthy instance's metrics may not be queryable yet, so fewer
  // than 3 silent minutes would read ingestion delay as a dead host.
  rdsMetricsSilentMinutes: { min: 3, max: 60, integer: true },
  // One minute of failed connections is a blip; the SDK already retried inside each call.
  apiOutageMinutes: { min: 2, max: 60, integer: true },
  // A fraction is allowed for the local drill, whose regional loss is confirmed in seconds; the
  // stack's default is 10 minutes (the replicated logs trail by up to 5, reference §1.6). 2 hours is
  // already most of a restore's own duration.
  restoreConfirmationMinutes: { min: 0.1, max: 120, integer: false },
});

/** The lag limit's range ({@link POLICY_RANGES}`.maxReplicationLagSeconds`), named for its many readers. */
export const MAX_REPLICATION_LAG_RANGE: PolicyRange = POLICY_RANGES.maxReplicationLagSeconds;

/**
 * The longest a monitor run of `p` may last, seconds: the lag read (one probe timeout), then
 * `probesPerRun` probes one interval apart, extended while the last probes fail and are short of the
 * threshold (`runMonitor` in `monitor.ts`: at most `consecutiveFailuresToFailover - 1` extra probes),
 * and the last probe's timeout. Bounded here by (probesPerRun + consecutiveFailuresToFailover - 1)
 * intervals (one more than the last probe's start) + 2 probe timeouts: 96 s with the defaults. The
 * monitor function's timeout and the drill's warm-up deadline are both derived from it.
 */
export function longestMonitorRunSeconds(p: FailoverPolicy): number {
  return (
    (p.probesPerRun + p.consecutiveFailuresToFailover - 1) * p.probeIntervalSeconds +
    2 * p.probeTimeoutSeconds
  );
}

/**
 * How far back the failover side reads the monitor's history for the last healthy lag reading,
 * beyond `maxLagReadingAgeSeconds`: a decision may come long after the fault (RDS may report the
 * primary available for minutes, an alarm or an async retry may come later), and the reading it
 * needs is the one from before the fault. 3 h of 1-minute datapoints is 180 per metric, far below
 * `GetMetricData`'s 100,800-point limit, and 1-minute data is kept 15 days (reference §5).
 */
export const LAG_HISTORY_LOOKBACK_SECONDS = 3 * 60 * 60;

/** The look-back of the lag history for `p`: {@link LAG_HISTORY_LOOKBACK_SECONDS} past the reading-age limit. */
export function lagHistoryLookbackSeconds(p: FailoverPolicy): number {
  return LAG_HISTORY_LOOKBACK_SECONDS + p.maxLagReadingAgeSeconds;
}

/**
 * How old the newest piece of evidence (probe, alarm transition) may be for a NEW failover to start
 * on it: two monitor schedules. A fresh monitor result or alarm event is seconds old; one older than
 * two schedules comes from a retried or delayed event, and the next monitor run has fresher probes.
 * Resuming a failover that already began needs no fresh evidence: it re-reads the real state.
 */
export function maxEvidenceAgeSeconds(_policy: FailoverPolicy): number {
  return 2 * MONITOR_SCHEDULE_SECONDS;
}

/** Where each field is set, so an error can name the knob an operator actually turns. */
const FIELD_SOURCE: Record<keyof FailoverPolicy, string> = {
  probesPerRun: "PROBES_PER_RUN",
  probeIntervalSeconds: "PROBE_INTERVAL_SECONDS",
  probeTimeoutSeconds: "PROBE_TIMEOUT_SECONDS",
  consecutiveFailuresToFailover: "CONSECUTIVE_FAILURES",
  maxReplicationLagSeconds: "MAX_REPLICATION_LAG_SECONDS",
  acceptDataLoss: "ACCEPT_DATA_LOSS",
  maxLagReadingAgeSeconds: "policy.maxLagReadingAgeSeconds",
  rdsMetricsSilentMinutes: "policy.rdsMetricsSilentMinutes",
  apiOutageMinutes: "policy.apiOutageMinutes",
  regionalRestore: "REGIONAL_RESTORE",
  restoreConfirmationMinutes: "RESTORE_CONFIRMATION_MINUTES",
};

function describeValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function rangeProblem(p: FailoverPolicy, field: NumericPolicyField): string | undefined {
  const { min, max, integer } = POLICY_RANGES[field];
  const value: unknown = p[field];
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) &&
    value >= min &&
    value <= max;
  if (ok) return undefined;
  return (
    `${field} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}; got ${describeValue(value)}. ` +
    `Fix: set ${FIELD_SOURCE[field]} to a value in that range (default ${String(DEFAULT_POLICY[field])}).`
  );
}

/**
 * Every problem with `p`, one sentence each naming the field, the bad value and the fix;
 * empty when the policy is sound. `decide` uses this to refuse to act on a bad policy
 * without throwing.
 */
export function policyProblems(p: FailoverPolicy): string[] {
  const problems = (Object.keys(POLICY_RANGES) as NumericPolicyField[])
    .map((field) => rangeProblem(p, field))
    .filter((problem): problem is string => problem !== undefined);

  if (typeof p.acceptDataLoss !== "boolean") {
    problems.push(
      `acceptDataLoss must be true or false; got ${describeValue(p.acceptDataLoss)}. ` +
        `Fix: set ${FIELD_SOURCE.acceptDataLoss} to "true" or "false" (default false).`,
    );
  }
  if (!REGIONAL_RESTORE_MODES.includes(p.regionalRestore)) {
    problems.push(
      `regionalRestore must be one of ${REGIONAL_RESTORE_MODES.join(", ")}; got ${describeValue(p.regionalRestore)}. ` +
        `Fix: set ${FIELD_SOURCE.regionalRestore} to one of them (default auto).`,
    );
  }
  if (problems.length > 0) return problems;

  if (p.consecutiveFailuresToFailover > p.probesPerRun) {
    problems.push(
      `consecutiveFailuresToFailover (${p.consecutiveFailuresToFailover}) exceeds probesPerRun ` +
        `(${p.probesPerRun}): one monitor run could never confirm a failure. ` +
        `Fix: lower CONSECUTIVE_FAILURES or raise PROBES_PER_RUN.`,
    );
  }
  if (p.probeTimeoutSeconds >= p.probeIntervalSeconds) {
    problems.push(
      `probeTimeoutSeconds (${p.probeTimeoutSeconds}) must be shorter than probeIntervalSeconds ` +
        `(${p.probeIntervalSeconds}) so a probe ends before the next one starts. ` +
        `Fix: lower PROBE_TIMEOUT_SECONDS or raise PROBE_INTERVAL_SECONDS.`,
    );
  }
  // The healthy run's length (no extension): a failing run may overlap the next one, see
  // longestMonitorRunSeconds.
  const runSeconds = (p.probesPerRun - 1) * p.probeIntervalSeconds + p.probeTimeoutSeconds;
  if (runSeconds > MONITOR_SCHEDULE_SECONDS) {
    problems.push(
      `a monitor run would last up to ${runSeconds} s ((probesPerRun - 1) × probeIntervalSeconds + ` +
        `probeTimeoutSeconds), longer than the ${MONITOR_SCHEDULE_SECONDS} s schedule, so runs would overlap. ` +
        `Fix: lower PROBES_PER_RUN or PROBE_INTERVAL_SECONDS.`,
    );
  }
  return problems;
}

/**
 * Check a policy and return it frozen. Throws a `ConfigurationError` listing every problem
 * (field, value, fix) so an operator can correct them all in one go.
 */
export function validatePolicy(p: FailoverPolicy): FailoverPolicy {
  const problems = policyProblems(p);
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid failover policy: ${problems.join(" ")}`);
  }
  return Object.freeze({ ...p });
}
