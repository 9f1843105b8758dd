/**
 * The simulator's built-in matrix, half 2 of 2 (jest runs the halves in parallel workers):
 * every timeline runs the deployed handlers against the simulated AWS and must break no invariant.
 */
import { matrixTimelines } from "../../lib/simulator/matrix";
import { runTimeline } from "../../lib/simulator/run";

const timelines = matrixTimelines().filter((_, index) => index % 2 === 1);

describe("simulator matrix (half 2 of 2)", () => {
  it.each(timelines.map((t) => [t.name, t] as const))("%s breaks no invariant", async (_name, timeline) => {
    const outcome = await runTimeline(timeline);
    expect(outcome.violations).toEqual([]);
  });
});
