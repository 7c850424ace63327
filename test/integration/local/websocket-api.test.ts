/**
 * The WebSocket API emulation against API Gateway's documented and observed behaviour, driven by
 * real `ws` clients and the real ApiGatewayManagementApiClient, with inline handlers that capture
 * what they receive.
 */
import { request } from 'node:http';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import WebSocket from 'ws';
import {
  startWebSocketApi,
  type WebSocketApi,
  type WebSocketApiOptions,
  type WebSocketConnectEvent,
  type WebSocketDisconnectEvent,
  type WebSocketMessageEvent,
} from '../../../local/api-gateway/websocket';
import type { FunctionConfig } from '../../../local/lambda/invoke';
import authorizerFixture from '../../fixtures/ws/authorizer-event.json';
import connectFixture from '../../fixtures/ws/connect-event.json';
import disconnectFixture from '../../fixtures/ws/disconnect-event.json';
import messageFixture from '../../fixtures/ws/message-event.json';

type AnyEvent = WebSocketConnectEvent & WebSocketMessageEvent & WebSocketDisconnectEvent & Record<string, unknown>;
interface Call {
  readonly fn: string;
  readonly event: AnyEvent;
}

const calls: Call[] = [];
const connectErrors: unknown[] = [];
const apis: WebSocketApi[] = [];
const clients: WebSocket[] = [];
let api: WebSocketApi;
let plain: WebSocketApi;
let management: ApiGatewayManagementApiClient;

const fn = (name: string, handler: (event: AnyEvent) => Promise<unknown>, timeoutSeconds = 3): FunctionConfig => ({
  name,
  timeoutSeconds,
  memoryMb: 128,
  handler: async (event) => {
    calls.push({ fn: name, event: event as AnyEvent });
    return handler(event as AnyEvent);
  },
});

const managementFor = (endpoint: string) =>
  new ApiGatewayManagementApiClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

const authorizer = fn('authorizer', async (event) => {
  const token = (event as unknown as { queryStringParameters: Record<string, string> }).queryStringParameters.token;
  if (token === 'unauthorized') throw new Error('Unauthorized');
  if (token === 'broken') throw new Error('connection refused by the user table');
  const effect = token.startsWith('allow') ? 'Allow' : 'Deny';
  return {
    principalId: `user-${token}`,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: (event as unknown as { methodArn: string }).methodArn }],
    },
    context: { userId: token, n: 1, admin: true },
  };
});

const onConnect = fn('connect', async (event) => {
  const query = event.queryStringParameters ?? {};
  if (query.reject !== undefined) return { statusCode: Number(query.reject) };
  if (query.throw !== undefined) throw new Error('boom in $connect');
  if (query.postSelf !== undefined) {
    await management
      .send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: Buffer.from('too early') }))
      .catch((error: unknown) => connectErrors.push(error));
  }
  const protocol = event.headers['Sec-WebSocket-Protocol'];
  return { statusCode: 200, ...(protocol === undefined ? {} : { headers: { 'Sec-WebSocket-Protocol': protocol.split(',')[0].trim() } }) };
});

const record = (name: string) => fn(name, async () => ({ statusCode: 200, body: 'return values are not sent back' }));

const echo = fn('echo', async (event) => {
  // Like the real handlers: reply through @connections, return value ignored.
  await management.send(
    new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: Buffer.from(`echo:${event.body}`) }),
  );
  return { statusCode: 200, body: 'return values are not sent back' };
});

const start = async (options: WebSocketApiOptions): Promise<WebSocketApi> => {
  const started = await startWebSocketApi(options);
  apis.push(started);
  return started;
};

beforeAll(async () => {
  api = await start({
    authorizer: { fn: authorizer, identitySource: ['route.request.querystring.token'] },
    routes: [
      { routeKey: '$connect', fn: onConnect },
      { routeKey: '$disconnect', fn: record('disconnect') },
      { routeKey: '$default', fn: record('default') },
      { routeKey: 'echo', fn: echo },
      {
        routeKey: 'boom',
        fn: fn('boom', async () => {
          throw new Error('SELECT secret FROM table');
        }),
      },
      { routeKey: 'ask', fn: fn('ask', async (event) => ({ statusCode: 200, body: `answer:${event.body}` })), returnResponse: true },
    ],
  });
  management = managementFor(api.connectionsEndpoint);
  // No authorizer and no $default.
  plain = await start({
    routes: [
      { routeKey: '$connect', fn: onConnect },
      { routeKey: '$disconnect', fn: record('disconnect') },
      { routeKey: 'echo', fn: record('plain-echo') },
    ],
  });
});

