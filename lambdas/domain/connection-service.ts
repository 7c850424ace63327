/**
 * What happens when WebSocket connections open, talk and close: their leases, their watch lists,
 * and the grace timer that suppresses flaps.
 */

import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../../contract/protocol';
import type { Clock, ConnectionRegistry, GraceTimer, PresenceStore, UserDirectory } from '../ports';
import {
  closeLeaseIfUnrenewed,
  isLive,
  openLease,
  type PresenceChange,
  type PresenceState,
  type PresenceView,
  renewLease,
  type Status,
  setManualStatus,
} from './presence';
import type { PresenceService } from './presence-service';

export interface SubscribeResult {
  readonly presences: readonly PresenceView[];
  readonly unknown: readonly string[];
}

export class ConnectionService {
  constructor(
    private readonly deps: {
      readonly presence: PresenceService;
      readonly store: Pick<PresenceStore, 'peekLease'>;
      readonly registry: ConnectionRegistry;
      readonly directory: Pick<UserDirectory, 'findMany'>;
      readonly graceTimer: GraceTimer;
      readonly clock: Clock;
      readonly maxSubscriptions?: number;
    },
  ) {}

  /** `$connect`: the connection is registered before its lease, so a disconnect always finds it. */
  async connect(connectionId: string, userId: string): Promise<void> {
    await this.deps.registry.register({ connectionId, userId, connectedAt: this.deps.clock() });
    await this.deps.presence.apply(userId, (state, now, policy) => openLease(state, connectionId, 'ws', now, policy));
  }

  /**
   * `$disconnect`, a 410 from API Gateway for a connection still registered, or the sweeper:
   * forget the connection (its watches end with it: they are no longer listed after its 2-hour
   * limit, and posts to it get a 410 until then) and close its lease. Safe to repeat. Closes of
   * one user's devices at once do not race (see PresenceService.close). When it was the user's
   * last connection the grace starts, and the timer re-checks the user when it ends.
   * @param closedAt when the connection was last known alive (default: now).
   * @returns the visible change it caused, if any.
   */
  async disconnect(connectionId: string, userId: string, closedAt?: number): Promise<PresenceChange | null> {
    await this.deps.registry.remove(connectionId);
    const { state, change } = await this.deps.presence.close(userId, connectionId, closedAt);
    await this.armGrace(userId, state, change);
    return change;
  }

  /**
   * The sweeper's close of a connection it judged silent: only if its lease is still the one it
   * saw (`seenRenewedAt`); a frame that arrived since renewed it, and then the connection stays.
   * The lease closes before the connection is forgotten, so a close that lost that race forgets
   * nothing.
   * @param lastActiveAt the connection's last activity (lastSeen when it was the user's last).
   * @returns whether the lease was closed (the caller then closes the socket), and the visible change.
   */
  async closeSilent(
    connectionId: string,
    userId: string,
    seenRenewedAt: number,
    lastActiveAt: number,
  ): Promise<{ closed: boolean; change: PresenceChange | null }> {
    let closed = false;
    const { state, change } = await this.deps.presence.apply(userId, (current, now, policy) => {
      closed = current.leases[connectionId]?.renewedAt === seenRenewedAt;
      return closeLeaseIfUnrenewed(current, connectionId, seenRenewedAt, now, policy, lastActiveAt);
    });
    if (!closed) return { closed, change };
    await this.deps.registry.remove(connectionId);
    await this.armGrace(userId, state, change);
    return { closed, change };
  }

  /** When the close left a grace running, the timer re-checks the user when it ends. */
  private async armGrace(userId: string, state: PresenceState, change: PresenceChange | null): Promise<void> {
    if (change === null && state.pendingSince !== null) {
      await this.deps.graceTimer.schedule(userId, state.pendingSince + this.deps.presence.policy.graceMs);
    }
  }

  /**
   * Every frame renews its connection's lease. Most frames only read (eventually consistent, half
   * a read unit); the lease is rewritten at most once per half lease.
   * @returns when the lease now ends.
   */
  async touch(connectionId: string, userId: string): Promise<number> {
    const policy = this.deps.presence.policy;
    const now = this.deps.clock();
    const lease = await this.deps.store.peekLease(userId, connectionId);
    if (lease !== null && isLive(lease, now, policy) && now - lease.renewedAt < policy.renewAfterMs) return now + policy.leaseMs;
    const { now: at } = await this.deps.presence.apply(userId, (state, when) => renewLease(state, connectionId, 'ws', when, policy));
    return at + policy.leaseMs;
  }

  /**
   * Watches the known users among `userIds` and returns their current presence; unknown ids are
   * listed back and not counted against the limit.
   */
  async subscribe(connectionId: string, userIds: readonly string[]): Promise<SubscribeResult> {
    const known = await this.deps.directory.findMany(userIds);
    const knownIds = new Set(known.map((user) => user.id));
    if (known.length > 0) {
      await this.deps.registry.subscribe(connectionId, [...knownIds], this.deps.maxSubscriptions ?? MAX_SUBSCRIPTIONS_PER_CONNECTION);
    }
    const byId = new Map(known.map((user) => [user.id, user]));
    const ordered = userIds.flatMap((id) => byId.get(id) ?? []);
    return {
      // Strongly consistent, as the notifier's watchers query is (review H3): the watch is written
      // above, then X's presence read here; a change of X is written, then the notifier lists X's
      // watchers. Either the notifier sees this watch, or this read sees the change: never neither.
      presences: await this.deps.presence.views(ordered, { consistent: true }),
      unknown: userIds.filter((id) => !knownIds.has(id)),
    };
  }

  async unsubscribe(connectionId: string, userIds: readonly string[]): Promise<void> {
    await this.deps.registry.unsubscribe(connectionId, userIds);
  }

  async setStatus(userId: string, status: Status): Promise<void> {
    await this.deps.presence.apply(userId, (state, now, policy) => setManualStatus(state, status, now, policy));
  }
}
