/**
 * The live databases an offline synth pretends to find (`npm run synth -- --observed <state>`):
 * what the pre-flight check (`lib/infra/preflight.ts`) reads before the program declares
 * anything, so that the synth can show the stack a `pulumi up` would declare at each point of an
 * incident's life, without an AWS account.
 *
 * - `none`: a first deployment; nothing exists (the default).
 * - `deployed`: the steady state; the primary slot writes, the replica slot replicates it.
 * - `after-failover`: the failover workflow promoted the replica slot; both are standalone and the
 *   primary still carries the writer tag of the last `pulumi up`. Declared with
 *   `tap:activeWriter replica` (the only mode the guard accepts then).
 * - `after-restore`: the failover workflow restored `rds-restored-<suffix>` in the DR region from the
 *   replicated backups; the lost region is back, its writer still standalone and its replica still
 *   replicating it. Declared with `tap:activeWriter restored`.
 */
import type { ActiveWriter, TapConfig } from "../config";
import { restoredInstanceId, SLOT_ROLE_TAG, slotIdentifier } from "../infra/topology";
import { MOCK_ACCOUNT_ID, type ExistingDbInstances } from "./mocks";

/** The states `--observed` accepts. */
export const OBSERVED_STATES = ["none", "deployed", "after-failover", "after-restore"] as const;
export type ObservedState = (typeof OBSERVED_STATES)[number];

/** The `tap:activeWriter` each state is declared with, unless the command line sets one. */
export const OBSERVED_WRITER: Readonly<Record<ObservedState, ActiveWriter>> = {
  none: "primary",
  deployed: "primary",
  "after-failover": "replica",
  "after-restore": "restored",
};

/** The instances the pre-flight invokes find in `state`, named and placed as `config` says. */
export function observedInstances(
  state: ObservedState,
  config: Pick<TapConfig, "environmentSuffix" | "primaryRegion" | "replicaRegion" | "drRegion">,
): ExistingDbInstances {
  const primary = slotIdentifier("primary", config.environmentSuffix);
  const replica = slotIdentifier("replica", config.environmentSuffix);
  const source =
    config.replicaRegion === config.primaryRegion
      ? primary
      : `arn:aws:rds:${config.primaryRegion}:${MOCK_ACCOUNT_ID}:db:${primary}`;
  switch (state) {
    case "none":
      return {};
    case "deployed":
      return {
        [primary]: { region: config.primaryRegion, tags: { [SLOT_ROLE_TAG]: "writer" } },
        [replica]: {
          region: config.replicaRegion,
          replicateSourceDb: source,
          tags: { [SLOT_ROLE_TAG]: "replica" },
        },
      };
    case "after-failover":
      return {
        [primary]: { region: config.primaryRegion, tags: { [SLOT_ROLE_TAG]: "writer" } },
        [replica]: { region: config.replicaRegion, tags: { [SLOT_ROLE_TAG]: "replica" } },
      };
    case "after-restore":
      return {
        ...observedInstances("deployed", config),
        // Created by the workflow, never declared: no slot-role tag.
        [restoredInstanceId(config.environmentSuffix)]: { region: config.drRegion, tags: {} },
      };
  }
}
