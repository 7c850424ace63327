import * as path from 'node:path';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  DEFAULTS,
  deployHandlers,
  handlers,
  httpRoutes,
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
import { HttpApiRoutes } from './constructs/http-api-routes';
import { PresenceEvents } from './constructs/presence-events';
import { PresenceTables } from './constructs/presence-tables';
import { SchemaMigration } from './constructs/schema-migration';
import { TokenSigningKey } from './constructs/token-signing-key';
import { UsersDatabase } from './constructs/users-database';
import { WebClientSite } from './constructs/web-client-site';
import { WebSocketApiRoutes } from './constructs/websocket-api-routes';

/** Props of {@link PresenceStack}; every one has a default fit for a first deploy. */
export interface PresenceStackProps extends StackProps {
  /**
   * Aurora Serverless v2 minimum ACUs; 0 pauses the database when idle (cheapest, first request
   * after a pause waits for the resume). Use 0.5 or more where that wait is not acceptable.
   * @default 0
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
   * Shards of the sweep index (parallel sweepers, no hot partition).
   * @default 16
   */
  readonly sweepShards?: number;
  /**
   * Heartbeat interval clients are told to use, in seconds.
   * @default 60
   */
  readonly heartbeatSeconds?: number;
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
   * protected, the database is deletion protected and snapshotted on removal. Set to false
   * only for disposable (development, CI) stacks.
   * @default true
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
  /** The WebSocket API, its stage, and its route and authorizer functions. */
  public readonly webSocketApi: WebSocketApiRoutes;
  /** The stream, queue and schedule consumers. */
  public readonly events: PresenceEvents;
  /** The web client: its bucket, distribution and deployment. */
  public readonly webClient: WebClientSite;

  constructor(scope: Construct, id: string, props: PresenceStackProps = {}) {
    super(scope, id, props);
    const projectRoot = props.projectRoot ?? path.resolve(__dirname, '..');
    const retainData = props.retainData ?? true;
    const settings: PresenceSettings = {
      leaseSeconds: props.leaseSeconds ?? DEFAULTS.leaseSeconds,
      graceSeconds: props.graceSeconds ?? DEFAULTS.graceSeconds,
      sweepShards: props.sweepShards ?? DEFAULTS.sweepShards,
      heartbeatSeconds: props.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds,
      tokenTtlSeconds: props.tokenTtlSeconds ?? DEFAULTS.tokenTtlSeconds,
    };

    this.tables = new PresenceTables(this, 'Tables', {
      tables,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: retainData,
    });
    this.database = new UsersDatabase(this, 'UsersDatabase', {
      minCapacity: props.databaseMinCapacity ?? 0,
      maxCapacity: props.databaseMaxCapacity ?? 4,
      removalPolicy: retainData ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
      deletionProtection: retainData,
    });
    this.tokenSigningKey = new TokenSigningKey(this, 'TokenSigningKey');

    this.graceQueue = new GraceQueue(this, 'GraceQueue', {
      visibilityTimeout: Duration.seconds(queues.grace.visibilityTimeoutSeconds),
      maxReceiveCount: queues.grace.maxReceiveCount,
    });

    const shared = {
      presenceTable: this.tables.presence,
      database: this.database,
      tokenSigningKey: this.tokenSigningKey.secret,
      graceQueue: this.graceQueue.queue,
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
      resources,
    });

    this.httpApi = new HttpApiRoutes(this, 'HttpApi', {
      routes: httpRoutes,
      handlers,
      projectRoot,
      settings,
      resources,
      throttle: { rateLimit: props.throttleRate ?? 1000, burstLimit: props.throttleBurst ?? 2000 },
    });

    this.events = new PresenceEvents(this, 'Events', {
      handlers,
      streamConsumers,
      tables: this.tables.tables,
      queueConsumers: [{ spec: queues.grace, queue: this.graceQueue.queue }],
      schedules,
      projectRoot,
      settings,
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
      timing: { heartbeatSeconds: settings.heartbeatSeconds, leaseSeconds: settings.leaseSeconds, offlineGraceSeconds: settings.graceSeconds },
      projectRoot,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
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
