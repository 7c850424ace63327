import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import {
  DEFAULTS,
  deployHandlers,
  type HandlerName,
  handlers,
  httpRoutes,
  type PostingBudget,
  queues,
  schedules,
  streamConsumers,
  tables,
  websocketAuthorizer,
  websocketRouteSelectionExpression,
  websocketRoutes,
} from './app-manifest';
import type { CapabilityResources, PresenceSettings } from './constructs/capabilities';
import { GraceQueue } from './constructs/grace-queue';
import { HttpApiRoutes, type HttpApiThrottle } from './constructs/http-api-routes';
import { PresenceMonitoring } from './constructs/monitoring';
import { PresenceEvents } from './constructs/presence-events';
import { PresenceTables } from './constructs/presence-tables';
import { SchemaMigration } from './constructs/schema-migration';
import { TokenSigningKey } from './constructs/token-signing-key';
import { UsersDatabase } from './constructs/users-database';
import { WebClientSite } from './constructs/web-client-site';
import { WebSocketApiRoutes } from './constructs/websocket-api-routes';
import { WorkQueue } from './constructs/work-queue';

/**
 * A deployment profile: the defaults of the props below that differ between a production stack and
 * a disposable one (see DEPLOYMENT_PROFILES and docs/operations.md).
 */
export type DeploymentProfile = 'production' | 'development';

/** The limits a profile sets; every one can still be overridden by its own prop. */
export interface ProfileDefaults {
  readonly databaseMinCapacity: number;
  readonly databaseReader: boolean;
  readonly reservedConcurrency: Readonly<Partial<Record<HandlerName | string, number>>>;
  readonly routeThrottles: Readonly<Record<string, HttpApiThrottle>>;
  readonly retainData: boolean;
}

/**
 * Safe production defaults, and a development profile that costs nothing when idle.
 *
 * Production: the database never pauses (0.5 ACU: no 15-30 s resume on the first request after a
 * quiet spell, review M8) and has a reader in a second Availability Zone (fail-over in about a
 * minute). Reserved concurrency keeps the delivery pipeline running when a storm of requests
 * takes the account's pool (review M7): 450 of the default 1,000 are reserved in all, leaving 550
 * to the routes (raise the account quota before raising these). Log-in and sign-up get their own
 * throttles, far below the stage's 1,000 rps, so a guessing or sign-up flood is refused at the
 * edge before it costs Lambda time (sign-up hashes for about 100 ms).
 *
 * Development: 0 ACU (pauses after 5 idle minutes), no reader, no reserved concurrency (new
 * accounts may have a concurrency quota of 10, which any reservation would exceed), data deleted
 * with the stack.
 */
export const DEPLOYMENT_PROFILES: Readonly<Record<DeploymentProfile, ProfileDefaults>> = {
  production: {
    databaseMinCapacity: 0.5,
    databaseReader: true,
    reservedConcurrency: { notify: 200, fanOut: 150, deliveryRetry: 30, graceExpired: 50, sweep: 2, sweepShard: 64 },
    routeThrottles: { 'POST /sessions': { rateLimit: 50, burstLimit: 100 }, 'POST /users': { rateLimit: 10, burstLimit: 20 } },
    retainData: true,
  },
  development: {
    databaseMinCapacity: 0,
    databaseReader: false,
    reservedConcurrency: {},
    routeThrottles: { 'POST /sessions': { rateLimit: 10, burstLimit: 20 }, 'POST /users': { rateLimit: 5, burstLimit: 10 } },
    retainData: false,
  },
};

/** Clients heartbeat every `heartbeatSeconds`; a lease shorter than 2.5 heartbeats makes active users flap offline. */
export const MIN_LEASE_PER_HEARTBEAT = 2.5;

