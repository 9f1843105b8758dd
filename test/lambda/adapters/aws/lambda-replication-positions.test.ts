import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import {
  LambdaReplicationPositions,
  REPLICATION_POSITIONS_PAYLOAD,
  validateReplicationPositions,
} from "../../../../lib/lambda/adapters/aws/lambda-replication-positions";
import { ConfigurationError } from "../../../../lib/lambda/core/errors";
import { parseMonitorEvent } from "../../../../lib/lambda/health-monitor/events";
import { awsError, FakeClock, networkError } from "./fake-clock";

const lambda = mockClient(LambdaClient);
const MONITOR = "lambda-health-monitor-dev";
const NOW = Date.UTC(2026, 10, 25, 10, 0, 0);

const POSITIONS = {
  atMs: NOW - 40,
  primaryLsn: "0/3000060",
  primaryStartedAtMs: NOW - 86_400_000,
  replicaReplayLsn: "0/3000028",
};

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** An Invoke answer as the SDK hands it back (Payload as bytes). */
function answer(
  fields: Partial<Omit<InvokeCommandOutput, "Payload">> & { payload?: string },
): InvokeCommandOutput {
  const { payload, ...rest } = fields;
  return {
    $metadata: {},
    ...rest,
    ...(payload === undefined ? {} : { Payload: bytes(payload) as InvokeCommandOutput["Payload"] }),
  };
}

function adapter(): LambdaReplicationPositions {
  return new LambdaReplicationPositions(
    MONITOR,
    new LambdaClient({ region: "ap-southeast-1" }),
    new FakeClock(NOW),
  );
}

/** What a failed read must look like: both positions unknown, the same reason on both sides. */
function unread(detail: string): Record<string, unknown> {
  return {
    atMs: NOW,
    primaryLsn: null,
    primaryStartedAtMs: null,
    primaryDetail: detail,
    replicaReplayLsn: null,
    replicaDetail: detail,
  };
}

beforeEach(() => lambda.reset());

describe("LambdaReplicationPositions", () => {
  it("invokes the monitor synchronously with exactly the request it accepts", async () => {
    lambda.on(InvokeCommand).resolves(answer({ StatusCode: 200, payload: JSON.stringify(POSITIONS) }));
    await expect(adapter().replicationPositions(8_000)).resolves.toEqual(POSITIONS);
    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(Object.keys(input).sort()).toEqual(["FunctionName", "InvocationType", "Payload"]);
    expect(input.FunctionName).toBe(MONITOR);
    expect(input.InvocationType).toBe("RequestResponse");
    const sent = new TextDecoder().decode(input.Payload as Uint8Array);
    expect(sent).toBe('{"action":"replication-positions"}');
    // The same contract on both sides: the monitor's parser takes exactly this payload.
    expect(parseMonitorEvent(JSON.parse(sent))).toEqual({ kind: "replication-positions" });
    expect(REPLICATION_POSITIONS_PAYLOAD).toEqual({ action: "replication-positions" });
  });

  it("passes a side the monitor could not read through with its detail", async () => {
    const partial = {
      atMs: NOW - 40,
      primaryLsn: null,
      primaryStartedAtMs: null,
      primaryDetail: "timeout after 3000 ms",
      replicaReplayLsn: "0/3000028",
    };
    lambda.on(InvokeCommand).resolves(answer({ StatusCode: 200, payload: JSON.stringify(partial) }));
    await expect(adapter().replicationPositions(8_000)).resolves.toEqual(partial);
  });

  const failures: [situation: string, reply: () => void, detail: string][] = [
    [
      "an SDK error after its retries (throttled)",
      () =>
        void lambda.on(InvokeCommand).rejects(awsError("TooManyRequestsException", "Rate Exceeded.", 429)),
      `invoking ${MONITOR} failed: TooManyRequestsException: Rate Exceeded. (HTTP 429)`,
    ],
    [
      "no answer from the Lambda endpoint",
      () => void lambda.on(InvokeCommand).rejects(networkError("ETIMEDOUT")),
      `invoking ${MONITOR} failed: ETIMEDOUT: connect ETIMEDOUT 10.0.0.1:443`,
    ],
    [
      "the monitor function does not exist",
      () =>
        void lambda
          .on(InvokeCommand)
          .rejects(awsError("ResourceNotFoundException", `Function not found: ${MONITOR}`, 404)),
      `invoking ${MONITOR} failed: ResourceNotFoundException: Function not found: ${MONITOR} (HTTP 404)`,
    ],
    [
      "a status other than 200",
      () => void lambda.on(InvokeCommand).resolves(answer({ StatusCode: 202 })),
      `${MONITOR} answered with status 202, expected 200 (RequestResponse)`,
    ],
    [
      "no status at all",
      () => void lambda.on(InvokeCommand).resolves(answer({ payload: JSON.stringify(POSITIONS) })),
      `${MONITOR} answered with status undefined, expected 200 (RequestResponse)`,
    ],
    [
      "a function error with the runtime's error object",
      () =>
        void lambda.on(InvokeCommand).resolves(
          answer({
            StatusCode: 200,
            FunctionError: "Unhandled",
            payload: JSON.stringify({
              errorType: "InvalidEventError",
              errorMessage: "Refused the health-monitor event: x. Nothing was done.",
              trace: ["at parse"],
            }),
          }),
        ),
      `${MONITOR} failed (FunctionError "Unhandled"): InvalidEventError: Refused the health-monitor event: x. Nothing was done.`,
    ],
    [
      "a function error with a bare text payload",
      () =>
        void lambda.on(InvokeCommand).resolves(
          answer({
            StatusCode: 200,
            FunctionError: "Unhandled",
            payload: "Task timed out after 10.00 seconds",
          }),
        ),
      `${MONITOR} failed (FunctionError "Unhandled"): "Task timed out after 10.00 seconds"`,
    ],
    [
      "a function error without payload",
      () => void lambda.on(InvokeCommand).resolves(answer({ StatusCode: 200, FunctionError: "Unhandled" })),
      `${MONITOR} failed (FunctionError "Unhandled"): no payload`,
    ],
    [
      "a payload that is not JSON",
      () => void lambda.on(InvokeCommand).resolves(answer({ StatusCode: 200, payload: "<html>oops</html>" })),
      `${MONITOR} answered with a payload that is not JSON: "<html>oops</html>"`,
    ],
    [
      "no payload",
      () => void lambda.on(InvokeCommand).resolves(answer({ StatusCode: 200 })),
      `${MONITOR} answered with a payload that is not JSON: ""`,
    ],
    [
      "a monitor run's result instead of positions",
      () =>
        void lambda
          .on(InvokeCommand)
          .resolves(answer({ StatusCode: 200, payload: JSON.stringify({ runId: "r", primaryProbes: [] }) })),
      `${MONITOR} answered with a payload that is not WAL positions (unexpected keys "runId", "primaryProbes")`,
    ],
  ];
  it.each(failures)(
    "%s: both positions unknown, with the reason, never a throw",
    async (_s, reply, detail) => {
      reply();
      await expect(adapter().replicationPositions(8_000)).resolves.toEqual(unread(detail));
    },
  );

  it("quotes at most 300 characters of a long answer", async () => {
    lambda.on(InvokeCommand).resolves(answer({ StatusCode: 200, payload: "x".repeat(1_000) }));
    const positions = await adapter().replicationPositions(8_000);
    expect(positions.primaryDetail).toBe(
      `${MONITOR} answered with a payload that is not JSON: "${"x".repeat(300)}..."`,
    );
  });

  it("refuses an empty function name, naming the variable", () => {
    expect(() => new LambdaReplicationPositions(" ", new LambdaClient({}), new FakeClock(0))).toThrow(
      ConfigurationError,
    );
    expect(() => new LambdaReplicationPositions("", new LambdaClient({}), new FakeClock(0))).toThrow(
      "set MONITOR_FUNCTION_NAME",
    );
  });
});

