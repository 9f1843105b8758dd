/**
 * Runs in every test file before it loads (jest `setupFiles`): silences warnings the suite
 * expects, at their source, so that what the output shows is what needs a reader.
 */
import { quietSdkNodeVersionWarning } from "../../lib/cli/args";

// The AWS SDK warns once per process that its releases after January 2027 need Node >= 22; the
// suite runs on Node 20 by design (package.json engines). The CLIs' own switch (their spawned
// copies turn it off themselves, in `startCli`).
quietSdkNodeVersionWarning();

// Jest loads every module afresh for each test file in one worker process, so a library that adds
// a process listener when it loads (Pulumi's runtime adds `beforeExit`) adds one per file: Node's
// leak warning at 10 counts test files, not a leak. Our own hooks are installed once per process.
process.setMaxListeners(40);

// Without an engine, Pulumi's `log.info` prints to the console (`info: [runtime] …`): the program
// states its account prerequisites that way on every run, which is a test's business only when it
// asserts on them (through `pulumi.log`, which this leaves alone).
const consoleLog = console.log.bind(console);
console.log = (...args: unknown[]): void => {
  if (typeof args[0] === "string" && args[0].startsWith("info: [runtime] ")) return;
  consoleLog(...args);
};
