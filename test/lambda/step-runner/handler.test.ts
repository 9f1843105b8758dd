import { ControlPlaneError, WaitTimeoutError } from "../../../lib/lambda/core/errors";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import type { Ports } from "../../../lib/lambda/core/ports";
import type { InstanceView } from "../../../lib/lambda/core/types";
import { STEP_ERRORS, StepError, initialRun, type WorkflowInput } from "../../../lib/lambda/core/workflow";
import { createStepRunnerHandler, stepErrorOf } from "../../../lib/lambda/step-runner/handler";
import { awsError, networkError } from "../adapters/aws/fake-clock";

const NOW_MS = Date.UTC(2026, 3, 1, 10, 0, 0);
const CLUSTER = { primaryInstanceId: "rds-primary-dev", replicaInstanceId: "rds-replica-dev" };
const INCIDENT = "failover-rds-replica-dev-20260401T0959";

const primary: InstanceView = {
  id: "rds-primary-dev",
  role: "primary",
  status: "failed",
  isReplica: false,
  apiReachable: true,
};
const replica: InstanceView = {
  id: "rds-replica-dev",
  role: "replica",
  status: "available",
  endpoint: "rds-replica-dev.abc.ap-southeast-1.rds.amazonaws.com",
  isReplica: true,
  apiReachable: true,
};

const INPUT: WorkflowInput = {
  version: 1,
  incident: INCIDENT,
  action: "failover",
  approval: "none",
  cluster: CLUSTER,
  decision: {
    kind: "promote-replica",
    reason: "the primary failed 3 probes and its alarm is in ALARM",
    steps: ["notify-start", "fence-old-primary", "promote-replica", "wait-replica-writable"],
    planned: false,
    decidedAtMs: NOW_MS - 1000,
    failureStartedAtMs: NOW_MS - 60_000,
    detectedAtMs: NOW_MS - 2000,
  },
  observed: {
    takenAtMs: NOW_MS - 1500,
    writerTarget: "rds-primary-dev.abc.ap-southeast-2.rds.amazonaws.com",
    lastHealthyLagSeconds: 1.5,
    primary,
    replica,
    restored: {
      id: "rds-restored-dev",
      role: "primary",
      status: "not-found",
      isReplica: false,
      apiReachable: true,
    },
  },
  timeline: [{ atMs: NOW_MS - 1000, event: "decision", detail: "promote-replica" }],
  reportKind: "failover",
  limits: {
    promotionTimeoutSeconds: 2700,
    catchUpTimeoutSeconds: 420,
    dnsTimeoutSeconds: 120,
    approvalTimeoutSeconds: 86_400,
    restoreTimeoutSeconds: 10_800,
  },
  requestedBy: null,
};

const EXECUTION = {
  name: INCIDENT,
  id: `arn:aws:states:ap-southeast-1:123456789012:execution:sfn-failover-dev:${INCIDENT}`,
};

function request(step: string, changes: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    step,
    execution: EXECUTION,
    input: INPUT,
    ...(step === "begin" ? {} : { run: initialRun(INPUT) }),
    ...changes,
  };
}

/** Ports whose every use is recorded; `describe` is what the promote step calls first. */
function fakes(describe: () => Promise<InstanceView> = () => Promise.resolve(replica)) {
  const used: string[] = [];
  const record =
    (port: string) =>
    (..._args: unknown[]): Promise<never> => {
      used.push(port);
      return Promise.reject(new Error(`${port} is not expected here`));
    };
  const ports = {
    clock: { nowMs: () => NOW_MS, sleep: () => Promise.resolve() },
    control: {
      describe: (...args: unknown[]) => {
        used.push(`control.describe(${String(args[0])})`);
        return describe();
      },
      fencePrimary: record("control.fencePrimary"),
      promoteReplica: record("control.promoteReplica"),
    },
    dns: { read: record("dns.read"), setWriter: record("dns.setWriter") },
    notifier: { notify: record("notifier.notify") },
    reports: { put: record("reports.put") },
    alerts: { claim: record("alerts.claim") },
  } as unknown as Ports;
  const logger = {
    info: jest.fn(),
    warn: jest.fn(),
    error: jest.fn(),
    appendKeys: jest.fn(),
    addContext: jest.fn(),
  };
  const handler = createStepRunnerHandler({
    cluster: CLUSTER,
    policy: DEFAULT_POLICY,
    region: "ap-southeast-1",
    ports,
    logger,
  });
  return { handler, used, logger };
}

