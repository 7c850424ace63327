/**
 * Presence rules, as pure functions of (state, command, now). No I/O, no SDK: every adapter and
 * handler goes through these, so the HTTP API, the WebSocket API, the grace timer and the sweeper
 * all agree on what "online" means.
 *
 * The model, per user:
 * - a set of leases, one per WebSocket connection and one for the HTTP heartbeat; a lease is live
 *   until its deadline, which every read checks (DynamoDB TTL is only garbage collection);
 * - the user's own setting (`manual`): `offline` means "appear offline everywhere";
 * - `announced`: the status last decided and pushed to subscribers, with `changedAt`;
 * - `pendingSince`: the moment the last lease closed, while the offline grace runs;
 * - `lastClosedAt`: the latest moment a closed lease's connection was last alive, so the grace
 *   starts from the last device to go, whichever close is applied last.
 *
 * A user is online when manual is `online` and a lease is live, or the grace after their last
 * lease closed has not run out yet (flap suppression). Every command ends in {@link decide}, which
 * compares that with `announced` and records a transition when they differ.
 */

export type Status = 'online' | 'offline';

/**
 * `ws`: a WebSocket connection. Frames renew it, but only every `renewAfterMs` is the renewal
 * written (cost), so a connection may have sent a frame up to `renewAfterMs` after `renewedAt`:
 * its deadline carries that slack, and only the sweeper (which can ask API Gateway for the
 * connection's real last activity) declares it gone earlier.
 * `http`: the HTTP heartbeat lease. Its expiry is returned to the client, so it has no slack.
 */
export type LeaseKind = 'ws' | 'http';

export interface Lease {
  readonly kind: LeaseKind;
  /** When the lease was last written (ms since epoch). */
  readonly renewedAt: number;
  /** When the lease ends unless renewed (ms). */
  readonly expiresAt: number;
}

export interface PresenceState {
  readonly userId: string;
  /** Optimistic-concurrency version of the stored item; 0 when nothing is stored yet. */
  readonly version: number;
  readonly manual: Status;
  readonly announced: Status;
  readonly changedAt: number | null;
  /** Last moment the user was seen online; meaningful while offline. */
  readonly lastSeen: number | null;
  readonly leases: Readonly<Record<string, Lease>>;
  readonly pendingSince: number | null;
  /** The latest moment a connection closed while the user was online was last alive; null once offline is announced. */
  readonly lastClosedAt: number | null;
  /**
   * Leases closed by a {@link QuickClose} (the store marked them, without a versioned rewrite), by
   * id: the moment each connection was last alive. They count as closed everywhere; every decided
   * state folds them into `lastClosedAt`, so a decided state has none.
   */
  readonly closed: Readonly<Record<string, number>>;
}

export interface PresencePolicy {
  /** How long a lease lives without renewal. */
  readonly leaseMs: number;
  /** Flap suppression after the last lease closes; 0 turns it off. */
  readonly graceMs: number;
  /** A renewal is only written when the lease was last written at least this long ago. */
  readonly renewAfterMs: number;
}

/** A decided change of a user's visible status: what subscribers are told. */
export interface PresenceChange {
  readonly userId: string;
  readonly status: Status;
  /** `null` while online. */
  readonly lastSeen: number | null;
  readonly changedAt: number;
}

/** What a reader sees. */
export interface PresenceView {
  readonly userId: string;
  readonly status: Status;
  readonly lastSeen: number | null;
}

export interface Outcome {
  readonly state: PresenceState;
  /** Whether `state` differs from the input and must be written. */
  readonly dirty: boolean;
  /** Set when the visible status changed. */
  readonly change: PresenceChange | null;
}

export const policyFromSeconds = (leaseSeconds: number, graceSeconds: number): PresencePolicy => ({
  leaseMs: leaseSeconds * 1000,
  graceMs: graceSeconds * 1000,
  renewAfterMs: (leaseSeconds * 1000) / 2,
});

export const emptyPresence = (userId: string): PresenceState => ({
  userId,
  version: 0,
  manual: 'online',
  announced: 'offline',
  changedAt: null,
  lastSeen: null,
  leases: {},
  pendingSince: null,
  lastClosedAt: null,
  closed: {},
});

const slackMs = (lease: Lease, policy: PresencePolicy): number => (lease.kind === 'ws' ? policy.renewAfterMs : 0);

/** The latest moment a lease can still be alive: past it, its holder was silent for a whole lease. */
export const leaseDeadline = (lease: Lease, policy: PresencePolicy): number => lease.expiresAt + slackMs(lease, policy);

export const isLive = (lease: Lease, now: number, policy: PresencePolicy): boolean => now < leaseDeadline(lease, policy);

