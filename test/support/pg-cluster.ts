/**
 * One real PostgreSQL primary + replica per test file:
 *
 * ```ts
 * const pg = useCluster();
 * it("…", async () => { await pg().query(pg().primary, "SELECT 1"); });
 * ```
 *
 * Started in `beforeAll`, destroyed in `afterAll` (and on process exit if jest dies first).
 */
import { startCluster, type ClusterOptions, type LocalCluster } from "../../lib/drill/cluster";

/** Generous: initdb and two starts take a few seconds, more on a busy CI machine. */
export const CLUSTER_START_TIMEOUT_MS = 90_000;

/** Registers the cluster's lifecycle hooks and returns an accessor for the running cluster. */
export function useCluster(options: ClusterOptions = {}): () => LocalCluster {
  let cluster: LocalCluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster(options);
  }, CLUSTER_START_TIMEOUT_MS);
  afterAll(async () => {
    await cluster?.destroy();
  }, CLUSTER_START_TIMEOUT_MS);
  return () => {
    if (!cluster) throw new Error("the local cluster did not start; see the beforeAll error above");
    return cluster;
  };
}

/** Resolves after `ms` milliseconds (for letting replication lag build up). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
