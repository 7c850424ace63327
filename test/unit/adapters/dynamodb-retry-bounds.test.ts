/**
 * Every DynamoDB retry loop ends (review L3): a table that keeps throttling a batch, or a
 * connection whose version race never settles, ends in a clear error after a bounded number of
 * attempts instead of spinning for the whole Lambda timeout. DynamoDB Local never throttles, so
 * aws-sdk-client-mock plays the throttled table.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbAttemptCounter } from '../../../lambdas/adapters/dynamodb-attempt-counter';
import { connectionKey, DynamoDbConnectionRegistry } from '../../../lambdas/adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStore, userKey } from '../../../lambdas/adapters/dynamodb-presence-store';
import { policyFromSeconds } from '../../../lambdas/domain/presence';
import { RetriesExhaustedError } from '../../../lambdas/domain/retry';

const TABLE = 'presence';
const ddb = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
);
const store = new DynamoDbPresenceStore(doc, TABLE, { policy: policyFromSeconds(150, 3), sweepShards: 2, sweepBucketMs: 60_000 });
const registry = new DynamoDbConnectionRegistry(doc, TABLE);
const connection = { ...connectionKey('c1'), userId: 'u1', connectedAt: Date.now(), version: 3, ttl: 0 };

beforeEach(() => {
  ddb.reset();
});

it('gives up on keys that stay unprocessed, with a clear error, after a bounded number of BatchGetItem calls', async () => {
  ddb.on(BatchGetCommand).callsFake((input) => ({ Responses: { [TABLE]: [] }, UnprocessedKeys: input.RequestItems }));

  const failure = store.loadMany(['u1', 'u2']);

  await expect(failure).rejects.toThrow(RetriesExhaustedError);
  await expect(failure).rejects.toMatchObject({ cause: { message: expect.stringMatching(/2 keys .*unprocessed/) } });
  expect(ddb.commandCalls(BatchGetCommand).length).toBeLessThanOrEqual(10);
}, 30_000);

it('gives up on items that stay unprocessed, with a clear error, after a bounded number of BatchWriteItem calls', async () => {
  ddb.on(GetCommand).resolves({ Item: connection });
  ddb.on(BatchWriteCommand).callsFake((input) => ({ UnprocessedItems: input.RequestItems }));

  const failure = registry.subscribe('c1', ['u2', 'u3'], 1000);

  await expect(failure).rejects.toThrow(RetriesExhaustedError);
  await expect(failure).rejects.toMatchObject({ cause: { message: expect.stringMatching(/2 items .*unprocessed/) } });
  expect(ddb.commandCalls(BatchWriteCommand).length).toBeLessThanOrEqual(10);
}, 30_000);

it('still reads keys that were unprocessed once', async () => {
  ddb
    .on(BatchGetCommand)
    .resolvesOnce({ Responses: { [TABLE]: [] }, UnprocessedKeys: { [TABLE]: { Keys: [userKey('u1')] } } })
    .resolves({ Responses: { [TABLE]: [{ ...userKey('u1'), userId: 'u1', version: 1, manual: 'online', announced: 'offline' }] } });

  const states = await store.loadMany(['u1']);

  expect([...states.keys()]).toEqual(['u1']);
});

it.each([
  ['subscribe', () => registry.subscribe('c1', ['u2'], 1000)],
  ['unsubscribe', () => registry.unsubscribe('c1', ['u2'])],
])(
  'gives up a %s whose version race never settles after a bounded number of rounds',
  async (_name, act) => {
    ddb.on(GetCommand).resolves({ Item: connection });
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    await expect(act()).rejects.toThrow(RetriesExhaustedError);

    expect(ddb.commandCalls(UpdateCommand).length).toBeLessThanOrEqual(20);
  },
  60_000,
);

it('gives up on a log-in attempt counter whose full list keeps changing, after a bounded number of compare-and-sets', async () => {
  const window = 15 * 60_000;
  let round = 0;
  // Every call loses: the list it saw is replaced by another full one with a moment just expired.
  ddb.on(UpdateCommand).callsFake(() => {
    round += 1;
    throw new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: { at: { L: [{ N: String(1_000 - window - round) }, { N: '2000' }] } },
    });
  });
  const counter = new DynamoDbAttemptCounter(doc, TABLE, { prefix: 'login', windowMs: window, clock: () => 1_000 });

  await expect(counter.take('alice', 2)).rejects.toThrow(/kept changing/);
  expect(ddb.commandCalls(UpdateCommand).length).toBeLessThanOrEqual(8);
});
