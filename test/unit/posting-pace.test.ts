import { DEFAULTS, invocationPace, postingConcurrency, queues } from '../../lib/app-manifest';

describe('posting pace: the invocations that may post share the posting budget', () => {
  it('counts the notifier lanes (shards x ParallelizationFactor) and the fan-out and retry consumers', () => {
    expect(postingConcurrency({ streamShards: 4 })).toBe(4 * 4 + queues.fanOut.maxConcurrency + queues.deliveryRetry.maxConcurrency);
    expect(postingConcurrency({ streamShards: 1, notifierPerShard: 1, fanOut: 5, deliveryRetry: 5 })).toBe(11);
  });

  it('all of them posting at once stay within the budget, rate and burst', () => {
    const concurrency = postingConcurrency({ streamShards: DEFAULTS.posting.streamShards });
    const pace = invocationPace(DEFAULTS.posting, concurrency);

    expect(pace.postsPerSecond * concurrency).toBeCloseTo(DEFAULTS.posting.postsPerSecond);
    expect(pace.burst * concurrency).toBeLessThanOrEqual(DEFAULTS.posting.burst);
    expect(pace.burst).toBeGreaterThanOrEqual(1);
  });

  it('never leaves an invocation without a burst of one, and refuses no posters at all', () => {
    expect(invocationPace({ postsPerSecond: 10, burst: 5 }, 100).burst).toBe(1);
    expect(() => invocationPace({ postsPerSecond: 10, burst: 5 }, 0)).toThrow(RangeError);
  });
});
