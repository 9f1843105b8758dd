/**
 * The built-in matrix: fault × RDS status delay × promotion duration × trigger path × placement ×
 * seed, plus the named timelines that reproduce each defect the simulator found. Every timeline is
 * checked against every invariant (`run.ts`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Rng } from "./rng";
import {
  CRASH_POINTS,
  DEFAULT_AWS,
  parseTimeline,
  type RestoreTestStart,
  PLACEMENTS,
  type Fault,
  type Timeline,
  type TriggerPath,
} from "./timeline";

/** The AWS choices a seed makes where the facts are UNCONFIRMED (reference §1.2, §1.3). */
function seeded(
  seed: number,
): Pick<
  Timeline["aws"],
  "deadStatus" | "promotionSequence" | "sourceClears" | "route53InsyncSeconds" | "metricIngestionSeconds"
> {
  const rng = new Rng(seed * 7919 + 17);
  return {
    deadStatus: rng.pick(["failed", "failed", "inaccessible-encryption-credentials", "rebooting"] as const),
    promotionSequence: rng.pick([
      "modifying",
      "modifying-rebooting",
      "modifying-rebooting-backing-up",
    ] as const),
    sourceClears: rng.pick(["start", "end"] as const),
    route53InsyncSeconds: Math.round(rng.between(30, 90)),
    metricIngestionSeconds: Math.round(rng.between(20, 90)),
  };
}

function timeline(
  name: string,
  seed: number,
  placement: Timeline["placement"],
  faults: Fault[],
  extra: Omit<Partial<Timeline>, "aws"> & { aws?: Partial<Timeline["aws"]> } = {},
): Timeline {
  const aws = { ...DEFAULT_AWS, ...seeded(seed), ...extra.aws };
  const last = Math.max(0, ...faults.map((f) => f.atMinute));
  const durationMinutes =
    extra.durationMinutes ??
    Math.ceil(last + aws.rdsStatusDelaySeconds / 60 + aws.promotionSeconds / 60 + 16);
  return {
    name: `${name}/${placement}/seed-${seed}`,
    placement,
    seed,
    durationMinutes,
    aws,
    workload: { commitsPerSecond: 10 },
    triggerPath: extra.triggerPath ?? "both",
    faults,
    restoreTests: extra.restoreTests ?? [],
  };
}

const SEEDS_PRIMARY_LOSS = [1, 2, 3];

/**
 * Where in the monitor's minute a fault falls (a fraction of a minute, two decimals): detection
 * depends on it, so the matrix spreads it over the minute instead of always hitting one phase.
 */
function faultPhase(seed: number, salt: number): number {
  return Math.floor(new Rng(seed * 104_729 + salt).next() * 100) / 100;
}
const SEEDS_OTHER = [11, 12, 13];

