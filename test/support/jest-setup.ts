/**
 * Runs in every test file before it loads (jest `setupFiles`): silences warnings the suite
 * expects, at their source, so that what the output shows is what needs a reader.
 */

// The AWS SDK warns once per process (every test file, every spawned CLI) that its releases
// after January 2027 need Node >= 22; the suite runs on Node 20 by design (package.json
// engines). The SDK's own switch, read in @aws-sdk/core (emitWarningIfUnsupportedVersion).
// Set on process.env so that child processes the tests spawn inherit it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

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
