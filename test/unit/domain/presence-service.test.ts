import { ConcurrentUpdateError } from '../../../lambdas/domain/errors';
import {
  openLease,
  type PresenceChange,
  type PresenceState,
  policyFromSeconds,
  type QuickClose,
  renewLease,
  settle,
} from '../../../lambdas/domain/presence';
import { type Applied, PresenceService } from '../../../lambdas/domain/presence-service';
import { RetriesExhaustedError } from '../../../lambdas/domain/retry';
import { MemoryPresenceStore } from '../../helpers/memory-presence-store';

const policy = policyFromSeconds(150, 3);

describe('PresenceService reports what each command took', () => {
  it('one attempt and the change for an uncontested write', async () => {
    const reports: Applied[] = [];
    const service = new PresenceService({
      store: new MemoryPresenceStore(),
      policy,
      clock: () => 1_000,
      onApplied: (applied) => reports.push(applied),
    });

    const applied = await service.apply('u1', (state, now) => openLease(state, 'c1', 'ws', now, policy));

    expect(applied.attempts).toBe(1);
    expect(applied.change).toMatchObject({ userId: 'u1', status: 'online' });
    expect(reports).toEqual([applied]);
  });

  it('the attempts of a write that lost version races, and no change for a write that changed nothing visible', async () => {
    const store = new MemoryPresenceStore();
    const rival = new PresenceService({ store, policy, clock: () => 1_000 });
    const reports: Applied[] = [];
    let rivalWrites = 2;
    // Another device's connection is written between this command's read and its write, twice.
    const racing = async () => {
      if (rivalWrites > 0) {
        rivalWrites -= 1;
        await rival.apply('u1', (state, now) => openLease(state, `other-${rivalWrites}`, 'ws', now, policy));
      }
    };
    const racingStore: MemoryPresenceStore = Object.assign(Object.create(store) as MemoryPresenceStore, {
      load: async (userId: string) => {
        const state = await store.load(userId);
        await racing();
        return state;
      },
    });
    const service = new PresenceService({ store: racingStore, policy, clock: () => 1_000, onApplied: (applied) => reports.push(applied) });

    const applied = await service.apply('u1', (state, now) => openLease(state, 'c1', 'ws', now, policy));

    expect(applied.attempts).toBe(3);
    expect(applied.change).toBeNull();
    expect(reports.map(({ attempts }) => attempts)).toEqual([3]);
  });
});

describe('PresenceService under a version race that never settles', () => {
  it('gives up with RetriesExhaustedError after 16 rounds, the last race as its cause', async () => {
    const store = new MemoryPresenceStore();
    store.save = async (state) => {
      throw new ConcurrentUpdateError(`Presence of user ${state.userId} changed concurrently`);
    };
    const load = jest.spyOn(store, 'load');
    const service = new PresenceService({ store, policy, clock: () => 1_000 });

    const failure = service.apply('u1', (state, now) => openLease(state, 'c1', 'ws', now, policy));

    await expect(failure).rejects.toThrow(RetriesExhaustedError);
    await expect(failure).rejects.toMatchObject({ cause: expect.any(ConcurrentUpdateError) });
    expect(load).toHaveBeenCalledTimes(16);
  }, 30_000);
});

describe('PresenceService.apply', () => {
  it('decides again on the state that won a version race, without reading it again', async () => {
    const store = new MemoryPresenceStore();
    const presence = new PresenceService({ store, policy, clock: () => 1_000 });
    await presence.apply('42', (state, now) => openLease(state, 'c1', 'ws', now, policy));
    // Another device's write lands between this command's read and its write.
    const winner = openLease(await store.load('42'), 'c2', 'ws', 1_000, policy).state;
    let loads = 0;
    const load = store.load.bind(store);
    store.load = async (userId) => {
      loads += 1;
      const state = await load(userId);
      if (loads === 1) await store.save(winner, null);
      return state;
    };
    const save = store.save.bind(store);
    store.save = async (state, change) =>
      save(state, change).catch((error: unknown) => {
        throw new ConcurrentUpdateError('raced', { cause: error, current: store.states.get('42') as PresenceState });
      });

    const applied = await presence.apply('42', (state, now) => openLease(state, 'c3', 'ws', now, policy));

    expect(loads).toBe(1);
    expect(applied.attempts).toBe(2);
    expect(Object.keys(applied.state.leases).sort()).toEqual(['c1', 'c2', 'c3']);
  });
});

