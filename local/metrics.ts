/**
 * The metrics a deployment would report, without AWS: `GET /local/metrics` on the HTTP port
 * summarises the Embedded Metric Format lines the handlers wrote (lambdas/shared/metrics.ts), as
 * CloudWatch Logs would extract them from the functions' log streams; `DELETE` starts over.
 * Local runtime only: nothing in lib/ deploys it, and handlers never see it.
 */
import type { Fallback, StaticResponse } from './api-gateway/http-api';

/** One metric's datapoints since the last reset, as CloudWatch's statistics would show them. */
export interface MetricSummary {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  /** Dimensions other than `service` (e.g. `kind` of `PostsFailed`). */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p99: number;
}

interface Series {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  readonly dimensions: Record<string, string>;
  values: number[];
}

interface EmfDocument {
  readonly _aws?: {
    readonly CloudWatchMetrics?: readonly {
      Namespace: string;
      Dimensions: readonly (readonly string[])[];
      Metrics: readonly { Name: string; Unit?: string }[];
    }[];
  };
  readonly [key: string]: unknown;
}

/** Samples kept per metric for the percentiles; counts, sums, minima and maxima stay exact beyond it. */
const MAX_SAMPLES = 10_000;

const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;

/** Aggregates EMF documents by namespace, metric name and dimensions. */
export class MetricsRecorder {
  private series = new Map<string, Series & { sampleCount: number; sum: number; min: number; max: number }>();
  private since = Date.now();

  /** Records one log line if it is an EMF document; other lines are ignored. */
  recordLine(line: string): void {
    if (!line.includes('"_aws"')) return;
    let document: EmfDocument;
    try {
      document = JSON.parse(line) as EmfDocument;
    } catch {
      return;
    }
    for (const directive of document._aws?.CloudWatchMetrics ?? []) {
      const dimensionNames = [...new Set(directive.Dimensions.flat())].filter((name) => name !== 'service');
      const dimensions = Object.fromEntries(dimensionNames.map((name) => [name, String(document[name])]));
      for (const metric of directive.Metrics) {
        const raw = document[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter(
          (value): value is number => typeof value === 'number' && Number.isFinite(value),
        );
        if (values.length > 0)
          this.add({ namespace: directive.Namespace, name: metric.Name, unit: metric.Unit ?? 'None', dimensions, values });
      }
    }
  }

  private add(entry: Series): void {
    const key = JSON.stringify([entry.namespace, entry.name, entry.dimensions]);
    const series = this.series.get(key) ?? { ...entry, values: [], sampleCount: 0, sum: 0, min: Infinity, max: -Infinity };
    for (const value of entry.values) {
      series.sampleCount += 1;
      series.sum += value;
      series.min = Math.min(series.min, value);
      series.max = Math.max(series.max, value);
      if (series.values.length < MAX_SAMPLES) series.values.push(value);
    }
    this.series.set(key, series);
  }

  summary(): { since: string; metrics: MetricSummary[] } {
    const metrics = [...this.series.values()]
      .map((series): MetricSummary => {
        const sorted = [...series.values].sort((a, b) => a - b);
        return {
          namespace: series.namespace,
          name: series.name,
          unit: series.unit,
          dimensions: series.dimensions,
          sampleCount: series.sampleCount,
          sum: series.sum,
          min: series.min,
          max: series.max,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name) || JSON.stringify(a.dimensions).localeCompare(JSON.stringify(b.dimensions)));
    return { since: new Date(this.since).toISOString(), metrics };
  }

  reset(): void {
    this.series = new Map();
    this.since = Date.now();
  }
}

const recorders = new Set<MetricsRecorder>();
let originalWrite: typeof process.stdout.write | undefined;

/**
 * Feeds every line written to stdout to `recorder` (where Lambda, and CloudWatch Logs after it,
 * read the EMF lines), passing the output through unchanged. Returns the function that stops it.
 */
export const tapStdout = (recorder: MetricsRecorder): (() => void) => {
  recorders.add(recorder);
  if (originalWrite === undefined) {
    const write = process.stdout.write.bind(process.stdout);
    originalWrite = process.stdout.write;
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      for (const line of text.split('\n')) for (const each of recorders) each.recordLine(line);
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stdout.write;
  }
  return () => {
    recorders.delete(recorder);
    if (recorders.size === 0 && originalWrite !== undefined) {
      process.stdout.write = originalWrite;
      originalWrite = undefined;
    }
  };
};

const METRICS_PATH = '/local/metrics';

const json = (status: number, body: object): StaticResponse => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: Buffer.from(JSON.stringify(body)),
});

/** `GET /local/metrics` (the summary) and `DELETE /local/metrics` (start over) as an HTTP API fallback. */
export const metricsEndpoint =
  (recorder: MetricsRecorder): Fallback =>
  async (method, path) => {
    if (path !== METRICS_PATH) return null;
    if (method === 'GET') return json(200, recorder.summary());
    if (method === 'DELETE') {
      recorder.reset();
      return json(200, recorder.summary());
    }
    return null;
  };
