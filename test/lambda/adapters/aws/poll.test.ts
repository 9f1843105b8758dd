import { pollUntil, type PollCheck } from "../../../../lib/lambda/adapters/aws/poll";
import { WaitTimeoutError } from "../../../../lib/lambda/core/errors";
import { FakeClock } from "./fake-clock";

function sequence<T>(...checks: PollCheck<T>[]): () => Promise<PollCheck<T>> {
  let i = 0;
  return async () => checks[Math.min(i++, checks.length - 1)];
}

describe("pollUntil", () => {
  it("returns at once when the first check is done, without sleeping", async () => {
    const clock = new FakeClock(0);
    const value = await pollUntil(sequence({ done: true, value: "ready" }), {
      what: "x",
      timeoutMs: 1000,
      intervalMs: 100,
      clock,
    });
    expect(value).toBe("ready");
    expect(clock.sleeps).toEqual([]);
  });

  it("sleeps the interval between checks until done", async () => {
    const clock = new FakeClock(0);
    const value = await pollUntil(
      sequence<number>({ done: false, state: "a" }, { done: false, state: "b" }, { done: true, value: 3 }),
      { what: "x", timeoutMs: 10_000, intervalMs: 250, clock },
    );
    expect(value).toBe(3);
    expect(clock.sleeps).toEqual([250, 250]);
  });

  it("shortens the last sleep to the deadline and names what and the last state on timeout", async () => {
    const clock = new FakeClock(1_000);
    const promise = pollUntil(sequence<void>({ done: false, state: "PENDING" }), {
      what: "change C1 to be INSYNC",
      timeoutMs: 1_000,
      intervalMs: 400,
      clock,
    });
    await expect(promise).rejects.toThrow(WaitTimeoutError);
    await expect(promise).rejects.toThrow(
      "Timed out after 1000 ms waiting for change C1 to be INSYNC (4 checks); last state: PENDING",
    );
    expect(clock.sleeps).toEqual([400, 400, 200]);
  });

  it("lets errors thrown by the check propagate", async () => {
    const clock = new FakeClock(0);
    const boom = new Error("boom");
    await expect(
      pollUntil(
        async () => {
          throw boom;
        },
        { what: "x", timeoutMs: 1000, intervalMs: 100, clock },
      ),
    ).rejects.toBe(boom);
  });
});
