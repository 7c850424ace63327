import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../../local/dynamodb/dynamodb-local';
import { type StreamMappingOptions, type StreamPoller, startStreamPoller } from '../../../local/dynamodb/stream-poller';
import { laneOf } from '../../../local/dynamodb/stream-records';
import { createTables } from '../../../local/dynamodb/tables';
import type { FunctionConfig, LambdaHandler } from '../../../local/lambda/invoke';
import capturedRecords from '../../fixtures/dynamodb-local-stream-records.json';
import { eventually } from '../../helpers/eventually';

let dynamo: DynamoDbLocal;
let client: DynamoDBClient;
let tableCount = 0;
const running: StreamPoller[] = [];

beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(running.splice(0).map((poller) => poller.stop()));
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.stop();
});

/** A fresh table shaped exactly as the manifest says (pk/sk, sweep GSI, NEW_AND_OLD_IMAGES, ttl). */
async function manifestTable(): Promise<string> {
  tableCount += 1;
  const name = `stream-test-${tableCount}`;
  await createTables(dynamo.endpoint, { presence: name });
  return name;
}

async function put(table: string, label: string, extra: Record<string, AttributeValue> = {}): Promise<void> {
  await client.send(
    new PutItemCommand({ TableName: table, Item: { pk: { S: `ITEM#${label}` }, sk: { S: 'STATE' }, label: { S: label }, ...extra } }),
  );
}

const labelOf = (record: DynamoDBRecord): string | undefined => (record.dynamodb?.NewImage ?? record.dynamodb?.OldImage)?.label?.S;
const sequenceOf = (record: DynamoDBRecord): string => record.dynamodb?.SequenceNumber as string;

interface Collected {
  readonly invocations: DynamoDBRecord[][];
  readonly logs: string[];
  readonly failures: unknown[];
  readonly poller: StreamPoller;
}

const fn = (handler: LambdaHandler): FunctionConfig => ({ name: 'stream-consumer', handler, timeoutSeconds: 60, memoryMb: 128 });

/** Starts a poller whose handler records every invocation, then defers to `respond`. */
async function collect(
  table: string,
  options: StreamMappingOptions,
  respond: (event: DynamoDBStreamEvent, call: number) => Promise<unknown> | unknown = () => undefined,
  endpoint = dynamo.endpoint,
): Promise<Collected> {
  const invocations: DynamoDBRecord[][] = [];
  const logs: string[] = [];
  const failures: unknown[] = [];
  const poller = await startStreamPoller({
    pollIntervalMs: 50,
    ...options,
    onFailure: (info) => {
      failures.push(info);
    },
    endpoint,
    tableName: table,
    log: (line) => logs.push(line),
    fn: fn(async (event) => {
      invocations.push((event as DynamoDBStreamEvent).Records);
      return respond(event as DynamoDBStreamEvent, invocations.length);
    }),
  });
  running.push(poller);
  return { invocations, logs, failures, poller };
}

