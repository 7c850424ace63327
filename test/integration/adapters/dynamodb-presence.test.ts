/**
 * The DynamoDB adapters against real DynamoDB Local through the real SDK: conditional writes
 * really conflict, batches really page, and the sweep index really lists what is due.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  CONNECTION_MAX_SECONDS,
  connectionKey,
  DynamoDbConnectionRegistry,
  watchKey,
} from '../../../lambdas/adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStore } from '../../../lambdas/adapters/dynamodb-presence-store';
import { DynamoDbSweepIndex } from '../../../lambdas/adapters/dynamodb-sweep-index';
import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { ConcurrentUpdateError, TooManySubscriptionsError } from '../../../lambdas/domain/errors';
import {
  effectiveStatus,
  emptyPresence,
  markClosed,
  openLease,
  type PresenceState,
  policyFromSeconds,
  quickClose,
  renewLease,
} from '../../../lambdas/domain/presence';
import { type Applied, PresenceService } from '../../../lambdas/domain/presence-service';
import { bucketOf, shardOf } from '../../../lambdas/domain/sweep';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { createTables } from '../../../local/dynamodb/tables';
import { localDocumentClient } from '../../helpers/dynamodb';

const TABLE = 'presence';
const policy = policyFromSeconds(150, 3);
let dynamo: DynamoDbLocal;
let doc: DynamoDBDocumentClient;
let store: DynamoDbPresenceStore;
let registry: DynamoDbConnectionRegistry;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  await createTables(dynamo.endpoint, { presence: TABLE });
  doc = localDocumentClient(dynamo.endpoint);
  store = new DynamoDbPresenceStore(doc, TABLE, { policy, sweepShards: 4, sweepBucketMs: 60_000 });
  registry = new DynamoDbConnectionRegistry(doc, TABLE);
}, 60_000);

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

describe('DynamoDbPresenceStore', () => {
  it('refuses a write based on a stale version', async () => {
    const first = await store.save(openLease(emptyPresence('u1'), 'c1', 'ws', Date.now(), policy).state, null);

    await store.save(first, null);

    await expect(store.save(first, null)).rejects.toThrow(ConcurrentUpdateError);
  });

  it('hands back the state that won a version race, so the loser retries without another read', async () => {
    const first = await store.save(openLease(emptyPresence('u-race'), 'c1', 'ws', Date.now(), policy).state, null);
    const winner = await store.save(openLease(first, 'c2', 'ws', Date.now(), policy).state, null);

    const lost = await store.save(first, null).catch((error: unknown) => error);

    expect(lost).toBeInstanceOf(ConcurrentUpdateError);
    expect((lost as ConcurrentUpdateError).current).toEqual(winner);
  });

  it('ends in the right state when many devices connect and disconnect at once', async () => {
    const service = new PresenceService({ store, policy, clock: Date.now });
    const connections = new ConnectionService({
      presence: service,
      store,
      registry,
      directory: { findMany: async () => [] },
      graceTimer: { schedule: async () => undefined },
      clock: Date.now,
    });
    const ids = Array.from({ length: 12 }, (_, i) => `dev${i}=`);
    await Promise.all(ids.map((id) => connections.connect(id, 'u2')));

    await Promise.all(ids.slice(0, 11).map((id) => connections.disconnect(id, 'u2')));

    const state = await store.load('u2');
    expect(Object.keys(state.leases)).toEqual(['dev11=']);
    expect(effectiveStatus(state, Date.now(), policy)).toBe('online');
  }, 60_000);

  it('settles 10 devices of one user disconnecting at once in at most 2 store attempts each: offline once, lastSeen the last disconnect', async () => {
    // The churn bench's unit of work: 10 devices of one user cut together. Writes to the user's
    // item are counted below the adapter, at the SDK.
    let time = Date.now();
    const clock = () => time;
    const writes = { sent: 0, conditionFailed: 0 };
    const counted = localDocumentClient(dynamo.endpoint);
    counted.middlewareStack.add(
      (next, context) => async (args) => {
        if (!/^(Put|Update)(Item)?Command$/.test(context.commandName ?? '')) return next(args);
        const input = args.input as { Item?: { pk?: unknown }; Key?: { pk?: unknown } };
        if (JSON.stringify((input.Item ?? input.Key)?.pk)?.includes('U#burst') !== true) return next(args);
        writes.sent += 1;
        try {
          return await next(args);
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') writes.conditionFailed += 1;
          throw error;
        }
      },
      { step: 'initialize', name: 'countPresenceWrites' },
    );
    const countedStore = new DynamoDbPresenceStore(counted, TABLE, { policy, sweepShards: 4, sweepBucketMs: 60_000, clock });
    const applied: Applied[] = [];
    const service = new PresenceService({ store: countedStore, policy, clock, onApplied: (each) => applied.push(each) });
    const connections = new ConnectionService({
      presence: service,
      store: countedStore,
      registry,
      directory: { findMany: async () => [] },
      graceTimer: { schedule: async () => undefined },
      clock,
    });
    const devices = Array.from({ length: 10 }, (_, i) => `burst${i}AAAAAAAAA=`);
    for (const id of devices) await connections.connect(id, 'burst');
    const connectedAt = time;
    time += 60_000;
    // Device i was last alive 100 ms after device i-1; the latest starts first, so it is unlikely to be the last one applied.
    const closedAt = (i: number) => connectedAt + 50_000 + i * 100;
    applied.length = 0;
    writes.sent = 0;

    const results = await Promise.allSettled(
      [...devices.keys()].reverse().map((i) => connections.disconnect(devices[i], 'burst', closedAt(i))),
    );

    counted.destroy();
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const offline = applied.flatMap(({ change }) => (change?.status === 'offline' ? [change] : []));
    expect(offline).toEqual([expect.objectContaining({ status: 'offline', lastSeen: closedAt(9) })]);
    expect(await store.load('burst')).toMatchObject({ announced: 'offline', lastSeen: closedAt(9), leases: {} });
    expect(Math.max(...applied.map(({ attempts }) => attempts))).toBeLessThanOrEqual(2);
    expect(writes.sent).toBeLessThanOrEqual(12);
  }, 60_000);

  it('reads many users in one batch, leaving out those with nothing stored', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `many${i}`);
    await Promise.all(ids.slice(0, 120).map((id) => store.save(openLease(emptyPresence(id), 'c', 'http', Date.now(), policy).state, null)));

    const found = await store.loadMany(ids);

    expect(found.size).toBe(120);
    expect(found.get('many7')?.leases.c?.kind).toBe('http');
  }, 60_000);
});

describe('DynamoDbPresenceStore.markClosed', () => {
  const T = Date.UTC(2026, 11, 5, 1, 0, 0);
  const rawItem = async (userId: string) =>
    (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `U#${userId}`, sk: 'STATE' }, ConsistentRead: true }))).Item;
  const twoDevices = async (userId: string) => {
    const online = openLease(emptyPresence(userId), 'a', 'ws', T, policy);
    const one = await store.save(online.state, online.change);
    return store.save(openLease(one, 'b', 'ws', T + 1_000, policy).state, null);
  };
  const quick = (state: PresenceState, leaseId: string, now: number) => {
    const close = quickClose(state, leaseId, now, policy);
    if (close === null) throw new Error(`no quick close of ${leaseId}`);
    return close;
  };

  it('marks the lease closed, bumps the version and drops the change attribute, so the stream filter passes nothing', async () => {
    const online = openLease(emptyPresence('mark1'), 'a', 'ws', T, policy);
    const one = await store.save(online.state, online.change);
    const two = openLease(one, 'b', 'ws', T + 1_000, policy);
    // A write that carries a change (as the user's first connection's did) keeps it until the next write.
    const state = await store.save(two.state, online.change);
    expect((await rawItem('mark1'))?.change).toBeDefined();

    const marked = await store.markClosed('mark1', quick(state, 'a', T + 5_000));

    expect(marked).toEqual({ ...markClosed(state, quick(state, 'a', T + 5_000)), version: state.version + 1 });
    expect(await store.load('mark1')).toEqual(marked);
    expect((await rawItem('mark1'))?.change).toBeUndefined();
    expect(await store.peekLease('mark1', 'a')).toBeNull();
    expect(await store.peekLease('mark1', 'b')).toMatchObject({ kind: 'ws', renewedAt: T + 1_000 });
  });

  it('refuses the mark when no witness is open any more, handing back the item as it is', async () => {
    const state = await twoDevices('mark2');
    const closeA = quick(state, 'a', T + 5_000);
    const afterB = await store.markClosed('mark2', quick(state, 'b', T + 5_000));

    const lost = await store.markClosed('mark2', closeA).catch((error: unknown) => error);

    expect(lost).toBeInstanceOf(ConcurrentUpdateError);
    expect((lost as ConcurrentUpdateError).current).toEqual(afterB);
  });

  it('refuses the mark when the lease was renewed since it was read', async () => {
    const state = await twoDevices('mark3');
    const closeA = quick(state, 'a', T + 5_000);
    await store.save(renewLease(state, 'a', 'ws', T + 80_000, policy).state, null);

    await expect(store.markClosed('mark3', closeA)).rejects.toThrow(ConcurrentUpdateError);
  });

  it('makes a versioned write based on a read before the mark decide again, and that write folds the mark', async () => {
    const state = await twoDevices('mark4');
    await store.markClosed('mark4', quick(state, 'a', T + 5_000));

    await expect(store.save(openLease(state, 'c', 'ws', T + 6_000, policy).state, null)).rejects.toThrow(ConcurrentUpdateError);
    const service = new PresenceService({ store, policy, clock: () => T + 6_000 });
    await service.apply('mark4', (current, now) => openLease(current, 'c', 'ws', now, policy));

    expect(await store.load('mark4')).toMatchObject({
      leases: { b: expect.anything(), c: expect.anything() },
      closed: {},
      lastClosedAt: T + 5_000,
    });
    expect(Object.keys((await rawItem('mark4'))?.leases ?? {}).sort()).toEqual(['b', 'c']);
  });

  it('closes one of 60 devices with a condition DynamoDB accepts (an expression is limited to 4 KB)', async () => {
    let many = emptyPresence('mark6');
    for (let i = 0; i < 60; i += 1) many = openLease(many, `device-${i}-AAAAAAAAAAAA=`, 'ws', T + i, policy).state;
    const state = await store.save(many, null);

    const marked = await store.markClosed('mark6', quick(state, 'device-0-AAAAAAAAAAAA=', T + 5_000));

    expect(Object.keys(marked.leases)).toHaveLength(59);
    expect(marked.closed).toEqual({ 'device-0-AAAAAAAAAAAA=': T + 5_000 });
  });

  it('fails with the SDK error, not a version race, when DynamoDB does not answer', async () => {
    const state = await twoDevices('mark5');
    const unreachable = localDocumentClient('http://127.0.0.1:9', { maxAttempts: 1 });
    const broken = new DynamoDbPresenceStore(unreachable, TABLE, { policy, sweepShards: 4, sweepBucketMs: 60_000 });

    const failure = broken.markClosed('mark5', quick(state, 'a', T + 5_000));

    await expect(failure).rejects.toThrow();
    await expect(failure).rejects.not.toBeInstanceOf(ConcurrentUpdateError);
    unreachable.destroy();
  });
});

describe('DynamoDbSweepIndex', () => {
  const listed = async (index: DynamoDbSweepIndex, userId: string, at: number, now: number): Promise<string[]> => {
    const found: string[] = [];
    for await (const page of index.due(bucketOf(at, 60_000), shardOf(userId, 4), now)) found.push(...page);
    return found;
  };

  it('lists users whose lease ran out in their (bucket, shard) slot, and not those still within it', async () => {
    const now = Date.now();
    await store.save(openLease(emptyPresence('due-soon'), 'c', 'http', now - 200_000, policy).state, null);
    await store.save(openLease(emptyPresence('due-later'), 'c', 'http', now, policy).state, null);
    const index = new DynamoDbSweepIndex(doc, TABLE);

    // Written now, a check time already past goes to the current bucket: never behind a watermark.
    expect(await listed(index, 'due-soon', now, now)).toContain('due-soon');
    expect(await listed(index, 'due-later', now + 150_000, now)).not.toContain('due-later');
    expect(await listed(index, 'due-later', now + 150_000, now + 150_000)).toContain('due-later');
  });

  it('keeps a watermark per shard that only moves forward', async () => {
    const index = new DynamoDbSweepIndex(doc, TABLE);

    expect(await index.watermark(3)).toBeNull();
    await index.advance(3, 100);
    await index.advance(3, 90);
    await index.advance(2, 5);

    expect(await index.watermark(3)).toBe(100);
    expect(await index.watermark(2)).toBe(5);
  });
});

describe('DynamoDbConnectionRegistry', () => {
  const watchersOf = async (userId: string, from: DynamoDbConnectionRegistry = registry): Promise<string[]> => {
    const found: string[] = [];
    for await (const page of from.watchers(userId)) found.push(...page.map((w) => w.connectionId));
    return found.sort();
  };

  it("finds every watcher of a user; a closed connection's watches stay, unwritten, until its 2-hour limit", async () => {
    const connectedAt = Date.now();
    const watchers = Array.from({ length: 30 }, (_, i) => `w${String(i).padStart(2, '0')}AAAAAAAAAAA=`);
    for (const id of watchers) {
      await registry.register({ connectionId: id, userId: `owner-${id}`, connectedAt });
      await registry.subscribe(id, ['star', 'other'], 1000);
    }

    await registry.remove(watchers[0]);

    expect(await registry.exists(watchers[0])).toBe(false);
    expect(await registry.exists(watchers[1])).toBe(true);
    // Still listed (a post to it gets a 410) until API Gateway's limit for it has passed.
    expect(await watchersOf('star')).toEqual(watchers);
    const afterLimit = new DynamoDbConnectionRegistry(doc, TABLE, () => connectedAt + CONNECTION_MAX_SECONDS * 1000 + 1000);
    const justBefore = new DynamoDbConnectionRegistry(doc, TABLE, () => connectedAt + CONNECTION_MAX_SECONDS * 1000 - 1000);
    expect(await watchersOf('star', afterLimit)).toEqual([]);
    expect(await watchersOf('star', justBefore)).toEqual(watchers);
  }, 60_000);

  it('pages the watchers of a user with a cursor: every watcher exactly once, pages no bigger than asked', async () => {
    const connectedAt = Date.now();
    const ids = Array.from({ length: 7 }, (_, i) => `pg${i}AAAAAAAAAAAA=`);
    for (const id of ids) {
      await registry.register({ connectionId: id, userId: `owner-${id}`, connectedAt });
      await registry.subscribe(id, ['paged'], 1000);
    }

    const pages: string[][] = [];
    let after: string | null = null;
    do {
      const page = await registry.watcherPage('paged', after, 3);
      pages.push(page.watchers.map((w) => w.connectionId));
      after = page.next;
    } while (after !== null);

    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat().sort()).toEqual(ids);
    const broken = new DynamoDbConnectionRegistry(localDocumentClient('http://127.0.0.1:9', { maxAttempts: 1 }), TABLE);
    await expect(broken.watcherPage('paged', null, 3)).rejects.toThrow();
  }, 60_000);

  it('stops listing a connection for the users it unsubscribes from, and only those', async () => {
    await registry.register({ connectionId: 'unsubAAAAAAAAA=', userId: 'u8', connectedAt: Date.now() });
    await registry.subscribe('unsubAAAAAAAAA=', ['ua', 'ub'], 1000);

    await registry.unsubscribe('unsubAAAAAAAAA=', ['ua', 'never-watched']);

    expect(await watchersOf('ua')).toEqual([]);
    expect(await watchersOf('ub')).toEqual(['unsubAAAAAAAAA=']);
    expect((await registry.get('unsubAAAAAAAAA='))?.subscriptions).toEqual(['ub']);
  });

  it('still lists a watch written before the key carried the connection limit (its connection may be open)', async () => {
    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: 'W#legacy', sk: 'oldAAAAAAAAAAA=', watcher: 'u1', ttl: Math.floor(Date.now() / 1000) + 3600 },
      }),
    );

    expect(await watchersOf('legacy')).toEqual(['oldAAAAAAAAAAA=']);
  });

  it('removes on unsubscribe a watch the connection list does not show (a subscribe that failed half-way)', async () => {
    const connectedAt = Date.now();
    await registry.register({ connectionId: 'orphanAAAAAAAA=', userId: 'u7', connectedAt });
    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: {
          ...watchKey('uo', 'orphanAAAAAAAA=', Math.floor(connectedAt / 1000) + CONNECTION_MAX_SECONDS),
          watcher: 'u7',
          ttl: Math.floor(connectedAt / 1000) + 3600,
        },
      }),
    );
    expect(await watchersOf('uo')).toEqual(['orphanAAAAAAAA=']);

    await registry.unsubscribe('orphanAAAAAAAA=', ['uo']);

    expect(await watchersOf('uo')).toEqual([]);
  });

  it('makes a subscribe that read the list before an unsubscribe write again, even when the unsubscribe found nothing listed', async () => {
    // The version a concurrent subscribe read before writing its watch: its list update is
    // conditional on it, and must fail once the unsubscribe (which deleted that watch) went through.
    await registry.register({ connectionId: 'raceAAAAAAAAAA=', userId: 'u6', connectedAt: Date.now() });
    const read = await doc.send(new GetCommand({ TableName: TABLE, Key: connectionKey('raceAAAAAAAAAA='), ConsistentRead: true }));

    await registry.unsubscribe('raceAAAAAAAAAA=', ['ur']);

    await expect(
      doc.send(
        new UpdateCommand({
          TableName: TABLE,
          Key: connectionKey('raceAAAAAAAAAA='),
          UpdateExpression: 'SET subs = :subs, version = :next',
          ConditionExpression: 'version = :version',
          ExpressionAttributeValues: { ':subs': new Set(['ur']), ':version': read.Item?.version, ':next': Number(read.Item?.version) + 1 },
        }),
      ),
    ).rejects.toThrow(ConditionalCheckFailedException);
  });

  it('adds nothing from a subscribe that would pass the limit', async () => {
    await registry.register({ connectionId: 'capAAAAAAAAAAA=', userId: 'u9', connectedAt: Date.now() });
    await registry.subscribe('capAAAAAAAAAAA=', ['a', 'b'], 3);

    await expect(registry.subscribe('capAAAAAAAAAAA=', ['c', 'd'], 3)).rejects.toThrow(TooManySubscriptionsError);

    expect([...((await registry.get('capAAAAAAAAAAA='))?.subscriptions ?? [])].sort()).toEqual(['a', 'b']);
    expect(await watchersOf('c')).toEqual([]);
  });
});
