import { FAILOVER_STEPS, SWITCHOVER_STEPS } from "../../../lib/lambda/core/decide";
import { RESTORE_STEPS } from "../../../lib/lambda/core/regional";
import type { ClusterSnapshot, Decision, Trigger } from "../../../lib/lambda/core/types";
import {
  MAX_EXECUTION_NAME_LENGTH,
  STEP_ERRORS,
  StepError,
  WORKFLOW_TASKS,
  evidencedFailureStartMs,
  executionName,
  firstEntry,
  incidentName,
  initialRun,
  validateStepRequest,
  validateWorkflowInput,
  workflowInput,
  type WorkflowInput,
} from "../../../lib/lambda/core/workflow";
import {
  PRIMARY_ENDPOINT,
  REPLICA_ENDPOINT,
  T0,
  primaryView,
  replicaView,
  restoredView,
} from "../../support/fake-ports";
import { probes, promotedReplica, snapshot } from "../../support/snapshots";

const CLUSTER = { primaryInstanceId: "tap-primary-dev", replicaInstanceId: "tap-replica-dev" };
const LIMITS = {
  promotionTimeoutSeconds: 2700,
  catchUpTimeoutSeconds: 420,
  dnsTimeoutSeconds: 120,
  approvalTimeoutSeconds: 86_400,
  restoreTimeoutSeconds: 10_800,
};
const INCIDENT = "failover-tap-replica-dev-created-20240401T000000000Z";
const DOWN = probes("timeout", "timeout", "timeout");
const FAILED_PRIMARY = primaryView({ status: "failed", rawStatus: "failed" });
const ALARM: Trigger = {
  kind: "alarm",
  alarm: {
    alarmName: "primary-unreachable-dev",
    state: "ALARM",
    sinceMs: T0 - 60_000,
    reason: "3 of 3 breaching",
  },
};
const TIMELINE = [{ atMs: T0 + 35_000, event: "decision", detail: "promote-replica: dead" }];

function manual(action: "failover" | "switchover", requestedBy = "alice@example.com"): Trigger {
  return { kind: "manual", action, requestedBy, reason: "game day", acceptDataLoss: false };
}

const PROMOTE: Extract<Decision, { kind: "promote-replica" }> = {
  kind: "promote-replica",
  reason: "dead",
  failureStartedAtMs: T0,
  detectedAtMs: T0 + 30_000,
  planned: false,
  steps: FAILOVER_STEPS,
};

function build(
  snap: ClusterSnapshot,
  decision: Extract<
    Decision,
    { kind: "promote-replica" | "complete-failover" | "blocked" | "restore-in-dr-region" }
  >,
  decidedAtMs = T0 + 35_000,
): WorkflowInput {
  return workflowInput({
    snapshot: snap,
    decision,
    decidedAtMs,
    cluster: CLUSTER,
    limits: LIMITS,
    reportKind: "failover",
    timeline: TIMELINE,
  });
}

const DOWN_SNAPSHOT = snapshot({ takenAtMs: T0 + 35_000, primaryProbes: DOWN, primary: FAILED_PRIMARY });
/** A valid input: the unplanned failover of a dead primary. */
const VALID = build(DOWN_SNAPSHOT, PROMOTE);

/** A JSON copy of an input, changed field by field at any depth. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any depth of parsed JSON
type RawInput = Record<string, any>;

/** A valid regional restore of the lost region. */
const VALID_RESTORE = build(DOWN_SNAPSHOT, {
  kind: "restore-in-dr-region",
  reason: "region lost",
  failureStartedAtMs: T0,
  detectedAtMs: T0 + 600_000,
  latestRestorableTimeMs: T0 - 120_000,
  steps: RESTORE_STEPS,
});

/** `VALID_RESTORE` as JSON, changed by `change`. */
function changedRestore(change: (raw: RawInput) => void): unknown {
  const raw = JSON.parse(JSON.stringify(VALID_RESTORE)) as RawInput;
  change(raw);
  return raw;
}

