/**
 * The HTTP API emulation against AWS's documented payload format 2.0 behaviour, with inline
 * handlers that capture what they receive.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { type HttpApi, startHttpApi } from '../../local/api-gateway/http-api';
import type { FunctionConfig, LambdaHandler } from '../../local/lambda/invoke';

const events: APIGatewayProxyEventV2[] = [];
let result: unknown = { statusCode: 200, body: 'ok' };
let api: HttpApi;

const fn = (name: string, handler: LambdaHandler, timeoutSeconds = 3): FunctionConfig => ({
  name,
  handler,
  timeoutSeconds,
  memoryMb: 128,
});

beforeAll(async () => {
  const capture = fn('capture', async (event) => {
    events.push(event as APIGatewayProxyEventV2);
    return result;
  });
  api = await startHttpApi({
    routes: [
      { method: 'GET', path: '/items/{id}', fn: capture },
      { method: 'POST', path: '/items', fn: capture },
      {
        method: 'GET',
        path: '/boom',
        fn: fn('boom', async () => {
          throw new Error('SELECT secret FROM table');
        }),
      },
      { method: 'GET', path: '/slow', fn: fn('slow', () => new Promise((resolve) => setTimeout(resolve, 1_500)), 1) },
    ],
  });
});

afterAll(() => api.stop());

beforeEach(() => {
  events.length = 0;
  result = { statusCode: 200, body: 'ok' };
});

const last = () => events[events.length - 1];

describe('events (payload format 2.0)', () => {
  it('leaves optional keys out when empty, instead of null', async () => {
    await fetch(`${api.url}/items/1`);

    expect(['body', 'cookies', 'queryStringParameters'].filter((key) => key in last())).toEqual([]);
    expect(last().pathParameters).toEqual({ id: '1' });
    expect(last().routeKey).toBe('GET /items/{id}');
  });

  it('lower-cases header names and joins duplicate headers and query keys with commas', async () => {
    // fetch merges duplicate headers itself; node:http sends them as given.
    await new Promise<void>((resolve, reject) => {
      const req = request(
        `${api.url}/items/a%20b?p=1&p=2&q=x`,
        { headers: ['Host', '127.0.0.1', 'X-Thing', '1', 'x-thing', '2'] as unknown as Record<string, string> },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end();
    });

    expect(last().headers['x-thing']).toBe('1,2');
    expect(last().queryStringParameters).toEqual({ p: '1,2', q: 'x' });
    expect(last().rawQueryString).toBe('p=1&p=2&q=x');
    expect(last().pathParameters).toEqual({ id: 'a b' });
  });

  it('moves cookies out of the headers', async () => {
    await fetch(`${api.url}/items/1`, { headers: { cookie: 'a=1; b=2' } });

    expect(last().cookies).toEqual(['a=1', 'b=2']);
    expect(last().headers.cookie).toBeUndefined();
  });

  it('passes JSON bodies as text and other bodies base64-encoded', async () => {
    await fetch(`${api.url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    const json = last();
    await fetch(`${api.url}/items`, { method: 'POST', body: new Uint8Array([104, 105]) });
    const binary = last();

    expect([json.body, json.isBase64Encoded]).toEqual(['{"a":1}', false]);
    expect([binary.body, binary.isBase64Encoded]).toEqual(['aGk=', true]);
  });

  it('fills requestContext like API Gateway does', async () => {
    await fetch(`${api.url}/items/1`, { headers: { 'user-agent': 'jest' } });

    expect(last().requestContext).toMatchObject({
      stage: '$default',
      routeKey: 'GET /items/{id}',
      http: { method: 'GET', path: '/items/1', sourceIp: '127.0.0.1', userAgent: 'jest' },
    });
    expect(last().requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(typeof last().requestContext.timeEpoch).toBe('number');
  });
});

describe('results', () => {
  it('treats a result without statusCode as a 200 JSON body', async () => {
    result = { hello: 'world' };

    const response = await fetch(`${api.url}/items/1`);

    expect([response.status, response.headers.get('content-type'), await response.json()]).toEqual([
      200,
      'application/json',
      { hello: 'world' },
    ]);
  });

  it('decodes base64 bodies and sends each cookie as its own Set-Cookie', async () => {
    result = { statusCode: 201, isBase64Encoded: true, body: 'aGk=', cookies: ['a=1', 'b=2'] };

    const response = await fetch(`${api.url}/items/1`);

    expect([response.status, await response.text(), response.headers.getSetCookie()]).toEqual([201, 'hi', ['a=1', 'b=2']]);
  });

  it('hides a function error behind 500 {"message":"Internal Server Error"}', async () => {
    const response = await fetch(`${api.url}/boom`);

    expect([response.status, await response.json()]).toEqual([500, { message: 'Internal Server Error' }]);
  });

  it('enforces the function timeout', async () => {
    const response = await fetch(`${api.url}/slow`);

    expect(response.status).toBe(500);
  });

  it('answers 404 {"message":"Not Found"} for a method with no route', async () => {
    const response = await fetch(`${api.url}/items/1`, { method: 'DELETE' });

    expect([response.status, await response.json()]).toEqual([404, { message: 'Not Found' }]);
  });
});

describe('request targets', () => {
  /** Sends one raw HTTP/1.1 request line and returns the status line and body. */
  const rawRequest = (target: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(new URL(api.url).port), '127.0.0.1', () =>
        socket.end(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      const chunks: Buffer[] = [];
      socket.on('data', (chunk) => chunks.push(chunk));
      socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });

  it('answers an absolute-form target it cannot parse with 400 {"message":"Bad Request"}, not a crash', async () => {
    const reply = await rawRequest('http://[/items/1');

    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(reply).toContain('{"message":"Bad Request"}');
  });

  it("hands the handler the client's own address as sourceIp", async () => {
    await new Promise<void>((resolve, reject) => {
      request(`${api.url}/items/2`, { localAddress: '127.0.0.2' }, (res) => res.resume().on('end', resolve))
        .on('error', reject)
        .end();
    });

    expect(last().requestContext.http.sourceIp).toBe('127.0.0.2');
  });

  it('routes an absolute-form target by its path', async () => {
    const reply = await rawRequest('http://example.com/items/7');

    expect([reply.split('\r\n')[0], last().pathParameters]).toEqual(['HTTP/1.1 200 OK', { id: '7' }]);
  });
});
