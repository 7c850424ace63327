import { latestPerUser, Notifier } from '../../../lambdas/domain/notifier';
import type { DeliveryRetry, FanOutTask, PostResult, VersionedChange, Watcher } from '../../../lambdas/ports';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const change = (userId: string, status: 'online' | 'offline', at: number, version = at - T0 + 1): VersionedChange => ({
  userId,
  status,
  lastSeen: status === 'offline' ? at - 1000 : null,
  changedAt: at,
  version,
});

const watchersNamed = (prefix: string, count: number): Watcher[] =>
  Array.from({ length: count }, (_, i) => ({ connectionId: `${prefix}${String(i).padStart(5, '0')}`, userId: `${prefix}-user` }));

type Outcome = PostResult | Error;

interface WorldOptions {
  /** Per connection: the outcome of each post in turn (the last one repeats), or one outcome for all. */
  readonly outcomes?: Record<string, Outcome | Outcome[]>;
  readonly pageSize?: number;
  readonly inlineBudget?: number;
  readonly maxAttempts?: number;
  readonly unreadable?: readonly string[];
  readonly fanOutDown?: boolean;
  readonly retriesDown?: boolean;
  readonly closeFails?: boolean;
  readonly goneCleanupFails?: boolean;
  readonly now?: number;
  readonly pace?: () => { take(): Promise<void> };
}

/** In-memory ports: a paged registry, a gateway, the fan-out and retry queues, all recording what happened. */
const world = (watchers: Record<string, Watcher[]>, options: WorldOptions = {}) => {
  const posts: { connectionId: string; message: any }[] = [];
  const gone: string[] = [];
  const closed: string[] = [];
  const retries: DeliveryRetry[] = [];
  const tasks: FanOutTask[] = [];
  const reads = { inFlight: 0, max: 0 };
  const attempts = new Map<string, number>();
  const page = (userId: string, after: string | null, limit: number) => {
    if (options.unreadable?.includes(userId)) throw new Error('ProvisionedThroughputExceededException');
    const all = watchers[userId] ?? [];
    const start = after === null ? 0 : Number(after);
    const end = Math.min(all.length, start + limit);
    return { watchers: all.slice(start, end), next: end < all.length ? String(end) : null };
  };
  const notifier = new Notifier({
    registry: {
      watcherPage: async (userId: string, after: string | null, limit: number) => {
        reads.inFlight += 1;
        reads.max = Math.max(reads.max, reads.inFlight);
        await new Promise((resolve) => setImmediate(resolve));
        reads.inFlight -= 1;
        return page(userId, after, limit);
      },
    },
    gateway: {
      post: async (connectionId: string, message: unknown) => {
        const planned = options.outcomes?.[connectionId];
        const n = attempts.get(connectionId) ?? 0;
        attempts.set(connectionId, n + 1);
        const outcome = Array.isArray(planned) ? planned[Math.min(n, planned.length - 1)] : planned;
        if (outcome instanceof Error) throw outcome;
        if (outcome === undefined || outcome === 'delivered') posts.push({ connectionId, message });
        return outcome ?? 'delivered';
      },
      close: async (connectionId: string) => {
        if (options.closeFails) throw new Error('ServiceUnavailable');
        closed.push(connectionId);
      },
    },
    fanOut: {
      enqueue: async (queued: readonly FanOutTask[]) => {
        if (options.fanOutDown) return queued;
        tasks.push(...queued);
        return [];
      },
    },
    retries: {
      schedule: async (queued: readonly DeliveryRetry[]) => {
        if (options.retriesDown) return queued;
        retries.push(...queued);
        return [];
      },
    },
    onGone: async (connectionId: string) => {
      if (options.goneCleanupFails) throw new Error('DynamoDB unavailable');
      gone.push(connectionId);
    },
    concurrency: 3,
    pageSize: options.pageSize ?? 1000,
    inlineBudget: options.inlineBudget ?? 1000,
    maxAttempts: options.maxAttempts ?? 3,
    backoff: { baseMs: 1000, capMs: 4000 },
    clock: () => options.now ?? T0,
    random: () => 0.5,
    pace: options.pace,
  });
  const postsTo = (connectionId: string) => posts.filter((post) => post.connectionId === connectionId).length;
  return { notifier, posts, gone, closed, retries, tasks, reads, postsTo };
};

