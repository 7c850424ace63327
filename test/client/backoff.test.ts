import { backoffDelay, DEFAULT_BACKOFF, rotationDelay } from '../../client/backoff';

const options = { baseMs: 500, maxMs: 30_000 };

describe('backoffDelay (full jitter)', () => {
  it('doubles the window with each attempt', () => {
    const windows = [0, 1, 2, 3, 4].map((attempt) => backoffDelay(attempt, options, () => 0.999_999) + 1);

    expect(windows).toEqual([500, 1_000, 2_000, 4_000, 8_000]);
  });

  it('never waits longer than maxMs, however many attempts failed', () => {
    const delays = [6, 10, 50, 1_000].map((attempt) => backoffDelay(attempt, options, () => 0.999_999));

    expect(delays.every((delay) => delay < options.maxMs && delay >= options.maxMs - 1)).toBe(true);
  });

  it('draws uniformly from the whole window, down to zero', () => {
    const draws = [0, 0.25, 0.5].map((r) => backoffDelay(3, options, () => r));

    expect(draws).toEqual([0, 1_000, 2_000]);
  });

  it('spreads real random delays over the window', () => {
    const delays = Array.from({ length: 2_000 }, () => backoffDelay(4, DEFAULT_BACKOFF));
    const mean = delays.reduce((sum, delay) => sum + delay, 0) / delays.length;

    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(8_000);
    expect(mean).toBeGreaterThan(3_500);
    expect(mean).toBeLessThan(4_500);
  });
});

describe('rotationDelay', () => {
  it('rotates up to `jitter` of the maximum early, never late', () => {
    const latest = rotationDelay(6_600_000, 0.05, () => 0);
    const earliest = rotationDelay(6_600_000, 0.05, () => 1);

    expect(latest).toBe(6_600_000);
    expect(earliest).toBe(6_270_000);
  });
});
