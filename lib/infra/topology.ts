/**
 * The database topology as configuration, and the pre-flight guard that keeps `pulumi up` from
 * turning a live writer into a replica or replacing it.
 *
 * Two instance slots keep their identifiers forever: `primary` (`rds-primary-<suffix>`, in
 * `tap:primaryRegion`) and `replica` (`rds-replica-<suffix>`, in `tap:replicaRegion`).
 * `tap:activeWriter` names the slot that takes writes; the other one is the standby. The standby is
 * a read replica of the writer, except right after a failover or a switchover: then it is the old
 * writer, fenced, possibly holding commits that never reached the new writer, and
 * `tap:keepOldWriter` (default true) keeps it as it is until the operator has looked at it.
 *
 * Pure functions of plain data: the invokes that observe the real instances are in
 * `lib/infra/preflight.ts`.
 */
import type { ActiveWriter } from "../config";
import { RESTORED_INSTANCE_TYPE, RESTORE_TEST_INSTANCE_TYPE, resourceName } from "../naming";

/** An instance slot, named after its fixed identifier (`rds-primary-…` / `rds-replica-…`). */
export type Slot = ActiveWriter;

/** What the program declares the standby slot to be. */
export type StandbyRole =
  /** A read replica of the writer (the protected state). */
  | "replica"
  /** The old writer after a failover or switchover: standalone, fenced, final snapshot on delete. */
  | "old-writer";

/** The role the program declared for a slot, recorded on the instance as a tag. */
export type DeclaredRole = "writer" | StandbyRole;

/** Tag on each instance recording the role the last `pulumi up` declared for it. */
export const SLOT_ROLE_TAG = "DR-Slot-Role";

/** One slot as AWS reports it, before anything is declared. */
export type ObservedSlot =
  | { readonly exists: false }
  | {
      readonly exists: true;
      /** Source of replication (identifier or ARN); empty for a standalone instance. */
      readonly replicateSourceDb: string;
      /**
       * The {@link SLOT_ROLE_TAG} the last `pulumi up` wrote; undefined on instances deployed before
       * the tag existed (then the slot's first-deployment role is assumed: primary = writer,
       * replica = replica).
       */
      readonly declaredRole?: DeclaredRole;
    };

/** Both slots as observed. */
export interface ObservedTopology {
  readonly primary: ObservedSlot;
  readonly replica: ObservedSlot;
}

/** What the program will declare, once the guard has passed. */
export interface TopologyPlan {
  readonly writer: Slot;
  readonly standby: Slot;
  readonly standbyRole: StandbyRole;
}

/** The other slot. */
export function otherSlot(slot: Slot): Slot {
  return slot === "primary" ? "replica" : "primary";
}

/** The fixed RDS identifier of a slot. */
export function slotIdentifier(slot: Slot, environmentSuffix: string): string {
  return resourceName(slot === "primary" ? "rds-primary" : "rds-replica", environmentSuffix);
}

/**
 * Identifier of the instance a regional restore creates in the DR region (`rds-restored-<suffix>`)
 * from the writer's replicated automated backups. Not a slot: the stack never declares it, the
 * failover workflow creates it, and the step runner may restore into no other identifier.
 */
export function restoredInstanceId(environmentSuffix: string): string {
  return resourceName(RESTORED_INSTANCE_TYPE, environmentSuffix);
}

/**
 * Identifier of the temporary instance a restore test creates in the DR region
 * (`rds-restore-test-<suffix>`, `restore-test.ts`): never declared, deleted by the test itself.
 */
export function restoreTestInstanceId(environmentSuffix: string): string {
  return resourceName(RESTORE_TEST_INSTANCE_TYPE, environmentSuffix);
}

/** Final snapshot identifier of a slot: RDS takes it when Pulumi deletes the kept old writer. */
export function finalSnapshotIdentifier(slot: Slot, environmentSuffix: string): string {
  return `${slotIdentifier(slot, environmentSuffix)}-final`;
}

