/**
 * BatchGetItem and BatchWriteItem until every key and item is done (lambdas/adapters/dynamodb-batches.ts):
 * DynamoDB hands back what it throttled as UnprocessedKeys/UnprocessedItems; those, and only
 * those, are sent again after a bounded, growing wait, and a table that keeps throttling ends in
 * a clear error, never in keys or items dropped without a word.
 * Mocked (aws-sdk-client-mock): DynamoDB Local never throttles, so it never answers Unprocessed*.
 * Fake timers stand in for the waits, so the bound is measured on the clock, not slept through.
 */
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { batchGetAll, batchWriteAll, UNPROCESSED_RETRY } from '../../../lambdas/adapters/dynamodb-batches';
import { RetriesExhaustedError } from '../../../lambdas/domain/retry';

const TABLE = 'presence';
const ddb = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
);

const key = (n: number) => ({ pk: `U#${n}`, sk: 'PRESENCE' });
const put = (n: number) => ({ PutRequest: { Item: { ...key(n), version: 1 } } });
const keysOf = (input: BatchGetCommandInput) => input.RequestItems?.[TABLE]?.Keys ?? [];
const requestsOf = (input: BatchWriteCommandInput) => input.RequestItems?.[TABLE] ?? [];
const throttled = () =>
  new ProvisionedThroughputExceededException({
    message: 'The level of configured provisioned throughput for the table was exceeded',
    $metadata: {},
  });

/** When (fake clock, ms) each call reached DynamoDB. */
let callTimes: number[];

/** Runs `work` to its end on the fake clock; settles to the outcome instead of rejecting. */
const settle = async <T>(work: Promise<T>): Promise<{ value?: T; error?: unknown }> => {
  const outcome = work.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await jest.runAllTimersAsync();
  return outcome;
};

/** The waits between consecutive calls (ms). */
const gaps = () => callTimes.slice(1).map((time, index) => time - callTimes[index]);

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
  // The widest draw in each backoff window: the waits are as long as the policy allows.
  jest.spyOn(Math, 'random').mockReturnValue(0.999);
  ddb.reset();
  callTimes = [];
});

afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

afterAll(() => doc.destroy());

describe('batchWriteAll', () => {
  it('writes 60 requests as 25 + 25 + 10, each request once', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    const requests = Array.from({ length: 60 }, (_, n) => put(n));

    await expect(settle(batchWriteAll(doc, TABLE, requests))).resolves.toEqual({ value: undefined });

    const sent = ddb.commandCalls(BatchWriteCommand).map((call) => requestsOf(call.args[0].input));
    expect(sent.map((batch) => batch.length)).toEqual([25, 25, 10]);
    expect(sent.flat()).toEqual(requests);
  });

  it('sends again exactly the items DynamoDB left unprocessed, after a wait, until all are written', async () => {
    const left = [put(3), put(17)];
    ddb
      .on(BatchWriteCommand)
      .callsFakeOnce(() => {
        callTimes.push(Date.now());
        return { UnprocessedItems: { [TABLE]: left } };
      })
      .callsFake(() => {
        callTimes.push(Date.now());
        return {};
      });

    await expect(
      settle(
        batchWriteAll(
          doc,
          TABLE,
          Array.from({ length: 20 }, (_, n) => put(n)),
        ),
      ),
    ).resolves.toEqual({ value: undefined });

    const sent = ddb.commandCalls(BatchWriteCommand).map((call) => requestsOf(call.args[0].input));
    expect(sent.map((batch) => batch.length)).toEqual([20, 2]);
    expect(sent[1]).toEqual(left);
    expect(gaps()[0]).toBeGreaterThan(0);
  });

  it('gives up on items that stay unprocessed after a bounded number of calls and waits, naming how many were left', async () => {
    ddb.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => {
      callTimes.push(Date.now());
      return { UnprocessedItems: input.RequestItems };
    });

    const { error } = await settle(batchWriteAll(doc, TABLE, [put(1), put(2), put(3)]));

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).cause).toMatchObject({ message: expect.stringMatching(/3 items of presence unprocessed/) });
    expect(callTimes).toHaveLength(UNPROCESSED_RETRY.attempts);
    expectBoundedGrowingWaits();
  });

  it('rejects when a call fails outright, so a caller never takes a half-written batch for done', async () => {
    ddb.on(BatchWriteCommand).resolvesOnce({}).rejects(throttled());

    const { error } = await settle(
      batchWriteAll(
        doc,
        TABLE,
        Array.from({ length: 30 }, (_, n) => put(n)),
      ),
    );

    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
  });
});