/** Gives a poller that should stay quiet the time to misbehave. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 400));

const labels = (invocations: DynamoDBRecord[][]): (string | undefined)[][] => invocations.map((batch) => batch.map(labelOf));

describe('startStreamPoller: record shape', () => {
  it('hands INSERT, MODIFY and REMOVE to the handler in the Lambda shape', async () => {
    // Prepare
    const table = await manifestTable();
    const { invocations } = await collect(table, { region: 'eu-west-1', accountId: '123456789012' });

    // Act
    await put(table, 'shape', { blob: { B: Buffer.from('hello') } });
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'ITEM#shape' }, sk: { S: 'STATE' } },
        UpdateExpression: 'SET n = :n',
        ExpressionAttributeValues: { ':n': { N: '1' } },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'ITEM#shape' }, sk: { S: 'STATE' } } }));
    await eventually(() => invocations.flat().length >= 3);

    // Assess
    const records = invocations.flat();
    const recordKeys = ['awsRegion', 'dynamodb', 'eventID', 'eventName', 'eventSource', 'eventSourceARN', 'eventVersion'];
    const dataKeys = ['ApproximateCreationDateTime', 'Keys', 'SequenceNumber', 'SizeBytes', 'StreamViewType'];
    expect(records.map((r) => [r.eventName, Object.keys(r).sort(), Object.keys(r.dynamodb ?? {}).sort()])).toEqual([
      ['INSERT', recordKeys, [...dataKeys, 'NewImage'].sort()],
      ['MODIFY', recordKeys, [...dataKeys, 'NewImage', 'OldImage'].sort()],
      ['REMOVE', recordKeys, [...dataKeys, 'OldImage'].sort()],
    ]);
    const [insert] = records;
    expect({
      eventSourceARN: insert.eventSourceARN,
      awsRegion: insert.awsRegion,
      eventSource: insert.eventSource,
      creationTime: typeof insert.dynamodb?.ApproximateCreationDateTime,
      sequenceNumber: insert.dynamodb?.SequenceNumber,
      sizeBytes: typeof insert.dynamodb?.SizeBytes,
      blob: insert.dynamodb?.NewImage?.blob,
    }).toEqual({
      eventSourceARN: expect.stringMatching(new RegExp(`^arn:aws:dynamodb:eu-west-1:123456789012:table/${table}/stream/\\S+$`)),
      awsRegion: 'eu-west-1',
      eventSource: 'aws:dynamodb',
      creationTime: 'number',
      sequenceNumber: expect.stringMatching(/^\d+$/),
      sizeBytes: 'number',
      blob: { B: Buffer.from('hello').toString('base64') },
    });
  });
});

describe('startStreamPoller: delivery', () => {
  it('delivers the changes of an item in order, one batch at a time, never more than batchSize', async () => {
    // Prepare
    const table = await manifestTable();
    let inFlight = 0;
    let maxInFlight = 0;
    const { invocations } = await collect(table, { batchSize: 3 }, async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight -= 1;
    });

    // Act
    for (let n = 1; n <= 12; n += 1) {
      await client.send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: 'ITEM#ordered' }, sk: { S: 'STATE' }, label: { S: `v${n}` } } }),
      );
    }
    await eventually(() => invocations.flat().length >= 12);

    // Assess
    const records = invocations.flat();
    const sequence = records.map((r) => BigInt(sequenceOf(r)));
    expect({
      labels: records.map(labelOf),
      increasing: sequence.every((s, i) => i === 0 || s > sequence[i - 1]),
      largestBatch: Math.max(...invocations.map((batch) => batch.length)),
      maxInFlight,
    }).toEqual({
      labels: Array.from({ length: 12 }, (_, i) => `v${i + 1}`),
      increasing: true,
      largestBatch: 3,
      maxInFlight: 1,
    });
  });

  it('redelivers a failing batch until it succeeds, losing nothing and holding back later batches', async () => {
    // Prepare
    const table = await manifestTable();
    for (const label of ['a', 'b', 'c']) await put(table, label);

    // Act
    const { invocations } = await collect(table, { startingPosition: 'TRIM_HORIZON', batchSize: 2 }, (_event, call) => {
      if (call <= 2) throw new Error(`failure ${call}`);
    });
    await eventually(() => invocations.length >= 4);
    await settle();

    // Assess
    expect(labels(invocations)).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b'], ['c']]);
  });

  it('discards a batch after maximumRetryAttempts and sends its DDBStreamBatchInfo to onFailure', async () => {
    // Prepare
    const table = await manifestTable();
    for (const label of ['ok1', 'poison', 'ok2']) await put(table, label);

    // Act
    const { invocations, failures } = await collect(
      table,
      { startingPosition: 'TRIM_HORIZON', batchSize: 1, maximumRetryAttempts: 2 },
      (event) => {
        if (labelOf(event.Records[0]) === 'poison') throw new Error('poison');
      },
    );
    await eventually(() => invocations.length >= 5);
    await settle();

    // Assess
    const poison = sequenceOf(invocations[1][0]);
    expect({ labels: labels(invocations), failures }).toEqual({
      labels: [['ok1'], ['poison'], ['poison'], ['poison'], ['ok2']],
      failures: [
        {
          requestContext: { requestId: expect.any(String), condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          version: '1.0',
          timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          DDBStreamBatchInfo: {
            shardId: expect.stringMatching(/^shardId-/),
            startSequenceNumber: poison,
            endSequenceNumber: poison,
            approximateArrivalOfFirstRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            approximateArrivalOfLastRecord: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
            batchSize: 1,
            streamArn: expect.stringMatching(new RegExp(`:table/${table}/stream/`)),
          },
        },
      ],
    });
  });

  it('bisects a failing batch down to the poison record without counting the splits as retries', async () => {
    // Prepare
    const table = await manifestTable();
    for (const label of ['r1', 'r2', 'r3', 'r4']) await put(table, label);

    // Act
    const { invocations, failures } = await collect(
      table,
      { startingPosition: 'TRIM_HORIZON', batchSize: 4, bisectBatchOnFunctionError: true, maximumRetryAttempts: 0 },
      (event) => {
        if (event.Records.some((r) => labelOf(r) === 'r3')) throw new Error('r3 is poison');
      },
    );
    await eventually(() => invocations.length >= 5);
    await settle();

    // Assess
    expect({ labels: labels(invocations), discarded: failures.length }).toEqual({
      labels: [['r1', 'r2', 'r3', 'r4'], ['r1', 'r2'], ['r3', 'r4'], ['r3'], ['r4']],
      discarded: 1,
    });
  });
});

describe('startStreamPoller: ParallelizationFactor', () => {
  /** Labels whose items land in different lanes of `lanes`. */
  const inDifferentLanes = (lanes: number, count: number): string[] => {
    const byLane = new Map<number, string>();
    for (let n = 0; byLane.size < count; n += 1) {
      const lane = laneOf({ dynamodb: { Keys: { pk: { S: `ITEM#key${n}` } } } }, 'pk', lanes);
      if (!byLane.has(lane)) byLane.set(lane, `key${n}`);
    }
    return [...byLane.values()];
  };

  it("runs up to that many batches of one shard at once, each item's records in order", async () => {
    // Prepare
    const table = await manifestTable();
    let inFlight = 0;
    let maxInFlight = 0;
    const { invocations } = await collect(table, { batchSize: 2, parallelizationFactor: 3 }, async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 300));
      inFlight -= 1;
    });
    const keys = inDifferentLanes(3, 3);

    // Act: four versions of each of three items in three lanes, written one after another.
    for (let version = 1; version <= 4; version += 1) {
      for (const key of keys) {
        await client.send(
          new PutItemCommand({
            TableName: table,
            Item: { pk: { S: `ITEM#${key}` }, sk: { S: 'STATE' }, label: { S: `${key}v${version}` } },
          }),
        );
      }
    }
    await eventually(() => invocations.flat().length >= 12);

    // Assess
    const delivered = invocations.flat().map((record) => labelOf(record) as string);
    expect({
      perItem: keys.map((key) => delivered.filter((label) => label.startsWith(`${key}v`))),
      mixesItems: invocations.some((batch) => new Set(batch.map((record) => labelOf(record)?.split('v')[0])).size > 1),
      maxInFlight,
    }).toEqual({
      perItem: keys.map((key) => [1, 2, 3, 4].map((version) => `${key}v${version}`)),
      mixesItems: false,
      maxInFlight: 3,
    });
  });

  it("does not hold back another lane's records while one lane retries a failing batch", async () => {
    // Prepare: the item 'stuck' fails until the other item has been delivered.
    const table = await manifestTable();
    const [stuck, other] = inDifferentLanes(2, 2);
    let otherDelivered = false;
    const { invocations } = await collect(table, { batchSize: 10, parallelizationFactor: 2 }, (event) => {
      const items = event.Records.map((record) => labelOf(record));
      if (items.includes(other) && !items.includes(stuck)) otherDelivered = true;
      if (items.includes(stuck) && !otherDelivered) throw new Error(`${stuck} fails until ${other} is delivered`);
    });

    // Act
    await put(table, stuck);
    await eventually(() => invocations.length >= 2);
    await put(table, other);
    await eventually(() => otherDelivered, { timeoutMs: 5_000, what: "the other lane's record, on its own" });
    await eventually(() => labels(invocations).filter((batch) => batch.includes(stuck)).length >= 3);

    // Assess: the stuck item failed at least twice, the other got through on its own, and then the stuck one did.
    const attempts = labels(invocations);
    expect({
      otherDelivered: attempts.some((batch) => batch.includes(other)),
      stuckAttempts: attempts.filter((batch) => batch.includes(stuck)).length >= 3,
      mixed: attempts.some((batch) => batch.includes(stuck) && batch.includes(other)),
    }).toEqual({ otherDelivered: true, stuckAttempts: true, mixed: false });
  });
});