/**
 * A store where a rival device wins the version race `losses` times: before each of this writer's
 * saves (or marks) is checked, the rival opens a lease of its own, so the write fails on a stale
 * version. `handBack`: the failure carries the winning state, as DynamoDB's ALL_OLD does.
 */
class LosingStore extends MemoryPresenceStore {
  loads = 0;
  saves = 0;
  marks = 0;
  private rivals = 0;

  constructor(
    public losses: number,
    private readonly handBack: boolean,
  ) {
    super();
  }

  override async load(userId: string): Promise<PresenceState> {
    this.loads += 1;
    return super.load(userId);
  }

  override async save(state: PresenceState, change: PresenceChange | null): Promise<PresenceState> {
    this.saves += 1;
    await this.rivalWins(state.userId);
    return this.raced(() => super.save(state, change), state.userId);
  }

  override async markClosed(userId: string, close: QuickClose): Promise<PresenceState> {
    this.marks += 1;
    return this.raced(() => super.markClosed(userId, close), userId);
  }

  private async rivalWins(userId: string): Promise<void> {
    if (this.losses === 0) return;
    this.losses -= 1;
    this.rivals += 1;
    const current = await super.load(userId);
    await super.save(openLease(current, `rival-${this.rivals}`, 'ws', current.changedAt ?? 0, policy).state, null);
  }

  private async raced(write: () => Promise<PresenceState>, userId: string): Promise<PresenceState> {
    return write().catch(async (error: unknown) => {
      if (!(error instanceof ConcurrentUpdateError) || !this.handBack) throw error;
      throw new ConcurrentUpdateError(error.message, { cause: error, current: await super.load(userId) });
    });
  }
}

/** Runs `work` with fake timers, so the backoff between rounds (up to 640 ms each) takes no time. */
const withoutWaiting = async <T>(work: () => Promise<T>): Promise<T> => {
  jest.useFakeTimers();
  try {
    const result = work();
    result.catch(() => undefined);
    await jest.runAllTimersAsync();
    return await result;
  } finally {
    jest.useRealTimers();
  }
};

