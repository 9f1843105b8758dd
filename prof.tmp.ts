import { matrixTimelines } from "/work/main/lib/simulator/matrix";
import { runTimeline } from "/work/main/lib/simulator/run";
(async () => {
  const all = matrixTimelines().filter((_, i) => i % 6 === 0);
  const t0 = Date.now();
  for (const t of all) await runTimeline(t);
  console.log(all.length, "timelines", Date.now() - t0, "ms");
})();
