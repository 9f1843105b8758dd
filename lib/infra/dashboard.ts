/**
 * The CloudWatch dashboard of one stack, as plain data: which instance takes writes, what the monitor
 * sees (probes, heartbeat lag), RDS's own view of both instances, the failover function and the
 * snapshot exports. Pure: the stack calls {@link dashboardBody} inside an `apply` once identifiers and
 * endpoints are known and passes `JSON.stringify` of the result as `dashboardBody`.
 *
 * A metric widget reads from exactly one region (its `region` property), and RDS publishes an
 * instance's metrics only in that instance's region, so every RDS widget is drawn in the region of
 * the instance it shows; the functions' metrics (EMF and AWS/Lambda) are in the DR region, where
 * the functions run. Dashboard body reference:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
import { METRIC_DIMENSION, METRICS, RESTORE_TEST_METRICS } from "../function-env";
import { RESTORE_TEST_STALE_HOURS } from "./restore-test-metrics";

/**
 * Which declared instance takes writes: the stack's `activeWriter` mode. After a regional restore
 * (`restored`) the dashboard's `primary` is the restored writer.
 */
export type ActiveWriter = "primary" | "replica" | "restored";

/** One RDS instance as the dashboard shows it. */
export interface DashboardInstance {
  /** RDS DB instance identifier (`rds-primary-dev`). */
  readonly instanceId: string;
  /** The instance's own region: its RDS metrics exist only there. */
  readonly region: string;
  /** Endpoint address (host name). */
  readonly endpoint: string;
}

/** What the dashboard is drawn from; plain values, resolved before the call. */
export interface DashboardArgs {
  readonly environmentSuffix: string;
  /** Namespace of the functions' EMF metrics (`TapStack`). */
  readonly metricsNamespace: string;
  /** Region of the health monitor and the failover and snapshot-export functions. */
  readonly drRegion: string;
  readonly primary: DashboardInstance;
  readonly replica: DashboardInstance;
  readonly activeWriter: ActiveWriter;
  /** `writer.<zone>`: the name applications write through. */
  readonly writerRecordName: string;
  /** The lag guard of the failover decision; drawn as a line on both lag graphs. */
  readonly maxReplicationLagSeconds: number;
  /** Physical name of the failover function. */
  readonly failoverFunctionName: string;
  /** Physical name of the step runner (the failover workflow's tasks). */
  readonly stepRunnerFunctionName: string;
  /** ARN of the failover state machine (the AWS/States metrics' `StateMachineArn` dimension). */
  readonly stateMachineArn: string;
  /** Hours without a successful export before the export alarm fires; drawn as a line. Default 26. */
  readonly exportOverdueHours?: number;
  /** Hours without a successful restore test before the stale alarm fires; drawn as a line. Default 192. */
  readonly restoreTestStaleHours?: number;
}

/** A metric line: `[namespace, name, dimension, value, …, options?]`. */
export type MetricLine = readonly (string | { readonly [key: string]: string | number })[];

/** One horizontal line on a graph. */
export interface HorizontalAnnotation {
  readonly label: string;
  readonly value: number;
  readonly color?: string;
}

/** A graph widget. */
export interface MetricWidget {
  readonly type: "metric";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: {
    readonly title: string;
    readonly region: string;
    /** `singleValue`: the newest datapoint of each line in the dashboard's time range. */
    readonly view: "timeSeries" | "singleValue";
    readonly stacked: false;
    readonly period: number;
    readonly stat: string;
    readonly metrics: readonly MetricLine[];
    readonly annotations?: { readonly horizontal: readonly HorizontalAnnotation[] };
    readonly yAxis?: {
      readonly left: { readonly min?: number; readonly max?: number; readonly label?: string };
    };
  };
}

/** A Markdown widget. */
export interface TextWidget {
  readonly type: "text";
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: { readonly markdown: string };
}

export type DashboardWidget = MetricWidget | TextWidget;

/** The `dashboardBody` JSON, before `JSON.stringify`. */
export interface DashboardBody {
  readonly widgets: readonly DashboardWidget[];
}

/** Arguments that cannot give a working dashboard; the message names the key, the value and the fix. */
export class InvalidDashboardArgsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidDashboardArgsError";
  }
}

