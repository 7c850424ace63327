/**
 * The security probe's long stop (findings C1b), scaled down: X online over a WebSocket, Y over the
 * HTTP heartbeat, Z online and never back; the whole stack stops for longer than ten sweep buckets
 * (the old sweeper's look-back; buckets are 1 s here instead of 60), then restarts. The sweeper
 * catches up with what ran out during the stop, and a subscriber is told that X and Y came back.
 * The full-size stop (14 minutes, 60 s buckets) has no bench scenario yet; the same ground with the
 * clock moved by hand is test/integration/adapters/dynamodb-sweep.test.ts (14 minutes, 2 hours).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalStack } from '../../local/stack';
import { eventually } from '../helpers/eventually';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';
import { sleep, TestSocket } from '../helpers/ws-client';

const BUCKET_SECONDS = 1;
/** Longer than the old look-back of ten buckets. */
const STOP_MS = 14 * BUCKET_SECONDS * 1000;
let env: TestStack;
const { call, signUp } = api(() => env.stack.httpUrl);
const sockets: TestSocket[] = [];

const account = async (name: string): Promise<{ id: string; token: string }> => {
  const response = await signUp(name);
  if (response.status !== 201) throw new Error(`sign-up of ${name} failed: ${JSON.stringify(response.body)}`);
  return { id: response.body.user.id, token: response.body.token };
};

const open = async (token: string): Promise<TestSocket> => {
  const socket = (await TestSocket.open(env.stack.wsUrl, token)).keepAlive(1_000);
  sockets.push(socket);
  return socket;
};

/** What the presence table says was last announced for a user. */
const announced = async (userId: string): Promise<string | undefined> => {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: env.stack.dynamoDbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
  try {
    const { Item } = await doc.send(
      new GetCommand({ TableName: 'presence', Key: { pk: `U#${userId}`, sk: 'STATE' }, ConsistentRead: true }),
    );
    return Item?.announced as string | undefined;
  } finally {
    doc.destroy();
  }
};

beforeAll(async () => {
  // On disk: the stack restarts on the same data dir.
  env = await startTestStack({
    leaseSeconds: 3,
    graceSeconds: 1,
    sweepSeconds: 1,
    sweepBucketSeconds: BUCKET_SECONDS,
    dynamoDbStorage: 'disk',
  });
}, 90_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.terminate());
  await env?.dispose();
}, 30_000);

describe('a restart after a stop longer than the old sweep look-back', () => {
  it('settles what ran out during the stop and tells subscribers that X (WebSocket) and Y (heartbeat) came back', async () => {
    const [x, y, z, watcher] = [await account('outage-x'), await account('outage-y'), await account('outage-z'), await account('outage-s')];
    await open(x.token);
    await open(z.token);
    expect((await call('POST', '/me/heartbeat', { token: y.token })).status).toBe(200);
    await eventually(async () => (await announced(z.id)) === 'online', { timeoutMs: 5_000, what: 'Z online' });

    const ports = env.stack.ports;
    sockets.splice(0).forEach((socket) => socket.terminate());
    await env.stack.stop();
    await sleep(STOP_MS);
    env.stack = await startLocalStack({ ...env.options, ...ports });

    // Z never comes back: the first sweeps after the restart settle it, however old its bucket.
    await eventually(async () => (await announced(z.id)) === 'offline', { timeoutMs: 10_000, what: 'Z settled offline' });
    const subscriber = await open(watcher.token);
    const snapshot = await subscriber.request({ action: 'subscribe', userIds: [x.id, y.id, z.id] });
    expect(snapshot.presences.map((p: { status: string }) => p.status)).toEqual(['offline', 'offline', 'offline']);

    await open(x.token);
    expect((await call('POST', '/me/heartbeat', { token: y.token })).status).toBe(200);

    await subscriber.waitForPresence(x.id, 'online', 10_000);
    await subscriber.waitForPresence(y.id, 'online', 10_000);
  }, 90_000);
});
