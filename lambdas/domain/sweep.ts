/**
 * Where the sweeper finds users to re-check: a sparse index keyed by time bucket and shard. The
 * bucket bounds what one sweep reads to what is due; the shard spreads one bucket's writes over
 * several partitions (a single per-minute key would be a hot partition at millions of users).
 */

/** FNV-1a: a stable, fast string hash; only its spread matters here. */
const hash = (text: string): number => {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
};

export const shardOf = (userId: string, shards: number): number => hash(userId) % Math.max(1, shards);

export const bucketOf = (at: number, bucketMs: number): number => Math.floor(at / bucketMs);

/** The index partition key for a user due at `at`. */
export const sweepSlot = (userId: string, at: number, shards: number, bucketMs: number): string =>
  `${bucketOf(at, bucketMs)}#${shardOf(userId, shards)}`;

/** The index slot a user due at `at` goes to, when written at `writtenAt`: never a bucket already past, so never behind a watermark. */
export const sweepSlotAt = (userId: string, at: number, writtenAt: number, shards: number, bucketMs: number): string =>
  sweepSlot(userId, Math.max(at, writtenAt), shards, bucketMs);

/**
 * The buckets of one shard that a sweep at `now` reads, oldest first: from just after the
 * watermark to the current bucket, however long ago the watermark was written (a stop of any
 * length is caught up). A shard never swept (a new table, or one written before watermarks)
 * starts `firstSweepBuckets` back.
 */
export const bucketsToSweep = (
  watermark: number | null,
  now: number,
  bucketMs: number,
  firstSweepBuckets: number,
): { from: number; to: number } => {
  const to = bucketOf(now, bucketMs);
  return { from: watermark === null ? to - firstSweepBuckets : watermark + 1, to };
};

/**
 * The last bucket no write can still land in at `now`: every write goes to the bucket of its own
 * time or later, and shows in the index within `settleMs` (index propagation, clock skew between
 * writers and the sweeper, a write's own latency). Buckets up to it can be swept completely.
 */
export const lastClosedBucket = (now: number, bucketMs: number, settleMs: number): number => bucketOf(now - settleMs, bucketMs) - 1;
