/**
 * The documented allow-list for `"Resource": "*"` in IAM policies, and for AWS managed
 * policies attached to roles. Everything else must name exact ARNs.
 *
 * An action may be listed only when AWS gives it no resource-level permission (the Service
 * Authorization Reference lists no resource type for it), or for the reason written next to it.
 * `test/policy/iam-allowlist.test.ts` checks every entry against the IAM action catalogue.
 */

import { LOG_DELIVERY_ACTIONS } from "../lib/infra/iam";

/** Why an action may be granted on `*`. */
export interface WildcardAllowance {
  readonly action: string;
  readonly reason: string;
}

/** Actions that may be granted on `"Resource": "*"` (case-insensitive). */
export const WILDCARD_RESOURCE_ACTIONS: readonly WildcardAllowance[] = [
  {
    action: "ec2:DescribeSecurityGroups",
    reason: "Describe calls have no resource-level permission; fencing reads the primary's group rules.",
  },
  {
    action: "ec2:DescribeSecurityGroupRules",
    reason: "No resource-level permission; fencing finds the client-ingress rules to revoke.",
  },
  {
    action: "ec2:DescribeNetworkInterfaces",
    reason: "No resource-level permission; Lambda needs it to attach the monitor to the DR VPC.",
  },
  { action: "ec2:DescribeSubnets", reason: "No resource-level permission; Lambda VPC attachment." },
  { action: "ec2:DescribeVpcs", reason: "No resource-level permission; Lambda VPC attachment." },
  {
    action: "ec2:CreateNetworkInterface",
    reason:
      "Lambda creates the ENIs of a VPC function under the function's role before their ids exist; " +
      "AWS's own AWSLambdaVPCAccessExecutionRole grants it on * " +
      "(https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).",
  },
  { action: "ec2:DeleteNetworkInterface", reason: "Same as ec2:CreateNetworkInterface (Lambda VPC ENIs)." },
  { action: "ec2:AssignPrivateIpAddresses", reason: "Same as ec2:CreateNetworkInterface (Lambda VPC ENIs)." },
  {
    action: "ec2:UnassignPrivateIpAddresses",
    reason: "Same as ec2:CreateNetworkInterface (Lambda VPC ENIs).",
  },
  {
    action: "cloudwatch:GetMetricData",
    reason:
      "CloudWatch metric reads are not scoped by ARN; the failover function reads the monitor's lag " +
      "history (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html).",
  },
  { action: "cloudwatch:GetMetricStatistics", reason: "Same as cloudwatch:GetMetricData." },
  {
    action: "cloudwatch:PutMetricData",
    reason:
      "Metrics have no ARN; restrict with the cloudwatch:namespace condition key instead. " +
      "(The monitor normally publishes through EMF on stdout and needs no permission at all.)",
  },
  {
    action: "rds:DescribeExportTasks",
    reason:
      "The snapshot-export function lists the export tasks writing to its bucket, a call that names no " +
      "snapshot; the Service Authorization Reference gives the action only optional resource types a " +
      "listing cannot match (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonrds.html).",
  },
  ...LOG_DELIVERY_ACTIONS.map((action) => ({
    action,
    reason:
      "No resource-level permission; the failover state machine's role, for Step Functions' delivery of its " +
      "execution logs, exactly as AWS documents it " +
      "(https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html, IAM policies for logging to CloudWatch Logs).",
  })),
  { action: "xray:PutTraceSegments", reason: "X-Ray has no resource-level permission for writes." },
  { action: "xray:PutTelemetryRecords", reason: "X-Ray has no resource-level permission for writes." },
];

/**
 * AWS managed policies that may be attached to a role, with their statements as AWS publishes
 * them (so the least-privilege check can evaluate them like inline policies).
 */
export const ALLOWED_MANAGED_POLICIES: Readonly<
  Record<string, { readonly reason: string; readonly document: object }>
> = {
  "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole": {
    reason: "ENI management for a function attached to a VPC, plus its own logs; no data-plane access.",
    document: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:PutLogEvents",
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DescribeSubnets",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
          ],
          Resource: "*",
        },
      ],
    },
  },
  "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
    reason: "A function's own CloudWatch Logs; no data-plane access.",
    document: {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Action: ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: "*",
        },
      ],
    },
  },
};

/** True when `action` may be granted on `"Resource": "*"`. */
export function wildcardResourceAllowed(action: string): boolean {
  return WILDCARD_RESOURCE_ACTIONS.some((a) => a.action.toLowerCase() === action.toLowerCase());
}
