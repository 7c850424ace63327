/**
 * The connection pool alone, over stand-in sockets: what `@connections` sees of a connection, and
 * the close code and reason `$disconnect` gets for each way a connection ends.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { WebSocket } from 'ws';
import { type Connection, ConnectionPool, GOING_AWAY } from '../../../../local/api-gateway/websocket/connection-pool';
import type { CloseReason } from '../../../../local/api-gateway/websocket/events';

/** The parts of a `ws` socket the pool uses; `close` only records, the test decides when the close completes. */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  readonly closes: [number, string][] = [];
  send(data: Buffer | string): void {
    this.sent.push(data.toString());
  }
  close(code: number, reason: string): void {
    this.readyState = 2;
    this.closes.push([code, reason]);
  }
  terminate(): void {
    this.finish(1006, '');
  }
  finish(code: number, reason: string): void {
    this.readyState = 3;
    this.emit('close', code, Buffer.from(reason));
  }
}

const connection = (id: string): Connection => ({
  id,
  connectedAt: 1,
  lastActiveAt: 1,
  sourceIp: '127.0.0.1',
  userAgent: 'test',
  host: 'localhost',
});

let messages: [string, string][];
let closed: [string, CloseReason][];
let pool: ConnectionPool;

const attach = (id: string) => {
  const socket = new FakeSocket();
  const raw = new PassThrough();
  const done = pool.attach(connection(id), socket as unknown as WebSocket, raw);
  return { socket, raw, done };
};

beforeEach(() => {
  messages = [];
  closed = [];
  pool = new ConnectionPool({
    idleMs: 60_000,
    maxMs: 60_000,
    log: () => undefined,
    onMessage: (c, body, reply) => {
      messages.push([c.id, body]);
      reply(`echo:${body}`);
    },
    onClosed: (c, close) => closed.push([c.id, close]),
  });
});

afterEach(() => pool.terminateAll());

it('hands text messages on with a reply that reaches the socket, and tells @connections when the client was last active', () => {
  const { socket } = attach('A');
  const before = Date.now();

  socket.emit('message', Buffer.from('{"action":"x"}'), false);

  expect(messages).toEqual([['A', '{"action":"x"}']]);
  expect(socket.sent).toEqual(['echo:{"action":"x"}']);
  expect(pool.find('A')?.lastActiveAt).toBeGreaterThanOrEqual(before);
});

it("closes on a binary frame with 1003 and reports that close, not the client's echo of it", async () => {
  const { socket, done } = attach('A');

  socket.emit('message', Buffer.from([1, 2]), true);
  socket.finish(1003, '');
  await done;

  expect(messages).toEqual([]);
  expect(socket.closes).toEqual([[1003, 'Binary frames are not supported']]);
  expect(closed).toEqual([['A', { code: 1003, reason: 'Binary frames are not supported' }]]);
});

it('closes on a frame header announcing more than 32 KB, before its payload, with 1009', () => {
  const { socket, raw } = attach('A');

  raw.emit('data', Buffer.from([0x81, 0xfe, 0x80, 0x01, 0, 0, 0, 0]));

  expect(socket.closes).toEqual([[1009, 'Message too big']]);
  expect(pool.find('A')).toBeUndefined();
});

it('deletes for @connections: 1000 to the client, gone at once, a second delete refused', async () => {
  const { socket, done } = attach('A');

  expect(pool.find('A')?.disconnect()).toBe(true);
  expect(pool.find('A')).toBeUndefined();
  expect(pool.close('A', GOING_AWAY)).toBe(false);
  socket.finish(1000, '');
  await done;

  expect(closed).toEqual([['A', { code: 1000, reason: 'Connection Closed Normally' }]]);
});

it("reports a client close without a status as 1005 with API Gateway's text, and a client reason as given", async () => {
  const a = attach('A');
  const b = attach('B');

  a.socket.finish(1005, '');
  b.socket.finish(4000, 'bye');
  await Promise.all([a.done, b.done]);

  expect(closed).toEqual([
    ['A', { code: 1005, reason: 'Client-side close frame status not set' }],
    ['B', { code: 4000, reason: 'bye' }],
  ]);
  expect(pool.ids()).toEqual([]);
});

it('reports the protocol error ws answered (invalid UTF-8: 1007) and stops delivering to that connection', async () => {
  const { socket, done } = attach('A');

  socket.emit('error', Object.assign(new Error('invalid UTF-8'), { code: 'WS_ERR_INVALID_UTF8' }));
  const post = pool.find('A');
  socket.finish(1007, '');
  await done;

  expect(post).toBeUndefined();
  expect(closed).toEqual([['A', { code: 1007, reason: 'Invalid frame payload data' }]]);
});

it('closes every open connection with 1001 on closeAll', () => {
  const a = attach('A');
  const b = attach('B');

  pool.closeAll(GOING_AWAY);

  expect([a.socket.closes, b.socket.closes]).toEqual([[[1001, 'Going away']], [[1001, 'Going away']]]);
  expect(pool.ids()).toEqual([]);
});
