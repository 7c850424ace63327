/**
 * Delivery guarantees end to end (contract v1.1, WebSocket): among 200 watchers of one user, one
 * whose client stops reading delays only itself. The local `@connections` answers 429
 * LimitExceededException once that client's send buffer is full, as API Gateway does; the other
 * 199 get every change exactly once (no re-sends), and the slow one is closed after its retries.
 * A small fan-out page makes the same run go through the fan-out queue too.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tokenService } from '../../lambdas/shared/dependencies/tokens';
import { ENV } from '../../lib/app-manifest';
import { eventually } from '../helpers/eventually';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';
import { TestSocket } from '../helpers/ws-client';

const WATCHERS = 199;
let env: TestStack;
const sockets: TestSocket[] = [];
const { signUp } = api(() => env.stack.httpUrl);

const account = async (name: string) => {
  const response = await signUp(name);
  if (response.status !== 201) throw new Error(`sign-up of ${name} failed: ${JSON.stringify(response.body)}`);
  return { id: String(response.body.user.id), token: String(response.body.token) };
};

const watch = async (token: string, userId: string): Promise<TestSocket> => {
  const socket = await TestSocket.open(env.stack.wsUrl, token);
  sockets.push(socket);
  const reply = await socket.request({ action: 'subscribe', userIds: [userId] }, 15_000);
  if (reply.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
  return socket;
};

const managementCall = (method: 'POST' | 'GET', connectionId: string, body?: Buffer) =>
  fetch(`${env.stack.connectionsEndpoint}/@connections/${encodeURIComponent(connectionId)}`, {
    method,
    body,
    headers: { authorization: 'local' },
  });

beforeAll(async () => {
  // 50 watchers per page: the first page goes inline, the other three through the fan-out queue.
  process.env[ENV.fanOutPageSize] = '50';
  env = await startTestStack({ graceSeconds: 0 });
}, 90_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.terminate());
  await env?.dispose();
  delete process.env[ENV.fanOutPageSize];
}, 30_000);

it('one watcher that stops reading costs the other 199 no change and no re-send; it alone is closed', async () => {
  const star = await account('slow_star');
  // 200 watcher users straight into Postgres (signing up through the API would spend most of the
  // test hashing passwords), each with a token from the stack's own key.
  const db = new RDSDataClient({
    endpoint: env.stack.dataApiEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  const inserted = await db.send(
    new ExecuteStatementCommand({
      resourceArn: env.stack.dbResourceArn,
      secretArn: env.stack.dbSecretArn,
      database: 'presence',
      sql: `INSERT INTO users (name, password_hash) SELECT 'slowwatcher' || g, 'x' FROM generate_series(1, ${WATCHERS + 1}) AS g RETURNING id`,
    }),
  );
  db.destroy();
  const [slowId0, ...watcherIds] = (inserted.records ?? []).map((row) => String(row[0].longValue));
  const tokenOf = async (id: string) => (await tokenService().issue({ id, name: `slowwatcher${id}`, createdAt: Date.now() })).token;
  const watchers: TestSocket[] = [];
  for (let start = 0; start < WATCHERS; start += 20) {
    const group = watcherIds.slice(start, start + 20);
    watchers.push(...(await Promise.all(group.map(async (id) => watch(await tokenOf(id), star.id)))));
  }
  const slowUser = { id: slowId0 };
  const slow = await watch(await tokenOf(slowUser.id), star.id);
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: env.stack.dynamoDbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    }),
  );
  const { Items } = await doc.send(
    new QueryCommand({ TableName: 'presence', KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `W#${star.id}` } }),
  );
  doc.destroy();
  const slowId = String((Items ?? []).find((item) => item.watcher === slowUser.id)?.sk).split('#')[1];

  // The slow client stops reading; posts fill its socket until API Gateway's answer is 429.
  slow.socket.pause();
  const filler = Buffer.alloc(30 * 1024, 'x');
  let status = 200;
  for (let posts = 0; posts < 3_000 && status === 200; posts += 1) status = (await managementCall('POST', slowId, filler)).status;
  expect(status).toBe(429);

  const online = await TestSocket.open(env.stack.wsUrl, star.token);
  await Promise.all(watchers.map((socket) => socket.waitForPresence(star.id, 'online', 15_000)));
  await online.close();
  await Promise.all(watchers.map((socket) => socket.waitForPresence(star.id, 'offline', 15_000)));

  // The slow connection is closed once its retries are spent (DeleteConnection: 410 from then on).
  await eventually(async () => (await managementCall('GET', slowId)).status === 410, {
    timeoutMs: 20_000,
    everyMs: 250,
    what: 'the slow watcher closed',
  });
  await new Promise((resolve) => setTimeout(resolve, 500));
  const counts = watchers.map((socket) =>
    socket
      .presenceOf(star.id)
      .map((event) => event.status)
      .join(','),
  );
  expect(new Set(counts)).toEqual(new Set(['online,offline']));
  slow.socket.resume();
  const closed = await Promise.race([slow.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 10_000))]);
  expect(closed).toMatchObject({ code: 1000 });
}, 60_000);
