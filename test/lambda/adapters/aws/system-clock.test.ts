import { SystemClock, systemClock } from "../../../../lib/lambda/adapters/aws/system-clock";

describe("SystemClock", () => {
  afterEach(() => jest.useRealTimers());

  it("reads Date.now", () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    expect(new SystemClock().nowMs()).toBe(1_700_000_000_000);
  });

  it("sleeps through setTimeout for the given milliseconds", async () => {
    jest.useFakeTimers({ now: 0 });
    let woke = false;
    const sleeping = systemClock.sleep(5_000).then(() => {
      woke = true;
    });
    await jest.advanceTimersByTimeAsync(4_999);
    expect(woke).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await sleeping;
    expect(woke).toBe(true);
  });

  it("treats a negative pause as zero", async () => {
    jest.useFakeTimers({ now: 0 });
    const spy = jest.spyOn(global, "setTimeout");
    const sleeping = systemClock.sleep(-10);
    await jest.advanceTimersByTimeAsync(0);
    await sleeping;
    expect(spy).toHaveBeenCalledWith(expect.any(Function), 0);
  });
});
