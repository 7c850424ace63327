import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock, FailureCounter } from '../ports';

/**
 * Fixed-window failure counters in the presence table: one item per key and window, counted with
 * an atomic ADD, removed by TTL after the window (TTL is fine here: a stale counter only matters
 * inside its own window, which the key already encodes).
 */
export class DynamoDbFailureCounter implements FailureCounter {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { readonly prefix: string; readonly windowMs: number; readonly clock: Clock },
  ) {}

  private key(key: string) {
    const window = Math.floor(this.options.clock() / this.options.windowMs);
    return { pk: `RL#${this.options.prefix}#${key}`, sk: String(window), window };
  }

  async count(key: string): Promise<number> {
    const { pk, sk } = this.key(key);
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ProjectionExpression: 'failures' }));
    return typeof Item?.failures === 'number' ? Item.failures : 0;
  }

  async record(key: string): Promise<void> {
    const { pk, sk, window } = this.key(key);
    const expires = Math.ceil(((window + 1) * this.options.windowMs) / 1000) + 3600;
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk, sk },
        UpdateExpression: 'ADD failures :one SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': 1, ':ttl': expires },
      }),
    );
  }
}
