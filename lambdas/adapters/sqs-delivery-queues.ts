/**
 * The fan-out queue and the delivery-retry queue as SQS standard queues: a fan-out task is a
 * message naming its changes, each with a page cursor; a retry is a message carrying one frame for one
 * connection, with a per-message delay (its backoff). Messages go in batches of 10.
 */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { forEachLimited } from '../domain/concurrency';
import type { DeliveryRetry, DeliveryRetryQueue, FanOutCursor, FanOutQueue, FanOutTask, VersionedChange } from '../ports';

/** SendMessageBatch takes at most 10 entries (and 256 KB in all: a frame is at most ~13 KB). */
const BATCH_ENTRIES = 10;
/** SQS allows a per-message delay of 0-900 s. */
const MAX_DELAY_SECONDS = 900;
/** Batches sent at once. */
const SEND_CONCURRENCY = 8;

/** Sends one message per item; @returns the items SQS did not take (failed entries and failed calls). */
export const sendAll = async <T>(
  client: SQSClient,
  queueUrl: string,
  items: readonly T[],
  message: (item: T) => { readonly body: unknown; readonly delaySeconds?: number },
): Promise<T[]> => {
  const batches: T[][] = [];
  for (let start = 0; start < items.length; start += BATCH_ENTRIES) batches.push(items.slice(start, start + BATCH_ENTRIES));
  const unsent: T[] = [];
  await forEachLimited(batches, SEND_CONCURRENCY, async (batch) => {
    try {
      const output = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((item, index) => {
            const { body, delaySeconds } = message(item);
            return { Id: String(index), MessageBody: JSON.stringify(body), DelaySeconds: delaySeconds };
          }),
        }),
      );
      for (const failed of output.Failed ?? []) unsent.push(batch[Number(failed.Id)]);
    } catch {
      unsent.push(...batch);
    }
  });
  return unsent;
};

export class SqsFanOutQueue implements FanOutQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  enqueue(tasks: readonly FanOutTask[]): Promise<readonly FanOutTask[]> {
    return sendAll(this.client, this.queueUrl, tasks, (task) => ({ body: task }));
  }
}

export class SqsDeliveryRetryQueue implements DeliveryRetryQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  schedule(retries: readonly DeliveryRetry[]): Promise<readonly DeliveryRetry[]> {
    return sendAll(this.client, this.queueUrl, retries, ({ delayMs, ...retry }) => ({
      body: retry,
      delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil(delayMs / 1000))),
    }));
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const parseJson = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

const toChange = (value: unknown): VersionedChange | null => {
  if (!isObject(value)) return null;
  const { userId, status, lastSeen, changedAt, version } = value;
  if (
    typeof userId !== 'string' ||
    (status !== 'online' && status !== 'offline') ||
    typeof changedAt !== 'number' ||
    typeof version !== 'number'
  )
    return null;
  if (lastSeen !== null && typeof lastSeen !== 'number') return null;
  return { userId, status, lastSeen, changedAt, version };
};

const toCursor = (value: unknown): FanOutCursor | null => {
  if (!isObject(value) || (value.after !== null && typeof value.after !== 'string')) return null;
  const change = toChange(value.change);
  return change === null ? null : { change, after: value.after };
};

/**
 * A fan-out message's task, or null when the body is not one. A message of the previous release
 * (one change and its cursor, no `cursors`) is a task of one cursor: those queued across a deploy are not lost.
 */
export const parseFanOutTask = (body: string): FanOutTask | null => {
  const value = parseJson(body);
  if (!isObject(value)) return null;
  const cursors = Array.isArray(value.cursors) ? value.cursors.map(toCursor) : 'cursors' in value ? [] : [toCursor(value)];
  if (cursors.length === 0 || cursors.some((cursor) => cursor === null)) return null;
  return { cursors: cursors as FanOutCursor[] };
};

/** A retry message's retry (due now: its delay has passed), or null when the body is not one. */
export const parseDeliveryRetry = (body: string): DeliveryRetry | null => {
  const value = parseJson(body);
  if (!isObject(value) || typeof value.connectionId !== 'string' || typeof value.userId !== 'string') return null;
  if (typeof value.attempt !== 'number' || !Number.isInteger(value.attempt) || value.attempt < 1 || !Array.isArray(value.changes))
    return null;
  const changes = value.changes.map(toChange);
  if (changes.length === 0 || changes.some((change) => change === null)) return null;
  return {
    connectionId: value.connectionId,
    userId: value.userId,
    changes: changes as VersionedChange[],
    attempt: value.attempt,
    delayMs: 0,
  };
};
