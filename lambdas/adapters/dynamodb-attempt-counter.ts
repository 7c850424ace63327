import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttemptCounter, Clock, Taken } from '../ports';
import { ATTEMPT_COUNTER_KEY_PREFIX } from '../shared/environment';

/** Rounds of compare-and-set before giving up on a key many callers change at once. */
const MAX_ROUNDS = 8;

type ItemKey = { readonly pk: string; readonly sk: string };

/**
 * Sliding-window attempt counters in the presence table: one item per key holding the moments of
 * its attempts (`at`, at most `limit` of them), so at most `limit` attempts pass in ANY
 * window-long span (fixed windows let twice the limit through across a window's edge).
 *
 * Every step is one conditional UpdateItem (the only call the log-in function may make on these
 * items): while the list has room, an append conditioned on its size; when it is full, a
 * compare-and-set that drops the moments older than the window, conditioned on the list it read
 * (handed back by the failed condition, `ReturnValuesOnConditionCheckFailure`). Parallel callers
 * can never pass together; a refused attempt writes nothing. TTL removes an item an hour after its
 * newest attempt left the window (garbage collection only: expired moments are ignored anyway).
 */
export class DynamoDbAttemptCounter implements AttemptCounter {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { readonly prefix: string; readonly windowMs: number; readonly clock: Clock },
  ) {}

  async take(key: string, limit: number): Promise<Taken> {
    const now = this.options.clock();
    const itemKey: ItemKey = { pk: `${ATTEMPT_COUNTER_KEY_PREFIX}${this.options.prefix}#${key}`, sk: 'attempts' };
    const ttl = Math.ceil((now + this.options.windowMs) / 1000) + 3600;
    // Unknown until the append fails: then the failed condition hands back the list it saw.
    let seen: readonly number[] | undefined;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      if (seen === undefined || seen.length < limit) {
        const appended = await this.update(itemKey, {
          UpdateExpression: 'SET #at = list_append(if_not_exists(#at, :empty), :now), #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#at) OR size(#at) < :limit',
          ExpressionAttributeNames: { '#at': 'at', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':empty': [], ':now': [now], ':limit': limit, ':ttl': ttl },
        });
        if (appended.ok) return { allowed: true, giveBack: () => this.giveBack(itemKey, now) };
        seen = appended.current;
        continue;
      }
      const live = seen.filter((at) => at > now - this.options.windowMs);
      if (live.length >= limit) return { allowed: false, retryAfterMs: Math.min(...live) + this.options.windowMs - now };
      const swapped = await this.update(itemKey, {
        UpdateExpression: 'SET #at = :next, #ttl = :ttl',
        ConditionExpression: '#at = :seen',
        ExpressionAttributeNames: { '#at': 'at', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':next': [...live, now], ':seen': seen, ':ttl': ttl },
      });
      if (swapped.ok) return { allowed: true, giveBack: () => this.giveBack(itemKey, now) };
      seen = swapped.current;
    }
    throw new Error(`Attempt counter ${key} kept changing under ${MAX_ROUNDS} rounds of compare-and-set`);
  }

  /** Uncounts the attempt taken at `at`: removes one such moment, if the list still holds one. */
  private async giveBack(itemKey: ItemKey, at: number): Promise<void> {
    let seen: readonly number[] | undefined;
    for (let round = 0; round < MAX_ROUNDS; round += 1) {
      // The first round writes nothing (its condition never holds): it learns the list from the failure.
      const index = seen === undefined ? -1 : seen.lastIndexOf(at);
      if (seen !== undefined && index < 0) return;
      const removed = await this.update(
        itemKey,
        seen === undefined
          ? {
              UpdateExpression: 'SET #at = #at',
              ConditionExpression: 'attribute_exists(#at) AND attribute_not_exists(#at)',
              ExpressionAttributeNames: { '#at': 'at' },
            }
          : {
              UpdateExpression: `REMOVE #at[${index}]`,
              ConditionExpression: '#at = :seen',
              ExpressionAttributeNames: { '#at': 'at' },
              ExpressionAttributeValues: { ':seen': seen },
            },
      );
      if (removed.ok) return;
      seen = removed.current;
    }
    throw new Error(`Attempt counter ${itemKey.pk} kept changing under ${MAX_ROUNDS} rounds of compare-and-set`);
  }

  /** One conditional update; a failed condition returns the attempts the item held. */
  private async update(
    itemKey: ItemKey,
    expression: Pick<
      UpdateCommand['input'],
      'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<{ readonly ok: true } | { readonly ok: false; readonly current: readonly number[] }> {
    try {
      await this.doc.send(
        new UpdateCommand({ TableName: this.tableName, Key: itemKey, ...expression, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );
      return { ok: true };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const item = error.Item === undefined ? {} : unmarshall(error.Item);
      return { ok: false, current: Array.isArray(item.at) ? item.at.map(Number) : [] };
    }
  }
}
