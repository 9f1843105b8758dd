/**
 * Bundles the Lambda entry points (`lib/lambda/<entry>/index.ts`) with esbuild, at program time
 * (TapStack), for `npm run build` (`dist/<entry>/`) and for `npm run bench`. No Pulumi here: the
 * CLIs load this module without the Pulumi SDK.
 *
 * The deployed (`optimized`) bundle is ESM for the nodejs22.x runtime, minified, with source maps,
 * split into an entry file and chunks. What it does to stay small and start fast, and why:
 *
 * - `mainFields: ["module", "main"]`: the AWS SDK's ESM builds (`dist-es`) tree-shake; the default
 *   CommonJS resolution pulls in roughly twice the code.
 * - SDK clients only needed on rare paths (EC2 for fencing, S3 for reports, SNS for notifications,
 *   CloudWatch when the monitor's result carries no lag reading, Lambda for a switchover's WAL
 *   positions; Secrets Manager for the one-time bootstrap) are replaced by a small stand-in module with the same client and command classes.
 *   The real client is loaded with a dynamic `import()` (its own chunk) on the first `send`, so it
 *   costs nothing at cold start. The client object is still created once, at module scope.
 *   `@aws-sdk/client-ec2` alone is about 550 KB minified (its schema covers the whole EC2 API and
 *   does not tree-shake), and fencing is the only caller.
 * - `@aws-sdk/credential-provider-node` (the default chain: env, SSO, INI, process, web identity,
 *   IMDS, plus the STS/SSO clients they need) is replaced by its first link, `fromEnv`. Lambda always
 *   puts the execution role's credentials in `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
 *   `AWS_SESSION_TOKEN`, so the full chain would resolve to the same provider
 *   (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime).
 * - The SDK is bundled, not taken from the runtime: the runtime's copy is unpinned, and loading it
 *   unbundled from `node_modules` costs about half a second of cold start.
 *
 * esbuild runs its plugins (the stand-ins above) only through the asynchronous API, hence
 * `build` rather than `buildSync`; the program passes the promise to Pulumi as the code input.
 */
import { dirname, join, relative, resolve } from "node:path";
import * as esbuild from "esbuild";

/** The Lambda entry points under `lib/lambda/`. */
export const LAMBDA_ENTRIES = ["health-monitor", "failover"] as const;
export type LambdaEntry = (typeof LAMBDA_ENTRIES)[number];
/**
 * Every entry the stack deploys: the two engine functions (which the bench measures), the failover
 * workflow's step runner, the daily snapshot export and the restore test's check query
 * (`npm run build` writes them all).
 */
export const DEPLOYED_ENTRIES = [
  ...LAMBDA_ENTRIES,
  "step-runner",
  "snapshot-export",
  "restore-check",
] as const;
export type DeployedEntry = (typeof DEPLOYED_ENTRIES)[number];

/** `optimized`: what is deployed. `naive`: CommonJS, unminified, default resolution (the bench's baseline). */
export type BundleStyle = "optimized" | "naive";

/** Runtime of both functions (also the esbuild target). */
export const LAMBDA_RUNTIME = "nodejs22.x";
/** Handler of every function built from these bundles (`index.mjs` / `index.js`, export `handler`). */
export const LAMBDA_HANDLER = "index.handler";

/** An AWS SDK client loaded on first use, with the command classes the function code imports. */
export interface LazyClient {
  /** Package, e.g. `@aws-sdk/client-ec2`. */
  readonly packageName: string;
  /** The client class, e.g. `EC2Client`. */
  readonly client: string;
  /** Command classes the code constructs. A missing one fails the build ("No matching export"). */
  readonly commands: readonly string[];
}

const EC2: LazyClient = {
  packageName: "@aws-sdk/client-ec2",
  client: "EC2Client",
  commands: [
    "AuthorizeSecurityGroupIngressCommand",
    "DescribeSecurityGroupRulesCommand",
    "RevokeSecurityGroupIngressCommand",
  ],
};
const S3: LazyClient = {
  packageName: "@aws-sdk/client-s3",
  client: "S3Client",
  commands: ["GetObjectCommand", "ListObjectsV2Command", "PutObjectCommand"],
};
const SNS: LazyClient = {
  packageName: "@aws-sdk/client-sns",
  client: "SNSClient",
  commands: ["PublishCommand"],
};
const CLOUDWATCH: LazyClient = {
  packageName: "@aws-sdk/client-cloudwatch",
  client: "CloudWatchClient",
  commands: ["GetMetricDataCommand"],
};
const LAMBDA: LazyClient = {
  packageName: "@aws-sdk/client-lambda",
  client: "LambdaClient",
  commands: ["InvokeCommand"],
};
const SFN: LazyClient = {
  packageName: "@aws-sdk/client-sfn",
  client: "SFNClient",
  commands: ["DescribeExecutionCommand", "ListExecutionsCommand", "StartExecutionCommand"],
};
const SECRETS_MANAGER: LazyClient = {
  packageName: "@aws-sdk/client-secrets-manager",
  client: "SecretsManagerClient",
  commands: ["GetSecretValueCommand"],
};

