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
import type { ActiveWriter, TapConfig } from "../config";
import { RESTORED_INSTANCE_TYPE, RESTORE_TEST_INSTANCE_TYPE, resourceName } from "../naming";

/** An instance slot, named after its fixed identifier (`rds-primary-…` / `rds-replica-…`). */
export type Slot = "primary" | "replica";

/** The two slots, in declaration order. */
export const SLOTS: readonly Slot[] = ["primary", "replica"];

/**
 * Where the writer can be: a slot, or `restored`, the instance a regional restore creates in the
 * DR region (`rds-restored-<suffix>`; {@link restoredInstanceId}).
 */
export type Place = ActiveWriter;

/** What the program declares the standby slot to be. */
export type StandbyRole =
  /** A read replica of the writer (the protected state). */
  | "replica"
  /** The old writer after a failover or switchover: standalone, fenced, final snapshot on delete. */
  | "old-writer";

/** The role the program declared for an instance, recorded on it as a tag. */
export type DeclaredRole = "writer" | StandbyRole;

/** Tag on each instance recording the role the last `pulumi up` declared for it. */
export const SLOT_ROLE_TAG = "DR-Slot-Role";

/** One instance as AWS reports it, before anything is declared. */
export type ObservedSlot =
  | { readonly exists: false }
  | {
      readonly exists: true;
      /** Source of replication (identifier or ARN); empty for a standalone instance. */
      readonly replicateSourceDb: string;
      /**
       * The {@link SLOT_ROLE_TAG} the last `pulumi up` wrote; undefined on instances deployed before
       * the tag existed (then the slot's first-deployment role is assumed: primary = writer,
       * replica = replica) and on a restored instance no `pulumi up` has declared yet.
       */
      readonly declaredRole?: DeclaredRole;
    };

/** Both slots, and the restored instance, as observed. */
export interface ObservedTopology {
  readonly primary: ObservedSlot;
  readonly replica: ObservedSlot;
  /** `rds-restored-<suffix>` in the DR region; absent means it does not exist. */
  readonly restored?: ObservedSlot;
}

