import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError, NotFoundError, TooManySubscriptionsError } from '../domain/errors';
import { retry } from '../domain/retry';
import type { Connection, ConnectionRegistry, Watcher, WatcherPage } from '../ports';
import { batchWriteAll } from './dynamodb-batches';

/** API Gateway closes every connection after 2 hours at the latest (a hard limit), plus a minute for clock skew. */
export const CONNECTION_MAX_SECONDS = 2 * 3600 + 60;
/** Items outlive their connection by an hour, then TTL collects them (garbage collection only). */
const ITEM_LIFETIME_SECONDS = 3 * 3600;
const WATCHERS_PAGE = 1000;
/** Frames racing on one connection's watch list: 10 rounds, full jitter from 10 ms to a 320 ms cap. */
const VERSION_RACE_RETRY = { attempts: 10, baseMs: 10, capMs: 320 } as const;

export const connectionKey = (connectionId: string) => ({ pk: `C#${connectionId}`, sk: 'CONN' });
/**
 * "Who watches user X" is one Query on this partition. The sort key starts with the end of the
 * watching connection's life (epoch seconds, zero-padded), so the Query reads only watches whose
 * connection may still be open: a closed connection's watches need no delete, they drop out of
 * the key range by themselves.
 */
export const watchKey = (userId: string, connectionId: string, until: number) => ({
  pk: `W#${userId}`,
  sk: `${untilKey(until)}#${connectionId}`,
});
const untilKey = (seconds: number) => String(seconds).padStart(11, '0');

interface ConnectionItem {
  userId: string;
  connectedAt: number;
  /** When the connection is closed at the latest (epoch seconds). */
  until?: number;
  subs?: Set<string>;
  version: number;
  ttl: number;
}

const untilOf = (item: Pick<ConnectionItem, 'until' | 'connectedAt'>): number =>
  item.until ?? Math.floor(item.connectedAt / 1000) + CONNECTION_MAX_SECONDS;

/**
 * Connections and watches in the presence table. A connection item lists what it watches (for
 * unsubscribe and the limit); each watch is also an item under the watched user, so fan-out finds
 * the watchers with one Query. Closing a connection deletes only its connection item: its watches
 * stay until the connection's 2-hour limit (posts to it get a 410), which saves one write per
 * watch per connection, i.e. on every reconnect.
 */
