/**
 * The checks CreateEventSourceMapping makes for an SQS source, applied when a local consumer is attached.
 */
import type { FunctionConfig } from '../../../local/lambda/invoke';
import { validateEventSource } from '../../../local/queue/event-source-mapping';

const fn = (timeoutSeconds: number): FunctionConfig => ({
  name: 'consumer',
  handler: async () => undefined,
  timeoutSeconds,
  memoryMb: 128,
});

describe('validateEventSource', () => {
  it('fills in the AWS defaults', () => {
    expect(validateEventSource('q', 30, fn(3), {})).toEqual({ batchSize: 10, maximumBatchingWindowMs: 0, reportBatchItemFailures: false });
  });

  it('refuses a queue whose visibility timeout is shorter than the function timeout', () => {
    expect(() => validateEventSource('q', 2, fn(3), {})).toThrow(
      'Queue visibility timeout: 2 seconds is less than Function timeout: 3 seconds',
    );
    expect(validateEventSource('q', 3, fn(3), {}).batchSize).toBe(10);
  });

  it('keeps a MaximumConcurrency between 2 and 1,000', () => {
    expect(validateEventSource('q', 30, fn(3), { maxConcurrency: 2 }).maxConcurrency).toBe(2);
  });

  it('needs a batching window of at least 1 s for a batch size above 10', () => {
    expect(() => validateEventSource('q', 30, fn(3), { batchSize: 11, maximumBatchingWindowMs: 999 })).toThrow('at least 1 second');
    expect(validateEventSource('q', 30, fn(3), { batchSize: 11, maximumBatchingWindowMs: 1_000 }).batchSize).toBe(11);
  });

  it.each([
    ['a batch size of 0', { batchSize: 0 }],
    ['a batch size above 10,000', { batchSize: 10_001, maximumBatchingWindowMs: 1_000 }],
    ['a batching window above 300 s', { maximumBatchingWindowMs: 300_001 }],
    ['a MaximumConcurrency of 1', { maxConcurrency: 1 }],
    ['a MaximumConcurrency above 1,000', { maxConcurrency: 1_001 }],
  ])('refuses %s', (_name, options) => {
    expect(() => validateEventSource('q', 30, fn(3), options)).toThrow(/must be between/);
  });
});