/** Default of {@link DashboardArgs.exportOverdueHours}: one daily export plus two hours of slack. */
export const DEFAULT_EXPORT_OVERDUE_HOURS = 26;

/** The dashboard grid is 24 units wide. */
const GRID_WIDTH = 24;
const HALF = 12;
const GRAPH_HEIGHT = 6;
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

function fail(key: string, value: unknown, fix: string): never {
  throw new InvalidDashboardArgsError(`${key}=${JSON.stringify(value)} is not valid: ${fix}`);
}

function validate(args: DashboardArgs): void {
  const text = (key: string, value: unknown) => {
    if (typeof value !== "string" || value.trim() === "") fail(key, value, "expected a non-empty string");
  };
  text("environmentSuffix", args.environmentSuffix);
  text("metricsNamespace", args.metricsNamespace);
  text("writerRecordName", args.writerRecordName);
  text("failoverFunctionName", args.failoverFunctionName);
  text("stepRunnerFunctionName", args.stepRunnerFunctionName);
  if (
    !/^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]+$/.test(args.stateMachineArn ?? "")
  ) {
    fail(
      "stateMachineArn",
      args.stateMachineArn,
      "expected a state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)",
    );
  }
  if (!REGION_PATTERN.test(args.drRegion))
    fail("drRegion", args.drRegion, "expected a region code such as ap-southeast-1");
  for (const role of ["primary", "replica"] as const) {
    const instance = args[role];
    text(`${role}.instanceId`, instance?.instanceId);
    text(`${role}.endpoint`, instance?.endpoint);
    if (!REGION_PATTERN.test(instance.region)) {
      fail(`${role}.region`, instance.region, "expected the instance's region code, such as ap-southeast-2");
    }
  }
  if (!["primary", "replica", "restored"].includes(args.activeWriter)) {
    fail("activeWriter", args.activeWriter, 'expected "primary", "replica" or "restored"');
  }
  if (!(Number.isFinite(args.maxReplicationLagSeconds) && args.maxReplicationLagSeconds > 0)) {
    fail(
      "maxReplicationLagSeconds",
      args.maxReplicationLagSeconds,
      "expected a number of seconds > 0, such as 60",
    );
  }
  const stale = args.restoreTestStaleHours;
  if (stale !== undefined && !(Number.isFinite(stale) && stale > 0)) {
    fail("restoreTestStaleHours", stale, "expected a number of hours > 0, such as 192");
  }
  const overdue = args.exportOverdueHours;
  if (overdue !== undefined && !(Number.isFinite(overdue) && overdue > 0)) {
    fail("exportOverdueHours", overdue, "expected a number of hours > 0, such as 26");
  }
}

/** Lays widgets out left to right, wrapping at the grid's width. */
class Grid {
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  readonly widgets: DashboardWidget[] = [];

  place<W extends DashboardWidget>(widget: Omit<W, "x" | "y">): void {
    if (this.x + widget.width > GRID_WIDTH) {
      this.x = 0;
      this.y += this.rowHeight;
      this.rowHeight = 0;
    }
    this.widgets.push({ ...widget, x: this.x, y: this.y } as DashboardWidget);
    this.x += widget.width;
    this.rowHeight = Math.max(this.rowHeight, widget.height);
  }
}

function graph(
  title: string,
  region: string,
  stat: string,
  metrics: readonly MetricLine[],
  extra: Pick<MetricWidget["properties"], "annotations" | "yAxis"> = {},
): Omit<MetricWidget, "x" | "y"> {
  return {
    type: "metric",
    width: HALF,
    height: GRAPH_HEIGHT,
    properties: { title, region, view: "timeSeries", stacked: false, period: 60, stat, metrics, ...extra },
  };
}

