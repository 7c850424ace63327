import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SweepIndex } from '../ports';

/** Key of a shard's watermark item (the last bucket swept completely) in the presence table. */
export const watermarkKey = (shard: number) => ({ pk: `SWEEP#${shard}`, sk: 'WATERMARK' });

/**
 * The sparse `sweep` index of the presence table: one Query per (bucket, shard) slot, reading only
 * items whose check time has passed, and one small item per shard for its watermark.
 */
export class DynamoDbSweepIndex implements SweepIndex {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async *due(bucket: number, shard: number, now: number): AsyncIterable<readonly string[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'sweep',
          KeyConditionExpression: 'sweepKey = :slot AND sweepAt <= :now',
          ExpressionAttributeValues: { ':slot': `${bucket}#${shard}`, ':now': now },
          ExclusiveStartKey: start,
        }),
      );
      const userIds = (page.Items ?? [])
        .map((item) => String(item.pk))
        .filter((pk) => pk.startsWith('U#'))
        .map((pk) => pk.slice(2));
      if (userIds.length > 0) yield userIds;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  async watermark(shard: number): Promise<number | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: watermarkKey(shard), ConsistentRead: true }));
    return typeof Item?.bucket === 'number' ? Item.bucket : null;
  }

  async advance(shard: number, bucket: number): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...watermarkKey(shard), bucket },
          ConditionExpression: 'attribute_not_exists(pk) OR #bucket < :bucket',
          ExpressionAttributeNames: { '#bucket': 'bucket' },
          ExpressionAttributeValues: { ':bucket': bucket },
        }),
      );
    } catch (error) {
      // An overlapping sweep of the same shard already went further: nothing to record.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
