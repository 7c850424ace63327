/**
 * The notifier: the presence table's stream (filtered to writes that carry a `change`) -> the
 * connections watching each changed user. Postgres is not on this path: the last-seen recorder
 * (record-last-seen.ts) reads the same stream on its own lane.
 * Small fan-outs are posted here; further pages go to the fan-out queue and failed posts to the
 * retry queue (lambdas/domain/notifier.ts). A record is reported failed only when its watchers
 * could not be read (or its pages queued), so only that record and the ones after it are retried.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Status } from '../../domain/presence';
import { observed } from '../../middleware/observability';
import type { VersionedChange } from '../../ports';
import { emitReport } from '../../shared/delivery-report';
import { notifier } from '../../shared/dependencies/delivery';
import { logger } from '../../shared/logger';
import { count } from '../../shared/metrics';

interface ChangeRecord {
  readonly sequenceNumber: string;
  readonly change: VersionedChange;
}

/** The change a stream record announces, with the item version that wrote it, or null for writes that changed nothing visible. */
export const changeOf = (record: DynamoDBRecord): ChangeRecord | null => {
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (image === undefined || sequenceNumber === undefined || image.change === undefined) return null;
  const item = unmarshall(image as Record<string, AttributeValue>) as {
    userId: string;
    version?: number;
    change: { status: Status; changedAt: number; lastSeen?: number };
  };
  // A write that repeats an already announced change (same changedAt) is not announced twice.
  const old = record.dynamodb?.OldImage?.change?.M?.changedAt?.N;
  if (old !== undefined && Number(old) === item.change.changedAt) return null;
  return {
    sequenceNumber,
    change: {
      userId: item.userId,
      status: item.change.status,
      changedAt: item.change.changedAt,
      lastSeen: item.change.lastSeen ?? null,
      // Every presence write bumps the version; the stream's order per item is the version order.
      version: item.version ?? 0,
    },
  };
};

export const handler = observed(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records.map(changeOf).filter((record): record is ChangeRecord => record !== null);
  if (records.length === 0) return { batchItemFailures: [] };
  const report = await notifier('notify').notify(records.map((record) => record.change));
  count('ChangesNotified', records.length);
  emitReport(report);
  if (report.failedUserIds.size > 0) logger.warn('undelivered presence changes', { users: report.failedUserIds.size });
  return {
    batchItemFailures: records
      .filter((record) => report.failedUserIds.has(record.change.userId))
      .map((record) => ({ itemIdentifier: record.sequenceNumber })),
  };
});
