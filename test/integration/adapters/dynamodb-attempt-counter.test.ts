/**
 * The log-in attempt counter against DynamoDB Local: a sliding window (at most `limit` attempts in
 * any window-long span, not per fixed window, which let twice the limit through across a window's
 * edge), whose check and count are one atomic step, so parallel takes never pass the limit together.
 */
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAttemptCounter } from '../../../lambdas/adapters/dynamodb-attempt-counter';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { createTables } from '../../../local/dynamodb/tables';
import { localDocumentClient } from '../../helpers/dynamodb';

const TABLE = 'presence';
const WINDOW_MS = 15 * 60_000;
let dynamo: DynamoDbLocal;
let doc: DynamoDBDocumentClient;
let now: number;

const counter = (tableName = TABLE) =>
  new DynamoDbAttemptCounter(doc, tableName, { prefix: 'test', windowMs: WINDOW_MS, clock: () => now });
const takeMany = async (key: string, limit: number, count: number) => {
  const results = [];
  for (let i = 0; i < count; i += 1) results.push(await counter().take(key, limit));
  return results;
};
const allowed = (results: readonly { allowed: boolean }[]) => results.filter((taken) => taken.allowed).length;
/** The attempts the store holds for `key` (their moments), whatever the layout. */
const storedAttempts = async (key: string): Promise<number> => {
  const { Item } = await doc.send(
    new GetCommand({ TableName: TABLE, Key: { pk: `RL#test#${key}`, sk: 'attempts' }, ConsistentRead: true }),
  );
  return (Item?.at as number[] | undefined)?.length ?? 0;
};

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  await createTables(dynamo.endpoint, { presence: TABLE });
  doc = localDocumentClient(dynamo.endpoint);
}, 60_000);

afterAll(async () => {
  doc?.destroy();
  await dynamo?.stop();
});

beforeEach(() => {
  // One minute into a 15-minute window of the clock, as the old fixed windows counted them.
  now = Math.floor(1_800_000_000_000 / WINDOW_MS) * WINDOW_MS + 60_000;
});

it('lets exactly the limit through when 40 takes arrive at once, and counts no refused one', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => counter().take('parallel', 10)));

  expect(allowed(results)).toBe(10);
  expect(await storedAttempts('parallel')).toBe(10);
});

it('lets no more than the limit through in any window-long span, also across the edge of a clock window', async () => {
  now += WINDOW_MS - 61_000; // one second before the old fixed window ended
  const before = await takeMany('edge', 10, 10);
  now += 2_000; // one second after

  const after = await takeMany('edge', 10, 10);

  expect([allowed(before), allowed(after)]).toEqual([10, 0]);
});

it('says how long until the oldest attempt leaves the window', async () => {
  await counter().take('wait', 2);
  now += 5_000;
  await counter().take('wait', 2);
  now += 1_000;

  const refused = await counter().take('wait', 2);

  expect(refused).toEqual({ allowed: false, retryAfterMs: WINDOW_MS - 6_000 });
});

it('has room for one more as soon as the oldest attempt is a window old, and only one', async () => {
  await counter().take('slide', 2);
  now += 5_000;
  await counter().take('slide', 2);
  now += WINDOW_MS - 5_000;

  const results = await Promise.all(Array.from({ length: 10 }, () => counter().take('slide', 2)));

  expect(allowed(results)).toBe(1);
  expect(await storedAttempts('slide')).toBe(2);
});

it('gives back exactly the attempt it counted, even after others were counted', async () => {
  const first = await counter().take('back', 3);
  now += 1_000;
  await counter().take('back', 3);
  await counter().take('back', 3);

  if (first.allowed) await first.giveBack();
  if (first.allowed) await first.giveBack();

  expect(await storedAttempts('back')).toBe(2);
  now += WINDOW_MS - 500; // the first would have left the window by now anyway; the others not
  expect(allowed(await takeMany('back', 3, 2))).toBe(1);
});

it('fails with the store error when the table is unreachable', async () => {
  await expect(counter('no-such-table').take('x', 1)).rejects.toThrow(ResourceNotFoundException);
});
