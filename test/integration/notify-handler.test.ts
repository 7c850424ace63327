/**
 * The notifier handler against real DynamoDB Local, Postgres and SQS (through the local stack),
 * with a stand-in `@connections` endpoint that can be made to fail: a failed post is retried for
 * its connection alone through the retry queue, pages beyond the first go through the fan-out
 * queue (2 watchers per page here), and a record fails only when its watchers cannot be read.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSRecord } from 'aws-lambda';
import { watchKey } from '../../lambdas/adapters/dynamodb-connection-registry';
import { ENV } from '../../lib/app-manifest';
import { eventually } from '../helpers/eventually';
import { lambdaContext } from '../helpers/lambda-context';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';

let env: TestStack;
let connections: Server;
/** How many more posts to each connection id fail with a 500. */
const failures = new Map<string, number>();
const delivered: { connectionId: string; body: any }[] = [];
let notify: (event: DynamoDBStreamEvent) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = '';
    req.on('data', (chunk) => (text += chunk));
    req.on('end', () => resolve(text));
  });

beforeAll(async () => {
  connections = createServer(async (req, res) => {
    const connectionId = decodeURIComponent((req.url ?? '').split('/@connections/')[1] ?? '');
    const body = await readBody(req);
    const left = failures.get(connectionId) ?? 0;
    if (left > 0) {
      failures.set(connectionId, left - 1);
      res.writeHead(500, { 'x-amzn-ErrorType': 'InternalServerError', 'content-type': 'application/json' }).end('{"message":"boom"}');
      return;
    }
    if (connectionId.startsWith('gone')) {
      res.writeHead(410, { 'x-amzn-ErrorType': 'GoneException', 'content-type': 'application/json' }).end('{"message":"gone"}');
      return;
    }
    delivered.push({ connectionId, body: JSON.parse(body) });
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => connections.listen(0, '127.0.0.1', resolve));
  process.env[ENV.fanOutPageSize] = '2';
  env = await startTestStack();
  // This file drives the notifier by hand, so its management client points at the stand-in above
  // (the stack's own fan-out and retry consumers, in this process, post there too).
  process.env[ENV.connectionsEndpoint] = `http://127.0.0.1:${(connections.address() as AddressInfo).port}/live`;
  const { handler } = await import('../../lambdas/handlers/events/notify');
  notify = (event) => handler(event, lambdaContext({ functionName: 'notify' }));
}, 90_000);

afterAll(async () => {
  delete process.env[ENV.fanOutPageSize];
  await env?.dispose();
  await new Promise((resolve) => connections?.close(resolve));
}, 30_000);

const record = (sequenceNumber: string, userId: string, status: 'online' | 'offline', changedAt: number): DynamoDBRecord => ({
  eventID: sequenceNumber,
  eventName: 'MODIFY',
  eventSource: 'aws:dynamodb',
  eventVersion: '1.1',
  awsRegion: 'us-east-1',
  eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/presence/stream/x',
  dynamodb: {
    SequenceNumber: sequenceNumber,
    ApproximateCreationDateTime: Math.floor(changedAt / 1000),
    Keys: { pk: { S: `U#${userId}` }, sk: { S: 'STATE' } },
    NewImage: {
      pk: { S: `U#${userId}` },
      sk: { S: 'STATE' },
      userId: { S: userId },
      version: { N: '2' },
      announced: { S: status },
      change: {
        M: {
          status: { S: status },
          changedAt: { N: String(changedAt) },
          ...(status === 'offline' ? { lastSeen: { N: String(changedAt - 3000) } } : {}),
        },
      },
    },
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
});

const watchAs = async (doc: DynamoDBDocumentClient, userId: string, connectionId: string) =>
  doc.send(
    new PutCommand({
      TableName: 'presence',
      Item: {
        ...watchKey(userId, connectionId, Math.floor(Date.now() / 1000) + 3600),
        watcher: '999',
        ttl: Math.floor(Date.now() / 1000) + 3600,
      },
    }),
  );

describe('the notifier handler', () => {
  it('retries a failed post for that connection alone, through the retry queue, and fails no record', async () => {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: env.stack.dynamoDbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      }),
    );
    await watchAs(doc, '101', 'flakyAAAAAAAAA=');
    await watchAs(doc, '101', 'steadyAAAAAAAA=');
    doc.destroy();
    failures.set('flakyAAAAAAAAA=', 1);
    const batch = { Records: [record('100000000000000000001', '101', 'online', Date.now())] };

    const result = await notify(batch);

    expect(result.batchItemFailures).toEqual([]);
    await eventually(() => delivered.some((d) => d.connectionId === 'flakyAAAAAAAAA='), { timeoutMs: 15_000, what: 'the retry delivered' });
    expect(delivered.filter((d) => d.connectionId === 'flakyAAAAAAAAA=').map((d) => d.body.presences[0].userId)).toEqual(['101']);
    // The steady watcher got its change once: another watcher's failure re-sends it nothing.
    expect(delivered.filter((d) => d.connectionId === 'steadyAAAAAAAA=')).toHaveLength(1);
  }, 60_000);

  it('reaches every watcher of a user with several pages exactly once, the pages after the first through the fan-out queue', async () => {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: env.stack.dynamoDbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      }),
    );
    const ids = Array.from({ length: 7 }, (_, i) => `page${i}AAAAAAAAAA=`);
    for (const id of ids) await watchAs(doc, '106', id);
    doc.destroy();

    const result = await notify({ Records: [record('100000000000000000050', '106', 'online', Date.now())] });

    expect(result.batchItemFailures).toEqual([]);
    await eventually(() => ids.every((id) => delivered.some((d) => d.connectionId === id)), {
      timeoutMs: 15_000,
      what: 'every page delivered',
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ids.map((id) => delivered.filter((d) => d.connectionId === id).length)).toEqual(ids.map(() => 1));
  }, 60_000);

  it('fails the record, and posts none of its watchers, when its further pages cannot be queued', async () => {
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: env.stack.dynamoDbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
      }),
    );
    const ids = ['nofanAAAAAAAAA=', 'nofanBBBBBBBBB=', 'nofanCCCCCCCCC='];
    for (const id of ids) await watchAs(doc, '107', id);
    doc.destroy();
    const { fanOutQueue } = await import('../../lambdas/shared/dependencies/delivery');
    const enqueue = jest.spyOn(fanOutQueue(), 'enqueue').mockRejectedValue(new Error('AWS.SimpleQueueService.NonExistentQueue'));

    const result = await notify({ Records: [record('100000000000000000060', '107', 'online', Date.now())] });
    enqueue.mockRestore();

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '100000000000000000060' }]);
    expect(delivered.filter((d) => ids.includes(d.connectionId))).toEqual([]);
  }, 60_000);

  it('reports malformed fan-out and retry messages as failed, for their dead-letter queue', async () => {
    const { handler: fanOut } = await import('../../lambdas/handlers/events/fan-out');
    const { handler: retry } = await import('../../lambdas/handlers/events/delivery-retry');
    const message = (messageId: string, body: string) => ({ messageId, body }) as SQSRecord;

    await expect(
      fanOut({ Records: [message('m1', 'not json'), message('m2', '{"change":{"userId":"1"},"after":null}')] }, lambdaContext()),
    ).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }],
    });
    await expect(
      retry({ Records: [message('m3', '{"connectionId":"x","userId":"y","changes":[],"attempt":1}')] }, lambdaContext()),
    ).resolves.toEqual({
      batchItemFailures: [{ itemIdentifier: 'm3' }],
    });
  });

  it('the SQS adapters hand back what SQS did not take', async () => {
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const { SqsDeliveryRetryQueue, SqsFanOutQueue } = await import('../../lambdas/adapters/sqs-delivery-queues');
    const client = new SQSClient({
      endpoint: env.stack.sqsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    });
    const missing = `${env.stack.sqsEndpoint}/000000000000/no-such-queue`;
    const change = { userId: '1', status: 'online' as const, lastSeen: null, changedAt: 1, version: 1 };
    const tasks = Array.from({ length: 12 }, (_, i) => ({ cursors: [{ change, after: String(i) }] }));
    const retries = [{ connectionId: 'x', userId: 'y', changes: [change], attempt: 1, delayMs: 1500 }];

    expect(await new SqsFanOutQueue(client, missing).enqueue(tasks)).toEqual(tasks);
    expect(await new SqsDeliveryRetryQueue(client, missing).schedule(retries)).toEqual(retries);
    client.destroy();
  });

  it('cleans up after a connection whose $disconnect never came, when a push to it gets a 410: its user goes offline', async () => {
    const { signUp, call } = api(() => env.stack.httpUrl);
    const owner = await signUp('ghost-owner');
    const ghost = 'goneGhostAAAAA=';
    const { connectionServiceWith } = await import('../../lambdas/shared/dependencies/connection-service');
    const { connectionRegistry } = await import('../../lambdas/shared/dependencies/presence-table');
    await connectionServiceWith({}, 'test')().connect(ghost, owner.body.user.id);
    await connectionRegistry().subscribe(ghost, ['104'], 1000);
    const statusOfOwner = async () =>
      (await call('GET', `/presence?userIds=${owner.body.user.id}`, { token: owner.body.token })).body.presences[0];
    expect((await statusOfOwner()).status).toBe('online');

    const result = await notify({ Records: [record('100000000000000000030', '104', 'online', Date.now())] });

    expect(result.batchItemFailures).toEqual([]);
    expect(await connectionRegistry().exists(ghost)).toBe(false);
    // Offline once the grace has passed, as after any last disconnect.
    await eventually(async () => (await statusOfOwner()).status === 'offline', { timeoutMs: 15_000, everyMs: 200, what: 'owner offline' });
    expect((await statusOfOwner()).status).toBe('offline');
  }, 60_000);

  it('fails nothing on a 410 from a connection that closed normally, and leaves its watch to end at the connection limit', async () => {
    const closed = 'goneClosedAAAA=';
    const { connectionRegistry } = await import('../../lambdas/shared/dependencies/presence-table');
    await connectionRegistry().register({ connectionId: closed, userId: '998', connectedAt: Date.now() });
    await connectionRegistry().subscribe(closed, ['105'], 1000);
    await connectionRegistry().remove(closed);

    const result = await notify({ Records: [record('100000000000000000040', '105', 'online', Date.now())] });

    expect(result.batchItemFailures).toEqual([]);
    const listed: string[] = [];
    for await (const page of connectionRegistry().watchers('105')) listed.push(...page.map((w) => w.connectionId));
    expect(listed).toEqual([closed]);
  }, 60_000);

  it('ignores stream records that carry no visible change', async () => {
    const plain = record('100000000000000000020', '103', 'online', Date.now());
    delete plain.dynamodb?.NewImage?.change;

    await expect(notify({ Records: [plain] })).resolves.toEqual({ batchItemFailures: [] });
  });
});
