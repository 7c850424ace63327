import type { Clock, PresenceStore, ReadOptions, UserRecord } from '../ports';
import { ConcurrentUpdateError } from './errors';
import {
  closeLease,
  type Outcome,
  type PresenceChange,
  type PresencePolicy,
  type PresenceState,
  type PresenceView,
  quickClose,
  view,
} from './presence';
import { retry } from './retry';

/** Devices racing on one user: 16 rounds, full jitter from 10 ms to a 640 ms cap, so they spread out. */
const VERSION_RACE_RETRY = { attempts: 16, baseMs: 10, capMs: 640 } as const;

export type Command = (state: PresenceState, now: number, policy: PresencePolicy) => Outcome;

export interface Applied {
  readonly state: PresenceState;
  readonly change: PresenceChange | null;
  readonly now: number;
  /** Read-decide-write rounds it took: more than 1 when another writer won a version race. */
  readonly attempts: number;
}

/** One round on the state read: what it wrote (or found nothing to write). */
type Round = (current: PresenceState, now: number) => Promise<{ readonly state: PresenceState; readonly change: PresenceChange | null }>;

/**
 * Applies presence commands with optimistic concurrency: read the user's state, run the pure
 * command, write it back only if nobody wrote in between, else start again. Two devices
 * connecting and disconnecting at once therefore always end in the state the rules give.
 */
export class PresenceService {
  constructor(
    private readonly deps: {
      readonly store: PresenceStore;
      readonly policy: PresencePolicy;
      readonly clock: Clock;
      /** Told of every applied command (the wiring turns it into metrics: changes, version races). */
      readonly onApplied?: (applied: Applied) => void;
    },
  ) {}

  get policy(): PresencePolicy {
    return this.deps.policy;
  }

  /** @throws RetriesExhaustedError when other writers keep winning the version race. */
  async apply(userId: string, command: Command): Promise<Applied> {
    return this.rounds(userId, (current, now) => this.write(command(current, now, this.deps.policy)));
  }

  /**
   * Closes a lease ({@link closeLease}). While another live lease stays, the store only marks this
   * one closed ({@link quickClose}): closes of one user's devices do not race each other. The
   * last live lease's close is decided and written under the version check as usual.
   * @param closedAt when the connection was last known alive (default: now).
   * @throws RetriesExhaustedError when other writers keep winning the version race.
   */
  async close(userId: string, leaseId: string, closedAt?: number): Promise<Applied> {
    const { policy, store } = this.deps;
    return this.rounds(userId, async (current, now) => {
      const quick = quickClose(current, leaseId, now, policy, closedAt ?? now);
      if (quick === null) return this.write(closeLease(current, leaseId, now, policy, closedAt ?? now));
      return { state: await store.markClosed(userId, quick), change: null };
    });
  }

  private async write(outcome: Outcome): Promise<{ state: PresenceState; change: PresenceChange | null }> {
    if (!outcome.dirty) return { state: outcome.state, change: null };
    return { state: await this.deps.store.save(outcome.state, outcome.change), change: outcome.change };
  }

  private async rounds(userId: string, round: Round): Promise<Applied> {
    // A lost race hands back the state that won (when the store can), so the next round needs no read.
    let known: PresenceState | undefined;
    return retry(
      async (attempt) => {
        const current = known ?? (await this.deps.store.load(userId));
        known = undefined;
        const now = this.deps.clock();
        try {
          const { state, change } = await round(current, now);
          return this.applied({ state, change, now, attempts: attempt });
        } catch (error) {
          if (error instanceof ConcurrentUpdateError && error.current !== undefined) known = error.current as PresenceState;
          throw error;
        }
      },
      { ...VERSION_RACE_RETRY, retryable: (error) => error instanceof ConcurrentUpdateError },
    );
  }

  private applied(result: Applied): Applied {
    this.deps.onApplied?.(result);
    return result;
  }

  /**
   * Presence of known users, read in one batch; the directory's durable last-seen fills gaps.
   * `consistent` for a subscribe's snapshot (see ConnectionService.subscribe).
   */
  async views(users: readonly UserRecord[], options: ReadOptions = {}): Promise<PresenceView[]> {
    if (users.length === 0) return [];
    const states = await this.deps.store.loadMany(
      users.map((user) => user.id),
      options,
    );
    const now = this.deps.clock();
    return users.map((user) => {
      const state = states.get(user.id);
      const seen = state === undefined ? null : view(state, now, this.deps.policy);
      if (seen === null || seen.status === 'offline') {
        return { userId: user.id, status: 'offline', lastSeen: latest(seen?.lastSeen ?? null, user.lastSeen) };
      }
      return seen;
    });
  }
}

const latest = (a: number | null, b: number | null): number | null => {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
};