describe('startStreamPoller: ReportBatchItemFailures', () => {
  const sequenceOfLabel = (event: DynamoDBStreamEvent, label: string): string =>
    sequenceOf(event.Records.find((r) => labelOf(r) === label) as DynamoDBRecord);

  it.each([
    {
      name: 'retries from the lowest reported sequence number, redelivering the successes after it',
      reportBatchItemFailures: true,
      firstResponse: (e: DynamoDBStreamEvent) => ({
        batchItemFailures: [{ itemIdentifier: sequenceOfLabel(e, 'r4') }, { itemIdentifier: sequenceOfLabel(e, 'r2') }],
      }),
      expected: [
        ['r1', 'r2', 'r3', 'r4', 'r5'],
        ['r2', 'r3', 'r4', 'r5'],
      ],
    },
    {
      name: 'ignores the response when the mapping does not enable ReportBatchItemFailures',
      reportBatchItemFailures: false,
      firstResponse: (e: DynamoDBStreamEvent) => ({ batchItemFailures: [{ itemIdentifier: sequenceOfLabel(e, 'r2') }] }),
      expected: [['r1', 'r2', 'r3', 'r4', 'r5']],
    },
    {
      name: 'treats an empty-string itemIdentifier as a failure of the whole batch',
      reportBatchItemFailures: true,
      firstResponse: () => ({ batchItemFailures: [{ itemIdentifier: '' }] }),
      expected: [
        ['r1', 'r2', 'r3', 'r4', 'r5'],
        ['r1', 'r2', 'r3', 'r4', 'r5'],
      ],
    },
    {
      name: 'treats a misspelt itemIdentifier key as a failure of the whole batch',
      reportBatchItemFailures: true,
      firstResponse: (e: DynamoDBStreamEvent) => ({ batchItemFailures: [{ itemIdentifer: sequenceOfLabel(e, 'r3') }] }),
      expected: [
        ['r1', 'r2', 'r3', 'r4', 'r5'],
        ['r1', 'r2', 'r3', 'r4', 'r5'],
      ],
    },
  ])('$name', async ({ reportBatchItemFailures, firstResponse, expected }) => {
    // Prepare
    const table = await manifestTable();
    for (const label of ['r1', 'r2', 'r3', 'r4', 'r5']) await put(table, label);

    // Act
    const { invocations } = await collect(
      table,
      { startingPosition: 'TRIM_HORIZON', batchSize: 5, reportBatchItemFailures },
      (event, call): DynamoDBBatchResponse | object => (call === 1 ? firstResponse(event) : { batchItemFailures: [] }),
    );
    await eventually(() => invocations.length >= expected.length);
    await settle();

    // Assess
    expect(labels(invocations)).toEqual(expected);
  });
});