/** `VALID` as JSON (what an execution's input is), changed by `change`. */
function changed(change: (raw: RawInput) => void): unknown {
  const raw = JSON.parse(JSON.stringify(VALID)) as RawInput;
  change(raw);
  return raw;
}

function refusal(run: () => unknown): StepError {
  try {
    run();
  } catch (error) {
    if (error instanceof StepError) return error;
    throw error;
  }
  throw new Error("not refused");
}

describe("workflowInput: one per decision kind", () => {
  it("promote-replica (monitor): an unplanned failover of the incident, no approval, every step", () => {
    expect(VALID).toEqual({
      version: 1,
      incident: INCIDENT,
      action: "failover",
      approval: "none",
      cluster: CLUSTER,
      decision: {
        kind: "promote-replica",
        reason: "dead",
        steps: FAILOVER_STEPS,
        planned: false,
        decidedAtMs: T0 + 35_000,
        failureStartedAtMs: T0,
        detectedAtMs: T0 + 30_000,
      },
      observed: {
        takenAtMs: T0 + 35_000,
        writerTarget: PRIMARY_ENDPOINT,
        lastHealthyLagSeconds: 2,
        primary: FAILED_PRIMARY,
        replica: replicaView(),
        restored: restoredView(),
      },
      timeline: TIMELINE,
      reportKind: "failover",
      limits: LIMITS,
      requestedBy: null,
    });
  });

  it("promote-replica planned (an operator's switchover): a switchover named for the minute, requested by the operator", () => {
    const input = build(
      snapshot({ takenAtMs: T0 + 65_000, trigger: manual("switchover"), primaryProbes: [] }),
      {
        ...PROMOTE,
        planned: true,
        steps: SWITCHOVER_STEPS,
        failureStartedAtMs: T0 + 65_000,
        detectedAtMs: T0 + 65_000,
      },
      T0 + 65_000,
    );
    expect(input).toMatchObject({
      incident: "switchover-tap-replica-dev-20240501T1001",
      action: "switchover",
      approval: "none",
      requestedBy: "alice@example.com",
      decision: {
        kind: "promote-replica",
        planned: true,
        steps: SWITCHOVER_STEPS,
        failureStartedAtMs: T0 + 65_000,
      },
    });
    expect(input.decision).not.toHaveProperty("guard");
  });

  it("complete-failover: the missing steps, no detection moment, the failure start from the run's probes", () => {
    const input = build(
      snapshot({
        takenAtMs: T0 + 35_000,
        primaryProbes: DOWN,
        primary: FAILED_PRIMARY,
        replica: promotedReplica,
      }),
      {
        kind: "complete-failover",
        reason: "resume",
        steps: ["switch-writer", "write-report", "notify-success"],
      },
    );
    expect(input).toMatchObject({
      incident: INCIDENT,
      action: "failover",
      approval: "none",
      decision: {
        kind: "complete-failover",
        steps: ["switch-writer", "write-report", "notify-success"],
        planned: false,
        failureStartedAtMs: T0,
        detectedAtMs: null,
      },
      observed: { replica: promotedReplica },
    });
  });

  it("blocked (lag guard): approval required, no steps, the guard named", () => {
    const input = build(DOWN_SNAPSHOT, { kind: "blocked", guard: "replication-lag", reason: "90 s behind" });
    expect(input).toMatchObject({
      incident: INCIDENT,
      action: "failover",
      approval: "required",
      decision: {
        kind: "blocked",
        reason: "90 s behind",
        steps: [],
        planned: false,
        failureStartedAtMs: T0,
        detectedAtMs: null,
        guard: "replication-lag",
      },
    });
  });

  it("every input it builds is one the step runner accepts, as JSON", () => {
    const inputs = [
      VALID,
      build(DOWN_SNAPSHOT, { kind: "blocked", guard: "lag-unknown", reason: "no reading" }),
      build(snapshot({ trigger: manual("failover"), primaryProbes: [] }), {
        kind: "complete-failover",
        reason: "resume",
        steps: ["notify-success"],
      }),
    ];
    for (const input of inputs) {
      expect(validateWorkflowInput(JSON.parse(JSON.stringify(input)), CLUSTER)).toEqual(input);
    }
  });
});

