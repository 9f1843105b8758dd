/**
 * The one way the stack declares a CloudWatch alarm: every alarm (the RDS and monitor alarms of
 * `alerting.ts`, the failover function's errors, the snapshot export's health, the failover
 * workflow's executions) notifies one SNS topic on ALARM and on OK, carries the stack's name and
 * tags, and alarms on `evaluationPeriods` of `evaluationPeriods` breaching datapoints unless it
 * says otherwise. A CloudWatch alarm can notify only a topic in its own region, so `opts` must name
 * the provider of the topic's region.
 */
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { DrRole } from "../naming";
import type { BuildContext } from "./context";

/** What an alarm watches and when it fires. */
export interface AlarmArgs {
  /** Logical and physical name (`alarm-…-<suffix>`). */
  readonly name: string;
  /** What the alarm means, after `TapStack <suffix>: `. */
  readonly description: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, pulumi.Input<string>>;
  readonly statistic: "Average" | "Minimum" | "Maximum" | "Sum" | "SampleCount";
  readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  /** In the metric's own unit (bytes, seconds, percent, count). */
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** Breaching datapoints out of `evaluationPeriods` that fire the alarm; default all of them. */
  readonly datapointsToAlarm?: number;
  readonly treatMissingData: "missing" | "breaching" | "notBreaching";
  /** The topic notified on ALARM and on OK (in the alarm's region). */
  readonly topicArn: pulumi.Input<string>;
  readonly drRole: DrRole;
}

/** Declares one alarm (see the module comment for what every alarm shares). */
export function metricAlarm(
  ctx: BuildContext,
  a: AlarmArgs,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(
    a.name,
    {
      name: a.name,
      alarmDescription: `TapStack ${ctx.config.environmentSuffix}: ${a.description}`,
      namespace: a.namespace,
      metricName: a.metricName,
      dimensions: a.dimensions,
      statistic: a.statistic,
      comparisonOperator: a.comparisonOperator,
      threshold: a.threshold,
      period: a.periodSeconds,
      evaluationPeriods: a.evaluationPeriods,
      datapointsToAlarm: a.datapointsToAlarm ?? a.evaluationPeriods,
      treatMissingData: a.treatMissingData,
      alarmActions: [a.topicArn],
      okActions: [a.topicArn],
      tags: ctx.tags(a.drRole, a.name),
    },
    opts,
  );
}
