import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dueSlots } from '../domain/sweep';
import type { DueUsers } from '../ports';

/**
 * Users due for a re-check, from the sparse `sweep` index: one Query per (bucket, shard) for the
 * recent buckets, each reading only items whose check time has passed.
 */
export class DynamoDbDueUsers implements DueUsers {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { readonly shards: number; readonly bucketMs: number; readonly lookbackBuckets: number },
  ) {}

  async *due(now: number): AsyncIterable<readonly string[]> {
    for (const slot of dueSlots(now, this.options.shards, this.options.bucketMs, this.options.lookbackBuckets)) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: 'sweep',
            KeyConditionExpression: 'sweepKey = :slot AND sweepAt <= :now',
            ExpressionAttributeValues: { ':slot': slot, ':now': now },
            ExclusiveStartKey: start,
          }),
        );
        const userIds = (page.Items ?? []).map((item) => String(item.pk)).filter((pk) => pk.startsWith('U#')).map((pk) => pk.slice(2));
        if (userIds.length > 0) yield userIds;
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
  }
}
