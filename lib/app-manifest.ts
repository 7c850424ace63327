/**
 * The one description of the application that both the CDK stack (lib/) and the local runtime
 * (local/) read: routes, handlers, tables and the environment variables that wire them.
 * Plain data only: no CDK imports, no SDK imports.
 */

import {
  ATTEMPT_COUNTER_KEY_PREFIX,
  DEFAULTS,
  ENV,
  type PostingBudget,
  type PostingLane,
  type PostingPace,
} from '../lambdas/shared/environment';

/** Environment variable names, their defaults and the attempt counters' key prefix: lambdas/shared/environment.ts. */
export { ATTEMPT_COUNTER_KEY_PREFIX, DEFAULTS, ENV, type PostingBudget, type PostingLane, type PostingPace };

/** The deployment's timing as clients learn it (`GET /config` and the web client's config.js). */
export interface ClientTiming {
  readonly heartbeatSeconds: number;
  readonly leaseSeconds: number;
  readonly offlineGraceSeconds: number;
}

/**
 * What a handler needs; each capability maps to environment variables and IAM grants. The
 * presence table comes in three, by what the handler calls: `presenceTable` reads and writes,
 * `presenceTableRead` only reads presence items, `logInAttempts` only counts log-in attempts.
 */
export type Capability =
  | 'presenceTable'
  | 'presenceTableRead'
  | 'logInAttempts'
  | 'database'
  | 'tokens'
  | 'connections'
  | 'graceQueue'
  | 'webSocketUrl'
  | 'fanOutQueue'
  | 'deliveryRetryQueue'
  | 'sweepQueue';

export interface HandlerSpec {
  /** Path of the handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly uses: readonly Capability[];
}

export const handlers = {
  health: { entry: 'lambdas/handlers/http/health.ts', memoryMb: 128, timeoutSeconds: 3, uses: ['presenceTableRead'] },
  signUp: { entry: 'lambdas/handlers/http/sign-up.ts', memoryMb: 1024, timeoutSeconds: 15, uses: ['database', 'tokens'] },
  logIn: { entry: 'lambdas/handlers/http/log-in.ts', memoryMb: 1024, timeoutSeconds: 15, uses: ['database', 'tokens', 'logInAttempts'] },
  searchUsers: {
    entry: 'lambdas/handlers/http/search-users.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    uses: ['database', 'tokens', 'presenceTableRead'],
  },
  getUser: {
    entry: 'lambdas/handlers/http/get-user.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    uses: ['database', 'tokens', 'presenceTableRead'],
  },
  getPresence: {
    entry: 'lambdas/handlers/http/get-presence.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    uses: ['database', 'tokens', 'presenceTableRead'],
  },
  setStatus: {
    entry: 'lambdas/handlers/http/set-status.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    uses: ['tokens', 'presenceTable', 'database'],
  },
  heartbeat: {
    entry: 'lambdas/handlers/http/heartbeat.ts',
    memoryMb: 256,
    timeoutSeconds: 15,
    uses: ['tokens', 'presenceTable', 'database'],
  },
  getMe: { entry: 'lambdas/handlers/http/get-me.ts', memoryMb: 256, timeoutSeconds: 15, uses: ['database', 'tokens', 'presenceTableRead'] },
  getConfig: { entry: 'lambdas/handlers/http/get-config.ts', memoryMb: 128, timeoutSeconds: 3, uses: ['webSocketUrl'] },
  wsAuthorizer: { entry: 'lambdas/handlers/ws/authorizer.ts', memoryMb: 256, timeoutSeconds: 10, uses: ['tokens', 'database'] },
  wsConnect: { entry: 'lambdas/handlers/ws/connect.ts', memoryMb: 256, timeoutSeconds: 10, uses: ['presenceTable'] },
  wsDisconnect: { entry: 'lambdas/handlers/ws/disconnect.ts', memoryMb: 256, timeoutSeconds: 15, uses: ['presenceTable', 'graceQueue'] },
  wsDefault: { entry: 'lambdas/handlers/ws/default.ts', memoryMb: 256, timeoutSeconds: 10, uses: ['presenceTable'] },
  wsSubscribe: { entry: 'lambdas/handlers/ws/subscribe.ts', memoryMb: 256, timeoutSeconds: 15, uses: ['presenceTable', 'database'] },
  wsUnsubscribe: { entry: 'lambdas/handlers/ws/unsubscribe.ts', memoryMb: 256, timeoutSeconds: 10, uses: ['presenceTable'] },
  wsSetStatus: { entry: 'lambdas/handlers/ws/set-status.ts', memoryMb: 256, timeoutSeconds: 10, uses: ['presenceTable'] },
  wsHeartbeat: { entry: 'lambdas/handlers/ws/heartbeat.ts', memoryMb: 256, timeoutSeconds: 10, uses: ['presenceTable'] },
  notify: {
    entry: 'lambdas/handlers/events/notify.ts',
    memoryMb: 1024,
    timeoutSeconds: 60,
    uses: ['presenceTable', 'connections', 'graceQueue', 'fanOutQueue', 'deliveryRetryQueue'],
  },
  fanOut: {
    entry: 'lambdas/handlers/events/fan-out.ts',
    memoryMb: 1024,
    timeoutSeconds: 30,
    uses: ['presenceTable', 'connections', 'graceQueue', 'fanOutQueue', 'deliveryRetryQueue'],
  },
  deliveryRetry: {
    entry: 'lambdas/handlers/events/delivery-retry.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    uses: ['presenceTable', 'connections', 'graceQueue', 'deliveryRetryQueue'],
  },
  recordLastSeen: { entry: 'lambdas/handlers/events/record-last-seen.ts', memoryMb: 256, timeoutSeconds: 120, uses: ['database'] },
  graceExpired: {
    entry: 'lambdas/handlers/events/grace-expired.ts',
    memoryMb: 256,
    timeoutSeconds: 30,
    uses: ['presenceTable', 'graceQueue'],
  },
  /** The sweep planner (the schedule): one message per shard onto the sweep queue, nothing else. */
  sweep: { entry: 'lambdas/handlers/events/sweep.ts', memoryMb: 128, timeoutSeconds: 30, uses: ['sweepQueue'] },
  /** The sweep worker: sweeps the one shard its message names. */
  sweepShard: {
    entry: 'lambdas/handlers/events/sweep-shard.ts',
    memoryMb: 512,
    timeoutSeconds: 55,
    uses: ['presenceTable', 'connections', 'graceQueue'],
  },
} as const satisfies Record<string, HandlerSpec>;

