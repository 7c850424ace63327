import { ConcurrentUpdateError } from '../../../lambdas/domain/errors';
import { RetriesExhaustedError } from '../../../lambdas/domain/retry';
import { type Applied, PresenceService } from '../../../lambdas/domain/presence-service';
import { openLease, policyFromSeconds } from '../../../lambdas/domain/presence';
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