/** The Markdown of the writer widget: who takes writes, through which name, and what to read next. */
export function writerMarkdown(args: DashboardArgs): string {
  const writer = args.activeWriter === "replica" ? args.replica : args.primary;
  const other = args.activeWriter === "replica" ? args.primary : args.replica;
  const standby =
    args.activeWriter === "replica"
      ? `Old primary: \`${other.instanceId}\` in ${other.region} (kept until removed after a final snapshot)`
      : `Replica (standby): \`${other.instanceId}\` in ${other.region}, \`${other.endpoint}\``;
  return [
    `# TapStack ${args.environmentSuffix}: writer`,
    `Active writer mode: **${args.activeWriter}**. Applications write through \`${args.writerRecordName}\`.`,
    "",
    `Writer: **\`${writer.instanceId}\`** in ${writer.region}, \`${writer.endpoint}\``,
    "",
    standby,
    "",
    `Lag guard: automatic failover is blocked above ${args.maxReplicationLagSeconds} s of replication lag. See RUNBOOK.md for every alert.`,
  ].join("\n");
}

/**
 * The dashboard body of one stack. Widgets, in order: the writer (text); primary probes; heartbeat
 * lag and RDS `ReplicaLag`, both with the lag guard drawn at `maxReplicationLagSeconds`; CPU,
 * connections, free storage and write latency of the primary and of the replica, side by side, each
 * in its instance's region; the failover function's invocations and errors; the steps it took; the
 * failover workflow's executions started, succeeded, failed and timed out; the step runner's
 * invocations and errors, and its duration; export failures and hours since the last successful
 * export (with the overdue line); the last restore test (its duration, the measured regional-loss
 * RTO of a restore) and hours since the last successful one (with the stale line).
 */
