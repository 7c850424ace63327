/**
 * An unavailable user database delays no event (contract, WebSocket: "an unavailable user database
 * delays no event"; review H2): with the local Data API switched down, online and offline changes
 * still reach watchers, and the offline moment reaches Postgres once it is switched up again.
 */
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { fromSqlTimestamp } from '../../lambdas/adapters/data-api';
import { eventually } from '../helpers/eventually';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';
import { TestSocket } from '../helpers/ws-client';

let env: TestStack;
const { call, signUp } = api(() => env.stack.httpUrl);
const sockets: TestSocket[] = [];
/** The contract's target is 1 s; the assertion is generous (2 shared cores): `npm run bench` measures. */
const DELIVERY_BOUND_MS = 3_000;

const account = async (name: string) => {
  const response = await signUp(name);
  if (response.status !== 201) throw new Error(`sign-up of ${name} failed: ${JSON.stringify(response.body)}`);
  return { id: response.body.user.id as string, token: response.body.token as string };
};

const connect = async (token: string) => {
  const socket = await TestSocket.open(env.stack.wsUrl, token);
  sockets.push(socket);
  return socket;
};

const lastSeenInPostgres = async (userId: string): Promise<number | null> => {
  const db = new RDSDataClient({
    endpoint: env.stack.dataApiEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  try {
    const { records } = await db.send(
      new ExecuteStatementCommand({
        resourceArn: env.stack.dbResourceArn,
        secretArn: env.stack.dbSecretArn,
        database: 'presence',
        sql: 'SELECT last_seen FROM users WHERE id = :id',
        parameters: [{ name: 'id', value: { longValue: Number(userId) } }],
      }),
    );
    const text = records?.[0]?.[0]?.stringValue;
    return text === undefined ? null : fromSqlTimestamp(text);
  } finally {
    db.destroy();
  }
};

beforeAll(async () => {
  env = await startTestStack({ graceSeconds: 0 });
}, 90_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.terminate());
  await env?.dispose();
}, 30_000);

it('delivers online and offline while the Data API is down, and records lastSeen in Postgres once it is up', async () => {
  const [watcher, target] = [await account('outage-watcher'), await account('outage-target')];
  const watching = await connect(watcher.token);
  expect(await watching.request({ action: 'subscribe', userIds: [target.id] })).toMatchObject({ type: 'subscribed' });

  expect((await call('PUT', '/local/faults', { body: { dataApi: 'down' } })).status).toBe(200);
  const targetSocket = await connect(target.token);
  const online = await watching.waitForPresence(target.id, 'online', DELIVERY_BOUND_MS);
  await targetSocket.close();
  const offline = await watching.waitForPresence(target.id, 'offline', DELIVERY_BOUND_MS);
  const lastSeen = Date.parse(offline.lastSeen);
  expect(online.lastSeen).toBeNull();
  expect(await call('GET', '/local/faults')).toMatchObject({ body: { dataApi: 'down' } });

  expect((await call('PUT', '/local/faults', { body: { dataApi: 'up' } })).status).toBe(200);

  await eventually(async () => (await lastSeenInPostgres(target.id)) === lastSeen, {
    timeoutMs: 20_000,
    everyMs: 250,
    what: 'lastSeen in Postgres',
  });
  expect(await lastSeenInPostgres(target.id)).toBe(lastSeen);
}, 60_000);
