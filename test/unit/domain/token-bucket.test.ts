import { pageSizeForPace, TokenBucket } from '../../../lambdas/domain/token-bucket';

/** A clock that only moves when the bucket sleeps. */
const fakeTime = () => {
  let now = 0;
  const slept: number[] = [];
  return {
    clock: () => now,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
    slept,
    get now() {
      return now;
    },
  };
};

describe('TokenBucket', () => {
  it('lets a burst through at once, then paces takes to the rate', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: 100, burst: 5, clock: time.clock, sleep: time.sleep });

    for (let i = 0; i < 5; i += 1) await bucket.take();
    expect(time.now).toBe(0);
    for (let i = 0; i < 10; i += 1) await bucket.take();

    // 10 more at 100/s: 100 ms.
    expect(time.now).toBeCloseTo(100, 5);
  });

  it('paces concurrent takers together: the rate holds for all of them, not per caller', async () => {
    // All of them ask at the same instant.
    const waits: number[] = [];
    const bucket = new TokenBucket({ ratePerSecond: 50, burst: 1, clock: () => 0, sleep: async (ms) => void waits.push(ms) });

    await Promise.all(Array.from({ length: 11 }, () => bucket.take()));

    // The first goes at once, each of the other 10 waits for its own 20 ms slot.
    expect(waits.map((ms) => Math.round(ms))).toEqual([20, 40, 60, 80, 100, 120, 140, 160, 180, 200]);
  });

  it('refills while idle, never above the burst', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 2, clock: time.clock, sleep: time.sleep });
    await bucket.take();
    await bucket.take();
    await time.sleep(10_000);
    time.slept.length = 0;

    await bucket.take();
    await bucket.take();
    await bucket.take();

    expect(time.slept).toEqual([100]);
  });

  it('refuses a rate or burst that is not positive (a configuration mistake)', () => {
    const time = fakeTime();
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 1, clock: time.clock, sleep: time.sleep })).toThrow(/rate/);
    expect(() => new TokenBucket({ ratePerSecond: 10, burst: 0, clock: time.clock, sleep: time.sleep })).toThrow(/burst/);
  });
});

describe('pageSizeForPace: a fan-out page is what its invocation posts in its first second', () => {
  it('is the burst plus one second of the rate', () => {
    expect(pageSizeForPace({ ratePerSecond: 178.6, burst: 89 }, 1_000)).toBe(267);
    expect(pageSizeForPace({ ratePerSecond: 384.6, burst: 192 }, 1_000)).toBe(576);
  });

  it('is at most `max` and at least 100 (or `max`, when that is smaller)', () => {
    expect(pageSizeForPace({ ratePerSecond: 5_000, burst: 2_500 }, 1_000)).toBe(1_000);
    expect(pageSizeForPace({ ratePerSecond: 1, burst: 1 }, 1_000)).toBe(100);
    expect(pageSizeForPace({ ratePerSecond: 1, burst: 1 }, 50)).toBe(50);
  });
});
