/**
 * The WebSocket half of the contract, end to end, with real `ws` clients against the local stack:
 * authorizer, routes, the stream poller driving the notifier, the grace queue and the sweeper.
 */

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { SignJWT } from 'jose';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';
import { sleep, TestSocket } from '../helpers/ws-client';

const LEASE_SECONDS = 3;
const GRACE_SECONDS = 1;
let env: TestStack;
const { call, signUp } = api(() => env.stack.httpUrl);
const sockets: TestSocket[] = [];
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

interface Account {
  id: string;
  token: string;
}

const account = async (name: string): Promise<Account> => {
  const response = await signUp(name);
  if (response.status !== 201) throw new Error(`sign-up of ${name} failed: ${JSON.stringify(response.body)}`);
  return { id: response.body.user.id, token: response.body.token };
};

const connect = async (who: Account, keepAlive = true): Promise<TestSocket> => {
  const socket = await TestSocket.open(env.stack.wsUrl, who.token);
  sockets.push(socket);
  return keepAlive ? socket.keepAlive(800) : socket;
};

/** Lets announcements already on their way arrive, then forgets them: the test looks at what follows. */
const quiet = async (socket: TestSocket): Promise<void> => {
  await sleep(1_200);
  socket.frames.length = 0;
};

/** A watcher connection subscribed to `targets`, with the initial snapshot already received. */
const watch = async (watcher: Account, ...targets: Account[]): Promise<TestSocket> => {
  const socket = await connect(watcher);
  const reply = await socket.request({ action: 'subscribe', userIds: targets.map((t) => t.id) });
  if (reply.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
  return socket;
};

beforeAll(async () => {
  env = await startTestStack({ leaseSeconds: LEASE_SECONDS, graceSeconds: GRACE_SECONDS, sweepSeconds: 1, dynamoDbStorage: 'disk' });
}, 90_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.terminate());
  await env?.dispose();
}, 30_000);

describe('the handshake', () => {
  it.each([
    ['no token', undefined],
    ['a forged token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl'],
    ['garbage', 'not-a-token'],
  ])('refuses %s with 401', async (_case, token) => {
    await expect(TestSocket.open(env.stack.wsUrl, token)).rejects.toMatchObject({ status: 401 });
  });

  it('refuses a correctly signed token for a user who does not exist with 401', async () => {
    const key = new TextEncoder().encode((await readFile(path.join(env.dataDir, 'signing-key'), 'utf8')).trim());
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      name: 'ghost',
      sub: '999999',
      iss: 'presence-service',
      aud: 'presence-clients',
      iat: now,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(key);

    await expect(TestSocket.open(env.stack.wsUrl, token)).rejects.toMatchObject({ status: 401 });
  });

  it('opens with a valid token', async () => {
    const me = await account('ws-opener');

    const socket = await connect(me);

    expect(socket.socket.readyState).toBe(1);
  });
});

describe('subscribe', () => {
  it('answers with the current presence of known ids and lists unknown ones', async () => {
    const [watcher, online, offline] = [await account('snap-watcher'), await account('snap-online'), await account('snap-offline')];
    await connect(online);
    const socket = await connect(watcher);

    const reply = await socket.request({ action: 'subscribe', userIds: [online.id, offline.id, '999999', 'bogus'] });

    expect(reply).toEqual({
      type: 'subscribed',
      requestId: expect.any(String),
      presences: [
        { userId: online.id, status: 'online', lastSeen: null },
        { userId: offline.id, status: 'offline', lastSeen: null },
      ],
      unknown: ['999999', 'bogus'],
    });
  });

  it('refuses more than 1,000 known users per connection with too_many_subscriptions, adding nothing from that frame', async () => {
    const db = new RDSDataClient({ endpoint: env.stack.dataApiEndpoint, region: 'us-east-1', credentials });
    const target = { resourceArn: env.stack.dbResourceArn, secretArn: env.stack.dbSecretArn, database: 'presence' };
    // 1,001 users straight into Postgres: signing up through the API would spend a minute hashing passwords.
    const inserted = await db.send(
      new ExecuteStatementCommand({
        ...target,
        sql: `INSERT INTO users (name, password_hash) SELECT 'bulk' || g, 'x' FROM generate_series(1, 1001) AS g RETURNING id`,
      }),
    );
    db.destroy();
    const ids = (inserted.records ?? []).map((row) => String(row[0].longValue));
    const socket = await connect(await account('greedy'));
    for (let start = 0; start < 1000; start += 100) {
      const ok = await socket.request({ action: 'subscribe', userIds: ids.slice(start, start + 100) }, 10_000);
      expect(ok.type).toBe('subscribed');
    }

    const refused = await socket.request({ action: 'subscribe', userIds: [ids[1000], 'unknown-1'] });
    const again = await socket.request({ action: 'subscribe', userIds: [ids[0], 'unknown-2'] });

    expect(refused).toMatchObject({ type: 'error', code: 'too_many_subscriptions' });
    expect(again).toMatchObject({ type: 'subscribed', unknown: ['unknown-2'] });
  }, 60_000);
});

