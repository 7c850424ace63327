/**
 * The HTTP half of the contract, end to end: real HTTP requests to the local stack (API Gateway
 * emulation -> the same handlers as on AWS -> DynamoDB Local and Postgres behind the Data API).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';

const LEASE_SECONDS = 2;
let env: TestStack;
const client = api(() => env.stack.httpUrl);
const { call, signUp, logIn } = client;

let alice: { id: string; token: string };
let bob: { id: string; token: string };

const errorCode = (body: unknown) => (body as { error?: { code?: string } }).error?.code;

beforeAll(async () => {
  env = await startTestStack({ leaseSeconds: LEASE_SECONDS, graceSeconds: 0, dynamoDbStorage: 'disk' });
  const a = await signUp('alice');
  const b = await signUp('Bob_the.builder-1');
  alice = { id: a.body.user.id, token: a.body.token };
  bob = { id: b.body.user.id, token: b.body.token };
}, 90_000);

afterAll(async () => {
  await env?.dispose();
}, 30_000);

describe('GET /health', () => {
  it('answers ok', async () => {
    const response = await call('GET', '/health');

    expect([response.status, response.body]).toEqual([200, { status: 'ok' }]);
  });
});

describe('POST /users (sign-up)', () => {
  it('creates a user and returns a token that works on protected routes', async () => {
    const response = await signUp('carol');

    expect(response.status).toBe(201);
    expect(response.body.user).toEqual({
      id: expect.stringMatching(/^\d+$/),
      name: 'carol',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(Date.parse(response.body.expiresAt)).toBeGreaterThan(Date.now());
    expect((await call('GET', `/users/${response.body.user.id}`, { token: response.body.token })).status).toBe(200);
  });

  it('refuses a name taken in another case with 409 name_taken', async () => {
    const response = await signUp('ALICE');

    expect([response.status, errorCode(response.body)]).toEqual([409, 'name_taken']);
  });

  it.each([
    ['a name too short', { name: 'ab', password: 'correct horse' }],
    ['a name with a space', { name: 'al ice', password: 'correct horse' }],
    ['SQL in the name', { name: "x'; DROP TABLE users; --", password: 'correct horse' }],
    ['a password too short', { name: 'dave', password: 'short' }],
    ['a missing password', { name: 'dave' }],
    ['a number as name', { name: 12345, password: 'correct horse' }],
  ])('refuses %s with 400 invalid_request', async (_case, body) => {
    const response = await call('POST', '/users', { body });

    expect([response.status, errorCode(response.body)]).toEqual([400, 'invalid_request']);
  });

  it('refuses bad JSON with 400 invalid_request', async () => {
    const response = await call('POST', '/users', { rawBody: '{"name": "x",', headers: { 'content-type': 'application/json' } });

    expect([response.status, errorCode(response.body)]).toEqual([400, 'invalid_request']);
  });

  it('accepts a JSON body sent without a content type (API Gateway base64-encodes it)', async () => {
    const response = await call('POST', '/users', { rawBody: JSON.stringify({ name: 'no-content-type', password: 'correct horse' }) });

    expect(response.status).toBe(201);
  });

  it('refuses a body over 16 KiB with 413 payload_too_large', async () => {
    const response = await call('POST', '/users', { body: { name: 'erin', password: 'correct horse', padding: 'x'.repeat(16 * 1024) } });

    expect([response.status, errorCode(response.body)]).toEqual([413, 'payload_too_large']);
  });
});

describe('POST /sessions (log-in)', () => {
  it('logs in case-insensitively and returns the user and a token', async () => {
    const response = await logIn('ALICE');

    expect(response.status).toBe(200);
    expect(response.body.user).toMatchObject({ id: alice.id, name: 'alice' });
    expect(typeof response.body.token).toBe('string');
  });

  it.each([
    ['a wrong password', 'alice', 'wrong password'],
    ['an unknown name', 'nobody-here', 'correct horse'],
    ['SQL in the name', "alice' OR '1'='1", 'correct horse'],
  ])('refuses %s with 401 invalid_credentials', async (_case, name, password) => {
    const response = await logIn(name, password);

    expect([response.status, errorCode(response.body)]).toEqual([401, 'invalid_credentials']);
  });

  it('throttles password guessing on one name with 429 rate_limited, even for the right password', async () => {
    await signUp('guessed');
    const failures = [];
    for (let attempt = 0; attempt < 10; attempt += 1) failures.push((await logIn('guessed', `wrong ${attempt}`)).status);

    const response = await logIn('guessed');

    expect(failures).toEqual(Array(10).fill(401));
    expect([response.status, errorCode(response.body)]).toEqual([429, 'rate_limited']);
  }, 60_000);
});

describe('authentication on protected routes', () => {
  const signingKey = async () => new TextEncoder().encode((await readFile(path.join(env.dataDir, 'signing-key'), 'utf8')).trim());
  const claims = (overrides: Record<string, unknown> = {}) => ({
    name: 'alice',
    sub: alice.id,
    iss: 'presence-service',
    aud: 'presence-clients',
    iat: Math.floor(Date.now() / 1000) - 10,
    exp: Math.floor(Date.now() / 1000) + 600,
    ...overrides,
  });

  it.each([
    ['no Authorization header', () => Promise.resolve(undefined)],
    ['a malformed token', () => Promise.resolve('not-a-token')],
    [
      'a token signed with another key',
      () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(64))),
    ],
    [
      'an expired token',
      async () =>
        new SignJWT(claims({ exp: Math.floor(Date.now() / 1000) - 1 })).setProtectedHeader({ alg: 'HS256' }).sign(await signingKey()),
    ],
    ['an alg:none token', () => Promise.resolve(new UnsecuredJWT(claims()).encode())],
    [
      'a token whose subject was edited',
      async () => {
        const [header, , signature] = alice.token.split('.');
        return `${header}.${Buffer.from(JSON.stringify(claims({ sub: bob.id }))).toString('base64url')}.${signature}`;
      },
    ],
  ])('refuses %s with 401 unauthorized', async (_case, makeToken) => {
    const token = await makeToken();

    const response = await call('GET', `/users/${alice.id}`, { token });

    expect([response.status, errorCode(response.body)]).toEqual([401, 'unauthorized']);
  });

  it('accepts a token signed with the real key (the test forges correctly)', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(await signingKey());

    expect((await call('GET', `/users/${alice.id}`, { token })).status).toBe(200);
  });

  it.each(['999999', 'abc', 'W#1', '0'])(
    'refuses a correctly signed token for user %j, who does not exist, before any presence is written',
    async (sub) => {
      const token = await new SignJWT(claims({ sub })).setProtectedHeader({ alg: 'HS256' }).sign(await signingKey());

      const responses = [
        await call('POST', '/me/heartbeat', { token }),
        await call('PUT', '/me/status', { token, body: { status: 'offline' } }),
      ];

      expect(responses.map((response) => [response.status, errorCode(response.body)])).toEqual(Array(2).fill([401, 'unauthorized']));
    },
  );
});

describe('GET /users (search)', () => {
  beforeAll(async () => {
    for (const name of ['searchable_1', 'Searchable_2', 'searchable_3', 'searchableX']) await signUp(name);
  }, 60_000);

  it('finds users by case-insensitive name prefix, in name order, with status and lastSeen', async () => {
    const response = await call('GET', '/users?q=SEARCHABLE_', { token: alice.token });

    expect(response.status).toBe(200);
    expect(response.body.users.map((user: { name: string }) => user.name)).toEqual(['searchable_1', 'Searchable_2', 'searchable_3']);
    expect(response.body.users[0]).toEqual({
      id: expect.any(String),
      name: 'searchable_1',
      createdAt: expect.any(String),
      status: 'offline',
      lastSeen: null,
    });
    expect(response.body.nextCursor).toBeNull();
  });

  it('treats _ and % in the query literally, not as wildcards', async () => {
    const underscore = await call('GET', '/users?q=searchable_', { token: alice.token });
    const percent = await call('GET', `/users?q=${encodeURIComponent('search%')}`, { token: alice.token });

    expect(underscore.body.users).toHaveLength(3);
    expect(percent.body.users).toEqual([]);
  });

  it('pages with limit and cursor without repeating or skipping anyone', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/users?q=searchable&limit=1${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page = await call('GET', query, { token: alice.token });
      names.push(...page.body.users.map((user: { name: string }) => user.name));
      cursor = page.body.nextCursor;
    } while (cursor !== null && names.length < 10);

    expect(names).toEqual(['searchable_1', 'Searchable_2', 'searchable_3', 'searchableX']);
  });

  it.each(['q=', 'limit=5', 'q=al&limit=0', 'q=al&limit=51', 'q=al&limit=abc', `q=${'a'.repeat(33)}`, 'q=al&cursor=%%%'])(
    'refuses ?%s with 400 invalid_request',
    async (query) => {
      const response = await call('GET', `/users?${query}`, { token: alice.token });

      expect([response.status, errorCode(response.body)]).toEqual([400, 'invalid_request']);
    },
  );

  it('returns nothing, not everything, for SQL-looking input', async () => {
    const response = await call('GET', `/users?q=${encodeURIComponent("' OR '1'='1")}`, { token: alice.token });

    expect([response.status, response.body.users]).toEqual([200, []]);
  });
});

describe('GET /users/{id}', () => {
  it('returns the user with status and lastSeen', async () => {
    const response = await call('GET', `/users/${bob.id}`, { token: alice.token });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: bob.id,
      name: 'Bob_the.builder-1',
      createdAt: expect.any(String),
      status: 'offline',
      lastSeen: null,
    });
  });

  it.each(['999999999', 'abc', encodeURIComponent('1 OR 1=1'), '0', '99999999999999999999999'])(
    'answers 404 not_found for %s',
    async (id) => {
      const response = await call('GET', `/users/${id}`, { token: alice.token });

      expect([response.status, errorCode(response.body)]).toEqual([404, 'not_found']);
    },
  );
});

describe('presence over HTTP', () => {
  it('shows a heartbeating user online until the lease runs out, then offline with lastSeen at the heartbeat', async () => {
    const heartbeat = await call('POST', '/me/heartbeat', { token: bob.token });
    const beatAt = Date.now();
    const online = await call('GET', `/presence?userIds=${bob.id}`, { token: alice.token });
    await new Promise((resolve) => setTimeout(resolve, LEASE_SECONDS * 1000 + 300));
    const offline = await call('GET', `/presence?userIds=${bob.id}`, { token: alice.token });

    expect(heartbeat.status).toBe(200);
    expect(heartbeat.body.status).toBe('online');
    expect(Date.parse(heartbeat.body.leaseExpiresAt) - beatAt).toBeGreaterThan(LEASE_SECONDS * 1000 - 1000);
    expect(online.body.presences).toEqual([{ userId: bob.id, status: 'online', lastSeen: null }]);
    expect(offline.body.presences[0].status).toBe('offline');
    expect(Math.abs(Date.parse(offline.body.presences[0].lastSeen) - beatAt)).toBeLessThan(1500);
  });

  it('lists only known users, in the order asked, leaving unknown and impossible ids out', async () => {
    const response = await call('GET', `/presence?userIds=${bob.id},424242,not-an-id,${alice.id}`, { token: alice.token });

    expect(response.status).toBe(200);
    expect(response.body.presences.map((p: { userId: string }) => p.userId)).toEqual([bob.id, alice.id]);
  });

  it.each(['', 'userIds=', `userIds=${Array.from({ length: 101 }, (_, i) => i + 1).join(',')}`])('refuses ?%s with 400', async (query) => {
    const response = await call('GET', `/presence?${query}`, { token: alice.token });

    expect([response.status, errorCode(response.body)]).toEqual([400, 'invalid_request']);
  });

  it('appears offline at once when set offline, stays offline while heartbeating, and comes back when set online', async () => {
    const user = await signUp('hider');
    const token = user.body.token;
    const id = user.body.user.id;
    await call('POST', '/me/heartbeat', { token });

    const set = await call('PUT', '/me/status', { token, body: { status: 'offline' } });
    const setAt = Date.now();
    const hidden = await call('GET', `/users/${id}`, { token: alice.token });
    const beat = await call('POST', '/me/heartbeat', { token });
    const back = await call('PUT', '/me/status', { token, body: { status: 'online' } });
    const visible = await call('GET', `/users/${id}`, { token: alice.token });

    expect([set.status, set.body]).toEqual([200, { status: 'offline' }]);
    expect(hidden.body.status).toBe('offline');
    expect(Math.abs(Date.parse(hidden.body.lastSeen) - setAt)).toBeLessThan(1500);
    expect(beat.body.status).toBe('offline');
    expect(back.body).toEqual({ status: 'online' });
    expect([visible.body.status, visible.body.lastSeen]).toEqual(['online', null]);
  });

  it.each([{ status: 'away' }, { status: 1 }, {}])('refuses status body %j with 400', async (body) => {
    const response = await call('PUT', '/me/status', { token: alice.token, body });

    expect([response.status, errorCode(response.body)]).toEqual([400, 'invalid_request']);
  });
});

describe('the API edge', () => {
  it('answers an unknown route with API Gateway 404', async () => {
    const response = await call('GET', '/nope');

    expect([response.status, response.body]).toEqual([404, { message: 'Not Found' }]);
  });

  it('serves a page at /', async () => {
    const response = await fetch(`${env.stack.httpUrl}/`);

    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
  });
});

describe('hostile input: a contract error, never a 500', () => {
  it.each([
    ['a NUL in the search prefix', '/users?q=a%00'],
    ['a search cursor that decodes to NUL', '/users?q=a&cursor=AA'],
    ['a 65-character user id', `/users/${'1'.repeat(65)}`],
    ['a 65-character id in a presence list', `/presence?userIds=1,${'1'.repeat(65)}`],
  ])('refuses %s with 400 invalid_request', async (_case, target) => {
    const response = await call('GET', target, { token: alice.token });

    expect([response.status, errorCode(response.body)]).toEqual([400, 'invalid_request']);
  });

  it("answers an id of the contract's shape that does not exist, NUL included, with 404 not_found", async () => {
    const responses = await Promise.all(['%00', 'abc', '1'.repeat(64)].map((id) => call('GET', `/users/${id}`, { token: alice.token })));

    expect(responses.map((response) => [response.status, errorCode(response.body)])).toEqual(Array(3).fill([404, 'not_found']));
  });

  it('answers a NUL in a log-in name like any name no account has: 401 invalid_credentials', async () => {
    const response = await logIn('alice\u0000');

    expect([response.status, errorCode(response.body)]).toEqual([401, 'invalid_credentials']);
  });
});

describe('restart with the same data dir', () => {
  it('keeps users, passwords, manual status, lastSeen and issued tokens', async () => {
    const user = await signUp('durable');
    await call('POST', '/me/heartbeat', { token: user.body.token });
    await call('PUT', '/me/status', { token: user.body.token, body: { status: 'offline' } });
    const before = await call('GET', `/users/${user.body.user.id}`, { token: alice.token });

    await env.restart();

    const after = await call('GET', `/users/${user.body.user.id}`, { token: alice.token });
    const login = await logIn('durable');
    const beat = await call('POST', '/me/heartbeat', { token: user.body.token });
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
    expect(after.body.lastSeen).not.toBeNull();
    expect(login.status).toBe(200);
    expect(beat.body.status).toBe('offline');
  }, 90_000);
});
