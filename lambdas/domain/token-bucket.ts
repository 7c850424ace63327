/**
 * Paces calls to a rate: `burst` may go at once, then one every 1/`ratePerSecond` s. Takers
 * reserve their slot (the balance may go negative), so concurrent takers share the rate instead
 * of each getting it, and they are served in the order they asked.
 */
export interface TokenBucketOptions {
  readonly ratePerSecond: number;
  /** Tokens the bucket holds at most (and starts with). */
  readonly burst: number;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError(`A token bucket needs a positive rate, got ${options.ratePerSecond}`);
    if (!(options.burst >= 1)) throw new RangeError(`A token bucket needs a burst of at least 1, got ${options.burst}`);
    this.tokens = options.burst;
    this.refilledAt = options.clock();
  }

  /** Resolves when the caller may go. */
  async take(): Promise<void> {
    const now = this.options.clock();
    this.tokens = Math.min(this.options.burst, this.tokens + ((now - this.refilledAt) * this.options.ratePerSecond) / 1000);
    this.refilledAt = now;
    this.tokens -= 1;
    if (this.tokens < 0) await this.options.sleep((-this.tokens * 1000) / this.options.ratePerSecond);
  }
}

/** Fewer watchers per page would cost a queue message and a Query for a handful of posts. */
const MIN_PAGE_SIZE = 100;

/**
 * Watchers per fan-out page for an invocation posting at `pace`: what it may post in its first
 * second (its burst plus one second of its rate), between 100 and `max`. A page then takes about a
 * second however small the invocation's share of the posting budget, so more watchers mean more
 * pages in parallel, not slower ones: at an even share of 67 posts/s a 1,000-watcher page would
 * take 15 s, past the contract's 10 s. The notifier's inline budget is one page too.
 */
export const pageSizeForPace = (pace: { readonly ratePerSecond: number; readonly burst: number }, max: number): number =>
  Math.max(Math.min(MIN_PAGE_SIZE, max), Math.min(max, Math.floor(pace.burst + pace.ratePerSecond)));
