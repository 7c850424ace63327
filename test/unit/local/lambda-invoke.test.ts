/**
 * The local runtime runs every invocation in one process: each gets its own InvokeStore scope, as
 * Lambda gives concurrent invocations of one environment, so log keys and metric buffers that
 * Powertools keeps per invocation never mix.
 */
import { CONCURRENT_INVOCATIONS_ENV, invoke } from '../../../local/lambda/invoke';

const lines: Record<string, unknown>[] = [];

beforeAll(() => {
  Object.assign(process.env, CONCURRENT_INVOCATIONS_ENV, { LOG_LEVEL: 'info', POWERTOOLS_METRICS_DISABLED: 'false' });
});

afterAll(() => {
  for (const key of Object.keys(CONCURRENT_INVOCATIONS_ENV)) delete process.env[key];
});

it('keeps the log keys and metrics of concurrent invocations apart', async () => {
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    for (const line of String(chunk).split('\n')) if (line.startsWith('{')) lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  });
  const { observed } = await import('../../../lambdas/middleware/observability');
  const { logger } = await import('../../../lambdas/shared/logger');
  const { count } = await import('../../../lambdas/shared/metrics');
  const fn = (name: string, delayMs: number, frames: number) => ({
    name,
    timeoutSeconds: 5,
    memoryMb: 128,
    handler: observed(async () => {
      logger.appendKeys({ userId: name });
      count('FramesPosted', frames);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      logger.info('done');
    }) as never,
  });

  await Promise.all([invoke(fn('a', 50, 1), {}), invoke(fn('b', 10, 2), {})]);
  jest.restoreAllMocks();

  const done = lines.filter((line) => line.message === 'done');
  expect(done.map((line) => [line.function_name, line.userId]).sort()).toEqual([
    ['a', 'a'],
    ['b', 'b'],
  ]);
  const emf = lines.filter((line) => line._aws !== undefined);
  expect(emf.map((line) => line.FramesPosted).sort()).toEqual([1, 2]);
});