describe('live events', () => {
  it('pushes online when a watched user connects, and offline after the grace when they leave', async () => {
    const [watcher, target] = [await account('live-watcher'), await account('live-target')];
    const socket = await watch(watcher, target);

    const connectedAt = Date.now();
    const targetSocket = await connect(target);
    const online = await socket.waitForPresence(target.id, 'online');
    const onlineLatency = Date.now() - connectedAt;
    const closedAt = Date.now();
    await targetSocket.close();
    const offline = await socket.waitForPresence(target.id, 'offline', 10_000);

    expect(online).toEqual({ userId: target.id, status: 'online', lastSeen: null, changedAt: expect.any(String) });
    expect(onlineLatency).toBeLessThan(3_000);
    expect(Math.abs(Date.parse(offline.lastSeen) - closedAt)).toBeLessThan(1_000);
    expect(Date.parse(offline.changedAt) - Date.parse(offline.lastSeen)).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 50);
  }, 20_000);

  it('changes nothing for watchers when one of two devices closes', async () => {
    const [watcher, target] = [await account('devices-watcher'), await account('devices-target')];
    const phone = await connect(target);
    const laptop = await connect(target);
    const socket = await watch(watcher, target);
    await quiet(socket);

    await phone.close();
    await sleep((GRACE_SECONDS + 1.5) * 1000);
    const afterOne = socket.presenceOf(target.id);
    await laptop.close();
    const offline = await socket.waitForPresence(target.id, 'offline', 10_000);

    expect(afterOne).toEqual([]);
    expect(offline.status).toBe('offline');
  }, 20_000);

  it('sends no event for a blip shorter than the grace', async () => {
    const [watcher, target] = [await account('blip-watcher'), await account('blip-target')];
    const first = await connect(target);
    const socket = await watch(watcher, target);
    await quiet(socket);

    await first.close();
    await connect(target);
    await sleep((GRACE_SECONDS + 1.5) * 1000);

    expect(socket.presenceOf(target.id)).toEqual([]);
  }, 20_000);

  it('sets offline at once, without grace, over the WebSocket and back online again', async () => {
    const [watcher, target] = [await account('manual-watcher'), await account('manual-target')];
    const targetSocket = await connect(target);
    const socket = await watch(watcher, target);

    const reply = await targetSocket.request({ action: 'setStatus', status: 'offline' });
    const offline = await socket.waitForPresence(target.id, 'offline', 2_000);
    await targetSocket.request({ action: 'setStatus', status: 'online' });
    const online = await socket.waitForPresence(target.id, 'online', 2_000);

    expect(reply).toEqual({ type: 'status', requestId: expect.any(String), status: 'offline' });
    expect(offline.lastSeen).toBe(offline.changedAt);
    expect(online.lastSeen).toBeNull();
  });

  it('stops events for users after unsubscribe', async () => {
    const [watcher, target] = [await account('unsub-watcher'), await account('unsub-target')];
    const socket = await watch(watcher, target);

    const reply = await socket.request({ action: 'unsubscribe', userIds: [target.id] });
    await connect(target);
    await sleep(1_500);

    expect(reply).toEqual({ type: 'unsubscribed', requestId: expect.any(String), userIds: [target.id] });
    expect(socket.presenceOf(target.id)).toEqual([]);
  });

  it('turns a silent connection offline after its lease, closes it, and reports its connect as lastSeen', async () => {
    const [watcher, target] = [await account('silent-watcher'), await account('silent-target')];
    const socket = await watch(watcher, target);
    const connectedAt = Date.now();
    const silent = await connect(target, false);
    await socket.waitForPresence(target.id, 'online');

    const offline = await socket.waitForPresence(target.id, 'offline', (LEASE_SECONDS + 4) * 1000);
    const closed = await silent.closed;

    expect(Math.abs(Date.parse(offline.lastSeen) - connectedAt)).toBeLessThan(1_000);
    expect(Date.parse(offline.changedAt) - connectedAt).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000);
    expect(closed.code).toBe(1000);
  }, 20_000);

  it('keeps a connection that sends frames online past several leases', async () => {
    const [watcher, target] = [await account('chatty-watcher'), await account('chatty-target')];
    await connect(target);
    const socket = await watch(watcher, target);
    await quiet(socket);

    await sleep(LEASE_SECONDS * 2 * 1000 + 1000);
    const presence = await call('GET', `/presence?userIds=${target.id}`, { token: watcher.token });

    expect(socket.presenceOf(target.id)).toEqual([]);
    expect(presence.body.presences[0].status).toBe('online');
  }, 20_000);

  it("keeps delivering to the other watchers when a closed watcher's connection is still listed (its post gets a 410)", async () => {
    const [target, leaver, stayer] = [await account('gone-target'), await account('gone-leaver'), await account('gone-stayer')];
    const leaving = await watch(leaver, target);
    const staying = await watch(stayer, target);
    await leaving.close();
    await quiet(staying);

    await connect(target);
    const online = await staying.waitForPresence(target.id, 'online');

    expect(online).toMatchObject({ userId: target.id, status: 'online' });
    expect(leaving.presenceOf(target.id)).toEqual([]);
  }, 20_000);
});