/** Every timeline of the built-in matrix, in a stable order. */
export function matrixTimelines(): Timeline[] {
  const out: Timeline[] = [];
  // Primary loss: every status delay, promotion time and trigger path, both placements.
  for (const placement of PLACEMENTS) {
    for (const statusDelay of [0, 180, 600]) {
      for (const promotion of [60, 120, 480, 1200]) {
        for (const triggerPath of ["both", "alarm"] as TriggerPath[]) {
          for (const seed of SEEDS_PRIMARY_LOSS) {
            out.push(
              timeline(
                `primary-dies/status-${statusDelay}s/promote-${promotion}s/${triggerPath}`,
                seed,
                placement,
                [{ kind: "primary-dies", atMinute: 2 + faultPhase(seed, statusDelay + promotion) }],
                {
                  triggerPath,
                  aws: { rdsStatusDelaySeconds: statusDelay, promotionSeconds: promotion },
                },
              ),
            );
          }
        }
      }
    }
  }
  // The monitor's results alone (the alarm's events lost).
  for (const placement of PLACEMENTS) {
    for (const statusDelay of [0, 600]) {
      for (const promotion of [120, 480]) {
        out.push(
          timeline(
            `primary-dies/status-${statusDelay}s/promote-${promotion}s/monitor`,
            1,
            placement,
            [{ kind: "primary-dies", atMinute: 2 + faultPhase(1, statusDelay + promotion) }],
            {
              triggerPath: "monitor",
              aws: { rdsStatusDelaySeconds: statusDelay, promotionSeconds: promotion },
            },
          ),
        );
      }
    }
  }
  // Faults that must never promote.
  const harmless: [string, Fault[]][] = [
    ["blip-20s", [{ kind: "primary-dies", atMinute: 2, forMinutes: 0.33 }]],
    ["maintenance-reboot-60s", [{ kind: "primary-reboot", atMinute: 2, forMinutes: 1 }]],
    ["maintenance-reboot-90s", [{ kind: "primary-reboot", atMinute: 2, forMinutes: 1.5 }]],
    ["storage-full", [{ kind: "primary-storage-full", atMinute: 2, forMinutes: 20 }]],
    [
      "too-many-connections",
      [{ kind: "primary-refuses", atMinute: 2, forMinutes: 15, detail: "sorry, too many clients already" }],
    ],
    [
      "rds-throttle-storm-with-refusals",
      [
        { kind: "api-throttle", atMinute: 2, forMinutes: 15, service: "rds", region: "primary" },
        { kind: "primary-refuses", atMinute: 2, forMinutes: 15, detail: "sorry, too many clients already" },
      ],
    ],
    [
      "rds-5xx-storm-with-refusals",
      [
        { kind: "api-errors", atMinute: 2, forMinutes: 15, service: "rds", region: "primary" },
        { kind: "primary-refuses", atMinute: 2, forMinutes: 15, detail: "sorry, too many clients already" },
      ],
    ],
    ["probe-path-down", [{ kind: "probe-path-down", atMinute: 2, forMinutes: 20 }]],
    ["replica-lag-120s", [{ kind: "replica-lag", atMinute: 2, forMinutes: 10, seconds: 120 }]],
    ["replica-dies", [{ kind: "replica-dies", atMinute: 2 }]],
    ["sns-throttled", [{ kind: "api-throttle", atMinute: 2, forMinutes: 10, service: "sns", region: "dr" }]],
    [
      "route53-errors",
      [{ kind: "api-errors", atMinute: 2, forMinutes: 10, service: "route53", region: "global" }],
    ],
    ["monitor-crashes", [{ kind: "function-crash", atMinute: 2, function: "monitor", times: 5 }]],
  ];
  for (const placement of PLACEMENTS) {
    for (const [name, faults] of harmless) {
      for (const seed of SEEDS_OTHER)
        out.push(timeline(name, seed, placement, faults, { durationMinutes: 30 }));
    }
  }
  // Primary loss with complications.
  const dies: Fault = { kind: "primary-dies", atMinute: 2 };
  const complicated: [string, Fault[]][] = [
    // The step runner dies mid-step at every point: Step Functions retries the task (Lambda.Unknown),
    // and the retried step finds what its interrupted attempt did.
    // (The old primary is dead: its fence never reboots it; a switchover below crashes there.)
    ...Object.keys(CRASH_POINTS["step-runner"])
      .filter((step) => step !== "reboot-old-primary" && step !== "restore-from-backup")
      .map((step): [string, Fault[]] => [
        `step-runner-crashes-at-${step}`,
        [dies, { kind: "function-crash", atMinute: 2, function: "step-runner", step }],
      ]),
    // Its call never returns: Lambda's timeout ends the invocation, the task is retried.
    ...["fence-old-primary", "promote-replica", "check-writable", "switch-writer"].map(
      (step): [string, Fault[]] => [
        `step-runner-times-out-at-${step}`,
        [dies, { kind: "function-timeout", atMinute: 2, function: "step-runner", step }],
      ],
    ),
    [
      "step-runner-times-out-twice-at-check-writable",
      [
        dies,
        { kind: "function-timeout", atMinute: 2, function: "step-runner", step: "check-writable", times: 2 },
      ],
    ],
    // The failover function dies right after StartExecution reached Step Functions: its retry finds
    // the execution (ExecutionAlreadyExists or running) and starts nothing.
    [
      "failover-crashes-at-start-execution",
      [dies, { kind: "function-crash", atMinute: 2, function: "failover", step: "start-execution" }],
    ],
    [
      "sfn-throttles-start-execution",
      [dies, { kind: "api-throttle", atMinute: 2, forMinutes: 4, service: "sfn", region: "dr" }],
    ],
    [
      "monitor-crashes-after-loss",
      [dies, { kind: "function-crash", atMinute: 2, function: "monitor", times: 2 }],
    ],
    ["duplicate-events", [dies, { kind: "duplicate-events", atMinute: 0, forMinutes: 30 }]],
    ["lost-monitor-events", [dies, { kind: "lost-events", atMinute: 2, forMinutes: 3 }]],
    [
      "primary-region-ec2-blackhole",
      [dies, { kind: "api-blackhole", atMinute: 2, forMinutes: 60, service: "ec2", region: "primary" }],
    ],
    [
      "replica-lag-30s-then-loss",
      [
        { kind: "replica-lag", atMinute: 0, seconds: 30 },
        { ...dies, atMinute: 4 },
      ],
    ],
    [
      "replica-lag-120s-then-loss",
      [
        { kind: "replica-lag", atMinute: 0, seconds: 120 },
        { ...dies, atMinute: 4 },
      ],
    ],
  ];
  for (const placement of PLACEMENTS) {
    for (const [name, faults] of complicated) {
      for (const seed of SEEDS_OTHER.slice(0, 2))
        out.push(
          timeline(name, seed, placement, faults, {
            aws: { promotionSeconds: 180, rdsStatusDelaySeconds: 60 },
          }),
        );
    }
  }
  // Operators.
  const operator: [string, Fault[]][] = [
    ["switchover", [{ kind: "switchover-request", atMinute: 2 }]],
    [
      "switchover-step-runner-crashes-at-reboot-old-primary",
      [
        { kind: "switchover-request", atMinute: 2 },
        { kind: "function-crash", atMinute: 2, function: "step-runner", step: "reboot-old-primary" },
      ],
    ],
    ["manual-failover-healthy-primary", [{ kind: "manual-failover", atMinute: 2, acceptDataLoss: false }]],
    [
      "manual-failover-accepting-loss",
      [
        { kind: "replica-lag", atMinute: 0, seconds: 120 },
        dies,
        { kind: "manual-failover", atMinute: 6, acceptDataLoss: true },
      ],
    ],
  ];
  for (const placement of PLACEMENTS) {
    for (const [name, faults] of operator) {
      for (const seed of SEEDS_OTHER)
        out.push(timeline(name, seed, placement, faults, { aws: { promotionSeconds: 180 } }));
    }
  }
  // Regional loss. With the replica in the primary's region both instances go: a new writer is
  // restored from the replicated backups, at every restore duration and on either trigger path;
  // a cross-region replica survives and is promoted instead.
  const regionLost: Fault = { kind: "region-lost", atMinute: 2 };
  for (const restoreSeconds of [600, 1800, 3600, 7200]) {
    for (const triggerPath of ["both", "monitor"] as TriggerPath[]) {
      for (const seed of SEEDS_OTHER.slice(0, 2)) {
        out.push(
          timeline(
            `region-lost/restore-${restoreSeconds}s/${triggerPath}`,
            seed,
            "same-region",
            [regionLost],
            {
              triggerPath,
              durationMinutes: 2 + Math.ceil(restoreSeconds / 60) + 40,
              aws: { restoreSeconds },
            },
          ),
        );
      }
    }
  }
  const regional: [string, Timeline["placement"], Fault[], Partial<Timeline["aws"]>][] = [
    ["region-lost-replica-survives", "cross-region", [regionLost], {}],
    // Both instances fail while their region's API still answers (a partial regional loss).
    [
      "both-instances-fail",
      "same-region",
      [
        { kind: "primary-dies", atMinute: 2 },
        { kind: "replica-dies", atMinute: 2 },
      ],
      { deadStatus: "failed" },
    ],
    ["region-lost-no-backups", "same-region", [regionLost], { backupsReplicated: false }],
    // The primary's region cut off from here (its APIs and the probe path), its instances alive:
    // its logs keep reaching the DR backups, so nothing may be restored. (With a cross-region
    // replica, tier 1 promotes on the API outage alone: README, limits.)
    [
      "primary-region-partitioned",
      "same-region",
      [
        { kind: "probe-path-down", atMinute: 2, forMinutes: 25 },
        ...(["rds", "ec2", "cloudwatch"] as const).map((service): Fault => ({
          kind: "api-blackhole",
          atMinute: 2,
          forMinutes: 25,
          service,
          region: "primary",
        })),
      ],
      {},
    ],
    [
      "region-lost-step-runner-crashes-at-restore",
      "same-region",
      [
        regionLost,
        { kind: "function-crash", atMinute: 2, function: "step-runner", step: "restore-from-backup" },
      ],
      {},
    ],
  ];
  for (const [name, placement, faults, aws] of regional) {
    for (const seed of SEEDS_OTHER.slice(0, 2))
      out.push(
        timeline(name, seed, placement, faults, {
          durationMinutes: 80,
          aws: { restoreSeconds: 1800, ...aws },
        }),
      );
  }
  out.push(...restoreTestTimelines(regionLost));
  return [...out, ...namedTimelines()];
}

