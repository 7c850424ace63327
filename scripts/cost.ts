/**
 * `npm run cost [-- --name=value ...] [--json]`: the monthly AWS bill of the presence service at
 * scale, from the AWS calls each operation makes (measured by `npm run bench -- calls`, in
 * bench/results/calls.json) and list prices (the PRICES table below, from aws-facts.md). Prints a
 * per-component table, the naive design it replaces (HTTP heartbeat every 10 s writing to the
 * database, aws-facts §8.2), variants, and what each knob trades.
 *
 * Every input is a parameter (`npm run cost -- --help` lists them); e.g.
 *   npm run cost -- --users=1000000 --heartbeatSeconds=60 --leaseSeconds=150
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LabelCost, OperationCost } from '../bench/scenarios/calls';
import { pageSizeForPace } from '../lambdas/domain/token-bucket';
import { DEFAULTS as CONTRACT, handlers, lanePaces, type PostingLane, queues, streamConsumers } from '../lib/app-manifest';

// =============================================================================================
// Prices: the one table. us-east-1 list prices in USD, no free tier, no discounts. [V] verified
// against AWS documentation or the Price List API, [S] secondary source, [U] unverified.
// Source: /work/shared/reference/aws-facts.md (collected 2026-11-28; its price readings are dated
// per entry). Re-check every [S]/[U] line on the live pricing pages before budgeting.
// =============================================================================================

type Check = 'V' | 'S' | 'U';

interface Price {
  readonly what: string;
  /** USD per `per` units; or bands `[cumulative upper bound in units, USD per "per" units]`. */
  readonly usd: number | readonly (readonly [number, number])[];
  readonly per: number;
  readonly unit: string;
  readonly check: Check;
  readonly source: string;
}

const M = 1e6;
const GB_10TB = 10 * 1024;

export const PRICES = {
  wsMessages: {
    what: 'API Gateway WebSocket messages, sent and received (32 KB units)',
    usd: [
      [1e9, 1.0],
      [Infinity, 0.8],
    ],
    per: M,
    unit: 'messages',
    check: 'V',
    source: 'aws-facts §1.5: aws.amazon.com/api-gateway/pricing; Price List USE1-ApiGatewayMessage (read 2025-10)',
  },
  wsConnectionMinutes: {
    what: 'API Gateway WebSocket connection-minutes',
    usd: 0.25,
    per: M,
    unit: 'connection-minutes',
    check: 'V',
    source: 'aws-facts §1.5: Price List USE1-ApiGatewayMinute (read 2025-10)',
  },
  httpRequests: {
    what: 'API Gateway HTTP API requests (512 KB units)',
    usd: [
      [300e6, 1.0],
      [Infinity, 0.9],
    ],
    per: M,
    unit: 'requests',
    check: 'V',
    source: 'aws-facts §2: Price List USE1-ApiGatewayHttpRequest (read 2025-10)',
  },
  lambdaRequests: {
    what: 'Lambda requests',
    usd: 0.2,
    per: M,
    unit: 'invocations',
    check: 'V',
    source: 'aws-facts §5.1: Price List AWS-Lambda-Requests',
  },
  lambdaArmDuration: {
    what: 'Lambda duration, arm64 (tier 1 [V], tier 2 [S], tier 3 [U])',
    usd: [
      [7.5e9, 0.0000133334],
      [18.75e9, 0.0000120001],
      [Infinity, 0.0000106667],
    ],
    per: 1,
    unit: 'GB-seconds',
    check: 'S',
    source: 'aws-facts §5.1 (Price List AWS-Lambda-Duration-ARM; cloudchipr) and §9.7',
  },
  dynamoWrites: {
    what: 'DynamoDB on-demand write request units',
    usd: 0.625,
    per: M,
    unit: 'WRU',
    check: 'S',
    source: 'aws-facts §3.1: after the 1 Nov 2024 on-demand price cut (secondary sources; §9.1)',
  },
  dynamoReads: {
    what: 'DynamoDB on-demand read request units',
    usd: 0.125,
    per: M,
    unit: 'RRU',
    check: 'S',
    source: 'aws-facts §3.1 (as above)',
  },
  dynamoStorage: {
    what: 'DynamoDB storage, Standard class',
    usd: 0.25,
    per: 1,
    unit: 'GB-months',
    check: 'U',
    source: 'aws-facts §3.1, §9.1',
  },
  dynamoStreamsForLambda: {
    what: 'DynamoDB Streams GetRecords by a Lambda event source mapping',
    usd: 0,
    per: 1,
    unit: 'reads',
    check: 'V',
    source: 'aws-facts §3.1: time-to-live-ttl-streams.html',
  },
  dataApiRequests: {
    what: 'RDS Data API requests (32 KB units)',
    usd: 0.35,
    per: M,
    unit: 'requests',
    check: 'U',
    source: 'aws-facts §4.4, §9.2 (billing unit [S], rate commonly quoted)',
  },
  auroraAcuHours: {
    what: 'Aurora Serverless v2 ACU-hours (Standard)',
    usd: 0.12,
    per: 1,
    unit: 'ACU-hours',
    check: 'S',
    source: 'aws-facts §4.4, §9.3',
  },
  auroraStorageIo: {
    what: 'Aurora storage, I/O and Data API overhead (lump sum)',
    usd: 20,
    per: 1,
    unit: 'months',
    check: 'U',
    source: 'aws-facts §8.1 assumption',
  },
  sqsRequests: {
    what: 'SQS standard queue requests (64 KB units)',
    usd: 0.4,
    per: M,
    unit: 'requests',
    check: 'U',
    source: 'not in aws-facts.md: SQS standard-queue list price as commonly quoted; verify on aws.amazon.com/sqs/pricing',
  },
  lambdaLogs: {
    what: 'CloudWatch Logs ingestion of Lambda logs (tiered)',
    usd: [
      [GB_10TB, 0.5],
      [3 * GB_10TB, 0.25],
      [5 * GB_10TB, 0.1],
      [Infinity, 0.05],
    ],
    per: 1,
    unit: 'GB',
    check: 'S',
    source: 'aws-facts §8.1: Duckbill summary of the May 2025 Lambda log tiering',
  },
  dataTransferOut: {
    what: 'Data transfer out to the internet (tiered)',
    usd: [
      [GB_10TB, 0.09],
      [5 * GB_10TB, 0.085],
      [15 * GB_10TB, 0.07],
      [Infinity, 0.05],
    ],
    per: 1,
    unit: 'GB',
    check: 'S',
    source: 'aws-facts §1.5: standard EC2 internet egress rates',
  },
  schedulerInvocations: {
    what: 'EventBridge scheduled rule invocations (likely free; priced as Scheduler invocations to be safe)',
    usd: 1.0,
    per: M,
    unit: 'invocations',
    check: 'U',
    source: 'not in aws-facts.md; verify',
  },
  secrets: {
    what: 'Secrets Manager secrets (token signing key, database credentials)',
    usd: 0.4,
    per: 1,
    unit: 'secret-months',
    check: 'U',
    source: 'not in aws-facts.md; verify',
  },
} as const satisfies Record<string, Price>;

type PriceName = keyof typeof PRICES;

/** What `quantity` units cost, tiers applied to the monthly total. */
export const charge = (name: PriceName, quantity: number): number => {
  const price: Price = PRICES[name];
  if (typeof price.usd === 'number') return (quantity / price.per) * price.usd;
  let total = 0;
  let lower = 0;
  for (const [upper, usd] of price.usd) {
    const band = Math.max(0, Math.min(quantity, upper) - lower);
    total += (band / price.per) * usd;
    lower = upper;
    if (quantity <= upper) break;
  }
  return total;
};

// =============================================================================================
// Parameters
// =============================================================================================

type Kind = 'assumption' | 'knob' | 'runtime' | 'design';

interface Parameter {
  readonly value: number;
  readonly kind: Kind;
  readonly note: string;
}

