/**
 * The failover function's handler, as a thin adapter: event → parse → evaluateAndAct → compact
 * result. Built by {@link createFailoverHandler} from its dependencies so that tests can pass
 * fake ports; `index.ts` wires the real ones at module scope.
 */
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";
import { METRICS } from "../../function-env";
import { ConfigurationError, TapError } from "../core/errors";
import { evaluateAndAct, type DispatchOptions, type Outcome } from "../core/orchestrator";
import type { DatabaseProbe, ExecutionSummary, FailoverWorkflow, Ports } from "../core/ports";
import type { ClusterSnapshot, DecisionKind, Trigger } from "../core/types";
import { primaryRegionReached } from "../core/decide";
import { flushMetrics, type FailoverHandlerMetrics, type HandlerLogger } from "../telemetry";
import { CATCH_UP_TIMEOUT_SECONDS, DNS_TIMEOUT_SECONDS, type FailoverConfig } from "./env";
import { parseFailoverEvent, type EventSource } from "./events";

/** The attempt ended with an error (a step or a notification failed); the state is logged and notified. */
export class FailoverIncompleteError extends TapError {}

/** What the handler returns: a compact summary; the full story is in the logs and the report. */
export interface FailoverResponse {
  readonly source: EventSource;
  readonly trigger: Trigger["kind"];
  readonly decision: DecisionKind;
  readonly reason: string;
  /** True when this request started the workflow execution. */
  readonly acted: boolean;
  /**
   * The execution carrying the decision out (started now, or already running), with the commands
   * to follow it; `null` when the decision needs none.
   */
  readonly execution: (ExecutionSummary & { readonly started: boolean; readonly follow: string }) | null;
  readonly error: string | null;
  /** Only for an operator's `status` request: the state that was read. */
  readonly snapshot?: ClusterSnapshot;
}

/** What the handler is built from. */
export interface FailoverHandlerDeps {
  readonly config: FailoverConfig;
  readonly ports: Ports;
  readonly workflow: FailoverWorkflow;
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

/** What every execution is given: the cluster, the limits from the configuration, the report kind. */
export function dispatchOptionsFor(config: FailoverConfig): DispatchOptions {
  return {
    reportKind: "failover",
    cluster: { primaryInstanceId: config.primaryInstanceId, replicaInstanceId: config.replicaInstanceId },
    limits: {
      promotionTimeoutSeconds: config.promotionTimeoutMinutes * 60,
      catchUpTimeoutSeconds: CATCH_UP_TIMEOUT_SECONDS,
      dnsTimeoutSeconds: DNS_TIMEOUT_SECONDS,
      approvalTimeoutSeconds: config.approvalTimeoutMinutes * 60,
      restoreTimeoutSeconds: config.restoreTimeoutMinutes * 60,
    },
    approvals: true,
  };
}

/** The CLI commands that follow an execution. */
export function followCommands(executionArn: string): string {
  const region = executionArn.split(":")[3] ?? "";
  return (
    `aws stepfunctions describe-execution --region ${region} --execution-arn ${executionArn} ; ` +
    `aws stepfunctions get-execution-history --region ${region} --execution-arn ${executionArn} --reverse-order --max-items 20`
  );
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
    execution:
      outcome.execution === undefined
        ? null
        : { ...outcome.execution, follow: followCommands(outcome.execution.arn) },
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
          execution: null,
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

      // Throws only when the snapshot itself cannot be read: then nothing was decided or done.
      const outcome = await evaluate(
        ports,
        deps.workflow,
        trigger,
        evidence,
        config.policy,
        dispatchOptionsFor(config),
      );
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
        });
        // Rethrown so the function-errors alarm fires; an asynchronous trigger is retried by
        // Lambda, and the retry resumes from the real state.
        throw new FailoverIncompleteError(`${outcome.decision.kind} ended with an error: ${outcome.error}`);
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
