/** The cost model behind `npm run cost`: its anchors and the floor it reports. */
import {
  closedWatchShare,
  contractFloor,
  defaultParams,
  designCost,
  fanOutPageSize,
  fanOutPagesQueued,
  hotUserCapacity,
  loadMeasured,
  naiveCost,
} from '../../scripts/cost';

const measured = loadMeasured();
const params = defaultParams();

describe('the cost model', () => {
  it('prices the naive design as aws-facts §8.2 does (≈ $2.32M a month at 5M users)', () => {
    expect(naiveCost(params).total).toBeGreaterThan(2_300_000);
    expect(naiveCost(params).total).toBeLessThan(2_340_000);
  });

  it.each([
    ['the tuned defaults', {}],
    ['the contract defaults', { heartbeatSeconds: 60, leaseSeconds: 150 }],
    ['a million users', { users: 1_000_000 }],
  ])('never prices the design below the floor of the contract, with %s', (_case, changes) => {
    const scenario = { ...params, ...changes };
    const design = designCost(scenario, measured);

    expect(design.total).toBeGreaterThan(contractFloor(scenario, design.monthly.transitions).total);
  });

  it('finds no room for the $100k / 20x goal under the contract at 5M users', () => {
    const floor = contractFloor(params, designCost(params, measured).monthly.transitions).total;

    expect(floor).toBeGreaterThan(100_000);
    expect(naiveCost(params).total / floor).toBeLessThan(20);
  });
});

describe('posts to closed connections (their watches stay listed until the 2-hour limit)', () => {
  it('are none when every connection lives to its limit and nothing closes early', () => {
    expect(closedWatchShare({ forcedReconnectsPerDay: 1_440 / 121, sessionsPerDay: 0, blipsPerDay: 0 })).toBeCloseTo(0, 10);
  });

  it('grow as the client rotates earlier', () => {
    const at = (forcedReconnectsPerDay: number) => closedWatchShare({ forcedReconnectsPerDay, sessionsPerDay: 6, blipsPerDay: 2 });

    expect(at(14.5)).toBeGreaterThan(at(13.2));
    expect(at(14.5)).toBeCloseTo(0.61, 2);
  });
});

describe('the delivery queues', () => {
  const sqsLine = (changes: Partial<typeof params>) =>
    designCost({ ...params, ...changes }, measured).lines.find((line) => line.component.startsWith('SQS'))?.usd ?? Number.NaN;

  it('queue no fan-out page for a change with fewer listed watchers than a page, every page of a bigger one (it never posts inline)', () => {
    expect(fanOutPagesQueued(params)).toBe(0);
    // Pages are what one invocation posts in a second at its lane's share: the notifier's 42.2/s + 21
    // (so 100, the least), a fan-out consumer's 630/s + 315 (945) at 18,000/s over 64 shards.
    expect(fanOutPageSize(params)).toBe(945);
    // 2,000 live watchers, 3,220 listed: more than the notifier's page, so 4 fan-out pages.
    expect(fanOutPagesQueued({ ...params, onlineWatchersPerChange: 2_000 })).toBe(4);
    // The stack defaults (5,000/s over 4 shards): a fan-out consumer posts 175/s + 87.
    expect(fanOutPageSize({ postsBudgetPerSecond: 5_000, streamShards: 4 })).toBe(262);
  });

  it('price the retries of failed posts and the fan-out pages as SQS requests', () => {
    expect(sqsLine({ retriedPostShare: 0.01 })).toBeGreaterThan(sqsLine({ retriedPostShare: 0 }));
    expect(sqsLine({ onlineWatchersPerChange: 2_000 })).toBeGreaterThan(sqsLine({}));
  });

  it("reach the live watchers of one user within 10 s that the fan-out consumers' share of the posting budget allows", () => {
    // 35 % of 18,000 posts/s over 10 fan-out consumers: 630/s each; 10 x 630/s x 10 s / 1.61 posts per
    // live watcher. (An even split over all 268 posting invocations gave them 67.2/s each: 4,170.)
    expect(hotUserCapacity(params)).toBeGreaterThan(39_000);
    expect(hotUserCapacity(params)).toBeLessThan(39_300);
    expect(hotUserCapacity({ ...params, postsBudgetPerSecond: 36_000 })).toBeCloseTo(2 * hotUserCapacity(params), -1);
  });
});

describe("the last-seen recorder (the stream's second reader)", () => {
  it('writes at 5M users one batched UPDATE per stream shard and batching window, not one per notifier invocation', () => {
    const design = designCost(params, measured);
    const perWindow = params.streamShards / params.lastSeenBatchingWindowSeconds;

    expect(design.rates.lastSeenUpdatesPerSecond).toBeLessThanOrEqual(perWindow);
    expect(design.rates.lastSeenUpdatesPerSecond).toBeGreaterThan(0.9 * perWindow);
    expect(design.rates.lastSeenUpdatesPerSecond).toBeLessThan(design.rates.notifierInvocationsPerSecond / 10);
  });
});
