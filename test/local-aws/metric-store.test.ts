/**
 * The local CloudWatch metrics both local worlds answer `GetMetricData` from (reference §5):
 * the query window, the ingestion delay, the periods and the order of the answer, also for
 * datapoints that arrive out of date order.
 */
import { MetricStore, metricKey } from "../../lib/local-aws/metric-store";

const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 4, 10, 0, 0);
const DIMENSIONS = [{ Name: "DBInstanceIdentifier", Value: "rds-primary-dev" }];
const KEY = metricKey("TapStack", "ReplicaLagSeconds", DIMENSIONS);

function answer(
  store: MetricStore,
  window: { startMs: number; endMs: number; periodSeconds?: number; stat?: string; ascending?: boolean },
  nowMs: number,
): [string, number][] {
  const out = store.getMetricData(
    {
      StartTime: new Date(window.startMs),
      EndTime: new Date(window.endMs),
      ...(window.ascending ? { ScanBy: "TimestampAscending" as const } : {}),
      MetricDataQueries: [
        {
          Id: "q",
          MetricStat: {
            Metric: { Namespace: "TapStack", MetricName: "ReplicaLagSeconds", Dimensions: DIMENSIONS },
            Period: window.periodSeconds ?? 60,
            Stat: window.stat ?? "Maximum",
          },
        },
      ],
    },
    nowMs,
  );
  const result = out.MetricDataResults?.[0];
  return (result?.Timestamps ?? []).map((t, i) => [
    `+${(t.getTime() - T0) / MIN} min`,
    result?.Values?.[i] ?? NaN,
  ]);
}

describe("MetricStore", () => {
  // Datapoints at +0.5, +1.5, +2.5 and +3.5 minutes, the one at +1.5 received last (a late line).
  function store(ingestionDelayMs = 0): MetricStore {
    const s = new MetricStore(ingestionDelayMs);
    s.put(KEY, T0 + 0.5 * MIN, 1, T0 + 0.5 * MIN);
    s.put(KEY, T0 + 2.5 * MIN, 3, T0 + 2.5 * MIN);
    s.put(KEY, T0 + 3.5 * MIN, 4, T0 + 3.5 * MIN);
    s.put(KEY, T0 + 1.5 * MIN, 2, T0 + 3.6 * MIN);
    return s;
  }
  const late = T0 + 10 * MIN;

  it.each<[string, Parameters<typeof answer>[1], [string, number][]]>([
    [
      "newest first by default, a late datapoint in its own minute",
      { startMs: T0, endMs: T0 + 5 * MIN },
      [
        ["+3 min", 4],
        ["+2 min", 3],
        ["+1 min", 2],
        ["+0 min", 1],
      ],
    ],
    [
      "oldest first when asked",
      { startMs: T0, endMs: T0 + 5 * MIN, ascending: true },
      [
        ["+0 min", 1],
        ["+1 min", 2],
        ["+2 min", 3],
        ["+3 min", 4],
      ],
    ],
    [
      "StartTime rounded down to the minute and inclusive, EndTime exclusive",
      { startMs: T0 + 1.7 * MIN, endMs: T0 + 3.5 * MIN },
      [
        ["+2 min", 3],
        ["+1 min", 2],
      ],
    ],
    [
      "periods aligned to the start, aggregated by the statistic",
      { startMs: T0, endMs: T0 + 4 * MIN, periodSeconds: 120, stat: "Sum" },
      [
        ["+2 min", 7],
        ["+0 min", 3],
      ],
    ],
    ["a window with no datapoint", { startMs: T0 + 5 * MIN, endMs: T0 + 9 * MIN }, []],
  ])("%s", (_situation, window, expected) => {
    expect(answer(store(), window, late)).toEqual(expected);
  });

  it("a datapoint is visible only once its ingestion delay has passed since it was received", () => {
    const delayed = store(60_000);
    const window = { startMs: T0, endMs: T0 + 5 * MIN };
    expect(answer(delayed, window, T0 + 4 * MIN)).toEqual([
      ["+2 min", 3],
      ["+0 min", 1],
    ]);
    expect(answer(delayed, window, T0 + 4.6 * MIN)).toEqual([
      ["+3 min", 4],
      ["+2 min", 3],
      ["+1 min", 2],
      ["+0 min", 1],
    ]);
  });
});
