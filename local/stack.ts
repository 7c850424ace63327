/**
 * The local stack: the same handlers as on AWS, wired to local stand-ins of every AWS service
 * they use. It is a list of named steps, started in order and stopped in reverse order; steps
 * hand each other what they started through one typed record, never through `process.env`. Only
 * the handlers read the environment, as on AWS, where CDK sets the same names.
 */
import { chmod, lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApi } from '../lambdas/adapters/data-api';
import { applyMigrations } from '../lambdas/adapters/migrations';
import { assertIsError, isError } from '../lambdas/domain/errors';
import {
  DEFAULTS,
  ENV,
  type HandlerName,
  handlers,
  httpRoutes,
  lanePaces,
  pacingEnvironment,
  queues,
  schedules,
  streamConsumers,
  websocketAuthorizer,
  websocketRouteSelectionExpression,
  websocketRoutes,
} from '../lib/app-manifest';
import { firstAnswer, type HttpApi, startHttpApi } from './api-gateway/http-api';
import { startWebSocketApi, type WebSocketApi } from './api-gateway/websocket';
import { type DataApiServer, startDataApi } from './data-api/server';
import { type DynamoDbLocal, type DynamoDbLocalOptions, startDynamoDbLocal } from './dynamodb/dynamodb-local';
import { type StreamMappingOptions, type StreamPoller, startStreamPoller } from './dynamodb/stream-poller';
import { createTables } from './dynamodb/tables';
import { FaultSwitchboard, faultsEndpoint } from './faults';
import { ExecutionEnvironment } from './lambda/execution-environment';
import { CONCURRENT_INVOCATIONS_ENV, type FunctionConfig, type LambdaHandler } from './lambda/invoke';
import { MetricsRecorder, metricsEndpoint, tapStdout } from './metrics';
import { type LocalQueue, type SqsServer, startSqsServer } from './queue/sqs-server';
import { startSchedule } from './scheduler/schedule';
import { loadOrCreateSigningKey, type SecretsManagerServer, startSecretsManager } from './secrets-manager/server';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './shared/aws';
import { webClient } from './web-client';

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
  /**
   * Where functions run: `process` (default), all in this one, so tests can reach their modules;
   * `thread`, each function in its own worker thread, as each runs in its own execution
   * environments on AWS (own event loop, SDK clients and sockets; a cold start on first use).
   */
  readonly functionIsolation?: FunctionIsolation;
  /**
   * DynamoDB Local's tables: on `disk` (default) in the data dir, so a restart keeps them; in
   * `memory` for a run nothing needs to outlive, at half the CPU per request (measured; the bench).
   */
  readonly dynamoDbStorage?: 'disk' | 'memory';
  /** DynamoDB Local's compiler (DynamoDbLocalOptions.jit): 'sustained' for a long run under load. */
  readonly dynamoDbJit?: DynamoDbLocalOptions['jit'];
}

/** Where the local stack runs its functions (LocalStackOptions.functionIsolation). */
export type FunctionIsolation = 'process' | 'thread';

/** A stream consumer's event source mapping as the manifest gives it to CDK (the batching window is skipped locally: ESM-02). */
export const streamMapping = (consumer: (typeof streamConsumers)[number]): StreamMappingOptions => ({
  batchSize: consumer.batchSize,
  maximumRetryAttempts: consumer.retryAttempts,
  maximumRecordAgeSeconds: consumer.maxRecordAgeSeconds,
  bisectBatchOnFunctionError: consumer.bisectBatchOnError,
  parallelizationFactor: consumer.parallelizationFactor,
  reportBatchItemFailures: consumer.reportBatchItemFailures,
  filters: [...consumer.filters],
});