/** True when `source` (an identifier, or an ARN for a cross-region replica) names instance `id`. */
export function replicatesFrom(source: string, id: string): boolean {
  return source === id || source.endsWith(`:db:${id}`);
}

function isStandalone(o: ObservedSlot): boolean {
  return o.exists && o.replicateSourceDb === "";
}

function lastDeclared(slot: Slot, o: ObservedSlot): DeclaredRole | undefined {
  if (!o.exists) return undefined;
  return o.declaredRole ?? (slot === "primary" ? "writer" : "replica");
}

/**
 * The slot that really takes writes, or undefined when no instance is standalone (a first
 * deployment). With two standalone instances, the one the last `pulumi up` declared a replica has
 * been promoted since (a failover or a switchover), so it is the writer; `ambiguous` when the tags
 * cannot tell.
 */
export function liveWriter(observed: ObservedTopology): Slot | "ambiguous" | undefined {
  const standalone = (["primary", "replica"] as const).filter((s) => isStandalone(observed[s]));
  if (standalone.length === 0) return undefined;
  if (standalone.length === 1) return standalone[0];
  const promoted = standalone.filter((s) => lastDeclared(s, observed[s]) === "replica");
  if (promoted.length === 1) return promoted[0];
  const declaredWriter = standalone.filter((s) => lastDeclared(s, observed[s]) === "writer");
  return promoted.length === 0 && declaredWriter.length === 1 ? declaredWriter[0] : "ambiguous";
}

/**
 * The role the standby slot is declared with: the kept old writer while it is standalone and
 * `keepOldWriter` is on, a replica of the writer otherwise.
 */
export function standbyRole(
  mode: ActiveWriter,
  keepOldWriter: boolean,
  observed: ObservedTopology,
): StandbyRole {
  return keepOldWriter && isStandalone(observed[otherSlot(mode)]) ? "old-writer" : "replica";
}

/** The plan for a guard that found no problem. */
export function planTopology(
  mode: ActiveWriter,
  keepOldWriter: boolean,
  observed: ObservedTopology,
): TopologyPlan {
  return { writer: mode, standby: otherSlot(mode), standbyRole: standbyRole(mode, keepOldWriter, observed) };
}

/** Everything the messages need to name instances and commands. */
export interface PreflightNames {
  readonly environmentSuffix: string;
}

/**
 * Why `pulumi up` with this configuration would damage a live database, one message per problem
 * (empty: safe). Each message names the instance, what it is, what the config says and the exact
 * commands that fix it. Refuses:
 *
 * - declaring a writer that does not exist while the other slot does (nothing was promoted, or a
 *   typo in `tap:activeWriter`);
 * - a mode whose writer is not the live writer (after a failover with `activeWriter` still
 *   `primary`, or `replica` while the replica still replicates);
 * - a writer slot that still replicates (declaring it standalone would promote it: split brain);
 * - rebuilding an old writer as a replica (`keepOldWriter false`) before a `pulumi up` with
 *   `keepOldWriter true` put its final-snapshot settings into the state (deleting it would
 *   otherwise lose the commits only it holds);
 * - a standby that replicates some other instance.
 */
