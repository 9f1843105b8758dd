/**
 * The resource inventory `npm run synth` prints and writes: which resource is created where,
 * through which provider, with which (resolved, secret-redacted) inputs.
 */
import { redactSecrets, type RecordedResource } from "./mocks";

/** One line of the inventory; the JSON file holds exactly these fields. */
export interface InventoryEntry {
  readonly type: string;
  readonly name: string;
  /** Logical name of the provider, `null` for the component. */
  readonly provider: string | null;
  /** Region the resource is created in, or `global` (IAM, Route 53, the component). */
  readonly region: string;
  /** The `DR-Role` tag; `untagged` for types AWS cannot tag, `provider`, or `component`. */
  readonly drRole: string;
  readonly inputs: Record<string, unknown>;
  /** The id the mocks returned, which other resources' inputs refer to. */
  readonly id: string;
  /**
   * The output state the mocks returned (inputs plus computed attributes such as ARNs),
   * secrets redacted. The offline checks resolve references between resources through it:
   * a bucket's encryption configuration names the bucket by its id, not its logical name.
   */
  readonly outputs: Record<string, unknown>;
}

/** Turns recorded resources into inventory entries (providers included, secrets redacted). */
export function toInventory(resources: readonly RecordedResource[]): InventoryEntry[] {
  return resources.map((r) => {
    const tags = r.inputs.tags as Record<string, unknown> | undefined;
    const drRole =
      typeof tags?.["DR-Role"] === "string"
        ? (tags["DR-Role"] as string)
        : r.type.startsWith("pulumi:providers:")
          ? "provider"
          : r.custom
            ? "untagged"
            : "component";
    return {
      type: r.type,
      name: r.name,
      provider: r.provider,
      region: r.region,
      drRole,
      inputs: redactSecrets(r.inputs) as Record<string, unknown>,
      id: r.id,
      outputs: redactSecrets(r.state) as Record<string, unknown>,
    };
  });
}

/** Number of resources per region, regions sorted. */
export function countByRegion(entries: readonly InventoryEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of [...entries].sort((a, b) => a.region.localeCompare(b.region))) {
    counts[e.region] = (counts[e.region] ?? 0) + 1;
  }
  return counts;
}

/** One resource of the `--out` JSON document. */
export interface InventoryDocumentResource {
  readonly type: string;
  readonly name: string;
  readonly provider: string | null;
  readonly region: string;
  readonly inputs: Record<string, unknown>;
  readonly id: string;
  readonly outputs: Record<string, unknown>;
}

/**
 * The `--out` JSON document: everything `npm run policy -- --in` and `npm run iam-check -- --in`
 * need to check the same inventory they would synthesize themselves (ids and outputs included,
 * so references between resources resolve).
 */
export function inventoryDocument(entries: readonly InventoryEntry[]): {
  resources: InventoryDocumentResource[];
} {
  return {
    resources: entries.map(({ type, name, provider, region, inputs, id, outputs }) => ({
      type,
      name,
      provider,
      region,
      inputs,
      id,
      outputs,
    })),
  };
}

/**
 * Headings of the groups that are not a `DR-Role` value, printed after the tagged groups. A
 * custom resource without tags is of a type AWS cannot tag (an inline role policy, a bucket's
 * versioning or policy, a route, an alias, a record, …): the `required-tags` policy fails any
 * resource of a taggable type that lacks `DR-Role`.
 */
const UNTAGGED_HEADINGS: Readonly<Record<string, string>> = {
  provider: "Pulumi provider",
  component: "Pulumi component",
  untagged: "no DR-Role: types AWS cannot tag",
};

/** Human-readable inventory grouped by region, then DR-Role (then the resources without one). */
export function formatInventory(entries: readonly InventoryEntry[], title: string): string {
  const lines: string[] = [title, ""];
  const regions = [...new Set(entries.map((e) => e.region))].sort();
  const untaggedOrder = Object.keys(UNTAGGED_HEADINGS);
  for (const region of regions) {
    const inRegion = entries.filter((e) => e.region === region);
    lines.push(`${region} (${inRegion.length} ${inRegion.length === 1 ? "resource" : "resources"})`);
    const present = new Set(inRegion.map((e) => e.drRole));
    const roles = [
      ...[...present].filter((r) => !Object.hasOwn(UNTAGGED_HEADINGS, r)).sort(),
      ...untaggedOrder.filter((r) => present.has(r)),
    ];
    for (const role of roles) {
      const inRole = inRegion.filter((e) => e.drRole === role);
      const heading = Object.hasOwn(UNTAGGED_HEADINGS, role) ? UNTAGGED_HEADINGS[role] : `DR-Role ${role}`;
      lines.push(`  ${heading} (${inRole.length})`);
      for (const e of [...inRole].sort(
        (a, b) => a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
      )) {
        lines.push(`    ${e.type.padEnd(72)} ${e.name}`);
      }
    }
    lines.push("");
  }
  lines.push(
    `Total: ${entries.length} resources (${Object.entries(countByRegion(entries))
      .map(([r, n]) => `${r}: ${n}`)
      .join(", ")})`,
  );
  return lines.join("\n");
}
