/**
 * BatchGetItem and BatchWriteItem until every part is done, within a bound. DynamoDB hands back
 * the parts it throttled (or, for reads, that overflowed 16 MB) as UnprocessedKeys/UnprocessedItems;
 * AWS's advice is to retry them with exponential backoff. A table that keeps throttling ends in
 * RetriesExhaustedError naming what was left, instead of a loop that runs until the Lambda times out.
 */
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { retry } from '../domain/retry';

/** Up to ~4 s of waiting in all (full jitter, 50 ms doubling to a 1 s cap) over 8 calls. */
export const UNPROCESSED_RETRY = { attempts: 8, baseMs: 50, capMs: 1_000 } as const;

/** Some of a batch was still unprocessed after a call. */
export class UnprocessedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnprocessedError';
  }
}

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;

/** Every item found among `keys` (absent keys are simply not returned), 100 keys per call. */
export const batchGetAll = async (
  doc: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly Record<string, unknown>[],
  options: { readonly consistent?: boolean } = {},
): Promise<Record<string, unknown>[]> => {
  const found: Record<string, unknown>[] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    let pending = keys.slice(start, start + BATCH_GET_LIMIT);
    await retry(
      async () => {
        const output = await doc.send(
          new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: options.consistent === true } } }),
        );
        found.push(...(output.Responses?.[tableName] ?? []));
        pending = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
        if (pending.length > 0)
          throw new UnprocessedError(`BatchGetItem left ${pending.length} keys of ${tableName} unprocessed (throttled)`);
      },
      { ...UNPROCESSED_RETRY, retryable: (error) => error instanceof UnprocessedError },
    );
  }
  return found;
};

/** Runs every put and delete request, 25 per call. */
export const batchWriteAll = async (
  doc: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly Record<string, unknown>[],
): Promise<void> => {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
    let pending = requests.slice(start, start + BATCH_WRITE_LIMIT);
    await retry(
      async () => {
        const output = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = (output.UnprocessedItems?.[tableName] ?? []) as Record<string, unknown>[];
        if (pending.length > 0)
          throw new UnprocessedError(`BatchWriteItem left ${pending.length} items of ${tableName} unprocessed (throttled)`);
      },
      { ...UNPROCESSED_RETRY, retryable: (error) => error instanceof UnprocessedError },
    );
  }
};
