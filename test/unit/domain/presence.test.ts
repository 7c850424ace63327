import {
  closeLease,
  effectiveStatus,
  emptyPresence,
  isLive,
  leaseDeadline,
  markClosed,
  nextCheckAt,
  type Outcome,
  openLease,
  type PresencePolicy,
  type PresenceState,
  policyFromSeconds,
  quickClose,
  renewLease,
  reviveLease,
  setManualStatus,
  settle,
  view,
} from '../../../lambdas/domain/presence';

const policy: PresencePolicy = policyFromSeconds(150, 3);
const noGrace: PresencePolicy = policyFromSeconds(150, 0);
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const s = (seconds: number) => T0 + seconds * 1000;

/** Applies commands in order, each at its time, keeping the state as a store would. */
const run = (steps: ((state: PresenceState) => Outcome)[], start = emptyPresence('42')) => {
  const changes: NonNullable<Outcome['change']>[] = [];
  let state = start;
  for (const step of steps) {
    const outcome = step(state);
    if (outcome.change) changes.push(outcome.change);
    state = outcome.state;
  }
  return { state, changes };
};

describe('a single connection', () => {
  it('goes online at once when the first connection opens', () => {
    const { changes } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy)]);

    expect(changes).toEqual([{ userId: '42', status: 'online', lastSeen: null, changedAt: s(0) }]);
  });

  it('reports offline only after the grace, with lastSeen at the disconnect', () => {
    const { state, changes } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy), (st) => closeLease(st, 'c1', s(10), policy)]);

    expect(changes).toHaveLength(1);
    expect(view(state, s(12), policy).status).toBe('online');
    const settled = settle(state, s(13), policy);
    expect(settled.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(10), changedAt: s(13) });
  });

  it('reports offline immediately when the grace is zero', () => {
    const { changes } = run([(st) => openLease(st, 'c1', 'ws', s(0), noGrace), (st) => closeLease(st, 'c1', s(10), noGrace)]);

    expect(changes.map((change) => change.status)).toEqual(['online', 'offline']);
    expect(changes[1].lastSeen).toBe(s(10));
  });

  it('reads as offline with the disconnect as lastSeen once the grace ran out, before anything settles it', () => {
    const { state } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy), (st) => closeLease(st, 'c1', s(10), policy)]);

    expect(view(state, s(14), policy)).toEqual({ userId: '42', status: 'offline', lastSeen: s(10) });
  });
});

describe('several devices', () => {
  it('changes nothing for subscribers when one of two connections closes', () => {
    const { state, changes } = run([
      (st) => openLease(st, 'c1', 'ws', s(0), policy),
      (st) => openLease(st, 'c2', 'ws', s(1), policy),
      (st) => closeLease(st, 'c1', s(5), policy),
    ]);

    expect(changes.map((change) => change.status)).toEqual(['online']);
    expect(settle(state, s(60), policy).change).toBeNull();
  });

  it('never flips offline on an out-of-order or duplicate disconnect while another connection lives', () => {
    const { state, changes } = run([
      (st) => openLease(st, 'old', 'ws', s(0), policy),
      (st) => openLease(st, 'new', 'ws', s(100), policy),
      (st) => closeLease(st, 'old', s(101), policy),
      (st) => closeLease(st, 'old', s(102), policy),
      (st) => closeLease(st, 'never-opened', s(103), policy),
    ]);

    expect(changes.map((change) => change.status)).toEqual(['online']);
    expect(effectiveStatus(state, s(110), policy)).toBe('online');
  });

  it('treats a duplicate disconnect as a no-op that needs no write', () => {
    const { state } = run([(st) => openLease(st, 'c1', 'ws', s(0), noGrace), (st) => closeLease(st, 'c1', s(1), noGrace)]);

    const again = closeLease(state, 'c1', s(2), noGrace);

    expect(again).toEqual({ state, dirty: false, change: null });
  });
});