export function preflightProblems(
  mode: ActiveWriter,
  keepOldWriter: boolean,
  observed: ObservedTopology,
  names: PreflightNames,
): string[] {
  const id = (slot: Slot): string => slotIdentifier(slot, names.environmentSuffix);
  const writer = mode;
  const standby = otherSlot(mode);
  const w = observed[writer];
  const s = observed[standby];
  const setMode = (slot: Slot): string =>
    `pulumi refresh && pulumi config set tap:activeWriter ${slot} && pulumi up`;
  const describe = (o: ObservedSlot): string =>
    !o.exists
      ? "does not exist"
      : o.replicateSourceDb === ""
        ? "is a standalone writer"
        : `is a read replica of ${o.replicateSourceDb}`;
  const problems: string[] = [];

  if (!w.exists && !s.exists) {
    // A first deployment. Only the primary slot can be created as the first writer: a replica slot
    // declared standalone from scratch would be an empty database under the writer's name.
    if (mode === "replica") {
      problems.push(
        `${id("replica")} does not exist, but tap:activeWriter=replica declares it the writer. ` +
          `activeWriter=replica only describes a stack whose replica was promoted. Fix: pulumi config set tap:activeWriter primary`,
      );
    }
    return problems;
  }

  if (!w.exists) {
    problems.push(
      `${id(writer)} does not exist, but tap:activeWriter=${mode} declares it the writer while ${id(standby)} ${describe(s)}. ` +
        `pulumi up would create an empty writer and ${s.exists && !isStandalone(s) ? "leave" : "turn"} ${id(standby)} a replica of it. ` +
        (isStandalone(s)
          ? `Fix: ${setMode(standby)}`
          : `Fix: restore ${id(writer)} (RUNBOOK.md, "Region lost") or run pulumi refresh to check what exists.`),
    );
    return problems;
  }

  const live = liveWriter(observed);
  if (live === "ambiguous") {
    problems.push(
      `${id("primary")} and ${id("replica")} are both standalone writers and their ${SLOT_ROLE_TAG} tags do not tell which one was promoted. ` +
        `Find the writer (aws rds describe-db-instances; the writer.<zone> record points at it), then: ${"pulumi config set tap:activeWriter <primary|replica>"} and pulumi up.`,
    );
    return problems;
  }
  if (live !== undefined && live !== writer) {
    problems.push(
      `${id(live)} is the live writer (standalone${live === "replica" ? ", promoted by a failover" : ", promoted by a switchover"}), ` +
        `but tap:activeWriter=${mode} declares ${id(writer)} the writer and ${id(live)} its ${keepOldWriter ? "standby" : "replica"}: ` +
        `pulumi up would fence or replace the live writer. Fix: ${setMode(live)}`,
    );
    return problems;
  }
  if (live === undefined) {
    problems.push(
      `${id(writer)} ${describe(w)}, and no instance is a standalone writer; declaring ${id(writer)} standalone would promote it. ` +
        `Promote deliberately with the failover function ({"action":"switchover"} or {"action":"failover"}, RUNBOOK.md), then pulumi refresh and pulumi up.`,
    );
    return problems;
  }

  // The writer is the live writer; now the standby.
  if (s.exists && !isStandalone(s) && !replicatesFrom(s.replicateSourceDb, id(writer))) {
    problems.push(
      `${id(standby)} ${describe(s)}, not of the writer ${id(writer)}; pulumi up would replace it. ` +
        `Check what it replicates (aws rds describe-db-instances --db-instance-identifier ${id(standby)}) and fix the topology by hand before pulumi up.`,
    );
  }
  if (isStandalone(s) && !keepOldWriter && lastDeclared(standby, s) !== "old-writer") {
    problems.push(
      `${id(standby)} is a standalone old writer and tap:keepOldWriter=false would delete and rebuild it as a replica of ${id(writer)}, ` +
        `but no pulumi up has kept it yet, so the state does not have skipFinalSnapshot=false and RDS would delete it without a final snapshot ` +
        `(it may hold commits that never reached ${id(writer)}). Fix: pulumi config set tap:keepOldWriter true && pulumi up, ` +
        `recover what you need from ${id(standby)}, then pulumi config set tap:keepOldWriter false && pulumi up`,
    );
  }
  return problems;
}

/** Thrown by the pre-flight check; `problems` lists each refusal. */
export class TopologyPreflightError extends Error {
  constructor(public readonly problems: readonly string[]) {
    super(
      `Refusing to deploy: the configured topology does not match the live databases ` +
        `(${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
    this.name = "TopologyPreflightError";
  }
}

/** {@link planTopology} after {@link preflightProblems}; throws {@link TopologyPreflightError}. */
export function checkTopology(
  mode: ActiveWriter,
  keepOldWriter: boolean,
  observed: ObservedTopology,
  names: PreflightNames,
): TopologyPlan {
  const problems = preflightProblems(mode, keepOldWriter, observed, names);
  if (problems.length > 0) throw new TopologyPreflightError(problems);
  return planTopology(mode, keepOldWriter, observed);
}
