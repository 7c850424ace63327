import { pageSizeForPace } from '../../lambdas/domain/token-bucket';
import { DEFAULTS, invocationPace, lanePaces, type PostingLane, postingLanes, queues } from '../../lib/app-manifest';

const LANES: readonly PostingLane[] = ['notify', 'fanOut', 'deliveryRetry'];

describe("posting pace: each lane's invocations share the lane's part of the posting budget", () => {
  it('counts the notifier lanes (shards x ParallelizationFactor) and the fan-out and retry consumers', () => {
    expect(postingLanes({ streamShards: 4 })).toEqual({
      notify: 4 * 4,
      fanOut: queues.fanOut.maxConcurrency,
      deliveryRetry: queues.deliveryRetry.maxConcurrency,
    });
    expect(postingLanes({ streamShards: 1, notifierPerShard: 1, fanOut: 5, deliveryRetry: 5 })).toEqual({
      notify: 1,
      fanOut: 5,
      deliveryRetry: 5,
    });
  });

  it.each([
    ['the stack defaults', DEFAULTS.posting, { streamShards: DEFAULTS.posting.streamShards }],
    ['the 5M-user scale', { postsPerSecond: 18_000, burst: 9_000 }, { streamShards: 64 }],
    ['the local stack', DEFAULTS.posting, { streamShards: 1, notifierPerShard: 1 }],
  ])('all of them posting at once stay within the budget, rate and burst (%s)', (_name, budget, lanes) => {
    const paces = lanePaces(budget, lanes);
    const counts = postingLanes(lanes);
    const total = (field: 'postsPerSecond' | 'burst') => LANES.reduce((sum, lane) => sum + paces[lane][field] * counts[lane], 0);

    expect(total('postsPerSecond')).toBeLessThanOrEqual(budget.postsPerSecond + 1e-6);
    expect(total('postsPerSecond')).toBeCloseTo(budget.postsPerSecond);
    expect(total('burst')).toBeLessThanOrEqual(budget.burst);
    for (const lane of LANES) expect(paces[lane].burst).toBeGreaterThanOrEqual(1);
  });

  it("gives the fan-out consumers a popular user's share: at the 5M scale 630 posts/s each, where an even split over 268 invocations gave 67", () => {
    const paces = lanePaces({ postsPerSecond: 18_000, burst: 9_000 }, { streamShards: 64 });

    expect(paces.fanOut.postsPerSecond).toBeCloseTo(630);
    expect(invocationPace({ postsPerSecond: 18_000, burst: 9_000 }, 64 * 4 + 10 + 2).postsPerSecond).toBeCloseTo(67.16, 1);
    // The notifier's 256 lanes together still post 10,800/s, above the ~9,300/s of small fan-outs at that scale.
    expect(paces.notify.postsPerSecond * 256).toBeCloseTo(10_800);
  });

  it('refuses shares that are not positive or add up to more than the budget', () => {
    expect(() => lanePaces(DEFAULTS.posting, { streamShards: 4 }, { notify: 0.7, fanOut: 0.35, deliveryRetry: 0.05 })).toThrow(RangeError);
    expect(() => lanePaces(DEFAULTS.posting, { streamShards: 4 }, { notify: 0.95, fanOut: 0.05, deliveryRetry: 0 })).toThrow(RangeError);
  });

  it('never leaves an invocation without a burst of one, and refuses no posters at all', () => {
    expect(invocationPace({ postsPerSecond: 10, burst: 5 }, 100).burst).toBe(1);
    expect(() => invocationPace({ postsPerSecond: 10, burst: 5 }, 0)).toThrow(RangeError);
  });

  it("sizes pages so that one takes about a second at every deployment's lane share, where a 1,000-watcher page took up to 14.4 s", () => {
    const deployments = {
      'stack defaults (4 shards, 5,000/s)': { budget: DEFAULTS.posting, lanes: { streamShards: 4 } },
      'the 5M-user scale (64 shards, 18,000/s)': { budget: { postsPerSecond: 18_000, burst: 9_000 }, lanes: { streamShards: 64 } },
      'the local stack (1 shard, 1 batch at a time)': { budget: DEFAULTS.posting, lanes: { streamShards: 1, notifierPerShard: 1 } },
    };
    const pages = Object.fromEntries(
      Object.entries(deployments).map(([name, { budget, lanes }]) => {
        const paces = lanePaces(budget, lanes);
        return [
          name,
          Object.fromEntries(
            LANES.filter((lane) => lane !== 'deliveryRetry').map((lane) => {
              const pace = paces[lane];
              const page = pageSizeForPace({ ratePerSecond: pace.postsPerSecond, burst: pace.burst }, DEFAULTS.fanOutPageSize);
              return [lane, { page, seconds: Math.max(0, Math.round(((page - pace.burst) / pace.postsPerSecond) * 10) / 10) }];
            }),
          ),
        ];
      }),
    );

    expect(pages).toEqual({
      'stack defaults (4 shards, 5,000/s)': { notify: { page: 280, seconds: 1 }, fanOut: { page: 262, seconds: 1 } },
      // The notifier's lane share is 42.2/s: the least page (100) takes 1.9 s.
      'the 5M-user scale (64 shards, 18,000/s)': { notify: { page: 100, seconds: 1.9 }, fanOut: { page: 945, seconds: 1 } },
      // One notifier lane: its page is capped at 1,000 and goes out in its burst.
      'the local stack (1 shard, 1 batch at a time)': { notify: { page: 1_000, seconds: 0 }, fanOut: { page: 262, seconds: 1 } },
    });
    // With one fixed page of 1,000 and the old even split, a page took (1,000 - 33) / 67.2 = 14.4 s at scale.
    const even = invocationPace({ postsPerSecond: 18_000, burst: 9_000 }, 268);
    expect(Math.round(((1_000 - even.burst) / even.postsPerSecond) * 10) / 10).toBe(14.4);
  });
});
