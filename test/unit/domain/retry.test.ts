import { backoffDelay, RetriesExhaustedError, retry } from '../../../lambdas/domain/retry';

const policy = { baseMs: 10, capMs: 1_000 };

describe('backoffDelay', () => {
  it('doubles the window per attempt and never exceeds the cap', () => {
    expect(backoffDelay(1, policy, () => 0.999)).toBe(9);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(39);
    expect(backoffDelay(40, policy, () => 0.999)).toBe(999);
  });

  it('draws uniformly from zero (full jitter)', () => {
    expect(backoffDelay(5, policy, () => 0)).toBe(0);
  });
});

describe('retry', () => {
  const waits: number[] = [];
  const options = { ...policy, attempts: 4, sleep: async (ms: number) => void waits.push(ms), random: () => 0.5 };
  beforeEach(() => waits.splice(0));

  it('returns the first success and waits between failures', async () => {
    let calls = 0;
    const result = await retry(async () => {
      calls += 1;
      if (calls < 3) throw new Error('throttled');
      return 'ok';
    }, options);
    expect(result).toBe('ok');
    expect(waits).toEqual([5, 10]);
  });

  it('gives up after the bound with the last failure as cause', async () => {
    const failure = retry(async (attempt) => {
      throw new Error(`failure ${attempt}`);
    }, options);
    await expect(failure).rejects.toThrow(RetriesExhaustedError);
    await expect(failure).rejects.toMatchObject({ attempts: 4, cause: new Error('failure 4') });
    expect(waits).toHaveLength(3);
  });

  it('rethrows a failure that is not retryable at once', async () => {
    const failure = retry(
      async () => {
        throw new TypeError('bug');
      },
      { ...options, retryable: (error) => !(error instanceof TypeError) },
    );
    await expect(failure).rejects.toThrow(TypeError);
    expect(waits).toEqual([]);
  });

  it('reports each retry before waiting', async () => {
    const seen: number[] = [];
    await expect(
      retry(async () => Promise.reject(new Error('x')), { ...options, attempts: 3, onRetry: (_e, attempt) => seen.push(attempt) }),
    ).rejects.toThrow('gave up after 3 attempts');
    expect(seen).toEqual([1, 2]);
  });
});
