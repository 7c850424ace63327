/**
 * Makes every offline moment durable in Postgres, off the delivery path: the notifier posts
 * changes without waiting for the database, and this records them from the same stream, on its
 * own lane. One UPDATE per batch with the latest moment per user; the store never moves last-seen
 * backwards, so a replayed or late batch is harmless. While the database does not answer (Aurora
 * resuming from a pause, a failover, an outage) it waits and tries again, and past its budget it
 * fails the batch so the stream keeps the records and delivers them again: nothing is dropped.
 */

import type { LastSeen, LastSeenStore } from '../ports';
import { DatabaseUnavailableError } from './errors';
import { type BackoffPolicy, retry } from './retry';

export interface LastSeenReport {
  /** Offline moments received. */
  readonly received: number;
  /** Users they belong to: the rows the UPDATE addressed. */
  readonly users: number;
  /** Users whose last-seen moved forward (a replay or an older moment moves none). */
  readonly written: number;
  /** Attempts repeated because the database was unavailable (resume waits included). */
  readonly retries: number;
  /** Of those, waits for a paused cluster to resume. */
  readonly resumeWaits: number;
}

export interface LastSeenRetryPolicy extends BackoffPolicy {
  /** Attempts per batch, the first included; past them the batch fails and the stream redelivers it. */
  readonly attempts: number;
}

/**
 * Aurora Serverless v2 resumes in ~15 s (30 s+ after a long pause): 15 attempts with full jitter
 * capped at 5 s wait up to ~56 s (expected ~28 s), inside the recorder's 120 s timeout.
 */
export const LAST_SEEN_RETRY: LastSeenRetryPolicy = { attempts: 15, baseMs: 200, capMs: 5_000 };

/** The latest moment per user: one row each for the UPDATE. */
export const latestPerUser = (entries: readonly LastSeen[]): LastSeen[] => {
  const latest = new Map<string, number>();
  for (const { userId, at } of entries) latest.set(userId, Math.max(at, latest.get(userId) ?? at));
  return [...latest].map(([userId, at]) => ({ userId, at }));
};

export class LastSeenRecorder {
  constructor(
    private readonly deps: {
      readonly store: LastSeenStore;
      readonly policy?: LastSeenRetryPolicy;
      readonly sleep?: (ms: number) => Promise<void>;
      readonly random?: () => number;
    },
  ) {}

  /**
   * Records the batch's offline moments.
   * @throws RetriesExhaustedError when the database stayed unavailable for the whole budget;
   * any other failure as it came. Either way the caller fails the batch and it comes again.
   */
  async record(entries: readonly LastSeen[]): Promise<LastSeenReport> {
    const rows = latestPerUser(entries);
    let retries = 0;
    let resumeWaits = 0;
    const written =
      rows.length === 0
        ? 0
        : await retry(() => this.deps.store.recordLastSeen(rows), {
            ...(this.deps.policy ?? LAST_SEEN_RETRY),
            retryable: (error) => error instanceof DatabaseUnavailableError,
            onRetry: (error) => {
              retries += 1;
              if ((error as DatabaseUnavailableError).resuming) resumeWaits += 1;
            },
            sleep: this.deps.sleep,
            random: this.deps.random,
          });
    return { received: entries.length, users: rows.length, written, retries, resumeWaits };
  }
}
