import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import { Sweeper } from '../../../lambdas/domain/sweeper';
import type { ConnectionGateway, ConnectionRegistry } from '../../../lambdas/ports';
import { MemoryPresenceStore } from '../../helpers/memory-presence-store';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

/** A sweeper over in-memory ports; `lastActive` is what API Gateway says of each connection. */
const setup = (
  lastActive: Record<string, number | null>,
  closeFails = false,
  hooks: { lastActiveAt?: (id: string) => Promise<number | null> } = {},
) => {
  let now = T0;
  const clock = () => now;
  const store = new MemoryPresenceStore();
  /** Users whose every load is throttled from now on. */
  const throttled = new Set<string>();
  const load = store.load.bind(store);
  store.load = async (userId) => {
    if (throttled.has(userId)) throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' });
    return load(userId);
  };
  const presence = new PresenceService({ store, policy: policyFromSeconds(150, 3), clock });
  const closed: string[] = [];
  const gateway: ConnectionGateway = {
    post: async () => 'delivered',
    lastActiveAt: async (id) => (hooks.lastActiveAt !== undefined ? hooks.lastActiveAt(id) : (lastActive[id] ?? null)),
    close: async (id) => {
      if (closeFails) throw new Error('TooManyRequestsException');
      closed.push(id);
    },
  };
  const removed: string[] = [];
  const registry = {
    register: async () => undefined,
    remove: async (id: string) => {
      removed.push(id);
      return null;
    },
  } as unknown as ConnectionRegistry;
  const grace: { userId: string; at: number }[] = [];
  const logged: Record<string, unknown>[] = [];
  const connections = new ConnectionService({
    presence,
    store,
    registry,
    directory: { findMany: async () => [] },
    graceTimer: { schedule: async (userId, at) => void grace.push({ userId, at }) },
    clock,
  });
  const sweeper = new Sweeper({
    due: {
      async *due() {
        yield [...store.states.keys()];
      },
    },
    store,
    presence,
    connections,
    gateway,
    clock,
    log: (message, fields) => void logged.push({ message, ...fields }),
  });
  return { store, connections, sweeper, closed, removed, grace, logged, throttled, at: (t: number) => (now = t) };
};

describe('Sweeper', () => {
  it('turns a silent connection offline with lastSeen at its last activity, and closes it', async () => {
    const world = setup({ c1: s(20) });
    await world.connections.connect('c1', '42');

    world.at(s(171));
    const report = await world.sweeper.sweep();

    expect(world.store.changes.map((c) => [c.status, c.lastSeen])).toEqual([
      ['online', null],
      ['offline', s(20)],
    ]);
    expect(world.closed).toEqual(['c1']);
    expect(world.removed).toEqual(['c1']);
    expect(world.grace).toEqual([]);
    expect(report).toMatchObject({ usersChecked: 1, connectionsClosed: 1, changes: 1 });
  });

  it('still turns the user offline, and says so, when closing the socket fails', async () => {
    const world = setup({ c1: s(20) }, true);
    await world.connections.connect('c1', '42');

    world.at(s(171));
    const report = await world.sweeper.sweep();

    expect(world.store.changes.map((c) => c.status)).toEqual(['online', 'offline']);
    expect(world.logged).toEqual([{ message: 'closing a silent connection failed', connectionId: 'c1', error: 'TooManyRequestsException' }]);
    expect(report).toMatchObject({ connectionsClosed: 1, changes: 1 });
  });

  it('keeps a connection whose renewals were skipped but which API Gateway saw active, and re-arms its lease', async () => {
    const world = setup({ c1: s(140) });
    await world.connections.connect('c1', '42');

    world.at(s(151));
    const report = await world.sweeper.sweep();

    expect(world.store.changes.map((c) => c.status)).toEqual(['online']);
    expect(world.store.states.get('42')?.leases.c1).toEqual({ kind: 'ws', renewedAt: s(140), expiresAt: s(290) });
    expect(world.closed).toEqual([]);
    expect(report.connectionsRevived).toBe(1);
  });

  it('uses the last renewal as lastSeen when API Gateway no longer knows the connection (410)', async () => {
    const world = setup({ c1: null });
    await world.connections.connect('c1', '42');

    world.at(s(151));
    await world.sweeper.sweep();

    expect(world.store.changes.map((c) => [c.status, c.lastSeen])).toEqual([
      ['online', null],
      ['offline', s(0)],
    ]);
  });

  it('ends a grace whose timer message was lost', async () => {
    const world = setup({});
    await world.connections.connect('c1', '42');
    world.at(s(10));
    await world.connections.disconnect('c1', '42');

    world.at(s(14));
    await world.sweeper.sweep();

    expect(world.grace).toEqual([{ userId: '42', at: s(13) }]);
    expect(world.store.changes.map((c) => [c.status, c.lastSeen, c.changedAt])).toEqual([
      ['online', null, s(0)],
      ['offline', s(10), s(14)],
    ]);
  });

  it('changes nothing for a user whose other connection is alive', async () => {
    const world = setup({ c1: s(0), c2: s(140) });
    await world.connections.connect('c1', '42');
    await world.connections.connect('c2', '42');

    world.at(s(151));
    await world.sweeper.sweep();

    expect(world.store.changes.map((c) => c.status)).toEqual(['online']);
    expect(Object.keys(world.store.states.get('42')?.leases ?? {})).toEqual(['c2']);
  });

  it("settles every other due user when one user's sweep throws, and counts and logs that failure", async () => {
    const world = setup({ cb: null, cg: null });
    await world.connections.connect('cb', 'bad');
    await world.connections.connect('cg', 'good');
    world.throttled.add('bad');

    world.at(s(171));
    const report = await world.sweeper.sweep();

    expect(world.store.changes.filter((c) => c.userId === 'good').map((c) => c.status)).toEqual(['online', 'offline']);
    expect(world.closed).toEqual(['cg']);
    expect(report).toMatchObject({ usersChecked: 2, usersFailed: 1, connectionsClosed: 1 });
    expect(world.logged).toEqual([
      expect.objectContaining({ message: 'sweeping a user failed', userId: 'bad', error: 'Rate of requests exceeds the allowed throughput' }),
    ]);
  });

  it('leaves a connection open that spoke between the GetConnection and the close', async () => {
    let world = setup({});
    world = setup({}, false, {
      lastActiveAt: async (id) => {
        // The client sends a frame while API Gateway's answer (its last activity, long ago) is on its way.
        await world.connections.touch(id, '42');
        return s(20);
      },
    });
    await world.connections.connect('c1', '42');

    world.at(s(171));
    await world.sweeper.sweep();

    expect(world.closed).toEqual([]);
    expect(world.removed).toEqual([]);
    expect(world.store.states.get('42')?.leases.c1).toEqual({ kind: 'ws', renewedAt: s(171), expiresAt: s(321) });
    expect(world.store.changes.map((c) => c.status)).toEqual(['online']);
  });

  it("closes another device's silent socket even after an active device's renewals went past its deadline", async () => {
    const world = setup({ silent: s(0), active: s(240) });
    await world.connections.connect('silent', '42');
    await world.connections.connect('active', '42');
    for (const at of [80, 160, 240]) {
      world.at(s(at));
      await world.connections.touch('active', '42');
    }

    world.at(s(241));
    await world.sweeper.sweep();

    expect(world.closed).toEqual(['silent']);
    expect(world.removed).toEqual(['silent']);
    expect(Object.keys(world.store.states.get('42')?.leases ?? {})).toEqual(['active']);
    expect(world.store.changes.map((c) => c.status)).toEqual(['online']);
  });
});