afterAll(async () => {
  for (const client of clients) client.terminate();
  await Promise.all(apis.map((started) => started.stop()));
  management.destroy();
});

beforeEach(() => {
  calls.length = 0;
  connectErrors.length = 0;
});

// ---------------------------------------------------------------------------------------------

const waitFor = async <T>(probe: () => T | undefined, timeoutMs = 3_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

interface Client {
  readonly socket: WebSocket;
  readonly id: string;
  readonly messages: { text: string; isBinary: boolean }[];
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Opens a socket, or rejects with the refused handshake's HTTP status. */
const open = (url: string, protocols?: string[]): Promise<Client> =>
  new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    clients.push(socket);
    const messages: Client['messages'] = [];
    socket.on('message', (data, isBinary) => messages.push({ text: data.toString(), isBinary }));
    const closed = new Promise<{ code: number; reason: string }>((done) =>
      socket.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    socket.on('unexpected-response', (req, res) => {
      req.destroy();
      reject(Object.assign(new Error(`handshake refused: ${res.statusCode}`), { status: res.statusCode }));
    });
    socket.on('error', reject);
    socket.on('open', () => {
      const connect = [...calls].reverse().find((call) => call.fn === 'connect');
      resolve({ socket, id: connect?.event.requestContext.connectionId ?? '', messages, closed });
    });
  });

const refusal = (url: string): Promise<number> =>
  open(url).then(
    () => 101,
    (error: { status?: number }) => error.status ?? 0,
  );

const eventsOf = (name: string, connectionId?: string) =>
  calls
    .filter((call) => call.fn === name && (connectionId === undefined || call.event.requestContext.connectionId === connectionId))
    .map((call) => call.event);

/** Key set and JSON type of each key, recursing into requestContext and identity (header names vary). */
const shape = (value: unknown, depth = 0): unknown => {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || depth > 1)
    return Array.isArray(value) ? 'array' : typeof value;
  return Object.fromEntries(
    Object.entries(value)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, inner]) => [
        key,
        key === 'requestContext' || key === 'identity' ? shape(inner, depth + 1) : Array.isArray(inner) ? 'array' : typeof inner,
      ]),
  );
};

const send = (client: Client, text: string) => client.socket.send(text);

// ---------------------------------------------------------------------------------------------

