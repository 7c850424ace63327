/**
 * The sweep index: users whose presence may change by itself (a lease runs out, a grace ends),
 * listed by (time bucket, shard), and per shard a watermark, the last bucket swept completely.
 */
export interface SweepIndex {
  /** Users of one (bucket, shard) slot due by `now`, page by page. */
  due(bucket: number, shard: number, now: number): AsyncIterable<readonly string[]>;
  /** The last bucket of `shard` swept completely, or null when the shard was never swept. */
  watermark(shard: number): Promise<number | null>;
  /** Records that `shard` is swept completely up to `bucket`; never moves a watermark back. */
  advance(shard: number, bucket: number): Promise<void>;
}
