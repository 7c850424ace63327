import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ConcurrentUpdateError } from '../domain/errors';
import {
  emptyPresence,
  type Lease,
  nextCheckAt,
  type PresenceChange,
  type PresencePolicy,
  type PresenceState,
  type QuickClose,
} from '../domain/presence';
import { sweepSlotAt } from '../domain/sweep';
import type { Clock, PresenceStore, ReadOptions } from '../ports';
import { batchGetAll } from './dynamodb-batches';

/** Key of a user's presence item in the single presence table. */
export const userKey = (userId: string) => ({ pk: `U#${userId}`, sk: 'STATE' });

/** A lease as stored; `lastAlive` marks it closed by {@link DynamoDbPresenceStore.markClosed}. */
type StoredLease = Lease & { lastAlive?: number };

interface PresenceItem {
  pk: string;
  sk: string;
  userId: string;
  version: number;
  manual: PresenceState['manual'];
  announced: PresenceState['announced'];
  changedAt?: number;
  lastSeen?: number;
  pendingSince?: number;
  leases?: Record<string, StoredLease>;
  lastClosedAt?: number;
  /** Sparse index attributes: present while the user has a lease or a grace to check. */
  sweepKey?: string;
  sweepAt?: number;
  /** Present only on writes that change the visible status: the stream filter lets only these through. */
  change?: { status: string; lastSeen?: number; changedAt: number };
}

const fromItem = (item: PresenceItem): PresenceState => {
  const stored = Object.entries(item.leases ?? {});
  return {
    userId: item.userId,
    version: item.version,
    manual: item.manual,
    announced: item.announced,
    changedAt: item.changedAt ?? null,
    lastSeen: item.lastSeen ?? null,
    pendingSince: item.pendingSince ?? null,
    lastClosedAt: item.lastClosedAt ?? null,
    leases: Object.fromEntries(stored.filter(([, lease]) => lease.lastAlive === undefined)),
    closed: Object.fromEntries(stored.flatMap(([id, lease]) => (lease.lastAlive === undefined ? [] : [[id, lease.lastAlive]]))),
  };
};

/** Witnesses named in one condition: an expression may hold at most 4 KB (DynamoDB's limit); the rest are not needed to prove the point. */
const MAX_WITNESSES = 16;

const optional = <K extends string>(key: K, value: number | null): Partial<Record<K, number>> =>
  value === null ? {} : ({ [key]: value } as Record<K, number>);

/** User presence items in DynamoDB, written with a version condition (optimistic concurrency). */
export class DynamoDbPresenceStore implements PresenceStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: {
      readonly policy: PresencePolicy;
      readonly sweepShards: number;
      readonly sweepBucketMs: number;
      /** The writer's clock: a user is never indexed in a bucket already past, which a sweeper may have closed. */
      readonly clock?: Clock;
    },
  ) {}

  async load(userId: string): Promise<PresenceState> {
    const { Item } = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: userKey(userId), ConsistentRead: true }));
    return Item === undefined ? emptyPresence(userId) : fromItem(Item as PresenceItem);
  }

  async peekLease(userId: string, leaseId: string): Promise<Lease | null> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: userKey(userId),
        ProjectionExpression: 'leases.#id',
        ExpressionAttributeNames: { '#id': leaseId },
      }),
    );
    const lease = (Item?.leases as Record<string, StoredLease> | undefined)?.[leaseId];
    return lease === undefined || lease.lastAlive !== undefined ? null : lease;
  }

  async loadMany(userIds: readonly string[], options: ReadOptions = {}): Promise<Map<string, PresenceState>> {
    const items = await batchGetAll(this.doc, this.tableName, [...new Set(userIds)].map(userKey), { consistent: options.consistent });
    return new Map(items.map((item) => fromItem(item as unknown as PresenceItem)).map((state) => [state.userId, state]));
  }

  async save(state: PresenceState, change: PresenceChange | null): Promise<PresenceState> {
    const next = { ...state, version: state.version + 1 };
    const checkAt = nextCheckAt(next, this.options.policy);
    const item: PresenceItem = {
      ...userKey(state.userId),
      userId: state.userId,
      version: next.version,
      manual: next.manual,
      announced: next.announced,
      // No empty map: DynamoDB Local's stream records render an empty M as {} (not {"M":{}}).
      ...(Object.keys(next.leases).length > 0 ? { leases: { ...next.leases } } : {}),
      ...optional('changedAt', next.changedAt),
      ...optional('lastSeen', next.lastSeen),
      ...optional('pendingSince', next.pendingSince),
      ...optional('lastClosedAt', next.lastClosedAt),
      ...(checkAt === null
        ? {}
        : {
            sweepKey: sweepSlotAt(
              state.userId,
              checkAt,
              (this.options.clock ?? Date.now)(),
              this.options.sweepShards,
              this.options.sweepBucketMs,
            ),
            sweepAt: checkAt,
          }),
      ...(change === null
        ? {}
        : { change: { status: change.status, changedAt: change.changedAt, ...optional('lastSeen', change.lastSeen) } }),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: state.version === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeValues: state.version === 0 ? undefined : { ':expected': state.version },
          // A lost race returns the winning item: the retry decides on it without another read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      throw raced(error, state.userId);
    }
    return next;
  }

  /**
   * One UpdateItem that marks the lease (a closed lease stays in the map until the next versioned
   * write folds it): closes of one user's devices touch different paths and only their own lease
   * and a witness are conditions, so they never conflict with each other. `change` is removed so
   * the stream filter passes no record of it (nothing visible changed); the sweep index keeps the
   * user's earlier check time, when the sweeper's settle folds the mark and indexes it afresh.
   */
  async markClosed(userId: string, close: QuickClose): Promise<PresenceState> {
    const witnesses = close.witnesses.slice(0, MAX_WITNESSES);
    const open = (name: string) => `attribute_exists(#leases.${name}) AND attribute_not_exists(#leases.${name}.#lastAlive)`;
    // DynamoDB refuses redundant parentheses, as around a single witness's terms.
    const anyOpen = witnesses.length === 1 ? open('#w0') : witnesses.map((_, i) => `(${open(`#w${i}`)})`).join(' OR ');
    try {
      const { Attributes } = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: userKey(userId),
          UpdateExpression: 'SET #leases.#self.#lastAlive = :lastAlive, #version = #version + :one REMOVE #change',
          ConditionExpression: `#leases.#self.#renewedAt = :renewedAt AND attribute_not_exists(#leases.#self.#lastAlive) AND (${anyOpen})`,
          ExpressionAttributeNames: {
            '#leases': 'leases',
            '#self': close.leaseId,
            '#lastAlive': 'lastAlive',
            '#renewedAt': 'renewedAt',
            '#version': 'version',
            '#change': 'change',
            ...Object.fromEntries(witnesses.map((id, i) => [`#w${i}`, id])),
          },
          ExpressionAttributeValues: { ':lastAlive': close.lastAlive, ':renewedAt': close.renewedAt, ':one': 1 },
          ReturnValues: 'ALL_NEW',
          // As in save: a lost race returns the item as it is, and the retry decides on it without another read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return fromItem(Attributes as PresenceItem);
    } catch (error) {
      throw raced(error, userId);
    }
  }
}

/** A failed condition becomes a ConcurrentUpdateError carrying the item that made it fail. */
const raced = (error: unknown, userId: string): unknown => {
  if (!(error instanceof ConditionalCheckFailedException)) return error;
  const current = error.Item === undefined ? undefined : fromItem(unmarshall(error.Item) as PresenceItem);
  return new ConcurrentUpdateError(`Presence of user ${userId} changed concurrently`, { cause: error, current });
};
