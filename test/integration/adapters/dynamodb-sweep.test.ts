/**
 * The sweeper over the real sweep index (DynamoDB Local), with the clock moved by hand: what a
 * stop of the whole service for any length of time leaves behind is settled when it comes back.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStore } from '../../../lambdas/adapters/dynamodb-presence-store';
import { DynamoDbSweepIndex } from '../../../lambdas/adapters/dynamodb-sweep-index';
import { ConnectionService } from '../../../lambdas/domain/connection-service';
import { openLease, policyFromSeconds } from '../../../lambdas/domain/presence';
import { PresenceService } from '../../../lambdas/domain/presence-service';
import { bucketOf, shardOf } from '../../../lambdas/domain/sweep';
import { Sweeper } from '../../../lambdas/domain/sweeper';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { createTables } from '../../../local/dynamodb/tables';
import { localDocumentClient } from '../../helpers/dynamodb';

const policy = policyFromSeconds(5, 1);
const BUCKET_MS = 60_000;
const SHARDS = 4;
let dynamo: DynamoDbLocal;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  doc = localDocumentClient(dynamo.endpoint);
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
  const index = new DynamoDbSweepIndex(doc, table);
  const closes: string[] = [];
  const sweeper = new Sweeper({
    index,
    settings: { shards: SHARDS, bucketMs: BUCKET_MS, settleMs: 10_000, firstSweepBuckets: 10 },
    store,
    presence,
    connections,
    gateway: { post: async () => 'gone', lastActiveAt: async () => null, close: async (id) => void closes.push(id) },
    clock,
  });
  return { store, presence, connections, sweeper, index, closes, at: (t: number) => (now = t) };
};

describe('the sweeper after a stop of any length', () => {
  it.each([
    ['30 seconds', 30_000],
    ['14 minutes', 14 * 60_000],
    ['2 hours', 2 * 3600_000],
  ])(
    'settles every lease that ran out during a stop of %s',
    async (_label, stopMs) => {
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
    },
    60_000,
  );
});

describe('two sweeps of one shard at once (a message delivered twice, or the next one while the last still runs)', () => {
  it('settle and close each user once, and the watermark ends at the furthest bucket, never moved back', async () => {
    const t0 = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS - 24 * 3600_000 + 3_000;
    const w = await world(t0, 'presence-overlap');
    const shard = 1;
    await w.sweeper.sweepShard(shard);
    const users = Array.from({ length: 40 }, (_, n) => `overlap-${n}`).filter((id) => shardOf(id, SHARDS) === shard);
    expect(users.length).toBeGreaterThanOrEqual(5);
    for (const user of users) await w.connections.connect(`c-${user}`, user);

    const later = t0 + 30 * 60_000;
    w.at(later);
    const reports = await Promise.all([w.sweeper.sweepShard(shard), w.sweeper.sweepShard(shard)]);

    for (const user of users) expect((await w.store.load(user)).announced).toBe('offline');
    expect(reports[0].changes + reports[1].changes).toBe(users.length);
    expect(w.closes.sort()).toEqual(users.map((user) => `c-${user}`).sort());
    const closed = bucketOf(later - 10_000, BUCKET_MS) - 1;
    expect(await w.index.watermark(shard)).toBe(closed);

    // The slower sweep of the two, started minutes earlier, records its older progress last.
    await w.index.advance(shard, closed - 5);
    expect(await w.index.watermark(shard)).toBe(closed);
  }, 60_000);
});
