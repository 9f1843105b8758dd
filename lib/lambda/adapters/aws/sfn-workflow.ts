/**
 * The failover workflow on AWS Step Functions (`FailoverWorkflow`). `StartExecution` on a Standard
 * state machine is idempotent for the same name and input while the execution runs; once it has
 * closed, or with another input, it answers `ExecutionAlreadyExists` (reference §3): then the
 * execution is read back with `DescribeExecution` and reported, never started again.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import { ControlPlaneError } from "../../core/errors";
import type { ExecutionStart, ExecutionStatus, ExecutionSummary, FailoverWorkflow } from "../../core/ports";
import type { WorkflowInput } from "../../core/workflow";
import { describeAwsError, hasErrorName } from "./aws-errors";

/** Running executions listed per call: one is expected, a few would already be a problem to report. */
const LIST_PAGE_SIZE = 10;

export class SfnWorkflow implements FailoverWorkflow {
  constructor(
    private readonly stateMachineArn: string,
    private readonly client: SFNClient,
  ) {}

  /** `arn:aws:states:<region>:<account>:execution:<state machine name>:<execution name>` */
  executionArn(name: string): string {
    return this.stateMachineArn.replace(":stateMachine:", ":execution:") + `:${name}`;
  }

  async running(): Promise<readonly ExecutionSummary[]> {
    try {
      const out = await this.client.send(
        new ListExecutionsCommand({
          stateMachineArn: this.stateMachineArn,
          statusFilter: "RUNNING",
          maxResults: LIST_PAGE_SIZE,
        }),
      );
      return (out.executions ?? []).map((e) => ({
        name: e.name ?? "",
        arn: e.executionArn ?? "",
        status: (e.status ?? "RUNNING") as ExecutionStatus,
        startedAtMs: e.startDate?.getTime() ?? 0,
        stoppedAtMs: e.stopDate?.getTime() ?? null,
      }));
    } catch (error) {
      throw new ControlPlaneError(
        `listing the running failover executions failed: ${describeAwsError(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  async start(name: string, input: WorkflowInput): Promise<ExecutionStart> {
    try {
      const out = await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name,
          input: JSON.stringify(input),
        }),
      );
      return {
        name,
        arn: out.executionArn ?? this.executionArn(name),
        status: "RUNNING",
        startedAtMs: out.startDate?.getTime() ?? 0,
        stoppedAtMs: null,
        started: true,
      };
    } catch (error) {
      if (!hasErrorName(error, "ExecutionAlreadyExists")) {
        throw new ControlPlaneError(
          `starting the failover execution ${name} failed: ${describeAwsError(error)}`,
          {
            cause: error,
          },
        );
      }
    }
    const arn = this.executionArn(name);
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn: arn }));
      return {
        name,
        arn,
        status: (out.status ?? "RUNNING") as ExecutionStatus,
        startedAtMs: out.startDate?.getTime() ?? 0,
        stoppedAtMs: out.stopDate?.getTime() ?? null,
        started: false,
      };
    } catch (error) {
      throw new ControlPlaneError(
        `reading back the failover execution ${name} failed: ${describeAwsError(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