describe('batchGetAll', () => {
  it('reads 250 keys as 100 + 100 + 50 and returns every item found; absent keys are simply missing', async () => {
    ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => ({
      // Every odd key is absent.
      Responses: {
        [TABLE]: keysOf(input)
          .filter((_, index) => index % 2 === 0)
          .map((k) => ({ ...k, found: true })),
      },
    }));
    const keys = Array.from({ length: 250 }, (_, n) => key(n));

    const { value } = await settle(batchGetAll(doc, TABLE, keys));

    expect(ddb.commandCalls(BatchGetCommand).map((call) => keysOf(call.args[0].input).length)).toEqual([100, 100, 50]);
    expect(value).toHaveLength(125);
  });

  it('asks again for exactly the keys DynamoDB left unprocessed, keeping the read strongly consistent, and returns each item once', async () => {
    ddb
      .on(BatchGetCommand)
      .callsFakeOnce((input: BatchGetCommandInput) => {
        callTimes.push(Date.now());
        const [first, ...rest] = keysOf(input);
        return { Responses: { [TABLE]: [{ ...first, n: 0 }] }, UnprocessedKeys: { [TABLE]: { Keys: rest } } };
      })
      .callsFake((input: BatchGetCommandInput) => {
        callTimes.push(Date.now());
        return { Responses: { [TABLE]: keysOf(input).map((k) => ({ ...k })) } };
      });

    const { value } = await settle(batchGetAll(doc, TABLE, [key(1), key(2), key(3)], { consistent: true }));

    const calls = ddb.commandCalls(BatchGetCommand).map((call) => call.args[0].input.RequestItems?.[TABLE]);
    expect(calls.map((request) => [request?.Keys, request?.ConsistentRead])).toEqual([
      [[key(1), key(2), key(3)], true],
      [[key(2), key(3)], true],
    ]);
    expect((value ?? []).map((item) => item.pk).sort()).toEqual(['U#1', 'U#2', 'U#3']);
    expect(gaps()[0]).toBeGreaterThan(0);
  });

  it('gives up on keys that stay unprocessed after a bounded number of calls and waits, naming how many were left', async () => {
    ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
      callTimes.push(Date.now());
      return { Responses: {}, UnprocessedKeys: input.RequestItems };
    });

    const { error } = await settle(batchGetAll(doc, TABLE, [key(1), key(2)]));

    expect(error).toBeInstanceOf(RetriesExhaustedError);
    expect((error as Error).cause).toMatchObject({ message: expect.stringMatching(/2 keys of presence unprocessed/) });
    expect(callTimes).toHaveLength(UNPROCESSED_RETRY.attempts);
    expectBoundedGrowingWaits();
  });

  it('rejects when a call fails outright instead of answering with what it read so far', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({ Responses: { [TABLE]: [key(0)] } })
      .rejects(throttled());

    const { error } = await settle(
      batchGetAll(
        doc,
        TABLE,
        Array.from({ length: 150 }, (_, n) => key(n)),
      ),
    );

    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
  });
});

/** Waits that grow (exponential backoff), none over the cap, ~4 s in all at most (the documented bound). */
const expectBoundedGrowingWaits = () => {
  const waits = gaps();
  expect(waits[0]).toBeGreaterThan(0);
  expect(waits.every((wait, index) => index === 0 || wait >= waits[index - 1])).toBe(true);
  expect(Math.max(...waits)).toBeLessThanOrEqual(UNPROCESSED_RETRY.capMs);
  expect(waits[waits.length - 1]).toBeGreaterThan(waits[0]);
  expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeLessThanOrEqual(4_000);
};
