import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NotFoundError, TooManySubscriptionsError } from '../domain/errors';
import type { Connection, ConnectionRegistry, Watcher } from '../ports';

/** API Gateway closes every connection after 2 hours; items outlive that by an hour, then TTL collects them. */
const ITEM_LIFETIME_SECONDS = 3 * 3600;
const BATCH_WRITE_LIMIT = 25;
const WATCHERS_PAGE = 1000;

export const connectionKey = (connectionId: string) => ({ pk: `C#${connectionId}`, sk: 'CONN' });
/** "Who watches user X" is one Query on this partition; sort key = the watching connection. */
export const watchKey = (userId: string, connectionId: string) => ({ pk: `W#${userId}`, sk: connectionId });

interface ConnectionItem {
  userId: string;
  connectedAt: number;
  subs?: Set<string>;
  version: number;
  ttl: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Connections and watches in the presence table. A connection item lists what it watches, so a
 * disconnect deletes its watches without a query; each watch is also an item under the watched
 * user, so fan-out finds the watchers with one Query.
 */
export class DynamoDbConnectionRegistry implements ConnectionRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async register(connection: Omit<Connection, 'subscriptions'>): Promise<void> {
    const item: ConnectionItem = {
      userId: connection.userId,
      connectedAt: connection.connectedAt,
      version: 1,
      ttl: Math.floor(connection.connectedAt / 1000) + ITEM_LIFETIME_SECONDS,
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...connectionKey(connection.connectionId), ...item } }));
  }

  async get(connectionId: string): Promise<Connection | null> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }));
    return Item === undefined ? null : toConnection(connectionId, Item as ConnectionItem);
  }

  async subscribe(connectionId: string, userIds: readonly string[], max: number): Promise<number> {
    for (;;) {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }));
      if (Item === undefined) throw new NotFoundError(`Connection ${connectionId} is closed`);
      const item = Item as ConnectionItem;
      const current = new Set(item.subs ?? []);
      const added = userIds.filter((id) => !current.has(id));
      if (current.size + added.length > max) {
        throw new TooManySubscriptionsError(`A connection may watch at most ${max} users; it watches ${current.size}`);
      }
      if (added.length === 0) return current.size;
      // Watch items first: a crash in between leaves orphans (collected by TTL, cleaned on 410), never a silent watch list.
      await this.writeAll(added.map((id) => ({ PutRequest: { Item: { ...watchKey(id, connectionId), watcher: item.userId, ttl: item.ttl } } })));
      if (await this.replaceSubs(connectionId, item.version, new Set([...current, ...added]))) return current.size + added.length;
    }
  }

  async unsubscribe(connectionId: string, userIds: readonly string[]): Promise<void> {
    // Watch items first, whether or not the connection item still exists (a stale watch has none).
    await this.writeAll(userIds.map((id) => ({ DeleteRequest: { Key: watchKey(id, connectionId) } })));
    for (;;) {
      const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }));
      if (Item === undefined) return;
      const item = Item as ConnectionItem;
      const remaining = new Set(item.subs ?? []);
      userIds.forEach((id) => remaining.delete(id));
      if (await this.replaceSubs(connectionId, item.version, remaining)) return;
    }
  }

  async remove(connectionId: string): Promise<Connection | null> {
    const { Attributes } = await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ReturnValues: 'ALL_OLD' }),
    );
    if (Attributes === undefined) return null;
    const connection = toConnection(connectionId, Attributes as ConnectionItem);
    await this.writeAll(connection.subscriptions.map((id) => ({ DeleteRequest: { Key: watchKey(id, connectionId) } })));
    return connection;
  }

  async *watchers(userId: string): AsyncIterable<readonly Watcher[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `W#${userId}` },
          ProjectionExpression: 'sk, watcher',
          ExclusiveStartKey: start,
          Limit: WATCHERS_PAGE,
        }),
      );
      const watchers = (page.Items ?? []).map((item) => ({ connectionId: String(item.sk), userId: String(item.watcher) }));
      if (watchers.length > 0) yield watchers;
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  }

  /** Conditional on the version read: a concurrent subscribe on the same connection retries. */
  private async replaceSubs(connectionId: string, version: number, subs: Set<string>): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: connectionKey(connectionId),
          // DynamoDB has no empty sets: an empty watch list is no attribute.
          UpdateExpression: subs.size > 0 ? 'SET subs = :subs, version = :next' : 'REMOVE subs SET version = :next',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ...(subs.size > 0 ? { ':subs': subs } : {}), ':version': version, ':next': version + 1 },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  private async writeAll(requests: Record<string, unknown>[]): Promise<void> {
    for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
      let batch = requests.slice(start, start + BATCH_WRITE_LIMIT);
      for (let attempt = 0; batch.length > 0; attempt += 1) {
        if (attempt > 0) await sleep(Math.min(50 * 2 ** attempt, 2_000));
        const output = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
        // BatchWriteItem hands back throttled parts as UnprocessedItems: retry them with backoff.
        batch = (output.UnprocessedItems?.[this.tableName] ?? []) as Record<string, unknown>[];
      }
    }
  }
}

const toConnection = (connectionId: string, item: ConnectionItem): Connection => ({
  connectionId,
  userId: item.userId,
  connectedAt: item.connectedAt,
  subscriptions: [...(item.subs ?? [])],
});
