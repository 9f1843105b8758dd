/**
 * Bundling: every deployed entry builds (the only place the suite bundles: whole-program tests use
 * `test/support/stand-in-bundle.ts`), the stand-in module's source, that the deployed failover
 * bundle keeps the rarely used SDK clients out of what loads at start, and that a stand-in really
 * calls the real client.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import {
  DEPLOYED_ENTRIES,
  LAZY_CLIENTS,
  REPO_ROOT,
  buildLambdaBundle,
  bundleSizes,
  lazyClientModule,
  standInPlugin,
} from "../../lib/infra/bundle";

describe("lazyClientModule", () => {
  it("exports the client and each command; the real package is imported on first send", () => {
    const source = lazyClientModule({
      packageName: "@aws-sdk/client-sns",
      client: "SNSClient",
      commands: ["PublishCommand"],
    });
    expect(source.split("\n")).toEqual([
      "let sdk;",
      'const load = () => (sdk ??= import("@aws-sdk/client-sns"));',
      "export class SNSClient {",
      "  constructor(config) { this.config = config; this.real = undefined; }",
      "  async send(command, options) {",
      "    const real = await load();",
      "    this.real ??= new real.SNSClient(this.config);",
      "    return this.real.send(new real[command.commandName](command.input), options);",
      "  }",
      "  destroy() { this.real?.destroy(); }",
      "}",
      'export class PublishCommand { constructor(input) { this.input = input; this.commandName = "PublishCommand"; } }',
      "",
    ]);
  });

  it.each([
    ["a client name with a dot", "SNS.Client", ["PublishCommand"]],
    ["a command name with a space", "SNSClient", ["Publish Command"]],
  ])("refuses %s", (_label, client, commands) => {
    expect(() => lazyClientModule({ packageName: "@aws-sdk/client-sns", client, commands })).toThrow(
      /^Lazy client @aws-sdk\/client-sns: ".*" is not a class name; list the exported names of the package$/,
    );
  });

  it("lazy-loads exactly the rare-path clients of each function", () => {
    expect(LAZY_CLIENTS.failover.map((c) => c.packageName)).toEqual([
      "@aws-sdk/client-ec2",
      "@aws-sdk/client-s3",
      "@aws-sdk/client-sns",
      "@aws-sdk/client-cloudwatch",
      "@aws-sdk/client-lambda",
      "@aws-sdk/client-sfn",
    ]);
    expect(LAZY_CLIENTS["step-runner"].map((c) => c.packageName)).toEqual([
      "@aws-sdk/client-ec2",
      "@aws-sdk/client-s3",
      "@aws-sdk/client-sns",
      "@aws-sdk/client-cloudwatch",
      "@aws-sdk/client-lambda",
    ]);
    expect(LAZY_CLIENTS["health-monitor"].map((c) => c.packageName)).toEqual([
      "@aws-sdk/client-secrets-manager",
    ]);
  });
});

describe("every deployed entry", () => {
  it.each([...DEPLOYED_ENTRIES])(
    "%s builds to an ESM package: index.mjs exports handler, with its source map",
    async (entry) => {
      const bundle = await buildLambdaBundle(entry, "optimized");
      const paths = bundle.files.map((f) => f.path);
      expect([bundle.entryFile, paths.includes("index.mjs"), paths.includes("index.mjs.map")]).toEqual([
        "index.mjs",
        true,
        true,
      ]);
      expect(bundle.initFiles).toContain("index.mjs");
      const index = bundle.files.find((f) => f.path === "index.mjs")?.text ?? "";
      expect(index).toMatch(/export\s*\{[^}]*\bas handler\b|export\s*\{[^}]*\bhandler\b/);
    },
  );
});

describe("the deployed failover bundle", () => {
  it("is ESM with a source map, and loads EC2, S3, SNS and Lambda only from chunks", async () => {
    const bundle = await buildLambdaBundle("failover", "optimized");
    expect(bundle.entryFile).toBe("index.mjs");
    const paths = bundle.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(["index.mjs", "index.mjs.map"]));
    const initText = bundle.files
      .filter((f) => bundle.initFiles.includes(f.path))
      .map((f) => f.text)
      .join("\n");
    const allText = bundle.files.map((f) => f.text).join("\n");
    // Operation names and endpoint fragments only the real EC2, S3, SNS and Lambda clients carry.
    for (const marker of [
      "AcceptAddressTransfer",
      // Not AuthorizeSecurityGroupIngress: the fence's undo names it in the stand-in's exports.
      "AllocateHosts",
      "s3-object-lambda",
      "PublishBatch",
      "GetFunctionUrlConfig",
    ]) {
      expect({ marker, atStart: initText.includes(marker) }).toEqual({ marker, atStart: false });
      expect({ marker, packaged: allText.includes(marker) }).toEqual({ marker, packaged: true });
    }
    const sizes = bundleSizes(bundle);
    expect(sizes.initBytes).toBeLessThan(sizes.totalBytes);
  });
});

describe("a stand-in client in a bundle", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "tap-bundle-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("loads the real client on the first send and returns its parsed answer", async () => {
    const entry = join(dir, "entry.mjs");
    // A request handler in place of HTTP: it records the request and answers like SNS does.
    writeFileSync(
      entry,
      [
        'import { Readable } from "node:stream";',
        'import { SNSClient, PublishCommand } from "@aws-sdk/client-sns";',
        "const requests = [];",
        "const client = new SNSClient({",
        '  region: "ap-southeast-1",',
        '  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },',
        "  requestHandler: { handle: async (request) => {",
        "    requests.push({ hostname: request.hostname, body: String(request.body) });",
        "    const xml = '<PublishResponse><PublishResult><MessageId>m-42</MessageId></PublishResult></PublishResponse>';",
        "    return { response: { statusCode: 200, headers: { 'content-type': 'text/xml' }, body: Readable.from([Buffer.from(xml)]) } };",
        "  } },",
        "});",
        'const out = await client.send(new PublishCommand({ TopicArn: "arn:aws:sns:ap-southeast-1:123456789012:t", Message: "hello" }));',
        "console.log(JSON.stringify({ messageId: out.MessageId, requests }));",
      ].join("\n"),
    );
    await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      platform: "node",
      format: "esm",
      splitting: true,
      outdir: join(dir, "out"),
      outExtension: { ".js": ".mjs" },
      mainFields: ["module", "main"],
      nodePaths: [join(REPO_ROOT, "node_modules")],
      banner: { js: 'import{createRequire as __r}from"node:module";const require=__r(import.meta.url);' },
      plugins: [standInPlugin(LAZY_CLIENTS.failover, REPO_ROOT)],
      logLevel: "silent",
    });
    const run = spawnSync(process.execPath, [join(dir, "out", "entry.mjs")], {
      encoding: "utf8",
      env: { ...process.env, NODE_NO_WARNINGS: "1" },
    });
    expect(run.stderr).toBe("");
    const result = JSON.parse(run.stdout) as {
      messageId: string;
      requests: { hostname: string; body: string }[];
    };
    expect(result.messageId).toBe("m-42");
    expect(result.requests).toHaveLength(1);
    expect(result.requests[0].hostname).toBe("sns.ap-southeast-1.amazonaws.com");
    expect(result.requests[0].body).toContain("Action=Publish");
    expect(result.requests[0].body).toContain("Message=hello");
  });
});
