/**
 * `npm run smoke` (scripts/smoke.ts) against a local stack: every step passes; pointed at a port
 * nothing listens on, it stops at the first broken step and names it.
 */
import { createServer } from 'node:net';
import { runSmoke, SmokeFailure } from '../../scripts/smoke';
import { startTestStack, type TestStack } from '../helpers/local-stack';

let env: TestStack;

beforeAll(async () => {
  env = await startTestStack({ graceSeconds: 1 });
}, 90_000);

afterAll(async () => {
  await env?.dispose();
});

/** A port that was free a moment ago: nothing answers there. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

it('passes every step against a working stack', async () => {
  const steps: string[] = [];

  await runSmoke({ httpUrl: env.stack.httpUrl, wsUrl: env.stack.wsUrl, log: (line) => steps.push(line) });

  expect(steps.map((line) => line.replace(/^ok +/, '').replace(/ \(\d+ ms\)$/, ''))).toEqual([
    'GET /health',
    'GET /config',
    'sign up two throwaway users',
    'log in',
    'GET /me',
    'connect the watcher',
    'subscribe to the other user',
    'connect the other user',
    'see them online',
    'appear offline',
    'appear online again',
    'close the other user and see them offline with lastSeen',
    'close the watcher',
  ]);
}, 60_000);

it('fails at the first broken step, named, when the WebSocket URL is wrong', async () => {
  const run = runSmoke({ httpUrl: env.stack.httpUrl, wsUrl: `ws://127.0.0.1:${await closedPort()}`, stepTimeoutMs: 3_000 });

  await expect(run).rejects.toBeInstanceOf(SmokeFailure);
  await expect(run).rejects.toMatchObject({
    step: 'connect the watcher',
    message: expect.stringMatching(/^connect the watcher: .*ECONNREFUSED/),
  });
}, 60_000);
