/**
 * The last-seen recorder: a second reader of the presence table's stream, filtered to offline
 * changes, that makes each offline moment durable in Postgres. It runs beside the notifier, not
 * before it, so a paused, failing-over or unavailable Aurora delays no event (review H2).
 *
 * Why a second stream reader rather than a queue fed by the notifier: the stream already holds
 * every change durably for 24 h and redelivers a failed batch, so the recorder needs no new
 * store, and the notifier no extra call (a SendMessage that could fail) on its path. DynamoDB
 * Streams serves two readers per shard; this is the second. The mapping (lib/app-manifest.ts,
 * `streamConsumers`) retries a failed batch for as long as its records live (24 h), and this
 * handler waits out a short outage itself (LastSeenRecorder), so a resume costs no redelivery.
 */

import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { RetriesExhaustedError } from '../../domain/retry';
import { observed } from '../../middleware/observability';
import type { LastSeen } from '../../ports';
import { lastSeenRecorder } from '../../shared/dependencies/database';
import { logger } from '../../shared/logger';
import { count } from '../../shared/metrics';

/** The offline moment a stream record carries, if any (the mapping's filter lets only these through). */
export const offlineMomentOf = (record: DynamoDBRecord): LastSeen[] => {
  const change = record.dynamodb?.NewImage?.change;
  const userId = record.dynamodb?.NewImage?.userId?.S;
  if (change?.M === undefined || userId === undefined) return [];
  const { status, lastSeen } = unmarshall(change.M as Record<string, AttributeValue>) as { status?: string; lastSeen?: number };
  return status === 'offline' && typeof lastSeen === 'number' ? [{ userId, at: lastSeen }] : [];
};

export const handler = observed(async (event: DynamoDBStreamEvent): Promise<void> => {
  try {
    const report = await lastSeenRecorder().record(event.Records.flatMap(offlineMomentOf));
    count('LastSeenRecorded', report.written);
    count('LastSeenRetries', report.retries);
    count('DataApiResumeWaits', report.resumeWaits);
    logger.info('last-seen recorded', { ...report });
  } catch (error) {
    // Thrown on: the stream delivers the batch again (the mapping's retries), so nothing is lost.
    const attempts = error instanceof RetriesExhaustedError ? error.attempts : 1;
    count('LastSeenRetries', attempts - 1);
    count('LastSeenBatchesDeferred');
    logger.warn('last-seen not recorded yet; the stream will deliver the batch again', { records: event.Records.length, attempts, error });
    throw error;
  }
});
