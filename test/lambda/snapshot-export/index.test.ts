import type { RDSClient } from "@aws-sdk/client-rds";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { ConfigurationError, InvalidEventError } from "../../../lib/lambda/core/errors";
import { EXPORT_ENV_FIXTURE } from "./fixtures";

type EntryModule = typeof import("../../../lib/lambda/snapshot-export/index");
type RdsMock = AwsClientStub<RDSClient>;

/**
 * Loads a fresh copy of the entry module with `env` as the function's environment. The module gets
 * its own registry, hence its own RDSClient class: the mock is made on that class, inside the registry.
 */
function loadEntry(env: Record<string, string | undefined>): EntryModule & { rdsMock: RdsMock } {
  const saved = { ...process.env };
  Object.assign(process.env, env, { POWERTOOLS_LOG_LEVEL: "SILENT" });
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    let loaded: (EntryModule & { rdsMock: RdsMock }) | undefined;
    jest.isolateModules(() => {
      const sdk = jest.requireActual<typeof import("@aws-sdk/client-rds")>("@aws-sdk/client-rds");
      const mocks = jest.requireActual<typeof import("aws-sdk-client-mock")>("aws-sdk-client-mock");
      const rdsMock = mocks.mockClient(sdk.RDSClient);
      rdsMock.onAnyCommand().resolves({});
      const entry = jest.requireActual<EntryModule>("../../../lib/lambda/snapshot-export/index");
      loaded = { ...entry, rdsMock };
    });
    return loaded!;
  } finally {
    process.env = saved;
  }
}

describe("snapshot-export entry module", () => {
  // The module is loaded in its own registry, so its error classes are other instances: compare names.
  it("fails the cold start when the environment is incomplete", () => {
    const load = () => loadEntry({ ...EXPORT_ENV_FIXTURE, EXPORT_ROLE_ARN: undefined });
    expect(load).toThrow(expect.objectContaining({ name: ConfigurationError.name }));
    expect(load).toThrow(/EXPORT_ROLE_ARN is missing: set it to an IAM role ARN/);
  });

  it("refuses a bad event without calling RDS", async () => {
    const { handler, rdsMock } = loadEntry(EXPORT_ENV_FIXTURE);
    await expect(handler({ action: "export-now", requestedBy: "ops", force: true })).rejects.toMatchObject({
      name: InvalidEventError.name,
    });
    expect(rdsMock.calls()).toHaveLength(0);
  });

  it("calls RDS in the writer's region and writes the export metrics as EMF", async () => {
    const { handler, rdsMock } = loadEntry(EXPORT_ENV_FIXTURE);
    const written: string[] = [];
    const stdout = jest.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const result = await handler({ action: "export-now", requestedBy: "ops" }).finally(() =>
      stdout.mockRestore(),
    );
    // One EMF line in the stack's namespace with Environment as the only dimension, which is what
    // the export alarms will read.
    const emf = written.map((line) => JSON.parse(line)).find((line) => line._aws !== undefined);
    expect(emf._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: "TapStack",
        Dimensions: [["Environment"]],
        Metrics: [{ Name: "SnapshotExportFailed", Unit: "Count" }],
      },
    ]);
    expect(emf).toMatchObject({ Environment: "dev", SnapshotExportFailed: 0 });
    expect(result).toMatchObject({ action: "skipped", snapshotId: null });
    const [first] = rdsMock.calls();
    expect(first.args[0].input).toEqual({
      DBInstanceIdentifier: "rds-primary-dev",
      SnapshotType: "automated",
      MaxRecords: 100,
    });
    expect(await (first.thisValue as { config: { region: () => Promise<string> } }).config.region()).toBe(
      "ap-southeast-2",
    );
  });
});
