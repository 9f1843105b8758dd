import {
  dashboardBody,
  InvalidDashboardArgsError,
  writerMarkdown,
  type DashboardArgs,
  type MetricWidget,
  type TextWidget,
} from "../../lib/infra/dashboard";

const args: DashboardArgs = {
  environmentSuffix: "dev",
  metricsNamespace: "TapStack",
  drRegion: "ap-southeast-1",
  primary: {
    instanceId: "rds-primary-dev",
    region: "ap-southeast-2",
    endpoint: "rds-primary-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com",
  },
  replica: {
    instanceId: "rds-replica-dev",
    region: "ap-southeast-1",
    endpoint: "rds-replica-dev.c1bkcjq55.ap-southeast-1.rds.amazonaws.com",
  },
  activeWriter: "primary",
  writerRecordName: "writer.db-dev.internal",
  maxReplicationLagSeconds: 60,
  failoverFunctionName: "lambda-failover-dev-3c4d5e6",
  stepRunnerFunctionName: "lambda-step-runner-dev",
  stateMachineArn: "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev",
};

function graphs(body = dashboardBody(args)): MetricWidget[] {
  return body.widgets.filter((w): w is MetricWidget => w.type === "metric");
}

describe("dashboardBody", () => {
  it("draws exactly these graphs, each in the region where its metrics exist", () => {
    const rows = graphs().map((w) => [
      w.properties.title,
      w.properties.region,
      w.properties.stat,
      w.properties.metrics,
    ]);
    expect(rows).toEqual([
      [
        "Primary reachable (1 = probe ok), dev",
        "ap-southeast-1",
        "Minimum",
        [["TapStack", "PrimaryReachable", "Environment", "dev"]],
      ],
      [
        "Monitor runs per minute, dev",
        "ap-southeast-1",
        "Sum",
        [["TapStack", "MonitorRun", "Environment", "dev"]],
      ],
      [
        "Heartbeat lag (seconds), dev",
        "ap-southeast-1",
        "Maximum",
        [["TapStack", "HeartbeatLagSeconds", "Environment", "dev"]],
      ],
      [
        "RDS ReplicaLag of rds-replica-dev (seconds)",
        "ap-southeast-1",
        "Maximum",
        [["AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", "rds-replica-dev"]],
      ],
      [
        "CPU (%): primary rds-primary-dev",
        "ap-southeast-2",
        "Average",
        [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "rds-primary-dev"]],
      ],
      [
        "CPU (%): replica rds-replica-dev",
        "ap-southeast-1",
        "Average",
        [["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "rds-replica-dev"]],
      ],
      [
        "Connections: primary rds-primary-dev",
        "ap-southeast-2",
        "Maximum",
        [["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "rds-primary-dev"]],
      ],
      [
        "Connections: replica rds-replica-dev",
        "ap-southeast-1",
        "Maximum",
        [["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "rds-replica-dev"]],
      ],
      [
        "Free storage (bytes): primary rds-primary-dev",
        "ap-southeast-2",
        "Minimum",
        [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", "rds-primary-dev"]],
      ],
      [
        "Free storage (bytes): replica rds-replica-dev",
        "ap-southeast-1",
        "Minimum",
        [["AWS/RDS", "FreeStorageSpace", "DBInstanceIdentifier", "rds-replica-dev"]],
      ],
      [
        "Write latency (seconds): primary rds-primary-dev",
        "ap-southeast-2",
        "Average",
        [["AWS/RDS", "WriteLatency", "DBInstanceIdentifier", "rds-primary-dev"]],
      ],
      [
        "Write latency (seconds): replica rds-replica-dev",
        "ap-southeast-1",
        "Average",
        [["AWS/RDS", "WriteLatency", "DBInstanceIdentifier", "rds-replica-dev"]],
      ],
      [
        "Failover function: invocations and errors, dev",
        "ap-southeast-1",
        "Sum",
        [
          ["AWS/Lambda", "Invocations", "FunctionName", "lambda-failover-dev-3c4d5e6"],
          ["AWS/Lambda", "Errors", "FunctionName", "lambda-failover-dev-3c4d5e6"],
        ],
      ],
      [
        "Failover steps taken / failed, dev",
        "ap-southeast-1",
        "Maximum",
        [
          ["TapStack", "FailoverActed", "Environment", "dev"],
          ["TapStack", "FailoverFailed", "Environment", "dev"],
        ],
      ],
      [
        "Failover workflow executions, dev",
        "ap-southeast-1",
        "Sum",
        ["ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut"].map((m) => [
          "AWS/States",
          m,
          "StateMachineArn",
          "arn:aws:states:ap-southeast-1:123456789012:stateMachine:sfn-failover-dev",
        ]),
      ],
      [
        "Step runner: invocations and errors, dev",
        "ap-southeast-1",
        "Sum",
        [
          ["AWS/Lambda", "Invocations", "FunctionName", "lambda-step-runner-dev"],
          ["AWS/Lambda", "Errors", "FunctionName", "lambda-step-runner-dev"],
        ],
      ],
      [
        "Step runner: duration (ms), dev",
        "ap-southeast-1",
        "Maximum",
        [["AWS/Lambda", "Duration", "FunctionName", "lambda-step-runner-dev"]],
      ],
      [
        "Snapshot exports failed (last 26 h), dev",
        "ap-southeast-1",
        "Maximum",
        [["TapStack", "SnapshotExportFailed", "Environment", "dev"]],
      ],
      [
        "Hours since the last successful export, dev",
        "ap-southeast-1",
        "Maximum",
        [["TapStack", "HoursSinceLastSuccessfulExport", "Environment", "dev"]],
      ],
      [
        "Last restore test, dev",
        "ap-southeast-1",
        "Maximum",
        [
          [
            "TapStack",
            "RestoreTestDurationSeconds",
            "Environment",
            "dev",
            { label: "measured regional-loss RTO (restore), seconds" },
          ],
          [
            "TapStack",
            "RestoreTestDataAgeSeconds",
            "Environment",
            "dev",
            { label: "data age of the restored copy, seconds" },
          ],
          [
            "TapStack",
            "RestoreTestAgeHours",
            "Environment",
            "dev",
            { label: "hours since the last successful test" },
          ],
        ],
      ],
      [
        "Hours since the last successful restore test, dev",
        "ap-southeast-1",
        "Maximum",
        [["TapStack", "RestoreTestAgeHours", "Environment", "dev"]],
      ],
    ]);
  });

  it("shows the last restore test as single values, the others as time series", () => {
    expect(
      graphs()
        .map((w) => [w.properties.title, w.properties.view])
        .filter(([, v]) => v !== "timeSeries"),
    ).toEqual([["Last restore test, dev", "singleValue"]]);
  });

  it("draws the RDS graphs of a same-region replica in the primary's region", () => {
    const sameRegion = { ...args, replica: { ...args.replica, region: "ap-southeast-2" } };
    const regions = graphs(dashboardBody(sameRegion))
      .filter((w) => w.properties.metrics[0][0] === "AWS/RDS")
      .map((w) => w.properties.region);
    expect(new Set(regions)).toEqual(new Set(["ap-southeast-2"]));
    expect(regions).toHaveLength(9);
  });

  it("draws the lag guard at maxReplicationLagSeconds on both lag graphs and nowhere else", () => {
    const annotated = graphs().filter((w) => w.properties.annotations !== undefined);
    expect(annotated.map((w) => [w.properties.title, w.properties.annotations])).toEqual([
      [
        "Heartbeat lag (seconds), dev",
        { horizontal: [{ label: "Lag guard: 60 s", value: 60, color: "#d62728" }] },
      ],
      [
        "RDS ReplicaLag of rds-replica-dev (seconds)",
        { horizontal: [{ label: "Lag guard: 60 s", value: 60, color: "#d62728" }] },
      ],
      [
        "Hours since the last successful export, dev",
        { horizontal: [{ label: "Overdue: 26 h", value: 26, color: "#d62728" }] },
      ],
      [
        "Hours since the last successful restore test, dev",
        { horizontal: [{ label: "Stale: 192 h", value: 192, color: "#d62728" }] },
      ],
    ]);
    const strict = graphs(
      dashboardBody({
        ...args,
        maxReplicationLagSeconds: 15,
        exportOverdueHours: 30,
        restoreTestStaleHours: 100,
      }),
    );
    expect(strict[2].properties.annotations?.horizontal[0].value).toBe(15);
    expect(strict[3].properties.annotations?.horizontal[0].value).toBe(15);
    expect(strict.at(-3)?.properties.annotations?.horizontal[0].value).toBe(30);
    expect(strict.at(-1)?.properties.annotations?.horizontal[0].value).toBe(100);
  });

  it("reads per-minute graphs per minute and the daily exports and restore tests per day", () => {
    expect(graphs().map((w) => w.properties.period)).toEqual([
      ...Array(17).fill(60),
      ...Array(4).fill(86_400),
    ]);
  });

  it("lays widgets on the 24-wide grid without overlap", () => {
    const { widgets } = dashboardBody(args);
    expect(widgets).toHaveLength(22);
    const cells = new Set<string>();
    for (const w of widgets) {
      expect(w.x + w.width).toBeLessThanOrEqual(24);
      for (let x = w.x; x < w.x + w.width; x++) {
        for (let y = w.y; y < w.y + w.height; y++) {
          const cell = `${x},${y}`;
          expect(cells.has(cell)).toBe(false);
          cells.add(cell);
        }
      }
    }
    // The primary's graph sits left of the replica's graph of the same metric.
    const cpu = graphs().filter((w) => w.properties.title.startsWith("CPU"));
    expect(cpu.map((w) => [w.x, w.y])).toEqual([
      [0, 16],
      [12, 16],
    ]);
  });

  it("serialises to JSON that parses back to the same body", () => {
    const body = dashboardBody(args);
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });
});

describe("the writer widget", () => {
  it("opens the dashboard and names the primary as writer in primary mode", () => {
    const [first] = dashboardBody(args).widgets as [TextWidget];
    expect(first).toMatchObject({ type: "text", x: 0, y: 0, width: 24, height: 4 });
    expect(first.properties.markdown).toBe(
      [
        "# TapStack dev: writer",
        "Active writer mode: **primary**. Applications write through `writer.db-dev.internal`.",
        "",
        "Writer: **`rds-primary-dev`** in ap-southeast-2, `rds-primary-dev.c9akciq32.ap-southeast-2.rds.amazonaws.com`",
        "",
        "Replica (standby): `rds-replica-dev` in ap-southeast-1, `rds-replica-dev.c1bkcjq55.ap-southeast-1.rds.amazonaws.com`",
        "",
        "Lag guard: automatic failover is blocked above 60 s of replication lag. See RUNBOOK.md for every alert.",
      ].join("\n"),
    );
  });

  it("names the promoted replica as writer and the old primary as kept in replica mode", () => {
    const markdown = writerMarkdown({ ...args, activeWriter: "replica" });
    expect(markdown).toContain("Active writer mode: **replica**.");
    expect(markdown).toContain(
      "Writer: **`rds-replica-dev`** in ap-southeast-1, `rds-replica-dev.c1bkcjq55.ap-southeast-1.rds.amazonaws.com`",
    );
    expect(markdown).toContain(
      "Old primary: `rds-primary-dev` in ap-southeast-2 (kept until removed after a final snapshot)",
    );
  });
});

describe("bad arguments name the key, the value and the fix", () => {
  const cases: [string, Partial<DashboardArgs>, string][] = [
    [
      "an empty suffix",
      { environmentSuffix: "" },
      'environmentSuffix="" is not valid: expected a non-empty string',
    ],
    ["a DR region with a typo", { drRegion: "ap-southeast1" }, 'drRegion="ap-southeast1" is not valid'],
    [
      "a replica without region",
      { replica: { ...args.replica, region: "" } },
      'replica.region="" is not valid: expected the instance\'s region code',
    ],
    [
      "an unknown writer mode",
      { activeWriter: "dr" as never },
      'activeWriter="dr" is not valid: expected "primary", "replica" or "restored"',
    ],
    [
      "a zero lag guard",
      { maxReplicationLagSeconds: 0 },
      "maxReplicationLagSeconds=0 is not valid: expected a number of seconds > 0, such as 60",
    ],
    ["a negative overdue line", { exportOverdueHours: -1 }, "exportOverdueHours=-1 is not valid"],
    [
      "a zero stale line",
      { restoreTestStaleHours: 0 },
      "restoreTestStaleHours=0 is not valid: expected a number of hours > 0, such as 192",
    ],
    [
      "a state machine name instead of its ARN",
      { stateMachineArn: "sfn-failover-dev" },
      'stateMachineArn="sfn-failover-dev" is not valid: expected a state machine ARN',
    ],
    [
      "an empty step runner name",
      { stepRunnerFunctionName: "" },
      'stepRunnerFunctionName="" is not valid: expected a non-empty string',
    ],
  ];
  it.each(cases)("%s", (_name, override, message) => {
    const build = () => dashboardBody({ ...args, ...override });
    expect(build).toThrow(InvalidDashboardArgsError);
    expect(build).toThrow(message);
  });
});
