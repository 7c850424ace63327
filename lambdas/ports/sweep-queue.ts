/** Where the sweep planner puts one task per shard, for a sweep worker each. */
export interface SweepQueue {
  /** Queues a sweep of each shard; @returns the shards it could not queue. */
  enqueue(shards: readonly number[]): Promise<readonly number[]>;
}