export class DynamoDbConnectionRegistry implements ConnectionRegistry {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async register(connection: Omit<Connection, 'subscriptions'>): Promise<void> {
    const item: ConnectionItem = {
      userId: connection.userId,
      connectedAt: connection.connectedAt,
      until: Math.floor(connection.connectedAt / 1000) + CONNECTION_MAX_SECONDS,
      version: 1,
      ttl: Math.floor(connection.connectedAt / 1000) + ITEM_LIFETIME_SECONDS,
    };
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { ...connectionKey(connection.connectionId), ...item } }));
  }

  async get(connectionId: string): Promise<Connection | null> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }),
    );
    return Item === undefined ? null : toConnection(connectionId, Item as ConnectionItem);
  }

  async subscribe(connectionId: string, userIds: readonly string[], max: number): Promise<number> {
    return this.untilVersionWon(async () => {
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }),
      );
      if (Item === undefined) throw new NotFoundError(`Connection ${connectionId} is closed`);
      const item = Item as ConnectionItem;
      const current = new Set(item.subs ?? []);
      const added = userIds.filter((id) => !current.has(id));
      if (current.size + added.length > max) {
        throw new TooManySubscriptionsError(`A connection may watch at most ${max} users; it watches ${current.size}`);
      }
      if (added.length === 0) return current.size;
      // Watch items first: a crash in between leaves orphans (removed by an unsubscribe, else ended by the connection's limit), never a silent watch list.
      await batchWriteAll(
        this.doc,
        this.tableName,
        added.map((id) => ({
          PutRequest: { Item: { ...watchKey(id, connectionId, untilOf(item)), watcher: item.userId, ttl: item.ttl } },
        })),
      );
      await this.replaceSubs(connectionId, item.version, new Set([...current, ...added]));
      return current.size + added.length;
    });
  }

  async unsubscribe(connectionId: string, userIds: readonly string[]): Promise<void> {
    await this.untilVersionWon(async () => {
      const { Item } = await this.doc.send(
        new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ConsistentRead: true }),
      );
      // A closed connection: nothing can be posted to it, and its watches end at its limit.
      if (Item === undefined) return;
      const item = Item as ConnectionItem;
      // Every requested id, listed or not: a subscribe that failed half-way, or one racing this
      // unsubscribe, may have written a watch its list does not show yet. Watch items first: once
      // the reply is sent, no event for these users may follow.
      await batchWriteAll(
        this.doc,
        this.tableName,
        userIds.map((id) => ({ DeleteRequest: { Key: watchKey(id, connectionId, untilOf(item)) } })),
      );
      const remaining = new Set(item.subs ?? []);
      userIds.forEach((id) => remaining.delete(id));
      // Written even when nothing changed: the version bump makes a concurrent subscribe re-read and
      // write its watch again, so its list and its watch items never disagree.
      await this.replaceSubs(connectionId, item.version, remaining);
    });
  }

  /** Re-runs `round` while another frame on the same connection wins the version race, a bounded number of times. */
  private untilVersionWon<T>(round: () => Promise<T>): Promise<T> {
    return retry(round, { ...VERSION_RACE_RETRY, retryable: (error) => error instanceof ConcurrentUpdateError });
  }

  async exists(connectionId: string): Promise<boolean> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: connectionKey(connectionId), ProjectionExpression: 'pk' }),
    );
    return Item !== undefined;
  }

  async remove(connectionId: string): Promise<void> {
    // Its watch items stay: they leave the watchers() key range at the connection's 2-hour limit.
    await this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: connectionKey(connectionId) }));
  }

  async *watchers(userId: string): AsyncIterable<readonly Watcher[]> {
    let after: string | null = null;
    do {
      const page: WatcherPage = await this.watcherPage(userId, after, WATCHERS_PAGE);
      if (page.watchers.length > 0) yield page.watchers;
      after = page.next;
    } while (after !== null);
  }

  /** The cursor is the last sort key read: pages continue with `sk >` it, as ExclusiveStartKey would. */
  async watcherPage(userId: string, after: string | null, limit: number): Promise<WatcherPage> {
    const now = untilKey(Math.floor(this.clock() / 1000));
    const page = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        // Only connections that may still be open: their 2-hour limit is still ahead.
        KeyConditionExpression: 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': `W#${userId}`, ':after': after !== null && after > now ? after : now },
        ProjectionExpression: 'sk, watcher',
        // Strongly consistent (twice the read units), as the subscribe snapshot is (review H3): a
        // subscribe writes its watch, then reads the user's presence; a change is written, then this
        // lists the watchers. With both reads consistent, one of them sees the other's write; with
        // an eventually consistent one, a lagging replica can hide the watch here while the
        // snapshot shows the status from before the change, and the subscriber never hears of it.
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    const items = page.Items ?? [];
    const watchers = items.map((item) => {
      const sk = String(item.sk);
      const at = sk.indexOf('#');
      // A watch written before the key carried the connection's limit (sk = the connection id): its
      // connection may still be open, so it is listed; a closed one answers 410, and TTL collects it.
      return { connectionId: at < 0 ? sk : sk.slice(at + 1), userId: String(item.watcher) };
    });
    return { watchers, next: page.LastEvaluatedKey === undefined || items.length === 0 ? null : String(items[items.length - 1].sk) };
  }

  /** Conditional on the version read: a concurrent frame on the same connection makes this round start again. */
  private async replaceSubs(connectionId: string, version: number, subs: Set<string>): Promise<void> {
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
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConcurrentUpdateError(`Connection ${connectionId} changed concurrently`, { cause: error });
      throw error;
    }
  }
}

const toConnection = (connectionId: string, item: ConnectionItem): Connection => ({
  connectionId,
  userId: item.userId,
  connectedAt: item.connectedAt,
  subscriptions: [...(item.subs ?? [])],
});
