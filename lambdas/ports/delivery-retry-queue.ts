import type { VersionedChange } from './fan-out-queue';

/** One frame to post again to one connection, after `delayMs`: the `attempt`-th retry. */
export interface DeliveryRetry {
  readonly connectionId: string;
  /** The watching connection's user. */
  readonly userId: string;
  readonly changes: readonly VersionedChange[];
  readonly attempt: number;
  readonly delayMs: number;
}

/** Delayed, per-connection retries of posts that failed. Delivered at least once after their delay. */
export interface DeliveryRetryQueue {
  /** @returns the retries that could not be queued (none when all were). */
  schedule(retries: readonly DeliveryRetry[]): Promise<readonly DeliveryRetry[]>;
}