describe('startStreamPoller: filters and checkpoints', () => {
  const keepInserts = { eventName: ['INSERT'], dynamodb: { NewImage: { label: { S: [{ prefix: 'keep' }] } } } };
  // FLT-04: numeric is not supported for DynamoDB; this one would match every record below if it were.
  const numeric = { dynamodb: { NewImage: { n: { N: [{ numeric: ['>', 0] }] } } } };

  it('delivers only records some filter matches', async () => {
    // Prepare
    const table = await manifestTable();
    const { invocations } = await collect(table, { filters: [keepInserts, numeric] });

    // Act
    for (const [n, label] of ['skip-1', 'keep-1', 'skip-2', 'keep-2', 'skip-3'].entries()) {
      await put(table, label, { n: { N: String(n + 1) } });
    }
    await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'ITEM#keep-1' }, sk: { S: 'STATE' } } }));
    await eventually(() => invocations.flat().length >= 2);
    await settle();

    // Assess
    expect(invocations.flat().map((r) => [r.eventName, labelOf(r)])).toEqual([
      ['INSERT', 'keep-1'],
      ['INSERT', 'keep-2'],
    ]);
  });

  it('re-acquires an expired iterator after the last record read, filtered ones included: nothing replayed, nothing lost', async () => {
    // Prepare: count what GetRecords returns, and make one call answer as DynamoDB Local does for an iterator older than 15 min.
    const realFetch = globalThis.fetch;
    let recordsRead = 0;
    let expireNext = false;
    jest.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const target = new Headers(init?.headers).get('x-amz-target');
      if (target !== 'DynamoDBStreams_20120810.GetRecords') return realFetch(input, init);
      if (expireNext) {
        expireNext = false;
        return new Response(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ExpiredIteratorException', Message: '' }), {
          status: 400,
        });
      }
      const response = await realFetch(input, init);
      const body = (await response.json()) as { Records?: unknown[] };
      recordsRead += body.Records?.length ?? 0;
      return new Response(JSON.stringify(body), { status: response.status });
    });
    const table = await manifestTable();
    const { invocations, logs } = await collect(table, { filters: [keepInserts] });
    for (const label of ['keep-1', 'skip-1', 'skip-2']) await put(table, label);
    await eventually(() => recordsRead >= 3 && invocations.length >= 1);

    // Act
    expireNext = true;
    await eventually(() => !expireNext);
    await put(table, 'keep-2');
    await eventually(() => invocations.flat().length >= 2);
    await settle();

    // Assess
    expect({
      delivered: invocations.flat().map(labelOf),
      recordsRead,
      reacquired: logs.some((line) => line.includes('iterator expired')),
    }).toEqual({ delivered: ['keep-1', 'keep-2'], recordsRead: 4, reacquired: true });
  });

  it('starts a new poller at LATEST, so a restart does not replay what an earlier one delivered', async () => {
    // Prepare
    const table = await manifestTable();
    const first = await collect(table, {});
    await put(table, 'before-restart');
    await eventually(() => first.invocations.length >= 1);
    await first.poller.stop();

    // Act
    const second = await collect(table, { startingPosition: 'LATEST' });
    await put(table, 'after-restart');
    await eventually(() => second.invocations.length >= 1);
    await settle();

    // Assess
    expect(labels(second.invocations)).toEqual([['after-restart']]);
  });

  it('waits for the batch in flight when stopped', async () => {
    // Prepare
    const table = await manifestTable();
    let finished = false;
    const { invocations, poller } = await collect(table, {}, async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      finished = true;
    });
    await put(table, 'slow');
    await eventually(() => invocations.length >= 1);

    // Act
    await poller.stop();

    // Assess
    expect(finished).toBe(true);
  });
});

