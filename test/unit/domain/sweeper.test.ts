import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { nextCheckAt, policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import { bucketOf, shardOf } from '../../../lambdas/domain/sweep';
import { Sweeper, type SweepSettings } from '../../../lambdas/domain/sweeper';
import type { ConnectionGateway, ConnectionRegistry, SweepIndex } from '../../../lambdas/ports';
import { MemoryPresenceStore } from '../../helpers/memory-presence-store';

const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;
const policy = policyFromSeconds(150, 3);
const settings: SweepSettings = { shards: 2, bucketMs: 60_000, settleMs: 10_000, firstSweepBuckets: 10 };

/**
 * The sweep index in memory, kept as the DynamoDB store keeps it: each saved user is listed in the
 * slot of its next check (never a bucket before the write's own), with a watermark per shard.
 */
class MemorySweepIndex implements SweepIndex {
  readonly slots = new Map<string, { bucket: number; shard: number; at: number }>();
  readonly marks = new Map<number, number>();
  /** Slots ("bucket#shard") whose reads fail. */
  readonly failing = new Set<string>();
  readonly read: string[] = [];

  index(userId: string, at: number | null, writtenAt: number): void {
    if (at === null) this.slots.delete(userId);
    else
      this.slots.set(userId, { bucket: bucketOf(Math.max(at, writtenAt), settings.bucketMs), shard: shardOf(userId, settings.shards), at });
  }

  async *due(bucket: number, shard: number, now: number): AsyncIterable<readonly string[]> {
    this.read.push(`${bucket}#${shard}`);
    if (this.failing.has(`${bucket}#${shard}`)) throw new Error('ProvisionedThroughputExceededException');
    const ids = [...this.slots].filter(([, slot]) => slot.bucket === bucket && slot.shard === shard && slot.at <= now).map(([id]) => id);
    if (ids.length > 0) yield ids;
  }

  async watermark(shard: number): Promise<number | null> {
    return this.marks.get(shard) ?? null;
  }

  async advance(shard: number, bucket: number): Promise<void> {
    this.marks.set(shard, Math.max(bucket, this.marks.get(shard) ?? bucket));
  }
}

/** A sweeper over in-memory ports; `lastActive` is what API Gateway says of each connection. */
const setup = (
  lastActive: Record<string, number | null>,
  closeFails = false,
  hooks: { lastActiveAt?: (id: string) => Promise<number | null> } = {},
) => {
  let now = T0;
  const clock = () => now;
  const store = new MemoryPresenceStore();
  const index = new MemorySweepIndex();
  const save = store.save.bind(store);
  store.save = async (state, change) => {
    const saved = await save(state, change);
    index.index(saved.userId, nextCheckAt(saved, policy), now);
    return saved;
  };
  /** Users whose every load is throttled from now on. */
  const throttled = new Set<string>();
  const load = store.load.bind(store);
  store.load = async (userId) => {
    if (throttled.has(userId))
      throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), { name: 'ProvisionedThroughputExceededException' });
    return load(userId);
  };
  const presence = new PresenceService({ store, policy, clock });
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
    index,
    settings,
    store,
    presence,
    connections,
    gateway,
    clock,
    log: (message, fields) => void logged.push({ message, ...fields }),
  });
  return { store, index, connections, sweeper, closed, removed, grace, logged, throttled, at: (t: number) => (now = t) };
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

  it("keeps a user whose device was closed by a mark (the index keeps the older check time) indexed until the last device's lease runs out", async () => {
    const world = setup({ a: null, b: null });
    await world.connections.connect('a', '42');
    world.at(s(100));
    await world.connections.connect('b', '42');
    world.at(s(110));
    // a's close is a mark: the index still lists the user at a's deadline (225 s), b's is 325 s.
    await world.connections.disconnect('a', '42', s(110));

    world.at(s(240));
    await world.sweeper.sweep();
    world.at(s(340));
    const report = await world.sweeper.sweep();

    expect(world.store.changes.map((c) => [c.status, c.lastSeen])).toEqual([
      ['online', null],
      ['offline', s(110)],
    ]);
    expect(world.closed).toEqual(['b']);
    expect(report).toMatchObject({ usersChecked: 1, connectionsClosed: 1, changes: 1 });
  });

  it('still turns the user offline, and says so, when closing the socket fails', async () => {
    const world = setup({ c1: s(20) }, true);
    await world.connections.connect('c1', '42');

    world.at(s(171));
    const report = await world.sweeper.sweep();

    expect(world.store.changes.map((c) => c.status)).toEqual(['online', 'offline']);
    expect(world.logged).toEqual([
      { message: 'closing a silent connection failed', connectionId: 'c1', error: 'TooManyRequestsException' },
    ]);
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

    // The failed user is not lost: the next sweep reads its bucket again and settles it.
    world.throttled.clear();
    world.at(s(240));
    const retried = await world.sweeper.sweep();
    expect(world.store.changes.filter((c) => c.userId === 'bad').map((c) => c.status)).toEqual(['online', 'offline']);
    expect(retried).toMatchObject({ usersChecked: 1, usersFailed: 0 });
    expect(world.logged).toEqual([
      expect.objectContaining({
        message: 'sweeping a user failed',
        userId: 'bad',
        error: 'Rate of requests exceeds the allowed throughput',
      }),
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

describe('Sweeper watermarks', () => {
  it('resumes each shard after its watermark however long the sweeper was stopped, and moves it to the last closed bucket', async () => {
    const world = setup({});
    await world.sweeper.sweep();
    const users = ['1', '2', '3', '4', '5', '6'];
    for (const user of users) await world.connections.connect(`c${user}`, user);

    world.at(s(3 * 24 * 3600));
    const report = await world.sweeper.sweep();

    expect(
      world.store.changes
        .filter((c) => c.status === 'offline')
        .map((c) => c.userId)
        .sort(),
    ).toEqual(users);
    const closed = bucketOf(s(3 * 24 * 3600) - settings.settleMs, settings.bucketMs) - 1;
    expect([...world.index.marks.values()]).toEqual([closed, closed]);
    expect(report.backlogAgeMs).toBeLessThanOrEqual(settings.bucketMs + settings.settleMs);
  });

  it('holds a shard at a bucket whose index read failed, sweeps the rest, and reads that bucket again next time', async () => {
    const world = setup({ c1: null });
    await world.sweeper.sweep();
    const start = world.index.marks.get(shardOf('42', 2)) ?? 0;
    await world.connections.connect('c1', '42');
    const slot = `${bucketOf(s(150), settings.bucketMs)}#${shardOf('42', 2)}`;
    world.index.failing.add(slot);

    world.at(s(600));
    const report = await world.sweeper.sweep();

    expect(report).toMatchObject({ slotsFailed: 1, changes: 0 });
    expect(world.index.marks.get(shardOf('42', 2))).toBe(bucketOf(s(150), settings.bucketMs) - 1);
    expect(world.index.marks.get(shardOf('42', 2))).toBeGreaterThan(start);
    expect(report.backlogAgeMs).toBe(s(600) - bucketOf(s(150), settings.bucketMs) * settings.bucketMs);

    world.index.failing.clear();
    world.at(s(660));
    await world.sweeper.sweep();
    expect(world.store.changes.map((c) => c.status)).toEqual(['online', 'offline']);
  });

  it('sweeps only the shard it is given, and leaves its watermark where it was when writing it fails', async () => {
    const world = setup({});
    await world.sweeper.sweep();
    const marks = new Map(world.index.marks);
    world.index.read.length = 0;
    world.index.advance = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };

    world.at(s(3600));
    const report = await world.sweeper.sweepShard(1);

    expect(new Set(world.index.read.map((slot) => slot.split('#')[1]))).toEqual(new Set(['1']));
    expect(report.shardsFailed).toBe(1);
    expect(world.index.marks).toEqual(marks);
    expect(world.logged).toEqual([expect.objectContaining({ message: 'sweeping a shard failed', shard: 1 })]);
  });

  it('starts no bucket after its deadline and keeps the progress made', async () => {
    const world = setup({});
    await world.sweeper.sweep();
    const marks = new Map(world.index.marks);

    world.at(s(3600));
    const report = await world.sweeper.sweep({ deadline: s(3600) });

    expect(world.index.marks).toEqual(marks);
    expect(report.slotsRead).toBe(0);
    expect(report.backlogAgeMs).toBeGreaterThan(3_500_000);
  });
});