export type HandlerName = keyof typeof handlers;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpRouteSpec {
  readonly method: HttpMethod;
  /** API Gateway route path, with `{name}` path parameters. */
  readonly path: string;
  readonly handler: HandlerName;
}

/** One explicit route per path of the contract (no `{proxy+}`), so unknown paths 404 at the edge. */
export const httpRoutes: readonly HttpRouteSpec[] = [
  { method: 'GET', path: '/health', handler: 'health' },
  { method: 'POST', path: '/users', handler: 'signUp' },
  { method: 'POST', path: '/sessions', handler: 'logIn' },
  { method: 'GET', path: '/users', handler: 'searchUsers' },
  { method: 'GET', path: '/users/{id}', handler: 'getUser' },
  { method: 'GET', path: '/presence', handler: 'getPresence' },
  { method: 'PUT', path: '/me/status', handler: 'setStatus' },
  { method: 'POST', path: '/me/heartbeat', handler: 'heartbeat' },
  { method: 'GET', path: '/me', handler: 'getMe' },
  { method: 'GET', path: '/config', handler: 'getConfig' },
];

export type AttributeType = 'S' | 'N';

export interface KeySpec {
  readonly name: string;
  readonly type: AttributeType;
}

export interface TableSpec {
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  /** Garbage collection only: DynamoDB deletes expired items "within a few days", never on time. */
  readonly timeToLiveAttribute?: string;
  readonly stream?: 'NEW_AND_OLD_IMAGES' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'KEYS_ONLY';
  readonly globalSecondaryIndexes?: readonly {
    readonly indexName: string;
    readonly partitionKey: KeySpec;
    readonly sortKey?: KeySpec;
    readonly projection: 'KEYS_ONLY' | 'ALL';
  }[];
}

/**
 * One table for all presence data (user state, connections, watchers), keyed pk/sk.
 * The stream drives the notifier; the sparse `sweep` index lists leases by expiry bucket and shard,
 * so the sweeper reads only what expired and never scans.
 */
