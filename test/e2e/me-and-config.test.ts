/**
 * `GET /me` and `GET /config` (contract v1.1) end to end on the local stack: what a client asks to
 * tell a dead token from a network failure, and to learn the deployment's timing.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT } from 'jose';
import { ENV } from '../../lib/app-manifest';
import { lambdaContext } from '../helpers/lambda-context';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';

const TIMING = { heartbeatSeconds: 7, leaseSeconds: 20, graceSeconds: 2 };
let env: TestStack;
const { call, signUp } = api(() => env.stack.httpUrl);
const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

beforeAll(async () => {
  env = await startTestStack({
    heartbeatSeconds: TIMING.heartbeatSeconds,
    leaseSeconds: TIMING.leaseSeconds,
    graceSeconds: TIMING.graceSeconds,
  });
}, 90_000);

afterAll(async () => {
  await env?.dispose();
}, 30_000);

describe('GET /config', () => {
  it('tells anyone, without a token, the timing and WebSocket URL this stack runs with', async () => {
    const response = await call('GET', '/config');

    expect([response.status, response.body]).toEqual([
      200,
      { heartbeatSeconds: 7, leaseSeconds: 20, offlineGraceSeconds: 2, webSocketUrl: env.stack.wsUrl },
    ]);
  });

  it('is what the page is configured with too (config.js)', async () => {
    const script = await (await fetch(`${env.stack.httpUrl}/config.js`)).text();

    expect(script).toBe(
      `window.PRESENCE_CONFIG = ${JSON.stringify({ wsUrl: env.stack.wsUrl, heartbeatSeconds: 7, leaseSeconds: 20, offlineGraceSeconds: 2 })};\n`,
    );
  });
});

describe('GET /me', () => {
  it("returns the token's user, effective status, lastSeen and manual setting, as they change", async () => {
    const { body: session } = await signUp('me_myself');
    const me = () => call('GET', '/me', { token: session.token });

    const fresh = await me();
    await call('POST', '/me/heartbeat', { token: session.token });
    const heartbeating = await me();
    await call('PUT', '/me/status', { token: session.token, body: { status: 'offline' } });
    const hidden = await me();

    expect([fresh.status, fresh.body]).toEqual([200, { user: session.user, status: 'offline', lastSeen: null, setting: 'online' }]);
    expect(heartbeating.body).toEqual({ user: session.user, status: 'online', lastSeen: null, setting: 'online' });
    expect(hidden.body).toEqual({ user: session.user, status: 'offline', lastSeen: expect.stringMatching(/Z$/), setting: 'offline' });
  });

  it('refuses a missing or malformed token with 401 unauthorized', async () => {
    const missing = await call('GET', '/me');
    const malformed = await call('GET', '/me', { token: 'not-a-token' });

    expect([missing.status, errorCode(missing.body), malformed.status, errorCode(malformed.body)]).toEqual([
      401,
      'unauthorized',
      401,
      'unauthorized',
    ]);
  });

  it('refuses a correctly signed token whose user does not exist with 401 unauthorized', async () => {
    const key = new TextEncoder().encode((await readFile(path.join(env.dataDir, 'signing-key'), 'utf8')).trim());
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      sub: '999999999',
      name: 'ghost',
      iss: 'presence-service',
      aud: 'presence-clients',
      iat: now - 10,
      exp: now + 600,
    })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(key);

    const response = await call('GET', '/me', { token });

    expect([response.status, errorCode(response.body)]).toEqual([401, 'unauthorized']);
  });
});

describe('GET /me when a store fails', () => {
  /** The handler in a fresh module registry, its clients built on first use against `endpoint` (a closed port). */
  const handlerWith = async (variable: string) => {
    const saved = process.env[variable];
    process.env[variable] = 'http://127.0.0.1:9';
    try {
      let handler: ((event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>) | undefined;
      jest.isolateModules(() => {
        ({ handler } = require('../../lambdas/handlers/http/get-me'));
      });
      const { body: session } = await signUp(`me_${variable.length}_${Date.now() % 100000}`);
      const event = { headers: { authorization: `Bearer ${session.token}` }, requestContext: { http: { method: 'GET' } }, rawPath: '/me' };
      return await handler!(event, lambdaContext({ functionName: 'httpGetMe' }));
    } finally {
      process.env[variable] = saved;
    }
  };

  it.each([
    ['the users database (Data API)', ENV.rdsDataEndpoint],
    ['the presence table (DynamoDB)', ENV.dynamodbEndpoint],
  ])(
    'answers 500 internal, with nothing of the failure in the body, when %s does not answer',
    async (_store, variable) => {
      const response = await handlerWith(variable);

      expect(response.statusCode).toBe(500);
      expect(JSON.parse(response.body)).toEqual({
        error: { code: 'internal', message: 'Something went wrong on our side; please try again' },
      });
    },
    60_000,
  );
});
