/**
 * The whole failover on virtual time: the fake cluster, the failover state machine's definition
 * run by `aws-local-stepfunctions` (`LocalWorkflow`), each task invoking the real step-runner
 * handler, and `evaluateAndAct` starting executions, all on the simulator's scheduler with the
 * global timers routed to it (the engine's Wait states and retry intervals use `setTimeout`).
 *
 * A crash of the fake cluster (`crashAfter`) is a step runner that died mid-invocation: the task
 * fails with `Lambda.Unknown` (reference §3), whatever the handler did after the crash point, and
 * the next invocation finds the cluster usable again.
 */
import type { HandlerLogger } from "../../lib/lambda/telemetry";
import {
  evaluateAndAct,
  type DispatchOptions,
  type Evidence,
  type Outcome,
} from "../../lib/lambda/core/orchestrator";
import { DEFAULT_POLICY } from "../../lib/lambda/core/policy";
import type { FailoverPolicy, InstanceView, Trigger } from "../../lib/lambda/core/types";
import { StepError } from "../../lib/lambda/core/workflow";
import { createStepRunnerHandler } from "../../lib/lambda/step-runner/handler";
import { Scheduler } from "../../lib/simulator/scheduler";
import { installVirtualTimers, runVirtually } from "../../lib/simulator/virtual-timers";
import { failoverDefinition } from "../../lib/workflow/definition";
import { LocalWorkflow, functionError, type LocalExecution } from "../../lib/workflow/local";
import { FakeCluster, ScheduledClock } from "./fake-ports";
import { STATE_MACHINE_ARN } from "./recording-workflow";

export const REGION = "ap-southeast-1";
export const CLUSTER = { primaryInstanceId: "tap-primary-dev", replicaInstanceId: "tap-replica-dev" };
export const LIMITS = {
  promotionTimeoutSeconds: 2700,
  catchUpTimeoutSeconds: 420,
  dnsTimeoutSeconds: 120,
  approvalTimeoutSeconds: 86_400,
  restoreTimeoutSeconds: 10_800,
};
export const DISPATCH: DispatchOptions = {
  reportKind: "failover",
  cluster: CLUSTER,
  limits: LIMITS,
  approvals: true,
};

/** A logger that keeps the step runner's error lines, to show in a failing test. */
function quietLogger(errors: string[]): HandlerLogger {
  return {
    info: () => undefined,
    warn: () => undefined,
    error: (message: string, extra?: unknown) => {
      errors.push(`${message} ${JSON.stringify(extra)}`);
    },
    appendKeys: () => undefined,
    addContext: () => undefined,
  } as unknown as HandlerLogger;
}

export interface WorkflowWorld {
  readonly scheduler: Scheduler;
  readonly cluster: FakeCluster;
  readonly workflow: LocalWorkflow;
  /** The step runner's `Step failed` log lines. */
  readonly stepErrors: string[];
  /** Invocations of the step runner that died (`Lambda.Unknown`), by step. */
  readonly crashes: string[];
  /** One evaluation of the failover function, as a trigger would run it. */
  evaluate(trigger: Trigger, evidence: Evidence, options?: DispatchOptions): Promise<Outcome>;
  /** Runs virtual time until the execution closes. */
  closed(name: string): Promise<LocalExecution>;
  /** Runs virtual time for `ms`. */
  wait(ms: number): Promise<void>;
  /** Puts the real timers back. */
  dispose(): void;
}

export function workflowWorld(init: {
  readonly startMs: number;
  readonly primary?: Partial<InstanceView>;
  readonly replica?: Partial<InstanceView>;
  /** The failover policy of both functions (the defaults unless given). */
  readonly policy?: FailoverPolicy;
}): WorkflowWorld {
  const policy = init.policy ?? DEFAULT_POLICY;
  const scheduler = new Scheduler(init.startMs);
  const cluster = new FakeCluster({
    primary: init.primary,
    replica: init.replica,
    clock: new ScheduledClock(scheduler),
  });
  const stepErrors: string[] = [];
  const crashes: string[] = [];
  const handler = createStepRunnerHandler({
    cluster: CLUSTER,
    policy,
    region: REGION,
    ports: cluster.ports,
    logger: quietLogger(stepErrors),
  });
  const died = (step: unknown): Error => {
    cluster.restart();
    crashes.push(String(step));
    return functionError("Lambda.Unknown", "RequestId: 1 Error: Runtime exited with error: signal: killed");
  };
  const workflow = new LocalWorkflow({
    // LocalWorkflow adapts TimeoutSecondsPath for the local engine itself.
    definition: failoverDefinition({
      stepRunnerArn: `arn:aws:lambda:${REGION}:123456789012:function:step-runner-dev`,
      stepRunnerTimeoutSeconds: 300,
    }),
    stateMachineArn: STATE_MACHINE_ARN,
    clock: scheduler,
    invokeStep: async (payload) => {
      let result: unknown;
      try {
        result = await handler(JSON.parse(JSON.stringify(payload)));
      } catch (error) {
        if (cluster.hasCrashed) throw died(payload.step);
        if (error instanceof StepError) throw functionError(error.name, error.message);
        throw error;
      }
      if (cluster.hasCrashed) throw died(payload.step);
      // What Lambda hands back is the JSON of the result.
      return JSON.parse(JSON.stringify(result));
    },
  });
  const restore = installVirtualTimers(scheduler);
  return {
    scheduler,
    cluster,
    workflow,
    stepErrors,
    crashes,
    evaluate: (trigger, evidence, options = DISPATCH) =>
      runVirtually(scheduler, evaluateAndAct(cluster.ports, workflow, trigger, evidence, policy, options)),
    closed: (name) => {
      const execution = workflow.get(name);
      if (execution === undefined) throw new Error(`no execution ${name}`);
      return runVirtually(scheduler, execution.closed);
    },
    wait: (ms) => scheduler.runUntil(scheduler.nowMs() + ms),
    dispose: restore,
  };
}

/** The states an execution entered, in order. */
export function statesEntered(execution: LocalExecution): string[] {
  return execution.history.filter((h) => h.type === "StateEntered").map((h) => h.state ?? "?");
}

/** The same path with repeated poll loops shown once each, e.g. `WaitForPromotion > CheckWritable > Writable ×8`. */
export function path(execution: LocalExecution): string {
  const states = statesEntered(execution);
  const out: string[] = [];
  for (let i = 0; i < states.length; i += 1) {
    const loops = [
      ["WaitForPromotion", "CheckWritable", "Writable"],
      ["WaitForCatchUp", "CheckCaughtUp", "CaughtUp"],
      ["WaitForRestore", "CheckRestored", "Restored"],
    ];
    const pattern = loops.find((loop) => loop[0] === states[i]) ?? null;
    if (pattern !== null) {
      let n = 0;
      while (pattern.every((s, k) => states[i + k] === s)) {
        n += 1;
        i += pattern.length;
      }
      if (n > 0) {
        out.push(`(${pattern.join(" > ")}) ×${n}`);
        i -= 1;
        continue;
      }
    }
    out.push(states[i]);
  }
  return out.join(" > ");
}
