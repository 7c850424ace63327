/**
 * The sweep worker (SQS, one message per shard, queued by the sweep planner): sweeps its shard
 * from the watermark on, until its own deadline. A message may come twice or while the shard's
 * previous sweep still runs: both sweeps are safe (version-checked decisions, conditional closes,
 * a watermark that only moves forward). A shard whose watermark could not be read or written is
 * handed back (swept again after the visibility timeout; in the end its dead-letter queue alarms).
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { parseSweepTask } from '../../adapters/sqs-sweep-queue';
import type { SweepReport } from '../../domain/sweeper';
import { observed } from '../../middleware/observability';
import { sweepShards } from '../../shared/dependencies/core';
import { sweeper } from '../../shared/dependencies/sweeper';
import { logger } from '../../shared/logger';
import { count, sample } from '../../shared/metrics';

/** Margin kept before the function's timeout: buckets not started by then wait for the next run. */
const STOP_BEFORE_TIMEOUT_MS = 10_000;

const emitReport = (shard: number, report: SweepReport): void => {
  count('SweepUsersSettled', report.usersChecked - report.usersFailed);
  count('SweepUsersFailed', report.usersFailed);
  count('SweepConnectionsClosed', report.connectionsClosed);
  count('ConnectionsClosed', report.connectionsClosed);
  count('SweepShardsFailed', report.shardsFailed);
  // The backlog alarm: the age of the oldest bucket not swept completely (failed slots and shards hold it back).
  sample('SweepBacklogAge', report.backlogAgeMs);
  if (report.usersChecked > 0 || report.usersFailed + report.slotsFailed + report.shardsFailed > 0)
    logger.info('sweep', { shard, ...report });
};

export const handler = observed(async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const shard = parseSweepTask(record.body, Math.max(1, sweepShards()));
    if (shard === null) {
      logger.error('malformed sweep message, left for the dead-letter queue', { messageId: record.messageId });
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const report = await sweeper().sweepShard(shard, {
      deadline: Date.now() + context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS,
    });
    emitReport(shard, report);
    if (report.shardsFailed > 0) failures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures: failures };
});