describe("evidencedFailureStartMs: a failure start only where the evidence shows one", () => {
  const resume: Extract<Decision, { kind: "complete-failover" }> = {
    kind: "complete-failover",
    reason: "resume",
    steps: ["notify-success"],
  };
  it.each([
    [
      "promotion: the decision's own",
      snapshot({ primaryProbes: [] }),
      { ...PROMOTE, failureStartedAtMs: T0 - 5 },
      T0 - 5,
    ],
    [
      "resume on failed probes: the first of them",
      snapshot({ primaryProbes: probes("ok", "timeout", "timeout") }),
      resume,
      T0 + 15_000,
    ],
    [
      "resume on an alarm: the alarm's start",
      snapshot({ trigger: ALARM, primaryProbes: [] }),
      resume,
      T0 - 60_000,
    ],
    ["resume on probes that answered: unknown", snapshot(), resume, null],
    [
      "resume an operator asked for: unknown",
      snapshot({ trigger: manual("failover"), primaryProbes: [] }),
      resume,
      null,
    ],
    [
      "blocked on failed probes: the first of them",
      snapshot({ primaryProbes: DOWN }),
      { kind: "blocked", guard: "lag-unknown", reason: "?" } as const,
      T0,
    ],
  ] as const)("%s", (_situation, snap, decision, expected) => {
    expect(evidencedFailureStartMs(snap, decision)).toBe(expected);
    expect(build(snap, decision).decision.failureStartedAtMs).toBe(expected);
  });
});

describe("incidentName: duplicate triggers name one execution", () => {
  const downAt = (takenAtMs: number, trigger: Trigger) =>
    snapshot({
      takenAtMs,
      trigger,
      primaryProbes: trigger.kind === "monitor" ? DOWN : [],
      primary: FAILED_PRIMARY,
    });

  it("the monitor, the alarm and a later resume of the same failover name the same execution", () => {
    const names = [
      incidentName(downAt(T0 + 35_000, { kind: "monitor", runId: "run-1" }), T0 + 35_000),
      incidentName(downAt(T0 + 55_000, ALARM), T0 + 55_000),
      incidentName(downAt(T0 + 95_000, { kind: "monitor", runId: "run-2" }), T0 + 95_000),
      // Resumed an hour later: the replica is promoted; it is still the same replica.
      incidentName(
        snapshot({ takenAtMs: T0 + 3_600_000, primaryProbes: DOWN, replica: promotedReplica }),
        T0 + 3_600_000,
      ),
    ];
    expect(new Set(names)).toEqual(new Set([INCIDENT]));
  });

  it.each([
    ["the same request twice in one minute: one execution", T0 + 60_000, T0 + 119_999, true],
    ["the same request in the next minute: another execution", T0 + 119_999, T0 + 120_000, false],
  ])("an operator's request: %s", (_situation, firstMs, secondMs, same) => {
    const first = incidentName(snapshot({ trigger: manual("failover") }), firstMs);
    const second = incidentName(snapshot({ trigger: manual("failover", "bob@example.com") }), secondMs);
    expect(first).toBe("failover-tap-replica-dev-20240501T1001");
    expect(first === second).toBe(same);
  });

  it("a switchover request is named as a switchover", () => {
    expect(incidentName(snapshot({ trigger: manual("switchover") }), T0 + 60_000)).toBe(
      "switchover-tap-replica-dev-20240501T1001",
    );
  });

  it("a replica whose creation time is unknown is named after the failure's start", () => {
    const snap = snapshot({ primaryProbes: DOWN, replica: replicaView({ createdAtMs: undefined }) });
    expect(incidentName(snap, T0 + 50_000)).toBe("failover-tap-replica-dev-failed-20240501T100000000Z");
  });

  it.each([
    ["a 63-character instance id (the RDS maximum)", "r".repeat(63)],
    ["characters Step Functions names should not hold", "tap.replica/dev:1"],
  ])("%s: at most 80 characters of 0-9A-Za-z-_", (_situation, id) => {
    for (const trigger of [{ kind: "monitor", runId: "r" } as const, manual("switchover")]) {
      const name = incidentName(snapshot({ trigger, primaryProbes: DOWN, replica: replicaView({ id }) }), T0);
      expect(name.length).toBeLessThanOrEqual(MAX_EXECUTION_NAME_LENGTH);
      expect(name).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
    }
  });

  it("executionName replaces what is not allowed and cuts at 80", () => {
    expect(executionName("failover", "a.b c")).toBe("failover-a-b-c");
    expect(executionName("failover", "x".repeat(100))).toBe(`failover-${"x".repeat(71)}`);
  });
});

