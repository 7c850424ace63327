/**
 * The one bounded, jittered retry of the service. Full jitter ("Exponential Backoff And Jitter",
 * AWS Architecture Blog): a uniform draw over the whole window spreads racing writers and
 * throttled callers out best. Every retry loop in `lambdas/` goes through here, so none is
 * unbounded and all of them share one formula.
 */
import { DomainError } from './errors';

export interface BackoffPolicy {
  /** Window of the first retry (ms). */
  readonly baseMs: number;
  /** The widest window (ms): no wait is ever longer. */
  readonly capMs: number;
}

/** The wait before retry number `attempt` (1-based): uniform in [0, min(capMs, baseMs * 2^(attempt-1))). */
export const backoffDelay = (attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number => {
  const window = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30));
  return Math.floor(random() * window);
};

export interface RetryOptions extends BackoffPolicy {
  /** Attempts in all, the first included (≥ 1). */
  readonly attempts: number;
  /** Whether a failure is worth another attempt; others are rethrown at once. Default: every failure. */
  readonly retryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to count retries in a metric. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** Thrown when every attempt failed with a retryable error; `cause` is the last failure. */
export class RetriesExhaustedError extends DomainError {
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`gave up after ${attempts} attempts`, { cause });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation(attempt)` until it resolves, a failure is not retryable (rethrown as is), or
 * `attempts` are spent (RetriesExhaustedError with the last failure as `cause`).
 */
export const retry = async <T>(operation: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> => {
  const wait = options.sleep ?? sleep;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (options.retryable !== undefined && !options.retryable(error)) throw error;
      if (attempt >= options.attempts) throw new RetriesExhaustedError(attempt, error);
      const delay = backoffDelay(attempt, options, options.random);
      options.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
};