describe('Notifier: coalescing and frames', () => {
  it('sends one frame per connection carrying every change it watches (coalesced)', async () => {
    const { notifier, posts } = world({
      a: [
        { connectionId: 'w1', userId: 'x' },
        { connectionId: 'w2', userId: 'y' },
      ],
      b: [{ connectionId: 'w1', userId: 'x' }],
    });

    const report = await notifier.notify([change('a', 'online', T0), change('b', 'offline', T0 + 5)]);

    expect(report.framesPosted).toBe(2);
    const w1 = posts.find((post) => post.connectionId === 'w1');
    expect(w1?.message.type).toBe('presence');
    // Smaller fan-outs first: b (one watcher) before a (two).
    expect(w1?.message).toEqual({
      type: 'presence',
      presences: [
        { userId: 'b', status: 'offline', lastSeen: new Date(T0 + 5 - 1000).toISOString(), changedAt: new Date(T0 + 5).toISOString() },
        { userId: 'a', status: 'online', lastSeen: null, changedAt: new Date(T0).toISOString() },
      ],
    });
  });

  it("splits a connection's changes into frames of at most 100, so no frame nears 32 KB", async () => {
    const users = Array.from({ length: 250 }, (_, i) => `u${i}`);
    const { notifier, posts } = world(Object.fromEntries(users.map((u) => [u, [{ connectionId: 'fan', userId: 'x' }]])));

    await notifier.notify(users.map((u) => change(u, 'offline', T0)));

    expect(posts.map((post) => post.message.presences.length).sort()).toEqual([100, 100, 50].sort());
    expect(Math.max(...posts.map((post) => JSON.stringify(post.message).length))).toBeLessThan(32 * 1024);
  });

  it('reports fan-out size, frames posted and the delivery lag (post time - changedAt)', async () => {
    const { notifier } = world({ a: watchersNamed('w', 4) }, { now: T0 + 250 });

    const report = await notifier.notify([change('a', 'online', T0)]);

    expect(report).toMatchObject({ fanOutSize: 4, framesPosted: 4, pagesQueued: 0, retriesQueued: 0, connectionsClosed: 0 });
    expect(report.deliveryLagMs).toEqual({ count: 4, max: 250, total: 1000 });
  });
});

describe('Notifier: the newest change per user is the newest version', () => {
  it('keeps the higher version even when its changedAt is older (a writer with a slower clock)', async () => {
    const { notifier, posts } = world({ a: [{ connectionId: 'w1', userId: 'x' }] });

    await notifier.notify([change('a', 'offline', T0, 7), change('a', 'online', T0 + 3, 6)]);

    expect(posts.map((post) => post.message.presences.map((p: { status: string }) => p.status))).toEqual([['offline']]);
  });

  it('latestPerUser keeps one change per user, the highest version', () => {
    expect(latestPerUser([change('a', 'offline', T0 + 1, 3), change('a', 'online', T0 + 9, 2), change('b', 'online', T0, 1)])).toEqual([
      change('a', 'offline', T0 + 1, 3),
      change('b', 'online', T0, 1),
    ]);
  });
});