/**
 * The restore test (`restore-test/…`): the weekly test on a healthy stack at two restore durations,
 * with a freshness run before it (no success yet: counted from the first run) and after it; a test
 * running when the primary's region is lost (the regional restore must still happen, beside it) or
 * when the primary dies (the failover's steps and the test's run on the step runner at once);
 * a test without replicated backups; and an operator's test started while the weekly one restores.
 * Schedules fire at the timeline's minutes instead of Sunday 03:00 UTC.
 */
function restoreTestTimelines(regionLost: Fault): Timeline[] {
  const out: Timeline[] = [];
  const seed = SEEDS_OTHER[0];
  const testAt = (atMinute: number, by: "schedule" | "operator" = "schedule"): RestoreTestStart => ({
    atMinute,
    mode: "test",
    by,
  });
  const freshnessAt = (atMinute: number): RestoreTestStart => ({
    atMinute,
    mode: "freshness",
    by: "schedule",
  });
  for (const restoreSeconds of [600, 1800]) {
    // The test's own length: the restore, the deletion (deleteSeconds), the polls and the report.
    const end = 1 + Math.ceil(restoreSeconds / 60) + Math.ceil(DEFAULT_AWS.deleteSeconds / 60) + 5;
    out.push(
      timeline(`restore-test/healthy/restore-${restoreSeconds}s`, seed, "same-region", [], {
        durationMinutes: end + 2,
        aws: { restoreSeconds },
        restoreTests: [freshnessAt(0), testAt(1), freshnessAt(end)],
      }),
    );
  }
  for (const restoreSeconds of [600, 3600]) {
    out.push(
      timeline(
        `restore-test/region-lost-during-test/restore-${restoreSeconds}s`,
        seed,
        "same-region",
        [regionLost],
        {
          durationMinutes: 2 + Math.ceil(restoreSeconds / 60) + 40,
          aws: { restoreSeconds },
          restoreTests: [testAt(1)],
        },
      ),
    );
  }
  // A failover while a test restores: both state machines' tasks run on the step runner at once.
  out.push(
    timeline(
      "restore-test/primary-dies-during-test",
      seed,
      "cross-region",
      [{ kind: "primary-dies", atMinute: 2 }],
      {
        durationMinutes: 45,
        restoreTests: [testAt(1)],
      },
    ),
  );
  out.push(
    timeline("restore-test/no-backups", seed, "same-region", [], {
      durationMinutes: 10,
      aws: { backupsReplicated: false },
      restoreTests: [testAt(1)],
    }),
  );
  // The operator's test finds the weekly one's instance `creating`; its catch path asks to delete
  // it at every poll. The weekly restore (1850 s) becomes available at x:52 past a minute, between
  // the operator's poll (x:56) and the weekly's (x:03): a race the operator's cleanup may win.
  out.push(
    timeline("restore-test/manual-during-weekly", seed, "same-region", [], {
      durationMinutes: 50,
      aws: { restoreSeconds: 1850 },
      restoreTests: [testAt(1), testAt(10.9, "operator")],
    }),
  );
  return out;
}

/** The timelines of `timelines/*.json`: one per defect the simulator found, named after it. */
export function namedTimelines(dir = join(__dirname, "..", "..", "timelines")): Timeline[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => parseTimeline(JSON.parse(readFileSync(join(dir, f), "utf8")), join("timelines", f)));
}
