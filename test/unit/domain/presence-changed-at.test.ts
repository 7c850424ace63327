import { closeLease, emptyPresence, openLease, policyFromSeconds, setManualStatus } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import { MemoryPresenceStore } from '../../helpers/memory-presence-store';

const noGrace = policyFromSeconds(150, 0);
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

describe('changedAt strictly increases per user, whichever server decides', () => {
  it('gives the later decision the larger changedAt when its server clock is behind (review scratch D)', async () => {
    const store = new MemoryPresenceStore();
    // Two Lambdas deciding for the same user, clocks 5 ms and 2 ms ahead of true time s(10).
    const fast = new PresenceService({ store, policy: noGrace, clock: () => s(10) + 5 });
    const slow = new PresenceService({ store, policy: noGrace, clock: () => s(10) + 2 });

    const online = await fast.apply('42', (state, now, policy) => openLease(state, 'c1', 'ws', now, policy));
    const offline = await slow.apply('42', (state, now, policy) => setManualStatus(state, 'offline', now, policy));

    expect(online.change?.status).toBe('online');
    expect(offline.change?.status).toBe('offline');
    expect(offline.change!.changedAt).toBeGreaterThan(online.change!.changedAt);
    expect(offline.state.changedAt).toBe(offline.change!.changedAt);
  });

  it('moves a change decided in the same millisecond as the previous one 1 ms later', () => {
    const online = openLease(emptyPresence('42'), 'c1', 'ws', s(0), noGrace);
    const offline = setManualStatus(online.state, 'offline', s(0), noGrace);

    expect(offline.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(0), changedAt: s(0) + 1 });
  });

  it('keeps the server time when it is already later than the previous change', () => {
    const online = openLease(emptyPresence('42'), 'c1', 'ws', s(0), noGrace);
    const offline = closeLease(online.state, 'c1', s(30), noGrace);

    expect(offline.change?.changedAt).toBe(s(30));
  });
});
