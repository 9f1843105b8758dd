import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { SfnWorkflow } from "../../../../lib/lambda/adapters/aws/sfn-workflow";
import { ControlPlaneError } from "../../../../lib/lambda/core/errors";
import type { WorkflowInput } from "../../../../lib/lambda/core/workflow";
import { awsError, networkError } from "./fake-clock";

const sfn = mockClient(SFNClient);
const STATE_MACHINE = "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev";
const NAME = "failover-rds-replica-dev-20260301T1000";
const EXECUTION = `arn:aws:states:ap-southeast-1:123456789012:execution:sfn-failover-dev:${NAME}`;
const STARTED = new Date("2026-03-01T10:00:48.311Z");
const STOPPED = new Date("2026-03-01T10:09:12.004Z");

/** The adapter only serialises the input; its exact content is the core's concern. */
const INPUT = {
  version: 1,
  incident: NAME,
  limits: { approvalTimeoutSeconds: 86_400 },
} as unknown as WorkflowInput;

const workflow = () => new SfnWorkflow(STATE_MACHINE, new SFNClient({ region: "ap-southeast-1" }));

beforeEach(() => sfn.reset());

describe("SfnWorkflow.start", () => {
  it("starts the execution named after the incident, with the input as JSON", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: EXECUTION, startDate: STARTED });
    expect(await workflow().start(NAME, INPUT)).toEqual({
      name: NAME,
      arn: EXECUTION,
      status: "RUNNING",
      startedAtMs: STARTED.getTime(),
      stoppedAtMs: null,
      started: true,
    });
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE, name: NAME, input: JSON.stringify(INPUT) },
    ]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
  });

  const closed: [
    situation: string,
    status: "RUNNING" | "SUCCEEDED" | "FAILED",
    stopDate: Date | undefined,
  ][] = [
    ["running with another input", "RUNNING", undefined],
    ["succeeded earlier", "SUCCEEDED", STOPPED],
    ["failed earlier", "FAILED", STOPPED],
  ];
  it.each(closed)(
    "reads back an execution that already exists (%s) and does not start it",
    async (_s, status, stopDate) => {
      sfn
        .on(StartExecutionCommand)
        .rejects(
          new ExecutionAlreadyExists({ message: `Execution Already Exists: '${EXECUTION}'`, $metadata: {} }),
        );
      sfn
        .on(DescribeExecutionCommand)
        .resolves({ executionArn: EXECUTION, status, startDate: STARTED, stopDate });
      expect(await workflow().start(NAME, INPUT)).toEqual({
        name: NAME,
        arn: EXECUTION,
        status,
        startedAtMs: STARTED.getTime(),
        stoppedAtMs: stopDate?.getTime() ?? null,
        started: false,
      });
      expect(sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input)).toEqual([
        { executionArn: EXECUTION },
      ]);
    },
  );

  const failures: [situation: string, error: Error, message: string][] = [
    [
      "a throttle",
      awsError("ThrottlingException", "Rate exceeded", 400),
      `starting the failover execution ${NAME} failed: ThrottlingException: Rate exceeded (HTTP 400)`,
    ],
    [
      "a missing state machine",
      awsError("StateMachineDoesNotExist", "State Machine Does Not Exist", 400),
      `starting the failover execution ${NAME} failed: StateMachineDoesNotExist: State Machine Does Not Exist (HTTP 400)`,
    ],
    [
      "no answer",
      networkError("ETIMEDOUT"),
      `starting the failover execution ${NAME} failed: ETIMEDOUT: connect ETIMEDOUT 10.0.0.1:443`,
    ],
  ];
  it.each(failures)(
    "reports %s as a ControlPlaneError and reads nothing back",
    async (_s, error, message) => {
      sfn.on(StartExecutionCommand).rejects(error);
      const failure = await workflow()
        .start(NAME, INPUT)
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ControlPlaneError);
      expect((failure as Error).message).toBe(message);
      expect((failure as Error).cause).toBe(error);
      expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(0);
    },
  );

  it("reports a failed read-back as a ControlPlaneError", async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: "exists", $metadata: {} }));
    sfn.on(DescribeExecutionCommand).rejects(awsError("AccessDeniedException", "not authorized", 400));
    const failure = await workflow()
      .start(NAME, INPUT)
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ControlPlaneError);
    expect((failure as Error).message).toBe(
      `reading back the failover execution ${NAME} failed: AccessDeniedException: not authorized (HTTP 400)`,
    );
  });
});

describe("SfnWorkflow.running", () => {
  it("lists the state machine's running executions, ten at most", async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: EXECUTION,
          stateMachineArn: STATE_MACHINE,
          name: NAME,
          status: "RUNNING",
          startDate: STARTED,
        },
      ],
    });
    expect(await workflow().running()).toEqual([
      { name: NAME, arn: EXECUTION, status: "RUNNING", startedAtMs: STARTED.getTime(), stoppedAtMs: null },
    ]);
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: STATE_MACHINE, statusFilter: "RUNNING", maxResults: 10 },
    ]);
  });

  it("lists nothing when none runs", async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    expect(await workflow().running()).toEqual([]);
  });

  it("reports a failed listing as a ControlPlaneError", async () => {
    sfn.on(ListExecutionsCommand).rejects(awsError("ServiceUnavailable", "try again", 503));
    const failure = await workflow()
      .running()
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ControlPlaneError);
    expect((failure as Error).message).toBe(
      "listing the running failover executions failed: ServiceUnavailable: try again (HTTP 503)",
    );
  });
});

describe("SfnWorkflow.executionArn", () => {
  it("is the state machine's ARN with execution and the name", () => {
    expect(workflow().executionArn(NAME)).toBe(EXECUTION);
  });
});
