/**
 * The failover function's handler, as a thin adapter: event → parse → evaluateAndAct → compact
 * result. Built by {@link createFailoverHandler} from its dependencies so that tests can pass
 * fake ports; `index.ts` wires the real ones at module scope.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { METRICS } from "../../function-env";
import { ConfigurationError, TapError } from "../core/errors";
import {
  DEFAULT_FAILURE_PATH_RESERVE_MS,
  evaluateAndAct,
  type ActOptions,
  type Outcome,
} from "../core/orchestrator";
import type { DatabaseProbe, Ports } from "../core/ports";
import type { ClusterSnapshot, DecisionKind, Trigger } from "../core/types";
import { primaryRegionReached } from "../core/decide";
import { flushMetrics, type FailoverHandlerMetrics, type HandlerLogger } from "../telemetry";
import type { FailoverConfig } from "./env";
import { parseFailoverEvent, type EventSource } from "./events";

/** Longest a Lambda function may run (15 minutes); the budget when no context is given. */
export const LAMBDA_MAX_DURATION_MS = 15 * 60_000;
/** Route 53 usually reaches INSYNC within 60 s; twice that before calling it failed. */
export const DNS_TIMEOUT_MS = 120_000;
/**
 * A switchover's wait for the replica to replay the fenced primary's last writes: the fence's reboot
 * of the old primary (1–3 minutes) before its WAL position can be read from a restarted engine, then
 * the replica replaying up to it (seconds once streaming resumes). Past this the fence is undone.
 */
export const CATCH_UP_TIMEOUT_MS = 420_000;
/**
 * Time kept before Lambda's kill for the failure path (fence undo, writer rollback, notice, report):
 * see `DEFAULT_FAILURE_PATH_RESERVE_MS`.
 */
export const FAILURE_PATH_RESERVE_MS = DEFAULT_FAILURE_PATH_RESERVE_MS;
/** RDS promotions typically take a few minutes; longer than this counts as failed for this invocation. */
export const MAX_PROMOTION_TIMEOUT_MS = 10 * 60_000;

/** The attempt ended with an error (a step or a notification failed); the state is logged and notified. */
export class FailoverIncompleteError extends TapError {}

/** What the handler returns: a compact summary; the full story is in the logs and the report. */
export interface FailoverResponse {
  readonly source: EventSource;
  readonly trigger: Trigger["kind"];
  readonly decision: DecisionKind;
  readonly reason: string;
  /** True when failover steps were carried out. */
  readonly acted: boolean;
  /** Where the report went (S3 URI), when one was written. */
  readonly reportLocation: string | null;
  readonly error: string | null;
  /** Only for an operator's `status` request: the state that was read. */
  readonly snapshot?: ClusterSnapshot;
}

/** What the handler is built from. */
export interface FailoverHandlerDeps {
  readonly config: FailoverConfig;
  readonly ports: Ports;
  readonly logger: HandlerLogger;
  readonly metrics: FailoverHandlerMetrics;
  /** The orchestrator; the core's `evaluateAndAct` unless a test replaces it. */
  readonly evaluate?: typeof evaluateAndAct;
}

/** The Lambda invocation, as far as the handler uses it. */
export type InvocationContext = Pick<Context, "getRemainingTimeInMillis"> & Partial<Context>;

/**
 * The failover function has no VPC, so it can never reach the database; its probe evidence comes
 * from the health-monitor's result. This port refuses to be used rather than inventing results.
 */
export const NO_DATABASE_PROBE: DatabaseProbe = {
  probePrimary: () =>
    Promise.reject(
      new ConfigurationError(
        "the failover function has no network path to the database and never probes it; probe evidence comes from the health-monitor's result",
      ),
    ),
  readReplicaLag: () =>
    Promise.reject(
      new ConfigurationError(
        "the failover function has no network path to the database and never reads replica lag; it uses the monitor's reading or CloudWatch history",
      ),
    ),
  replicationPositions: () =>
    Promise.reject(
      new ConfigurationError(
        "the failover function has no network path to the database and cannot read WAL positions itself; " +
          "the control adapter reads them from the health-monitor (LambdaReplicationPositions, a synchronous replication-positions request)",
      ),
    ),
};

/**
 * Timeouts of the slow steps and the invocation's deadline. Each wait is sized by the orchestrator
 * from the time actually left when it starts (min(its own timeout, time left − the failure path's
 * reserve)), never from a budget fixed here: slow calls to an impaired region (each SDK call up to
 * 3 attempts × 10 s) would otherwise push a run past Lambda's kill with no failure notice. Timing
 * out first lets the orchestrator undo, notify `failover-failed` and store the report, and the next
 * trigger resumes (every step re-reads state and is idempotent).
 *
 * `nowMs` is `ports.clock`'s time at the start of the invocation, so the deadline lives on the same
 * clock the orchestrator (and the simulator's virtual clock) reads.
 */
