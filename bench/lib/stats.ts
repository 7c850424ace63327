/** Small statistics helpers: the machine is shared and noisy, so everything reports medians and percentiles. */

/** Nearest-rank percentile (p in 0..100) of an unsorted sample; NaN for an empty one. */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1];
};

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

export const mean = (values: readonly number[]): number =>
  values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;

export interface Distribution {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly min: number;
  readonly mean: number;
}

/** Rounded to 0.1 ms: more digits would be noise on this machine. */
const round = (value: number): number => Math.round(value * 10) / 10;

export const distribution = (values: readonly number[]): Distribution => ({
  count: values.length,
  p50: round(percentile(values, 50)),
  p95: round(percentile(values, 95)),
  p99: round(percentile(values, 99)),
  max: round(values.length === 0 ? Number.NaN : Math.max(...values)),
  min: round(values.length === 0 ? Number.NaN : Math.min(...values)),
  mean: round(mean(values)),
});

/** The median of each field over several runs' distributions (what the tables report). */
export const medianOf = (runs: readonly Distribution[]): Distribution => ({
  count: runs.reduce((sum, run) => sum + run.count, 0),
  p50: round(median(runs.map((run) => run.p50))),
  p95: round(median(runs.map((run) => run.p95))),
  p99: round(median(runs.map((run) => run.p99))),
  max: round(median(runs.map((run) => run.max))),
  min: round(median(runs.map((run) => run.min))),
  mean: round(median(runs.map((run) => run.mean))),
});

/** A histogram with fixed-width bins (for the results file and the SVG chart). */
export interface Histogram {
  readonly binMs: number;
  /** counts[i] = samples in [i * binMs, (i + 1) * binMs); the last bin also holds everything above. */
  readonly counts: number[];
}

export const histogram = (values: readonly number[], binMs: number, bins: number): Histogram => {
  const counts = new Array<number>(bins).fill(0);
  for (const value of values) counts[Math.min(bins - 1, Math.max(0, Math.floor(value / binMs)))] += 1;
  return { binMs, counts };
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Wall-clock ms with sub-millisecond resolution, comparable with the server's `Date.now()` timestamps. */
export const now = (): number => performance.timeOrigin + performance.now();

/** Fisher-Yates sample of `count` distinct items. */
export const sample = <T>(items: readonly T[], count: number, random: () => number): T[] => {
  const pool = [...items];
  for (let index = pool.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [pool[index], pool[other]] = [pool[other], pool[index]];
  }
  return pool.slice(0, Math.min(count, pool.length));
};

/** A seeded PRNG (mulberry32), so runs subscribe the same watchers to the same actors. */
export const seededRandom = (seed: number): (() => number) => {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** Runs `work` over `items` with at most `limit` in flight. */
export const mapLimited = async <T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
};