describe('startStreamPoller: TTL deletes', () => {
  // DynamoDB Local's TTL sweep slows down with every TTL-enabled table (none swept within 25 s with 15 of
  // them) and never expires items of tables that have a GSI: this test gets its own instance and table.
  let ttlDynamo: DynamoDbLocal;
  let ttlClient: DynamoDBClient;

  beforeAll(async () => {
    ttlDynamo = await startDynamoDbLocal();
    ttlClient = new DynamoDBClient({
      endpoint: ttlDynamo.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((poller) => poller.stop()));
    ttlClient?.destroy();
    await ttlDynamo?.stop();
  });

  it("delivers DynamoDB Local's TTL deletes as AWS does: REMOVE with the dynamodb.amazonaws.com service identity", async () => {
    // Prepare
    const table = 'stream-test-ttl';
    await ttlClient.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await ttlClient.send(
      new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } }),
    );
    // The TTL filter from the DynamoDB developer guide (FLT-02).
    const ttlDeletesOnly = { userIdentity: { type: ['Service'], principalId: ['dynamodb.amazonaws.com'] } };
    const { invocations, logs } = await collect(table, { filters: [ttlDeletesOnly] }, undefined, ttlDynamo.endpoint);
    const item = (label: string, extra: Record<string, AttributeValue> = {}) => ({
      pk: { S: `ITEM#${label}` },
      sk: { S: 'STATE' },
      label: { S: label },
      ...extra,
    });

    // Act
    await ttlClient.send(new PutItemCommand({ TableName: table, Item: item('user-deleted') }));
    await ttlClient.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: 'ITEM#user-deleted' }, sk: { S: 'STATE' } } }));
    await ttlClient.send(
      new PutItemCommand({ TableName: table, Item: item('expired', { ttl: { N: String(Math.floor(Date.now() / 1000) - 10) } }) }),
    );
    await eventually(() => invocations.length >= 1, { timeoutMs: 25_000 });
    await settle();

    // Assess
    const records = invocations.flat();
    expect({
      records: records.map((r) => [r.eventName, labelOf(r), r.userIdentity, r.dynamodb?.NewImage]),
      // Canary: fails the day DynamoDB Local emits REMOVE itself, so the normalisation can go.
      normalised: logs.some((line) => line.includes('"UNKNOWN_TO_SDK_VERSION"')),
    }).toEqual({
      records: [['REMOVE', 'expired', { type: 'Service', principalId: 'dynamodb.amazonaws.com' }, undefined]],
      normalised: true,
    });
  }, 40_000);
});