/** How the stack starts DynamoDB Local: its tables in the data dir unless kept in memory. */
export const dynamoDbLocalOptions = (
  options: Pick<LocalStackOptions, 'dynamoDbPort' | 'dataDir' | 'dynamoDbStorage' | 'dynamoDbJit'>,
): Pick<DynamoDbLocalOptions, 'port' | 'dataDir' | 'jit'> => ({
  port: options.dynamoDbPort,
  dataDir: options.dynamoDbStorage === 'memory' ? undefined : path.join(options.dataDir, 'dynamodb'),
  jit: options.dynamoDbJit,
});

/** A setting (`variable`) that must be one of `choices`; unset or empty is `fallback`. */
export const parseChoice = <T extends string>(raw: string | undefined, variable: string, choices: readonly T[], fallback: T): T => {
  if (raw === undefined || raw === '') return fallback;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  throw new Error(`${variable} must be ${choices.join(' or ')}, got "${raw}"`);
};

/** A function isolation named in a setting (`variable`); unset or empty is `fallback`. */
export const parseFunctionIsolation = (raw: string | undefined, variable: string, fallback: FunctionIsolation): FunctionIsolation =>
  parseChoice(raw, variable, ['thread', 'process'], fallback);

export interface LocalStack {
  /** The ports every service listens on, e.g. to restart on the same ones. */
  readonly ports: Required<
    Pick<LocalStackOptions, 'httpPort' | 'wsPort' | 'dataApiPort' | 'dynamoDbPort' | 'secretsManagerPort' | 'sqsPort'>
  >;
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

/** A function that runs in this process (`functionIsolation: 'process'`): its module is loaded now. */
const loadInProcess = (name: HandlerName): FunctionConfig => {
  const spec = handlers[name];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const module = require(path.join(ROOT, spec.entry)) as { handler?: LambdaHandler };
  if (typeof module.handler !== 'function') throw new Error(`${spec.entry} does not export a handler`);
  return { name, handler: module.handler, timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb };
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

/** What the steps have started, for the steps after them. */
interface Parts {
  readonly faults: FaultSwitchboard;
  readonly metrics: MetricsRecorder;
  dynamo: DynamoDbLocal;
  dataApi: DataApiServer;
  secrets: SecretsManagerServer;
  sqs: SqsServer;
  /** The manifest's queues by name, as CDK creates them. */
  queues: Partial<Record<keyof typeof queues, LocalQueue>>;
  ws: WebSocketApi;
  http: HttpApi;
}

type Stop = () => Promise<void>;

interface Step {
  readonly name: string;
  /** Starts this part; returns how to stop it when there is something to stop. */
  readonly start: () => Promise<Stop | void>;
}

/** Every step of the stack, in start order. */
const stackSteps = (
  options: LocalStackOptions,
  parts: Partial<Parts> & Pick<Parts, 'faults' | 'metrics' | 'queues'>,
  standInDied: (description: string) => void,
): Step[] => {
  const need = <K extends keyof Parts>(key: K): NonNullable<Parts[K]> => {
    const part = parts[key];
    if (part === undefined) throw new Error(`step order: ${key} is used before the step that starts it`);
    return part as NonNullable<Parts[K]>;
  };
  const dataApiSwitch = parts.faults.add('dataApi');
  const environments = new Map<HandlerName, ExecutionEnvironment>();
  /** Each function once: in this process, or in its own execution environment (a worker thread, started on its first invocation). */
  const loadHandler = (name: HandlerName): FunctionConfig => {
    if (options.functionIsolation !== 'thread') return loadInProcess(name);
    const spec = handlers[name];
    let environment = environments.get(name);
    if (environment === undefined) {
      environment = new ExecutionEnvironment({
        name,
        entry: path.join(ROOT, spec.entry),
        timeoutSeconds: spec.timeoutSeconds,
        memoryMb: spec.memoryMb,
      });
      environments.set(name, environment);
    }
    return { name, environment, timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb };
  };
  return [
    {
      name: 'data dir',
      start: async () => {
        // The data dir holds password hashes and the token signing key: owner-only, and so is what this process creates.
        process.umask(0o077);
        await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
        await restrictToOwner(options.dataDir);
        // PGlite gives the files it creates mode 0666 whatever the umask (inside the 0700 dir, so no one else reached them).
        return () =>
          restrictToOwner(options.dataDir).catch((error: unknown) => {
            assertIsError(error);
            options.log(`could not restrict the data dir: ${error.message}`);
          });
      },
    },
    {
      name: 'metrics',
      // AWS: CloudWatch Logs turns the EMF lines handlers write to stdout into metrics; here GET /local/metrics sums them.
      start: async () => {
        const untap = tapStdout(parts.metrics);
        return async () => untap();
      },
    },
    {
      name: 'stores',
      start: async () => {
        // The two slow starters (a JVM and an embedded Postgres) start side by side.
        const [dynamo, dataApi] = await Promise.allSettled([
          startDynamoDbLocal({
            ...dynamoDbLocalOptions(options),
            onUnexpectedExit: standInDied,
          }),
          startDataApi({
            port: options.dataApiPort,
            host: options.host,
            dataDir: path.join(options.dataDir, 'postgres'),
            unavailable: () => dataApiSwitch.down,
            onUnexpectedExit: standInDied,
          }),
        ]);
        if (dynamo.status === 'fulfilled') parts.dynamo = dynamo.value;
        if (dataApi.status === 'fulfilled') parts.dataApi = dataApi.value;
        const stop = async (): Promise<void> => {
          await parts.dataApi?.stop();
          await parts.dynamo?.stop();
        };
        if (dynamo.status === 'rejected' || dataApi.status === 'rejected') {
          await stop();
          throw dynamo.status === 'rejected' ? dynamo.reason : (dataApi as PromiseRejectedResult).reason;
        }
        return stop;
      },
    },
    {
      name: 'tables',
      start: async () => {
        // PGlite chmods its files to 0666 itself (the umask does not reach them).
        await restrictToOwner(options.dataDir);
        await createTables(need('dynamo').endpoint, TABLE_NAMES);
      },
    },
    {
      name: 'secrets manager',
      start: async () => {
        const signingKey = await loadOrCreateSigningKey(options.dataDir);
        const secrets = (parts.secrets = await startSecretsManager({
          port: options.secretsManagerPort,
          host: options.host,
          secrets: { [TOKEN_SECRET_ARN]: signingKey },
        }));
        return () => secrets.stop();
      },
    },
    {
      name: 'sqs',
      start: async () => {
        const sqs = (parts.sqs = await startSqsServer({ port: options.sqsPort, host: options.host, region: LOCAL_REGION }));
        // Every queue of the manifest, each with its dead-letter queue, as CDK creates them.
        for (const [name, spec] of Object.entries(queues) as [keyof typeof queues, (typeof queues)[keyof typeof queues]][]) {
          const deadLetters = sqs.createQueue(`presence-${name}-dlq`);
          parts.queues[name] = sqs.createQueue(`presence-${name}`, {
            visibilityTimeoutSeconds: spec.visibilityTimeoutSeconds,
            maxReceiveCount: spec.maxReceiveCount,
            deadLetterQueue: deadLetters.name,
          });
        }
        return () => sqs.stop();
      },
    },
    {
      name: 'websocket api',
      start: async () => {
        const ws = (parts.ws = await startWebSocketApi({
          port: options.wsPort,
          host: options.host,
          routeSelectionExpression: websocketRouteSelectionExpression,
          routes: websocketRoutes.map((route) => ({
            routeKey: route.routeKey,
            fn: loadHandler(route.handler),
            returnResponse: route.returnResponse,
          })),
          authorizer: { fn: loadHandler(websocketAuthorizer.handler), identitySource: websocketAuthorizer.identitySource },
          idleTimeoutSeconds: options.wsIdleTimeoutSeconds ?? 600,
          maxConnectionSeconds: options.wsMaxConnectionSeconds ?? 7200,
          log: options.log,
        }));
        // Stopped already by the last step; stopping again is a no-op.
        return () => ws.stop();
      },
    },
    {
      name: 'execution environments',
      // Stopped after everything that invokes a function (the consumers, both APIs, the schedules).
      start: async () => async () => {
        await Promise.all([...environments.values()].map((environment) => environment.stop()));
      },
    },
    {
      name: 'function environment',
      // Handlers read their configuration from the environment, as on AWS, where CDK sets the same
      // names. Set before anything invokes a handler (the steps before this one only load them), and
      // in the same turn as the WebSocket API's start, so no connection arrives in between.
      start: async () => {
        Object.assign(
          process.env,
          functionEnvironment(options, {
            ...parts,
            dynamo: need('dynamo'),
            dataApi: need('dataApi'),
            secrets: need('secrets'),
            sqs: need('sqs'),
            ws: need('ws'),
          }),
        );
      },
    },
    {
      // Stopped after the WebSocket API (see the last step), so the events of its last `$disconnect`s are still handled.
      name: 'queue consumers',
      start: async () => {
        for (const [name, spec] of Object.entries(queues) as [keyof typeof queues, (typeof queues)[keyof typeof queues]][]) {
          need('sqs').addEventSource((parts.queues[name] as LocalQueue).name, loadHandler(spec.handler), {
            batchSize: spec.batchSize,
            reportBatchItemFailures: spec.reportBatchItemFailures,
            ...('maxConcurrency' in spec ? { maxConcurrency: spec.maxConcurrency } : {}),
          });
        }
      },
    },
    {
      name: 'stream consumers',
      start: async () => {
        const pollers: StreamPoller[] = [];
        try {
          for (const consumer of streamConsumers) {
            pollers.push(
              await startStreamPoller({
                endpoint: need('dynamo').endpoint,
                tableName: TABLE_NAMES[consumer.table],
                fn: loadHandler(consumer.handler),
                ...streamMapping(consumer),
                onFailure: (info) =>
                  options.log(`${consumer.handler}: a stream batch was discarded after its retries: ${JSON.stringify(info)}`),
                region: LOCAL_REGION,
                log: options.log,
              }),
            );
          }
        } catch (error) {
          await Promise.allSettled(pollers.map((poller) => poller.stop()));
          throw error;
        }
        return async () => {
          for (const poller of pollers.reverse()) await poller.stop();
        };
      },
    },
    {
      name: 'schedules',
      start: async () => {
        // EventBridge runs them every minute on AWS; locally every PRESENCE_SWEEP_SECONDS, so tests need not wait a minute.
        const jobs = schedules.map((schedule) =>
          startSchedule({ fn: loadHandler(schedule.handler), everySeconds: options.sweepSeconds, log: options.log }),
        );
        return async () => {
          for (const job of jobs.reverse()) await job.stop();
        };
      },
    },
    {
      name: 'migrations',
      // On AWS the same migrations run at deploy time, in a custom resource.
      start: async () => {
        const dataApi = need('dataApi');
        const client = new RDSDataClient({
          endpoint: dataApi.url,
          region: LOCAL_REGION,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        });
        await applyMigrations(
          new DataApi(client, { resourceArn: dataApi.resourceArn, secretArn: dataApi.secretArn, database: dataApi.database }),
          options.log,
        );
      },
    },
    {
      name: 'http api',
      start: async () => {
        const http = (parts.http = await startHttpApi({
          port: options.httpPort,
          host: options.host,
          routes: httpRoutes.map((route) => ({ method: route.method, path: route.path, fn: loadHandler(route.handler) })),
          // The fault switch and the metrics summary (local only, never deployed) answer beside the routes, on the HTTP port.
          fallback: firstAnswer(
            faultsEndpoint(parts.faults),
            metricsEndpoint(parts.metrics),
            webClient(need('ws').url, {
              heartbeatSeconds: options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds,
              leaseSeconds: options.leaseSeconds,
              offlineGraceSeconds: options.graceSeconds,
            }),
          ),
        }));
        return () => http.stop();
      },
    },
    {
      name: 'websocket clients',
      // Last, so it stops first: closing the WebSockets runs their `$disconnect`s, which still need
      // the consumers and the stores.
      start: async () => {
        const ws = need('ws');
        return () => ws.stop();
      },
    },
  ];
};

/** The environment CDK gives every function on AWS, with this stack's endpoints. */
const functionEnvironment = (
  options: LocalStackOptions,
  parts: Pick<Parts, 'dynamo' | 'dataApi' | 'secrets' | 'sqs' | 'ws' | 'queues'>,
): Record<string, string> => ({
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION,
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  ...CONCURRENT_INVOCATIONS_ENV,
  [ENV.presenceTable]: TABLE_NAMES.presence,
  [ENV.dynamodbEndpoint]: parts.dynamo.endpoint,
  [ENV.rdsDataEndpoint]: parts.dataApi.url,
  [ENV.dbResourceArn]: parts.dataApi.resourceArn,
  [ENV.dbSecretArn]: parts.dataApi.secretArn,
  [ENV.dbName]: parts.dataApi.database,
  [ENV.tokenSecretArn]: TOKEN_SECRET_ARN,
  [ENV.secretsManagerEndpoint]: parts.secrets.url,
  [ENV.leaseSeconds]: String(options.leaseSeconds),
  [ENV.graceSeconds]: String(options.graceSeconds),
  [ENV.sweepSeconds]: String(options.sweepSeconds),
  [ENV.sweepShards]: String(LOCAL_SWEEP_SHARDS),
  [ENV.sweepBucketSeconds]: String(options.sweepBucketSeconds ?? DEFAULTS.sweepBucketSeconds),
  // PGlite never pauses (an auto-paused Aurora does, which is why AWS leaves the database out: see health.ts).
  [ENV.healthProbes]: 'presenceTable,dataApi',
  [ENV.heartbeatSeconds]: String(options.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds),
  [ENV.sqsEndpoint]: parts.sqs.endpoint,
  // The default posting budget shared as CDK shares it, counting the one stream shard DynamoDB Local has, with the
  // notifier's ParallelizationFactor batches in flight on it.
  ...pacingEnvironment(lanePaces(DEFAULTS.posting, { streamShards: 1 })),
  ...Object.fromEntries(Object.entries(queues).map(([name, spec]) => [spec.urlEnv, parts.queues[name as keyof typeof queues]?.url ?? ''])),
  // On AWS the management endpoint is the stage's callback URL, set by CDK.
  [ENV.connectionsEndpoint]: parts.ws.connectionsEndpoint,
  // On AWS the stage URL clients connect to, set by CDK; `GET /config` reports it.
  [ENV.webSocketUrl]: parts.ws.url,
});

/** Starts every step in order; on any failure, stops the steps that started, in reverse order, and rethrows. */
export const startLocalStack = async (options: LocalStackOptions): Promise<LocalStack> => {
  const started: { readonly name: string; readonly stop: Stop }[] = [];
  let stopping = false;
  const stopAll = async (): Promise<void> => {
    stopping = true;
    for (const { name, stop } of started.splice(0).reverse()) {
      await stop().catch((error: unknown) => options.log(`stop failed (${name}): ${isError(error) ? error.message : String(error)}`));
    }
  };
  const standInDied = (description: string): void => {
    if (stopping) return;
    options.log(`STAND-IN DIED: ${description}. Calls that need it fail until the stack is restarted.`);
    options.onStandInDeath?.(description);
  };
  const parts: Partial<Parts> & Pick<Parts, 'faults' | 'metrics' | 'queues'> = {
    faults: new FaultSwitchboard(),
    metrics: new MetricsRecorder(),
    queues: {},
  };
  try {
    for (const step of stackSteps(options, parts, standInDied)) {
      const stop = await step.start();
      if (stop !== undefined) started.push({ name: step.name, stop });
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  const { dynamo, dataApi, secrets, sqs, ws, http } = parts as Parts;
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
};
