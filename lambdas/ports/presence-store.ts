import type { Lease, PresenceChange, PresenceState, QuickClose } from '../domain/presence';

export interface ReadOptions {
  /** A strongly consistent read (DynamoDB: twice the read units): it sees every write acknowledged before it. */
  readonly consistent?: boolean;
}

/** Per-user presence state, read and written with optimistic concurrency. */
export interface PresenceStore {
  /** Strongly consistent read; an empty state (version 0) when nothing is stored. */
  load(userId: string): Promise<PresenceState>;
  /** Cheap, eventually consistent read of one lease (null when absent), for renewal checks. */
  peekLease(userId: string, leaseId: string): Promise<Lease | null>;
  /**
   * Batched read of many users; users with nothing stored are absent from the map. Eventually
   * consistent (half a read unit per item) unless `consistent`: a subscribe's snapshot must be.
   */
  loadMany(userIds: readonly string[], options?: ReadOptions): Promise<Map<string, PresenceState>>;
  /**
   * Writes `state` if the stored version is still `state.version`; `change` marks the write as a
   * visible transition (it drives subscriber notifications).
   * @returns the state with its new version.
   * @throws ConcurrentUpdateError when somebody else wrote first.
   */
  save(state: PresenceState, change: PresenceChange | null): Promise<PresenceState>;
  /**
   * Marks one lease closed (the state becomes `markClosed(state, close)`, domain/presence.ts) if the lease is still the one read
   * (same renewal, not closed) and one of `close.witnesses` is still open; a change of other
   * leases or of the version is no conflict. Bumps the version, so a versioned write based on an
   * earlier read fails and decides again.
   * @returns the state stored afterwards.
   * @throws ConcurrentUpdateError when that condition no longer holds.
   */
  markClosed(userId: string, close: QuickClose): Promise<PresenceState>;
}
