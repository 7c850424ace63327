/**
 * `functionIsolation: 'thread'` (what `npm start` runs): each function runs in its own worker thread
 * and never loads on the stack's main thread. The health function's module is wrapped here so that
 * loading it on this thread is recorded; a stack that ignored the option (and ran every function on
 * the main thread) would load it, and still answer.
 */
import { startTestStack, type TestStack } from '../../helpers/local-stack';

const mockLoadedHere: string[] = [];
jest.mock('../../../lambdas/handlers/http/health', () => {
  mockLoadedHere.push('health');
  return jest.requireActual('../../../lambdas/handlers/http/health');
});

let env: TestStack | undefined;

afterAll(async () => {
  await env?.dispose();
}, 30_000);

it("runs each function in its own thread: the main thread never loads the function's module, and it answers", async () => {
  env = await startTestStack({ functionIsolation: 'thread' });

  const response = await fetch(`${env.stack.httpUrl}/health`);

  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ status: 'ok' });
  expect(mockLoadedHere).toEqual([]);
}, 90_000);