describe('several devices closing at once', () => {
  const quick = (state: PresenceState, leaseId: string, now: number, closedAt?: number) => {
    const close = quickClose(state, leaseId, now, policy, closedAt);
    if (close === null) throw new Error(`no quick close of ${leaseId}`);
    return close;
  };
  const three = () =>
    run([
      (st) => openLease(st, 'a', 'ws', s(0), policy),
      (st) => openLease(st, 'b', 'ws', s(0), policy),
      (st) => openLease(st, 'c', 'ws', s(1), policy),
    ]).state;

  it('takes lastSeen from the last device to go, whatever order the closes are applied in', () => {
    // c went last (12 s) but its $disconnect ran first; a's (10 s) ran last.
    const { changes } = run(
      [
        (st) => closeLease(st, 'c', s(20), policy, s(12)),
        (st) => closeLease(st, 'b', s(20), policy, s(11)),
        (st) => closeLease(st, 'a', s(20), policy, s(10)),
      ],
      three(),
    );

    expect(changes.at(-1)).toEqual({ userId: '42', status: 'offline', lastSeen: s(12), changedAt: s(20) });
  });

  it('takes lastSeen from a closed device when the last one goes silent instead (the sweeper finds its lease ran out)', () => {
    const { state } = run([(st) => closeLease(st, 'a', s(100), policy), (st) => closeLease(st, 'c', s(100), policy, s(90))], three());

    const outcome = settle(state, s(300), policy);

    expect(outcome.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(100), changedAt: s(300) });
    expect(outcome.state.lastClosedAt).toBeNull();
  });

  it('closes a lease that leaves another live one as a mark on that lease alone, witnessed by the others, latest deadline first', () => {
    const state = three();

    expect(quickClose(state, 'a', s(5), policy, s(4))).toEqual({ leaseId: 'a', renewedAt: s(0), lastAlive: s(4), witnesses: ['c', 'b'] });
  });

  it('leaves to the versioned close the last live lease, a lease not live, a user appearing offline, and a user with something else due', () => {
    const lone = run([(st) => openLease(st, 'a', 'ws', s(0), policy)]).state;
    const withExpired = run([(st) => openLease(st, 'old', 'ws', s(0), policy), (st) => openLease(st, 'new', 'ws', s(200), policy)]).state;
    const appearingOffline = setManualStatus(three(), 'offline', s(2), policy).state;
    const staleHttp = run([
      (st) => openLease(st, 'a', 'ws', s(0), policy),
      (st) => openLease(st, 'b', 'ws', s(0), policy),
      (st) => openLease(st, 'h', 'http', s(0), policy),
    ]).state;

    expect(quickClose(lone, 'a', s(5), policy)).toBeNull();
    expect(quickClose(lone, 'unknown', s(5), policy)).toBeNull();
    expect(quickClose(withExpired, 'old', s(230), policy)).toBeNull();
    expect(quickClose(withExpired, 'new', s(230), policy)).toBeNull();
    expect(quickClose(appearingOffline, 'a', s(5), policy)).toBeNull();
    // The HTTP lease ran out at 150 s: dropping it is a write the mark cannot make.
    expect(quickClose(staleHttp, 'a', s(160), policy)).toBeNull();
    expect(quickClose(staleHttp, 'a', s(140), policy)).not.toBeNull();
  });

  it('ends, once the marks are folded, in the state the versioned close would write', () => {
    const state = three();
    const marked = markClosed(state, quick(state, 'b', s(5), s(4)));
    const twice = markClosed(marked, quick(marked, 'a', s(6)));
    const versioned = run([(st) => closeLease(st, 'b', s(5), policy, s(4)), (st) => closeLease(st, 'a', s(6), policy)], state).state;

    expect(settle(twice, s(6), policy)).toEqual({ state: versioned, dirty: true, change: null });
    expect(view(twice, s(6), policy)).toEqual({ userId: '42', status: 'online', lastSeen: null });
    expect(nextCheckAt(settle(twice, s(6), policy).state, policy)).toBe(s(151));
  });

  it('counts marked leases as closed: the last lease starts the grace from the latest of them, and a settle folds them', () => {
    const state = three();
    const marked = markClosed(markClosed(state, quick(state, 'b', s(9), s(9))), {
      leaseId: 'a',
      renewedAt: s(0),
      lastAlive: s(8),
      witnesses: ['c'],
    });

    const last = closeLease(marked, 'c', s(10), policy, s(7));

    expect(last.state).toMatchObject({ pendingSince: s(9), leases: {}, closed: {} });
    expect(settle(last.state, s(13), policy).change).toEqual({ userId: '42', status: 'offline', lastSeen: s(9), changedAt: s(13) });
  });
});

