/**
 * The sweep planner, on a schedule (EventBridge every minute on AWS; PRESENCE_SWEEP_SECONDS
 * locally): queues one sweep per shard for the sweep workers (sweep-shard.ts), so sweep capacity
 * grows with the shards instead of being one invocation's.
 */

import { observed } from '../../middleware/observability';
import { sweepShards } from '../../shared/dependencies/core';
import { sweepQueue } from '../../shared/dependencies/sweep-queue';
import { logger } from '../../shared/logger';
import { count } from '../../shared/metrics';

export interface SweepPlan {
  readonly queued: number;
  /** Shards not queued this time (their watermark waits; the next minute's plan queues them again). */
  readonly notQueued: readonly number[];
}

export const handler = observed(async (): Promise<SweepPlan> => {
  const shards = Array.from({ length: Math.max(1, sweepShards()) }, (_, shard) => shard);
  const notQueued = [...(await sweepQueue().enqueue(shards))];
  if (notQueued.length > 0) {
    count('SweepShardsNotQueued', notQueued.length);
    logger.error('queuing shard sweeps failed', { shards: notQueued });
  }
  return { queued: shards.length - notQueued.length, notQueued };
});