const PARAMETERS = {
  // Load: aws-facts §8.1/§8.3 baseline.
  users: { value: 5_000_000, kind: 'assumption', note: 'concurrently connected users, one WebSocket each, held 24x7 (aws-facts §8.1)' },
  forcedReconnectsPerDay: {
    value: 14.5,
    kind: 'assumption',
    note: 'API Gateway ends every connection after 2 h; the client replaces it make-before-break (no visible change) at 88-110 min, 99 on average (aws-facts §8.3 has 12 at 2 h)',
  },
  sessionsPerDay: {
    value: 6,
    kind: 'assumption',
    note: 'genuine session starts per connection slot and day, each an online and an offline transition (§8.3 G)',
  },
  statusChangesPerDay: { value: 4, kind: 'assumption', note: 'explicit setStatus per day, each visible (§8.3 E)' },
  blipsPerDay: {
    value: 2,
    kind: 'assumption',
    note: 'network blips per day: last connection closes and returns within the grace, no event [U]',
  },
  subscriptionsPerConnection: {
    value: 20,
    kind: 'assumption',
    note: 'ids a connection subscribes to, again on every new connection (bench: subscribe(20))',
  },
  onlineWatchersPerChange: { value: 10, kind: 'assumption', note: 'connections pushed per visible transition (§8.3 S_on)' },
  watchersPerUser: {
    value: 50,
    kind: 'assumption',
    note: 'users watching a user, online or not (§8.3 S); only read by the per-user watch list variant',
  },
  stormConnectsPerSecond: {
    value: 5_000,
    kind: 'assumption',
    note: 'reconnect storm (deploy, outage): every user reconnects at this rate; sizes quotas, not the bill',
  },
  sweptShare: {
    value: 0.02,
    kind: 'assumption',
    note: 'share of session ends whose $disconnect never arrives (best effort, §1.3): found by the sweeper [U]',
  },
  retriedPostShare: {
    value: 0.001,
    kind: 'assumption',
    note: 'share of posts to live connections that fail other than 410 (full client buffer, throttling, 5xx): each is re-posted once through the delivery-retry queue [U]',
  },
  // Knobs: configuration of the design as built.
  heartbeatSeconds: {
    value: 480,
    kind: 'knob',
    note: `idle clients heartbeat this often (contract default ${CONTRACT.heartbeatSeconds}); under API Gateway's 600 s idle timeout with a minute to spare for throttled background timers`,
  },
  leaseSeconds: {
    value: 1200,
    kind: 'knob',
    note: `a connection silent this long is gone (contract default ${CONTRACT.leaseSeconds}); written at most every half lease`,
  },
  graceSeconds: {
    value: CONTRACT.graceSeconds,
    kind: 'knob',
    note: 'offline grace (flap suppression): an SQS delayed message and one re-check per session end',
  },
  sweepEveryMinutes: { value: 1, kind: 'knob', note: 'sweeper schedule (EventBridge: 1 minute at the finest)' },
  sweepShards: {
    value: 64,
    kind: 'knob',
    note: `write shards of each sweep-index time bucket (stack default ${CONTRACT.sweepShards}); one Query per shard and bucket per sweep; 64 keeps each index key near 100 WCU/s at 5M`,
  },
  sweepLookbackBuckets: {
    value: 10,
    kind: 'knob',
    note: 'past one-minute buckets each sweep re-reads (lambdas/shared/dependencies/presence-table.ts)',
  },
  coalescing: {
    value: 1.0,
    kind: 'knob',
    note: 'frames per (change, watching connection): the notifier merges changes per stream batch only (bench: 0.2 for 5 simultaneous changes, ~1 for spread ones)',
  },
  notifyBatchingWindowSeconds: {
    value: 0,
    kind: 'knob',
    note: 'MaximumBatchingWindowInSeconds of the stream mapping (manifest: 0); adds up to this much latency',
  },
  lastSeenBatchingWindowSeconds: {
    value: streamConsumers.find((consumer) => consumer.handler === 'recordLastSeen')?.maxBatchingWindowSeconds ?? 0,
    kind: 'knob',
    note: 'MaximumBatchingWindowInSeconds of the last-seen recorder mapping (manifest): fewer UPDATEs; nobody waits for it',
  },
  postsBudgetPerSecond: {
    value: 18_000,
    kind: 'knob',
    note: 'posting budget (PresenceStack `posting`): the 30,000/s account quota to request (docs/scaling.md), less ~12,000/s inbound frames; each posting lane gets its share (notifier 60 %, fan-out 35 %, retries 5 %), split evenly by its invocations',
  },
  // Runtime estimates.
  streamShards: {
    value: 64,
    kind: 'runtime',
    note: 'DynamoDB stream shards (follow table partitions) [U]; sets how many records a notifier invocation gets',
  },
  logKbPerInvocation: { value: 0.5, kind: 'runtime', note: 'START/END/REPORT + ~1 line per invocation [U] (§8.1)' },
  wsOverheadBytes: { value: 40, kind: 'runtime', note: 'WebSocket frame + TLS record overhead per outbound message [U]' },
  auroraInstances: { value: 2, kind: 'runtime', note: 'writer + reader for failover (the Data API uses the writer only)' },
  auroraAverageAcu: {
    value: 4,
    kind: 'runtime',
    note: 'average ACU per instance: subscribe looks users up on every new connection (~1k statements/s) [U]',
  },
  storageGb: { value: 0, kind: 'runtime', note: 'DynamoDB GB; 0 = estimate from users and subscriptions' },
  // Lambda durations on AWS [U]: estimated from the calls each handler makes in sequence
  // (DynamoDB ~5 ms, Data API ~20 ms, a post ~10 ms with 32 in flight); memory comes from the manifest.
  msAuthorizer: { value: 5, kind: 'runtime', note: 'JWT verification, no I/O (key cached) [U]' },
  msConnect: { value: 18, kind: 'runtime', note: '3 DynamoDB calls [U]' },
  msDisconnect: { value: 18, kind: 'runtime', note: '3-4 DynamoDB calls (+ SQS send) [U]' },
  msHeartbeat: { value: 8, kind: 'runtime', note: 'one eventually consistent read; a renewal adds a read and a write [U]' },
  msSubscribe: { value: 45, kind: 'runtime', note: 'Data API lookup + 4 DynamoDB calls [U]' },
  msSetStatus: { value: 15, kind: 'runtime', note: '3 DynamoDB calls [U]' },
  msGraceExpired: { value: 15, kind: 'runtime', note: '2 DynamoDB calls [U]' },
  msNotifyPerInvocation: {
    value: 25,
    kind: 'runtime',
    note: 'notifier fixed part; measured while it also wrote last-seen (now the recorder does), so an upper bound [U]',
  },
  msRecordLastSeen: { value: 30, kind: 'runtime', note: 'last-seen recorder: one Data API UPDATE of the batch [U]' },
  msNotifyPerRecord: { value: 15, kind: 'runtime', note: 'per change: watcher Query + posts in parallel [U]' },
  msSweep: { value: 1500, kind: 'runtime', note: 'one sweep: ~176 index Queries + due users [U]' },
  msRevival: {
    value: 10,
    kind: 'runtime',
    note: 'sweeper time per lease it revives (GetConnection + read + write), mock keepalive only [U]',
  },
  // Design alternatives, NOT built: estimated by editing the measured counts (see model()).
  heartbeatReply: {
    value: 1,
    kind: 'design',
    note: '1 = as built: the heartbeat route answers (2 messages per heartbeat); 0 = keepalive frame without a route response',
  },
  mockKeepalive: {
    value: 0,
    kind: 'design',
    note: '0 = as built: heartbeats run a Lambda route that peeks at the lease; 1 = a mock-integration keepalive (no Lambda, no reply) and the sweeper revives expired leases from GetConnection.lastActiveAt',
  },
  watchListsPerConnection: {
    value: 1,
    kind: 'design',
    note: '1 = as built: watch items per connection, written by every new connection; 0 = kept per watching user',
  },
} as const satisfies Record<string, Parameter>;

export type Params = { -readonly [K in keyof typeof PARAMETERS]: number };

export const defaultParams = (): Params =>
  Object.fromEntries(Object.entries(PARAMETERS).map(([name, parameter]) => [name, parameter.value])) as Params;

// =============================================================================================
// Per-operation counts: bench/results/calls.json, else the documented defaults below.
// =============================================================================================

type OperationName =
  | 'connect'
  | 'connectWatched'
  | 'connectAnotherDevice'
  | 'subscribe20'
  | 'heartbeatRead'
  | 'heartbeatRenewal'
  | 'setStatusOffline'
  | 'setStatusOnline'
  | 'disconnectAnotherDevice'
  | 'disconnectWatching20'
  | 'disconnectLast'
  | 'reconnectWithinGrace'
  | 'sweepNothingDue'
  | 'sweepSilentConnection';

interface Measured {
  readonly source: string;
  /** Watching connections in the bench's fan-out operations (posts scale from it). */
  readonly watchers: number;
  readonly subscribeCount: number;
  readonly localSweepShards: number;
  readonly operations: Record<OperationName, OperationCost>;
}

const ROOT = path.resolve(__dirname, '..');

/**
 * Documented defaults: the medians of `npm run bench -- calls` (5 repetitions, 10 watchers) of
 * 2026-11-28 on this repository, compressed to what the model reads. Used only when no results
 * file exists.
 */