describe('flap suppression', () => {
  it('sends no event when a connection returns within the grace', () => {
    const { state, changes } = run([
      (st) => openLease(st, 'c1', 'ws', s(0), policy),
      (st) => closeLease(st, 'c1', s(10), policy),
      (st) => openLease(st, 'c2', 'ws', s(12), policy),
    ]);

    expect(changes.map((change) => change.status)).toEqual(['online']);
    expect(state.pendingSince).toBeNull();
    expect(settle(state, s(20), policy).change).toBeNull();
  });

  it('reports offline when the grace timer fires, then online when a connection returns', () => {
    const { changes } = run([
      (st) => openLease(st, 'c1', 'ws', s(0), policy),
      (st) => closeLease(st, 'c1', s(10), policy),
      (st) => settle(st, s(13), policy),
      (st) => openLease(st, 'c2', 'ws', s(14), policy),
    ]);

    expect(changes.map((change) => [change.status, change.lastSeen, change.changedAt])).toEqual([
      ['online', null, s(0)],
      ['offline', s(10), s(13)],
      ['online', null, s(14)],
    ]);
  });

  it('announces online again when a connection returns after a grace that nothing settled yet (readers already saw offline)', () => {
    const { state, changes } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy), (st) => closeLease(st, 'c1', s(10), policy)]);
    expect(view(state, s(13.5), policy).status).toBe('offline');

    const back = openLease(state, 'c2', 'ws', s(14), policy);

    expect([...changes, back.change].map((change) => change?.status)).toEqual(['online', 'online']);
    // The unwritten offline step of the same write took s(14); the online change is stamped after it.
    expect(back.change).toEqual({ userId: '42', status: 'online', lastSeen: null, changedAt: s(14) + 1 });
    expect(settle(back.state, s(15), policy).change).toBeNull();
  });

  it('announces online when a user comes back after every lease ran out unseen (a stop longer than the sweeper looks back)', () => {
    const { state } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy), (st) => openLease(st, 'http', 'http', s(1), policy)]);
    expect(view(state, s(14 * 60), policy).status).toBe('offline');

    expect(openLease(state, 'c2', 'ws', s(14 * 60), policy).change?.status).toBe('online');
    expect(renewLease(state, 'http', 'http', s(14 * 60), policy).change?.status).toBe('online');
  });
});

describe('manual status', () => {
  it('appears offline at once, with no grace, and lastSeen at that moment', () => {
    const { changes } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy), (st) => setManualStatus(st, 'offline', s(30), policy)]);

    expect(changes[1]).toEqual({ userId: '42', status: 'offline', lastSeen: s(30), changedAt: s(30) });
  });

  it('stays offline across reconnects, with lastSeen frozen, until set online again', () => {
    const { state, changes } = run([
      (st) => openLease(st, 'c1', 'ws', s(0), policy),
      (st) => setManualStatus(st, 'offline', s(30), policy),
      (st) => closeLease(st, 'c1', s(40), policy),
      (st) => openLease(st, 'c2', 'ws', s(50), policy),
    ]);

    expect(changes.map((change) => change.status)).toEqual(['online', 'offline']);
    expect(view(state, s(60), policy)).toEqual({ userId: '42', status: 'offline', lastSeen: s(30) });
    expect(setManualStatus(state, 'online', s(70), policy).change).toEqual({
      userId: '42',
      status: 'online',
      lastSeen: null,
      changedAt: s(70),
    });
  });

  it('does not go online when set online without a live connection', () => {
    const { state } = run([(st) => setManualStatus(st, 'offline', s(0), policy)]);

    const outcome = setManualStatus(state, 'online', s(10), policy);

    expect(outcome.change).toBeNull();
    expect(outcome.state.manual).toBe('online');
    expect(outcome.dirty).toBe(true);
  });

  it('ends a running grace at once when set offline during it', () => {
    const { state } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy), (st) => closeLease(st, 'c1', s(10), policy)]);

    const outcome = setManualStatus(state, 'offline', s(11), policy);

    expect(outcome.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(11), changedAt: s(11) });
    expect(outcome.state.pendingSince).toBeNull();
  });
});

