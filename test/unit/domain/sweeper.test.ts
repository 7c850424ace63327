import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import { Sweeper } from '../../../lambdas/domain/sweeper';
import type { ConnectionGateway, ConnectionRegistry } from '../../../lambdas/ports';
import { MemoryPresenceStore } from '../../helpers/memory-presence-store';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

/** A sweeper over in-memory ports; `lastActive` is what API Gateway says of each connection. */
const setup = (lastActive: Record<string, number | null>, closeFails = false) => {
  let now = T0;
  const clock = () => now;
  const store = new MemoryPresenceStore();
  const presence = new PresenceService({ store, policy: policyFromSeconds(150, 3), clock });
  const closed: string[] = [];
  const gateway: ConnectionGateway = {
    post: async () => 'delivered',
    lastActiveAt: async (id) => lastActive[id] ?? null,
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
  return { store, connections, sweeper, closed, removed, grace, logged, at: (t: number) => (now = t) };
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
});
