import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { nextCheckAt, policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import type { ConnectionRegistry, UserRecord } from '../../../lambdas/ports';
import { MemoryPresenceStore } from '../../helpers/memory-presence-store';

const T0 = Date.UTC(2026, 11, 5, 1, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

/** A ConnectionService over in-memory ports, with its clock, the grace timer's schedule and the registry's calls. */
const setup = (graceSeconds = 3) => {
  let now = T0;
  const clock = () => now;
  const policy = policyFromSeconds(150, graceSeconds);
  const store = new MemoryPresenceStore();
  const registered = new Set<string>();
  const subscribed: { connectionId: string; userIds: readonly string[]; max: number }[] = [];
  const unsubscribed: { connectionId: string; userIds: readonly string[] }[] = [];
  const registry = {
    register: jest.fn(async ({ connectionId }: { connectionId: string }) => void registered.add(connectionId)),
    remove: jest.fn(async (connectionId: string) => void registered.delete(connectionId)),
    subscribe: jest.fn(async (connectionId: string, userIds: readonly string[], max: number) => {
      subscribed.push({ connectionId, userIds, max });
      return userIds.length;
    }),
    unsubscribe: jest.fn(async (connectionId: string, userIds: readonly string[]) => void unsubscribed.push({ connectionId, userIds })),
  };
  const users: UserRecord[] = ['ann', 'bob'].map((id) => ({ id, name: id, createdAt: 0, lastSeen: null }));
  const grace: { userId: string; at: number }[] = [];
  const graceTimer = { schedule: jest.fn(async (userId: string, at: number) => void grace.push({ userId, at })) };
  const connections = new ConnectionService({
    presence: new PresenceService({ store, policy, clock }),
    store,
    registry: registry as unknown as ConnectionRegistry,
    directory: { findMany: async (ids) => users.filter((user) => ids.includes(user.id)) },
    graceTimer,
    clock,
    maxSubscriptions: 5,
  });
  return { connections, store, registry, registered, subscribed, unsubscribed, grace, graceTimer, policy, at: (t: number) => (now = t) };
};

describe('ConnectionService.connect', () => {
  it('registers the connection, then opens its lease', async () => {
    const world = setup();

    await world.connections.connect('c1', 'ann');

    expect(world.registered).toEqual(new Set(['c1']));
    expect(world.store.changes).toEqual([{ userId: 'ann', status: 'online', lastSeen: null, changedAt: T0 }]);
  });

  it('opens no lease when the connection cannot be registered, so no lease is left that no disconnect can find', async () => {
    const world = setup();
    world.registry.register.mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));

    await expect(world.connections.connect('c1', 'ann')).rejects.toThrow('ProvisionedThroughputExceededException');

    expect((await world.store.load('ann')).leases).toEqual({});
  });
});

describe('ConnectionService.disconnect', () => {
  it('forgets the connection and arms no timer while another device stays online', async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    await world.connections.connect('c2', 'ann');
    world.at(s(10));

    const change = await world.connections.disconnect('c1', 'ann', s(9));

    expect(change).toBeNull();
    expect(world.registered).toEqual(new Set(['c2']));
    expect(world.grace).toEqual([]);
    expect((await world.store.load('ann')).closed).toEqual({ c1: s(9) });
  });

  it("arms the grace timer at the grace's end when the last device goes, counted from the latest device's last moment", async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    await world.connections.connect('c2', 'ann');
    world.at(s(10));
    await world.connections.disconnect('c2', 'ann', s(9));

    const change = await world.connections.disconnect('c1', 'ann', s(8));

    expect(change).toBeNull();
    expect(world.grace).toEqual([{ userId: 'ann', at: s(12) }]);
  });

  it('announces offline at once, with no timer, when there is no grace', async () => {
    const world = setup(0);
    await world.connections.connect('c1', 'ann');
    world.at(s(10));

    const change = await world.connections.disconnect('c1', 'ann');

    expect(change).toEqual({ userId: 'ann', status: 'offline', lastSeen: s(10), changedAt: s(10) });
    expect(world.grace).toEqual([]);
  });

  it('changes nothing for a repeated disconnect, and arms the same timer again', async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    await world.connections.disconnect('c1', 'ann');
    const before = await world.store.load('ann');

    expect(await world.connections.disconnect('c1', 'ann')).toBeNull();

    expect(await world.store.load('ann')).toEqual(before);
    expect(world.grace).toEqual([
      { userId: 'ann', at: s(3) },
      { userId: 'ann', at: s(3) },
    ]);
  });

  it('leaves the lease open when forgetting the connection fails, so a retry or the sweeper closes it', async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    world.registry.remove.mockRejectedValueOnce(new Error('ServiceUnavailable'));

    await expect(world.connections.disconnect('c1', 'ann')).rejects.toThrow('ServiceUnavailable');

    expect(Object.keys((await world.store.load('ann')).leases)).toEqual(['c1']);
  });

  it('fails when the grace timer cannot be armed, the user still indexed for the sweeper at the grace end; a retry arms it', async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    world.at(s(10));
    world.graceTimer.schedule.mockRejectedValueOnce(new Error('AWS.SimpleQueueService.NonExistentQueue'));

    await expect(world.connections.disconnect('c1', 'ann')).rejects.toThrow('NonExistentQueue');

    expect(nextCheckAt(await world.store.load('ann'), world.policy)).toBe(s(13));
    await world.connections.disconnect('c1', 'ann');
    expect(world.grace).toEqual([{ userId: 'ann', at: s(13) }]);
  });
});

