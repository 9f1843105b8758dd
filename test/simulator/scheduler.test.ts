import { Scheduler } from "../../lib/simulator/scheduler";

describe("Scheduler", () => {
  it("advances virtual time event by event, same-time events in scheduling order", async () => {
    const s = new Scheduler(1_000);
    const seen: string[] = [];
    s.at(3_000, () => seen.push(`b@${s.nowMs()}`));
    s.at(2_000, () => seen.push(`a@${s.nowMs()}`));
    s.at(3_000, () => seen.push(`c@${s.nowMs()}`));
    await s.runUntil(10_000);
    expect(seen).toEqual(["a@2000", "b@3000", "c@3000"]);
    expect(s.nowMs()).toBe(10_000);
  });

  it("resumes async code after its sleeps, chained through promises", async () => {
    const s = new Scheduler(0);
    const seen: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await s.sleep(1_500);
        seen.push(s.nowMs());
      }
    })();
    await s.runUntil(60_000);
    expect(seen).toEqual([1_500, 3_000, 4_500]);
  });

  it("never resumes a killed invocation", async () => {
    const s = new Scheduler(0);
    const context = { id: "i", functionKey: "failover", killed: false };
    const clock = s.clockFor(() => context);
    const seen: string[] = [];
    void (async () => {
      await clock.sleep(1_000);
      seen.push("first");
      await clock.sleep(1_000);
      seen.push("second");
    })();
    s.at(1_500, () => s.kill(context));
    await s.runUntil(10_000);
    expect(seen).toEqual(["first"]);
    expect(context.killed).toBe(true);
  });
});
