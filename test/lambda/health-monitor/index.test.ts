import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { ConfigurationError, InvalidEventError } from "../../../lib/lambda/core/errors";
import { MONITOR_ENV_FIXTURE } from "./fixtures";

type EntryModule = typeof import("../../../lib/lambda/health-monitor/index");
const secretsMock = mockClient(SecretsManagerClient);

/** Loads a fresh copy of the entry module with `env` as the function's environment. */
function loadEntry(env: Record<string, string | undefined>): EntryModule {
  const saved = { ...process.env };
  Object.assign(process.env, env, { POWERTOOLS_LOG_LEVEL: "SILENT" });
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    let loaded: EntryModule | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<EntryModule>("../../../lib/lambda/health-monitor/index");
    });
    return loaded!;
  } finally {
    process.env = saved;
  }
}

afterEach(() => secretsMock.reset());

describe("health-monitor entry module", () => {
  // The module is loaded in its own registry, so its error classes are other instances: compare names.
  it("fails the cold start inside Lambda when the RDS CA bundle is not trusted", () => {
    const load = () =>
      loadEntry({
        ...MONITOR_ENV_FIXTURE,
        AWS_LAMBDA_FUNCTION_NAME: "health-monitor-dev",
        NODE_EXTRA_CA_CERTS: undefined,
      });
    expect(load).toThrow(expect.objectContaining({ name: ConfigurationError.name }));
    expect(load).toThrow(/NODE_EXTRA_CA_CERTS="" is not valid: set it to \/var\/runtime\/ca-cert\.pem/);
  });

  it("refuses a bad event without reading the secret", async () => {
    const { handler } = loadEntry(MONITOR_ENV_FIXTURE);
    await expect(handler({ action: "bootstrap", force: true })).rejects.toMatchObject({
      name: InvalidEventError.name,
    });
    expect(secretsMock.calls()).toHaveLength(0);
  });
});