const op = (
  lambda: Record<string, number>,
  ddb: { rru: number; wru: number; gsiWru: number; labels?: Record<string, LabelCost> },
  other: Partial<Omit<OperationCost, 'lambda' | 'dynamodb' | 'description'>> = {},
): OperationCost => ({
  description: 'documented default',
  lambda,
  dynamodb: { calls: 0, rru: ddb.rru, rruBilled: ddb.rru, wru: ddb.wru, gsiWru: ddb.gsiWru, byLabel: ddb.labels ?? {} },
  dataApiStatements: 0,
  dataApiByLabel: {},
  postToConnection: 0,
  postBytes: 0,
  getConnection: 0,
  deleteConnection: 0,
  sqsSendMessage: 0,
  wsMessagesIn: 0,
  wsMessagesOut: 0,
  wsBytesOut: 0,
  repetitions: 5,
  ...other,
});

const label = (calls: number, items: number, rruBilled: number, wru: number, gsiWru = 0): LabelCost => ({
  calls,
  items,
  rruBilled,
  wru,
  gsiWru,
});

const DOCUMENTED: Measured = {
  source: 'documented defaults in scripts/cost.ts (medians of a full `npm run bench -- calls` run)',
  watchers: 10,
  subscribeCount: 20,
  localSweepShards: 2,
  operations: {
    connect: op({ wsAuthorizer: 1, wsConnect: 1, notify: 1 }, { rru: 1.5, wru: 2, gsiWru: 1 }),
    connectWatched: op(
      { wsAuthorizer: 1, wsConnect: 1, notify: 1 },
      { rru: 1.5, wru: 2, gsiWru: 1 },
      { postToConnection: 10, postBytes: 1210, wsMessagesOut: 10, wsBytesOut: 1210 },
    ),
    connectAnotherDevice: op({ wsAuthorizer: 1, wsConnect: 1 }, { rru: 1, wru: 2, gsiWru: 0 }),
    subscribe20: op(
      { wsSubscribe: 1 },
      {
        rru: 11.5,
        wru: 21,
        gsiWru: 0,
        labels: { 'BatchWriteItem put W#': label(1, 20, 0, 20), 'BatchGetItem U#': label(1, 20, 10, 0) },
      },
      { dataApiStatements: 1, dataApiByLabel: { 'ExecuteStatement SELECT users': 1 }, wsMessagesIn: 1, wsMessagesOut: 1, wsBytesOut: 1105 },
    ),
    heartbeatRead: op({ wsHeartbeat: 1 }, { rru: 0.5, wru: 0, gsiWru: 0 }, { wsMessagesIn: 1, wsMessagesOut: 1, wsBytesOut: 81 }),
    heartbeatRenewal: op({ wsHeartbeat: 1 }, { rru: 1.5, wru: 1, gsiWru: 2 }, { wsMessagesIn: 1, wsMessagesOut: 1, wsBytesOut: 81 }),
    setStatusOffline: op(
      { wsSetStatus: 1, notify: 1 },
      { rru: 2, wru: 1, gsiWru: 0 },
      {
        dataApiStatements: 1,
        dataApiByLabel: { 'ExecuteStatement UPDATE users': 1 },
        postToConnection: 10,
        postBytes: 1450,
        wsMessagesIn: 1,
        wsMessagesOut: 11,
        wsBytesOut: 1503,
      },
    ),
    setStatusOnline: op(
      { wsSetStatus: 1, notify: 1 },
      { rru: 2, wru: 1, gsiWru: 0 },
      { postToConnection: 10, postBytes: 1220, wsMessagesIn: 1, wsMessagesOut: 11, wsBytesOut: 1272 },
    ),
    disconnectAnotherDevice: op({ wsDisconnect: 1 }, { rru: 1, wru: 2, gsiWru: 2 }),
    // A close deletes no watch items: they drop out of the notifier's key range at the connection's 2-hour limit.
    disconnectWatching20: op({ wsDisconnect: 1 }, { rru: 1, wru: 2, gsiWru: 2 }),
    disconnectLast: op(
      { wsDisconnect: 1, graceExpired: 1, notify: 1 },
      { rru: 2.5, wru: 3, gsiWru: 3 },
      {
        dataApiStatements: 1,
        dataApiByLabel: { 'ExecuteStatement UPDATE users': 1 },
        sqsSendMessage: 1,
        postToConnection: 10,
        postBytes: 1450,
        wsMessagesOut: 10,
        wsBytesOut: 1450,
      },
    ),
    reconnectWithinGrace: op(
      { wsAuthorizer: 1, wsConnect: 1, wsDisconnect: 1, graceExpired: 1 },
      { rru: 4, wru: 5, gsiWru: 4 },
      { sqsSendMessage: 1 },
    ),
    sweepNothingDue: op({ sweep: 1 }, { rru: 11, wru: 0, gsiWru: 0 }),
    sweepSilentConnection: op(
      { sweep: 1, wsDisconnect: 1, notify: 1 },
      { rru: 15.5, wru: 3, gsiWru: 1 },
      {
        dataApiStatements: 1,
        dataApiByLabel: { 'ExecuteStatement UPDATE users': 1 },
        postToConnection: 10,
        postBytes: 1450,
        getConnection: 1,
        deleteConnection: 1,
        wsMessagesOut: 10,
        wsBytesOut: 1450,
      },
    ),
  },
};

export const loadMeasured = (): Measured => {
  for (const file of [path.join(ROOT, 'bench/results/calls.json'), path.join(ROOT, 'bench/results/quick/calls.json')]) {
    if (!existsSync(file)) continue;
    const data = JSON.parse(readFileSync(file, 'utf8')) as {
      date: string;
      quick: boolean;
      parameters: { watchers: number; subscribeCount: number; localSweepShards: number };
      operations: Record<OperationName, OperationCost>;
    };
    const missing = (Object.keys(DOCUMENTED.operations) as OperationName[]).filter(
      (name) => data.operations?.[name]?.dataApiByLabel === undefined,
    );
    if (missing.length > 0) {
      process.stderr.write(
        `${path.relative(ROOT, file)} is missing operations or fields (${missing.join(', ')}); ignoring it: re-run npm run bench -- calls\n`,
      );
      continue;
    }
    return {
      source: `${path.relative(ROOT, file)} (${data.date}${data.quick ? ', --quick run' : ''})`,
      watchers: data.parameters.watchers,
      subscribeCount: data.parameters.subscribeCount,
      localSweepShards: data.parameters.localSweepShards,
      operations: data.operations,
    };
  }
  return DOCUMENTED;
};

// =============================================================================================
// The model: monthly usage per activity, then prices.
// =============================================================================================

const DAYS = 30;
const SECONDS = DAYS * 86_400;
const MINUTES = DAYS * 1_440;
const HOURS = DAYS * 24;

/** What one occurrence of an activity uses. */
interface Usage {
  lambda: Record<string, number>;
  rru: number;
  /** Table writes other than watch items. */
  wru: number;
  /** Sweep-index writes. */
  gsiWru: number;
  /** Watch-item writes (subscribe, cleanup). */
  watchWru: number;
  dataApi: number;
  posts: number;
  connectionsApi: number;
  sqs: number;
  wsIn: number;
  /** Outbound messages other than pushes (route responses). */
  wsReplies: number;
  /** Outbound payload bytes, pushes and replies. */
  bytesOut: number;
}

const empty = (): Usage => ({
  lambda: {},
  rru: 0,
  wru: 0,
  gsiWru: 0,
  watchWru: 0,
  dataApi: 0,
  posts: 0,
  connectionsApi: 0,
  sqs: 0,
  wsIn: 0,
  wsReplies: 0,
  bytesOut: 0,
});

const combine = (...parts: readonly [Usage, number][]): Usage => {
  const total = empty();
  for (const [usage, factor] of parts) {
    for (const [fn, count] of Object.entries(usage.lambda)) total.lambda[fn] = (total.lambda[fn] ?? 0) + count * factor;
    for (const key of [
      'rru',
      'wru',
      'gsiWru',
      'watchWru',
      'dataApi',
      'posts',
      'connectionsApi',
      'sqs',
      'wsIn',
      'wsReplies',
      'bytesOut',
    ] as const)
      total[key] += usage[key] * factor;
  }
  return total;
};

const isWatchLabel = (name: string): boolean => /^Batch(Write|Get)Item .*[WU]#/.test(name);

/**
 * One measured operation at the model's scale: pushes scale from the bench's watcher count to
 * `onlineWatchersPerChange` x `coalescing`; watch items from the bench's 20 to
 * `subscriptionsPerConnection`. The notifier and the last-seen recorder are left out here:
 * invocations are modelled per stream batch (notifierUsage, recorderUsage), not per change as on a
 * quiet local stack.
 */