export function dashboardBody(args: DashboardArgs): DashboardBody {
  validate(args);
  const ns = args.metricsNamespace;
  const env = args.environmentSuffix;
  const dr = args.drRegion;
  const lagGuard: HorizontalAnnotation = {
    label: `Lag guard: ${args.maxReplicationLagSeconds} s`,
    value: args.maxReplicationLagSeconds,
    color: "#d62728",
  };
  const overdueHours = args.exportOverdueHours ?? DEFAULT_EXPORT_OVERDUE_HOURS;
  const custom = (metric: string): MetricLine => [ns, metric, METRIC_DIMENSION, env];
  const rds = (instance: DashboardInstance, metric: string): MetricLine => [
    "AWS/RDS",
    metric,
    "DBInstanceIdentifier",
    instance.instanceId,
  ];
  const lambda = (metric: string, fn: string = args.failoverFunctionName): MetricLine => [
    "AWS/Lambda",
    metric,
    "FunctionName",
    fn,
  ];
  const states = (metric: string): MetricLine => [
    "AWS/States",
    metric,
    "StateMachineArn",
    args.stateMachineArn,
  ];

  const grid = new Grid();
  grid.place<TextWidget>({
    type: "text",
    width: GRID_WIDTH,
    height: 4,
    properties: { markdown: writerMarkdown(args) },
  });
  // Minimum: one failed probe in the minute shows as 0, the way the primary-health alarm reads it.
  grid.place(
    graph(`Primary reachable (1 = probe ok), ${env}`, dr, "Minimum", [custom(METRICS.primaryReachable)], {
      yAxis: { left: { min: 0, max: 1 } },
    }),
  );
  grid.place(
    graph(`Monitor runs per minute, ${env}`, dr, "Sum", [custom(METRICS.monitorRun)], {
      yAxis: { left: { min: 0 } },
    }),
  );
  grid.place(
    graph(`Heartbeat lag (seconds), ${env}`, dr, "Maximum", [custom(METRICS.heartbeatLagSeconds)], {
      annotations: { horizontal: [lagGuard] },
      yAxis: { left: { min: 0, label: "seconds" } },
    }),
  );
  grid.place(
    graph(
      `RDS ReplicaLag of ${args.replica.instanceId} (seconds)`,
      args.replica.region,
      "Maximum",
      [rds(args.replica, "ReplicaLag")],
      { annotations: { horizontal: [lagGuard] }, yAxis: { left: { min: 0, label: "seconds" } } },
    ),
  );
  const perInstance: [string, string, string, string][] = [
    ["CPUUtilization", "CPU (%)", "Average", "percent"],
    ["DatabaseConnections", "Connections", "Maximum", "count"],
    ["FreeStorageSpace", "Free storage (bytes)", "Minimum", "bytes"],
    // RDS reports WriteLatency in seconds.
    ["WriteLatency", "Write latency (seconds)", "Average", "seconds"],
  ];
  for (const [metric, label, stat, unit] of perInstance) {
    for (const role of ["primary", "replica"] as const) {
      const instance = args[role];
      grid.place(
        graph(`${label}: ${role} ${instance.instanceId}`, instance.region, stat, [rds(instance, metric)], {
          yAxis: { left: { min: 0, label: unit } },
        }),
      );
    }
  }
  grid.place(
    graph(
      `Failover function: invocations and errors, ${env}`,
      dr,
      "Sum",
      [lambda("Invocations"), lambda("Errors")],
      { yAxis: { left: { min: 0 } } },
    ),
  );
  grid.place(
    graph(
      `Failover steps taken / failed, ${env}`,
      dr,
      "Maximum",
      [custom(METRICS.failoverActed), custom(METRICS.failoverFailed)],
      { yAxis: { left: { min: 0, max: 1 } } },
    ),
  );
  grid.place(
    graph(
      `Failover workflow executions, ${env}`,
      dr,
      "Sum",
      ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"].map(states),
      { yAxis: { left: { min: 0 } } },
    ),
  );
  grid.place(
    graph(
      `Step runner: invocations and errors, ${env}`,
      dr,
      "Sum",
      [lambda("Invocations", args.stepRunnerFunctionName), lambda("Errors", args.stepRunnerFunctionName)],
      { yAxis: { left: { min: 0 } } },
    ),
  );
  // Maximum: the longest step of the minute, against the function's 300 s timeout.
  grid.place(
    graph(
      `Step runner: duration (ms), ${env}`,
      dr,
      "Maximum",
      [lambda("Duration", args.stepRunnerFunctionName)],
      {
        yAxis: { left: { min: 0, label: "milliseconds" } },
      },
    ),
  );
  // Exports run daily: a one-day period shows one point per run instead of a sparse minute graph.
  const daily = (widget: Omit<MetricWidget, "x" | "y">): Omit<MetricWidget, "x" | "y"> => ({
    ...widget,
    properties: { ...widget.properties, period: 86_400 },
  });
  grid.place(
    daily(
      graph(
        `Snapshot exports failed (last 26 h), ${env}`,
        dr,
        "Maximum",
        [custom(METRICS.snapshotExportFailed)],
        {
          yAxis: { left: { min: 0 } },
        },
      ),
    ),
  );
  grid.place(
    daily(
      graph(
        `Hours since the last successful export, ${env}`,
        dr,
        "Maximum",
        [custom(METRICS.hoursSinceLastSuccessfulExport)],
        {
          annotations: {
            horizontal: [{ label: `Overdue: ${overdueHours} h`, value: overdueHours, color: "#d62728" }],
          },
          yAxis: { left: { min: 0, label: "hours" } },
        },
      ),
    ),
  );
  // Restore tests run weekly, freshness daily: one-day periods. The single value is the newest
  // test's, which is what the README quotes as the measured regional-loss RTO.
  const staleHours = args.restoreTestStaleHours ?? RESTORE_TEST_STALE_HOURS;
  const lastTest = daily(
    graph(`Last restore test, ${env}`, dr, "Maximum", [
      [
        ...custom(RESTORE_TEST_METRICS.durationSeconds),
        { label: "measured regional-loss RTO (restore), seconds" },
      ],
      [...custom(RESTORE_TEST_METRICS.dataAgeSeconds), { label: "data age of the restored copy, seconds" }],
      [...custom(RESTORE_TEST_METRICS.ageHours), { label: "hours since the last successful test" }],
    ]),
  );
  grid.place({ ...lastTest, properties: { ...lastTest.properties, view: "singleValue" } });
  grid.place(
    daily(
      graph(
        `Hours since the last successful restore test, ${env}`,
        dr,
        "Maximum",
        [custom(RESTORE_TEST_METRICS.ageHours)],
        {
          annotations: {
            horizontal: [{ label: `Stale: ${staleHours} h`, value: staleHours, color: "#d62728" }],
          },
          yAxis: { left: { min: 0, label: "hours" } },
        },
      ),
    ),
  );
  return { widgets: grid.widgets };
}