/** Props of {@link PresenceStack}; every one has a default fit for a first deploy. */
export interface PresenceStackProps extends StackProps {
  /**
   * The defaults of the sizing and safety props below (DEPLOYMENT_PROFILES).
   * @default 'production'
   */
  readonly profile?: DeploymentProfile;
  /**
   * Email address that every alarm is sent to (the address must confirm the subscription). Without
   * one, the alarms still go to the SNS topic (output `AlarmTopicArn`): subscribe a pager to it.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * X-Ray active tracing on every function (adds a trace segment per invocation, about $5 per
   * million traces recorded beyond the free tier).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * CloudWatch namespace of the handlers' metrics; the stack name is their `service` dimension.
   * @default 'Presence'
   */
  readonly metricsNamespace?: string;
  /**
   * Reserved concurrency by handler name (a handler the manifest does not have is ignored): the
   * most it may run at once, and never less while the account is busy.
   * @default the profile's (production: notify 200, fanOut 150, deliveryRetry 30, graceExpired 50, sweep 2, sweepShard 64)
   */
  readonly reservedConcurrency?: Readonly<Partial<Record<HandlerName | string, number>>>;
  /**
   * Limits for single HTTP routes, by route key, tighter than the stage's.
   * @default the profile's (production: POST /sessions 50 rps burst 100, POST /users 10 rps burst 20)
   */
  readonly routeThrottles?: Readonly<Record<string, HttpApiThrottle>>;
  /**
   * A Serverless v2 reader in a second Availability Zone (the fail-over target).
   * @default the profile's (production: true, development: false)
   */
  readonly databaseReader?: boolean;
  /**
   * Aurora Serverless v2 minimum ACUs; 0 pauses the database when idle (cheapest, first request
   * after a pause waits for the resume, 15-30 s).
   * @default the profile's (production: 0.5, development: 0)
   */
  readonly databaseMinCapacity?: number;
  /**
   * Aurora Serverless v2 maximum ACUs.
   * @default 4
   */
  readonly databaseMaxCapacity?: number;
  /**
   * Lease of a connection or HTTP heartbeat, in seconds.
   * @default 150
   */
  readonly leaseSeconds?: number;
  /**
   * Offline grace after a user's last disconnect, in seconds (0 turns flap suppression off).
   * @default 3
   */
  readonly graceSeconds?: number;
  /**
   * Shards of the sweep index (no hot partition), each swept by its own worker every minute; at
   * most `reservedConcurrency.sweepShard` when that is set (production: 64).
   * @default 16
   */
  readonly sweepShards?: number;
  /**
   * Heartbeat interval clients are told to use, in seconds.
   * @default 60
   */
  readonly heartbeatSeconds?: number;
  /**
   * The posting budget: `@connections` calls per second (and burst) that all presence posts
   * together may make, i.e. the share of the account's API Gateway request quota left after inbound
   * frames and HTTP requests, and the presence stream's shard count. Each posting lane gets its
   * `shares` (notifier 60 %, fan-out 35 %, retries 5 %), split evenly by the lane's invocations
   * (notifier lanes = shards x 4, 10 fan-out and 2 retry consumers; docs/scaling.md): a larger
   * fan-out share lets one popular user reach more watchers within 10 s. Synth fails on shares
   * that are not positive or add up to more than 1.
   * @default 5,000/s, burst 2,500 (half the default account quota), 4 shards, shares 0.6 / 0.35 / 0.05
   */
  readonly posting?: Partial<PostingBudget>;
  /**
   * Lifetime of issued bearer tokens, in seconds.
   * @default 604800 (7 days)
   */
  readonly tokenTtlSeconds?: number;
  /**
   * HTTP API steady-state limit, requests per second, for the whole stage.
   * @default 1000
   */
  readonly throttleRate?: number;
  /**
   * HTTP API burst limit, requests, for the whole stage.
   * @default 2000
   */
  readonly throttleBurst?: number;
  /**
   * Name of the WebSocket API's stage, the last segment of the URL clients connect to.
   * @default 'live'
   */
  readonly webSocketStageName?: string;
  /**
   * WebSocket API steady-state limit, messages per second (connects included), for the whole stage.
   * @default 1000
   */
  readonly webSocketThrottleRate?: number;
  /**
   * WebSocket API burst limit, messages, for the whole stage.
   * @default 2000
   */
  readonly webSocketThrottleBurst?: number;
  /**
   * Access logs for the WebSocket stage. They need the account's API Gateway CloudWatch Logs role
   * (`aws apigateway update-account --patch-operations op=replace,path=/cloudwatchRoleArn,value=<role arn>`).
   * @default false
   */
  readonly webSocketAccessLogs?: boolean;
  /**
   * Keep the data when the stack or a resource is deleted: tables are retained and deletion
   * protected, the database is deletion protected and snapshotted on removal, and the secrets
   * the data needs (the token signing key, the database master password) are retained. Set to
   * false only for disposable (development, CI) stacks.
   * @default the profile's (production: true, development: false)
   */
  readonly retainData?: boolean;
  /**
   * Absolute path of the repository root, where handler entries and `package-lock.json` live.
   * @default the parent of this file's folder
   */
  readonly projectRoot?: string;
}

