/**
 * The log-in attempt counter against DynamoDB Local: its conditional ADD really is one atomic
 * step, so parallel takes never pass the limit together.
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

const counter = (tableName = TABLE) => new DynamoDbAttemptCounter(doc, tableName, { prefix: 'test', windowMs: WINDOW_MS, clock: () => now });
const attemptsOf = async (key: string, at: number) =>
  (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: `RL#test#${key}`, sk: String(Math.floor(at / WINDOW_MS)) } }))).Item?.attempts;

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
  now = 1_800_000_000_000 + 60_000;
});

it('lets exactly the limit through when 40 takes arrive at once, and counts no refused one', async () => {
  const results = await Promise.all(Array.from({ length: 40 }, () => counter().take('parallel', 10)));

  expect(results.filter((taken) => taken.allowed)).toHaveLength(10);
  expect(await attemptsOf('parallel', now)).toBe(10);
});

it('says how long until the window ends', async () => {
  for (let i = 0; i < 2; i += 1) await counter().take('wait', 2);

  const refused = await counter().take('wait', 2);

  expect(refused).toEqual({ allowed: false, retryAfterMs: WINDOW_MS - 60_000 });
});

it('starts afresh in the next window', async () => {
  for (let i = 0; i < 2; i += 1) await counter().take('next', 2);
  now += WINDOW_MS;

  expect((await counter().take('next', 2)).allowed).toBe(true);
});

it('gives an attempt back in the window it was taken in, even after that window ended', async () => {
  const taken = await counter().take('back', 5);
  const takenAt = now;
  await counter().take('back', 5);
  now += WINDOW_MS;
  await counter().take('back', 5);

  if (taken.allowed) await taken.giveBack();

  expect([await attemptsOf('back', takenAt), await attemptsOf('back', now)]).toEqual([1, 1]);
});

it('fails with the store error when the table is unreachable', async () => {
  await expect(counter('no-such-table').take('x', 1)).rejects.toThrow(ResourceNotFoundException);
});
