import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ATTEMPT_COUNTER_KEY_PREFIX } from '../shared/environment';
import type { AttemptCounter, Clock, Taken } from '../ports';

/**
 * Fixed-window attempt counters in the presence table: one item per key and window. Taking an
 * attempt is one conditional `ADD` (`attempts < limit`), so the check and the count cannot be
 * split by a parallel caller; a refused attempt writes nothing. TTL removes an item an hour after
 * its window (garbage collection only: the window is part of the key, so a late delete is harmless).
 */
export class DynamoDbAttemptCounter implements AttemptCounter {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { readonly prefix: string; readonly windowMs: number; readonly clock: Clock },
  ) {}

  async take(key: string, limit: number): Promise<Taken> {
    const now = this.options.clock();
    const window = Math.floor(now / this.options.windowMs);
    const windowEnd = (window + 1) * this.options.windowMs;
    const itemKey = { pk: `${ATTEMPT_COUNTER_KEY_PREFIX}${this.options.prefix}#${key}`, sk: String(window) };
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey,
          UpdateExpression: 'ADD attempts :one SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(attempts) OR attempts < :limit',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':limit': limit, ':ttl': Math.ceil(windowEnd / 1000) + 3600 },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return { allowed: false, retryAfterMs: windowEnd - now };
      throw error;
    }
    return { allowed: true, giveBack: () => this.giveBack(itemKey) };
  }

  /** Uncounts one attempt in the window it was taken in; never below zero. */
  private async giveBack(itemKey: { pk: string; sk: string }): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: itemKey,
          UpdateExpression: 'ADD attempts :minusOne',
          ConditionExpression: 'attempts > :zero',
          ExpressionAttributeValues: { ':minusOne': -1, ':zero': 0 },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
