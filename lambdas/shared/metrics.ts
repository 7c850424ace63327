/**
 * The service's CloudWatch metrics, written as Embedded Metric Format (EMF) log lines by
 * Powertools: CloudWatch Logs turns each line into metrics, so emitting costs no API call and no
 * latency. Handlers (and the wiring in `shared/dependencies`) emit through this facade only;
 * domain code never imports it: it returns reports with counts, and handlers turn those into
 * metrics. The catalogue below is the one list of names the alarms and the dashboard read
 * (lib/constructs/monitoring.ts).
 *
 * Metrics are buffered per invocation and flushed once at its end: by `flushMetrics()` (a middy
 * middleware, `lambdas/middleware/observability.ts` puts it on every handler) or by
 * `publishMetrics()` for code that is not a middy handler.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import { optionalEnv } from './config';
import { DEFAULTS, ENV } from './environment';

/** Every metric the service emits, with its unit. Alarms and the dashboard name these. */
export const METRICS = {
  /** WebSocket connections registered (`$connect`). */
  ConnectionsOpened: MetricUnit.Count,
  /** WebSocket connections closed: `$disconnect`, a 410 found by the notifier, the sweeper. */
  ConnectionsClosed: MetricUnit.Count,
  /** Presence transitions written (a user went online, away or offline): what the notifier delivers. */
  ChangesDecided: MetricUnit.Count,
  /** Optimistic-concurrency conflicts on a user's presence item that were retried (devices racing). */
  VersionRaceRetries: MetricUnit.Count,
  /** Changes the notifier received from the stream. */
  ChangesNotified: MetricUnit.Count,
  /** Frames posted to watching connections (`@connections` POSTs that succeeded). */
  FramesPosted: MetricUnit.Count,
  /** Posts that failed, with a `kind` dimension: `gone` (410), `throttled` (429), `other`. */
  PostsFailed: MetricUnit.Count,
  /** Connections one delivery invocation posted to (a notifier batch's inline pages, or one fan-out page). */
  FanOut: MetricUnit.Count,
  /** Post time minus the change's `changedAt`, ms: the worst of each delivery invocation. */
  DeliveryLag: MetricUnit.Milliseconds,
  /** Fan-out pages handed to the fan-out queue (a popular user's watchers beyond the first page). */
  FanOutPagesQueued: MetricUnit.Count,
  /** Posts retried because the connection was slow or throttled. */
  PostsRetried: MetricUnit.Count,
  /** Slow connections closed after their retries ran out. */
  SlowConnectionsClosed: MetricUnit.Count,
  /** Users the sweeper settled (their leases had expired). */
  SweepUsersSettled: MetricUnit.Count,
  /** Users the sweeper could not settle this run (a store call failed); retried on the next run. */
  SweepUsersFailed: MetricUnit.Count,
  /** Connections the sweeper closed. */
  SweepConnectionsClosed: MetricUnit.Count,
  /** Shard sweeps the planner could not queue (SQS failed); the next minute's plan queues them again. */
  SweepShardsNotQueued: MetricUnit.Count,
  /** Shard sweeps whose watermark could not be read or written; the watermark stays, the message is retried. */
  SweepShardsFailed: MetricUnit.Count,
  /** Age of the oldest sweep bucket not yet swept, ms (0 when the sweeper is caught up). */
  SweepBacklogAge: MetricUnit.Milliseconds,
  /** Waits while an auto-paused Aurora cluster resumed (RDS Data API `DatabaseResumingException`). */
  DataApiResumeWaits: MetricUnit.Count,
  /** Time spent in those waits, ms. */
  DataApiResumeWaitTime: MetricUnit.Milliseconds,
  /** Users whose durable last-seen (Postgres) the last-seen recorder moved forward. */
  LastSeenRecorded: MetricUnit.Count,
  /** Last-seen batches tried again because the database did not answer (resume waits included). */
  LastSeenRetries: MetricUnit.Count,
  /** Last-seen batches handed back to the stream after the recorder's retries (redelivered later). */
  LastSeenBatchesDeferred: MetricUnit.Count,
  /** Log-ins refused for a wrong name or password. */
  LoginFailures: MetricUnit.Count,
  /** Requests refused by a rate limit (log-in throttle). */
  RateLimited: MetricUnit.Count,
  /** Requests and frames answered with the contract's `internal` error. */
  InternalErrors: MetricUnit.Count,
} as const;

export type MetricName = keyof typeof METRICS;

/** Values of the `kind` dimension of `PostsFailed`. */
export type PostFailureKind = 'gone' | 'throttled' | 'other';

/** The CloudWatch namespace and the `service` dimension: configuration, as every other name. */
export const metricsNamespace = (): string => optionalEnv(ENV.metricsNamespace) ?? DEFAULTS.metricsNamespace;
export const serviceName = (): string => optionalEnv(ENV.serviceName) ?? DEFAULTS.serviceName;

/** One instance per execution environment: Powertools scopes its buffer to the invocation. */
const metrics = new Metrics({ namespace: metricsNamespace(), serviceName: serviceName() });

/** Adds `value` to a counter metric; zero adds nothing (an absent datapoint reads as 0 in CloudWatch sums). */
export const count = (name: MetricName, value = 1): void => {
  if (value > 0) metrics.addMetric(name, METRICS[name], value);
};

/** Records one sample of a distribution (a latency, a size): CloudWatch keeps its percentiles. */
export const sample = (name: MetricName, value: number): void => {
  if (Number.isFinite(value)) metrics.addMetric(name, METRICS[name], Math.max(0, value));
};

/** `PostsFailed` by kind: a dimension, written at once as its own EMF line (failures are rare). */
export const postsFailed = (kind: PostFailureKind, value: number): void => {
  if (value <= 0) return;
  const single = metrics.singleMetric();
  single.addDimension('kind', kind);
  single.addMetric('PostsFailed', METRICS.PostsFailed, value);
};

/**
 * Writes what this invocation buffered as one EMF line. Nothing is written when nothing was
 * buffered (Powertools' own `logMetrics` would log a warning on every such invocation).
 */
export const publishMetrics = (): void => {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
};

/** middy: flushes the invocation's metrics when the handler returns or throws. */
export const flushMetrics = (): MiddlewareObj => ({
  after: async () => publishMetrics(),
  onError: async () => publishMetrics(),
});
