/**
 * The DynamoDB adapters against real DynamoDB Local through the real SDK: conditional writes
 * really conflict, batches really page, and the sweep index really lists what is due.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { DynamoDbDueUsers } from '../../../lambdas/adapters/dynamodb-due-users';
import { DynamoDbPresenceStore } from '../../../lambdas/adapters/dynamodb-presence-store';
import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { ConcurrentUpdateError, TooManySubscriptionsError } from '../../../lambdas/domain/errors';
import { effectiveStatus, emptyPresence, openLease, policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { createTables } from '../../../local/dynamodb/tables';

const TABLE = 'presence';
const policy = policyFromSeconds(150, 3);
let dynamo: DynamoDbLocal;
let doc: DynamoDBDocumentClient;
let store: DynamoDbPresenceStore;
let registry: DynamoDbConnectionRegistry;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  await createTables(dynamo.endpoint, { presence: TABLE });
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
  );
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

  it('reads many users in one batch, leaving out those with nothing stored', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `many${i}`);
    await Promise.all(ids.slice(0, 120).map((id) => store.save(openLease(emptyPresence(id), 'c', 'http', Date.now(), policy).state, null)));

    const found = await store.loadMany(ids);

    expect(found.size).toBe(120);
    expect(found.get('many7')?.leases.c?.kind).toBe('http');
  }, 60_000);
});

describe('DynamoDbDueUsers', () => {
  it('lists users whose lease ran out, and not those still within it', async () => {
    const now = Date.now();
    await store.save(openLease(emptyPresence('due-soon'), 'c', 'http', now - 200_000, policy).state, null);
    await store.save(openLease(emptyPresence('due-later'), 'c', 'http', now, policy).state, null);
    const due = new DynamoDbDueUsers(doc, TABLE, { shards: 4, bucketMs: 60_000, lookbackBuckets: 10 });

    const listed: string[] = [];
    for await (const page of due.due(now)) listed.push(...page);

    expect(listed).toContain('due-soon');
    expect(listed).not.toContain('due-later');
  });
});

describe('DynamoDbConnectionRegistry', () => {
  it('finds every watcher of a user across pages, and forgets them with the connection', async () => {
    const watchers = Array.from({ length: 30 }, (_, i) => `w${String(i).padStart(2, '0')}AAAAAAAAAAA=`);
    for (const id of watchers) {
      await registry.register({ connectionId: id, userId: `owner-${id}`, connectedAt: Date.now() });
      await registry.subscribe(id, ['star', 'other'], 1000);
    }
    await registry.remove(watchers[0]);

    const found: string[] = [];
    for await (const page of registry.watchers('star')) found.push(...page.map((w) => w.connectionId));

    expect(found.sort()).toEqual(watchers.slice(1));
  }, 60_000);

  it('adds nothing from a subscribe that would pass the limit', async () => {
    await registry.register({ connectionId: 'capAAAAAAAAAAA=', userId: 'u9', connectedAt: Date.now() });
    await registry.subscribe('capAAAAAAAAAAA=', ['a', 'b'], 3);

    await expect(registry.subscribe('capAAAAAAAAAAA=', ['c', 'd'], 3)).rejects.toThrow(TooManySubscriptionsError);

    expect([...((await registry.get('capAAAAAAAAAAA='))?.subscriptions ?? [])].sort()).toEqual(['a', 'b']);
    const watchersOfC: string[] = [];
    for await (const page of registry.watchers('c')) watchersOfC.push(...page.map((w) => w.connectionId));
    expect(watchersOfC).toEqual([]);
  });
});