describe('handshake and the $connect authorizer', () => {
  it('refuses the handshake with 403 when the authorizer denies, without running $connect', async () => {
    const status = await refusal(`${api.url}/?token=deny`);

    expect(status).toBe(403);
    expect(eventsOf('authorizer')).toHaveLength(1);
    expect(eventsOf('connect')).toHaveLength(0);
  });

  it('opens the socket when the authorizer allows, running $connect after it', async () => {
    const client = await open(`${api.url}/local?token=allow-1`);

    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect(calls.map((call) => call.fn)).toEqual(['authorizer', 'connect']);
    expect(api.connectionIds()).toContain(client.id);
  });

  it.each([
    ['missing', `/?other=1`],
    ['empty', `/?token=`],
  ])('refuses with 401 and never invokes the authorizer when the token is %s', async (_name, path) => {
    const status = await refusal(`${api.url}${path}`);

    expect(status).toBe(401);
    expect(eventsOf('authorizer')).toHaveLength(0);
  });

  it('answers 401 when the authorizer throws "Unauthorized" and 500 when it fails otherwise', async () => {
    const statuses = [await refusal(`${api.url}/?token=unauthorized`), await refusal(`${api.url}/?token=broken`)];

    expect(statuses).toEqual([401, 500]);
    expect(eventsOf('connect')).toHaveLength(0);
  });

  it('passes the authorizer an AWS-shaped REQUEST event for the $connect method ARN', async () => {
    await open(`${api.url}/?token=allow-shape`);
    const event = eventsOf('authorizer')[0] as unknown as { methodArn: string };

    expect(shape(event)).toEqual(shape(authorizerFixture));
    expect(event.methodArn).toMatch(/^arn:aws:execute-api:us-east-1:\d{12}:[^/]+\/local\/\$connect$/);
  });

  it('gives the client the HTTP status of a non-2xx $connect result, with no socket and no $disconnect', async () => {
    const status = await refusal(`${api.url}/?token=allow-2&reject=401`);
    const connectionId = eventsOf('connect')[0].requestContext.connectionId;
    await new Promise((resolve) => setTimeout(resolve, 150));

    expect(status).toBe(401);
    expect(eventsOf('disconnect', connectionId)).toHaveLength(0);
    expect(api.connectionIds()).not.toContain(connectionId);
  });

  it('refuses with 502 when $connect fails', async () => {
    expect(await refusal(`${api.url}/?token=allow-3&throw=1`)).toBe(502);
  });

  it('answers GoneException to a post made from inside $connect', async () => {
    await open(`${api.url}/?token=allow-4&postSelf=1`);

    expect(connectErrors).toHaveLength(1);
    expect(connectErrors[0]).toBeInstanceOf(GoneException);
  });

  it('sends $connect an event with original header casing and query keys only when there is a query', async () => {
    await open(`${api.url}/?token=allow-5&p=1&p=2`);
    const withQuery = eventsOf('connect')[0];
    await open(`${plain.url}/`);
    const withoutQuery = eventsOf('connect')[1];

    expect(shape(withQuery)).toEqual(shape(connectFixture));
    expect(withQuery.headers['Sec-WebSocket-Version']).toBe('13');
    expect(withQuery.multiValueQueryStringParameters).toEqual({ token: ['allow-5'], p: ['1', '2'] });
    expect(
      ['queryStringParameters', 'multiValueQueryStringParameters', 'body', 'authorizer'].filter(
        (key) => key in withoutQuery || key in withoutQuery.requestContext,
      ),
    ).toEqual([]);
    expect(withoutQuery.requestContext.connectionId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
  });

  it('negotiates the subprotocol that $connect returns', async () => {
    const client = await open(`${plain.url}/`, ['presence.v1', 'other']);

    expect(client.socket.protocol).toBe('presence.v1');
  });
});

describe('messages', () => {
  it('carries the authorizer context, stringified, with principalId on connect, message and disconnect events', async () => {
    const client = await open(`${api.url}/?token=allow-ctx`);
    send(client, '{"action":"nothing"}');
    await waitFor(() => eventsOf('default', client.id)[0]);
    client.socket.close(1000);
    await waitFor(() => eventsOf('disconnect', client.id)[0]);

    const contexts = [eventsOf('connect', client.id), eventsOf('default', client.id), eventsOf('disconnect', client.id)].map(
      (events) => events[0].requestContext.authorizer,
    );
    for (const context of contexts)
      expect(context).toMatchObject({ principalId: 'user-allow-ctx', userId: 'allow-ctx', n: '1', admin: 'true' });
    expect(eventsOf('authorizer')).toHaveLength(1);
  });

  it('routes by exact action match, falls back to $default, and names the matched route key', async () => {
    const client = await open(`${api.url}/?token=allow-6`);
    send(client, '{"action":"echo","n":1}');
    await waitFor(() => client.messages[0]);
    send(client, '{"action":"Echo"}');
    send(client, 'not json');
    await waitFor(() => eventsOf('default', client.id).length === 2);

    expect(eventsOf('echo', client.id).map((event) => event.requestContext.routeKey)).toEqual(['echo']);
    expect(
      eventsOf('default', client.id)
        .map((event) => [event.requestContext.routeKey, event.body])
        .sort(),
    ).toEqual([
      ['$default', 'not json'],
      ['$default', '{"action":"Echo"}'],
    ]);
    expect(client.messages[0]).toEqual({ text: 'echo:{"action":"echo","n":1}', isBinary: false });
  });

  it('sends MESSAGE events with the raw body, a messageId, the connect time and no headers', async () => {
    const client = await open(`${api.url}/?token=allow-7`);
    send(client, '{"action":"x"}');
    const event = await waitFor(() => eventsOf('default', client.id)[0]);

    expect(shape(event)).toEqual(shape(messageFixture));
    expect(event.requestContext.connectedAt).toBe(eventsOf('connect', client.id)[0].requestContext.connectedAt);
    expect(event.requestContext.eventType).toBe('MESSAGE');
  });

  it("does not send a route's return value back to the client", async () => {
    const client = await open(`${api.url}/?token=allow-8`);
    send(client, '{"action":"echo"}');
    await waitFor(() => client.messages[0]);
    send(client, '{"action":"other"}');
    await waitFor(() => eventsOf('default', client.id)[0]);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(client.messages.map((message) => message.text)).toEqual(['echo:{"action":"echo"}']);
  });

  it('sends the body back as a text frame for a route with a route response', async () => {
    const client = await open(`${api.url}/?token=allow-8b`);
    send(client, '{"action":"ask"}');

    expect((await waitFor(() => client.messages[0])).text).toBe('answer:{"action":"ask"}');
  });

  it('answers a Forbidden frame when no route matches and there is no $default, and stays open', async () => {
    const client = await open(`${plain.url}/`);
    send(client, '{"action":"dance"}');
    const frame = JSON.parse((await waitFor(() => client.messages[0])).text) as Record<string, string>;

    expect(frame).toEqual({ message: 'Forbidden', connectionId: client.id, requestId: expect.stringMatching(/=$/) });
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('answers an "Internal server error" frame without details when a route fails, and stays open', async () => {
    const client = await open(`${api.url}/?token=allow-9`);
    send(client, '{"action":"boom"}');
    const frame = JSON.parse((await waitFor(() => client.messages[0])).text) as Record<string, string>;
    send(client, '{"action":"echo"}');
    await waitFor(() => client.messages[1]);

    expect(frame).toEqual({ message: 'Internal server error', connectionId: client.id, requestId: expect.any(String) });
    expect(client.messages[1].text).toBe('echo:{"action":"echo"}');
  });
});

describe('limits', () => {
  it('closes with 1009 on a frame over 32 KB and reports it to $disconnect', async () => {
    const client = await open(`${api.url}/?token=allow-big`);
    send(client, JSON.stringify({ action: 'echo', pad: 'x'.repeat(33 * 1024) }));
    const closed = await client.closed;
    const event = await waitFor(() => eventsOf('disconnect', client.id)[0]);

    expect(closed.code).toBe(1009);
    expect(event.requestContext.disconnectStatusCode).toBe(1009);
    expect(eventsOf('echo', client.id)).toHaveLength(0);
  });

  it('delivers a 100 KB message sent as frames of at most 32 KB as one event, and stays open', async () => {
    const client = await open(`${api.url}/?token=allow-fragments`);
    const text = JSON.stringify({ action: 'x', pad: 'z'.repeat(100 * 1024) });
    const fragments = [0, 1, 2, 3].map((i) => text.slice(i * 32 * 1024, (i + 1) * 32 * 1024));

    fragments.forEach((fragment, index) => client.socket.send(fragment, { fin: index === fragments.length - 1 }));
    const event = await waitFor(() => eventsOf('default', client.id)[0]);

    expect(event.body).toBe(text);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('closes with 1009 on a message over 128 KB even in frames of at most 32 KB, and never delivers it', async () => {
    const client = await open(`${api.url}/?token=allow-huge`);
    const text = JSON.stringify({ action: 'x', pad: 'z'.repeat(130 * 1024) });
    const fragments = [0, 1, 2, 3, 4].map((i) => text.slice(i * 32 * 1024, (i + 1) * 32 * 1024));

    fragments.forEach((fragment, index) => client.socket.send(fragment, { fin: index === fragments.length - 1 }));

    expect((await client.closed).code).toBe(1009);
    expect(eventsOf('default', client.id)).toHaveLength(0);
  });

  it('closes with 1009 on a first fragment over 32 KB, even when the message stays under 128 KB', async () => {
    const client = await open(`${api.url}/?token=allow-bigfragment`);
    const text = JSON.stringify({ action: 'x', pad: 'z'.repeat(60 * 1024) });

    client.socket.send(text.slice(0, 40 * 1024), { fin: false });
    client.socket.send(text.slice(40 * 1024), { fin: true });

    expect((await client.closed).code).toBe(1009);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(eventsOf('default', client.id)).toHaveLength(0);
  });

  it('accepts a frame of exactly 32 KB', async () => {
    const client = await open(`${api.url}/?token=allow-32`);
    const text = JSON.stringify({ action: 'x', pad: '' });
    send(client, JSON.stringify({ action: 'x', pad: 'y'.repeat(32 * 1024 - text.length) }));

    expect((await waitFor(() => eventsOf('default', client.id)[0])).body).toHaveLength(32 * 1024);
  });

  it('closes with 1003 on a binary frame', async () => {
    const client = await open(`${api.url}/?token=allow-bin`);
    client.socket.send(Buffer.from('{"action":"echo"}'), { binary: true });

    expect((await client.closed).code).toBe(1003);
    expect(eventsOf('echo', client.id)).toHaveLength(0);
  });

  it('closes an idle connection with 1001 and fires $disconnect', async () => {
    const idle = await start({
      idleTimeoutSeconds: 1,
      routes: [
        { routeKey: '$connect', fn: onConnect },
        { routeKey: '$disconnect', fn: record('disconnect') },
      ],
    });
    const client = await open(`${idle.url}/`);
    const startedAt = Date.now();
    const closed = await client.closed;
    const event = await waitFor(() => eventsOf('disconnect', client.id)[0]);

    expect(closed.code).toBe(1001);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
    expect(event.requestContext.disconnectStatusCode).toBe(1001);
  });

  it('keeps a connection that sends frames open past the idle timeout', async () => {
    const idle = await start({ idleTimeoutSeconds: 1, routes: [{ routeKey: '$default', fn: record('default') }] });
    const client = await open(`${idle.url}/`);
    for (let index = 0; index < 4; index += 1) {
      await new Promise((resolve) => setTimeout(resolve, 400));
      send(client, 'still here');
    }

    expect(client.socket.readyState).toBe(WebSocket.OPEN);
    expect((await client.closed).code).toBe(1001);
  });

  it('closes a connection at its maximum duration even while it is active', async () => {
    const short = await start({ maxConnectionSeconds: 1, routes: [{ routeKey: '$default', fn: record('default') }] });
    const client = await open(`${short.url}/`);
    const chatter = setInterval(() => client.socket.readyState === WebSocket.OPEN && send(client, 'hi'), 200);
    const closed = await client.closed;
    clearInterval(chatter);

    expect(closed.code).toBe(1001);
    expect(calls.filter((call) => call.fn === 'default').length).toBeGreaterThanOrEqual(3);
  });
});

describe('$disconnect', () => {
  it.each([
    ['with its code and reason', 4000, 'bye', 4000, 'bye'],
    ['without a code as 1005', undefined, undefined, 1005, 'Client-side close frame status not set'],
  ])('reports a client close %s, once, with the fixed disconnect headers', async (_name, code, reason, expectedCode, expectedReason) => {
    const client = await open(`${api.url}/?token=allow-close`);
    client.socket.close(code, reason);
    const event = await waitFor(() => eventsOf('disconnect', client.id)[0]);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(eventsOf('disconnect', client.id)).toHaveLength(1);
    expect(shape(event)).toEqual(shape(disconnectFixture));
    expect([event.requestContext.disconnectStatusCode, event.requestContext.disconnectReason]).toEqual([expectedCode, expectedReason]);
    expect(Object.keys(event.headers).sort()).toEqual(['Host', 'X-Forwarded-For', 'x-api-key', 'x-restapi']);
    expect(api.connectionIds()).not.toContain(client.id);
  });

  it('fires for every open socket when the API stops, which closes them with 1001', async () => {
    const stopping = await start({
      routes: [
        { routeKey: '$connect', fn: onConnect },
        { routeKey: '$disconnect', fn: record('disconnect') },
      ],
    });
    const first = await open(`${stopping.url}/`);
    const second = await open(`${stopping.url}/`);

    await stopping.stop();

    expect([(await first.closed).code, (await second.closed).code]).toEqual([1001, 1001]);
    expect(
      eventsOf('disconnect')
        .map((event) => event.requestContext.connectionId)
        .sort(),
    ).toEqual([first.id, second.id].sort());
    expect(stopping.connectionIds()).toEqual([]);
  });
});

describe('@connections', () => {
  it('delivers posted bytes as one text frame, byte for byte', async () => {
    const client = await open(`${api.url}/?token=allow-post`);
    const data = Buffer.from('{"type":"presence",  "name":"Zoë ✓"}\n');

    await management.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: data }));
    const message = await waitFor(() => client.messages[0]);

    expect(message.isBinary).toBe(false);
    expect(Buffer.from(message.text)).toEqual(data);
  });

  it('answers GoneException to posts for a closed or unknown connection', async () => {
    const client = await open(`${api.url}/?token=allow-gone`);
    client.socket.close();
    await waitFor(() => eventsOf('disconnect', client.id)[0]);

    const closed = management.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: Buffer.from('x') }));
    const unknown = management.send(new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: Buffer.from('x') }));

    await expect(closed).rejects.toBeInstanceOf(GoneException);
    await expect(closed).rejects.toMatchObject({ name: 'GoneException', $metadata: { httpStatusCode: 410 } });
    await expect(unknown).rejects.toBeInstanceOf(GoneException);
  });

  it('answers BadRequestException to a malformed id and PayloadTooLargeException over 128 KB', async () => {
    const client = await open(`${api.url}/?token=allow-limits`);

    await expect(management.send(new PostToConnectionCommand({ ConnectionId: 'x', Data: Buffer.from('x') }))).rejects.toMatchObject({
      name: 'BadRequestException',
      $metadata: { httpStatusCode: 400 },
    });
    await expect(
      management.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: Buffer.alloc(128 * 1024 + 1, 97) })),
    ).rejects.toMatchObject({
      name: 'PayloadTooLargeException',
    });
    await expect(
      management.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: Buffer.alloc(128 * 1024, 97) })),
    ).resolves.toBeDefined();
  });

  it('refuses a wrong stage and unsigned requests with ForbiddenException', async () => {
    const client = await open(`${api.url}/?token=allow-forbidden`);
    const wrongStage = managementFor(api.connectionsEndpoint.replace(/\/local$/, '/prod'));
    const unsigned = await new Promise<{ status?: number; type?: string | string[] }>((resolve, reject) => {
      const req = request(`${api.connectionsEndpoint}/@connections/${encodeURIComponent(client.id)}`, { method: 'GET' }, (res) => {
        res.resume();
        resolve({ status: res.statusCode, type: res.headers['x-amzn-errortype'] });
      });
      req.on('error', reject);
      req.end();
    });

    await expect(wrongStage.send(new GetConnectionCommand({ ConnectionId: client.id }))).rejects.toMatchObject({
      name: 'ForbiddenException',
    });
    expect(unsigned).toEqual({ status: 403, type: 'ForbiddenException' });
    wrongStage.destroy();
  });

  it('reports connectedAt, identity and a lastActiveAt that moves with client frames', async () => {
    const client = await open(`${api.url}/?token=allow-get`);
    const before = await management.send(new GetConnectionCommand({ ConnectionId: client.id }));
    await new Promise((resolve) => setTimeout(resolve, 20));
    send(client, '{"action":"x"}');
    await waitFor(() => eventsOf('default', client.id)[0]);
    const after = await management.send(new GetConnectionCommand({ ConnectionId: client.id }));

    expect(before.ConnectedAt).toBeInstanceOf(Date);
    expect(before.LastActiveAt).toEqual(before.ConnectedAt);
    expect(after.LastActiveAt!.getTime()).toBeGreaterThan(before.LastActiveAt!.getTime());
    expect(after.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: expect.any(String) });
  });

  it('deletes a connection: 204, socket closed with 1000, exactly one $disconnect, then Gone', async () => {
    const client = await open(`${api.url}/?token=allow-delete`);

    const deleted = await management.send(new DeleteConnectionCommand({ ConnectionId: client.id }));
    const closed = await client.closed;
    const event = await waitFor(() => eventsOf('disconnect', client.id)[0]);
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(deleted.$metadata.httpStatusCode).toBe(204);
    expect(closed.code).toBe(1000);
    expect(eventsOf('disconnect', client.id)).toHaveLength(1);
    expect(typeof event.requestContext.disconnectStatusCode).toBe('number');
    await expect(management.send(new DeleteConnectionCommand({ ConnectionId: client.id }))).rejects.toBeInstanceOf(GoneException);
  });
});