describe('ConnectionService.closeSilent', () => {
  it('closes a lease still as the sweeper saw it, forgets the connection and reports the change at its last activity', async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    world.at(s(300));

    const result = await world.connections.closeSilent('c1', 'ann', T0, s(20));

    expect(result).toEqual({ closed: true, change: { userId: 'ann', status: 'offline', lastSeen: s(20), changedAt: s(300) } });
    expect(world.registered).toEqual(new Set());
    expect(world.grace).toEqual([]);
  });

  it('closes nothing and keeps the connection when a frame renewed the lease since the sweeper looked', async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    world.at(s(100));
    await world.connections.touch('c1', 'ann');

    const result = await world.connections.closeSilent('c1', 'ann', T0, s(20));

    expect(result).toEqual({ closed: false, change: null });
    expect(world.registered).toEqual(new Set(['c1']));
  });
});

describe('ConnectionService.touch', () => {
  it('writes nothing for a frame within half a lease of the last renewal, and renews after it', async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    world.at(s(60));

    expect(await world.connections.touch('c1', 'ann')).toBe(s(210));
    expect(world.store.writes).toBe(1);

    world.at(s(80));
    expect(await world.connections.touch('c1', 'ann')).toBe(s(230));
    expect(world.store.writes).toBe(2);
    expect((await world.store.load('ann')).leases.c1).toMatchObject({ renewedAt: s(80) });
  });

  it('opens the lease afresh for a frame on a connection whose lease is gone', async () => {
    const world = setup(0);
    await world.connections.connect('c1', 'ann');
    await world.connections.disconnect('c1', 'ann');

    await world.connections.touch('c1', 'ann');

    expect(world.store.changes.map((change) => change.status)).toEqual(['online', 'offline', 'online']);
  });
});

describe('ConnectionService watches and status', () => {
  it('watches the known users, lists the unknown ones back, and returns presence in the order asked', async () => {
    const world = setup();
    await world.connections.connect('c9', 'bob');

    const result = await world.connections.subscribe('c1', ['bob', 'nobody', 'ann']);

    expect(world.subscribed).toEqual([{ connectionId: 'c1', userIds: ['ann', 'bob'], max: 5 }]);
    expect(result).toEqual({
      presences: [
        { userId: 'bob', status: 'online', lastSeen: null },
        { userId: 'ann', status: 'offline', lastSeen: null },
      ],
      unknown: ['nobody'],
    });
  });

  it('writes no watch when no asked user exists', async () => {
    const world = setup();

    expect(await world.connections.subscribe('c1', ['nobody'])).toEqual({ presences: [], unknown: ['nobody'] });
    expect(world.subscribed).toEqual([]);
  });

  it('ends the watches asked for', async () => {
    const world = setup();

    await world.connections.unsubscribe('c1', ['ann']);

    expect(world.unsubscribed).toEqual([{ connectionId: 'c1', userIds: ['ann'] }]);
  });

  it("applies the user's own setting: offline at once with a connection open", async () => {
    const world = setup();
    await world.connections.connect('c1', 'ann');
    world.at(s(5));

    await world.connections.setStatus('ann', 'offline');

    expect(world.store.changes.at(-1)).toEqual({ userId: 'ann', status: 'offline', lastSeen: s(5), changedAt: s(5) });
  });
});
