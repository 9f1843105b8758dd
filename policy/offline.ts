/**
 * Runs the pack's policies without the Pulumi CLI, against the resource inventory that
 * `npm run synth` writes. Each resource is handed to the policies in the same argument shape
 * the Pulumi engine uses, so the policy code cannot tell the difference.
 */
import type {
  EnforcementLevel,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import type { TapPolicy, TapPolicyConfig } from "./policies";

/** One resource as `npm run synth` records it. */
export interface SynthResource {
  /** Pulumi type token, e.g. `aws:rds/instance:Instance`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** The provider the resource uses (its logical name or URN), when it has an explicit one. */
  readonly provider?: string;
  /** Region the resource lives in. */
  readonly region?: string;
  /** Resolved inputs (secrets redacted). */
  readonly inputs: Record<string, unknown>;
  /** Optional extras the synth may add: id and outputs the mocks returned, URN, resource options. */
  readonly id?: string;
  readonly urn?: string;
  readonly outputs?: Record<string, unknown>;
  readonly options?: { readonly protect?: boolean; readonly retainOnDelete?: boolean };
}

/** The file `npm run synth -- --out synth.json` writes. */
export interface SynthOutput {
  readonly resources: readonly SynthResource[];
}

export interface Violation {
  readonly resource?: string;
  readonly message: string;
}

export interface PolicyOutcome {
  readonly policy: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  /** `pass`: applied and found nothing; `fail`: violations; `n/a`: no resource it applies to. */
  readonly result: "pass" | "fail" | "n/a";
  /** Resources the policy looked at (1 for a stack policy). */
  readonly checked: number;
  readonly violations: readonly Violation[];
}

class NotApplicable extends Error {}

/** Reads and checks the shape of a synth file's JSON, naming what is wrong. */
export function parseSynthOutput(json: unknown, source: string): SynthOutput {
  const o = json as { resources?: unknown };
  if (!o || typeof o !== "object" || !Array.isArray(o.resources)) {
    throw new Error(
      `${source}: expected { "resources": [...] } as written by "npm run synth -- --out <file>"`,
    );
  }
  o.resources.forEach((r: unknown, i: number) => {
    const rr = r as Partial<SynthResource>;
    if (!rr || typeof rr.type !== "string" || typeof rr.name !== "string" || typeof rr.inputs !== "object") {
      throw new Error(`${source}: resources[${i}] needs string "type", string "name" and object "inputs"`);
    }
  });
  return o as SynthOutput;
}

function urnOf(r: SynthResource): string {
  return r.urn ?? `urn:pulumi:synth::tapstack::${r.type}::${r.name}`;
}

function propsOf(r: SynthResource): Record<string, unknown> {
  // Engine resources carry their outputs (id, arn, region, …) next to their inputs; add what
  // the synth recorded so references between resources resolve the same way.
  return {
    ...(r.id !== undefined ? { id: r.id } : {}),
    ...(r.outputs ?? {}),
    ...(r.region !== undefined ? { region: r.region } : {}),
    ...r.inputs,
  };
}

function findProvider(all: readonly SynthResource[], ref: string | undefined): SynthResource | undefined {
  if (!ref) return undefined;
  const bare = ref.split("::").length > 4 ? ref.replace(/::[^:]*$/, "") : ref; // "<urn>::<id>" → "<urn>"
  return all.find(
    (p) =>
      p.type.startsWith("pulumi:providers:") &&
      (p.name === ref || urnOf(p) === bare || urnOf(p) === ref || p.id === ref),
  );
}

function options(r: SynthResource): PolicyResourceOptions {
  return {
    protect: r.options?.protect === true,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...(r.options?.retainOnDelete !== undefined ? { retainOnDelete: r.options.retainOnDelete } : {}),
  } as PolicyResourceOptions;
}

const typeCheck = (type: string) => (cls: { new (...rest: never[]): unknown }) =>
  (cls as unknown as { __pulumiType?: string }).__pulumiType === type;

/**
 * Runs every policy against the synth inventory. Resource policies run once per resource,
 * stack policies once; `config` is what `--policy-pack-config` would give each policy.
 */
export async function runPolicies(
  policies: readonly TapPolicy[],
  synth: SynthOutput,
  config: TapPolicyConfig = {},
): Promise<PolicyOutcome[]> {
  const all = synth.resources;
  const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason ?? "not applicable");
  };
  const getConfig = <C extends object>(): C => config as C;
  const providerView = (r: SynthResource): PolicyProviderResource | undefined => {
    const p = findProvider(all, r.provider);
    return p ? { type: p.type, name: p.name, urn: urnOf(p), props: propsOf(p) } : undefined;
  };

  const stackResources: PolicyResource[] = all.map((r) => ({
    type: r.type,
    name: r.name,
    urn: urnOf(r),
    props: propsOf(r),
    opts: options(r),
    provider: providerView(r),
    dependencies: [],
    propertyDependencies: {},
    isType: typeCheck(r.type),
    asType: () => undefined,
  })) as unknown as PolicyResource[];

  const outcomes: PolicyOutcome[] = [];
  for (const policy of policies) {
    const violations: Violation[] = [];
    let checked = 0;
    if ("validateResource" in policy && policy.validateResource) {
      const validations = Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource];
      for (const r of all) {
        if (r.type.startsWith("pulumi:providers:")) continue; // the engine validates providers separately
        const args: ResourceValidationArgs = {
          type: r.type,
          name: r.name,
          urn: urnOf(r),
          props: propsOf(r),
          opts: options(r),
          provider: providerView(r),
          stackTags: new Map(),
          isType: typeCheck(r.type),
          asType: () => undefined,
          getConfig,
          notApplicable,
        } as ResourceValidationArgs;
        let applied = false;
        for (const validate of validations) {
          try {
            await validate(args, (message) => violations.push({ resource: `${r.type}::${r.name}`, message }));
            applied = true;
          } catch (e) {
            if (!(e instanceof NotApplicable)) throw e;
          }
        }
        if (applied) checked++;
      }
    } else if ("validateStack" in policy) {
      const args: StackValidationArgs = {
        resources: stackResources,
        stackTags: new Map(),
        getConfig,
        notApplicable,
      } as StackValidationArgs;
      try {
        await policy.validateStack(args, (message, urn) => {
          const r = urn ? stackResources.find((x) => x.urn === urn) : undefined;
          violations.push({ ...(r ? { resource: `${r.type}::${r.name}` } : {}), message });
        });
        checked = 1;
      } catch (e) {
        if (!(e instanceof NotApplicable)) throw e;
      }
    }
    outcomes.push({
      policy: policy.name,
      description: policy.description,
      enforcementLevel: policy.enforcementLevel ?? "advisory",
      result: violations.length > 0 ? "fail" : checked === 0 ? "n/a" : "pass",
      checked,
      violations,
    });
  }
  return outcomes;
}