describe("firstEntry and initialRun", () => {
  it.each([
    [
      "approval required",
      { approval: "required", decision: { ...VALID.decision, steps: [] } },
      "request-approval",
    ],
    ["a failover", { approval: "none", decision: VALID.decision }, "notify-start"],
    [
      "a resume",
      { approval: "none", decision: { ...VALID.decision, steps: ["write-report"] } },
      "write-report",
    ],
    ["nothing left", { approval: "none", decision: { ...VALID.decision, steps: [] } }, "done"],
  ] as const)("%s → %s", (_situation, input, entry) => {
    expect(firstEntry(input as Pick<WorkflowInput, "approval" | "decision">)).toBe(entry);
  });

  it("the run starts from what the decision saw, with nothing done", () => {
    expect(initialRun(VALID)).toEqual({
      next: "notify-start",
      timeline: TIMELINE,
      completed: [],
      primary: FAILED_PRIMARY,
      replica: replicaView(),
      writerBeforeSwitch: null,
      writerTarget: PRIMARY_ENDPOINT,
      fencedAtMs: null,
      promoteCalledAtMs: null,
      writableAtMs: null,
      writerSwitchedAtMs: null,
      fence: null,
      reportLocation: null,
      restoreCalledAtMs: null,
      caughtUp: false,
      writable: false,
      halt: null,
      notificationErrors: [],
      approvedBy: null,
    });
  });
});

