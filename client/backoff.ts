/**
 * Reconnect timing. Full jitter ("Exponential Backoff And Jitter", AWS Architecture Blog): after a
 * server-side outage every client would otherwise come back in the same instant; a uniform draw
 * over the whole window spreads them out best.
 */

export interface BackoffOptions {
  /** The window of the first retry (ms). */
  readonly baseMs: number;
  /** The widest window (ms): retries never wait longer than this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/** The wait before retry number `attempt` (0-based): uniform in [0, min(maxMs, baseMs * 2^attempt)). */
export const backoffDelay = (attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number => {
  const window = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(Math.max(attempt, 0), 32));
  return Math.floor(random() * window);
};

/**
 * When to replace a connection before API Gateway cuts it at 2 hours: `maxConnectionMs` less up to
 * `jitter` of it, so that clients connected together do not all rotate together.
 */
export const rotationDelay = (maxConnectionMs: number, jitter: number, random: () => number = Math.random): number =>
  Math.floor(maxConnectionMs * (1 - jitter * random()));