const liveLeases = (state: PresenceState, now: number, policy: PresencePolicy): [string, Lease][] =>
  Object.entries(state.leases).filter(([, lease]) => isLive(lease, now, policy));

const inGrace = (state: PresenceState, now: number, policy: PresencePolicy): boolean =>
  state.pendingSince !== null && now < state.pendingSince + policy.graceMs;

/** The status the rules give right now, ignoring what was announced. */
export const effectiveStatus = (state: PresenceState, now: number, policy: PresencePolicy): Status => {
  if (state.manual === 'offline') return 'offline';
  if (liveLeases(state, now, policy).length > 0) return 'online';
  return inGrace(state, now, policy) ? 'online' : 'offline';
};

const latest = (a: number | null, b: number): number => (a === null ? b : Math.max(a, b));

/**
 * When a user who was online is now offline, the last moment they were online: the last lease's
 * close (grace included), else the latest renewal among leases that ran out or close.
 */
const lastOnlineMoment = (state: PresenceState, now: number): number => {
  if (state.pendingSince !== null) return state.pendingSince;
  const moments = Object.values(state.leases).map((lease) => lease.renewedAt);
  if (state.lastClosedAt !== null) moments.push(state.lastClosedAt);
  return moments.length > 0 ? Math.min(now, Math.max(...moments)) : now;
};

/** The leases a store marked closed, counted into `lastClosedAt` like any other close. */
const folded = (state: PresenceState): PresenceState => {
  const moments = Object.values(state.closed);
  if (moments.length === 0) return state;
  return { ...state, closed: {}, lastClosedAt: latest(state.lastClosedAt, Math.max(...moments)) };
};

/**
 * When a change decided at `now` is stamped: strictly after the user's previous change. Subscribers
 * (and the notifier) keep the change with the newest `changedAt`, and servers' clocks differ by a
 * few ms: a server whose clock is behind the one that decided the previous change, or a second
 * change in the same millisecond, must still stamp a later moment, or the newer change is dropped.
 */
const nextChangedAt = (state: PresenceState, now: number): number => (state.changedAt === null ? now : Math.max(now, state.changedAt + 1));

/**
 * Leases kept in the state: every live one, and WebSocket leases that ran out, whose socket may
 * still be open: they stay (no longer counted as online) until the sweeper or a `$disconnect`
 * closes them, so no socket is left open without an owner. HTTP leases that ran out are dropped.
 */
const keptLeases = (state: PresenceState, now: number, policy: PresencePolicy): Record<string, Lease> =>
  Object.fromEntries(Object.entries(state.leases).filter(([, lease]) => lease.kind === 'ws' || isLive(lease, now, policy)));

/**
 * Settles `state` at `now`: drops HTTP leases that ran out, ends a finished grace, and records a
 * transition when the effective status differs from the announced one.
 */
export const decide = (given: PresenceState, now: number, policy: PresencePolicy, input: PresenceState = given): Outcome => {
  const state = folded(given);
  const status = effectiveStatus(state, now, policy);
  const stillPending = status === 'online' && liveLeases(state, now, policy).length === 0 && state.manual === 'online';
  let next: PresenceState = {
    ...state,
    leases: keptLeases(state, now, policy),
    pendingSince: stillPending ? state.pendingSince : null,
  };
  let change: PresenceChange | null = null;
  if (status !== state.announced) {
    const lastSeen = status === 'online' ? null : state.manual === 'offline' ? now : lastOnlineMoment(state, now);
    const changedAt = nextChangedAt(state, now);
    next = {
      ...next,
      announced: status,
      changedAt,
      lastSeen: lastSeen ?? state.lastSeen,
      lastClosedAt: status === 'offline' ? null : state.lastClosedAt,
    };
    change = { userId: state.userId, status, lastSeen, changedAt };
  }
  return { state: next, dirty: change !== null || differs(next, input), change };
};

const sameLeases = (a: PresenceState['leases'], b: PresenceState['leases']): boolean => {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => {
    const x = a[key];
    const y = b[key];
    return y !== undefined && x.kind === y.kind && x.renewedAt === y.renewedAt && x.expiresAt === y.expiresAt;
  });
};

const sameState = (a: PresenceState, b: PresenceState): boolean =>
  a.manual === b.manual &&
  a.announced === b.announced &&
  a.changedAt === b.changedAt &&
  a.lastSeen === b.lastSeen &&
  a.pendingSince === b.pendingSince &&
  a.lastClosedAt === b.lastClosedAt &&
  sameLeases(a.leases, b.leases);

