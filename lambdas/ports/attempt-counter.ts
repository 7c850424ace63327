/** An attempt counted by {@link AttemptCounter.take}. */
export type Taken =
  | {
      readonly allowed: true;
      /** Uncounts the attempt, in the window it was counted in (e.g. a log-in that succeeded is no failure). */
      readonly giveBack: () => Promise<void>;
    }
  | {
      readonly allowed: false;
      /** ms until the key has room again. */
      readonly retryAfterMs: number;
    };

/** Counts attempts per key in 15-minute-style windows (e.g. log-ins per name and address). */
export interface AttemptCounter {
  /**
   * Counts one attempt for `key` if fewer than `limit` are counted in the current window: the
   * check and the count are one atomic step, so parallel callers can never pass it together.
   */
  take(key: string, limit: number): Promise<Taken>;
}