describe("validateReplicationPositions", () => {
  const good: [situation: string, value: unknown][] = [
    ["both positions", POSITIONS],
    [
      "the replica has replayed nothing",
      { ...POSITIONS, replicaReplayLsn: null, replicaDetail: "no replay yet" },
    ],
    ["upper-case hex", { ...POSITIONS, primaryLsn: "1A/FF00AB12" }],
    ["an unknown postmaster start", { ...POSITIONS, primaryStartedAtMs: null }],
  ];
  it.each(good)("accepts %s", (_s, value) => expect(validateReplicationPositions(value)).toEqual(value));

  const bad: [situation: string, value: unknown, problem: string][] = [
    ["null", null, "expected an object, got null"],
    ["an array", [POSITIONS], "expected an object, got an array"],
    ["a string", "0/3000060", "expected an object, got string"],
    ["an unknown key", { ...POSITIONS, lagSeconds: 0 }, 'unexpected keys "lagSeconds"'],
    ["missing keys", { atMs: 1, primaryLsn: "0/1" }, 'missing keys "primaryStartedAtMs", "replicaReplayLsn"'],
    [
      "atMs as text",
      { ...POSITIONS, atMs: "1764064800000" },
      'atMs must be epoch milliseconds, got "1764064800000"',
    ],
    ["negative atMs", { ...POSITIONS, atMs: -1 }, "atMs must be epoch milliseconds, got -1"],
    [
      "a number as LSN",
      { ...POSITIONS, primaryLsn: 50331744 },
      'primaryLsn must be null or a WAL position like "0/3000060", got 50331744',
    ],
    [
      "an LSN without its slash",
      { ...POSITIONS, replicaReplayLsn: "03000060" },
      'replicaReplayLsn must be null or a WAL position like "0/3000060", got "03000060"',
    ],
    [
      "an LSN part wider than 32 bits",
      { ...POSITIONS, primaryLsn: "123456789/0" },
      'primaryLsn must be null or a WAL position like "0/3000060", got "123456789/0"',
    ],
    [
      "a start time as a date string",
      { ...POSITIONS, primaryStartedAtMs: "2026-11-24T10:00:00Z" },
      'primaryStartedAtMs must be null or epoch milliseconds, got "2026-11-24T10:00:00Z"',
    ],
    [
      "a detail that is not text",
      { ...POSITIONS, primaryDetail: { code: "ETIMEDOUT" } },
      'primaryDetail must be a string when present, got {"code":"ETIMEDOUT"}',
    ],
  ];
  it.each(bad)("refuses %s", (_s, value, problem) =>
    expect(validateReplicationPositions(value)).toBe(problem),
  );
});