describe('Notifier: per-connection delivery', () => {
  it('one failing watcher among 1,000: the other 999 are posted exactly once, the record is not failed, the failure is retried alone', async () => {
    const all = watchersNamed('w', 1000);
    const { notifier, posts, retries, postsTo } = world({ star: all }, { outcomes: { w00500: new Error('InternalServerErrorException') } });

    const report = await notifier.notify([change('star', 'online', T0)]);

    expect(report.failedUserIds.size).toBe(0);
    expect(posts).toHaveLength(999);
    expect(all.filter((w) => w.connectionId !== 'w00500').every((w) => postsTo(w.connectionId) === 1)).toBe(true);
    expect(retries.map((r) => [r.connectionId, r.attempt, r.changes.map((c) => c.userId)])).toEqual([['w00500', 1, ['star']]]);
    expect(report.postsFailed).toEqual({ gone: 0, throttled: 0, other: 1 });
    expect(report.retriesQueued).toBe(1);
  });

  it('a throttled connection (full client buffer) is retried alone with jittered backoff, then closed after the bound', async () => {
    const { notifier, retries, closed, posts } = world(
      {
        a: [
          { connectionId: 'slow', userId: 's' },
          { connectionId: 'fast', userId: 'f' },
        ],
      },
      { outcomes: { slow: 'throttled' }, maxAttempts: 3 },
    );

    const first = await notifier.notify([change('a', 'online', T0)]);
    expect(first.postsFailed.throttled).toBe(1);
    // Retries come back one by one, as the retry queue delivers them after their delay.
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const pending = retries.splice(0);
      expect(pending.map((r) => [r.connectionId, r.attempt])).toEqual([['slow', attempt]]);
      delays.push(pending[0].delayMs);
      const report = await notifier.retry(pending);
      expect(report.failed.size).toBe(0);
    }

    expect(retries).toEqual([]);
    expect(closed).toEqual(['slow']);
    // backoffDelay with random 0.5: half of min(cap, base * 2^(n-1)).
    expect(delays).toEqual([500, 1000, 2000]);
    expect(posts.map((post) => post.connectionId)).toEqual(['fast']);
  });

  it('a retry that gets through posts that one connection once, and nobody else', async () => {
    const { notifier, posts, retries } = world(
      {
        a: [
          { connectionId: 'flaky', userId: 'x' },
          { connectionId: 'steady', userId: 'y' },
        ],
      },
      { outcomes: { flaky: [new Error('socket hang up'), 'delivered'] } },
    );

    await notifier.notify([change('a', 'online', T0)]);
    const report = await notifier.retry(retries.splice(0));

    expect(report.framesPosted).toBe(1);
    expect(posts.map((post) => post.connectionId).sort()).toEqual(['flaky', 'steady']);
  });

  it('closes the connection at once when its retry cannot be queued, and fails no record', async () => {
    const { notifier, closed } = world(
      { a: [{ connectionId: 'slow', userId: 's' }] },
      { outcomes: { slow: 'throttled' }, retriesDown: true },
    );

    const report = await notifier.notify([change('a', 'online', T0)]);

    expect(closed).toEqual(['slow']);
    expect([report.connectionsClosed, report.failedUserIds.size]).toEqual([1, 0]);
  });

  it('fails the record only as a last resort: neither a retry nor a close could be arranged', async () => {
    const { notifier } = world(
      { a: [{ connectionId: 'slow', userId: 's' }], b: [{ connectionId: 'fine', userId: 'f' }] },
      { outcomes: { slow: 'throttled' }, retriesDown: true, closeFails: true },
    );

    const report = await notifier.notify([change('a', 'online', T0), change('b', 'online', T0)]);

    expect([...report.failedUserIds]).toEqual(['a']);
  });

  it('a retry message whose retry cannot be queued nor its connection closed is reported failed (redelivered later)', async () => {
    const { notifier } = world({}, { outcomes: { slow: 'throttled' }, retriesDown: true, closeFails: true });

    const report = await notifier.retry([
      { connectionId: 'slow', userId: 's', changes: [change('a', 'online', T0)], attempt: 1, delayMs: 0 },
    ]);

    expect([...report.failed]).toEqual([0]);
  });

  it('cleans up a connection API Gateway says is gone, without failing the change, even when the cleanup fails', async () => {
    const { notifier, gone } = world(
      {
        a: [
          { connectionId: 'dead', userId: 'x' },
          { connectionId: 'alive', userId: 'y' },
        ],
      },
      { outcomes: { dead: 'gone' } },
    );
    const report = await notifier.notify([change('a', 'online', T0)]);
    expect(gone).toEqual(['dead']);
    expect([report.postsFailed.gone, report.failedUserIds.size, report.retriesQueued]).toEqual([1, 0, 0]);

    const failing = world({ a: [{ connectionId: 'dead', userId: 'x' }] }, { outcomes: { dead: 'gone' }, goneCleanupFails: true });
    expect((await failing.notifier.notify([change('a', 'online', T0)])).failedUserIds.size).toBe(0);
  });

  it('fails a record when its watchers cannot be read, and delivers the others', async () => {
    const { notifier, posts } = world(
      { a: [{ connectionId: 'w1', userId: 'x' }], b: [{ connectionId: 'w2', userId: 'y' }] },
      { unreadable: ['a'] },
    );

    const report = await notifier.notify([change('a', 'online', T0), change('b', 'online', T0)]);

    expect([...report.failedUserIds]).toEqual(['a']);
    expect(posts.map((post) => post.connectionId)).toEqual(['w2']);
  });
});

