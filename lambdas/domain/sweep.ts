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

/** Every index partition a sweep at `now` reads: the last `lookbackBuckets` buckets, every shard. */
export const dueSlots = (now: number, shards: number, bucketMs: number, lookbackBuckets: number): string[] => {
  const current = bucketOf(now, bucketMs);
  const slots: string[] = [];
  for (let bucket = current - lookbackBuckets; bucket <= current; bucket += 1) {
    for (let shard = 0; shard < Math.max(1, shards); shard += 1) slots.push(`${bucket}#${shard}`);
  }
  return slots;
};
