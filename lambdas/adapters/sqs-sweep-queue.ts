/**
 * The sweep queue as an SQS standard queue: one message per shard to sweep (`{"shard": n}`).
 * Standard queues may deliver a message twice, and a shard's next message may arrive while its
 * last sweep still runs: two sweeps of one shard at once are safe (see Sweeper.sweepShard).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SweepQueue } from '../ports';
import { sendAll } from './sqs-delivery-queues';

export class SqsSweepQueue implements SweepQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  enqueue(shards: readonly number[]): Promise<readonly number[]> {
    return sendAll(this.client, this.queueUrl, shards, (shard) => ({ body: { shard } }));
  }
}

/** A sweep message's shard, or null when the body names no shard below `shards`. */
export const parseSweepTask = (body: string, shards: number): number | null => {
  try {
    const { shard } = JSON.parse(body) as { shard?: unknown };
    return typeof shard === 'number' && Number.isInteger(shard) && shard >= 0 && shard < shards ? shard : null;
  } catch {
    return null;
  }
};