describe('Notifier: fan-out that scales out', () => {
  it("sends a popular user's fan-out to the fan-out queue page by page, which reaches every watcher exactly once", async () => {
    const all = watchersNamed('w', 2500);
    const { notifier, tasks, postsTo, posts } = world({ star: all }, { pageSize: 1000, inlineBudget: 1000 });

    const report = await notifier.notify([change('star', 'online', T0)]);
    expect([report.framesPosted, report.pagesQueued]).toEqual([0, 1]);
    expect(tasks).toEqual([{ cursors: [{ change: change('star', 'online', T0), after: null }] }]);

    let hops = 0;
    while (tasks.length > 0) {
      const fanOutReport = await notifier.fanOut(tasks.splice(0));
      expect(fanOutReport.failed.size).toBe(0);
      hops += 1;
    }

    expect(hops).toBe(3);
    expect(posts).toHaveLength(2500);
    expect(all.every((w) => postsTo(w.connectionId) === 1)).toBe(true);
  });

  it('small fan-outs go first and inline; a hot user beyond the inline budget is handed to the fan-out queue whole', async () => {
    const { notifier, posts, tasks } = world({ hot: watchersNamed('h', 900), small: watchersNamed('s', 5) }, { inlineBudget: 100 });

    const report = await notifier.notify([change('hot', 'online', T0), change('small', 'online', T0)]);

    expect(posts.map((post) => post.connectionId)).toEqual(watchersNamed('s', 5).map((w) => w.connectionId));
    expect(tasks).toEqual([{ cursors: [{ change: change('hot', 'online', T0), after: null }] }]);
    expect([report.pagesQueued, report.failedUserIds.size]).toEqual([1, 0]);
  });

  it('posts the smallest fan-outs before the bigger ones within an invocation', async () => {
    const { notifier, posts } = world({ big: watchersNamed('b', 300), small: watchersNamed('s', 3) });

    await notifier.notify([change('big', 'online', T0), change('small', 'online', T0)]);

    expect(posts.slice(0, 3).map((post) => post.connectionId)).toEqual(['s00000', 's00001', 's00002']);
  });

  it('reads the watchers of a batch concurrently, not one user after another', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `u${i}`);
    const { notifier, reads } = world(Object.fromEntries(users.map((u) => [u, watchersNamed(u, 2)])));

    await notifier.notify(users.map((u) => change(u, 'online', T0)));

    expect(reads.max).toBeGreaterThan(1);
  });

  it('fails the record and posts nothing of that user when its further pages cannot be queued (the retry posts it whole)', async () => {
    const { notifier, posts } = world({ star: watchersNamed('w', 1500), other: watchersNamed('o', 2) }, { fanOutDown: true });

    const report = await notifier.notify([change('star', 'online', T0), change('other', 'online', T0)]);

    expect([...report.failedUserIds]).toEqual(['star']);
    expect(posts.map((post) => post.connectionId)).toEqual(['o00000', 'o00001']);
  });

  it('a fan-out page whose watchers cannot be read fails only its own task', async () => {
    const { notifier, posts } = world({ a: watchersNamed('a', 3), b: watchersNamed('b', 3) }, { unreadable: ['a'] });

    const report = await notifier.fanOut([
      { cursors: [{ change: change('a', 'online', T0), after: null }] },
      { cursors: [{ change: change('b', 'online', T0), after: null }] },
    ]);

    expect([...report.failed]).toEqual([0]);
    expect(posts).toHaveLength(3);
  });
});

describe('Notifier: a popular user never delays the others', () => {
  it('a popular user (more than a page of watchers) never takes the stream lane: alone in a batch, its pages all go to the fan-out queue', async () => {
    const { notifier, posts, tasks } = world({ hot: watchersNamed('h', 5000) });

    const report = await notifier.notify([change('hot', 'online', T0)]);

    expect(posts).toHaveLength(0);
    expect([report.pagesQueued, report.failedUserIds.size, tasks.length]).toEqual([1, 0, 1]);
  });

  it("a 5,000-watcher user in the same batch does not delay a 20-watcher user's posts: they go inline, before anything of the popular user", async () => {
    const { notifier, posts, tasks } = world({ hot: watchersNamed('h', 5000), small: watchersNamed('s', 20) });

    await notifier.notify([change('hot', 'online', T0), change('small', 'online', T0)]);

    expect(posts.map((post) => post.connectionId)).toEqual(watchersNamed('s', 20).map((w) => w.connectionId));
    while (tasks.length > 0) await notifier.fanOut(tasks.splice(0));
    expect(posts).toHaveLength(5020);
  });

  it('small fan-outs whose watchers overlap count once against the inline budget: 5 users x the same 1,000 watchers post inline, one frame per watcher', async () => {
    const common = watchersNamed('w', 1000);
    const users = ['a', 'b', 'c', 'd', 'e'];
    const { notifier, posts, tasks } = world(Object.fromEntries(users.map((u) => [u, common])), { pageSize: 2000, inlineBudget: 1000 });

    const report = await notifier.notify(users.map((u) => change(u, 'online', T0)));

    expect([report.framesPosted, report.pagesQueued, tasks.length]).toEqual([1000, 0, 0]);
    expect(posts.every((post) => post.message.presences.length === 5)).toBe(true);
  });
});

