/**
 * The lag guard over a whole timeline: a monitor that runs every minute (lag read, then four
 * probes 15 s apart), emits what the deployed monitor emits (HealthyLagSeconds dated at the
 * read only when the probe next to it answered, PrimaryReachable per probe and PrimaryLastAnsweredAt
 * dated at the end of the run), CloudWatch's per-minute Maximum of each, and a decision taken some time after the
 * primary died, from a monitor run or from the alarm.
 */
import { decide } from "../../../lib/lambda/core/decide";
import {
  lagEvidenceFromSeries,
  mergeLagEvidence,
  type MetricPoint,
} from "../../../lib/lambda/core/lag-evidence";
import { DEFAULT_POLICY } from "../../../lib/lambda/core/policy";
import type {
  ClusterSnapshot,
  Decision,
  LagReading,
  ProbeResult,
  Trigger,
} from "../../../lib/lambda/core/types";
import {
  DR_BACKUPS,
  PRIMARY_ENDPOINT,
  REPLICA_ENDPOINT,
  T0,
  primaryView,
  replicaView,
  restoredView,
} from "../../support/fake-ports";

const MINUTE = 60_000;
/** The primary dies 20 s into the minute T0 + 60 min. */
const FAULT = T0 + 60 * MINUTE + 20_000;
/** Lag while the primary answered. */
const HEALTHY_LAG = 2;
/** Lag the monitor would be allowed to see, at most 1 minute of evidence behind. */
const INGESTION_DELAY_MS = 60_000;

interface Timeline {
  /** Lag while the primary answered (seconds). */
  readonly lagSeconds?: number;
  /** Intervals in which the replica could not be read. */
  readonly replicaUnreadable?: readonly [fromMs: number, toMs: number][];
  /** Intervals in which the monitor did not run. */
  readonly monitorSilent?: readonly [fromMs: number, toMs: number][];
}

interface Run {
  readonly startMs: number;
  readonly finishMs: number;
  readonly probes: ProbeResult[];
  readonly lag: LagReading | null;
  readonly lastHealthyLag: LagReading | null;
}

const inAny = (t: number, intervals: readonly (readonly [number, number])[] = []) =>
  intervals.some(([from, to]) => t >= from && t < to);

/** One monitor run starting at `startMs`, as runMonitor would record it. */
function monitorRun(startMs: number, timeline: Timeline): Run {
  const alive = (t: number) => t < FAULT;
  const readable = !inAny(startMs, timeline.replicaUnreadable);
  // After the fault the replica's newest heartbeat is stale, so the measured lag grows ~1 s/s.
  const value = alive(startMs)
    ? (timeline.lagSeconds ?? HEALTHY_LAG)
    : (timeline.lagSeconds ?? HEALTHY_LAG) + (startMs - FAULT) / 1000;
  const lag: LagReading | null = readable
    ? {
        atMs: startMs,
        lagSeconds: value,
        probe: { target: "replica", atMs: startMs, outcome: "ok", latencyMs: 3 },
      }
    : null;
  const probes: ProbeResult[] = [];
  for (let i = 0; i < 4 || (probes.at(-1)?.outcome ?? "ok") !== "ok"; i++) {
    const atMs = startMs + i * 15_000;
    probes.push({ target: "primary", atMs, outcome: alive(atMs) ? "ok" : "timeout", latencyMs: 5 });
    const trailing = probes.length - 1 - probes.map((p) => p.outcome).lastIndexOf("ok");
    if (trailing >= DEFAULT_POLICY.consecutiveFailuresToFailover) break;
  }
  const firstOk = probes[0].outcome === "ok";
  return {
    startMs,
    finishMs: probes.at(-1)!.atMs + 5,
    probes,
    lag,
    lastHealthyLag: firstOk && lag !== null ? lag : null,
  };
}

/** Every run from two hours before the fault until `untilMs`, minus the silent ones. */
function runs(untilMs: number, timeline: Timeline): Run[] {
  const out: Run[] = [];
  for (let start = T0 - 60 * MINUTE; start < untilMs; start += MINUTE) {
    if (!inAny(start, timeline.monitorSilent)) out.push(monitorRun(start, timeline));
  }
  return out;
}

/** CloudWatch's per-minute Maximum of a metric's datapoints. */
function perMinuteMaximum(points: MetricPoint[]): MetricPoint[] {
  const buckets = new Map<number, number>();
  for (const p of points) {
    const minute = Math.floor(p.atMs / MINUTE) * MINUTE;
    buckets.set(minute, Math.max(buckets.get(minute) ?? -Infinity, p.value));
  }
  return [...buckets].map(([atMs, value]) => ({ atMs, value }));
}

