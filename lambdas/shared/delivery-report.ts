/** What the delivery handlers (notifier, fan-out, retry) share: the queue handler shape and the report's metrics. */
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { BatchReport, DeliveryReport } from '../domain/notifier';
import { observed } from '../middleware/observability';
import { logger } from './logger';
import { count, postsFailed, sample } from './metrics';

/** Splits a queue batch into parsed messages and malformed records (to be reported failed: they end in the dead-letter queue). */
const parseMessages = <T>(records: readonly SQSRecord[], parse: (body: string) => T | null) => {
  const valid: { record: SQSRecord; message: T }[] = [];
  const malformed: SQSRecord[] = [];
  for (const record of records) {
    const message = parse(record.body);
    if (message === null) malformed.push(record);
    else valid.push({ record, message });
  }
  if (malformed.length > 0)
    logger.error('malformed messages, left for the dead-letter queue', { messageIds: malformed.map((record) => record.messageId) });
  return { valid, malformed };
};

/** The report's counts as metrics (`lambdas/shared/metrics.ts`); the delivery lag as the invocation's worst. */
export const emitReport = (report: DeliveryReport): void => {
  count('FramesPosted', report.framesPosted);
  for (const kind of ['gone', 'throttled', 'other'] as const) postsFailed(kind, report.postsFailed[kind]);
  count('PostsRetried', report.retriesQueued);
  count('SlowConnectionsClosed', report.connectionsClosed);
  count('FanOutPagesQueued', report.pagesQueued);
  if (report.fanOutSize > 0) sample('FanOut', report.fanOutSize);
  if (report.deliveryLagMs.count > 0) sample('DeliveryLag', report.deliveryLagMs.max);
};

/**
 * A delivery queue's consumer: parses each message, runs the batch, and reports as failed (to be
 * delivered again, in the end to the dead-letter queue) the malformed messages and those the
 * report names.
 */
export const deliveryQueueHandler = <T>(parse: (body: string) => T | null, run: (messages: T[]) => Promise<BatchReport>) =>
  observed(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const { valid, malformed } = parseMessages(event.Records, parse);
    const report = await run(valid.map(({ message }) => message));
    emitReport(report);
    const failed = [...malformed, ...[...report.failed].map((index) => valid[index].record)];
    return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
  });