/** What the program will declare, once the guard has passed. */
export interface TopologyPlan {
  readonly writer: Place;
  /** The slot whose instance is the writer's standby: its replica, or the kept old writer. */
  readonly standby: Slot;
  readonly standbyRole: StandbyRole;
  /**
   * The role each slot is declared with; a slot without one is not declared (after a regional
   * restore, the lost writer once it is no longer kept).
   */
  readonly roles: Readonly<Partial<Record<Slot, DeclaredRole>>>;
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
 * from the writer's replicated automated backups. The failover workflow creates it, the step runner
 * may restore into no other identifier, and `tap:activeWriter restored` imports it as the writer.
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

/** The RDS identifier of the instance at `place`. */
export function placeIdentifier(place: Place, environmentSuffix: string): string {
  return place === "restored"
    ? restoredInstanceId(environmentSuffix)
    : slotIdentifier(place, environmentSuffix);
}

/** The region of the instance at `place`. */
export function placeRegion(
  place: Place,
  config: Pick<TapConfig, "primaryRegion" | "replicaRegion" | "drRegion">,
): string {
  return place === "primary"
    ? config.primaryRegion
    : place === "replica"
      ? config.replicaRegion
      : config.drRegion;
}

/** Final snapshot identifier of an instance: RDS takes it when Pulumi deletes it. */
export function finalSnapshotIdentifier(place: Place, environmentSuffix: string): string {
  return `${placeIdentifier(place, environmentSuffix)}-final`;
}

/** True when `source` (an identifier, or an ARN for a cross-region replica) names instance `id`. */
export function replicatesFrom(source: string, id: string): boolean {
  return source === id || source.endsWith(`:db:${id}`);
}

function isStandalone(o: ObservedSlot | undefined): boolean {
  return o !== undefined && o.exists && o.replicateSourceDb === "";
}

function lastDeclared(slot: Slot, o: ObservedSlot): DeclaredRole | undefined {
  if (!o.exists) return undefined;
  return o.declaredRole ?? (slot === "primary" ? "writer" : "replica");
}

/**
 * The instance that really takes writes, or undefined when none is standalone (a first deployment).
 *
 * - A standalone restored instance that no `pulumi up` has declared yet was created by a regional
 *   restore after the last `pulumi up`: it is the writer (the lost writer may have come back, still
 *   standalone and still tagged writer, but clients write through `writer`, which the restore moved).
 * - Otherwise, with two standalone instances, the one the last `pulumi up` declared a replica has
 *   been promoted since (a failover or a switchover), so it is the writer; `ambiguous` when the tags
 *   cannot tell.
 */
export function liveWriter(observed: ObservedTopology): Place | "ambiguous" | undefined {
  const restored = observed.restored;
  if (restored?.exists && isStandalone(restored) && restored.declaredRole === undefined) return "restored";
  const roleOf = (place: Place): DeclaredRole | undefined =>
    place === "restored"
      ? restored?.exists
        ? restored.declaredRole
        : undefined
      : lastDeclared(place, observed[place]);
  const standalone = (["primary", "replica", "restored"] as const).filter((p) =>
    isStandalone(p === "restored" ? restored : observed[p]),
  );
  if (standalone.length === 0) return undefined;
  if (standalone.length === 1) return standalone[0];
  const promoted = standalone.filter((p) => roleOf(p) === "replica");
  if (promoted.length === 1) return promoted[0];
  const declaredWriter = standalone.filter((p) => roleOf(p) === "writer");
  return promoted.length === 0 && declaredWriter.length === 1 ? declaredWriter[0] : "ambiguous";
}

/**
 * The role the standby slot is declared with: the kept old writer while it is standalone and
 * `keepOldWriter` is on, a replica of the writer otherwise. After a regional restore the standby is
 * always the replica slot, rebuilt as a replica of the restored writer.
 */
export function standbyRole(
  mode: ActiveWriter,
  keepOldWriter: boolean,
  observed: ObservedTopology,
): StandbyRole {
  if (mode === "restored") return "replica";
  return keepOldWriter && isStandalone(observed[otherSlot(mode)]) ? "old-writer" : "replica";
}

/** The plan for a guard that found no problem. */
export function planTopology(
  mode: ActiveWriter,
  keepOldWriter: boolean,
  observed: ObservedTopology,
): TopologyPlan {
  if (mode === "restored") {
    // The lost writer is kept, fenced, while it exists and keepOldWriter is on: it may hold the
    // commits after the restore point.
    const keepLost = keepOldWriter && isStandalone(observed.primary);
    return {
      writer: "restored",
      standby: "replica",
      standbyRole: "replica",
      roles: keepLost ? { primary: "old-writer", replica: "replica" } : { replica: "replica" },
    };
  }
  const standby = otherSlot(mode);
  const role = standbyRole(mode, keepOldWriter, observed);
  return { writer: mode, standby, standbyRole: role, roles: { [mode]: "writer", [standby]: role } };
}

/** Everything the messages need to name instances and commands. */
export interface PreflightNames {
  readonly environmentSuffix: string;
}

const setMode = (place: Place): string =>
  `pulumi refresh && pulumi config set tap:activeWriter ${place} && pulumi up`;

const describe = (o: ObservedSlot | undefined): string =>
  o === undefined || !o.exists
    ? "does not exist"
    : o.replicateSourceDb === ""
      ? "is a standalone writer"
      : `is a read replica of ${o.replicateSourceDb}`;

/** The refusal of deleting an old writer no `pulumi up` has kept (its final snapshot is not in the state yet). */
function unkeptOldWriter(oldId: string, writerId: string, rebuilt: boolean): string {
  return (
    `${oldId} is a standalone old writer and tap:keepOldWriter=false would ${rebuilt ? `delete and rebuild it as a replica of ${writerId}` : "delete it"}, ` +
    `but no pulumi up has kept it yet, so the state does not have skipFinalSnapshot=false and RDS would delete it without a final snapshot ` +
    `(it may hold commits that never reached ${writerId}). Fix: pulumi config set tap:keepOldWriter true && pulumi up, ` +
    `recover what you need from ${oldId}, then pulumi config set tap:keepOldWriter false && pulumi up`
  );
}

/** {@link preflightProblems} for `tap:activeWriter restored`. */
function restoredModeProblems(
  keepOldWriter: boolean,
  observed: ObservedTopology,
  names: PreflightNames,
): string[] {
  const id = (place: Place): string => placeIdentifier(place, names.environmentSuffix);
  const { primary, replica, restored } = observed;
  if (!isStandalone(restored)) {
    const live = liveWriter(observed);
    return [
      `${id("restored")} ${describe(restored)}, but tap:activeWriter=restored declares it the writer. ` +
        `activeWriter=restored only describes a stack after a regional restore (RUNBOOK.md, "Regional restore"). ` +
        (live !== undefined && live !== "ambiguous" && live !== "restored"
          ? `Fix: ${setMode(live)}`
          : "Fix: check what exists (aws rds describe-db-instances in each region), then set tap:activeWriter to the live writer."),
    ];
  }
  const problems: string[] = [];
  const live = liveWriter(observed);
  if (live !== "restored") {
    problems.push(
      `${live === undefined || live === "ambiguous" ? "the live writer cannot be told" : `${id(live)} is the live writer`}, ` +
        `but tap:activeWriter=restored declares ${id("restored")} the writer: pulumi up would turn the live writer's slot into a replica of ${id("restored")}. ` +
        (live !== undefined && live !== "ambiguous"
          ? `Fix: ${setMode(live)}`
          : "Find the writer (the writer.<zone> record points at it), then set tap:activeWriter."),
    );
    return problems;
  }
  if (isStandalone(replica)) {
    problems.push(
      `${id("replica")} is a standalone writer, and tap:activeWriter=restored would delete and rebuild it as a replica of ${id("restored")}. ` +
        `Check what it holds (aws rds describe-db-instances --db-instance-identifier ${id("replica")}), snapshot it if needed, and delete it by hand before pulumi up.`,
    );
  }
  if (primary.exists && !isStandalone(primary)) {
    problems.push(
      `${id("primary")} ${describe(primary)}; after a regional restore it can only be the lost writer (standalone). ` +
        "Check it and delete it by hand before pulumi up.",
    );
  }
  if (isStandalone(primary) && !keepOldWriter && lastDeclared("primary", primary) !== "old-writer") {
    problems.push(unkeptOldWriter(id("primary"), id("restored"), false));
  }
  return problems;
}

/**
 * Why `pulumi up` with this configuration would damage a live database, one message per problem
 * (empty: safe). Each message names the instance, what it is, what the config says and the exact
 * commands that fix it. Refuses:
 *
 * - declaring a writer that does not exist while the other slot does (nothing was promoted, or a
 *   typo in `tap:activeWriter`);
 * - a mode whose writer is not the live writer (after a failover with `activeWriter` still
 *   `primary`, `replica` while the replica still replicates, or a slot while a regional restore's
 *   instance takes writes);
 * - a writer slot that still replicates (declaring it standalone would promote it: split brain);
 * - deleting or rebuilding an old writer (`keepOldWriter false`) before a `pulumi up` with
 *   `keepOldWriter true` put its final-snapshot settings into the state (deleting it would
 *   otherwise lose the commits only it holds);
 * - a standby that replicates some other instance;
 * - after a regional restore (`restored`): a restored instance that is missing or not standalone, a
 *   standalone replica slot (rebuilding it would delete a writer), a lost writer that is not standalone.
 */
export function preflightProblems(
  mode: ActiveWriter,
  keepOldWriter: boolean,
  observed: ObservedTopology,
  names: PreflightNames,
): string[] {
  if (mode === "restored") return restoredModeProblems(keepOldWriter, observed, names);
  const id = (place: Place): string => placeIdentifier(place, names.environmentSuffix);
  const writer = mode;
  const standby = otherSlot(mode);
  const w = observed[writer];
  const s = observed[standby];
  const problems: string[] = [];

  if (!w.exists && !s.exists && isStandalone(observed.restored)) {
    problems.push(
      `${id("restored")} is the live writer (standalone, created by a regional restore) and neither ${id("primary")} nor ${id("replica")} exists, ` +
        `but tap:activeWriter=${mode} declares ${id(writer)} the writer: pulumi up would create an empty writer beside it. Fix: ${setMode("restored")}`,
    );
    return problems;
  }
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
        (isStandalone(observed.restored)
          ? `Fix: ${setMode("restored")}`
          : isStandalone(s)
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
    const how =
      live === "restored"
        ? "created by a regional restore"
        : live === "replica"
          ? "promoted by a failover"
          : "promoted by a switchover";
    problems.push(
      `${id(live)} is the live writer (standalone, ${how}), ` +
        `but tap:activeWriter=${mode} declares ${id(writer)} the writer` +
        (live === "restored" ? "" : ` and ${id(live)} its ${keepOldWriter ? "standby" : "replica"}`) +
        `: pulumi up would ${live === "restored" ? "leave clients writing to one database and the stack protecting another" : "fence or replace the live writer"}. Fix: ${setMode(live)}`,
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
    problems.push(unkeptOldWriter(id(standby), id(writer), true));
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