export const tables = {
  presence: {
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    timeToLiveAttribute: 'ttl',
    stream: 'NEW_AND_OLD_IMAGES',
    globalSecondaryIndexes: [
      {
        indexName: 'sweep',
        partitionKey: { name: 'sweepKey', type: 'S' },
        sortKey: { name: 'sweepAt', type: 'N' },
        projection: 'KEYS_ONLY',
      },
    ],
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof tables;

/**
 * Handlers that CloudFormation runs during a deploy rather than a route (no `httpRoutes` entry).
 * `migrate` is the schema-migration custom resource: the cluster may be auto-paused at 0 ACU when
 * a deploy starts and resuming takes up to a minute, hence the long timeout.
 */
export const deployHandlers = {
  migrate: { entry: 'lambdas/handlers/deploy/migrate.ts', memoryMb: 256, timeoutSeconds: 300, uses: ['database'] },
} as const satisfies Record<string, HandlerSpec>;

export interface WebSocketRouteSpec {
  /** `$connect`, `$disconnect`, `$default` or the value of the frame's `action`. */
  readonly routeKey: string;
  readonly handler: HandlerName;
  /** The handler's `body` goes back to the client as the route response (no extra `@connections` call). */
  readonly returnResponse: boolean;
}

/** Route selection: `$request.body.action`. Unknown actions and non-JSON frames land on `$default`. */
export const websocketRouteSelectionExpression = '$request.body.action';

export const websocketRoutes: readonly WebSocketRouteSpec[] = [
  { routeKey: '$connect', handler: 'wsConnect', returnResponse: false },
  { routeKey: '$disconnect', handler: 'wsDisconnect', returnResponse: false },
  { routeKey: '$default', handler: 'wsDefault', returnResponse: true },
  { routeKey: 'subscribe', handler: 'wsSubscribe', returnResponse: true },
  { routeKey: 'unsubscribe', handler: 'wsUnsubscribe', returnResponse: true },
  { routeKey: 'setStatus', handler: 'wsSetStatus', returnResponse: true },
  { routeKey: 'heartbeat', handler: 'wsHeartbeat', returnResponse: true },
];

/** Lambda REQUEST authorizer on `$connect`; browsers cannot set headers on an upgrade, so `?token=`. */
export const websocketAuthorizer = {
  handler: 'wsAuthorizer',
  identitySource: ['route.request.querystring.token'],
} as const satisfies { handler: HandlerName; identitySource: readonly string[] };

/**
 * The presence table's stream has two readers (DynamoDB Streams' limit per shard). The notifier:
 * only writes that carry a `change` (a visible transition) invoke it; lease renewals, watches and
 * counters are filtered out before Lambda runs. The last-seen recorder: only offline changes, on
 * its own lane, so Postgres never delays delivery. It batches (one UPDATE per batch, waiting up to
 * 5 s to fill it: nobody waits for it) and gives up on no record before the stream itself drops
 * it: retries up to the maximum, records up to the stream's 24-hour retention.
 */
export const streamConsumers = [
  {
    table: 'presence',
    handler: 'notify',
    records: 'presence changes',
    batchSize: 100,
    maxBatchingWindowSeconds: 0,
    retryAttempts: 10,
    maxRecordAgeSeconds: 3600,
    bisectBatchOnError: true,
    reportBatchItemFailures: true,
    parallelizationFactor: 4,
    filters: [{ dynamodb: { NewImage: { change: { M: { changedAt: { N: [{ exists: true }] } } } } } }],
  },
  {
    table: 'presence',
    handler: 'recordLastSeen',
    records: 'last-seen moments',
    batchSize: 500,
    maxBatchingWindowSeconds: 5,
    retryAttempts: 10_000,
    maxRecordAgeSeconds: 86_400,
    bisectBatchOnError: true,
    reportBatchItemFailures: false,
    parallelizationFactor: 1,
    // An Aurora resume takes ~15 s (30 s+ after a long pause): only lag past that is news.
    iteratorAgeAlarmSeconds: 300,
    filters: [{ dynamodb: { NewImage: { change: { M: { status: { S: ['offline'] }, lastSeen: { N: [{ exists: true }] } } } } } }],
  },
] as const satisfies readonly {
  table: TableName;
  handler: HandlerName;
  /** What its records are, for alarm texts ("some presence changes were not delivered"). */
  records: string;
  iteratorAgeAlarmSeconds?: number;
  batchSize: number;
  maxBatchingWindowSeconds: number;
  retryAttempts: number;
  maxRecordAgeSeconds: number;
  bisectBatchOnError: boolean;
  reportBatchItemFailures: boolean;
  parallelizationFactor: number;
  filters: readonly object[];
}[];

export interface QueueSpec {
  readonly handler: HandlerName;
  readonly batchSize: number;
  /** At least the consumer's timeout; AWS advises 6x it for a Lambda event source mapping (the delivery queues follow that). */
  readonly visibilityTimeoutSeconds: number;
  /** Receives after which a message that keeps failing moves to the queue's dead-letter queue. */
  readonly maxReceiveCount: number;
  readonly reportBatchItemFailures: boolean;
  /** Concurrent consumer invocations at most (the event source mapping's MaximumConcurrency, 2-1000). */
  readonly maxConcurrency?: number;
  /** The capability that sends to the queue, and the variable that gives its URL. */
  readonly capability: Capability;
  readonly urlEnv: string;
}

/**
 * The queues and their consumers. `grace`: the offline-grace timer (per-message delays).
 * `fanOut`: one page of a change's watchers per message, so a popular user's fan-out runs in
 * parallel, apart from the stream. `deliveryRetry`: one frame for one connection whose post failed,
 * delayed by its backoff. `sweep`: one shard to sweep per message, planned every minute by the
 * schedule, so sweep capacity grows with the shards (`maxConcurrency` here is the floor; the stack
 * raises it to the deployment's shard count).
 */
export const queues = {
  grace: {
    handler: 'graceExpired',
    batchSize: 10,
    visibilityTimeoutSeconds: 60,
    maxReceiveCount: 5,
    reportBatchItemFailures: true,
    capability: 'graceQueue',
    urlEnv: ENV.graceQueueUrl,
  },
  fanOut: {
    handler: 'fanOut',
    batchSize: 1,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    reportBatchItemFailures: true,
    maxConcurrency: 10,
    capability: 'fanOutQueue',
    urlEnv: ENV.fanOutQueueUrl,
  },
  deliveryRetry: {
    handler: 'deliveryRetry',
    batchSize: 10,
    visibilityTimeoutSeconds: 180,
    maxReceiveCount: 5,
    reportBatchItemFailures: true,
    maxConcurrency: 2,
    capability: 'deliveryRetryQueue',
    urlEnv: ENV.deliveryRetryQueueUrl,
  },
  sweep: {
    handler: 'sweepShard',
    batchSize: 1,
    // 6x the worker's timeout: a failed shard is swept again by the next minute's message anyway.
    visibilityTimeoutSeconds: 330,
    maxReceiveCount: 3,
    reportBatchItemFailures: true,
    maxConcurrency: DEFAULTS.sweepShards,
    capability: 'sweepQueue',
    urlEnv: ENV.sweepQueueUrl,
  },
} as const satisfies Record<string, QueueSpec>;

/** How many invocations may post at once: the notifier's lanes and the fan-out and retry consumers. */
export interface PostingConcurrency {
  /** Stream shards the notifier reads. */
  readonly streamShards: number;
  /** Notifier batches in flight per shard. @default the notifier's ParallelizationFactor */
  readonly notifierPerShard?: number;
  /** @default queues.fanOut.maxConcurrency */
  readonly fanOut?: number;
  /** @default queues.deliveryRetry.maxConcurrency */
  readonly deliveryRetry?: number;
}

/** Invocations of each posting lane that may run at once. */
export const postingLanes = (lanes: PostingConcurrency): Record<PostingLane, number> => {
  const notifier = streamConsumers.find((consumer) => consumer.handler === 'notify')?.parallelizationFactor ?? 1;
  return {
    notify: lanes.streamShards * (lanes.notifierPerShard ?? notifier),
    fanOut: lanes.fanOut ?? queues.fanOut.maxConcurrency,
    deliveryRetry: lanes.deliveryRetry ?? queues.deliveryRetry.maxConcurrency,
  };
};

/**
 * One posting invocation's token bucket: a share of the deployment's posting budget (rate and
 * burst) split evenly by the invocations that may post at once, so that all of them together stay
 * under it. Each invocation starts with its share of the burst: a small fan-out goes at once.
 */
export const invocationPace = (budget: PostingPace, concurrency: number): PostingPace => {
  if (!(concurrency >= 1)) throw new RangeError(`posting concurrency must be at least 1, got ${concurrency}`);
  return { postsPerSecond: budget.postsPerSecond / concurrency, burst: Math.max(1, Math.floor(budget.burst / concurrency)) };
};

/**
 * Each lane's invocation pace: the lane's share of the budget (`shares`, DEFAULTS.postingShares),
 * split evenly by its invocations. The shares add up to at most 1, so every lane posting flat out
 * stays under the budget.
 */
export const lanePaces = (
  budget: PostingPace,
  lanes: PostingConcurrency,
  shares: Readonly<Record<PostingLane, number>> = DEFAULTS.postingShares,
): Record<PostingLane, PostingPace> => {
  const total = Object.values(shares).reduce((sum, share) => sum + share, 0);
  if (!Object.values(shares).every((share) => share > 0) || total > 1 + 1e-9) {
    throw new RangeError(`posting shares must be positive and add up to at most 1, got ${JSON.stringify(shares)}`);
  }
  const counts = postingLanes(lanes);
  const pace = (lane: PostingLane): PostingPace =>
    invocationPace({ postsPerSecond: budget.postsPerSecond * shares[lane], burst: budget.burst * shares[lane] }, counts[lane]);
  return { notify: pace('notify'), fanOut: pace('fanOut'), deliveryRetry: pace('deliveryRetry') };
};

/** The variable that gives the handlers their invocation's pace, per lane. */
export const pacingEnvironment = (paces: Record<PostingLane, PostingPace>): Record<string, string> => ({
  [ENV.postingPaces]: JSON.stringify(paces),
});

/** The sweep planner's schedule: every minute on AWS (EventBridge's finest), `PRESENCE_SWEEP_SECONDS` locally. */
export const schedules = [{ handler: 'sweep', everyMinutes: 1 }] as const satisfies readonly {
  handler: HandlerName;
  everyMinutes: number;
}[];
