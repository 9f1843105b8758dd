/**
 * The pre-flight check's eyes: reads the real state of both instance slots, and of the instance a
 * regional restore creates, before the program declares anything, and hands it to the pure decision in `lib/infra/topology.ts`.
 *
 * `aws.rds.getInstance` fails when the instance does not exist, which is the normal case on a first
 * deployment, so existence is read first with `aws.rds.getInstances` and a `db-instance-id`
 * filter (an empty list, not an error). Each read goes to the slot's own region (v7 invokes take
 * `region`), through the default provider: the stack's explicit providers are resources, and
 * nothing may be declared before the check has passed.
 */
import * as aws from "@pulumi/aws";
import type { TapConfig } from "../config";
import { FUNCTION_SETTINGS, functionName } from "./functions";
import {
  checkTopology,
  placeIdentifier,
  placeRegion,
  SLOT_ROLE_TAG,
  type DeclaredRole,
  type ObservedSlot,
  type ObservedTopology,
  type TopologyPlan,
} from "./topology";

const DECLARED_ROLES: readonly string[] = ["writer", "replica", "old-writer"] satisfies DeclaredRole[];

/** Reads one slot: whether it exists, what it replicates, and the role the last `pulumi up` tagged. */
export async function observeSlot(identifier: string, region: string): Promise<ObservedSlot> {
  const found = await aws.rds.getInstances({
    region,
    filters: [{ name: "db-instance-id", values: [identifier] }],
  });
  if (!(found.instanceIdentifiers ?? []).includes(identifier)) return { exists: false };
  const instance = await aws.rds.getInstance({ dbInstanceIdentifier: identifier, region });
  const tag = instance.tags?.[SLOT_ROLE_TAG];
  return {
    exists: true,
    replicateSourceDb: instance.replicateSourceDb ?? "",
    declaredRole: tag !== undefined && DECLARED_ROLES.includes(tag) ? (tag as DeclaredRole) : undefined,
  };
}

/** Reads both slots in their regions, and the restored instance in the DR region. */
export async function observeTopology(config: TapConfig): Promise<ObservedTopology> {
  const [primary, replica, restored] = await Promise.all(
    (["primary", "replica", "restored"] as const).map((place) =>
      observeSlot(placeIdentifier(place, config.environmentSuffix), placeRegion(place, config)),
    ),
  );
  return { primary, replica, restored };
}

/**
 * Observes both slots and returns the topology to declare, or rejects with
 * `TopologyPreflightError` naming the instances, what they are, what the config says and the fix.
 */
export async function preflightTopology(config: TapConfig): Promise<TopologyPlan> {
  const observed = await observeTopology(config);
  return checkTopology(config.activeWriter, config.keepOldWriter, observed, {
    environmentSuffix: config.environmentSuffix,
  });
}

/**
 * Lambda keeps at least this much of a region's concurrency unreserved; a reservation that would
 * leave less is refused (reference §2).
 */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/**
 * The account prerequisite a first `pulumi up` can fail on, stated before anything is declared
 * (no data source reads an account's Lambda concurrency limit, so it cannot be checked here): the
 * failover function reserves concurrency, which Lambda refuses unless the DR region's limit leaves
 * {@link MIN_UNRESERVED_CONCURRENCY} unreserved; new accounts may start at a limit of 10, where any
 * reservation is refused (reference §2). The text names the check and the fix.
 */
export function concurrencyPrerequisite(config: Pick<TapConfig, "drRegion" | "environmentSuffix">): string {
  const reserved = FUNCTION_SETTINGS.failoverReservedConcurrency;
  const needed = reserved + MIN_UNRESERVED_CONCURRENCY;
  const fn = functionName("failover", config.environmentSuffix);
  return (
    `Account prerequisite: ${fn} reserves ${reserved} concurrent execution in ${config.drRegion}, which Lambda ` +
    `accepts only when the region's concurrency limit is at least ${needed} (${MIN_UNRESERVED_CONCURRENCY} must stay unreserved; ` +
    "new accounts may start at 10). Check: aws lambda get-account-settings --region " +
    `${config.drRegion} --query AccountLimit.ConcurrentExecutions. Fix if lower: request a higher ` +
    '"Concurrent executions" quota in Service Quotas (Lambda) for that region before pulumi up.'
  );
}