describe("validateWorkflowInput: refuses what the state machine would not send, naming the first problem", () => {
  it("accepts a valid input and returns it", () => {
    expect(validateWorkflowInput(VALID, CLUSTER)).toBe(VALID);
  });

  const cases: [string, unknown, string][] = [
    ["nothing", undefined, "it must be an object, got nothing"],
    ["a string", "failover", 'it must be an object, got "failover"'],
    ["a list", [VALID], `it must be an object, got ${JSON.stringify([VALID])}`],
    ["another version", changed((r) => (r.version = 2)), "version must be 1, got 2"],
    ["no version", changed((r) => delete r.version), "version must be 1, got nothing"],
    ["no incident", changed((r) => delete r.incident), "incident must be the incident's name, got nothing"],
    ["an empty incident", changed((r) => (r.incident = "")), 'incident must be the incident\'s name, got ""'],
    [
      "an incident with a slash",
      changed((r) => (r.incident = "failover/x")),
      'incident must be 1-80 characters of A-Z, a-z, 0-9, - and _, got "failover/x"',
    ],
    [
      "an incident of 81 characters",
      changed((r) => (r.incident = "f".repeat(81))),
      `incident must be 1-80 characters of A-Z, a-z, 0-9, - and _, got "${"f".repeat(81)}"`,
    ],
    [
      "an unknown action",
      changed((r) => (r.action = "promote")),
      'action must be "failover", "switchover" or "restore", got "promote"',
    ],
    [
      "an unknown approval",
      changed((r) => (r.approval = "maybe")),
      'approval must be "none" or "required", got "maybe"',
    ],
    ["no cluster", changed((r) => delete r.cluster), "cluster must be an object, got nothing"],
    [
      "another cluster",
      changed(
        (r) => (r.cluster = { primaryInstanceId: "tap-primary-prod", replicaInstanceId: "tap-replica-prod" }),
      ),
      'it is for the cluster "tap-primary-prod" → "tap-replica-prod", this step runner serves tap-primary-dev → tap-replica-dev',
    ],
    [
      "the cluster the other way round",
      changed(
        (r) => (r.cluster = { primaryInstanceId: "tap-replica-dev", replicaInstanceId: "tap-primary-dev" }),
      ),
      'it is for the cluster "tap-replica-dev" → "tap-primary-dev", this step runner serves tap-primary-dev → tap-replica-dev',
    ],
    ["no decision", changed((r) => (r.decision = null)), "decision must be an object, got null"],
    [
      "a decision that does not act",
      changed((r) => (r.decision.kind = "none")),
      'decision.kind must be promote-replica, complete-failover, blocked or restore-in-dr-region, got "none"',
    ],
    ["no reason", changed((r) => (r.decision.reason = "")), 'reason must be a sentence, got ""'],
    [
      "steps not a list",
      changed((r) => (r.decision.steps = "all")),
      'steps must be a list of steps, got "all"',
    ],
    [
      "an unknown step",
      changed((r) => r.decision.steps.push("reboot-primary")),
      'decision.steps holds "reboot-primary", not a failover step',
    ],
    [
      "a promotion without steps",
      changed((r) => (r.decision.steps = [])),
      "a promote-replica decision needs at least one step",
    ],
    [
      "a blocked decision without approval",
      changed((r) => {
        r.decision.kind = "blocked";
        r.decision.steps = [];
      }),
      'a blocked decision needs approval "required"',
    ],
    [
      "planned not a boolean",
      changed((r) => (r.decision.planned = "no")),
      'planned must be true or false, got "no"',
    ],
    [
      "a planned decision carried as a failover",
      changed((r) => (r.decision.planned = true)),
      "decision.planned is true but the action is failover",
    ],
    [
      "an unplanned decision carried as a switchover",
      changed((r) => (r.action = "switchover")),
      "decision.planned is false but the action is switchover",
    ],
    [
      "no decision time",
      changed((r) => delete r.decision.decidedAtMs),
      "decidedAtMs must be a time in milliseconds, got nothing",
    ],
    [
      "a failure start as text",
      changed((r) => (r.decision.failureStartedAtMs = "T0")),
      'failureStartedAtMs must be a time in milliseconds or null, got "T0"',
    ],
    [
      "no detection moment",
      changed((r) => delete r.decision.detectedAtMs),
      "detectedAtMs must be a time in milliseconds or null, got nothing",
    ],
    ["nothing observed", changed((r) => (r.observed = [])), "observed must be an object, got []"],
    [
      "no snapshot time",
      changed((r) => (r.observed.takenAtMs = null)),
      "takenAtMs must be a time in milliseconds, got null",
    ],
    [
      "an empty writer",
      changed((r) => (r.observed.writerTarget = "")),
      'writerTarget must be a host name or null, got ""',
    ],
    [
      "a lag as text",
      changed((r) => (r.observed.lastHealthyLagSeconds = "2")),
      'lastHealthyLagSeconds must be seconds or null, got "2"',
    ],
    [
      "a primary without a status",
      changed((r) => delete r.observed.primary.status),
      `primary must be an instance view, got ${JSON.stringify({ ...FAILED_PRIMARY, status: undefined })}`,
    ],
    [
      "a replica with another role",
      changed((r) => (r.observed.replica = { id: "x", role: "writer", status: "available" })),
      'replica must be an instance view, got {"id":"x","role":"writer","status":"available"}',
    ],
    [
      "no timeline",
      changed((r) => delete r.timeline),
      "timeline must be a list of timeline entries, got nothing",
    ],
    [
      "an unknown report kind",
      changed((r) => (r.reportKind = "audit")),
      'reportKind must be failover, switchover, restore, drill, got "audit"',
    ],
    ["no limits", changed((r) => delete r.limits), "limits must be an object, got nothing"],
    [
      "a failover that would restore",
      changed((r) => r.decision.steps.push("restore-from-backup")),
      'decision.steps holds "restore-from-backup", which a failover does not run',
    ],
    [
      "a restore that would fence and promote",
      changedRestore((r) => (r.decision.steps = ["fence-old-primary", "promote-replica"])),
      'decision.steps holds "fence-old-primary", which a restore does not run',
    ],
    [
      "a restore without its restore point",
      changedRestore((r) => delete r.decision.latestRestorableTimeMs),
      "a regional restore needs decision.latestRestorableTimeMs, its restore point",
    ],
    [
      "a lag-guard approval run as a restore",
      changed((r) => {
        r.approval = "required";
        r.decision = { ...r.decision, kind: "blocked", steps: [], guard: "replication-lag" };
        r.action = "restore";
      }),
      "a blocked decision by the replication-lag guard cannot run as a restore",
    ],
    [
      "a promotion timeout of 0",
      changed((r) => (r.limits.promotionTimeoutSeconds = 0)),
      "promotionTimeoutSeconds must be a whole number of seconds above 0, got 0",
    ],
    [
      "a catch-up timeout of 1.5 s",
      changed((r) => (r.limits.catchUpTimeoutSeconds = 1.5)),
      "catchUpTimeoutSeconds must be a whole number of seconds above 0, got 1.5",
    ],
    [
      "no DNS timeout",
      changed((r) => delete r.limits.dnsTimeoutSeconds),
      "dnsTimeoutSeconds must be a whole number of seconds above 0, got nothing",
    ],
    [
      "a negative approval timeout",
      changed((r) => (r.limits.approvalTimeoutSeconds = -60)),
      "approvalTimeoutSeconds must be a whole number of seconds above 0, got -60",
    ],
    [
      "a requester that is a number",
      changed((r) => (r.requestedBy = 42)),
      "requestedBy must be a name or null, got 42",
    ],
  ];

  it.each(cases)("%s", (_situation, raw, problem) => {
    const error = refusal(() => validateWorkflowInput(raw, CLUSTER));
    expect(error.name).toBe(STEP_ERRORS.inputRefused);
    expect(error.message).toBe(`Refused the workflow input: ${problem}. Nothing was done.`);
  });
});

