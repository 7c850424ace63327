import { pageSizeForPace } from '../../lambdas/domain/token-bucket';
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

  it("sizes fan-out pages so that one takes about a second at every deployment's share, where a 1,000-watcher page took 2.1-14.4 s", () => {
    const deployments = {
      'stack defaults (4 shards, 5,000/s)': { budget: DEFAULTS.posting, concurrency: postingConcurrency({ streamShards: 4 }) },
      'the 5M-user scale (64 shards, 18,000/s)': {
        budget: { postsPerSecond: 18_000, burst: 9_000 },
        concurrency: postingConcurrency({ streamShards: 64 }),
      },
      'the local stack (1 shard, 1 batch at a time)': {
        budget: DEFAULTS.posting,
        concurrency: postingConcurrency({ streamShards: 1, notifierPerShard: 1 }),
      },
    };
    const seconds = Object.fromEntries(
      Object.entries(deployments).map(([name, { budget, concurrency }]) => {
        const pace = invocationPace(budget, concurrency);
        const page = pageSizeForPace({ ratePerSecond: pace.postsPerSecond, burst: pace.burst }, DEFAULTS.fanOutPageSize);
        const fullPage = (DEFAULTS.fanOutPageSize - pace.burst) / pace.postsPerSecond;
        return [
          name,
          {
            page,
            secondsPerPage: Math.round(((page - pace.burst) / pace.postsPerSecond) * 100) / 100,
            fullPage: Math.round(fullPage * 10) / 10,
          },
        ];
      }),
    );

    expect(seconds).toEqual({
      'stack defaults (4 shards, 5,000/s)': { page: 267, secondsPerPage: 1, fullPage: 5.1 },
      'the 5M-user scale (64 shards, 18,000/s)': { page: 100, secondsPerPage: 1, fullPage: 14.4 },
      'the local stack (1 shard, 1 batch at a time)': { page: 576, secondsPerPage: 1, fullPage: 2.1 },
    });
  });
});