const usageOf = (measured: Measured, params: Params, name: OperationName): Usage => {
  const operation = measured.operations[name];
  const watchLabels = Object.entries(operation.dynamodb.byLabel).filter(([labelName]) => isWatchLabel(labelName));
  const watchRru = watchLabels.reduce((sum, [, cost]) => sum + cost.rruBilled, 0);
  const watchWru = watchLabels.reduce((sum, [, cost]) => sum + cost.wru, 0);
  const subscriptionScale = params.subscriptionsPerConnection / measured.subscribeCount;
  const pushScale = (params.onlineWatchersPerChange * params.coalescing) / measured.watchers;
  const replyBytes = Math.max(0, operation.wsBytesOut - operation.postBytes);
  const { notify: _notify, recordLastSeen: _recordLastSeen, ...lambda } = operation.lambda;
  return {
    lambda,
    rru: operation.dynamodb.rruBilled - watchRru + watchRru * subscriptionScale,
    wru: operation.dynamodb.wru - watchWru,
    gsiWru: operation.dynamodb.gsiWru,
    watchWru: watchWru * subscriptionScale,
    // The last-seen UPDATE is modelled per recorder invocation (recorderUsage).
    dataApi: Object.entries(operation.dataApiByLabel)
      .filter(([statement]) => !/UPDATE users/.test(statement))
      .reduce((sum, [, count]) => sum + count, 0),
    posts: operation.postToConnection * pushScale,
    connectionsApi: operation.getConnection + operation.deleteConnection,
    sqs: operation.sqsSendMessage,
    wsIn: operation.wsMessagesIn,
    wsReplies: operation.wsMessagesOut - operation.postToConnection,
    bytesOut: replyBytes * (name === 'subscribe20' ? subscriptionScale : 1) + operation.postBytes * pushScale,
  };
};

/** Lease writes per heartbeat: a renewal is written once half a lease has passed since the last one. */
export const leaseWritesPerHeartbeat = (params: Pick<Params, 'heartbeatSeconds' | 'leaseSeconds'>): number =>
  1 / Math.max(1, Math.ceil(params.leaseSeconds / 2 / params.heartbeatSeconds));

type Activity =
  | 'heartbeat'
  | 'revival'
  | 'forcedReconnect'
  | 'sessionStart'
  | 'sessionEnd'
  | 'statusChange'
  | 'blip'
  | 'notifier'
  | 'recorder'
  | 'sweeper';

interface Monthly {
  readonly counts: Record<Activity, number>;
  readonly perEvent: Record<Activity, Usage>;
  readonly transitions: number;
  readonly notifyInvocations: number;
  readonly recordsPerInvocation: number;
  readonly leaseWritesPerHeartbeat: number;
}

/** A watch is listed until its connection's 2-hour limit (and the minute of clock skew), in minutes. */
const WATCH_LISTED_MINUTES = 121;

/**
 * Posts to closed connections per post to a live one: a closed connection's watches stay listed
 * until its limit (a close deletes none). Per slot and day, each rotation leaves what its
 * connection's life (1,440 / rotations minutes) fell short of the limit, and each session end or
 * blip, closing at a random point of that life, leaves half a life more; each such post is a 410.
 */
export const closedWatchShare = (params: Pick<Params, 'forcedReconnectsPerDay' | 'sessionsPerDay' | 'blipsPerDay'>): number => {
  const life = 1_440 / params.forcedReconnectsPerDay;
  const listedAfterClose =
    params.forcedReconnectsPerDay * (WATCH_LISTED_MINUTES - life) +
    (params.sessionsPerDay + params.blipsPerDay) * (WATCH_LISTED_MINUTES - life / 2);
  return listedAfterClose / 1_440;
};

/**
 * Each posting lane's invocation pace at the modelled deployment (lib/app-manifest.ts `lanePaces`),
 * with the budget's burst at the stack default's ratio.
 */
const lanePacesAt = (params: Pick<Params, 'postsBudgetPerSecond' | 'streamShards'>) => {
  const burstRatio = CONTRACT.posting.burst / CONTRACT.posting.postsPerSecond;
  return lanePaces(
    { postsPerSecond: params.postsBudgetPerSecond, burst: params.postsBudgetPerSecond * burstRatio },
    { streamShards: params.streamShards },
  );
};

/** Watchers per page for an invocation of this lane: what it posts in a second (lambdas/domain/token-bucket.ts `pageSizeForPace`). */
const lanePageSize = (params: Pick<Params, 'postsBudgetPerSecond' | 'streamShards'>, lane: PostingLane): number => {
  const pace = lanePacesAt(params)[lane];
  return pageSizeForPace({ ratePerSecond: pace.postsPerSecond, burst: pace.burst }, CONTRACT.fanOutPageSize);
};

/** Watchers per fan-out page (a fan-out consumer's): 945 at 18,000 posts/s over 64 shards. */
export const fanOutPageSize = (params: Pick<Params, 'postsBudgetPerSecond' | 'streamShards'>): number => lanePageSize(params, 'fanOut');

/**
 * Fan-out pages a change sends to the fan-out queue: none when its listed watchers fit in the
 * notifier's page (posted inline; 100 at the scale above), else every page of its whole fan-out.
 */
export const fanOutPagesQueued = (params: Params): number => {
  const listed = params.onlineWatchersPerChange * params.coalescing * (1 + closedWatchShare(params));
  return listed > lanePageSize(params, 'notify') ? Math.ceil(listed / fanOutPageSize(params)) : 0;
};

/**
 * Live watchers of one user that get a change within the contract's 10 s: the fan-out consumers'
 * share of the posting budget (DEFAULTS.postingShares), less the posts to closed connections.
 */
export const hotUserCapacity = (params: Params): number => {
  const pace = lanePacesAt(params).fanOut;
  return Math.floor((pace.postsPerSecond * queues.fanOut.maxConcurrency * 10) / (1 + closedWatchShare(params)));
};

/**
 * Invocations of a stream consumer per month: each shard is polled 4 times a second (or once per
 * batching window), and a poll that finds records (Poisson arrivals) invokes the function once.
 */
const streamInvocations = (params: Params, recordsPerMonth: number, windowSeconds: number): number => {
  const perShard = recordsPerMonth / SECONDS / params.streamShards;
  const polls = windowSeconds > 0 ? 1 / windowSeconds : 4;
  return polls * (1 - Math.exp(-perShard / polls)) * params.streamShards * SECONDS;
};

/**
 * The last-seen recorder: the stream's second reader, filtered to offline changes, one Data API
 * UPDATE per invocation (its batch, up to one batching window of offline changes per shard).
 */
const recorderUsage = (params: Params, offlinePerMonth: number): { invocations: number; usage: Usage } => {
  const usage = empty();
  usage.lambda.recordLastSeen = 1;
  usage.dataApi = 1;
  return { invocations: streamInvocations(params, offlinePerMonth, params.lastSeenBatchingWindowSeconds), usage };
};

/** Notifier invocations: each stream shard is polled 4 times a second (or once per batching window). */
const notifierUsage = (
  params: Params,
  transitionsPerMonth: number,
): { invocations: number; recordsPerInvocation: number; usage: Usage } => {
  const invocations = streamInvocations(params, transitionsPerMonth, params.notifyBatchingWindowSeconds);
  const usage = empty();
  usage.lambda.notify = 1;
  // Watch lists per watching user: the notifier must read every watcher's presence item (their live
  // connections; most watchers are offline) and each live connection's subscription set before
  // posting, strongly consistent (a watcher connected a moment ago must not be missed): 1 RRU each.
  const records = transitionsPerMonth / Math.max(1, invocations);
  if (params.watchListsPerConnection === 0) usage.rru = records * (params.watchersPerUser + params.onlineWatchersPerChange);
  // The watchers Query is strongly consistent (a watch written a moment ago must be seen): in the
  // measured operations (bench `calls`, `Query W#`), at 1 RRU per 4 KB instead of 0.5.
  // Watches of connections that closed within their 2-hour limit are still listed: each post to
  // one gets a 410 and one eventually consistent read (is the connection still registered?).
  // (Watch lists per watching user post only to the user's live connections: none of these.)
  const closedPosts =
    params.watchListsPerConnection === 0 ? 0 : records * params.onlineWatchersPerChange * params.coalescing * closedWatchShare(params);
  usage.connectionsApi += closedPosts;
  usage.rru += closedPosts * 0.5;
  // A failed post is retried for its connection alone: one delivery-retry message and one more post.
  const retried = records * params.onlineWatchersPerChange * params.coalescing * params.retriedPostShare;
  usage.sqs += retried;
  usage.connectionsApi += retried;
  // Pages beyond the first of a fan-out go through the fan-out queue, one message (and one Query) each.
  const pages = records * fanOutPagesQueued(params);
  usage.sqs += pages;
  usage.rru += pages * 0.5;
  return { invocations, recordsPerInvocation: transitionsPerMonth / Math.max(1, invocations), usage };
};