async function failureOf(promise: Promise<unknown>): Promise<StepError> {
  const error = await promise.then(
    () => {
      throw new Error("the step succeeded");
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StepError);
  return error as StepError;
}

describe("step runner handler", () => {
  it("answers Begin with the input unchanged and the execution's first run state", async () => {
    const { handler, used, logger } = fakes();
    const response = await handler(request("begin"));
    expect(response).toEqual({
      input: INPUT,
      run: {
        ...initialRun(INPUT),
        timeline: [
          ...INPUT.timeline,
          {
            atMs: NOW_MS,
            event: "workflow-started",
            detail: `Execution ${INCIDENT} started: notify-start → fence-old-primary → promote-replica → wait-replica-writable.`,
          },
        ],
      },
    });
    expect(used).toEqual([]);
    expect(logger.appendKeys).toHaveBeenCalledWith({ step: "begin", execution: INCIDENT });
  });

  const refusals: [situation: string, payload: unknown, message: string][] = [
    [
      "a payload that is not an object",
      "begin",
      'Refused the step request: it must be an object, got "begin". Nothing was done.',
    ],
    ["an unknown step", request("promote"), "step must be one of begin, request-approval,"],
    [
      "no execution",
      request("begin", { execution: undefined }),
      "execution must be the execution's name and id, got nothing",
    ],
    [
      "an input of another version",
      request("begin", { input: { ...INPUT, version: 2 } }),
      "Refused the workflow input: version must be 1, got 2. Nothing was done.",
    ],
    [
      "a step without the run state",
      request("promote-replica", { run: undefined }),
      "run must be the run state of an earlier task",
    ],
    [
      "an approval request without its token",
      request("request-approval"),
      "taskToken must be the task token, got nothing",
    ],
    [
      "an input for another cluster",
      request("promote-replica", {
        input: { ...INPUT, cluster: { ...CLUSTER, replicaInstanceId: "rds-replica-prod" } },
      }),
      'it is for the cluster "rds-primary-dev" → "rds-replica-prod", this step runner serves rds-primary-dev → rds-replica-dev',
    ],
    [
      "an execution not named after its incident",
      request("promote-replica", { execution: { ...EXECUTION, name: "failover-other" } }),
      `the execution "failover-other" is not named after its incident ${INCIDENT}`,
    ],
  ];
  it.each(refusals)("refuses %s with InputRefused, touching nothing", async (_s, payload, message) => {
    const { handler, used, logger } = fakes();
    const error = await failureOf(handler(payload));
    expect(error.name).toBe(STEP_ERRORS.inputRefused);
    expect(error.message).toContain(message);
    expect(used).toEqual([]);
    expect(logger.error).toHaveBeenCalledWith("Step failed", {
      step: "unknown",
      error: "InputRefused",
      message: error.message,
    });
  });

  const failures: [situation: string, error: Error, name: string][] = [
    ["a throttle", awsError("Throttling", "Rate exceeded", 400), STEP_ERRORS.retryable],
    ["a 5xx", awsError("InternalFailure", "internal error", 500), STEP_ERRORS.retryable],
    [
      "a network error under a wrapper",
      new ControlPlaneError("describe failed", { cause: networkError("ECONNRESET") }),
      STEP_ERRORS.retryable,
    ],
    ["a wait that ran out", new WaitTimeoutError("not INSYNC after 120 s"), STEP_ERRORS.timedOut],
    ["a refusal", awsError("InvalidDBInstanceState", "not in a valid state", 400), STEP_ERRORS.failed],
    ["a plain bug", new TypeError("x is undefined"), STEP_ERRORS.failed],
  ];
  it.each(failures)("names %s for the state machine", async (_s, error, name) => {
    const { handler, used } = fakes(() => Promise.reject(error));
    const failure = await failureOf(handler(request("promote-replica")));
    expect(failure.name).toBe(name);
    expect(failure.message).toBe(`${error.name}: ${error.message}`);
    expect(used).toEqual(["control.describe(replica)"]);
  });
});

describe("stepErrorOf", () => {
  it("passes a step's own error through", () => {
    const own = new StepError(
      STEP_ERRORS.timedOut,
      "rds-replica-dev was not writable 45 min after its promotion was requested",
    );
    expect(stepErrorOf(own)).toBe(own);
  });

  it("finds a throttle deep in a cause chain before a wait timeout", () => {
    const error = new WaitTimeoutError("gave up", {
      cause: awsError("ThrottlingException", "slow down", 400),
    });
    expect(stepErrorOf(error).name).toBe(STEP_ERRORS.retryable);
  });

  it("names a thrown non-error StepFailed with its text", () => {
    const named = stepErrorOf("boom");
    expect([named.name, named.message]).toEqual([STEP_ERRORS.failed, "boom"]);
  });
});
