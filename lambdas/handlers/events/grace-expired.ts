/**
 * The grace timer's consumer (SQS, delivered at least once after the message's delay): re-checks
 * each user, which turns them offline if no connection came back. A message that arrives before
 * the grace ends (or for a user whose grace restarted) schedules a new check.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { GraceMessage } from '../../adapters/sqs-grace-timer';
import { assertIsError } from '../../domain/errors';
import { settle } from '../../domain/presence';
import { observed } from '../../middleware/observability';
import { graceTimer } from '../../shared/dependencies/grace-queue';
import { presenceService } from '../../shared/dependencies/presence-table';
import { logger } from '../../shared/logger';

const parse = (body: string): GraceMessage | null => {
  try {
    const message = JSON.parse(body) as Partial<GraceMessage>;
    return typeof message.userId === 'string' && typeof message.at === 'number' ? { userId: message.userId, at: message.at } : null;
  } catch {
    return null;
  }
};

export const handler = observed(async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      const message = parse(record.body);
      if (message === null) {
        logger.error('dropping a malformed grace message', { messageId: record.messageId });
        return;
      }
      try {
        const { state } = await presenceService().apply(message.userId, (current, now, policy) => settle(current, now, policy));
        if (state.pendingSince !== null) await graceTimer().schedule(message.userId, state.pendingSince + presenceService().policy.graceMs);
      } catch (error) {
        assertIsError(error);
        logger.error('grace check failed', { messageId: record.messageId, error: error.message });
        failures.push({ itemIdentifier: record.messageId });
      }
    }),
  );
  return { batchItemFailures: failures };
});
