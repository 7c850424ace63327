import { ConcurrentUpdateError } from '../../../lambdas/domain/errors';
import { RetriesExhaustedError } from '../../../lambdas/domain/retry';
import { type Applied, PresenceService } from '../../../lambdas/domain/presence-service';
import { type PresenceState, openLease, policyFromSeconds } from '../../../lambdas/domain/presence';
import { MemoryPresenceStore } from '../../helpers/memory-presence-store';

const policy = policyFromSeconds(150, 3);

describe('PresenceService reports what each command took', () => {
  it('one attempt and the change for an uncontested write', async () => {
    const reports: Applied[] = [];
    const service = new PresenceService({ store: new MemoryPresenceStore(), policy, clock: () => 1_000, onApplied: (applied) => reports.push(applied) });

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
