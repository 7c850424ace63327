/**
 * A function in its own execution environment (local/lambda/execution-environment.ts): a worker
 * thread with its own module state and environment variables, which runs invocations through the
 * same `invoke()` (context, JSON boundary, timeout), fails them as Lambda would, and comes back
 * after a crash.
 */
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import { ExecutionEnvironment } from '../../../local/lambda/execution-environment';
import { type FunctionConfig, invoke } from '../../../local/lambda/invoke';

const PROBE = path.join(__dirname, '../../fixtures/lambda-environment-probe.ts');
const BROKEN = path.join(__dirname, '../../fixtures/lambda-broken-module.ts');

const started: ExecutionEnvironment[] = [];
const environment = (entry = PROBE, options: { timeoutSeconds?: number; maxConcurrency?: number } = {}) => {
  const created = new ExecutionEnvironment(
    { name: 'probe', entry, timeoutSeconds: options.timeoutSeconds ?? 10, memoryMb: 128 },
    { maxConcurrency: options.maxConcurrency },
  );
  started.push(created);
  return created;
};
/** The function as the local stack hands it to API Gateway, SQS and the stream poller. */
const inEnvironment = (env: ExecutionEnvironment): FunctionConfig => ({
  name: 'probe',
  timeoutSeconds: 10,
  memoryMb: 128,
  environment: env,
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((env) => env.stop()));
});

describe('a function in its own execution environment', () => {
  it('runs in its own thread, with its own module state, the request id it was given and its remaining time', async () => {
    const first = environment();
    const second = environment();

    const a1 = (await first.invoke({}, 'request-a1')) as Record<string, unknown>;
    const a2 = (await first.invoke({}, 'request-a2')) as Record<string, unknown>;
    const b1 = (await second.invoke({}, 'request-b1')) as Record<string, unknown>;

    expect(a1.threadId).not.toBe(threadId);
    expect(b1.threadId).not.toBe(a1.threadId);
    // Module state lives as long as the environment, and belongs to it alone.
    expect([a1.invocations, a2.invocations, b1.invocations]).toEqual([1, 2, 1]);
    expect(a2.requestId).toBe('request-a2');
    expect(a1.remainingMs).toBeGreaterThan(5_000);
    expect(a1.remainingMs).toBeLessThanOrEqual(10_000);
  }, 30_000);

  it('is what invoke() runs a function in when the function has one', async () => {
    const result = (await invoke(inEnvironment(environment()), {})) as Record<string, unknown>;
    expect(result.threadId).not.toBe(threadId);
  }, 30_000);

  it('reads the environment variables it started with, not later changes', async () => {
    process.env.PROBE_SETTING = 'at start';
    try {
      const env = environment();
      await env.invoke({}, 'warm-up');
      process.env.PROBE_SETTING = 'changed later';
      expect(await env.invoke({ action: 'env', variable: 'PROBE_SETTING' }, 'r')).toEqual({ value: 'at start' });
    } finally {
      delete process.env.PROBE_SETTING;
    }
  }, 30_000);

  it("fails an invocation with the function's error, by name, and runs the next one", async () => {
    const env = environment();
    await expect(env.invoke({ action: 'fail' }, 'r1')).rejects.toMatchObject({
      name: 'ProbeError',
      message: 'the probe failed on request',
    });
    await expect(env.invoke({}, 'r2')).resolves.toMatchObject({ invocations: 2 });
  }, 30_000);

  it('stops an invocation at its timeout, as Lambda does', async () => {
    const env = environment(PROBE, { timeoutSeconds: 1 });
    await expect(env.invoke({ sleepMs: 3_000 }, 'r')).rejects.toMatchObject({
      name: 'FunctionTimeoutError',
      message: expect.stringContaining('Task timed out after 1.00 seconds'),
    });
  }, 30_000);

  it('fails every invocation of a module that cannot load, with its error', async () => {
    const env = environment(BROKEN);
    await expect(env.invoke({}, 'r1')).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: 'Missing required environment variable PROBE_SETTING_NO_ONE_SET',
    });
    await expect(env.invoke({}, 'r2')).rejects.toMatchObject({
      name: 'ConfigurationError',
      message: 'Missing required environment variable PROBE_SETTING_NO_ONE_SET',
    });
  }, 30_000);

  it('fails the invocations a crash interrupts, and starts a new environment for the next one', async () => {
    const env = environment();
    await env.invoke({}, 'r1');
    const running = env.invoke({ sleepMs: 2_000 }, 'r2');
    await expect(env.invoke({ action: 'crash' }, 'r3')).rejects.toThrow('probe: the execution environment exited (code 3)');
    await expect(running).rejects.toThrow('exited (code 3)');
    // A fresh environment: its module state starts over.
    await expect(env.invoke({}, 'r4')).resolves.toMatchObject({ invocations: 1 });
  }, 30_000);

  it('runs at most maxConcurrency invocations at once, and times each from its own start, not from its wait', async () => {
    const env = environment(PROBE, { timeoutSeconds: 1, maxConcurrency: 2 });
    // Six of 600 ms, two at a time: the last starts after 1.2 s of waiting, past the 1 s timeout were the wait counted.
    const results = (await Promise.all(Array.from({ length: 6 }, (_, i) => env.invoke({ sleepMs: 600 }, `r${i}`)))) as {
      mostAtOnce: number;
    }[];
    expect(Math.max(...results.map((result) => result.mostAtOnce))).toBe(2);
  }, 30_000);

  it('fails what is running or waiting when it stops, and takes nothing after', async () => {
    const env = environment(PROBE, { maxConcurrency: 1 });
    await env.invoke({}, 'warm-up');
    const outcomes = Promise.allSettled([env.invoke({ sleepMs: 5_000 }, 'r1'), env.invoke({}, 'r2')]);
    await env.stop();
    const [running, waiting] = await outcomes;
    expect(running).toMatchObject({ status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/exited/) }) });
    expect(waiting).toMatchObject({ status: 'rejected', reason: new Error('probe: the local stack is stopping') });
    await expect(env.invoke({}, 'r3')).rejects.toThrow('probe: the local stack is stopping');
  }, 30_000);
});