describe('frames', () => {
  let socket: TestSocket;

  beforeAll(async () => {
    socket = await connect(await account('framer'));
  });

  it('answers a heartbeat with the lease end', async () => {
    const before = Date.now();

    const reply = await socket.request({ action: 'heartbeat' });

    expect(reply).toEqual({ type: 'heartbeat', requestId: expect.any(String), leaseExpiresAt: expect.any(String) });
    expect(Date.parse(reply.leaseExpiresAt)).toBeGreaterThanOrEqual(before + LEASE_SECONDS * 1000 - 100);
  });

  it.each([
    ['an unknown action', { action: 'dance' }],
    ['no action', { userIds: ['1'] }],
    ['userIds that is not a list', { action: 'subscribe', userIds: '1' }],
    ['an empty userIds', { action: 'subscribe', userIds: [] }],
    ['101 userIds', { action: 'subscribe', userIds: Array.from({ length: 101 }, (_, i) => String(i + 1)) }],
    ['a bad status', { action: 'setStatus', status: 'away' }],
  ])('answers %s with invalid_request, echoing requestId, and stays open', async (_case, frame) => {
    const reply = await socket.request(frame);

    expect(reply).toMatchObject({ type: 'error', code: 'invalid_request', message: expect.any(String) });
    expect(socket.socket.readyState).toBe(1);
  });

  it('answers bad JSON with invalid_request and no requestId, and stays open', async () => {
    socket.send('{"action": "subscribe", ');

    const reply = await socket.next((frame) => frame?.type === 'error' && frame.requestId === undefined);

    expect(reply.code).toBe('invalid_request');
    expect(socket.socket.readyState).toBe(1);
  });

  it('closes on a single frame over 32 KB with 1009, as API Gateway does', async () => {
    const big = await connect(await account('big-framer'));

    big.send({ action: 'heartbeat', padding: 'x'.repeat(33 * 1024) });

    expect((await big.closed).code).toBe(1009);
  });

  it('answers a message over 32 KiB sent as frames of at most 32 KB with payload_too_large, echoing requestId, and stays open', async () => {
    const text = JSON.stringify({ action: 'heartbeat', requestId: 'fragmented', padding: 'x'.repeat(90 * 1024) });
    const fragments = Array.from({ length: Math.ceil(text.length / (30 * 1024)) }, (_, i) =>
      text.slice(i * 30 * 1024, (i + 1) * 30 * 1024),
    );

    fragments.forEach((fragment, index) => socket.socket.send(fragment, { fin: index === fragments.length - 1 }));
    const reply = await socket.next((frame) => frame?.requestId === 'fragmented');

    expect(fragments.length).toBeGreaterThan(1);
    expect(reply).toMatchObject({ type: 'error', code: 'payload_too_large' });
    expect((await socket.request({ action: 'heartbeat' })).type).toBe('heartbeat');
  });
});

describe('a restart', () => {
  it('ends WebSocket connections and their users go offline no later than one lease after', async () => {
    const target = await account('restart-target');
    const targetSocket = await connect(target, false);

    await env.restart();
    await targetSocket.closed;
    await sleep((LEASE_SECONDS + 2) * 1000);
    const presence = await call('GET', `/presence?userIds=${target.id}`, { token: target.token });

    expect(presence.body.presences[0].status).toBe('offline');
  }, 60_000);
});