describe('PresenceService retries lost version races', () => {
  it.each([1, 5, 15])('decides again and wins after %i lost races, on the state the rivals wrote', async (losses) => {
    const store = new LosingStore(losses, false);
    const service = new PresenceService({ store, policy, clock: () => 1_000 });

    const applied = await withoutWaiting(() => service.apply('u1', (state, now) => openLease(state, 'mine', 'ws', now, policy)));

    expect(applied.attempts).toBe(losses + 1);
    expect(store.loads).toBe(losses + 1);
    expect(Object.keys(applied.state.leases)).toHaveLength(losses + 1);
    expect(applied.state.leases.mine).toBeDefined();
  });

  it('needs no read after a lost race when the store hands back the winning state', async () => {
    const store = new LosingStore(3, true);
    const service = new PresenceService({ store, policy, clock: () => 1_000 });

    const applied = await withoutWaiting(() => service.apply('u1', (state, now) => openLease(state, 'mine', 'ws', now, policy)));

    expect(applied.attempts).toBe(4);
    expect(store.loads).toBe(1);
  });

  it('gives up after 16 lost races with RetriesExhaustedError, reporting nothing as applied', async () => {
    const store = new LosingStore(16, true);
    const reports: Applied[] = [];
    const service = new PresenceService({ store, policy, clock: () => 1_000, onApplied: (applied) => reports.push(applied) });

    const failure = withoutWaiting(() => service.apply('u1', (state, now) => openLease(state, 'mine', 'ws', now, policy)));

    await expect(failure).rejects.toThrow(RetriesExhaustedError);
    await expect(failure).rejects.toMatchObject({ attempts: 16, cause: expect.any(ConcurrentUpdateError) });
    expect(store.saves).toBe(16);
    expect(reports).toEqual([]);
    expect((await store.load('u1')).leases.mine).toBeUndefined();
  });

  it('does not retry a store failure that is no version race', async () => {
    const store = new MemoryPresenceStore();
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
    });
    const save = jest.spyOn(store, 'save').mockRejectedValue(throttled);
    const service = new PresenceService({ store, policy, clock: () => 1_000 });

    await expect(service.apply('u1', (state, now) => openLease(state, 'c1', 'ws', now, policy))).rejects.toBe(throttled);
    expect(save).toHaveBeenCalledTimes(1);
  });

  it('fails with the read failure when the state cannot be read', async () => {
    const store = new MemoryPresenceStore();
    const down = new Error('connect ECONNREFUSED');
    jest.spyOn(store, 'load').mockRejectedValue(down);
    const service = new PresenceService({ store, policy, clock: () => 1_000 });

    await expect(service.apply('u1', (state, now) => openLease(state, 'c1', 'ws', now, policy))).rejects.toBe(down);
  });

  it('writes nothing when the command changes nothing', async () => {
    const store = new MemoryPresenceStore();
    const service = new PresenceService({ store, policy, clock: () => 1_000 });
    await service.apply('u1', (state, now) => openLease(state, 'c1', 'ws', now, policy));

    const applied = await service.apply('u1', (state, now) => renewLease(state, 'c1', 'ws', now, policy));

    expect(applied).toMatchObject({ change: null, attempts: 1, state: { version: 1 } });
    expect(store.writes).toBe(1);
  });
});