/** What CloudWatch holds at `nowMs` from the runs that flushed at least the ingestion delay before. */
function cloudWatchSeries(history: Run[], nowMs: number) {
  const visible = history.filter((r) => r.finishMs + INGESTION_DELAY_MS <= nowMs);
  const healthy = visible.flatMap((r) =>
    r.lastHealthyLag && r.lastHealthyLag.lagSeconds !== null
      ? [{ atMs: r.lastHealthyLag.atMs, value: r.lastHealthyLag.lagSeconds }]
      : [],
  );
  const reachable = visible.flatMap((r) =>
    r.probes.map((p) => ({ atMs: r.finishMs, value: p.outcome === "ok" ? 1 : 0 })),
  );
  // PrimaryLastAnsweredAt: the run's last answered probe's time (epoch seconds), in the run's blob.
  const lastAnswered = visible.flatMap((r) => {
    const ok = r.probes.filter((p) => p.outcome === "ok").map((p) => p.atMs);
    return ok.length > 0 ? [{ atMs: r.finishMs, value: Math.max(...ok) / 1000 }] : [];
  });
  return {
    healthy: perMinuteMaximum(healthy),
    reachable: perMinuteMaximum(reachable),
    lastAnswered: perMinuteMaximum(lastAnswered),
  };
}

type Via = "monitor" | "alarm";

/** The decision `afterFaultMs` after the fault, through the trigger `via`. */
function decisionAfter(afterFaultMs: number, via: Via, timeline: Timeline = {}): Decision {
  const decisionMs = FAULT + afterFaultMs;
  const all = runs(decisionMs, timeline);
  let trigger: Trigger;
  let evidence: { primaryProbes: readonly ProbeResult[]; lastHealthyLag: LagReading | null };
  let takenAtMs: number;
  let history: Run[];
  if (via === "monitor") {
    const current = all.at(-1)!;
    history = all.slice(0, -1);
    trigger = { kind: "monitor", runId: "r" };
    evidence = { primaryProbes: current.probes, lastHealthyLag: current.lastHealthyLag };
    takenAtMs = current.finishMs;
  } else {
    history = all;
    // The alarm event is delivered at its transition (a later one would be stale evidence), so a
    // late decision comes from an alarm that went to ALARM just now (e.g. after the data arrived late).
    const sinceMs = decisionMs - 20_000;
    trigger = {
      kind: "alarm",
      alarm: { alarmName: "primary-unreachable-dev", state: "ALARM", sinceMs, reason: "Threshold Crossed" },
    };
    evidence = { primaryProbes: [], lastHealthyLag: null };
    takenAtMs = decisionMs;
  }
  const series = cloudWatchSeries(history, takenAtMs);
  const fromHistory =
    evidence.lastHealthyLag !== null
      ? { lastHealthyLag: null, primaryLastAnsweredAtMs: null, failureFirstSeenAtMs: null }
      : lagEvidenceFromSeries(series.healthy, series.reachable, MINUTE, takenAtMs, series.lastAnswered);
  const merged = mergeLagEvidence(fromHistory, { trigger, ...evidence });
  const snapshot: ClusterSnapshot = {
    takenAtMs,
    trigger,
    primaryProbes: evidence.primaryProbes,
    ...merged,
    // RDS noticed: the second signal is present, so only the lag guard decides.
    primary: primaryView({ status: "failed", rawStatus: "failed" }),
    replica: replicaView(),
    dns: { writerTarget: PRIMARY_ENDPOINT, readerTarget: REPLICA_ENDPOINT },
    reportWritten: false,
    drBackups: DR_BACKUPS,
    restored: restoredView(),
    replicaInPrimaryRegion: true,
    primaryRdsMetrics: { kind: "not-observed", reason: "fixture" },
    primaryApiHistory: { kind: "not-observed", reason: "fixture" },
  };
  return decide(snapshot, DEFAULT_POLICY, takenAtMs);
}

describe("lag guard over a timeline: same verdict however late the decision comes", () => {
  const lateness: [string, number][] = [
    ["30 s", 30_000],
    ["3 min", 3 * MINUTE],
    ["10 min", 10 * MINUTE],
  ];
  const vias: Via[] = ["monitor", "alarm"];
  const cases = lateness.flatMap(([label, ms]) => vias.map((via) => [label, via, ms] as const));

  it.each(cases)(
    "decided %s after the fault from the %s: promotes with the lag read while the primary answered",
    (_l, via, ms) => {
      const decision = decisionAfter(ms, via);
      expect(decision.kind).toBe("promote-replica");
      // The data-loss window stated is the healthy reading, never the stale lag measured afterwards.
      expect(decision.reason).toContain(`The replica was ${HEALTHY_LAG} s behind`);
    },
  );

  it.each(cases)(
    "lag over the limit, decided %s after the fault from the %s: blocked (replication-lag)",
    (_l, via, ms) => {
      const decision = decisionAfter(ms, via, { lagSeconds: 90 });
      expect(decision).toMatchObject({ kind: "blocked", guard: "replication-lag" });
      expect(decision.reason).toContain("The replica was 90 s behind");
    },
  );

  it.each(cases)(
    "the replica could not be read for 10 min while the primary answered, decided %s after from the %s: lag unknown",
    (_l, via, ms) => {
      const decision = decisionAfter(ms, via, {
        replicaUnreadable: [[FAULT - 10 * MINUTE, FAULT + 60 * MINUTE]],
      });
      expect(decision).toMatchObject({ kind: "blocked", guard: "lag-unknown" });
      expect(decision.reason).toContain("while the primary still answered");
    },
  );

  // A silent monitor sends nothing 30 s after the fault: only the alarm can decide that early.
  const afterSilence = cases.filter(([label, via]) => !(label === "30 s" && via === "monitor"));
  it.each(afterSilence)(
    "the monitor was silent for an hour before the fault, decided %s after from the %s: lag unknown",
    (_l, via, ms) => {
      const decision = decisionAfter(ms, via, { monitorSilent: [[FAULT - 60 * MINUTE, FAULT]] });
      expect(decision).toMatchObject({ kind: "blocked", guard: "lag-unknown" });
    },
  );

  it("one unreadable replica read just before the fault is within the reading-age limit", () => {
    const decision = decisionAfter(3 * MINUTE, "alarm", {
      replicaUnreadable: [[FAULT - MINUTE, FAULT + 60 * MINUTE]],
    });
    expect(decision.kind).toBe("promote-replica");
  });
});

