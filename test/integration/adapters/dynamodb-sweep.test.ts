/**
 * The sweeper over the real sweep index (DynamoDB Local), with the clock moved by hand: what a
 * stop of the whole service for any length of time leaves behind is settled when it comes back.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { DynamoDbSweepIndex } from '../../../lambdas/adapters/dynamodb-sweep-index';
import { DynamoDbPresenceStore } from '../../../lambdas/adapters/dynamodb-presence-store';
import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { openLease, policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import { Sweeper } from '../../../lambdas/domain/sweeper';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { createTables } from '../../../local/dynamodb/tables';

const policy = policyFromSeconds(5, 1);
const BUCKET_MS = 60_000;
const SHARDS = 4;
let dynamo: DynamoDbLocal;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
  );
}, 60_000);

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

/** The production wiring of the sweeper over DynamoDB Local, with a clock the test moves. */
const world = async (start: number, table: string) => {
  await createTables(dynamo.endpoint, { presence: table });
  let now = start;
  const clock = () => now;
  const store = new DynamoDbPresenceStore(doc, table, { policy, sweepShards: SHARDS, sweepBucketMs: BUCKET_MS, clock });
  const presence = new PresenceService({ store, policy, clock });
  const connections = new ConnectionService({
    presence,
    store,
    registry: new DynamoDbConnectionRegistry(doc, table, clock),
    directory: { findMany: async () => [] },
    graceTimer: { schedule: async () => undefined },
    clock,
  });
  const sweeper = new Sweeper({
    index: new DynamoDbSweepIndex(doc, table),
    settings: { shards: SHARDS, bucketMs: BUCKET_MS, settleMs: 10_000, firstSweepBuckets: 10 },
    store,
    presence,
    connections,
    gateway: { post: async () => 'gone', lastActiveAt: async () => null, close: async () => undefined },
    clock,
  });
  return { store, presence, connections, sweeper, at: (t: number) => (now = t) };
};

describe('the sweeper after a stop of any length', () => {
  it.each([
    ['30 seconds', 30_000],
    ['14 minutes', 14 * 60_000],
    ['2 hours', 2 * 3600_000],
  ])('settles every lease that ran out during a stop of %s', async (_label, stopMs) => {
    const t0 = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS - 5 * 24 * 3600_000 + 3_000;
    const w = await world(t0, `presence-${stopMs}`);
    const [x, y] = [`x-${stopMs}`, `y-${stopMs}`];
    await w.sweeper.sweep();
    await w.connections.connect(`cx-${stopMs}`, x);
    await w.presence.apply(y, (state, now) => openLease(state, 'http', 'http', now, policy));
    w.at(t0 + 2_000);
    await w.sweeper.sweep();

    w.at(t0 + 2_000 + stopMs);
    const report = await w.sweeper.sweep();

    expect((await w.store.load(x)).announced).toBe('offline');
    expect((await w.store.load(y)).announced).toBe('offline');
    expect(report.changes).toBe(2);
  }, 60_000);
});
