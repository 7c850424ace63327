import { Validations } from 'aws-cdk-lib';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as rds from 'aws-cdk-lib/aws-rds';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { ATTEMPT_COUNTER_KEY_PREFIX, type Capability, ENV, lanePaces, type PostingBudget, pacingEnvironment } from '../app-manifest';
import { wildcardArnFinding, wildcardResourceFinding } from './nag';

/** The users database as handlers reach it: through the Data API, over HTTPS, never in a VPC. */
export interface DataApiDatabase {
  /** The cluster, with the Data API enabled. */
  readonly cluster: rds.IDatabaseCluster;
  /** The credentials the Data API connects with (the cluster's generated secret). */
  readonly secret: secretsmanager.ISecret;
  /** The database the handlers query. */
  readonly databaseName: string;
}

/** The shared resources that handler capabilities map to. */
export interface CapabilityResources {
  /** Backs `presenceTable`. */
  readonly presenceTable: dynamodb.ITableV2;
  /** Backs `database`. */
  readonly database: DataApiDatabase;
  /** Backs `tokens`: its SecretString is the HS256 signing key. */
  readonly tokenSigningKey: secretsmanager.ISecret;
  /** Backs `connections` (the stage whose `@connections` API handlers post to, query and close) and `webSocketUrl` (its client URL). */
  readonly webSocketStage: apigwv2.WebSocketStage;
  /** Backs `graceQueue`: the offline-grace timer queue handlers send delayed messages to. */
  readonly graceQueue: sqs.IQueue;
  /** Backs `fanOutQueue`: the pages of large fan-outs. */
  readonly fanOutQueue: sqs.IQueue;
  /** Backs `deliveryRetryQueue`: per-connection post retries, delayed by their backoff. */
  readonly deliveryRetryQueue: sqs.IQueue;
  /** Backs `sweepQueue`: one sweep task per shard, from the sweep planner. */
  readonly sweepQueue: sqs.IQueue;
}

/** Tunables every handler receives as environment variables (see `DEFAULTS` in the manifest). */
export interface PresenceSettings {
  /** Lease of a connection or HTTP heartbeat, in seconds. */
  readonly leaseSeconds: number;
  /** Flap suppression after a user's last disconnect, in seconds (0 turns it off). */
  readonly graceSeconds: number;
  /** Number of shards the sweep index spreads leases over. */
  readonly sweepShards: number;
  /** How often clients are told to send a heartbeat, in seconds. */
  readonly heartbeatSeconds: number;
  /** Lifetime of an issued token, in seconds. */
  readonly tokenTtlSeconds: number;
  /** CloudWatch namespace of the handlers' EMF metrics. */
  readonly metricsNamespace: string;
  /** The `service` key of every log line and the `service` dimension of every metric (the stack name). */
  readonly serviceName: string;
  /** What all posts together may spend of the account's API Gateway quota, and the stream shards the notifier reads. */
  readonly posting: PostingBudget;
}

/** The environment every handler gets, whatever it uses. */
export const settingsEnvironment = (settings: PresenceSettings): Record<string, string> => ({
  [ENV.leaseSeconds]: String(settings.leaseSeconds),
  [ENV.graceSeconds]: String(settings.graceSeconds),
  [ENV.sweepShards]: String(settings.sweepShards),
  [ENV.heartbeatSeconds]: String(settings.heartbeatSeconds),
  [ENV.tokenTtlSeconds]: String(settings.tokenTtlSeconds),
  [ENV.metricsNamespace]: settings.metricsNamespace,
  [ENV.serviceName]: settings.serviceName,
  ...pacingEnvironment(lanePaces(settings.posting, { streamShards: settings.posting.streamShards }, settings.posting.shares)),
  // Stack traces point at the TypeScript sources (the bundles ship their source maps).
  NODE_OPTIONS: '--enable-source-maps',
});

const acknowledgeIndexWildcard = (fn: lambda.Function, table: dynamodb.ITableV2): void => {
  const finding = wildcardResourceFinding(table, 'Arn', '/index/*');
  if (finding === undefined || fn.role === undefined) return;
  Validations.of(fn.role).acknowledge({
    id: finding,
    reason:
      'grantReadWriteData adds the indexes of this one table (`<table arn>/index/*`): index reads expose nothing ' +
      'the table grant does not already allow, and no other table is reachable.',
  });
};

const acknowledgeConnectionsWildcard = (fn: lambda.Function, grant: iam.Grant): void => {
  if (fn.role === undefined) return;
  for (const arn of grant.principalStatements.flatMap((statement) => statement.resources)) {
    Validations.of(fn.role).acknowledge({
      id: wildcardArnFinding(fn, arn),
      reason:
        'The @connections management API is authorized per connection (`<api>/<stage>/<method>/@connections/<id>`) and ' +
        'connection ids only exist at run time; the grant is scoped to this API and stage, and the method wildcard ' +
        'is what lets the handler post to (POST), look up (GET) and close (DELETE) a connection.',
    });
  }
};

