/**
 * The log-in limit of contract v1.1, end to end against the local stack: each client connects
 * from its own loopback address (127.0.0.x), which API Gateway hands the handler as
 * `requestContext.http.sourceIp`.
 */
import { request } from 'node:http';
import { api, startTestStack, type TestStack } from '../helpers/local-stack';

let env: TestStack;
const { signUp } = api(() => env.stack.httpUrl);

interface Reply {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: { user?: { name: string }; error?: { code: string } };
}

/** `POST /sessions` from the loopback address `from`. */
const logInFrom = (from: string, name: string, password: string): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const url = new URL('/sessions', env.stack.httpUrl);
    const body = JSON.stringify({ name, password });
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const header = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Array.isArray(header) ? header[0] : header,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });

const tally = (replies: readonly Reply[]): Record<number, number> => {
  const counts: Record<number, number> = {};
  for (const { status } of replies) counts[status] = (counts[status] ?? 0) + 1;
  return counts;
};

beforeAll(async () => {
  env = await startTestStack();
}, 90_000);

afterAll(async () => {
  await env?.dispose();
}, 30_000);

it('checks at most 10 of 40 parallel guesses at one name from one address; the rest get 429 with Retry-After', async () => {
  await signUp('parallel_target', 'correct horse');
  const guesses = [...Array.from({ length: 39 }, (_, i) => `wrong guess ${i}`), 'correct horse'];

  const replies = await Promise.all(guesses.map((password) => logInFrom('127.0.0.2', 'parallel_target', password)));

  const checked = replies.filter((reply) => reply.status !== 429);
  expect(checked.length).toBeLessThanOrEqual(10);
  expect(tally(replies)[429]).toBeGreaterThanOrEqual(30);
  for (const reply of replies.filter(({ status }) => status === 429)) {
    expect(reply.body.error?.code).toBe('rate_limited');
    expect(Number(reply.retryAfter)).toBeGreaterThan(0);
    expect(Number(reply.retryAfter)).toBeLessThanOrEqual(15 * 60);
  }
}, 120_000);

it('lets the owner log in from their own address while a stranger is locked out after 10 wrong guesses', async () => {
  await signUp('owner_elsewhere', 'correct horse');
  const stranger: Reply[] = [];
  for (let i = 0; i < 11; i += 1) stranger.push(await logInFrom('127.0.0.3', 'owner_elsewhere', `wrong guess ${i}`));

  const owner = await logInFrom('127.0.0.4', 'owner_elsewhere', 'correct horse');

  expect(stranger.map(({ status }) => status)).toEqual([...Array(10).fill(401), 429]);
  expect([owner.status, owner.body.user?.name]).toEqual([200, 'owner_elsewhere']);
}, 120_000);

describe('a look-alike name (U+0130 "İ" in place of "i", which SQL lower() folds to "i")', () => {
  it('never reaches the account, even with the right password', async () => {
    await signUp('kiwi_fan', 'correct horse');

    const reply = await logInFrom('127.0.0.5', 'k\u0130wi_fan', 'correct horse');

    expect([reply.status, reply.body.error?.code]).toEqual([401, 'invalid_credentials']);
  });

  it('gets no fresh budget once the account is locked for that address', async () => {
    await signUp('lime_lover', 'correct horse');
    for (let i = 0; i < 10; i += 1) await logInFrom('127.0.0.6', 'lime_lover', `wrong guess ${i}`);

    const replies = [
      await logInFrom('127.0.0.6', 'l\u0130me_lover', 'correct horse'),
      await logInFrom('127.0.0.6', 'LIME_LOVER', 'correct horse'),
    ];

    expect(replies.map(({ status }) => status)).toEqual([401, 429]);
  }, 60_000);
});
