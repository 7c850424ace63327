import { Notifier, latestPerUser } from '../../../lambdas/domain/notifier';
import type { PresenceChange } from '../../../lambdas/domain/presence';
import type { PostResult, Watcher } from '../../../lambdas/ports';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const change = (userId: string, status: 'online' | 'offline', at: number): PresenceChange => ({
  userId,
  status,
  lastSeen: status === 'offline' ? at - 1000 : null,
  changedAt: at,
});

/** An in-memory registry and gateway: the notifier's ports, recording what was sent. */
const world = (watchers: Record<string, Watcher[]>, outcomes: Record<string, PostResult | Error> = {}, pageSize = 2) => {
  const posts: { connectionId: string; message: any }[] = [];
  const gone: string[] = [];
  const notifier = new Notifier({
    registry: {
      async *watchers(userId: string) {
        const all = watchers[userId] ?? [];
        for (let i = 0; i < all.length; i += pageSize) yield all.slice(i, i + pageSize);
      },
    },
    gateway: {
      post: async (connectionId: string, message: unknown) => {
        const outcome = outcomes[connectionId];
        if (outcome instanceof Error) throw outcome;
        posts.push({ connectionId, message });
        return outcome ?? 'delivered';
      },
    },
    onGone: async (connectionId) => {
      gone.push(connectionId);
    },
    concurrency: 3,
  });
  return { notifier, posts, gone };
};

describe('Notifier', () => {
  it('sends one frame per connection carrying every change it watches (coalesced)', async () => {
    const { notifier, posts } = world({
      a: [{ connectionId: 'w1', userId: 'x' }, { connectionId: 'w2', userId: 'y' }],
      b: [{ connectionId: 'w1', userId: 'x' }],
    });

    const report = await notifier.notify([change('a', 'online', T0), change('b', 'offline', T0 + 5)]);

    expect(report.framesSent).toBe(2);
    const w1 = posts.find((post) => post.connectionId === 'w1');
    expect(w1?.message).toEqual({
      type: 'presence',
      presences: [
        { userId: 'a', status: 'online', lastSeen: null, changedAt: new Date(T0).toISOString() },
        { userId: 'b', status: 'offline', lastSeen: new Date(T0 + 5 - 1000).toISOString(), changedAt: new Date(T0 + 5).toISOString() },
      ],
    });
  });

  it('sends only the newest change of a user that changed twice in one batch', async () => {
    const { notifier, posts } = world({ a: [{ connectionId: 'w1', userId: 'x' }] });

    await notifier.notify([change('a', 'online', T0), change('a', 'offline', T0 + 10)]);

    expect(posts.map((post) => post.message.presences.map((p: { status: string }) => p.status))).toEqual([['offline']]);
  });

  it('reaches every watcher of a popular user across pages', async () => {
    const many = Array.from({ length: 25 }, (_, i) => ({ connectionId: `w${i}`, userId: `u${i}` }));
    const { notifier, posts } = world({ star: many }, {}, 7);

    await notifier.notify([change('star', 'online', T0)]);

    expect(new Set(posts.map((post) => post.connectionId)).size).toBe(25);
  });

  it('cleans up a connection API Gateway says is gone, without failing the change', async () => {
    const { notifier, gone } = world({ a: [{ connectionId: 'dead', userId: 'x' }, { connectionId: 'alive', userId: 'y' }] }, { dead: 'gone' });

    const report = await notifier.notify([change('a', 'online', T0)]);

    expect(gone).toEqual(['dead']);
    expect([report.connectionsGone, report.failedUserIds.size]).toEqual([1, 0]);
  });

  it('reports the users whose change failed to reach a watcher, so they are retried', async () => {
    const { notifier } = world(
      { a: [{ connectionId: 'flaky', userId: 'x' }], b: [{ connectionId: 'fine', userId: 'y' }] },
      { flaky: new Error('throttled') },
    );

    const report = await notifier.notify([change('a', 'online', T0), change('b', 'online', T0)]);

    expect([...report.failedUserIds]).toEqual(['a']);
  });
});

it('splits a connection\'s changes into frames of at most 100, so no frame nears 32 KB', async () => {
  const users = Array.from({ length: 250 }, (_, i) => `u${i}`);
  const { notifier, posts } = world(Object.fromEntries(users.map((u) => [u, [{ connectionId: 'fan', userId: 'x' }]])));

  await notifier.notify(users.map((u) => change(u, 'offline', T0)));

  expect(posts.map((post) => post.message.presences.length)).toEqual([100, 100, 50]);
  expect(Math.max(...posts.map((post) => JSON.stringify(post.message).length))).toBeLessThan(32 * 1024);
});

describe('latestPerUser', () => {
  it('keeps the newest change per user', () => {
    expect(latestPerUser([change('a', 'offline', 3), change('a', 'online', 2), change('b', 'online', 1)])).toEqual([
      change('a', 'offline', 3),
      change('b', 'online', 1),
    ]);
  });
});
