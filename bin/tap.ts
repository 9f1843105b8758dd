/**
 * Pulumi entry point (`main` in Pulumi.yaml): validate the config, run the pre-flight topology
 * check against the live databases, and only then build the TapStack and return its outputs.
 *
 * The entry is an async function (Pulumi awaits it and exports the returned object's properties as
 * stack outputs): the pre-flight reads are invokes, and no resource may be declared before they
 * have answered, so that a wrong `tap:activeWriter` stops `pulumi up` before any plan exists.
 */
import { loadConfig } from "../lib/config";
import { preflightTopology } from "../lib/infra/preflight";
import { TapStack } from "../lib/tap-stack";

export = async (): Promise<Record<string, unknown>> => {
  const config = loadConfig();
  const topology = await preflightTopology(config);
  const stack = new TapStack(`tap-${config.environmentSuffix}`, { config, topology });
  return stack.outputs();
};
