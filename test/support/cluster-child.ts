/**
 * A process that starts a local cluster and then ends without calling `destroy()`, so tests
 * can check that the exit hooks clean up. Usage: `tsx cluster-child.ts <exit|throw|wait>`;
 * prints one JSON line `{ rootDir, pids }` once the cluster runs.
 * - `exit`: `process.exit(0)`;
 * - `throw`: an uncaught exception;
 * - `wait`: stays alive until a signal arrives.
 */
import { startCluster } from "../../lib/drill/cluster";

async function main(): Promise<void> {
  const mode = process.argv[2];
  const cluster = await startCluster();
  const pids = [...cluster.processIds(cluster.primary), ...cluster.processIds(cluster.replica)];
  process.stdout.write(`${JSON.stringify({ rootDir: cluster.rootDir, pids })}\n`);
  if (mode === "exit") process.exit(0);
  if (mode === "throw")
    setImmediate(() => {
      throw new Error("crash without destroy()");
    });
  if (mode === "wait") setInterval(() => undefined, 1000);
}

void main();