/**
 * The presence service: the HTTP and WebSocket APIs and their handlers, the event-driven handlers
 * (stream notifier, offline-grace timer, sweeper), the presence table, the users database (with
 * its deploy-time migration), the token signing key and the web client (CloudFront over a private
 * bucket, configured with the two API URLs), all sized by the props. Every handler of the app
 * manifest is deployed exactly once.
 */
export class PresenceStack extends Stack {
  /** The DynamoDB tables. */
  public readonly tables: PresenceTables;
  /** The Aurora users database. */
  public readonly database: UsersDatabase;
  /** The bearer-token signing key. */
  public readonly tokenSigningKey: TokenSigningKey;
  /** The deploy-time schema migration. */
  public readonly schemaMigration: SchemaMigration;
  /** The HTTP API and its handler functions. */
  public readonly httpApi: HttpApiRoutes;
  /** The offline-grace timer queue. */
  public readonly graceQueue: GraceQueue;
  /** The fan-out queue (pages of large fan-outs) and the delivery-retry queue (per-connection post retries). */
  public readonly deliveryQueues: { readonly fanOut: WorkQueue; readonly deliveryRetry: WorkQueue };
  /** The sweep queue: one message per shard every minute, each swept by its own worker. */
  public readonly sweepQueue: WorkQueue;
  /** The WebSocket API, its stage, and its route and authorizer functions. */
  public readonly webSocketApi: WebSocketApiRoutes;
  /** The stream, queue and schedule consumers. */
  public readonly events: PresenceEvents;
  /** The web client: its bucket, distribution and deployment. */
  public readonly webClient: WebClientSite;
  /** Alarms, their SNS topic and the dashboard. */
  public readonly monitoring: PresenceMonitoring;

