/**
 * PresenceClient on Node with `ws`, against the local stack: reconnects restore the watch list,
 * make-before-break rotation never shows its user offline, heartbeats keep the lease; and, with a
 * scripted socket, the ordering rules (buffer before the snapshot, drop stale and duplicate events).
 */
import { ApiGatewayManagementApiClient, DeleteConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import WebSocket from 'ws';
import {
  type ConnectionState,
  PresenceApi,
  PresenceClient,
  type PresenceClientOptions,
  type PresenceUpdate,
  type ServerFrame,
  type WebSocketConstructor,
  type WebSocketLike,
} from '../../client';
import { eventually } from '../helpers/eventually';
import { startTestStack, type TestStack } from '../helpers/local-stack';
import { sleep, TestSocket } from '../helpers/ws-client';

const LEASE_SECONDS = 2;
const HEARTBEAT_SECONDS = 0.5;
let env: TestStack;
/** `$connect` ids in the order the stack accepted them (the only way a test learns a connection id). */
const connectionIds: string[] = [];
const clients: PresenceClient[] = [];
const sockets: TestSocket[] = [];

interface Account {
  id: string;
  name: string;
  token: string;
  api: PresenceApi;
}

let accountCount = 0;
const account = async (prefix: string): Promise<Account> => {
  accountCount += 1;
  const api = new PresenceApi({ baseUrl: env.stack.httpUrl });
  const session = await api.signUp(`${prefix}-${accountCount}`, 'correct horse');
  return { id: session.user.id, name: session.user.name, token: session.token, api };
};

/** `ws`, recording what each socket sends and receives. */
const recordingWebSocket = () => {
  const created: Recording[] = [];
  class Recording extends WebSocket {
    readonly sent: Record<string, unknown>[] = [];
    readonly received: Record<string, unknown>[] = [];
    openedAt = Number.NaN;
    closedAt = Number.NaN;
    constructor(url: string) {
      super(url);
      created.push(this);
      this.on('open', () => (this.openedAt = performance.now()));
      this.on('close', () => (this.closedAt = performance.now()));
      this.on('message', (data) => this.received.push(JSON.parse(data.toString()) as Record<string, unknown>));
    }
    override send(data: string): void {
      this.sent.push(JSON.parse(data) as Record<string, unknown>);
      super.send(data);
    }
    /** Delivers a frame as if the server had sent it. */
    inject(frame: unknown): void {
      this.emit('message', Buffer.from(JSON.stringify(frame)), false);
    }
  }
  return { WebSocket: Recording as WebSocketConstructor, created };
};

interface Observed {
  client: PresenceClient;
  states: ConnectionState[];
  updates: PresenceUpdate[];
}

const observe = (client: PresenceClient): Observed => {
  const observed: Observed = { client, states: [], updates: [] };
  client.on('connection-state', ({ state }) => observed.states.push(state));
  client.on('presence', (update) => observed.updates.push(update));
  return observed;
};

const presenceClient = (who: Account, options: Partial<PresenceClientOptions> = {}): Observed => {
  const client = new PresenceClient({
    url: env.stack.wsUrl,
    token: who.token,
    WebSocket: WebSocket as WebSocketConstructor,
    heartbeatSeconds: HEARTBEAT_SECONDS,
    backoff: { baseMs: 100, maxMs: 1_000 },
    ...options,
  });
  clients.push(client);
  return observe(client);
};

const until = (what: string, condition: () => boolean, timeoutMs = 5_000): Promise<void> =>
  eventually(condition, { what, timeoutMs, everyMs: 20 });

const connected = (observed: Observed) => until('the connection', () => observed.client.state === 'connected');

beforeAll(async () => {
  // No offline grace: any gap between two connections of a user would show at once.
  env = await startTestStack({
    leaseSeconds: LEASE_SECONDS,
    sweepSeconds: 1,
    graceSeconds: 0,
    log: (line) => {
      const accepted = /^\$connect (\S+) -> 101/.exec(line);
      if (accepted !== null) connectionIds.push(accepted[1]);
    },
  });
}, 90_000);

afterAll(async () => {
  clients.forEach((client) => client.close());
  sockets.forEach((socket) => socket.terminate());
  await env?.dispose();
}, 30_000);

describe('against the local stack', () => {
  it('reconnects after the server drops the socket and keeps receiving events for its watch list', async () => {
    const [watcher, target] = [await account('drop-watcher'), await account('drop-target')];
    sockets.push((await TestSocket.open(env.stack.wsUrl, target.token)).keepAlive(500));
    const observed = presenceClient(watcher);
    await observed.client.watch([target.id]);
    const before = connectionIds.length;
    observed.client.connect();
    await connected(observed);
    await until('the snapshot', () => observed.client.presence(target.id)?.status === 'online');
    const [connectionId] = connectionIds.slice(before);
    const management = new ApiGatewayManagementApiClient({
      endpoint: env.stack.connectionsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    await management.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await until('a reconnect', () => observed.states.includes('reconnecting') && observed.client.state === 'connected');
    await target.api.setStatus('offline');
    await until('the offline event', () =>
      observed.updates.some((u) => u.userId === target.id && u.status === 'offline' && u.source === 'event'),
    );

    expect(observed.states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(connectionIds.length - before).toBe(2);
    expect(observed.client.presence(target.id)).toMatchObject({
      status: 'offline',
      lastSeen: expect.any(String),
      changedAt: expect.any(String),
    });
  });

  it('replaces its connection before closing the old one, so watchers never see its user offline', async () => {
    const [rotating, watcher] = [await account('mbb-user'), await account('mbb-watcher')];
    const socket = (await TestSocket.open(env.stack.wsUrl, watcher.token)).keepAlive(500);
    sockets.push(socket);
    await socket.request({ action: 'subscribe', userIds: [rotating.id] });
    const recorder = recordingWebSocket();
    const observed = presenceClient(rotating, { WebSocket: recorder.WebSocket, maxConnectionMs: 1_200, rotationJitter: 0.2 });

    observed.client.connect();
    await socket.waitForPresence(rotating.id, 'online');
    await until('three rotations', () => recorder.created.length >= 4 && !Number.isNaN(recorder.created[2].closedAt), 8_000);
    await sleep(300);
    const offlineWhileRotating = socket.presenceOf(rotating.id).filter((p) => p.status === 'offline');
    const retired = recorder.created.slice(0, 3);
    const overlaps = retired.map((old, i) => old.closedAt - recorder.created[i + 1].openedAt);
    observed.client.close();
    // The control: closing for good does show up at the watcher (no grace), so the silence above was not deafness.
    await socket.waitForPresence(rotating.id, 'offline');

    expect(offlineWhileRotating).toEqual([]);
    expect(overlaps.every((ms) => ms > 0)).toBe(true);
    expect(observed.states).toEqual(['connecting', 'connected', 'closed']);
  });

  it('sends a heartbeat after each heartbeatSeconds of silence, keeping its connection past the lease', async () => {
    const [beating, silent] = [await account('heartbeat'), await account('silent')];
    const recorder = recordingWebSocket();
    const observed = presenceClient(beating, { WebSocket: recorder.WebSocket, heartbeatSeconds: 0.4 });
    const control = presenceClient(silent, { heartbeatSeconds: 600 });

    observed.client.connect();
    control.client.connect();
    await Promise.all([connected(observed), connected(control)]);
    const started = Date.now();
    await until('the server to close the silent connection', () => control.states.includes('reconnecting'), 10_000);
    const elapsed = Date.now() - started;
    const [socket] = recorder.created;
    const heartbeats = socket.sent.filter((frame) => frame.action === 'heartbeat');
    const replies = socket.received.filter((frame) => frame.type === 'heartbeat');
    const user = await beating.api.getUser(beating.id);

    expect(elapsed).toBeGreaterThanOrEqual(LEASE_SECONDS * 1000 - 500);
    expect(heartbeats.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 400) - 1);
    expect(heartbeats.length).toBeLessThanOrEqual(Math.ceil(elapsed / 400) + 2);
    expect(replies.length).toBeGreaterThanOrEqual(heartbeats.length - 1);
    expect(recorder.created).toHaveLength(1);
    expect(observed.states).toEqual(['connecting', 'connected']);
    expect(user.status).toBe('online');
  });

  it('sets its own status over the socket, as watchers then see it', async () => {
    const [me, watcher] = [await account('ws-status'), await account('ws-status-watcher')];
    const observed = presenceClient(me);
    observed.client.connect();
    await connected(observed);
    const socket = (await TestSocket.open(env.stack.wsUrl, watcher.token)).keepAlive(500);
    sockets.push(socket);
    await socket.request({ action: 'subscribe', userIds: [me.id] });

    const status = await observed.client.setStatus('offline');
    const seen = await socket.waitForPresence(me.id, 'offline');

    expect(status).toBe('offline');
    expect(seen.lastSeen).toEqual(expect.any(String));
  });

  it('drops duplicate and stale events that arrive after a newer one', async () => {
    const [watcher, target] = [await account('dup-watcher'), await account('dup-target')];
    const recorder = recordingWebSocket();
    const observed = presenceClient(watcher, { WebSocket: recorder.WebSocket });
    await observed.client.watch([target.id]);
    observed.client.connect();
    await connected(observed);
    const targetSocket = (await TestSocket.open(env.stack.wsUrl, target.token)).keepAlive(500);
    sockets.push(targetSocket);
    await until('the online event', () => observed.updates.some((u) => u.source === 'event' && u.status === 'online'));
    const online = observed.client.presence(target.id);
    const changedAt = Date.parse(online?.changedAt ?? '');
    const [socket] = recorder.created;
    const updatesBefore = observed.updates.length;

    socket.inject({ type: 'presence', presences: [{ userId: target.id, status: 'online', lastSeen: null, changedAt: online?.changedAt }] });
    socket.inject({
      type: 'presence',
      presences: [
        {
          userId: target.id,
          status: 'offline',
          lastSeen: new Date(changedAt - 2_000).toISOString(),
          changedAt: new Date(changedAt - 1_000).toISOString(),
        },
      ],
    });
    targetSocket.terminate();
    await until('the real offline event', () => observed.updates.length > updatesBefore);

    expect(observed.updates.slice(updatesBefore)).toEqual([
      expect.objectContaining({ userId: target.id, status: 'offline', source: 'event' }),
    ]);
    expect(Date.parse(observed.client.presence(target.id)?.changedAt ?? '')).toBeGreaterThan(changedAt);
  });
});

/** A socket the test plays the server for. */
class ScriptedSocket implements WebSocketLike {
  static last: ScriptedSocket | undefined;
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: Record<string, any>[] = [];

  constructor(readonly url: string) {
    ScriptedSocket.last = this;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, any>);
  }

  close(): void {
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  deliver(frame: ServerFrame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

const scripted = async (watch: string[]): Promise<{ client: PresenceClient; socket: ScriptedSocket; updates: PresenceUpdate[] }> => {
  const client = new PresenceClient({ url: 'ws://scripted.invalid', token: 't0ken', WebSocket: ScriptedSocket });
  clients.push(client);
  const { updates } = observe(client);
  void client.watch(watch);
  client.connect();
  await until('the socket', () => ScriptedSocket.last?.url.startsWith('ws://scripted.invalid') === true);
  const socket = ScriptedSocket.last as ScriptedSocket;
  socket.open();
  return { client, socket, updates };
};

describe('frame handling (scripted socket)', () => {
  beforeEach(() => {
    ScriptedSocket.last = undefined;
  });

  it('connects with the token in the query and subscribes its watch list', async () => {
    const { socket } = await scripted(['1', '2']);

    expect(new URL(socket.url).searchParams.get('token')).toBe('t0ken');
    expect(socket.sent).toEqual([{ action: 'subscribe', userIds: ['1', '2'], requestId: expect.any(String) }]);
  });

  it('applies events that arrive before the snapshot on top of it', async () => {
    const { client, socket, updates } = await scripted(['7']);
    const { requestId } = socket.sent[0];

    socket.deliver({
      type: 'presence',
      presences: [{ userId: '7', status: 'online', lastSeen: null, changedAt: '2026-11-28T10:00:05.000Z' }],
    });
    const beforeSnapshot = updates.length;
    socket.deliver({
      type: 'subscribed',
      requestId,
      presences: [{ userId: '7', status: 'offline', lastSeen: '2026-11-28T10:00:00.000Z' }],
      unknown: [],
    });

    expect(beforeSnapshot).toBe(0);
    expect(updates.map((u) => [u.source, u.status])).toEqual([
      ['snapshot', 'offline'],
      ['event', 'online'],
    ]);
    expect(client.presence('7')).toEqual({ userId: '7', status: 'online', lastSeen: null, changedAt: '2026-11-28T10:00:05.000Z' });
  });

  it('ignores an early event older than the offline snapshot it raced with', async () => {
    const { client, socket, updates } = await scripted(['7']);
    const { requestId } = socket.sent[0];

    socket.deliver({
      type: 'presence',
      presences: [{ userId: '7', status: 'online', lastSeen: null, changedAt: '2026-11-28T09:59:00.000Z' }],
    });
    socket.deliver({
      type: 'subscribed',
      requestId,
      presences: [{ userId: '7', status: 'offline', lastSeen: '2026-11-28T10:00:00.000Z' }],
      unknown: [],
    });

    expect(updates.map((u) => u.source)).toEqual(['snapshot']);
    expect(client.presence('7')?.status).toBe('offline');
  });

  it('keeps per user the newest changedAt, dropping duplicates and stale events', async () => {
    const { client, socket, updates } = await scripted(['7']);
    socket.deliver({
      type: 'subscribed',
      requestId: socket.sent[0].requestId,
      presences: [{ userId: '7', status: 'online', lastSeen: null }],
      unknown: [],
    });
    const offline = {
      userId: '7',
      status: 'offline',
      lastSeen: '2026-11-28T10:05:12.000Z',
      changedAt: '2026-11-28T10:05:13.000Z',
    } as const;

    socket.deliver({ type: 'presence', presences: [offline] });
    socket.deliver({ type: 'presence', presences: [offline] });
    socket.deliver({
      type: 'presence',
      presences: [{ userId: '7', status: 'online', lastSeen: null, changedAt: '2026-11-28T10:05:00.000Z' }],
    });

    expect(updates.map((u) => [u.source, u.status])).toEqual([
      ['snapshot', 'online'],
      ['event', 'offline'],
    ]);
    expect(client.presence('7')).toEqual(offline);
  });

  it('reports no presence for users it does not watch', async () => {
    const { socket, updates } = await scripted(['7']);
    socket.deliver({
      type: 'subscribed',
      requestId: socket.sent[0].requestId,
      presences: [{ userId: '7', status: 'online', lastSeen: null }],
      unknown: [],
    });

    socket.deliver({
      type: 'presence',
      presences: [{ userId: '8', status: 'online', lastSeen: null, changedAt: '2026-11-28T10:05:00.000Z' }],
    });

    expect(updates.map((u) => u.userId)).toEqual(['7']);
  });

  it('unsubscribes unwatched users and reports nothing more about them', async () => {
    const { client, socket, updates } = await scripted(['7', '8']);
    socket.deliver({
      type: 'subscribed',
      requestId: socket.sent[0].requestId,
      presences: [
        { userId: '7', status: 'online', lastSeen: null },
        { userId: '8', status: 'online', lastSeen: null },
      ],
      unknown: [],
    });

    const done = client.unwatch(['8']);
    const unsubscribe = socket.sent[1];
    socket.deliver({ type: 'unsubscribed', requestId: unsubscribe.requestId, userIds: ['8'] });
    await done;
    socket.deliver({
      type: 'presence',
      presences: [{ userId: '8', status: 'offline', lastSeen: '2026-11-28T10:05:00.000Z', changedAt: '2026-11-28T10:05:00.000Z' }],
    });

    expect(unsubscribe).toMatchObject({ action: 'unsubscribe', userIds: ['8'] });
    expect(updates.map((u) => u.userId)).toEqual(['7', '8']);
    expect(client.watching()).toEqual(['7']);
    expect(client.presence('8')).toBeUndefined();
  });

  it('reconnects with backoff when the socket closes, and subscribes the watch list again', async () => {
    const { client, socket } = await scripted(['7']);
    socket.deliver({
      type: 'subscribed',
      requestId: socket.sent[0].requestId,
      presences: [{ userId: '7', status: 'online', lastSeen: null }],
      unknown: [],
    });
    const states: ConnectionState[] = [];
    client.on('connection-state', ({ state }) => states.push(state));

    socket.readyState = 3;
    socket.onclose?.({ code: 1006, reason: '' });
    await until('a new socket', () => ScriptedSocket.last !== socket, 2_000);
    const next = ScriptedSocket.last as ScriptedSocket;
    next.open();
    next.deliver({
      type: 'subscribed',
      requestId: next.sent[0].requestId,
      presences: [{ userId: '7', status: 'online', lastSeen: null }],
      unknown: [],
    });
    await until('the new connection', () => client.state === 'connected', 1_000);

    expect(next.sent[0]).toMatchObject({ action: 'subscribe', userIds: ['7'] });
    expect(states).toEqual(['reconnecting', 'connected']);
  });
});
