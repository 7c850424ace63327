/**
 * The local stack: the same handlers as on AWS, wired to local stand-ins of every AWS service
 * they use. Only endpoints differ: the handlers read them from the same environment variables
 * that CDK sets on AWS.
 */
import { chmod, lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import {
  type ClientTiming,
  DEFAULTS,
  ENV,
  type HandlerName,
  handlers,
  httpRoutes,
  queues,
  schedules,
  streamConsumers,
  websocketAuthorizer,
  websocketRouteSelectionExpression,
  websocketRoutes,
} from '../lib/app-manifest';
import { DataApi } from '../lambdas/adapters/data-api';
import { applyMigrations } from '../lambdas/adapters/migrations';
import { type HttpApi, type StaticResponse, firstAnswer, startHttpApi } from './api-gateway/http-api';
import { CONCURRENT_INVOCATIONS_ENV, type FunctionConfig, type LambdaHandler, invoke } from './lambda/invoke';
import { type WebSocketApi, startWebSocketApi } from './api-gateway/websocket';
import { startDataApi } from './data-api/server';
import { startDynamoDbLocal } from './dynamodb/dynamodb-local';
import { startStreamPoller } from './dynamodb/stream-poller';
import { createTables } from './dynamodb/tables';
import { FaultSwitchboard, faultsEndpoint } from './faults';
import { MetricsRecorder, metricsEndpoint, tapStdout } from './metrics';
import { startSqsServer } from './queue/sqs-server';
import { startSchedule } from './scheduler/schedule';
import { loadOrCreateSigningKey, startSecretsManager } from './secrets-manager/server';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './shared/aws';

export interface LocalStackOptions {
  readonly httpPort: number;
  readonly wsPort: number;
  readonly dataApiPort: number;
  readonly dynamoDbPort: number;
  readonly dataDir: string;
  readonly leaseSeconds: number;
  readonly sweepSeconds: number;
  readonly graceSeconds: number;
  /** How often clients are told (`GET /config`, the page's config.js) to send a heartbeat; default the contract's 60. */
  readonly heartbeatSeconds?: number;
  /** Width of a sweep index bucket (default 60, as on AWS); tests shrink it to script long outages in seconds. */
  readonly sweepBucketSeconds?: number;
  readonly host: string;
  readonly log: (line: string) => void;
  /** API Gateway closes idle connections after 10 minutes and every connection after 2 hours. */
  readonly wsIdleTimeoutSeconds?: number;
  readonly wsMaxConnectionSeconds?: number;
  /** Ports of the stand-ins the contract does not name (default: free ports). */
  readonly secretsManagerPort?: number;
  readonly sqsPort?: number;
  /**
   * Called once if a stand-in (DynamoDB Local's java, the PGlite worker) dies while the stack runs,
   * with a sentence naming it; the death is logged either way. `npm start` stops and exits non-zero.
   */
  readonly onStandInDeath?: (description: string) => void;
}

export interface LocalStack {
  /** The ports every service listens on, e.g. to restart on the same ones. */
  readonly ports: Required<Pick<LocalStackOptions, 'httpPort' | 'wsPort' | 'dataApiPort' | 'dynamoDbPort' | 'secretsManagerPort' | 'sqsPort'>>;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly connectionsEndpoint: string;
  readonly sqsEndpoint: string;
  readonly dynamoDbEndpoint: string;
  readonly dataApiEndpoint: string;
  readonly dbResourceArn: string;
  readonly dbSecretArn: string;
  readonly tokenSecretArn: string;
  readonly secretsManagerEndpoint: string;
  stop(): Promise<void>;
}

const TABLE_NAMES = { presence: 'presence' } as const;
const TOKEN_SECRET_ARN = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:presence-token-signing-key`;
const ROOT = path.resolve(__dirname, '..');
/** One machine needs no write sharding of the sweep index; fewer shards mean fewer sweep queries. */
const LOCAL_SWEEP_SHARDS = 2;

const int = (name: string, fallback: number, env: NodeJS.ProcessEnv): number => {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
};

/** The contract's environment variables, with its defaults. */
export const optionsFromEnv = (env: NodeJS.ProcessEnv = process.env): LocalStackOptions => ({
  httpPort: int('PRESENCE_HTTP_PORT', 4000, env),
  wsPort: int('PRESENCE_WS_PORT', 4001, env),
  dataApiPort: int('PRESENCE_DATA_API_PORT', 4002, env),
  dynamoDbPort: int('PRESENCE_DYNAMODB_PORT', 4003, env),
  dataDir: path.resolve(env.PRESENCE_DATA_DIR ?? './.presence-data'),
  leaseSeconds: int('PRESENCE_LEASE_SECONDS', DEFAULTS.leaseSeconds, env),
  sweepSeconds: int('PRESENCE_SWEEP_SECONDS', DEFAULTS.sweepSeconds, env),
  graceSeconds: int('PRESENCE_OFFLINE_GRACE_SECONDS', DEFAULTS.graceSeconds, env),
  heartbeatSeconds: int('PRESENCE_HEARTBEAT_SECONDS', DEFAULTS.heartbeatSeconds, env),
  host: '127.0.0.1',
  log: (line) => process.stdout.write(`${line}\n`),
});

const loadHandler = (name: HandlerName): FunctionConfig => {
  const spec = handlers[name];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(path.join(ROOT, spec.entry)) as { handler?: LambdaHandler };
  if (typeof module.handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
  return { name, handler: module.handler, timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb };
};

const PLACEHOLDER = Buffer.from(
  '<!doctype html><meta charset="utf-8"><title>Presence service</title>' +
    '<h1>Presence service</h1><p>The local stack is running. The HTTP API is served from this origin; see README.md.</p>',
);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * Serves the built web client (web/dist) when there is one; otherwise a placeholder page at `/`.
 * `/config.js` names this stack's WebSocket URL and timing, so the page works on any
 * PRESENCE_WS_PORT (a deployment writes the same file with its own URLs and timing).
 */
const webClient = (wsUrl: string, timing: ClientTiming) => async (method: string, urlPath: string): Promise<StaticResponse | null> => {
  if (method !== 'GET') return null;
  if (urlPath === '/config.js') {
    const body = Buffer.from(`window.PRESENCE_CONFIG = ${JSON.stringify({ wsUrl, ...timing })};\n`);
    return { status: 200, headers: { 'content-type': CONTENT_TYPES['.js'], 'cache-control': 'no-store' }, body };
  }
  const dist = path.join(ROOT, 'web', 'dist');
  const relative = urlPath === '/' ? 'index.html' : urlPath.slice(1);
  const file = path.resolve(dist, relative);
  if (!file.startsWith(dist + path.sep)) return null;
  try {
    const body = await readFile(file);
    return { status: 200, headers: { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' }, body };
  } catch {
    return urlPath === '/' ? { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: PLACEHOLDER } : null;
  }
};

/**
 * Owner-only modes for a data dir made before the stack set them (PGlite's files were 0666): 0700
 * for directories, 0600 for files. Symbolic links are left alone.
 */
const restrictToOwner = async (directory: string): Promise<void> => {
  await chmod(directory, 0o700);
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const target = path.join(directory, entry.name);
    if (entry.isDirectory()) await restrictToOwner(target);
    else if (entry.isFile() && ((await lstat(target)).mode & 0o077) !== 0) await chmod(target, 0o600);
  }
};

/** Starts every service in order; on any failure, stops what already started and rethrows. */
export const startLocalStack = async (options: LocalStackOptions): Promise<LocalStack> => {
  const stops: (() => Promise<void>)[] = [];
  /** Stopped before everything else: closing the WebSockets runs their `$disconnect`s, which still need the stores. */
  const firstStops: (() => Promise<void>)[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    for (const stop of [...firstStops, ...stops.reverse()]) await stop().catch((error: unknown) => options.log(`stop failed: ${(error as Error).message}`));
    firstStops.length = 0;
    stops.length = 0;
    // PGlite gives the files it creates mode 0666 whatever the umask (inside the 0700 dir, so no one else reached them).
    await restrictToOwner(options.dataDir).catch((error: unknown) => options.log(`could not restrict the data dir: ${(error as Error).message}`));
  };
  const standInDied = (description: string): void => {
    if (stopping) return;
    options.log(`STAND-IN DIED: ${description}. Calls that need it fail until the stack is restarted.`);
    options.onStandInDeath?.(description);
  };
  try {
    // The data dir holds password hashes and the token signing key: owner-only, and so is what this process creates.
    process.umask(0o077);
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    await restrictToOwner(options.dataDir);
    const faults = new FaultSwitchboard();
    const dataApiSwitch = faults.add('dataApi');
    // AWS: CloudWatch Logs turns the EMF lines handlers write to stdout into metrics; here GET /local/metrics sums them.
    const metrics = new MetricsRecorder();
    const untap = tapStdout(metrics);
    stops.push(async () => untap());

    // The two slow starters (a JVM and an embedded Postgres) start side by side.
    const [dynamoStart, dataApiStart] = await Promise.allSettled([
      startDynamoDbLocal({ port: options.dynamoDbPort, dataDir: path.join(options.dataDir, 'dynamodb'), onUnexpectedExit: standInDied }),
      startDataApi({
        port: options.dataApiPort,
        host: options.host,
        dataDir: path.join(options.dataDir, 'postgres'),
        unavailable: () => dataApiSwitch.down,
        onUnexpectedExit: standInDied,
      }),
    ]);
    if (dynamoStart.status === 'fulfilled') stops.push(() => dynamoStart.value.stop());
    if (dataApiStart.status === 'fulfilled') stops.push(() => dataApiStart.value.stop());
    if (dynamoStart.status === 'rejected') throw dynamoStart.reason;
    if (dataApiStart.status === 'rejected') throw dataApiStart.reason;
    const dynamo = dynamoStart.value;
    const dataApi = dataApiStart.value;
    // PGlite chmods its files to 0666 itself (the umask does not reach them).
    await restrictToOwner(options.dataDir);
    await createTables(dynamo.endpoint, TABLE_NAMES);

    const signingKey = await loadOrCreateSigningKey(options.dataDir);
    const secrets = await startSecretsManager({ port: options.secretsManagerPort, host: options.host, secrets: { [TOKEN_SECRET_ARN]: signingKey } });
    stops.push(() => secrets.stop());

    const env: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      ...CONCURRENT_INVOCATIONS_ENV,
      [ENV.presenceTable]: TABLE_NAMES.presence,
      [ENV.dynamodbEndpoint]: dynamo.endpoint,
      [ENV.rdsDataEndpoint]: dataApi.url,
      [ENV.dbResourceArn]: dataApi.resourceArn,
      [ENV.dbSecretArn]: dataApi.secretArn,
      [ENV.dbName]: dataApi.database,
      [ENV.tokenSecretArn]: TOKEN_SECRET_ARN,
      [ENV.secretsManagerEndpoint]: secrets.url,
      [ENV.leaseSeconds]: String(options.leaseSeconds),
      [ENV.graceSeconds]: String(options.graceSeconds),
      [ENV.sweepSeconds]: String(options.sweepSeconds),
      [ENV.sweepShards]: String(LOCAL_SWEEP_SHARDS),
      [ENV.sweepBucketSeconds]: String(options.sweepBucketSeconds ?? DEFAULTS.sweepBucketSeconds),
      // PGlite never pauses (an auto-paused Aurora does, which is why AWS leaves the database out: see health.ts).
      [ENV.healthProbes]: 'presenceTable,dataApi',
      [ENV.heartbeatSeconds]: String(options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds),
    };
    // Handlers read configuration from the environment, as on AWS, where CDK sets the same names.
    Object.assign(process.env, env);

    const sqs = await startSqsServer({ port: options.sqsPort, host: options.host, region: LOCAL_REGION });
    stops.push(() => sqs.stop());
    // Every queue of the manifest, each with its dead-letter queue, as CDK creates them.
    const localQueues = Object.entries(queues).map(([name, spec]) => {
      const deadLetters = sqs.createQueue(`presence-${name}-dlq`);
      const queue = sqs.createQueue(`presence-${name}`, {
        visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
        maxReceiveCount: spec.maxReceiveCount,
        deadLetterQueue: deadLetters.name,
      });
      env[spec.urlEnv] = queue.url;
      return { spec, queue };
    });
    env[ENV.sqsEndpoint] = sqs.endpoint;
    Object.assign(process.env, env);

    const ws: WebSocketApi = await startWebSocketApi({
      port: options.wsPort,
      host: options.host,
      routeSelectionExpression: websocketRouteSelectionExpression,
      routes: websocketRoutes.map((route) => ({ routeKey: route.routeKey, fn: loadHandler(route.handler), returnResponse: route.returnResponse })),
      authorizer: { fn: loadHandler(websocketAuthorizer.handler), identitySource: websocketAuthorizer.identitySource },
      idleTimeoutSeconds: options.wsIdleTimeoutSeconds ?? 600,
      maxConnectionSeconds: options.wsMaxConnectionSeconds ?? 7200,
      log: options.log,
    });
    // On AWS the management endpoint is the stage's callback URL, set by CDK.
    process.env[ENV.connectionsEndpoint] = ws.connectionsEndpoint;
    // On AWS the stage URL clients connect to, set by CDK; `GET /config` reports it.
    process.env[ENV.webSocketUrl] = ws.url;
    firstStops.push(() => ws.stop());

    // The consumers are stopped after the WebSocket API, so the events of its last `$disconnect`s are still written.
    for (const { spec, queue } of localQueues) {
      // Skipped AWS behaviour: the mapping's MaximumConcurrency (`maxConcurrency`); the local mapping runs at most five batches at once.
      sqs.addEventSource(queue.name, loadHandler(spec.handler), { batchSize: spec.batchSize, reportBatchItemFailures: spec.reportBatchItemFailures });
    }
    for (const consumer of streamConsumers) {
      const fn = loadHandler(consumer.handler);
      const poller = await startStreamPoller({
        endpoint: dynamo.endpoint,
        tableName: TABLE_NAMES[consumer.table],
        handler: (event) => invoke(fn, event),
        batchSize: consumer.batchSize,
        maximumRetryAttempts: consumer.retryAttempts,
        bisectBatchOnFunctionError: consumer.bisectBatchOnError,
        reportBatchItemFailures: consumer.reportBatchItemFailures,
        filters: [...consumer.filters],
        onFailure: (info) => options.log(`${consumer.handler}: a stream batch was discarded after its retries: ${JSON.stringify(info)}`),
        region: LOCAL_REGION,
        log: options.log,
      });
      stops.push(() => poller.stop());
    }
    for (const schedule of schedules) {
      // EventBridge runs it every minute on AWS; locally PRESENCE_SWEEP_SECONDS, so tests need not wait a minute.
      const job = startSchedule({ fn: loadHandler(schedule.handler), everySeconds: options.sweepSeconds, log: options.log });
      stops.push(() => job.stop());
    }

    const db = new DataApi(new RDSDataClient({ endpoint: dataApi.url, region: LOCAL_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), {
      resourceArn: dataApi.resourceArn,
      secretArn: dataApi.secretArn,
      database: dataApi.database,
    });
    // On AWS the same migrations run at deploy time, in a custom resource.
    await applyMigrations(db, options.log);

    const http: HttpApi = await startHttpApi({
      port: options.httpPort,
      host: options.host,
      routes: httpRoutes.map((route) => ({ method: route.method, path: route.path, fn: loadHandler(route.handler) })),
      // The fault switch and the metrics summary (local only, never deployed) answer beside the routes, on the HTTP port.
      fallback: firstAnswer(
        faultsEndpoint(faults),
        metricsEndpoint(metrics),
        webClient(ws.url, {
          heartbeatSeconds: options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds,
          leaseSeconds: options.leaseSeconds,
          offlineGraceSeconds: options.graceSeconds,
        }),
      ),
    });
    stops.push(() => http.stop());

    return {
      ports: {
        httpPort: http.port,
        wsPort: ws.port,
        dataApiPort: dataApi.port,
        dynamoDbPort: dynamo.port,
        secretsManagerPort: secrets.port,
        sqsPort: Number(new URL(sqs.endpoint).port),
      },
      httpUrl: http.url,
      wsUrl: ws.url,
      connectionsEndpoint: ws.connectionsEndpoint,
      sqsEndpoint: sqs.endpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      dataApiEndpoint: dataApi.url,
      dbResourceArn: dataApi.resourceArn,
      dbSecretArn: dataApi.secretArn,
      tokenSecretArn: TOKEN_SECRET_ARN,
      secretsManagerEndpoint: secrets.url,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
};
