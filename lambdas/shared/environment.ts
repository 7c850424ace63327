/**
 * What the handlers and the stack that deploys them (lib/app-manifest.ts, CDK, the local runtime)
 * agree on: the environment variables handlers read, their defaults, and the key prefix of the
 * attempt counters (the only presence-table items the `logInAttempts` grant may update).
 * Handlers read it here, so that no handler bundles the manifest. Plain data only.
 */

/** Environment variable names handlers read. CDK sets AWS values, the local runtime local ones. */
export const ENV = {
  presenceTable: 'PRESENCE_TABLE_NAME',
  dynamodbEndpoint: 'DYNAMODB_ENDPOINT',
  dbResourceArn: 'DB_RESOURCE_ARN',
  dbSecretArn: 'DB_SECRET_ARN',
  dbName: 'DB_NAME',
  /** How long a call may wait for an auto-paused Aurora to resume: the function's timeout less a margin. */
  dataApiResumeWaitMs: 'DATA_API_RESUME_WAIT_MS',
  rdsDataEndpoint: 'RDS_DATA_ENDPOINT',
  tokenSecretArn: 'TOKEN_SECRET_ARN',
  secretsManagerEndpoint: 'SECRETS_MANAGER_ENDPOINT',
  leaseSeconds: 'PRESENCE_LEASE_SECONDS',
  graceSeconds: 'PRESENCE_OFFLINE_GRACE_SECONDS',
  sweepSeconds: 'PRESENCE_SWEEP_SECONDS',
  sweepShards: 'PRESENCE_SWEEP_SHARDS',
  sweepBucketSeconds: 'PRESENCE_SWEEP_BUCKET_SECONDS',
  heartbeatSeconds: 'PRESENCE_HEARTBEAT_SECONDS',
  tokenTtlSeconds: 'TOKEN_TTL_SECONDS',
  connectionsEndpoint: 'CONNECTIONS_ENDPOINT',
  webSocketUrl: 'PRESENCE_WEBSOCKET_URL',
  graceQueueUrl: 'GRACE_QUEUE_URL',
  fanOutQueueUrl: 'FAN_OUT_QUEUE_URL',
  deliveryRetryQueueUrl: 'DELIVERY_RETRY_QUEUE_URL',
  sweepQueueUrl: 'SWEEP_QUEUE_URL',
  /**
   * One posting invocation's token bucket per lane, JSON: `{"notify":{"postsPerSecond","burst"},
   * "fanOut":…, "deliveryRetry":…}` (set from the deployment's posting budget, lib/app-manifest.ts `lanePaces`).
   */
  postingPaces: 'PRESENCE_POSTING_PACES',
  /** Watchers per fan-out page, overriding the size the handlers derive from their pace (tests use it). */
  fanOutPageSize: 'PRESENCE_FAN_OUT_PAGE_SIZE',
  sqsEndpoint: 'SQS_ENDPOINT',
  logLevel: 'LOG_LEVEL',
  /** CloudWatch namespace of the EMF metrics (read by Powertools too). */
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  /** The `service` of every log line and metric dimension (read by Powertools too). */
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  /** Stores `GET /health` probes, comma-separated (`presenceTable`, `dataApi`); default `presenceTable`. */
  healthProbes: 'HEALTH_PROBES',
} as const;

/** Defaults shared by the stack and the local runtime (the contract's defaults). */
export const DEFAULTS = {
  leaseSeconds: 150,
  graceSeconds: 3,
  sweepSeconds: 60,
  sweepShards: 16,
  /** Width of a sweep index bucket: one sweep interval (EventBridge's finest schedule is a minute). */
  sweepBucketSeconds: 60,
  heartbeatSeconds: 60,
  tokenTtlSeconds: 7 * 24 * 3600,
  metricsNamespace: 'Presence',
  serviceName: 'presence',
  /**
   * The deployment's posting budget: `@connections` calls per second and burst that all its posts
   * together may make. Half the account's default API Gateway quota (10,000/s, burst 5,000, shared
   * by inbound frames, HTTP requests and every API of the account); raise it with the quota. Each
   * posting lane gets its share (`postingShares`), split evenly by the lane's invocations
   * (docs/scaling.md). `streamShards`: shards of the presence stream the notifier reads (they
   * follow the table's partitions; ~4 for a new table).
   */
  posting: { postsPerSecond: 5_000, burst: 2_500, streamShards: 4 },
  /**
   * Each posting lane's share of the posting budget. The notifier's lanes carry every small
   * fan-out, the steady load (at 5M users ~9,300 posts/s of an 18,000/s budget); the fan-out
   * consumers a popular user's pages, which only they can speed up; retries are rare. An even
   * split per invocation gave the 256 notifier lanes at scale 96 % and one popular user 672 posts/s.
   */
  postingShares: { notify: 0.6, fanOut: 0.35, deliveryRetry: 0.05 },
  /**
   * The most watchers per fan-out page: the stream notifier posts up to one page inline, the fan-out
   * queue the rest. Handlers size pages from their pace (domain/token-bucket.ts `pageSizeForPace`),
   * at most this; `PRESENCE_FAN_OUT_PAGE_SIZE` overrides it.
   */
  fanOutPageSize: 1_000,
} as const;

/** The kinds of invocation that post: the stream notifier, the fan-out and the delivery-retry consumers. */
export type PostingLane = keyof typeof DEFAULTS.postingShares;

/** One invocation's token bucket. */
export interface PostingPace {
  readonly postsPerSecond: number;
  readonly burst: number;
}

/** A deployment's posting budget (DEFAULTS.posting). */
export interface PostingBudget {
  readonly postsPerSecond: number;
  readonly burst: number;
  readonly streamShards: number;
  /** Each lane's share, positive, adding up to at most 1. @default DEFAULTS.postingShares */
  readonly shares?: Readonly<Record<PostingLane, number>>;
}

/**
 * Partition keys of the presence table's attempt counters (the log-in limit) start with this:
 * the `logInAttempts` capability may update those items and no other.
 */
export const ATTEMPT_COUNTER_KEY_PREFIX = 'RL#';
