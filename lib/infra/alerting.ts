import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { METRICS, METRIC_DIMENSION } from "../function-env";
import type { TapConfig } from "../config";
import { metricAlarm } from "./alarms";
import type { BuildContext } from "./context";
import type { DatabaseResult } from "./database";
import type { EncryptionResult } from "./encryption";
import type { Place } from "./topology";

/** CloudWatch namespace of the health monitor's EMF metrics. */
export const METRICS_NAMESPACE = "TapStack";

/** What an alarm watches. */
export type AlarmSubject = "primary" | "replica" | "monitor";

/** One alarm, as data. */
export interface AlarmSpec {
  /** Short id, part of the alarm name (`alarm-<subject>-<id>-<suffix>`). */
  readonly id: string;
  readonly subject: AlarmSubject;
  readonly namespace: string;
  readonly metricName: string;
  readonly statistic: "Average" | "Minimum" | "Maximum" | "Sum" | "SampleCount";
  readonly comparisonOperator: "GreaterThanThreshold" | "LessThanThreshold";
  /** In the metric's own unit (bytes, seconds, percent, count). */
  readonly threshold: number;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly treatMissingData: "missing" | "breaching" | "notBreaching";
  readonly description: string;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * Every alarm of the stack. `primary` alarms live in the primary region, `replica` ones in the
 * replica's region, `monitor` ones (metrics the DR-region health monitor emits) in the DR region.
 */
export function alarmSpecs(config: TapConfig): AlarmSpec[] {
  const rds = (
    subject: "primary" | "replica",
    id: string,
    metricName: string,
    statistic: AlarmSpec["statistic"],
    comparisonOperator: AlarmSpec["comparisonOperator"],
    threshold: number,
    periodSeconds: number,
    evaluationPeriods: number,
    description: string,
  ): AlarmSpec => ({
    id,
    subject,
    namespace: "AWS/RDS",
    metricName,
    statistic,
    comparisonOperator,
    threshold,
    periodSeconds,
    evaluationPeriods,
    treatMissingData: "missing",
    description,
  });
  const freeStorageBytes = Math.floor(
    (config.allocatedStorageGb * GIB * config.freeStorageAlarmPercent) / 100,
  );
  const perInstance = (subject: "primary" | "replica"): AlarmSpec[] => [
    rds(
      subject,
      "cpu",
      "CPUUtilization",
      "Average",
      "GreaterThanThreshold",
      config.cpuAlarmPercent,
      60,
      5,
      `${subject} CPU above ${config.cpuAlarmPercent}% for 5 minutes`,
    ),
    rds(
      subject,
      "connections",
      "DatabaseConnections",
      "Maximum",
      "GreaterThanThreshold",
      config.connectionsAlarmCount,
      60,
      5,
      `${subject} connections above ${config.connectionsAlarmCount} for 5 minutes`,
    ),
    rds(
      subject,
      "free-storage",
      "FreeStorageSpace",
      "Minimum",
      "LessThanThreshold",
      freeStorageBytes,
      300,
      1,
      `${subject} free storage below ${config.freeStorageAlarmPercent}% of ${config.allocatedStorageGb} GiB`,
    ),
    rds(
      subject,
      "freeable-memory",
      "FreeableMemory",
      "Minimum",
      "LessThanThreshold",
      config.freeableMemoryAlarmMb * MIB,
      300,
      3,
      `${subject} freeable memory below ${config.freeableMemoryAlarmMb} MiB for 15 minutes`,
    ),
  ];
  return [
    ...perInstance("primary"),
    // WriteLatency is reported in seconds.
    rds(
      "primary",
      "write-latency",
      "WriteLatency",
      "Average",
      "GreaterThanThreshold",
      config.writeLatencyAlarmMs / 1000,
      60,
      5,
      `primary write latency above ${config.writeLatencyAlarmMs} ms for 5 minutes`,
    ),
    ...perInstance("replica"),
    // RDS ReplicaLag can read up to 5 minutes on an idle source; the monitor's heartbeat write
    // every minute keeps the source busy enough for it to be meaningful.
    rds(
      "replica",
      "replica-lag",
      "ReplicaLag",
      "Maximum",
      "GreaterThanThreshold",
      config.failoverPolicy.maxReplicationLagSeconds,
      60,
      3,
      `replica lag above ${config.failoverPolicy.maxReplicationLagSeconds} s for 3 minutes: a failover now would lose data`,
    ),
    {
      id: "heartbeat-lag",
      subject: "monitor",
      namespace: METRICS_NAMESPACE,
      metricName: METRICS.heartbeatLagSeconds,
      statistic: "Maximum",
      comparisonOperator: "GreaterThanThreshold",
      threshold: config.failoverPolicy.maxReplicationLagSeconds,
      periodSeconds: 60,
      evaluationPeriods: 3,
      treatMissingData: "missing",
      description: `heartbeat lag on the replica above ${config.failoverPolicy.maxReplicationLagSeconds} s for 3 minutes`,
    },
    {
      // Maximum < 1: not one probe in the minute succeeded. Missing data keeps the state: a
      // silent monitor is not evidence that the primary is down (monitor-silent covers that).
      id: "primary-unreachable",
      subject: "monitor",
      namespace: METRICS_NAMESPACE,
      metricName: METRICS.primaryReachable,
      statistic: "Maximum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      periodSeconds: 60,
      evaluationPeriods: 2,
      treatMissingData: "missing",
      description: "no successful probe of the primary for 2 consecutive minutes",
    },
    {
      id: "monitor-silent",
      subject: "monitor",
      namespace: METRICS_NAMESPACE,
      metricName: METRICS.monitorRun,
      statistic: "Sum",
      comparisonOperator: "LessThanThreshold",
      threshold: 1,
      periodSeconds: 60,
      evaluationPeriods: 3,
      treatMissingData: "breaching",
      description: "the health monitor has not completed a run for 3 minutes",
    },
  ];
}

/** What the alerting builder creates. */
export interface AlertingResult {
  /** `db-alarms` topic in the primary region. */
  readonly primaryTopic: aws.sns.Topic;
  /** `dr-events` topic in the DR region: failover notifications and DR-region alarms. */
  readonly drTopic: aws.sns.Topic;
  /** Alarms by `<subject>-<id>`, e.g. `monitor-primary-unreachable`. */
  readonly alarms: Readonly<Record<string, aws.cloudwatch.MetricAlarm>>;
  /** The alarm that is the failover engine's second trigger and the health check's input. */
  readonly primaryUnreachableAlarm: aws.cloudwatch.MetricAlarm;
  readonly monitorSilentAlarm: aws.cloudwatch.MetricAlarm;
}

/**
 * Topic policy: the account may use the topic, CloudWatch alarms of this account and region
 * may publish, and nothing is accepted over plain HTTP.
 */
export function topicPolicy(
  topicArn: pulumi.Input<string>,
  accountId: pulumi.Input<string>,
  region: string,
): pulumi.Output<string> {
  return pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountUsesTopic",
        Effect: "Allow",
        Principal: { AWS: pulumi.interpolate`arn:aws:iam::${accountId}:root` },
        Action: ["SNS:Publish", "SNS:Subscribe", "SNS:GetTopicAttributes", "SNS:ListSubscriptionsByTopic"],
        Resource: topicArn,
      },
      {
        Sid: "CloudWatchAlarmsPublish",
        Effect: "Allow",
        Principal: { Service: "cloudwatch.amazonaws.com" },
        Action: "SNS:Publish",
        Resource: topicArn,
        Condition: {
          ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:aws:cloudwatch:${region}:${accountId}:alarm:*` },
        },
      },
      {
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "SNS:Publish",
        Resource: topicArn,
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  });
}

function topic(
  ctx: BuildContext,
  topicName: string,
  region: string,
  key: aws.kms.Key,
  provider: aws.Provider,
): aws.sns.Topic {
  const opts = { parent: ctx.parent, provider };
  const name = ctx.name(`sns-${topicName}`);
  const t = new aws.sns.Topic(
    name,
    { name, kmsMasterKeyId: key.arn, tags: ctx.tags("alerting", name) },
    opts,
  );
  new aws.sns.TopicPolicy(
    ctx.name(`sns-policy-${topicName}`),
    { arn: t.arn, policy: topicPolicy(t.arn, ctx.accountId, region) },
    opts,
  );
  ctx.config.alertEmails.forEach((email, i) => {
    // Email subscriptions stay "pending confirmation" until the recipient clicks the link.
    new aws.sns.TopicSubscription(
      ctx.name(`sns-sub-${topicName}-${i + 1}`),
      { topic: t.arn, protocol: "email", endpoint: email },
      opts,
    );
  });
  return t;
}

/**
 * SNS topics per region and every alarm, each notifying the topic in its own region
 * (a CloudWatch alarm cannot notify a topic in another region).
 */
export function buildAlerting(
  ctx: BuildContext,
  database: DatabaseResult,
  keys: EncryptionResult,
): AlertingResult {
  const { config, providers } = ctx;
  const primaryTopic = topic(ctx, "db-alarms", config.primaryRegion, keys.primaryKey, providers.primary);
  const drTopic = topic(ctx, "dr-events", config.drRegion, keys.drKey, providers.dr);
  const topicOf = (provider: aws.Provider): aws.sns.Topic =>
    provider === providers.primary ? primaryTopic : drTopic;

  const alarms: Record<string, aws.cloudwatch.MetricAlarm> = {};
  for (const spec of alarmSpecs(config)) {
    // `primary` alarms follow the writer and `replica` alarms the standby slot, each in the
    // instance's region (RDS publishes an instance's metrics only there).
    const slotOf = (subject: "primary" | "replica"): Place =>
      subject === "primary" ? database.topology.writer : database.topology.standby;
    const providerOf = (place: Place): aws.Provider =>
      place === "primary" ? providers.primary : place === "replica" ? providers.replica : providers.dr;
    const provider = spec.subject === "monitor" ? providers.dr : providerOf(slotOf(spec.subject));
    const dimensions: Record<string, pulumi.Input<string>> = spec.subject === "monitor"
      ? { [METRIC_DIMENSION]: config.environmentSuffix }
      : {
          DBInstanceIdentifier: (spec.subject === "primary" ? database.writer : database.standby).identifier,
        };
    const name = ctx.name(`alarm-${spec.subject}-${spec.id}`);
    alarms[`${spec.subject}-${spec.id}`] = metricAlarm(
      ctx,
      {
        name,
        description: spec.description,
        namespace: spec.namespace,
        metricName: spec.metricName,
        dimensions,
        statistic: spec.statistic,
        comparisonOperator: spec.comparisonOperator,
        threshold: spec.threshold,
        periodSeconds: spec.periodSeconds,
        evaluationPeriods: spec.evaluationPeriods,
        treatMissingData: spec.treatMissingData,
        topicArn: topicOf(provider).arn,
        drRole: spec.subject === "monitor" ? "monitoring" : spec.subject,
      },
      { parent: ctx.parent, provider },
    );
  }
  return {
    primaryTopic,
    drTopic,
    alarms,
    primaryUnreachableAlarm: alarms["monitor-primary-unreachable"],
    monitorSilentAlarm: alarms["monitor-monitor-silent"],
  };
}