/** True when a mandatory policy reported a violation (the pack would block `pulumi up`). */
export function hasMandatoryViolation(outcomes: readonly PolicyOutcome[]): boolean {
  return outcomes.some((o) => o.enforcementLevel === "mandatory" && o.violations.length > 0);
}

/** The policy × result table `npm run policy` prints, followed by each violation. */
export function formatTable(outcomes: readonly PolicyOutcome[], title: string): string {
  const w = Math.max(...outcomes.map((o) => o.policy.length), "policy".length);
  const lines = [
    title,
    `${"policy".padEnd(w)}  ${"level".padEnd(9)}  ${"result".padEnd(6)}  checked  violations`,
    `${"-".repeat(w)}  ${"-".repeat(9)}  ${"-".repeat(6)}  -------  ----------`,
  ];
  for (const o of outcomes) {
    lines.push(
      `${o.policy.padEnd(w)}  ${o.enforcementLevel.padEnd(9)}  ${o.result.toUpperCase().padEnd(6)}  ${String(o.checked).padStart(7)}  ${String(o.violations.length).padStart(10)}`,
    );
  }
  const failed = outcomes.filter((o) => o.violations.length > 0);
  if (failed.length > 0) {
    lines.push("", "Violations:");
    for (const o of failed) for (const v of o.violations) lines.push(`  [${o.policy}] ${v.message}`);
  }
  return lines.join("\n");
}