/**
 * A lower bound for any design that implements PROTOCOL.md on API Gateway WebSockets, whatever
 * runs behind it: it counts only what the contract and API Gateway force, at their cheapest.
 */
export const contractFloor = (params: Params, transitionsPerMonth: number): { total: number; lines: Line[] } => {
  // A connection lasts 2 hours at most: at least 12 new connections a day, however late a client rotates.
  const connections = params.users * (Math.min(params.forcedReconnectsPerDay, 12) + params.sessionsPerDay + params.blipsPerDay) * DAYS;
  // Idle connections must send a frame at least every 600 s (API Gateway's idle timeout), and the
  // contract answers each heartbeat: 2 messages per 600 s at the very least.
  const heartbeatMessages = 2 * params.users * (SECONDS / 600);
  // The contract lets one event carry several changes if they fall within its 10 s delivery bound:
  // with each connection's pushes spread as a Poisson process, a frame carries 1 + (rate x 10 s).
  const pushRate = (transitionsPerMonth * params.onlineWatchersPerChange) / params.users / SECONDS;
  const pushes = (transitionsPerMonth * params.onlineWatchersPerChange) / (1 + pushRate * 10);
  // Subscriptions end with their connection: every new connection subscribes again (frame + reply).
  const subscribeMessages = 2 * connections;
  const messages = heartbeatMessages + pushes + subscribeMessages;
  const lines: Line[] = [
    {
      component: 'API Gateway WS connection-minutes',
      usd: charge('wsConnectionMinutes', params.users * MINUTES),
      driver: `${fmt(params.users)} connections held all month`,
    },
    {
      component: 'API Gateway WS messages',
      usd: charge('wsMessages', messages),
      driver:
        `${fmt(heartbeatMessages)} heartbeats and replies (one per 600 s idle timeout, the longest possible), ${fmt(pushes)} push frames (merged within 10 s), ` +
        `${fmt(subscribeMessages)} subscribe frames and replies (one per connection)`,
    },
    {
      component: 'Lambda requests: token check on $connect',
      usd: charge('lambdaRequests', connections),
      driver: `${fmt(connections)} connections; an HS256 token cannot be checked without code`,
    },
    {
      component: 'DynamoDB writes: connection opened, closed',
      usd: charge('dynamoWrites', 2 * connections),
      driver: 'one write when a connection opens and one when it closes, the least that can say who is online',
    },
  ];
  return { total: lines.reduce((sum, line) => sum + line.usd, 0), lines };
};

export const model = (params: Params, measured: Measured): Monthly => {
  const u = (name: OperationName) => usageOf(measured, params, name);
  const w = leaseWritesPerHeartbeat(params);
  let heartbeat = combine([u('heartbeatRead'), 1 - w], [u('heartbeatRenewal'), w]);
  // Watch cleanup of a closing connection: what closing a connection that watches k users adds.
  const cleanup = combine([u('disconnectWatching20'), 1], [u('disconnectAnotherDevice'), -1]);
  const subscribe = u('subscribe20');
  let resubscribe = subscribe;
  let watchCleanup = cleanup;
  if (params.watchListsPerConnection === 0) {
    // Watch lists kept per watching user (W#<watched>/<watcher user>, refreshed daily): a new
    // connection checks its users' items (eventually consistent reads) and rewrites only the day's
    // refreshes, spread over the day's connections.
    const connectsPerDay = params.forcedReconnectsPerDay + params.sessionsPerDay + params.blipsPerDay;
    resubscribe = {
      ...subscribe,
      watchWru: params.subscriptionsPerConnection / connectsPerDay,
      rru: subscribe.rru + params.subscriptionsPerConnection * 0.5,
      dataApi: 0,
    };
    watchCleanup = { ...empty(), lambda: {} };
  }
  if (params.heartbeatReply === 0) heartbeat = { ...heartbeat, wsReplies: 0, bytesOut: 0 };
  // Mock keepalive: the frame only keeps API Gateway's idle timer alive; once per lease the sweeper
  // finds the lease expired, asks GetConnection, and revives it (a read and a write, like a renewal).
  let revival = empty();
  if (params.mockKeepalive === 1) {
    const renewal = u('heartbeatRenewal');
    heartbeat = { ...empty(), wsIn: 1 };
    revival = { ...empty(), lambda: { 'sweep:work': 1 }, connectionsApi: 1, rru: 1, wru: renewal.wru, gsiWru: renewal.gsiWru };
  }

  const sweepRun = u('sweepNothingDue');
  const sweepQueriesScale = ((params.sweepShards / measured.localSweepShards) * (params.sweepLookbackBuckets + 1)) / 11;
  const sweeper = { ...sweepRun, rru: sweepRun.rru * sweepQueriesScale };
  const swept = combine([u('sweepSilentConnection'), 1], [sweepRun, -1]);
  const perEvent: Record<Activity, Usage> = {
    heartbeat,
    revival,
    forcedReconnect: combine([u('connectAnotherDevice'), 1], [resubscribe, 1], [u('disconnectAnotherDevice'), 1], [watchCleanup, 1]),
    sessionStart: combine([u('connectWatched'), 1], [resubscribe, 1]),
    sessionEnd: combine([u('disconnectLast'), 1 - params.sweptShare], [swept, params.sweptShare], [watchCleanup, 1]),
    statusChange: combine([u('setStatusOffline'), 0.5], [u('setStatusOnline'), 0.5]),
    blip: combine([u('reconnectWithinGrace'), 1], [resubscribe, 1], [watchCleanup, 1]),
    notifier: empty(),
    recorder: empty(),
    sweeper,
  };
  const slots = params.users;
  const sessions = slots * params.sessionsPerDay * DAYS;
  const statusChanges = slots * params.statusChangesPerDay * DAYS;
  const transitions = 2 * sessions + statusChanges;
  const notifier = notifierUsage(params, transitions);
  perEvent.notifier = notifier.usage;
  const recorder = recorderUsage(params, sessions + statusChanges / 2);
  perEvent.recorder = recorder.usage;
  return {
    counts: {
      heartbeat: (slots * SECONDS) / params.heartbeatSeconds,
      revival: params.mockKeepalive === 1 ? (slots * SECONDS) / (params.leaseSeconds + params.sweepEveryMinutes * 30) : 0,
      forcedReconnect: slots * params.forcedReconnectsPerDay * DAYS,
      sessionStart: sessions,
      sessionEnd: sessions,
      statusChange: statusChanges,
      blip: slots * params.blipsPerDay * DAYS,
      notifier: notifier.invocations,
      recorder: recorder.invocations,
      sweeper: MINUTES / params.sweepEveryMinutes,
    },
    perEvent,
    transitions,
    notifyInvocations: notifier.invocations,
    recordsPerInvocation: notifier.recordsPerInvocation,
    leaseWritesPerHeartbeat: w,
  };
};

const durationMs = (params: Params, fn: string, monthly: Monthly): number => {
  switch (fn) {
    case 'wsAuthorizer':
      return params.msAuthorizer;
    case 'wsConnect':
      return params.msConnect;
    case 'wsDisconnect':
      return params.msDisconnect;
    case 'wsHeartbeat':
      return params.msHeartbeat * (1 + monthly.leaseWritesPerHeartbeat);
    case 'wsSubscribe':
      return params.msSubscribe;
    case 'wsSetStatus':
      return params.msSetStatus;
    case 'graceExpired':
      return params.msGraceExpired;
    case 'notify':
      return params.msNotifyPerInvocation + params.msNotifyPerRecord * monthly.recordsPerInvocation;
    case 'recordLastSeen':
      return params.msRecordLastSeen;
    case 'sweep':
      return params.msSweep;
    case 'sweep:work':
      return params.msRevival;
    default:
      return 20;
  }
};

/** `fn:work` is extra duration inside `fn`'s invocations (billed as GB-seconds, not as requests). */
const memoryGb = (fn: string): number => ((handlers as Record<string, { memoryMb: number }>)[fn.split(':')[0]]?.memoryMb ?? 256) / 1024;

export interface Line {
  readonly component: string;
  readonly usd: number;
  readonly driver: string;
}

