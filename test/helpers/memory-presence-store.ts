import { ConcurrentUpdateError } from '../../lambdas/domain/errors';
import {
  emptyPresence,
  type Lease,
  markClosed,
  type PresenceChange,
  type PresenceState,
  type QuickClose,
} from '../../lambdas/domain/presence';
import type { PresenceStore } from '../../lambdas/ports';

/** The PresenceStore port in memory, with the same conditions the DynamoDB adapter writes with. */
export class MemoryPresenceStore implements PresenceStore {
  readonly states = new Map<string, PresenceState>();
  readonly changes: PresenceChange[] = [];
  writes = 0;

  async load(userId: string): Promise<PresenceState> {
    return this.states.get(userId) ?? emptyPresence(userId);
  }

  async peekLease(userId: string, leaseId: string): Promise<Lease | null> {
    return this.states.get(userId)?.leases[leaseId] ?? null;
  }

  async loadMany(userIds: readonly string[]): Promise<Map<string, PresenceState>> {
    return new Map(userIds.flatMap((id) => (this.states.has(id) ? [[id, this.states.get(id) as PresenceState]] : [])));
  }

  async save(state: PresenceState, change: PresenceChange | null): Promise<PresenceState> {
    const stored = this.states.get(state.userId)?.version ?? 0;
    if (stored !== state.version) throw new ConcurrentUpdateError(`version ${stored} != ${state.version}`);
    const next = { ...state, version: state.version + 1 };
    this.states.set(state.userId, next);
    this.writes += 1;
    if (change !== null) this.changes.push(change);
    return next;
  }

  async markClosed(userId: string, close: QuickClose): Promise<PresenceState> {
    const state = this.states.get(userId) ?? emptyPresence(userId);
    const witnessed = close.witnesses.some((id) => state.leases[id] !== undefined);
    if (state.leases[close.leaseId]?.renewedAt !== close.renewedAt || !witnessed) {
      throw new ConcurrentUpdateError(`lease ${close.leaseId} of ${userId} changed or is the last`, { current: state });
    }
    const next = { ...markClosed(state, close), version: state.version + 1 };
    this.states.set(userId, next);
    this.writes += 1;
    return next;
  }
}