describe("validateStepRequest: refuses a task payload that is not the state machine's", () => {
  const EXECUTION = {
    name: INCIDENT,
    id: `arn:aws:states:ap-southeast-1:123456789012:execution:sfn-failover-dev:${INCIDENT}`,
  };
  const RUN = initialRun(VALID);
  const request = (overrides: Record<string, unknown> = {}): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify({
        step: "fence-old-primary",
        execution: EXECUTION,
        input: VALID,
        run: RUN,
        ...overrides,
      }),
    );

  it("accepts begin without a run state: the run starts there", () => {
    const {
      request: accepted,
      input,
      run,
    } = validateStepRequest(request({ step: "begin", run: undefined }), CLUSTER);
    expect(accepted.step).toBe("begin");
    expect(input).toEqual(VALID);
    expect(run).toBeNull();
  });

  it("accepts every other task with the run state of an earlier task", () => {
    for (const step of WORKFLOW_TASKS.filter((t) => t !== "begin")) {
      const raw = request({ step, ...(step === "request-approval" ? { taskToken: "AQCEAAAAKgAAAA" } : {}) });
      expect(validateStepRequest(raw, CLUSTER).run).toEqual(RUN);
    }
  });

  const cases: [string, unknown, string][] = [
    ["nothing", null, "Refused the step request: it must be an object, got null"],
    [
      "an unknown step",
      request({ step: "promote" }),
      `Refused the step request: step must be one of ${WORKFLOW_TASKS.join(", ")}, got "promote"`,
    ],
    [
      "no execution",
      request({ execution: undefined }),
      "Refused the step request: execution must be the execution's name and id, got nothing",
    ],
    [
      "no execution name",
      request({ execution: { id: EXECUTION.id } }),
      "Refused the step request: name must be the execution's name, got nothing",
    ],
    [
      "an execution id that is a number",
      request({ execution: { name: INCIDENT, id: 7 } }),
      "Refused the step request: id must be the execution's ARN, got 7",
    ],
    [
      "a malformed input",
      request({ input: { ...VALID, version: 0 } }),
      "Refused the workflow input: version must be 1, got 0",
    ],
    [
      "an execution not named after its incident",
      request({ execution: { ...EXECUTION, name: "failover-other" } }),
      `Refused the step request: the execution "failover-other" is not named after its incident ${INCIDENT}`,
    ],
    [
      "no run state",
      request({ run: undefined }),
      "Refused the step request: run must be the run state of an earlier task, got nothing",
    ],
    [
      "a run without a timeline",
      request({ run: { ...RUN, timeline: null } }),
      "Refused the step request: timeline must be a list, got null",
    ],
    [
      "a run without completed steps",
      request({ run: { ...RUN, completed: {} } }),
      "Refused the step request: completed must be a list, got {}",
    ],
    [
      "a run whose primary is no instance view",
      request({ run: { ...RUN, primary: "tap-primary-dev" } }),
      'Refused the step request: primary must be an instance view, got "tap-primary-dev"',
    ],
    [
      "a run whose replica has no id",
      request({ run: { ...RUN, replica: { ...RUN.replica, id: "" } } }),
      `Refused the step request: replica must be an instance view, got ${JSON.stringify({ ...RUN.replica, id: "" })}`,
    ],
    [
      "an approval request without its token",
      request({ step: "request-approval" }),
      "Refused the step request: taskToken must be the task token, got nothing",
    ],
  ];

  it.each(cases)("%s", (_situation, raw, message) => {
    const error = refusal(() => validateStepRequest(raw, CLUSTER));
    expect(error.name).toBe("InputRefused");
    expect(error.message).toBe(`${message}. Nothing was done.`);
  });
});

describe("StepError", () => {
  it("is named for the state machine's retriers and catchers", () => {
    const error = new StepError(STEP_ERRORS.timedOut, "too slow");
    expect([error.name, error.errorName, error.message]).toEqual([
      "StepTimedOut",
      "StepTimedOut",
      "too slow",
    ]);
    expect(error).toBeInstanceOf(Error);
  });
  it("names every error the definition matches", () => {
    expect(STEP_ERRORS).toEqual({
      inputRefused: "InputRefused",
      retryable: "StepRetryable",
      failed: "StepFailed",
      timedOut: "StepTimedOut",
      approvalRejected: "ApprovalRejected",
    });
  });
});

describe("observed lag and writer pass through unchanged", () => {
  it("a snapshot without lag or writer gives nulls", () => {
    const input = build(
      snapshot({
        primaryProbes: DOWN,
        lastHealthyLag: null,
        dns: { writerTarget: null, readerTarget: REPLICA_ENDPOINT },
      }),
      { kind: "blocked", guard: "lag-unknown", reason: "?" },
    );
    expect(input.observed).toMatchObject({ writerTarget: null, lastHealthyLagSeconds: null });
  });
});
