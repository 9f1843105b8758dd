import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { TapConfig } from "../config";
import { FENCED_AT_TAG } from "../function-env";
import { resourceName, resourceTags, type DrRole } from "../naming";
import type { Bundler } from "./bundle";
import type { TopologyPlan } from "./topology";

/** The two regional providers; `replica` is one of them, chosen by `tap:replicaRegion`. */
export interface Providers {
  /** Primary region (ap-southeast-2 by default). */
  readonly primary: aws.Provider;
  /** The stack's DR / control region (ap-southeast-1 by default). */
  readonly dr: aws.Provider;
  /** The provider of the replica's region: `primary` or `dr`. */
  readonly replica: aws.Provider;
}

/** What every builder receives. */
export interface BuildContext {
  readonly config: TapConfig;
  /** Which slot writes and what the standby is, as the pre-flight check decided. */
  readonly topology: TopologyPlan;
  /** The TapStack component: parent of every resource. */
  readonly parent: pulumi.Resource;
  readonly providers: Providers;
  /** Account the stack deploys into (for ARNs in policies). */
  readonly accountId: pulumi.Output<string>;
  /** `{resourceType}-{environmentSuffix}` */
  readonly name: (resourceType: string) => string;
  /** Environment / Owner / DR-Role / Name tags. */
  readonly tags: (drRole: DrRole, name: string) => Record<string, string>;
  /** Builds each function's package (`buildLambdaBundle` when deployed). */
  readonly bundle: Bundler;
}

/**
 * Builds both regional providers. Environment and Owner are provider `defaultTags`, so even
 * resources a builder forgets are tagged; builders still set all tags explicitly because
 * offline checks read resource inputs, where provider defaults are not merged.
 */
export function buildProviders(config: TapConfig, parent: pulumi.Resource): Providers {
  const defaultTags = { tags: { Environment: config.environmentSuffix, Owner: config.owner } };
  // The failover function tags a fenced old writer; `pulumi up` must neither remove that tag (the
  // engine would see the old writer as unfenced again) nor show it as drift.
  const ignoreTags = { keys: [FENCED_AT_TAG] };
  const primary = new aws.Provider(
    resourceName("aws-primary", config.environmentSuffix),
    { region: config.primaryRegion as aws.Region, defaultTags, ignoreTags },
    { parent },
  );
  const dr = new aws.Provider(
    resourceName("aws-dr", config.environmentSuffix),
    { region: config.drRegion as aws.Region, defaultTags, ignoreTags },
    { parent },
  );
  return { primary, dr, replica: config.replicaRegion === config.primaryRegion ? primary : dr };
}

/** Creates the shared builder context under `parent`. */
export function createContext(
  config: TapConfig,
  topology: TopologyPlan,
  parent: pulumi.Resource,
  bundle: Bundler,
): BuildContext {
  const providers = buildProviders(config, parent);
  const identity = aws.getCallerIdentityOutput({}, { parent, provider: providers.dr });
  return {
    config,
    topology,
    parent,
    providers,
    accountId: identity.accountId,
    name: (resourceType) => resourceName(resourceType, config.environmentSuffix),
    tags: (drRole, name) => resourceTags(config, drRole, name),
    bundle,
  };
}
