/**
 * What a PresenceClient does when things go wrong, against the local stack: a dead token stops it
 * (it asks `GET /me` after a refused connect and emits `unauthorized`) instead of retrying forever;
 * an outage is reported as `reconnecting` with the next attempt time, and `reconnectNow()` skips
 * the wait; with an api it takes its heartbeat and WebSocket URL from `GET /config`.
 */
import WebSocket from 'ws';
import {
  type ConnectionStateChange,
  PresenceApi,
  PresenceClient,
  type PresenceClientOptions,
  type WebSocketConstructor,
} from '../../client';
import { eventually } from '../helpers/eventually';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { sleep } from '../helpers/ws-client';

const HEARTBEAT_SECONDS = 1;
let env: TestStack;
let proxy: TcpProxy;
const clients: PresenceClient[] = [];

/** `ws`, counting the sockets opened and the frames sent. */
const countingWebSocket = () => {
  const counts = { sockets: 0, heartbeats: 0 };
  class Counting extends WebSocket {
    constructor(url: string) {
      super(url);
      counts.sockets += 1;
    }
    override send(data: string): void {
      if ((JSON.parse(data) as { action?: string }).action === 'heartbeat') counts.heartbeats += 1;
      super.send(data);
    }
  }
  return { WebSocket: Counting as unknown as WebSocketConstructor, counts };
};

const client = (options: Partial<PresenceClientOptions> & Pick<PresenceClientOptions, 'token'>) => {
  const made = new PresenceClient({ WebSocket: WebSocket as WebSocketConstructor, ...options });
  const states: ConnectionStateChange[] = [];
  made.on('connection-state', (change) => states.push(change));
  clients.push(made);
  return { client: made, states };
};

let accounts = 0;
const signUp = async () => {
  accounts += 1;
  const api = new PresenceApi({ baseUrl: env.stack.httpUrl });
  await api.signUp(`behaviour-${accounts}`, 'correct horse');
  return api;
};

beforeAll(async () => {
  env = await startTestStack({ heartbeatSeconds: HEARTBEAT_SECONDS, leaseSeconds: 10, graceSeconds: 0 });
  proxy = await startTcpProxy(env.stack.ports.wsPort);
}, 90_000);

afterAll(async () => {
  clients.forEach((made) => made.close());
  await proxy?.close();
  await env?.dispose();
}, 30_000);

describe('a token the server refuses', () => {
  it.each([
    ['a forged token', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA'],
    ['garbage', 'not-a-token'],
  ])('asks GET /me after the refused connect, emits unauthorized once and stops retrying (%s)', async (_case, token) => {
    const api = new PresenceApi({ baseUrl: env.stack.httpUrl, token });
    const counting = countingWebSocket();
    const { client: made, states } = client({
      url: env.stack.wsUrl,
      api,
      WebSocket: counting.WebSocket,
      backoff: { baseMs: 50, maxMs: 100 },
    });
    const unauthorized: unknown[] = [];
    made.on('unauthorized', (event) => unauthorized.push(event));

    made.connect();
    await eventually(() => unauthorized.length > 0, { what: 'unauthorized', timeoutMs: 5_000 });
    await sleep(1_000);

    expect(unauthorized).toHaveLength(1);
    expect(made.state).toBe('closed');
    expect(counting.counts.sockets).toBeLessThanOrEqual(2);
    expect(states.at(-1)?.state).toBe('closed');
  });
});

describe('an outage', () => {
  it('reports reconnecting with the next attempt time, keeps trying while GET /me answers, and reconnectNow() connects at once', async () => {
    const api = await signUp();
    const { client: made, states } = client({
      url: `ws://127.0.0.1:${proxy.port}`,
      api,
      heartbeatSeconds: 60,
      // Every retry waits ~20 s: only reconnectNow() can bring it back within this test.
      backoff: { baseMs: 20_000, maxMs: 20_000 },
      random: () => 0.99,
    });
    const unauthorized: unknown[] = [];
    made.on('unauthorized', (event) => unauthorized.push(event));
    made.connect();
    await eventually(() => made.state === 'connected', { what: 'the connection' });

    proxy.down();
    const lostAt = Date.now();
    await eventually(() => made.state === 'reconnecting', { what: 'reconnecting' });
    const reconnecting = states.filter((change) => change.state === 'reconnecting').at(-1);
    // An attempt while the network is still down fails; GET /me answers 200, so it is an outage: retry.
    made.reconnectNow();
    await eventually(() => states.filter((change) => change.state === 'reconnecting').length >= 2, { what: 'the second failure' });
    await sleep(500);
    const stillReconnecting = made.state;
    proxy.up();
    const nowAt = Date.now();
    made.reconnectNow();
    await eventually(() => made.state === 'connected', { what: 'the reconnection', timeoutMs: 3_000 });

    expect(stillReconnecting).toBe('reconnecting');
    expect(reconnecting?.nextAttemptAt).toBeGreaterThan(lostAt + 15_000);
    expect(made.nextAttemptAt).toBeNull();
    expect(Date.now() - nowAt).toBeLessThan(3_000);
    expect(unauthorized).toEqual([]);
  });
});

describe('GET /config', () => {
  it('gives the heartbeat interval and the WebSocket URL when the options leave them out', async () => {
    const api = await signUp();
    const counting = countingWebSocket();
    const { client: made } = client({ api, WebSocket: counting.WebSocket });

    made.connect();
    await eventually(() => made.state === 'connected', { what: 'the connection' });
    await sleep(HEARTBEAT_SECONDS * 3_500);

    // With the library's default (60 s) there would be none.
    expect(counting.counts.heartbeats).toBeGreaterThanOrEqual(2);
    expect(counting.counts.sockets).toBe(1);
  });
});
