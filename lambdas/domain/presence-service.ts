import { ConcurrentUpdateError } from './errors';
import { retry } from './retry';
import {
  type Outcome,
  type PresenceChange,
  type PresencePolicy,
  type PresenceState,
  type PresenceView,
  view,
} from './presence';
import type { Clock, PresenceStore, ReadOptions, UserRecord } from '../ports';

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
    // A lost race hands back the state that won (when the store can), so the next round needs no read.
    let known: PresenceState | undefined;
    return retry(
      async (attempt) => {
        const current = known ?? (await this.deps.store.load(userId));
        known = undefined;
        const now = this.deps.clock();
        const outcome = command(current, now, this.deps.policy);
        if (!outcome.dirty) return this.applied({ state: outcome.state, change: null, now, attempts: attempt });
        try {
          const saved = await this.deps.store.save(outcome.state, outcome.change);
          return this.applied({ state: saved, change: outcome.change, now, attempts: attempt });
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
    const states = await this.deps.store.loadMany(users.map((user) => user.id), options);
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
