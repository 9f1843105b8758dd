/**
 * A `FailoverWorkflow` that records what the failover function asks of it and answers as a test
 * scripts it: executions already running, a start that finds a closed execution of the same name
 * (`ExecutionAlreadyExists`, read back as `started: false`), a listing or a start that fails.
 */
import type {
  ExecutionStart,
  ExecutionStatus,
  ExecutionSummary,
  FailoverWorkflow,
} from "../../lib/lambda/core/ports";
import type { WorkflowInput } from "../../lib/lambda/core/workflow";

export const STATE_MACHINE_ARN = "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev";

export function executionArn(name: string): string {
  return STATE_MACHINE_ARN.replace(":stateMachine:", ":execution:") + `:${name}`;
}

export class RecordingWorkflow implements FailoverWorkflow {
  /** `running()` and `start(name)`, in order. */
  readonly calls: string[] = [];
  /** The input of every start request, in order. */
  readonly inputs: WorkflowInput[] = [];
  /** What `running()` answers. */
  runningNow: ExecutionSummary[] = [];
  /** Executions that have closed, by name, with their status: a start of that name is not repeated. */
  readonly closed = new Map<string, { status: ExecutionStatus; startedAtMs: number; stoppedAtMs: number }>();
  runningError: Error | null = null;
  startError: Error | null = null;

  constructor(private readonly nowMs: () => number) {}

  async running(): Promise<readonly ExecutionSummary[]> {
    this.calls.push("running()");
    if (this.runningError) throw this.runningError;
    return this.runningNow;
  }

  async start(name: string, input: WorkflowInput): Promise<ExecutionStart> {
    this.calls.push(`start(${name})`);
    this.inputs.push(input);
    if (this.startError) throw this.startError;
    const closed = this.closed.get(name);
    if (closed !== undefined) return { name, arn: executionArn(name), ...closed, started: false };
    return {
      name,
      arn: executionArn(name),
      status: "RUNNING",
      startedAtMs: this.nowMs(),
      stoppedAtMs: null,
      started: true,
    };
  }
}