describe('startStreamPoller: shard lineage', () => {
  // DynamoDB Local does not roll shards over on demand, so this one speaks to a scripted Streams endpoint:
  // a closed parent shard (100, 150, 200) and its open child (300, 301), listed child first.
  const shardRecords: Record<string, string[]> = { 'shardId-parent': ['100', '150', '200'], 'shardId-child': ['300', '301'] };
  let server: Server;
  let endpoint: string;
  /** GetRecords calls answered, per shard. */
  const reads: Record<string, number> = {};

  beforeAll(async () => {
    const [template] = capturedRecords.records;
    const answers: Record<string, (body: Record<string, string>) => object> = {
      'DynamoDB_20120810.DescribeTable': () => ({
        Table: {
          LatestStreamArn: 'arn:aws:dynamodb:ddblocal:000000000000:table/scripted/stream/2026-11-28T00:00:00.000',
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
        },
      }),
      'DynamoDB_20120810.DescribeTimeToLive': () => ({ TimeToLiveDescription: { TimeToLiveStatus: 'DISABLED' } }),
      'DynamoDBStreams_20120810.DescribeStream': () => ({
        StreamDescription: {
          Shards: [
            { ShardId: 'shardId-child', ParentShardId: 'shardId-parent', SequenceNumberRange: { StartingSequenceNumber: '300' } },
            { ShardId: 'shardId-parent', SequenceNumberRange: { StartingSequenceNumber: '100', EndingSequenceNumber: '200' } },
          ],
        },
      }),
      'DynamoDBStreams_20120810.GetShardIterator': (body) => ({ ShardIterator: `${body.ShardId}|0` }),
      // One record per call; the parent's last call has no NextShardIterator (closed), the child stays open.
      'DynamoDBStreams_20120810.GetRecords': (body) => {
        const [shardId, position] = body.ShardIterator.split('|');
        reads[shardId] = (reads[shardId] ?? 0) + 1;
        const index = Number(position);
        const sequence = shardRecords[shardId][index];
        const records = sequence === undefined ? [] : [{ ...template, dynamodb: { ...template.dynamodb, SequenceNumber: sequence } }];
        const next = Math.min(index + 1, shardRecords[shardId].length);
        const closed = shardId === 'shardId-parent' && index + 1 >= shardRecords[shardId].length;
        return closed ? { Records: records } : { Records: records, NextShardIterator: `${shardId}|${next}` };
      },
    };
    server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => (text += chunk));
      request.on('end', () => {
        const answer = answers[String(request.headers['x-amz-target'])];
        response.writeHead(answer === undefined ? 400 : 200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(JSON.stringify(answer === undefined ? { __type: 'UnknownOperationException' } : answer(JSON.parse(text))));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all(running.splice(0).map((poller) => poller.stop()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('reads a parent shard to its end before its child, one invocation at a time', async () => {
    // Prepare
    let inFlight = 0;
    let maxInFlight = 0;

    // Act
    const { invocations, logs } = await collect(
      'scripted',
      { startingPosition: 'TRIM_HORIZON' },
      async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight -= 1;
      },
      endpoint,
    );
    await eventually(() => invocations.flat().length >= 5);
    await settle();

    // Assess
    expect({
      sequence: invocations.flat().map(sequenceOf),
      maxInFlight,
      parentClosed: logs.some((line) => line.includes('shard shardId-parent closed')),
    }).toEqual({ sequence: ['100', '150', '200', '300', '301'], maxInFlight: 1, parentClosed: true });
  });

  it('invokes with what one GetRecords returned, without reading on to fill the batch (no batching window)', async () => {
    // Prepare: every GetRecords call of the scripted shards returns one record.

    // Act
    const { invocations } = await collect('scripted', { startingPosition: 'TRIM_HORIZON', batchSize: 100 }, () => undefined, endpoint);
    await eventually(() => invocations.flat().length >= 5);
    await settle();

    // Assess: AWS: "If the batch that Lambda reads from the event source has only one record in it, Lambda sends only one record".
    expect(invocations.map((batch) => batch.map(sequenceOf))).toEqual([['100'], ['150'], ['200'], ['300'], ['301']]);
  });

  it('reads an idle shard about once a poll interval, whatever the ParallelizationFactor', async () => {
    // Prepare: both shards delivered, so the open child is idle; batches of different lengths leave the lanes out of step.
    const { invocations } = await collect(
      'scripted',
      { startingPosition: 'TRIM_HORIZON', parallelizationFactor: 4, pollIntervalMs: 50 },
      (_event, call) => new Promise((resolve) => setTimeout(resolve, call * 13)),
      endpoint,
    );
    await eventually(() => invocations.flat().length >= 5);
    await settle();

    // Act
    const before = reads['shardId-child'] ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const idleReads = (reads['shardId-child'] ?? 0) - before;

    // Assess: 20 polls in 1 s at 50 ms (Lambda: about 4 a second per shard), not one per lane.
    expect(idleReads).toBeGreaterThanOrEqual(10);
    expect(idleReads).toBeLessThanOrEqual(25);
  });

  it('discards records older than maximumRecordAgeSeconds unsent, to the on-failure destination as RecordAgeExceeded', async () => {
    // Prepare: the scripted records were created on 2026-11-28, days before any run of this test.

    // Act
    const { invocations, failures } = await collect(
      'scripted',
      { startingPosition: 'TRIM_HORIZON', maximumRecordAgeSeconds: 3600 },
      () => undefined,
      endpoint,
    );
    await eventually(() => failures.length >= 5);
    await settle();

    // Assess
    expect({
      invocations: invocations.length,
      discarded: (failures as { requestContext: { condition: string }; DDBStreamBatchInfo: { startSequenceNumber: string } }[]).map(
        (info) => [info.requestContext.condition, info.DDBStreamBatchInfo.startSequenceNumber],
      ),
    }).toEqual({
      invocations: 0,
      discarded: ['100', '150', '200', '300', '301'].map((sequence) => ['RecordAgeExceeded', sequence]),
    });
  });
});

describe('startStreamPoller: refusing bad mappings', () => {
  it('rejects a table without a stream', async () => {
    // Prepare
    const table = 'stream-test-no-stream';
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );

    // Act
    const starting = startStreamPoller({
      endpoint: dynamo.endpoint,
      tableName: table,
      fn: fn(async () => undefined),
      log: () => undefined,
    });

    // Assess
    await expect(starting).rejects.toThrow(/has no stream enabled/);
  });

  it('rejects an invalid filter pattern when it starts, as CreateEventSourceMapping does', async () => {
    // Prepare
    const table = await manifestTable();

    // Act
    const starting = startStreamPoller({
      endpoint: dynamo.endpoint,
      tableName: table,
      filters: [{ eventName: [{ 'starts-with': 'INS' }] }],
      fn: fn(async () => undefined),
      log: () => undefined,
    });

    // Assess
    await expect(starting).rejects.toThrow(/Unsupported filter operator starts-with/);
  });

  it.each([
    [{ maximumRecordAgeSeconds: 59 }, /maximumRecordAgeSeconds must be -1 or 60\.\.604800/],
    [{ maximumRecordAgeSeconds: 604_801 }, /maximumRecordAgeSeconds must be -1 or 60\.\.604800/],
    [{ maximumRecordAgeSeconds: 0 }, /maximumRecordAgeSeconds must be -1 or 60\.\.604800/],
    [{ parallelizationFactor: 0 }, /parallelizationFactor must be 1\.\.10/],
    [{ parallelizationFactor: 11 }, /parallelizationFactor must be 1\.\.10/],
    [{ parallelizationFactor: 1.5 }, /parallelizationFactor must be 1\.\.10/],
  ])('rejects %j, as CreateEventSourceMapping does', async (mapping, message) => {
    // Prepare
    const table = await manifestTable();

    // Act
    const starting = startStreamPoller({
      endpoint: dynamo.endpoint,
      tableName: table,
      ...mapping,
      fn: fn(async () => undefined),
      log: () => undefined,
    });

    // Assess
    await expect(starting).rejects.toThrow(message);
  });
});