describe('Notifier: coalescing past the inline budget', () => {
  /** Runs the fan-out queue until it is empty; @returns the consumer invocations. */
  const drain = async (notifier: Notifier, tasks: FanOutTask[]): Promise<number> => {
    let invocations = 0;
    while (tasks.length > 0) {
      for (const task of tasks.splice(0)) {
        expect((await notifier.fanOut([task])).failed.size).toBe(0);
        invocations += 1;
      }
    }
    return invocations;
  };

  it('5 users with 2,500 common watchers (beyond the inline budget) -> each watcher gets 1 frame with all 5 changes', async () => {
    const common = watchersNamed('w', 2500);
    const users = ['a', 'b', 'c', 'd', 'e'];
    const { notifier, posts, tasks, postsTo } = world(Object.fromEntries(users.map((u) => [u, common])), {
      pageSize: 1000,
      inlineBudget: 1000,
    });

    await notifier.notify(users.map((u) => change(u, 'online', T0)));
    await drain(notifier, tasks);

    expect(posts).toHaveLength(2500);
    expect(common.every((w) => postsTo(w.connectionId) === 1)).toBe(true);
    expect(posts.every((post) => post.message.presences.length === 5)).toBe(true);
  });

  it('a page of the fan-out posts at most a page of connections, however many users its task carries', async () => {
    const users = ['a', 'b', 'c', 'd', 'e'];
    // Disjoint watchers, one shared connection so that the users travel together.
    const shared = { connectionId: 'shared', userId: 'z' };
    const { notifier, tasks } = world(Object.fromEntries(users.map((u) => [u, [shared, ...watchersNamed(u, 1500)]])), {
      pageSize: 1000,
      inlineBudget: 1000,
    });

    await notifier.notify(users.map((u) => change(u, 'online', T0)));
    const sizes: number[] = [];
    while (tasks.length > 0) for (const task of tasks.splice(0)) sizes.push((await notifier.fanOut([task])).framesPosted);

    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(5 * 1500 + 1);
  });

  it("users whose watchers do not overlap travel apart: one user's pages never wait for another's", async () => {
    const { notifier, tasks } = world({ a: watchersNamed('a', 1500), b: watchersNamed('b', 1500) }, { pageSize: 1000, inlineBudget: 1000 });

    await notifier.notify([change('a', 'online', T0), change('b', 'online', T0)]);

    expect(tasks).toHaveLength(2);
  });

  it('a task whose watchers cannot all be read posts nothing and is redelivered whole: nobody gets the frame twice', async () => {
    const common = watchersNamed('w', 10);
    const { notifier, posts, tasks } = world(
      { a: common, b: common, c: common, d: watchersNamed('d', 2) },
      { pageSize: 4, unreadable: ['b'] },
    );
    const task = (...users: string[]): FanOutTask => ({ cursors: users.map((u) => ({ change: change(u, 'online', T0), after: null })) });

    const report = await notifier.fanOut([task('a', 'b', 'c'), task('d')]);

    expect([...report.failed]).toEqual([0]);
    expect(posts.map((post) => post.connectionId)).toEqual(['d00000', 'd00001']);
    expect(tasks).toEqual([]);
  });

  it('a task whose next page cannot be queued posts nothing and is redelivered whole', async () => {
    const common = watchersNamed('w', 10);
    const { notifier, posts } = world({ a: common, b: common }, { pageSize: 4, fanOutDown: true });

    const report = await notifier.fanOut([
      {
        cursors: [
          { change: change('a', 'online', T0), after: null },
          { change: change('b', 'online', T0), after: null },
        ],
      },
    ]);

    expect([...report.failed]).toEqual([0]);
    expect(posts).toHaveLength(0);
  });
});

describe('Notifier: pacing', () => {
  it('each invocation paces its posts with a bucket of its own (its share of the posting budget), not one shared by every invocation of the process', async () => {
    const buckets: number[] = [];
    const pace = () => {
      const bucket = buckets.push(0) - 1;
      return { take: async () => void (buckets[bucket] += 1) };
    };
    const { notifier } = world({ a: watchersNamed('a', 2), b: watchersNamed('b', 3) }, { pace });

    await Promise.all([
      notifier.notify([change('a', 'online', T0)]),
      notifier.fanOut([{ cursors: [{ change: change('b', 'online', T0), after: null }] }]),
    ]);

    expect(buckets.sort()).toEqual([2, 3]);
  });
});