  constructor(scope: Construct, id: string, props: PresenceStackProps = {}) {
    super(scope, id, props);
    const projectRoot = props.projectRoot ?? path.resolve(__dirname, '..');
    const profile = DEPLOYMENT_PROFILES[props.profile ?? 'production'];
    if (profile === undefined)
      throw new Error(`Unknown profile "${props.profile}"; profiles: ${Object.keys(DEPLOYMENT_PROFILES).join(', ')}`);
    const retainData = props.retainData ?? profile.retainData;
    const settings: PresenceSettings = {
      leaseSeconds: props.leaseSeconds ?? DEFAULTS.leaseSeconds,
      graceSeconds: props.graceSeconds ?? DEFAULTS.graceSeconds,
      sweepShards: props.sweepShards ?? DEFAULTS.sweepShards,
      heartbeatSeconds: props.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds,
      tokenTtlSeconds: props.tokenTtlSeconds ?? DEFAULTS.tokenTtlSeconds,
      metricsNamespace: props.metricsNamespace ?? DEFAULTS.metricsNamespace,
      serviceName: this.stackName,
      posting: { ...DEFAULTS.posting, ...props.posting },
    };
    if (settings.leaseSeconds < MIN_LEASE_PER_HEARTBEAT * settings.heartbeatSeconds) {
      throw new Error(
        `leaseSeconds (${settings.leaseSeconds}) must be at least ${MIN_LEASE_PER_HEARTBEAT} x heartbeatSeconds (${settings.heartbeatSeconds}) = ` +
          `${MIN_LEASE_PER_HEARTBEAT * settings.heartbeatSeconds}: with a shorter lease, one late heartbeat makes an active user flap offline`,
      );
    }
    const tracing = props.tracing ?? false;
    const databaseMaxCapacity = props.databaseMaxCapacity ?? 4;

    this.tables = new PresenceTables(this, 'Tables', {
      tables,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: retainData,
    });
    this.database = new UsersDatabase(this, 'UsersDatabase', {
      minCapacity: props.databaseMinCapacity ?? profile.databaseMinCapacity,
      maxCapacity: databaseMaxCapacity,
      reader: props.databaseReader ?? profile.databaseReader,
      removalPolicy: retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      deletionProtection: retainData,
    });
    this.tokenSigningKey = new TokenSigningKey(this, 'TokenSigningKey', {
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.graceQueue = new GraceQueue(this, 'GraceQueue', {
      visibilityTimeout: Duration.seconds(queues.grace.visibilityTimeoutSeconds),
      maxReceiveCount: queues.grace.maxReceiveCount,
    });

    this.deliveryQueues = {
      fanOut: new WorkQueue(this, 'FanOutQueue', {
        visibilityTimeout: Duration.seconds(queues.fanOut.visibilityTimeoutSeconds),
        maxReceiveCount: queues.fanOut.maxReceiveCount,
        deadLetterMeaning: 'Fan-out pages failed repeatedly: watchers of a popular user may have missed a presence change.',
      }),
      deliveryRetry: new WorkQueue(this, 'DeliveryRetryQueue', {
        visibilityTimeout: Duration.seconds(queues.deliveryRetry.visibilityTimeoutSeconds),
        maxReceiveCount: queues.deliveryRetry.maxReceiveCount,
        deadLetterMeaning:
          'Post retries failed repeatedly and their connections could not be closed: those clients may have missed a presence change.',
      }),
    };

    this.sweepQueue = new WorkQueue(this, 'SweepQueue', {
      visibilityTimeout: Duration.seconds(queues.sweep.visibilityTimeoutSeconds),
      maxReceiveCount: queues.sweep.maxReceiveCount,
      // Short: a shard's next message comes a minute later; an old one only sweeps again what is left.
      retentionPeriod: Duration.hours(1),
      deadLetterMeaning:
        "A shard's sweep failed repeatedly (its watermark could not be read or written): users of that shard whose leases ran out may still show online.",
    });

    const shared = {
      presenceTable: this.tables.presence,
      database: this.database,
      tokenSigningKey: this.tokenSigningKey.secret,
      graceQueue: this.graceQueue.queue,
      fanOutQueue: this.deliveryQueues.fanOut.queue,
      deliveryRetryQueue: this.deliveryQueues.deliveryRetry.queue,
      sweepQueue: this.sweepQueue.queue,
    };
    // The WebSocket API comes first: it creates the stage that the `connections` capability of
    // the other handlers maps to (its own route handlers get the stage from inside).
    this.webSocketApi = new WebSocketApiRoutes(this, 'WebSocketApi', {
      routes: websocketRoutes,
      routeSelectionExpression: websocketRouteSelectionExpression,
      authorizer: websocketAuthorizer,
      handlers,
      projectRoot,
      settings,
      tracing,
      resources: shared,
      stageName: props.webSocketStageName,
      throttle: { rateLimit: props.webSocketThrottleRate ?? 1000, burstLimit: props.webSocketThrottleBurst ?? 2000 },
      accessLogs: props.webSocketAccessLogs ?? false,
    });

    const resources: CapabilityResources = { ...shared, webSocketStage: this.webSocketApi.stage };

    this.schemaMigration = new SchemaMigration(this, 'SchemaMigration', {
      spec: deployHandlers.migrate,
      after: this.database.cluster,
      projectRoot,
      settings,
      tracing,
      resources,
    });

    this.httpApi = new HttpApiRoutes(this, 'HttpApi', {
      routes: httpRoutes,
      handlers,
      projectRoot,
      settings,
      tracing,
      resources,
      throttle: { rateLimit: props.throttleRate ?? 1000, burstLimit: props.throttleBurst ?? 2000 },
      routeThrottles: props.routeThrottles ?? profile.routeThrottles,
    });

    this.events = new PresenceEvents(this, 'Events', {
      handlers,
      streamConsumers,
      tables: this.tables.tables,
      queueConsumers: [
        { spec: queues.grace, queue: this.graceQueue.queue },
        { spec: queues.fanOut, queue: this.deliveryQueues.fanOut.queue },
        { spec: queues.deliveryRetry, queue: this.deliveryQueues.deliveryRetry.queue },
        // Every shard's worker can run at once (MaximumConcurrency is 2-1,000).
        {
          spec: { ...queues.sweep, maxConcurrency: Math.min(1_000, Math.max(queues.sweep.maxConcurrency, settings.sweepShards)) },
          queue: this.sweepQueue.queue,
        },
      ],
      schedules,
      projectRoot,
      settings,
      tracing,
      resources,
    });

    // No handler exists before the schema it queries: on a first deploy the APIs and the stream
    // mapping cannot call a function before the `users` table exists, and on later deploys new
    // code waits for the migrations it needs.
    for (const functions of [this.httpApi.functions, this.webSocketApi.functions, this.events.functions]) {
      for (const handler of functions.values()) handler.function.node.addDependency(this.schemaMigration.resource);
    }

    this.webClient = new WebClientSite(this, 'WebClient', {
      httpStage: this.httpApi.stage,
      webSocketStage: this.webSocketApi.stage,
      timing: {
        heartbeatSeconds: settings.heartbeatSeconds,
        leaseSeconds: settings.leaseSeconds,
        offlineGraceSeconds: settings.graceSeconds,
      },
      projectRoot,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    const functions = new Map<string, lambda.Function>(
      [this.httpApi.functions, this.webSocketApi.functions, this.events.functions].flatMap((byName) =>
        [...byName].map(([name, fn]): [string, lambda.Function] => [name, fn.function]),
      ),
    );
    const reservedConcurrency = props.reservedConcurrency ?? profile.reservedConcurrency;
    const sweepWorkers = reservedConcurrency.sweepShard;
    if (sweepWorkers !== undefined && sweepWorkers < settings.sweepShards) {
      throw new Error(
        `reservedConcurrency.sweepShard (${sweepWorkers}) must be at least sweepShards (${settings.sweepShards}): every shard's sweep worker runs at once, the rest would be throttled`,
      );
    }
    for (const [name, fn] of functions) {
      const reserved = reservedConcurrency[name];
      if (reserved !== undefined) (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = reserved;
    }

    const notifier = this.events.functions.get('notify');
    const sweeper = this.events.functions.get('sweep');
    if (notifier === undefined || sweeper === undefined) throw new Error('The manifest has no notify or sweep handler to monitor');
    this.monitoring = new PresenceMonitoring(this, 'Monitoring', {
      alarmEmail: props.alarmEmail,
      metricsNamespace: settings.metricsNamespace,
      serviceName: settings.serviceName,
      functions,
      notifier: { fn: notifier.function, timeout: Duration.seconds(handlers.notify.timeoutSeconds) },
      sweeper: sweeper.function,
      deadLetterQueues: unalarmedDeadLetterQueues(this, [...this.events.streamFailures.values()]),
      httpApi: this.httpApi.api,
      webSocketApi: this.webSocketApi.api,
      webSocketStageName: this.webSocketApi.stage.stageName,
      table: this.tables.presence,
      indexNames: (tables.presence.globalSecondaryIndexes ?? []).map((index) => index.indexName),
      cluster: this.database.cluster,
      databaseMaxCapacity,
    });
    // Last, so that alarms made anywhere in the stack (the queues', the events') notify the topic too.
    this.monitoring.notifyOnEveryAlarm(this);

    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic every alarm notifies (subscribe a pager or chat integration)',
      value: this.monitoring.topic.topicArn,
    });
    new CfnOutput(this, 'DashboardName', {
      description: 'CloudWatch dashboard with the golden signals',
      value: this.monitoring.dashboard.dashboardName,
    });
    new CfnOutput(this, 'HttpApiUrl', {
      description: 'Base URL of the HTTP API',
      value: this.httpApi.url,
    });
    new CfnOutput(this, 'WebSocketUrl', {
      description: 'URL WebSocket clients connect to (add ?token=<token>)',
      value: this.webSocketApi.url,
    });
    new CfnOutput(this, 'WebClientUrl', {
      description: 'URL of the web client',
      value: this.webClient.url,
    });
  }
}

/**
 * The dead-letter queues (queues some queue redrives to, and the given on-failure destinations)
 * that no alarm of the stack watches yet, so each gets exactly one depth alarm, whoever added it.
 */
const unalarmedDeadLetterQueues = (root: IConstruct, onFailureDestinations: readonly sqs.IQueue[]): sqs.IQueue[] => {
  const constructs = root.node.findAll();
  const redriveTargets = constructs.flatMap((construct) =>
    construct instanceof sqs.Queue && construct.deadLetterQueue !== undefined ? [construct.deadLetterQueue.queue] : [],
  );
  const watched = new Set(
    constructs.flatMap((construct) => {
      if (!(construct instanceof cloudwatch.Alarm) || !(construct.metric instanceof cloudwatch.Metric)) return [];
      const queueName = construct.metric.dimensions?.QueueName;
      return typeof queueName === 'string' ? [queueName] : [];
    }),
  );
  return [...new Set([...redriveTargets, ...onFailureDestinations])].filter((queue) => !watched.has(queue.queueName));
};