const fmt = (value: number): string => {
  const abs = Math.abs(value);
  if (abs >= 1e12) return `${(value / 1e12).toFixed(2)} T`;
  if (abs >= 1e9) return `${(value / 1e9).toFixed(2)} B`;
  if (abs >= 1e6) return `${(value / 1e6).toFixed(1)} M`;
  if (abs >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(value < 10 ? 2 : 0);
};

/** Splits a tiered charge over its parts in proportion to their quantities. */
const apportion = (name: PriceName, parts: readonly [string, number, string][]): Line[] => {
  const total = parts.reduce((sum, [, quantity]) => sum + quantity, 0);
  const cost = charge(name, total);
  return parts
    .filter(([, quantity]) => quantity > 0)
    .map(([component, quantity, driver]) => ({ component, usd: total === 0 ? 0 : (cost * quantity) / total, driver }));
};

export interface DesignCost {
  readonly lines: readonly Line[];
  readonly total: number;
  readonly monthly: Monthly;
  readonly rates: Record<string, number>;
  readonly storm: Record<string, number>;
}

export const designCost = (params: Params, measured: Measured): DesignCost => {
  const monthly = model(params, measured);
  const activities = Object.keys(monthly.counts) as Activity[];
  const sum = (pick: (usage: Usage) => number, only: readonly Activity[] = activities) =>
    only.reduce((total, activity) => total + monthly.counts[activity] * pick(monthly.perEvent[activity]), 0);
  const lines: Line[] = [];

  const connectionMinutes = params.users * MINUTES;
  lines.push({
    component: 'API Gateway WS connection-minutes',
    usd: charge('wsConnectionMinutes', connectionMinutes),
    driver: `${fmt(connectionMinutes)} connection-minutes`,
  });

  const heartbeatMessages = sum((x) => x.wsIn + x.wsReplies, ['heartbeat']);
  const pushMessages = sum((x) => x.posts);
  const otherMessages = sum(
    (x) => x.wsIn + x.wsReplies,
    activities.filter((a) => a !== 'heartbeat'),
  );
  // GetConnection / DeleteConnection (sweeper) are counted like messages: their billing is [U].
  const callbackCalls = sum((x) => x.connectionsApi);
  lines.push(
    ...apportion('wsMessages', [
      [
        'API Gateway WS messages: heartbeats',
        heartbeatMessages,
        `${fmt(monthly.counts.heartbeat)} heartbeats x ${params.heartbeatReply === 1 && params.mockKeepalive === 0 ? '2 (frame + reply)' : '1'}`,
      ],
      [
        'API Gateway WS messages: presence pushes',
        pushMessages,
        `${fmt(monthly.transitions)} transitions x ${params.onlineWatchersPerChange} watchers x ${params.coalescing}`,
      ],
      [
        'API Gateway WS messages: other frames, @connections calls',
        otherMessages + callbackCalls,
        'subscribe/setStatus frames and replies; posts to closed connections (410), sweeper GetConnection/DeleteConnection [U]',
      ],
    ]),
  );

  // Lambda: requests + duration (tiers over the account's total GB-seconds).
  const groups: [string, string[]][] = [
    ['Lambda: heartbeat route', ['wsHeartbeat']],
    ['Lambda: authorizer, $connect, $disconnect', ['wsAuthorizer', 'wsConnect', 'wsDisconnect']],
    ['Lambda: subscribe, setStatus routes', ['wsSubscribe', 'wsSetStatus', 'wsUnsubscribe']],
    ['Lambda: notifier (stream)', ['notify']],
    ['Lambda: last-seen recorder (stream)', ['recordLastSeen']],
    ['Lambda: grace re-check, sweeper', ['graceExpired', 'sweep', 'sweep:work']],
  ];
  const invocations = (fn: string) => sum((x) => x.lambda[fn] ?? 0);
  const gbSeconds = (fn: string) => invocations(fn) * memoryGb(fn) * (durationMs(params, fn, monthly) / 1000);
  const allFns = groups.flatMap(([, fns]) => fns);
  const totalGbSeconds = allFns.reduce((total, fn) => total + gbSeconds(fn), 0);
  const durationCost = charge('lambdaArmDuration', totalGbSeconds);
  const requests = (fn: string) => (fn.includes(':') ? 0 : invocations(fn));
  for (const [component, fns] of groups) {
    const count = fns.reduce((total, fn) => total + requests(fn), 0);
    const seconds = fns.reduce((total, fn) => total + gbSeconds(fn), 0);
    if (count === 0 && seconds === 0) continue;
    lines.push({
      component,
      usd: charge('lambdaRequests', count) + (totalGbSeconds === 0 ? 0 : (durationCost * seconds) / totalGbSeconds),
      driver: `${fmt(count)} invocations, ${fmt(seconds)} GB-s`,
    });
  }
  const totalInvocations = allFns.reduce((total, fn) => total + requests(fn), 0);

  const leaseActivities: Activity[] = ['heartbeat', 'revival'];
  const renewalWru = sum((x) => x.wru + x.gsiWru, leaseActivities);
  const lifecycleWru = sum(
    (x) => x.wru + x.gsiWru,
    activities.filter((a) => !leaseActivities.includes(a)),
  );
  const watchWru = sum((x) => x.watchWru);
  const renewalsDriver =
    params.mockKeepalive === 1
      ? `${fmt(monthly.counts.revival)} sweeper revivals`
      : `${monthly.leaseWritesPerHeartbeat.toFixed(2)} writes/heartbeat`;
  lines.push({
    component: 'DynamoDB writes: lease renewals',
    usd: charge('dynamoWrites', renewalWru),
    driver: `${fmt(renewalWru)} WRU (${renewalsDriver}, 1 table + 2 sweep index WRU each)`,
  });
  lines.push({
    component: 'DynamoDB writes: connect/disconnect/status',
    usd: charge('dynamoWrites', lifecycleWru),
    driver: `${fmt(lifecycleWru)} WRU (connection items, presence items, sweep index)`,
  });
  lines.push({
    component: 'DynamoDB writes: watch items',
    usd: charge('dynamoWrites', watchWru),
    driver: `${fmt(watchWru)} WRU (${params.subscriptionsPerConnection} per new connection; a close deletes none)`,
  });
  const heartbeatRru = sum((x) => x.rru, leaseActivities);
  const otherRru = sum(
    (x) => x.rru,
    activities.filter((a) => !leaseActivities.includes(a)),
  );
  lines.push({
    component: 'DynamoDB reads: lease peeks and renewals',
    usd: charge('dynamoReads', heartbeatRru),
    driver: `${fmt(heartbeatRru)} RRU`,
  });
  lines.push({
    component: 'DynamoDB reads: other',
    usd: charge('dynamoReads', otherRru),
    driver: `${fmt(otherRru)} RRU (state reads, subscribe snapshots, fan-out Query, sweeps)`,
  });
  const storageGb =
    params.storageGb > 0 ? params.storageGb : (params.users * (0.5 + 0.3 + 0.1 + params.subscriptionsPerConnection * 0.1)) / 1024 / 1024;
  lines.push({
    component: 'DynamoDB storage',
    usd: charge('dynamoStorage', storageGb),
    driver: `${fmt(storageGb)} GB (estimate); Streams reads by Lambda free`,
  });

  const statements = sum((x) => x.dataApi);
  lines.push({
    component: 'RDS Data API',
    usd: charge('dataApiRequests', statements),
    driver: `${fmt(statements)} statements (subscribe lookups; last-seen: ${fmt(monthly.counts.recorder)} batched UPDATEs)`,
  });
  const acuHours = params.auroraInstances * params.auroraAverageAcu * HOURS;
  lines.push({
    component: 'Aurora Serverless v2',
    usd: charge('auroraAcuHours', acuHours) + charge('auroraStorageIo', 1),
    driver: `${params.auroraInstances} x ${params.auroraAverageAcu} ACU avg + storage/I/O`,
  });
  const sqsRequests = sum((x) => x.sqs) * 3;
  lines.push({
    component: 'SQS (grace timer, fan-out pages, post retries)',
    usd: charge('sqsRequests', sqsRequests),
    driver: `${fmt(sqsRequests / 3)} messages x 3 requests (send, receive, delete); one hot user reaches ${fmt(hotUserCapacity(params))} live watchers in 10 s`,
  });
  const logGb = (totalInvocations * params.logKbPerInvocation) / 1024 / 1024;
  lines.push({
    component: 'CloudWatch Logs (Lambda)',
    usd: charge('lambdaLogs', logGb),
    driver: `${fmt(logGb / 1024)} TB at ${params.logKbPerInvocation} KB/invocation`,
  });
  const outboundMessages = pushMessages + sum((x) => x.wsReplies);
  const egressGb = (sum((x) => x.bytesOut) + outboundMessages * params.wsOverheadBytes) / 1024 ** 3;
  lines.push({
    component: 'Data transfer out',
    usd: charge('dataTransferOut', egressGb),
    driver: `${fmt(egressGb / 1024)} TB (pushes + replies)`,
  });
  lines.push({
    component: 'Scheduler, Secrets Manager',
    usd: charge('schedulerInvocations', monthly.counts.sweeper) + charge('secrets', 2),
    driver: 'sweeper schedule, 2 secrets',
  });

  const total = lines.reduce((sumUsd, line) => sumUsd + line.usd, 0);
  const perSecond = (value: number) => value / SECONDS;
  const connects = monthly.counts.forcedReconnect + monthly.counts.sessionStart + monthly.counts.blip;
  const inbound = sum((x) => x.wsIn);
  const concurrency = allFns.reduce((total2, fn) => total2 + perSecond(invocations(fn)) * (durationMs(params, fn, monthly) / 1000), 0);
  return {
    lines,
    total,
    monthly,
    rates: {
      newConnectionsPerSecond: perSecond(connects),
      inboundMessagesPerSecond: perSecond(inbound),
      postsPerSecond: perSecond(pushMessages),
      apiGatewayRequestsPerSecond: perSecond(inbound + pushMessages + callbackCalls),
      lambdaInvocationsPerSecond: perSecond(totalInvocations),
      lambdaConcurrency: concurrency,
      transitionsPerSecond: perSecond(monthly.transitions),
      notifierInvocationsPerSecond: perSecond(monthly.notifyInvocations),
      lastSeenUpdatesPerSecond: perSecond(monthly.counts.recorder),
      wruPerSecond: perSecond(renewalWru + lifecycleWru + watchWru),
      rruPerSecond: perSecond(heartbeatRru + otherRru),
      watchItemWruPerSecond: perSecond(watchWru),
      sweepIndexWruPerSecond: perSecond(sum((x) => x.gsiWru)),
      // Half of the index writes insert into the current expiry bucket, spread over the shards.
      sweepIndexInsertsPerShardKeyPerSecond: perSecond(sum((x) => x.gsiWru)) / 2 / params.sweepShards,
      dataApiPerSecond: perSecond(statements),
      sqsMessagesPerSecond: perSecond(sqsRequests / 3),
    },
    storm: stormRates(params, monthly),
  };
};

/**
 * A reconnect storm: every user comes back at `stormConnectsPerSecond`, each a first connection
 * (online pushed to its watchers) that subscribes again. What it needs per second, for quotas.
 */
const stormRates = (params: Params, monthly: Monthly): Record<string, number> => {
  const rate = params.stormConnectsPerSecond;
  const each = monthly.perEvent.sessionStart;
  const invocations = Object.values(each.lambda).reduce((sum, n) => sum + n, 0) + 1 / Math.max(1, monthly.recordsPerInvocation);
  const durationSeconds = (fn: string) => durationMs(params, fn, monthly) / 1000;
  const concurrency =
    Object.entries(each.lambda).reduce((sum, [fn, n]) => sum + rate * n * durationSeconds(fn), 0) +
    Math.min(params.streamShards * 4, (rate / Math.max(1, monthly.recordsPerInvocation)) * durationSeconds('notify'));
  return {
    stormSeconds: params.users / rate,
    connectsPerSecond: rate,
    lambdaInvocationsPerSecond: rate * invocations,
    lambdaConcurrency: concurrency,
    wruPerSecond: rate * (each.wru + each.gsiWru + each.watchWru),
    // Every watcher's previous connection closed moments ago: its watches are still listed (until
    // its 2-hour limit), so each push also goes to it and gets a 410, checked with one read.
    rruPerSecond: rate * (each.rru + each.posts * 0.5),
    dataApiPerSecond: rate * each.dataApi,
    postsPerSecond: rate * each.posts,
    goneConnectionPostsPerSecond: rate * each.posts,
    apiGatewayRequestsPerSecond: rate * (1 + each.wsIn + 2 * each.posts),
  };
};

// =============================================================================================
// The naive design (aws-facts §8.2): HTTP heartbeat every 10 s -> HTTP API -> Lambda -> UpdateItem.
// =============================================================================================

export const naiveCost = (params: Params, intervalSeconds = 10): { lines: Line[]; total: number } => {
  const requests = (params.users * SECONDS) / intervalSeconds;
  const lines: Line[] = [];
  lines.push({
    component: 'API Gateway HTTP API',
    usd: charge('httpRequests', requests),
    driver: `${fmt(requests)} requests (${fmt(requests / SECONDS)}/s)`,
  });
  const gbSeconds = requests * 0.125 * 0.01;
  lines.push({
    component: 'Lambda heartbeat handler',
    usd: charge('lambdaRequests', requests) + charge('lambdaArmDuration', gbSeconds),
    driver: `${fmt(requests)} invocations, 128 MB, 10 ms`,
  });
  lines.push({ component: 'DynamoDB writes (1 WRU per heartbeat)', usd: charge('dynamoWrites', requests), driver: `${fmt(requests)} WRU` });
  const scans = SECONDS / 10;
  const scanRru = scans * ((params.users * 100) / 4096) * 0.5;
  lines.push({ component: 'DynamoDB sweeper scans (every 10 s)', usd: charge('dynamoReads', scanRru), driver: `${fmt(scanRru)} RRU` });
  const sweeperGbSeconds = scans * 1 * 5;
  lines.push({
    component: 'Lambda sweeper',
    usd: charge('lambdaRequests', scans) + sweeperGbSeconds * 0.0000133334,
    driver: `${fmt(scans)} invocations, 1 GB, 5 s`,
  });
  const logGb = (requests * 0.5) / 1024 / 1024;
  lines.push({ component: 'CloudWatch Logs (Lambda)', usd: charge('lambdaLogs', logGb), driver: `${fmt(logGb / 1024)} TB` });
  const egressGb = (requests * 200) / 1024 ** 3;
  lines.push({
    component: 'Data transfer out (responses)',
    usd: charge('dataTransferOut', egressGb),
    driver: `${fmt(egressGb / 1024)} TB`,
  });
  lines.push({
    component: 'Aurora Serverless v2',
    usd: charge('auroraAcuHours', 2 * 2 * HOURS) + charge('auroraStorageIo', 1),
    driver: '2 x 2 ACU (aws-facts §8.1)',
  });
  return { lines, total: lines.reduce((sum, line) => sum + line.usd, 0) };
};

// =============================================================================================
// Output
// =============================================================================================

const usd = (value: number): string => `$${Math.round(value).toLocaleString('en-US')}`;

const table = (headers: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[]): string => {
  const widths = headers.map((header, index) => Math.max(header.length, ...rows.map((row) => row[index].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, index) => (align[index] === 'r' ? cell.padStart(widths[index]) : cell.padEnd(widths[index]))).join(' | ')} |`;
  return [
    line(headers),
    `|${widths.map((width, index) => (align[index] === 'r' ? `${'-'.repeat(width + 1)}:` : `${'-'.repeat(width + 2)}`)).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
};

/** Upper bound on detecting a silent drop whose $disconnect never comes: the lease, the sweep, a bucket. */
const silentDropBound = (params: Params): number => params.leaseSeconds + params.sweepEveryMinutes * 60 + 60;

const parseArgs = (argv: readonly string[]): { overrides: Partial<Params>; json: boolean; help: boolean } => {
  const overrides: Partial<Params> = {};
  let json = false;
  let help = false;
  for (const arg of argv) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') help = true;
    else {
      const match = /^--([A-Za-z]+)=(.+)$/.exec(arg);
      if (match === null || !(match[1] in PARAMETERS)) throw new Error(`unknown argument ${arg} (see --help)`);
      const value = Number(match[2]);
      if (!Number.isFinite(value) || value < 0) throw new Error(`${match[1]} must be a non-negative number, got ${match[2]}`);
      overrides[match[1] as keyof Params] = value;
    }
  }
  return { overrides, json, help };
};

const main = (): void => {
  const { overrides, json, help } = parseArgs(process.argv.slice(2));
  if (help) {
    process.stdout.write('usage: npm run cost -- [--name=value ...] [--json]\n\n');
    process.stdout.write(
      table(
        ['parameter', 'default', 'kind', 'meaning'],
        Object.entries(PARAMETERS).map(([name, p]) => [name, String(p.value), p.kind, p.note]),
        ['l', 'r', 'l', 'l'],
      ),
    );
    process.stdout.write('\n');
    return;
  }
  const params: Params = { ...defaultParams(), ...overrides };
  const measured = loadMeasured();
  const design = designCost(params, measured);
  const naive = naiveCost(params);
  const ratio = naive.total / design.total;

  const variant = (changes: Partial<Params>) => designCost({ ...params, ...changes }, measured).total;
  const contract = { heartbeatSeconds: CONTRACT.heartbeatSeconds, leaseSeconds: CONTRACT.leaseSeconds };
  const proposed = { heartbeatReply: 0, watchListsPerConnection: 0 };
  const mock = { mockKeepalive: 1, watchListsPerConnection: 0 };
  const variants: [string, number, string][] = [
    [
      `as built, contract defaults (heartbeat ${CONTRACT.heartbeatSeconds} s, lease ${CONTRACT.leaseSeconds} s)`,
      variant(contract),
      'configuration',
    ],
    [`as built, these parameters (heartbeat ${params.heartbeatSeconds} s, lease ${params.leaseSeconds} s)`, design.total, 'configuration'],
    ['  + lease 4.5 x heartbeat (renewal every 3rd heartbeat)', variant({ leaseSeconds: params.heartbeatSeconds * 4.5 }), 'configuration'],
    ['  + watch lists kept per watching user (no rewrite on reconnect)', variant({ watchListsPerConnection: 0 }), 'design change'],
    ['  + heartbeat without a route response', variant({ heartbeatReply: 0 }), 'contract change'],
    ['  + both', variant(proposed), 'contract change'],
    ['  + both, and coalescing 0.5 (per-watcher buffer)', variant({ ...proposed, coalescing: 0.5 }), 'contract change'],
    ['  mock keepalive (no Lambda, no reply), the sweeper revives leases; per-user watch lists', variant(mock), 'contract change'],
    ['  the same, and coalescing 0.5', variant({ ...mock, coalescing: 0.5 }), 'contract change'],
  ];
  const knobRows = [60, 120, 300, 480].flatMap((heartbeat) =>
    [2.5, 4.5].map((factor) => {
      const changes = { heartbeatSeconds: heartbeat, leaseSeconds: heartbeat * factor };
      return [
        `${heartbeat} s`,
        `${heartbeat * factor} s`,
        leaseWritesPerHeartbeat(changes).toFixed(2),
        `${Math.round(Math.min(600, silentDropBound({ ...params, ...changes })) / 60)} min`,
        `${Math.round(silentDropBound({ ...params, ...changes }) / 60)} min`,
        usd(variant(changes)),
      ];
    }),
  );

  if (json) {
    process.stdout.write(
      `${JSON.stringify({ params, measuredFrom: measured.source, design: { total: design.total, lines: design.lines, rates: design.rates, storm: design.storm }, naive, ratio, variants }, null, 2)}\n`,
    );
    return;
  }
  const out: string[] = [];
  out.push(`# Monthly cost at ${fmt(params.users)} concurrently connected users (30 days, us-east-1 list prices)`);
  out.push('');
  out.push(`Per-operation AWS calls from ${measured.source}.`);
  out.push(
    `Lease writes per heartbeat: ${design.monthly.leaseWritesPerHeartbeat.toFixed(2)}; notifier: ${design.monthly.recordsPerInvocation.toFixed(1)} changes per invocation over ${params.streamShards} stream shards.`,
  );
  out.push('');
  out.push('## The design (WebSocket, Lambda routes, DynamoDB, Streams notifier, SQS grace, Aurora)');
  out.push('');
  out.push(
    table(
      ['component', '$/month', 'share', 'driver'],
      [...design.lines]
        .sort((a, b) => b.usd - a.usd)
        .map((line) => [line.component, usd(line.usd), `${((line.usd / design.total) * 100).toFixed(1)}%`, line.driver]),
      ['l', 'r', 'r', 'l'],
    ),
  );
  out.push('');
  out.push(`Total: ${usd(design.total)} / month (${usd((design.total / params.users) * 1000)} per 1,000 users)`);
  out.push('');
  out.push('## The naive design (aws-facts §8.2): HTTP heartbeat every 10 s, one database write each');
  out.push('');
  out.push(
    table(
      ['component', '$/month', 'driver'],
      naive.lines.map((line) => [line.component, usd(line.usd), line.driver]),
      ['l', 'r', 'l'],
    ),
  );
  out.push('');
  out.push(`Total: ${usd(naive.total)} / month`);
  out.push('');
  out.push('## Comparison');
  out.push('');
  out.push(
    table(
      ['', 'value', 'goal', 'met'],
      [
        ['design', `${usd(design.total)} / month`, '<= $100,000', design.total <= 100_000 ? 'yes' : 'NO'],
        ['naive / design', `${ratio.toFixed(1)} x`, '>= 20 x', ratio >= 20 ? 'yes' : 'NO'],
        ['naive', `${usd(naive.total)} / month`, '', ''],
      ],
      ['l', 'r', 'r', 'l'],
    ),
  );
  out.push('');
  const floor = contractFloor(params, design.monthly.transitions);
  out.push('## The floor: what any implementation of PROTOCOL.md on API Gateway WebSockets pays at this load');
  out.push('');
  out.push(
    table(
      ['component', '$/month', 'why it cannot be avoided'],
      floor.lines.map((line) => [line.component, usd(line.usd), line.driver]),
      ['l', 'r', 'l'],
    ),
  );
  out.push('');
  out.push(
    `Floor: ${usd(floor.total)} / month, naive / floor = ${(naive.total / floor.total).toFixed(1)} x. ` +
      `No design that keeps the contract (a reply to every heartbeat, subscriptions that end with their connection) and API Gateway WebSockets meets ` +
      `${floor.total > 100_000 ? '<= $100,000' : ''}${floor.total > 100_000 && naive.total / floor.total < 20 ? ' or ' : ''}${naive.total / floor.total < 20 ? '>= 20 x' : ''} at this load; ` +
      'see docs/cost.md for what changing the contract would save.',
  );
  out.push('');
  out.push('## Variants');
  out.push('');
  out.push(
    table(
      ['variant', '$/month', 'naive / variant', 'kind'],
      variants.map(([name, total, kind]) => [name, usd(total), `${(naive.total / total).toFixed(1)} x`, kind]),
      ['l', 'r', 'r', 'l'],
    ),
  );
  out.push('');
  out.push('## Detection speed vs cost (heartbeat interval and lease)');
  out.push('');
  out.push(
    table(
      ['heartbeat', 'lease', 'lease writes / heartbeat', 'silent drop, $disconnect arrives', 'silent drop, $disconnect lost', '$/month'],
      knobRows,
      ['r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  out.push('');
  out.push(
    'A silent drop (network gone, no close frame) ends when API Gateway closes the idle connection (10 min after the last frame) and sends $disconnect, ' +
      'or, if that never comes, when the sweeper finds the lease expired (lease + sweep interval + one bucket). Clean closes and setStatus are reported at once ' +
      `(closes after the ${params.graceSeconds} s grace). Coalescing and a notifier batching window trade up to the window in latency for fewer frames.`,
  );
  out.push('');
  out.push('## Rates (averages; size quotas for peaks and reconnect storms, see docs/scaling.md)');
  out.push('');
  out.push(
    table(
      ['rate', 'per second'],
      Object.entries(design.rates).map(([name, value]) => [name, fmt(value)]),
      ['l', 'r'],
    ),
  );
  out.push('');
  out.push(
    `Reconnect storm: all ${fmt(params.users)} users reconnect at ${fmt(params.stormConnectsPerSecond)}/s (first connections: online pushed, subscriptions rebuilt)`,
  );
  out.push('');
  out.push(
    table(
      ['storm', 'value'],
      Object.entries(design.storm).map(([name, value]) => [name, fmt(value)]),
      ['l', 'r'],
    ),
  );
  out.push('');
  out.push('## Prices used');
  out.push('');
  out.push(
    table(
      ['price', 'USD', 'per', 'check', 'source'],
      Object.values(PRICES).map((price: Price) => [
        price.what,
        typeof price.usd === 'number'
          ? String(price.usd)
          : price.usd.map(([upper, value]) => `${value}${Number.isFinite(upper) ? ` to ${fmt(upper)}` : ' after'}`).join(', '),
        `${price.per === 1 ? '' : `${fmt(price.per)} `}${price.unit}`,
        price.check,
        price.source,
      ]),
      ['l', 'r', 'l', 'l', 'l'],
    ),
  );
  out.push('');
  out.push('Parameters: `npm run cost -- --help`. Unverified inputs ([U]) are assumptions to change, not facts.');
  process.stdout.write(`${out.join('\n')}\n`);
};

if (require.main === module) main();