describe('PresenceService.close', () => {
  const opened = async (store: MemoryPresenceStore, leases: readonly string[], at = 1_000) => {
    const service = new PresenceService({ store, policy, clock: () => at });
    for (const lease of leases) await service.apply('u1', (state, now) => openLease(state, lease, 'ws', now, policy));
  };

  it('marks a lease closed without a versioned write while another stays live', async () => {
    const store = new MemoryPresenceStore();
    await opened(store, ['a', 'b']);
    const save = jest.spyOn(store, 'save');
    const service = new PresenceService({ store, policy, clock: () => 5_000 });

    const applied = await service.close('u1', 'a', 4_000);

    expect(save).not.toHaveBeenCalled();
    expect(applied).toMatchObject({ change: null, attempts: 1, state: { closed: { a: 4_000 }, leases: { b: expect.anything() } } });
  });

  it("decides the last live lease's close under the version check: the grace starts from the latest device to go", async () => {
    const store = new MemoryPresenceStore();
    await opened(store, ['a', 'b']);
    const service = new PresenceService({ store, policy, clock: () => 5_000 });
    await service.close('u1', 'a', 4_500);

    const applied = await service.close('u1', 'b', 4_000);

    expect(applied).toMatchObject({ change: null, attempts: 1, state: { pendingSince: 4_500, leases: {}, closed: {} } });
    expect((await service.apply('u1', (state, now) => settle(state, now, policy))).change).toBeNull();
    const later = new PresenceService({ store, policy, clock: () => 8_000 });
    expect((await later.apply('u1', (state, now) => settle(state, now, policy))).change).toEqual({
      userId: 'u1',
      status: 'offline',
      lastSeen: 4_500,
      changedAt: 8_000,
    });
  });

  it('takes now as the last moment alive when the close carries none', async () => {
    const store = new MemoryPresenceStore();
    await opened(store, ['a', 'b']);
    const service = new PresenceService({ store, policy, clock: () => 5_000 });

    expect((await service.close('u1', 'a')).state.closed).toEqual({ a: 5_000 });
    expect((await service.close('u1', 'b')).state.pendingSince).toBe(5_000);
  });

  it('decides again, on the state handed back, when the mark lost its last witness: the close was the last after all', async () => {
    const store = new MemoryPresenceStore();
    await opened(store, ['a', 'b']);
    const service = new PresenceService({ store, policy, clock: () => 5_000 });
    const mark = store.markClosed.bind(store);
    const load = jest.spyOn(store, 'load');
    let raced = false;
    jest.spyOn(store, 'markClosed').mockImplementation(async (userId, close) => {
      if (!raced) {
        raced = true;
        // b's close lands between this close's read and its mark.
        await service.close('u1', 'b', 4_800);
      }
      return mark(userId, close);
    });

    const applied = await withoutWaiting(() => service.close('u1', 'a', 4_000));

    expect(applied).toMatchObject({ attempts: 2, change: null, state: { pendingSince: 4_800, leases: {}, closed: {} } });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('fails with the store failure, without retrying, when the mark fails otherwise', async () => {
    const store = new MemoryPresenceStore();
    await opened(store, ['a', 'b']);
    const down = new Error('socket hang up');
    const markClosed = jest.spyOn(store, 'markClosed').mockRejectedValue(down);
    const service = new PresenceService({ store, policy, clock: () => 5_000 });

    await expect(service.close('u1', 'a')).rejects.toBe(down);
    expect(markClosed).toHaveBeenCalledTimes(1);
  });

  it("decides again when the last lease's versioned close loses to a device connecting meanwhile, and then only marks it", async () => {
    const store = new LosingStore(0, true);
    await opened(store, ['a']);
    store.losses = 1;
    const service = new PresenceService({ store, policy, clock: () => 5_000 });

    const applied = await withoutWaiting(() => service.close('u1', 'a', 4_000));

    expect(applied).toMatchObject({ attempts: 2, change: null, state: { closed: { a: 4_000 }, leases: { 'rival-1': expect.anything() } } });
    expect({ saves: store.saves, marks: store.marks }).toEqual({ saves: 2, marks: 1 });
  });
});

describe('PresenceService.views', () => {
  const user = (id: string, lastSeen: number | null) => ({ id, name: id, createdAt: 0, lastSeen });

  it('reads nothing for no users', async () => {
    const store = new MemoryPresenceStore();
    const loadMany = jest.spyOn(store, 'loadMany');

    expect(await new PresenceService({ store, policy, clock: () => 1_000 }).views([])).toEqual([]);
    expect(loadMany).not.toHaveBeenCalled();
  });

  it("fills an offline user's lastSeen from the directory when it is later or the only one, and shows online users as stored", async () => {
    const store = new MemoryPresenceStore();
    const service = new PresenceService({ store, policy, clock: () => 1_000 });
    await service.apply('on', (state, now) => openLease(state, 'c', 'ws', now, policy));
    await service.apply('off', (state, now) => openLease(state, 'c', 'ws', now, policy));
    await service.close('off', 'c');
    await service.apply('dir-later', (state, now) => openLease(state, 'c', 'ws', now, policy));
    await service.close('dir-later', 'c');
    const later = new PresenceService({ store, policy, clock: () => 10_000 });

    const views = await later.views([user('on', 5), user('off', null), user('off2', 50), user('never', null), user('dir-later', 9_000)]);

    expect(views).toEqual([
      { userId: 'on', status: 'online', lastSeen: null },
      { userId: 'off', status: 'offline', lastSeen: 1_000 },
      { userId: 'off2', status: 'offline', lastSeen: 50 },
      { userId: 'never', status: 'offline', lastSeen: null },
      { userId: 'dir-later', status: 'offline', lastSeen: 9_000 },
    ]);
  });
});