/** Whether `next` (decided: no marks) must be written over `input`: a mark is always folded in a write. */
const differs = (next: PresenceState, input: PresenceState): boolean => Object.keys(input.closed).length > 0 || !sameState(next, input);

/**
 * Two steps on one user at one moment, written as one: the later step's change wins (subscribers
 * keep the newest), else the earlier one's. `input` is what the store holds.
 */
const andThen = (first: Outcome, second: (state: PresenceState) => Outcome, input: PresenceState): Outcome => {
  const next = second(first.state);
  const change = next.change ?? first.change;
  return { state: next.state, dirty: change !== null || differs(next.state, input), change };
};

const withLease = (state: PresenceState, leaseId: string, lease: Lease): PresenceState => ({
  ...state,
  leases: { ...state.leases, [leaseId]: lease },
  pendingSince: null,
});

const newLease = (kind: LeaseKind, now: number, policy: PresencePolicy): Lease => ({
  kind,
  renewedAt: now,
  expiresAt: now + policy.leaseMs,
});

/**
 * A connection opened (or the first HTTP heartbeat arrived). What ran out before it is settled
 * first: a user whose leases or grace ran out unsettled (the sweeper was late or stopped) already
 * reads as offline, so coming back is announced as a change even if `announced` still says online.
 */
export const openLease = (state: PresenceState, leaseId: string, kind: LeaseKind, now: number, policy: PresencePolicy): Outcome =>
  andThen(decide(state, now, policy), (settled) => decide(withLease(settled, leaseId, newLease(kind, now, policy)), now, policy), state);

/**
 * A frame or heartbeat arrived on a lease. The renewal is only written when the lease was last
 * written `renewAfterMs` ago or more, so a client heartbeating every `leaseMs / 2.5` costs one
 * write every other heartbeat. A lease that is unknown or already ran out is opened afresh.
 */
export const renewLease = (state: PresenceState, leaseId: string, kind: LeaseKind, now: number, policy: PresencePolicy): Outcome => {
  const lease = state.leases[leaseId];
  if (lease === undefined || !isLive(lease, now, policy)) return openLease(state, leaseId, kind, now, policy);
  if (now - lease.renewedAt < policy.renewAfterMs) return decide(state, now, policy);
  return decide(withLease(state, leaseId, newLease(kind, now, policy)), now, policy, state);
};

/**
 * The moment a closing connection was last alive. `closedAt` (the disconnect's own time, or the
 * sweeper's last activity) counts only while the lease was still live then: a socket that closes
 * after its lease ran out says nothing new.
 */
const lastAliveAt = (lease: Lease, closedAt: number, now: number, policy: PresencePolicy): number =>
  isLive(lease, closedAt, policy) ? Math.min(Math.max(lease.renewedAt, closedAt), now) : lease.renewedAt;

/**
 * A lease ended (WebSocket `$disconnect`, or the sweeper found it silent). Idempotent: closing an
 * unknown lease changes nothing, so duplicate and out-of-order disconnects are harmless.
 *
 * `closedAt` is when the connection was last known alive (see {@link lastAliveAt}). What ran out
 * by `now` is settled first, with this lease still counted, so the grace starts only from an
 * effective `online` (a late `$disconnect` never flips reads back online) and lastSeen never moves
 * past what the leases allowed. When it was the last live lease, the grace starts at the latest
 * moment any closed connection of the user was alive, whatever order the closes were applied in
 * (long past for the sweeper, so no grace applies then).
 */
export const closeLease = (state: PresenceState, leaseId: string, now: number, policy: PresencePolicy, closedAt: number = now): Outcome => {
  const closed = state.leases[leaseId];
  if (closed === undefined) return decide(state, now, policy);
  const lastAlive = lastAliveAt(closed, closedAt, now, policy);
  const known: PresenceState = { ...state, leases: { ...state.leases, [leaseId]: { ...closed, renewedAt: lastAlive } } };
  return andThen(
    decide(known, now, policy),
    (settled) => {
      const { [leaseId]: _closed, ...rest } = settled.leases;
      const remainingLive = Object.values(rest).some((lease) => isLive(lease, now, policy));
      const online = settled.announced === 'online' && settled.manual === 'online';
      const lastClosedAt = online ? latest(settled.lastClosedAt, lastAlive) : settled.lastClosedAt;
      const startsGrace = !remainingLive && online && settled.pendingSince === null;
      return decide(
        { ...settled, leases: rest, lastClosedAt, pendingSince: startsGrace ? lastClosedAt : settled.pendingSince },
        now,
        policy,
      );
    },
    state,
  );
};

/**
 * A close a store can apply as a mark on the one lease, without rewriting the user's item under a
 * version check: what {@link quickClose} found.
 */