/**
 * Clients each function loads on first use. The failover function's every evaluation reads RDS
 * and Route 53, so those load at start; it starts an execution (SFN) only when it decides to, and
 * its ports' acting clients (EC2, the monitor's Lambda) are the step runner's calls, never its own.
 * The step runner's every step reads RDS and Route 53 too. The health-monitor's every run signs IAM
 * tokens and talks PostgreSQL, and only the bootstrap reads Secrets Manager.
 */
export const LAZY_CLIENTS: Readonly<Record<DeployedEntry, readonly LazyClient[]>> = {
  failover: [EC2, S3, SNS, CLOUDWATCH, LAMBDA, SFN],
  "step-runner": [EC2, S3, SNS, CLOUDWATCH, LAMBDA],
  "health-monitor": [SECRETS_MANAGER],
  // Every run reads RDS and nothing else.
  "snapshot-export": [],
  // Signs an IAM token locally and talks PostgreSQL: no SDK client at all.
  "restore-check": [],
};

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Source of the stand-in module for `spec`: a client class that creates the real client on the
 * first `send` (from a dynamic import, so esbuild puts the SDK in its own chunk), and command
 * classes that only carry their input until then.
 */
export function lazyClientModule(spec: LazyClient): string {
  for (const name of [spec.client, ...spec.commands]) {
    if (!IDENTIFIER.test(name)) {
      throw new Error(
        `Lazy client ${spec.packageName}: ${JSON.stringify(name)} is not a class name; list the exported names of the package`,
      );
    }
  }
  const pkg = JSON.stringify(spec.packageName);
  return [
    "let sdk;",
    `const load = () => (sdk ??= import(${pkg}));`,
    `export class ${spec.client} {`,
    "  constructor(config) { this.config = config; this.real = undefined; }",
    "  async send(command, options) {",
    "    const real = await load();",
    `    this.real ??= new real.${spec.client}(this.config);`,
    "    return this.real.send(new real[command.commandName](command.input), options);",
    "  }",
    "  destroy() { this.real?.destroy(); }",
    "}",
    ...spec.commands.map(
      (c) =>
        `export class ${c} { constructor(input) { this.input = input; this.commandName = ${JSON.stringify(c)}; } }`,
    ),
    "",
  ].join("\n");
}

/** Source of the `@aws-sdk/credential-provider-node` stand-in: Lambda's credentials are in the environment. */
export const ENV_CREDENTIALS_MODULE =
  'export { fromEnv as defaultProvider } from "@aws-sdk/credential-provider-env";\n';

const STAND_IN = "tap-stand-in";

/** esbuild plugin that substitutes the stand-ins of `lazy` and the environment credential provider. */
export function standInPlugin(lazy: readonly LazyClient[], root: string): esbuild.Plugin {
  const byPackage = new Map(lazy.map((l) => [l.packageName, l]));
  return {
    name: STAND_IN,
    setup(build) {
      build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, (args) =>
        args.namespace === STAND_IN ? undefined : { path: args.path, namespace: STAND_IN },
      );
      build.onResolve({ filter: /^@aws-sdk\/client-[a-z0-9-]+$/ }, (args) =>
        // The stand-in's own import of the real package resolves normally.
        args.namespace === STAND_IN || !byPackage.has(args.path)
          ? undefined
          : { path: args.path, namespace: STAND_IN },
      );
      build.onLoad({ filter: /.*/, namespace: STAND_IN }, (args) => {
        const spec = byPackage.get(args.path);
        return {
          contents: spec === undefined ? ENV_CREDENTIALS_MODULE : lazyClientModule(spec),
          resolveDir: root,
          loader: "js",
        };
      });
    },
  };
}

/** One file of a bundle, with its path inside the function's archive. */
export interface BundleFile {
  readonly path: string;
  readonly text: string;
}

/** A built function package. */
export interface LambdaBundle {
  readonly entry: DeployedEntry;
  readonly style: BundleStyle;
  /** `index.mjs` (optimized) or `index.js` (naive). */
  readonly entryFile: string;
  readonly files: readonly BundleFile[];
  /** Files Node loads at cold start: the entry file and the chunks it imports statically. */
  readonly initFiles: readonly string[];
}

/**
 * What builds a function's package from its entry. The program deploys {@link buildLambdaBundle}'s
 * optimized bundles; the suite's whole-program tests inject a stand-in so that they do not bundle
 * on every synth (the real bundles are built and tested in `test/infra/bundle.test.ts`).
 */
export type Bundler = (entry: DeployedEntry) => Promise<LambdaBundle>;

/** Sizes of a bundle, in bytes (UTF-8). */
export interface BundleSizes {
  /** JavaScript loaded at cold start. */
  readonly initBytes: number;
  /** All JavaScript in the package, including chunks loaded on first use. */
  readonly totalBytes: number;
  /** Source maps. */
  readonly mapBytes: number;
}

/** The repository root (this file is `lib/infra/bundle.ts`). */
export const REPO_ROOT = resolve(__dirname, "..", "..");

