/** An attempt counted by {@link AttemptCounter.take}. */
export type Taken =
  | {
      readonly allowed: true;
      /** Uncounts the attempt (e.g. a log-in that succeeded is no failure). */
      readonly giveBack: () => Promise<void>;
    }
  | {
      readonly allowed: false;
      /** ms until the key has room again. */
      readonly retryAfterMs: number;
    };

/** Counts attempts per key over a sliding window (e.g. log-ins per name and address in any 15 minutes). */
export interface AttemptCounter {
  /**
   * Counts one attempt for `key` if fewer than `limit` were counted in the last window-long span: the
   * check and the count are one atomic step, so parallel callers can never pass it together.
   */
  take(key: string, limit: number): Promise<Taken>;
}