describe("mergeLagEvidence", () => {
  const reading = (atMs: number, lagSeconds: number): LagReading => ({
    atMs,
    lagSeconds,
    probe: { target: "replica", atMs, outcome: "ok", latencyMs: 1 },
  });
  const probe = (atMs: number, ok: boolean): ProbeResult => ({
    target: "primary",
    atMs,
    outcome: ok ? "ok" : "timeout",
    latencyMs: 1,
  });
  const monitor: Trigger = { kind: "monitor", runId: "r" };

  it.each([
    [
      "the run's own reading is newer than the history's",
      { lastHealthyLag: reading(T0, 1), primaryLastAnsweredAtMs: T0 + MINUTE, failureFirstSeenAtMs: null },
      [probe(T0 + 2 * MINUTE, true), probe(T0 + 2 * MINUTE + 15_000, false)],
      reading(T0 + 2 * MINUTE, 3),
      { primaryLastAnsweredAtMs: T0 + 2 * MINUTE, failureFirstSeenAtMs: T0 + 2 * MINUTE + 15_000 },
    ],
    [
      "a failure in the history followed by an answer in this run was a blip",
      { lastHealthyLag: reading(T0, 1), primaryLastAnsweredAtMs: T0, failureFirstSeenAtMs: T0 + MINUTE },
      [probe(T0 + 2 * MINUTE, true), probe(T0 + 2 * MINUTE + 15_000, true)],
      null,
      { primaryLastAnsweredAtMs: T0 + 2 * MINUTE + 15_000, failureFirstSeenAtMs: null },
    ],
    [
      "the history's first failure is earlier than this run's failed probes",
      {
        lastHealthyLag: reading(T0, 1),
        primaryLastAnsweredAtMs: T0 + MINUTE,
        failureFirstSeenAtMs: T0 + 2 * MINUTE,
      },
      [probe(T0 + 9 * MINUTE, false), probe(T0 + 9 * MINUTE + 15_000, false)],
      null,
      { primaryLastAnsweredAtMs: T0 + MINUTE, failureFirstSeenAtMs: T0 + 2 * MINUTE },
    ],
  ] as const)("%s", (_name, history, probes, own, expected) => {
    expect(
      mergeLagEvidence(history, { trigger: monitor, primaryProbes: probes, lastHealthyLag: own }),
    ).toMatchObject(expected);
  });
});

describe("lagEvidenceFromSeries: the primary's last answer to the second (PrimaryLastAnsweredAt)", () => {
  const M = T0 + 10 * MINUTE; // start of the minute the primary last answered in
  const now = M + 5 * MINUTE;
  const reachable = [
    { atMs: M - MINUTE, value: 1 },
    { atMs: M, value: 1 },
    { atMs: M + MINUTE, value: 0 },
  ];
  it.each([
    ["no PrimaryLastAnsweredAt (a history from before it existed): the minute's end", [], M + MINUTE],
    ["the run's last answer inside the minute", [{ atMs: M, value: (M + 17_000) / 1000 }], M + 17_000],
    [
      "a run dated in the minute whose last answer fell in the minute before (a run spans the boundary)",
      [{ atMs: M, value: (M - 4_000) / 1000 }],
      M - 4_000,
    ],
    [
      "only an answer from more than a minute before the last answered minute: the minute's end",
      [{ atMs: M - 3 * MINUTE, value: (M - 3 * MINUTE) / 1000 }],
      M + MINUTE,
    ],
    ["a value later than now is ignored", [{ atMs: M, value: (now + 1_000) / 1000 }], M + MINUTE],
  ])("%s", (_situation, lastAnswered, expected) => {
    expect(lagEvidenceFromSeries([], reachable, MINUTE, now, lastAnswered).primaryLastAnsweredAtMs).toBe(
      expected,
    );
  });
});