describe('leases', () => {
  it('expires a silent HTTP lease exactly one lease after its last renewal', () => {
    const { state } = run([(st) => openLease(st, 'http', 'http', s(0), policy)]);

    expect(view(state, s(149), policy).status).toBe('online');
    expect(view(state, s(150), policy)).toEqual({ userId: '42', status: 'offline', lastSeen: s(0) });
  });

  it('gives a WebSocket lease the renewal slack, so a skipped renewal never expires it early', () => {
    const lease = { kind: 'ws' as const, renewedAt: s(0), expiresAt: s(150) };

    expect(leaseDeadline(lease, policy)).toBe(s(225));
    expect(isLive(lease, s(224), policy)).toBe(true);
    expect(isLive(lease, s(225), policy)).toBe(false);
  });

  it('writes a renewal only when half a lease has passed since the last write', () => {
    const opened = openLease(emptyPresence('42'), 'http', 'http', s(0), policy).state;

    const early = renewLease(opened, 'http', 'http', s(60), policy);
    const late = renewLease(opened, 'http', 'http', s(75), policy);

    expect(early.dirty).toBe(false);
    expect(late.dirty).toBe(true);
    expect(late.state.leases.http).toEqual({ kind: 'http', renewedAt: s(75), expiresAt: s(225) });
  });

  it('costs at most one write per two heartbeats at the default interval', () => {
    let state = openLease(emptyPresence('42'), 'c1', 'ws', s(0), policy).state;
    let writes = 0;
    for (let beat = 1; beat <= 20; beat += 1) {
      const outcome = renewLease(state, 'c1', 'ws', s(beat * 60), policy);
      if (outcome.dirty) writes += 1;
      state = outcome.state;
    }

    expect(writes).toBe(10);
    expect(effectiveStatus(state, s(20 * 60 + 1), policy)).toBe('online');
  });

  it('reopens a lease that already ran out, going online again', () => {
    const { state } = run([(st) => openLease(st, 'http', 'http', s(0), noGrace), (st) => settle(st, s(200), noGrace)]);

    const outcome = renewLease(state, 'http', 'http', s(300), noGrace);

    expect(outcome.change).toEqual({ userId: '42', status: 'online', lastSeen: null, changedAt: s(300) });
  });

  it('settles a silently expired lease as offline with lastSeen at its last renewal and no grace', () => {
    const { state } = run([(st) => openLease(st, 'http', 'http', s(0), policy), (st) => renewLease(st, 'http', 'http', s(100), policy)]);

    const outcome = settle(state, s(251), policy);

    expect(outcome.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(100), changedAt: s(251) });
    expect(outcome.state.leases).toEqual({});
  });

  it("keeps another device's expired WebSocket lease when a renewal settles the user, so the sweeper still closes that socket", () => {
    const { state } = run([
      (st) => openLease(st, 'silent', 'ws', s(0), policy),
      (st) => openLease(st, 'active', 'ws', s(0), policy),
      (st) => renewLease(st, 'active', 'ws', s(80), policy),
      (st) => renewLease(st, 'active', 'ws', s(160), policy),
      (st) => renewLease(st, 'active', 'ws', s(240), policy),
    ]);

    expect(Object.keys(state.leases).sort()).toEqual(['active', 'silent']);
    expect(isLive(state.leases.silent, s(240), policy)).toBe(false);
    expect(nextCheckAt(state, policy)).toBe(s(150));
    expect(effectiveStatus(state, s(240), policy)).toBe('online');
  });

  it('a $disconnect that arrives after the lease ran out keeps reads offline, starts no grace and keeps lastSeen', () => {
    const { state } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy)]);
    const before = view(state, s(231), policy);
    expect(before).toEqual({ userId: '42', status: 'offline', lastSeen: s(0) });

    // The socket closed at 230 s, after the lease's deadline (225 s); the handler runs at 231 s.
    const outcome = closeLease(state, 'c1', s(231), policy, s(230));

    expect(view(outcome.state, s(231), policy)).toEqual(before);
    expect(view(outcome.state, s(232), policy)).toEqual(before);
    expect(outcome.state.pendingSince).toBeNull();
    expect(outcome.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(0), changedAt: s(231) });
  });

  it('a $disconnect handled late but sent while the lease was live takes the disconnect as lastSeen, with the grace counted from it', () => {
    const { state } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy)]);

    const outcome = closeLease(state, 'c1', s(20), policy, s(10));

    expect(outcome.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(10), changedAt: s(20) });
  });

  it('starts no grace when the sweeper closes a connection at its last activity, long ago', () => {
    const { state } = run([(st) => openLease(st, 'c1', 'ws', s(0), policy)]);

    const outcome = closeLease(state, 'c1', s(300), policy, s(40));

    expect(outcome.change).toEqual({ userId: '42', status: 'offline', lastSeen: s(40), changedAt: s(300) });
  });
});

