/**
 * The drill's output folder and what happens to it when a run ends early: a folder the drill
 * created and left without a single file (Ctrl-C before the first result, or a run that failed
 * before writing) is removed, with the parent folders it created for it; a folder with output
 * in it is kept.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** An output folder the drill is about to use. */
export class RunFolder {
  /** The outermost folder of `dir`'s path that did not exist yet (removed last), or null. */
  private readonly firstCreated: string | null;

  /** Call before the folder is created: remembers which part of the path is the drill's own. */
  constructor(readonly dir: string) {
    let missing: string | null = null;
    for (let p = path.resolve(dir); !fs.existsSync(p); p = path.dirname(p)) missing = p;
    this.firstCreated = missing;
  }

  /**
   * Removes the folders of the path the drill created, innermost first, as long as each holds
   * no file (only empty folders). Returns true when `dir` is gone.
   */
  removeIfEmpty(): boolean {
    if (this.firstCreated === null) return false;
    const stop = path.dirname(this.firstCreated);
    for (let p = path.resolve(this.dir); p !== stop; p = path.dirname(p)) {
      if (!fs.existsSync(p)) continue;
      if (holdsAFile(p)) return false;
      fs.rmSync(p, { recursive: true, force: true });
    }
    return !fs.existsSync(this.dir);
  }
}

function holdsAFile(dir: string): boolean {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .some((e) => !e.isDirectory() || holdsAFile(path.join(dir, e.name)));
}

/** The signals a person or a supervisor sends to stop the drill. */
export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** The shell's exit code for a process ended by `signal`: 128 + its number (130 for SIGINT). */
export function signalExitCode(signal: StopSignal): number {
  return 128 + os.constants.signals[signal];
}

/**
 * Calls `handler` on the first SIGINT, SIGTERM or SIGHUP instead of Node's default (which ends
 * the process without running its `exit` hooks, so nothing would be torn down). The handler
 * is expected to end the process with `process.exit`, which runs the `exit` hooks that tear
 * down the local clusters and remove the PostgreSQL copy. Returns a function that uninstalls it.
 */
export function onStopSignal(handler: (signal: StopSignal) => void): () => void {
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = (): void => handler(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
}
