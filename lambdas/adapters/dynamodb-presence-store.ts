import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../domain/errors';
import {
  type Lease,
  type PresenceChange,
  type PresencePolicy,
  type PresenceState,
  emptyPresence,
  nextCheckAt,
} from '../domain/presence';
import type { Clock, PresenceStore, ReadOptions } from '../ports';
import { batchGetAll } from './dynamodb-batches';
import { sweepSlotAt } from '../domain/sweep';

/** Key of a user's presence item in the single presence table. */
export const userKey = (userId: string) => ({ pk: `U#${userId}`, sk: 'STATE' });

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
  leases?: Record<string, Lease>;
  /** Sparse index attributes: present while the user has a lease or a grace to check. */
  sweepKey?: string;
  sweepAt?: number;
  /** Present only on writes that change the visible status: the stream filter lets only these through. */
  change?: { status: string; lastSeen?: number; changedAt: number };
}

const fromItem = (item: PresenceItem): PresenceState => ({
  userId: item.userId,
  version: item.version,
  manual: item.manual,
  announced: item.announced,
  changedAt: item.changedAt ?? null,
  lastSeen: item.lastSeen ?? null,
  pendingSince: item.pendingSince ?? null,
  leases: item.leases ?? {},
});

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
    return (Item?.leases as Record<string, Lease> | undefined)?.[leaseId] ?? null;
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
      ...(checkAt === null
        ? {}
        : { sweepKey: sweepSlotAt(state.userId, checkAt, (this.options.clock ?? Date.now)(), this.options.sweepShards, this.options.sweepBucketMs), sweepAt: checkAt }),
      ...(change === null ? {} : { change: { status: change.status, changedAt: change.changedAt, ...optional('lastSeen', change.lastSeen) } }),
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
      if (error instanceof ConditionalCheckFailedException) {
        const current = error.Item === undefined ? undefined : fromItem(unmarshall(error.Item) as PresenceItem);
        throw new ConcurrentUpdateError(`Presence of user ${state.userId} changed concurrently`, { cause: error, current });
      }
      throw error;
    }
    return next;
  }
}