/** Time left for a Data API resume wait in a function of `timeoutSeconds`: all but 3 s, at most 25 s. */
export const dataApiResumeWaitMs = (timeoutSeconds: number): number => Math.min(25_000, Math.max(0, (timeoutSeconds - 3) * 1000));

/**
 * Gives a function what its declared capabilities need: the environment variables its
 * configuration reads at cold start, and the IAM grants, nothing more. This is the one place a
 * capability is mapped; a capability without a case here fails the synth instead of deploying a
 * handler that would fail at run time.
 */
export function grantCapabilities(fn: lambda.Function, uses: readonly Capability[], resources: CapabilityResources): void {
  for (const capability of uses) {
    switch (capability) {
      case 'presenceTable':
        fn.addEnvironment(ENV.presenceTable, resources.presenceTable.tableName);
        resources.presenceTable.grantReadWriteData(fn);
        acknowledgeIndexWildcard(fn, resources.presenceTable);
        break;
      case 'presenceTableRead':
        fn.addEnvironment(ENV.presenceTable, resources.presenceTable.tableName);
        // What the read-only routes call (PresenceStore.load and loadMany), on the table and not its
        // index: no Query, no Scan, no write.
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem'],
          resourceArns: [resources.presenceTable.tableArn],
        });
        break;
      case 'logInAttempts':
        fn.addEnvironment(ENV.presenceTable, resources.presenceTable.tableName);
        // One conditional UpdateItem per attempt, on the counters' own items only.
        iam.Grant.addToPrincipal({
          grantee: fn,
          actions: ['dynamodb:UpdateItem'],
          resourceArns: [resources.presenceTable.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${ATTEMPT_COUNTER_KEY_PREFIX}*`] } },
        });
        break;
      case 'database':
        fn.addEnvironment(ENV.dbResourceArn, resources.database.cluster.clusterArn);
        fn.addEnvironment(ENV.dbSecretArn, resources.database.secret.secretArn);
        fn.addEnvironment(ENV.dbName, resources.database.databaseName);
        // A resume (~15 s from 0 ACU) must not outlast the function: past its timeout API Gateway would
        // answer its own non-contract 500/503 instead of the handler's `internal` (review M8).
        fn.addEnvironment(ENV.dataApiResumeWaitMs, String(dataApiResumeWaitMs(fn.timeout?.toSeconds() ?? 3)));
        // Also grants read on the cluster's secret (aws-cdk#29544).
        resources.database.cluster.grantDataApiAccess(fn);
        break;
      case 'tokens':
        fn.addEnvironment(ENV.tokenSecretArn, resources.tokenSigningKey.secretArn);
        resources.tokenSigningKey.grantRead(fn);
        break;
      case 'connections':
        // The stage's own https callback URL, not one rebuilt from the event's domain name.
        fn.addEnvironment(ENV.connectionsEndpoint, resources.webSocketStage.callbackUrl);
        // execute-api:ManageConnections on <api>/<stage>/*/@connections/*: POST, GET and DELETE.
        acknowledgeConnectionsWildcard(fn, resources.webSocketStage.grantManagementApiAccess(fn));
        break;
      case 'graceQueue':
        fn.addEnvironment(ENV.graceQueueUrl, resources.graceQueue.queueUrl);
        resources.graceQueue.grantSendMessages(fn);
        break;
      case 'webSocketUrl':
        // The URL clients connect to (`wss://…/{stage}`), told to them by `GET /config`; no grant needed.
        fn.addEnvironment(ENV.webSocketUrl, resources.webSocketStage.url);
        break;
      // Send only: a consumer's receive and delete rights come with its event source mapping.
      case 'fanOutQueue':
        fn.addEnvironment(ENV.fanOutQueueUrl, resources.fanOutQueue.queueUrl);
        resources.fanOutQueue.grantSendMessages(fn);
        break;
      case 'deliveryRetryQueue':
        fn.addEnvironment(ENV.deliveryRetryQueueUrl, resources.deliveryRetryQueue.queueUrl);
        resources.deliveryRetryQueue.grantSendMessages(fn);
        break;
      case 'sweepQueue':
        fn.addEnvironment(ENV.sweepQueueUrl, resources.sweepQueue.queueUrl);
        resources.sweepQueue.grantSendMessages(fn);
        break;
      default:
        throw new Error(
          `Capability "${String(capability)}" has no CDK wiring: add a case to grantCapabilities (lib/constructs/capabilities.ts)`,
        );
    }
  }
}
