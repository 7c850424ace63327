/**
 * The notifier: the presence table's stream (filtered to writes that carry a `change`) -> the
 * connections watching each changed user. Also makes every offline moment durable in Postgres.
 * Partial batch failures are reported per record, so only undelivered changes are retried.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { PresenceChange, Status } from '../../domain/presence';
import { Notifier } from '../../domain/notifier';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { connectionGateway } from '../../shared/dependencies/connections';
import { once } from '../../shared/dependencies/core';
import { userDirectory } from '../../shared/dependencies/database';
import { graceTimer } from '../../shared/dependencies/grace-queue';
import { connectionRegistry } from '../../shared/dependencies/presence-table';
import { observed } from '../../middleware/observability';
import { logger } from '../../shared/logger';
import { count, postsFailed } from '../../shared/metrics';

const connectionService = connectionServiceWith({ graceTimer }, 'notify');

const notifier = once(
  () =>
    new Notifier({
      registry: connectionRegistry(),
      gateway: connectionGateway(),
      // A 410 means the client is gone. Usually it closed normally and only its watches remain (they
      // end at its 2-hour limit, unwritten). If it is still registered, its $disconnect never came
      // (best effort on AWS): clean up as that would have.
      onGone: async (connectionId, userId) => {
        if (await connectionRegistry().exists(connectionId)) await connectionService().disconnect(connectionId, userId);
      },
      log: (message, fields) => logger.warn(message, fields),
    }),
);

interface ChangeRecord {
  readonly sequenceNumber: string;
  readonly change: PresenceChange;
}

/** The change a stream record announces, or null for writes that changed nothing visible. */
export const changeOf = (record: DynamoDBRecord): ChangeRecord | null => {
  const image = record.dynamodb?.NewImage;
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (image === undefined || sequenceNumber === undefined || image.change === undefined) return null;
  const item = unmarshall(image as Record<string, AttributeValue>) as {
    userId: string;
    change: { status: Status; changedAt: number; lastSeen?: number };
  };
  // A write that repeats an already announced change (same changedAt) is not announced twice.
  const old = record.dynamodb?.OldImage?.change?.M?.changedAt?.N;
  if (old !== undefined && Number(old) === item.change.changedAt) return null;
  return {
    sequenceNumber,
    change: { userId: item.userId, status: item.change.status, changedAt: item.change.changedAt, lastSeen: item.change.lastSeen ?? null },
  };
};

export const handler = observed(async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const records = event.Records.map(changeOf).filter((record): record is ChangeRecord => record !== null);
  if (records.length === 0) return { batchItemFailures: [] };
  const offline = records.flatMap(({ change }) => (change.status === 'offline' && change.lastSeen !== null ? [{ userId: change.userId, at: change.lastSeen }] : []));
  // Durable last-seen first: if Postgres is unreachable the whole batch is retried, notifications included.
  await userDirectory().recordLastSeen(offline);
  const report = await notifier().notify(records.map((record) => record.change));
  count('ChangesNotified', records.length);
  count('FramesPosted', report.framesSent);
  postsFailed('gone', report.connectionsGone);
  if (report.failedUserIds.size > 0) logger.warn('undelivered presence changes', { users: report.failedUserIds.size });
  return {
    batchItemFailures: records
      .filter((record) => report.failedUserIds.has(record.change.userId))
      .map((record) => ({ itemIdentifier: record.sequenceNumber })),
  };
});