describe('states only other writers leave', () => {
  it('settles a user announced online with no lease and no grace as offline, lastSeen now', () => {
    const orphan: PresenceState = { ...emptyPresence('42'), version: 3, announced: 'online', changedAt: s(0) };

    expect(settle(orphan, s(10), policy).change).toEqual({ userId: '42', status: 'offline', lastSeen: s(10), changedAt: s(10) });
  });

  it('revives nothing when the lease was closed before the sweeper came back to it', () => {
    const { state } = run([
      (st) => openLease(st, 'a', 'ws', s(0), policy),
      (st) => openLease(st, 'b', 'ws', s(0), policy),
      (st) => closeLease(st, 'a', s(5), policy),
    ]);

    expect(reviveLease(state, 'a', s(190), s(200), policy)).toEqual({ state, dirty: false, change: null });
  });
});

describe('what readers see', () => {
  it('shows a user nobody has seen as offline with no lastSeen', () => {
    expect(view(emptyPresence('7'), s(0), policy)).toEqual({ userId: '7', status: 'offline', lastSeen: null });
  });

  it('shows null lastSeen while online', () => {
    const { state } = run([
      (st) => openLease(st, 'c1', 'ws', s(0), noGrace),
      (st) => closeLease(st, 'c1', s(5), noGrace),
      (st) => openLease(st, 'c2', 'ws', s(9), noGrace),
    ]);

    expect(view(state, s(10), noGrace)).toEqual({ userId: '42', status: 'online', lastSeen: null });
  });
});

describe('when the sweeper should look', () => {
  it('is the earliest lease expiry or the end of the grace', () => {
    const { state } = run([(st) => openLease(st, 'a', 'ws', s(0), policy), (st) => openLease(st, 'b', 'ws', s(20), policy)]);
    const pending = run([(st) => closeLease(st, 'a', s(30), policy), (st) => closeLease(st, 'b', s(31), policy)], state).state;

    expect(nextCheckAt(state, policy)).toBe(s(150));
    expect(nextCheckAt(pending, policy)).toBe(s(34));
    expect(nextCheckAt(emptyPresence('1'), policy)).toBeNull();
  });
});