/** esbuild options of one style (exported for the tests). */
export function buildOptions(entry: DeployedEntry, style: BundleStyle, root: string): esbuild.BuildOptions {
  const common: esbuild.BuildOptions = {
    entryPoints: { index: join(root, "lib", "lambda", entry, "index.ts") },
    bundle: true,
    platform: "node",
    target: "node22",
    write: false,
    metafile: true,
    outdir: join(root, "dist", entry),
    absWorkingDir: root,
    logLevel: "silent",
  };
  if (style === "naive") return { ...common, format: "cjs" };
  return {
    ...common,
    format: "esm",
    splitting: true,
    minify: true,
    sourcemap: true,
    // Stack traces need only the mappings; the sources are in the repository.
    sourcesContent: false,
    mainFields: ["module", "main"],
    outExtension: { ".js": ".mjs" },
    chunkNames: "chunks/[name]-[hash]",
    // CommonJS dependencies (pg, parts of the SDK) call require() for Node built-ins, which ESM
    // output does not define.
    banner: {
      js: 'import{createRequire as __tapRequire}from"node:module";const require=__tapRequire(import.meta.url);',
    },
    plugins: [standInPlugin(LAZY_CLIENTS[entry], root)],
  };
}

const cache = new Map<string, Promise<LambdaBundle>>();

/**
 * Builds `entry` in `style` (memoised per process: the program uses the monitor bundle twice).
 * Rejects with esbuild's messages when the code does not build.
 */
export function buildLambdaBundle(
  entry: DeployedEntry,
  style: BundleStyle = "optimized",
  root: string = REPO_ROOT,
): Promise<LambdaBundle> {
  const key = `${root}|${entry}|${style}`;
  let pending = cache.get(key);
  if (pending === undefined) {
    pending = build(entry, style, root);
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
  }
  return pending;
}

async function build(entry: DeployedEntry, style: BundleStyle, root: string): Promise<LambdaBundle> {
  const options = buildOptions(entry, style, root);
  let result: esbuild.BuildResult<{ write: false; metafile: true }>;
  try {
    result = (await esbuild.build(options)) as esbuild.BuildResult<{ write: false; metafile: true }>;
  } catch (error) {
    const messages = (error as { errors?: esbuild.Message[] }).errors ?? [];
    const detail = messages
      .map((m) => `${m.location ? `${m.location.file}:${m.location.line}: ` : ""}${m.text}`)
      .join("\n");
    throw new Error(`Bundling lib/lambda/${entry} (${style}) failed:\n${detail || String(error)}`, {
      cause: error,
    });
  }
  const outdir = options.outdir as string;
  const rel = (absolute: string): string => relative(outdir, absolute).split("\\").join("/");
  const files = result.outputFiles
    .map((f) => ({ path: rel(f.path), text: f.text }))
    .sort((a, b) => a.path.localeCompare(b.path));
  const entryFile = style === "naive" ? "index.js" : "index.mjs";
  const outputs = result.metafile.outputs;
  const byRel = new Map(Object.keys(outputs).map((k) => [rel(resolve(root, k)), k]));
  const init = new Set<string>();
  const visit = (file: string): void => {
    if (init.has(file)) return;
    init.add(file);
    const meta = outputs[byRel.get(file) ?? ""];
    for (const imp of meta?.imports ?? []) {
      if (imp.kind === "import-statement" && !imp.external) visit(rel(resolve(root, imp.path)));
    }
  };
  visit(entryFile);
  if (!files.some((f) => f.path === entryFile)) {
    throw new Error(
      `Bundling lib/lambda/${entry} produced no ${entryFile} (got ${files.map((f) => f.path).join(", ")})`,
    );
  }
  return { entry, style, entryFile, files, initFiles: [...init].sort() };
}

/** Sizes of `bundle` (see {@link BundleSizes}). */
export function bundleSizes(bundle: LambdaBundle): BundleSizes {
  const init = new Set(bundle.initFiles);
  let initBytes = 0;
  let totalBytes = 0;
  let mapBytes = 0;
  for (const f of bundle.files) {
    const bytes = Buffer.byteLength(f.text);
    if (f.path.endsWith(".map")) mapBytes += bytes;
    else {
      totalBytes += bytes;
      if (init.has(f.path)) initBytes += bytes;
    }
  }
  return { initBytes, totalBytes, mapBytes };
}

/** Directory a bundle's files are written to by `npm run build`: `dist/<entry>/`. */
export function distDirectory(entry: DeployedEntry, root: string = REPO_ROOT): string {
  return join(root, "dist", entry);
}

/** Absolute paths of `bundle`'s files under `directory` (for writing them out). */
export function filePaths(bundle: LambdaBundle, directory: string): { path: string; text: string }[] {
  return bundle.files.map((f) => ({ path: join(directory, f.path), text: f.text }));
}

/** Parent directories that must exist before {@link filePaths} can be written. */
export function directoriesOf(paths: readonly { path: string }[]): string[] {
  return [...new Set(paths.map((p) => dirname(p.path)))].sort();
}