export function actOptionsFor(
  trigger: Trigger,
  remainingMs: number = LAMBDA_MAX_DURATION_MS,
  nowMs: number = Date.now(),
): ActOptions {
  const switchover = trigger.kind === "manual" && trigger.action === "switchover";
  return {
    promotionTimeoutMs: MAX_PROMOTION_TIMEOUT_MS,
    dnsTimeoutMs: DNS_TIMEOUT_MS,
    catchUpTimeoutMs: CATCH_UP_TIMEOUT_MS,
    reportKind: switchover ? "switchover" : "failover",
    deadlineMs: nowMs + remainingMs,
    failurePathReserveMs: FAILURE_PATH_RESERVE_MS,
  };
}

/** The compact result of one evaluation. */
export function toResponse(source: EventSource, trigger: Trigger, outcome: Outcome): FailoverResponse {
  const isStatus = trigger.kind === "manual" && trigger.action === "status";
  return {
    source,
    trigger: trigger.kind,
    decision: outcome.decision.kind,
    reason: outcome.decision.reason,
    acted: outcome.acted,
    reportLocation: outcome.reportLocation ?? null,
    error: outcome.error ?? null,
    ...(isStatus ? { snapshot: outcome.snapshot } : {}),
  };
}

/** Builds the handler Lambda calls. */
export function createFailoverHandler(
  deps: FailoverHandlerDeps,
): (event: unknown, context?: InvocationContext) => Promise<FailoverResponse> {
  const { config, ports, logger, metrics } = deps;
  const evaluate = deps.evaluate ?? evaluateAndAct;

  return async function handler(event, context) {
    if (context?.awsRequestId !== undefined) logger.addContext(context as Context);
    try {
      const parsed = parseFailoverEvent(event, config);
      if (parsed.kind === "no-action") {
        logger.info("Event asks for no action", { source: parsed.source, reason: parsed.reason });
        return {
          source: parsed.source,
          trigger: parsed.source,
          decision: "none",
          reason: parsed.reason,
          acted: false,
          reportLocation: null,
          error: null,
        };
      }
      const { trigger, evidence } = parsed;
      logger.appendKeys({ trigger: trigger.kind });
      logger.info("Evaluating the cluster", {
        source: parsed.source,
        trigger,
        probes: evidence.primaryProbes.length,
      });

      const options = actOptionsFor(trigger, context?.getRemainingTimeInMillis(), ports.clock.nowMs());
      // Throws only when the snapshot itself cannot be read: then nothing was decided or done.
      const outcome = await evaluate(ports, trigger, evidence, config.policy, options);
      const response = toResponse(parsed.source, trigger, outcome);
      // Dated at the snapshot, so later evaluations read back when the primary region was (not)
      // reached, not when this invocation happened to flush.
      metrics.setTimestamp(outcome.snapshot.takenAtMs);
      metrics.addMetric(
        METRICS.primaryRegionApiReachable,
        MetricUnit.Count,
        primaryRegionReached(outcome.snapshot.primary, outcome.snapshot.primaryRdsMetrics) ? 1 : 0,
      );
      if (outcome.alert?.ledgerError !== undefined) {
        // The alert went out (or was rightly held back); only its de-duplication is at risk.
        logger.warn("Alert ledger unavailable", { alert: outcome.alert });
      } else if (outcome.alert?.sent === false) {
        logger.info("Alert de-duplicated", { alert: outcome.alert });
      }
      metrics.addMetric(METRICS.failoverActed, MetricUnit.Count, outcome.acted ? 1 : 0);
      metrics.addMetric(METRICS.failoverFailed, MetricUnit.Count, outcome.error === undefined ? 0 : 1);

      if (outcome.error !== undefined) {
        logger.error("Evaluation ended with an error", {
          response,
          decision: outcome.decision,
          snapshot: outcome.snapshot,
          report: outcome.report,
        });
        // Rethrown so the function-errors alarm fires; an asynchronous trigger is retried by
        // Lambda, and the retry resumes from the real state.
        throw new FailoverIncompleteError(
          `${outcome.decision.kind} ended with an error: ${outcome.error}` +
            (outcome.reportLocation === undefined ? "" : ` (report: ${outcome.reportLocation})`),
        );
      }
      logger.info("Evaluation done", {
        response: { ...response, snapshot: undefined },
        decision: outcome.decision,
        // The reading the lag guard judged: an auditor checks it predates the failure.
        lastHealthyLag: outcome.snapshot.lastHealthyLag,
      });
      return response;
    } catch (error) {
      if (!(error instanceof FailoverIncompleteError)) {
        logger.error("Invocation failed; nothing more was done", { error: error as Error });
      }
      throw error;
    } finally {
      flushMetrics(metrics);
    }
  };
}
