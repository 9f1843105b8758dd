import { freePort } from "../../../lib/drill/cluster";
import { ConfigurationError, InvalidEventError } from "../../../lib/lambda/core/errors";

type EntryModule = typeof import("../../../lib/lambda/restore-check/index");

const ENV = {
  DB_PORT: "5432",
  DB_NAME: "appdb",
  MONITOR_DB_USER: "dr_monitor",
  CONTROL_REGION: "ap-southeast-1",
  RESTORE_TEST_MIN_ROWS: "1",
  ENVIRONMENT_SUFFIX: "dev",
  // Static credentials: the IAM token is signed locally, no call leaves the machine.
  AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};

/** A fresh copy of the entry module with `env` as the function's environment. */
function loadEntry(env: Record<string, string | undefined>): EntryModule {
  const saved = { ...process.env };
  Object.assign(process.env, env, { POWERTOOLS_LOG_LEVEL: "SILENT" });
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    let loaded: EntryModule | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<EntryModule>("../../../lib/lambda/restore-check/index");
    });
    return loaded!;
  } finally {
    process.env = saved;
  }
}

describe("restore-check entry module", () => {
  // The module is loaded in its own registry, so its error classes are other instances: compare names.
  it("fails the cold start when the environment is incomplete", () => {
    const load = () => loadEntry({ ...ENV, RESTORE_TEST_MIN_ROWS: undefined });
    expect(load).toThrow(expect.objectContaining({ name: ConfigurationError.name }));
    expect(load).toThrow(/RESTORE_TEST_MIN_ROWS is missing/);
  });

  it("refuses a bad event before connecting", async () => {
    const { handler } = loadEntry(ENV);
    await expect(handler({ host: "https://db" })).rejects.toMatchObject({ name: InvalidEventError.name });
  });

  it("connects with an IAM token over TLS and fails as RestoreCheckFailed when nothing answers", async () => {
    const { handler } = loadEntry(ENV);
    const port = await freePort();
    await expect(handler({ host: "127.0.0.1", port })).rejects.toMatchObject({
      name: "RestoreCheckFailed",
      message: expect.stringMatching(
        new RegExp(`^Cannot connect to 127\\.0\\.0\\.1:${port}/appdb as dr_monitor: `),
      ),
    });
  });
});