export interface QuickClose {
  readonly leaseId: string;
  /** The lease's last renewal as read: the mark applies to that very lease only. */
  readonly renewedAt: number;
  /** The moment its connection was last alive. */
  readonly lastAlive: number;
  /**
   * Other leases live at the decision, latest deadline first. While any of them is still open the
   * close changes nothing anybody sees; when none is, it may be the last live lease, which only the
   * versioned {@link closeLease} may decide (it starts the grace).
   */
  readonly witnesses: readonly string[];
}

/**
 * {@link closeLease} as a {@link QuickClose}, when that is all it does: the lease is live, another
 * live lease stays, the user is online by their own setting and nothing else is due. Closes of
 * one user's devices then never race each other on the item's version (a burst of n closes costs
 * n writes, not n²/2), and the store's condition (lease unchanged, a witness still open) keeps the
 * decision true when it lands. `null`: apply {@link closeLease} itself.
 */
export const quickClose = (
  state: PresenceState,
  leaseId: string,
  now: number,
  policy: PresencePolicy,
  closedAt: number = now,
): QuickClose | null => {
  const lease = state.leases[leaseId];
  if (lease === undefined || !isLive(lease, now, policy)) return null;
  const current = folded(state);
  if (current.manual !== 'online' || current.announced !== 'online' || decide(current, now, policy).dirty) return null;
  const witnesses = liveLeases(current, now, policy)
    .filter(([id]) => id !== leaseId)
    .sort(([, a], [, b]) => leaseDeadline(b, policy) - leaseDeadline(a, policy))
    .map(([id]) => id);
  if (witnesses.length === 0) return null;
  return { leaseId, renewedAt: lease.renewedAt, lastAlive: lastAliveAt(lease, closedAt, now, policy), witnesses };
};

/** The state a store holds once it applied a {@link QuickClose}. */
export const markClosed = (state: PresenceState, close: QuickClose): PresenceState => {
  const { [close.leaseId]: _closed, ...leases } = state.leases;
  return { ...state, leases, closed: { ...state.closed, [close.leaseId]: close.lastAlive } };
};

/**
 * The sweeper's close: only if the lease is still the one it judged silent (same `renewedAt`). A
 * frame that arrived meanwhile renewed it, and then nothing is closed.
 */
export const closeLeaseIfUnrenewed = (
  state: PresenceState,
  leaseId: string,
  seenRenewedAt: number,
  now: number,
  policy: PresencePolicy,
  closedAt: number,
): Outcome =>
  state.leases[leaseId]?.renewedAt === seenRenewedAt ? closeLease(state, leaseId, now, policy, closedAt) : decide(state, now, policy);

/**
 * The sweeper learned from API Gateway that a connection whose lease ran out was in fact active at
 * `lastActiveAt` (its renewals were skipped to save writes): the lease restarts from there.
 */
export const reviveLease = (state: PresenceState, leaseId: string, lastActiveAt: number, now: number, policy: PresencePolicy): Outcome => {
  const lease = state.leases[leaseId];
  if (lease === undefined) return decide(state, now, policy);
  const revived: Lease = { kind: lease.kind, renewedAt: lastActiveAt, expiresAt: lastActiveAt + policy.leaseMs };
  return decide(withLease(state, leaseId, revived), now, policy, state);
};

/** The user's own setting. Offline takes effect at once, with no grace. */
export const setManualStatus = (state: PresenceState, status: Status, now: number, policy: PresencePolicy): Outcome =>
  decide({ ...state, manual: status, pendingSince: status === 'offline' ? null : state.pendingSince }, now, policy, state);

/** Re-evaluates a user after the grace or a lease deadline passed (grace timer, sweeper). */
export const settle = (state: PresenceState, now: number, policy: PresencePolicy): Outcome => decide(state, now, policy);

/** What readers see right now, whether or not the sweeper or the grace timer has run yet. */
export const view = (state: PresenceState, now: number, policy: PresencePolicy): PresenceView => {
  const { state: settled } = decide(state, now, policy);
  return {
    userId: state.userId,
    status: settled.announced,
    lastSeen: settled.announced === 'online' ? null : settled.lastSeen,
  };
};

/**
 * The next moment at which this user's status may change by itself (a lease deadline, or the end
 * of the grace): the sweeper looks at the user then. `null` when nothing is pending.
 */
export const nextCheckAt = (state: PresenceState, policy: PresencePolicy): number | null => {
  const moments = Object.values(state.leases).map((lease) => lease.expiresAt);
  if (state.pendingSince !== null) moments.push(state.pendingSince + policy.graceMs);
  return moments.length > 0 ? Math.min(...moments) : null;
};
