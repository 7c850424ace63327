/**
 * `functionIsolation: 'thread'` (what `npm start` runs): each function runs in its own worker thread
 * and never loads on the stack's main thread. The health function's module is wrapped here so that
 * loading it on this thread is recorded; a stack that ignored the option (and ran every function on
 * the main thread) would load it, and still answer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type LocalStack, startLocalStack } from '../../../local/stack';

const mockLoadedHere: string[] = [];
jest.mock('../../../lambdas/handlers/http/health', () => {
  mockLoadedHere.push('health');
  return jest.requireActual('../../../lambdas/handlers/http/health');
});

let dataDir: string;
let stack: LocalStack | undefined;

const start = async () => {
  stack = await startLocalStack({
    httpPort: 0,
    wsPort: 0,
    dataApiPort: 0,
    dynamoDbPort: 0,
    dataDir,
    leaseSeconds: 150,
    sweepSeconds: 3600,
    graceSeconds: 0,
    host: '127.0.0.1',
    functionIsolation: 'thread',
    log: () => undefined,
  });
  return stack;
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'presence-isolation-'));
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
}, 30_000);

it("runs each function in its own thread: the main thread never loads the function's module, and it answers", async () => {
  const running = await start();

  const response = await fetch(`${running.httpUrl}/health`);

  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ status: 'ok' });
  expect(mockLoadedHere).toEqual([]);
}, 90_000);
