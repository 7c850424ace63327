/**
 * The adapters every handler shares, built once per execution environment (module scope, reused
 * across invocations) from configuration alone: the same code runs on AWS and locally, where only
 * the endpoints differ.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS, ENV } from '../../lib/app-manifest';
import { ApiGatewayConnectionGateway } from '../adapters/api-gateway-connection-gateway';
import { DataApi } from '../adapters/data-api';
import { DataApiUserDirectory } from '../adapters/data-api-user-directory';
import { DynamoDbConnectionRegistry } from '../adapters/dynamodb-connection-registry';
import { DynamoDbDueUsers } from '../adapters/dynamodb-due-users';
import { DynamoDbFailureCounter } from '../adapters/dynamodb-failure-counter';
import { DynamoDbPresenceStore } from '../adapters/dynamodb-presence-store';
import { JwtTokenService } from '../adapters/jwt-token-service';
import { ScryptPasswordHasher } from '../adapters/scrypt-password-hasher';
import { cachedSecret } from '../adapters/secrets';
import { SqsGraceTimer } from '../adapters/sqs-grace-timer';
import { ConnectionService } from '../domain/connection-service';
import { Notifier } from '../domain/notifier';
import { Sweeper } from '../domain/sweeper';
import { type PresencePolicy, policyFromSeconds } from '../domain/presence';
import { PresenceService } from '../domain/presence-service';
import type { Clock, FailureCounter, GraceTimer, PasswordHasher, TokenService, UserDirectory } from '../ports';
import { numberEnv, optionalEnv, requireEnv } from './config';
import { logger } from './logger';

export const clock: Clock = () => Date.now();

const once = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

/** Presence rules from configuration. */
export const presencePolicy = once((): PresencePolicy =>
  policyFromSeconds(numberEnv(ENV.leaseSeconds, DEFAULTS.leaseSeconds), numberEnv(ENV.graceSeconds, DEFAULTS.graceSeconds)),
);

export const heartbeatSeconds = (): number => numberEnv(ENV.heartbeatSeconds, DEFAULTS.heartbeatSeconds);

export const dynamoDocumentClient = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: optionalEnv(ENV.dynamodbEndpoint) }), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);

export const presenceTableName = once(() => requireEnv(ENV.presenceTable));

export const userDirectory = once((): UserDirectory => {
  const client = new RDSDataClient({ endpoint: optionalEnv(ENV.rdsDataEndpoint) });
  const db = new DataApi(client, {
    resourceArn: requireEnv(ENV.dbResourceArn),
    secretArn: requireEnv(ENV.dbSecretArn),
    database: requireEnv(ENV.dbName),
  });
  return new DataApiUserDirectory(db);
});

export const tokenService = once((): TokenService => {
  const secrets = new SecretsManagerClient({ endpoint: optionalEnv(ENV.secretsManagerEndpoint) });
  const secret = cachedSecret(secrets, requireEnv(ENV.tokenSecretArn));
  const encoder = new TextEncoder();
  return new JwtTokenService(async () => encoder.encode(await secret()), {
    ttlSeconds: numberEnv(ENV.tokenTtlSeconds, DEFAULTS.tokenTtlSeconds),
    clock,
  });
});

export const passwordHasher = once((): PasswordHasher => new ScryptPasswordHasher());

export const presenceStore = once(
  () =>
    new DynamoDbPresenceStore(dynamoDocumentClient(), presenceTableName(), {
      policy: presencePolicy(),
      sweepShards: numberEnv(ENV.sweepShards, DEFAULTS.sweepShards),
      sweepBucketMs: SWEEP_BUCKET_MS,
    }),
);

/** Sweep index buckets are one minute wide: EventBridge's finest schedule on AWS. */
export const SWEEP_BUCKET_MS = 60_000;

export const presenceService = once(
  () => new PresenceService({ store: presenceStore(), policy: presencePolicy(), clock }),
);

/** Failed log-ins per account name: at most LOGIN_FAILURE_LIMIT per 15-minute window. */
export const LOGIN_FAILURE_LIMIT = 10;

export const loginFailures = once(
  (): FailureCounter =>
    new DynamoDbFailureCounter(dynamoDocumentClient(), presenceTableName(), { prefix: 'login', windowMs: 15 * 60_000, clock }),
);

export const connectionRegistry = once(() => new DynamoDbConnectionRegistry(dynamoDocumentClient(), presenceTableName()));

/** The `@connections` endpoint: the stage's callback URL on AWS, the emulator's locally. */
export const connectionGateway = once(
  () => new ApiGatewayConnectionGateway(new ApiGatewayManagementApiClient({ endpoint: requireEnv(ENV.connectionsEndpoint) })),
);

export const graceTimer = once(
  (): GraceTimer => new SqsGraceTimer(new SQSClient({ endpoint: optionalEnv(ENV.sqsEndpoint) }), requireEnv(ENV.graceQueueUrl), clock),
);

export const connectionService = once(
  () =>
    new ConnectionService({
      presence: presenceService(),
      store: presenceStore(),
      registry: connectionRegistry(),
      // Resolved on first use: only the routes that need them get their configuration.
      directory: { findMany: (ids) => userDirectory().findMany(ids) },
      graceTimer: { schedule: (userId, at) => graceTimer().schedule(userId, at) },
      clock,
    }),
);

export const notifier = once(
  () =>
    new Notifier({
      registry: connectionRegistry(),
      gateway: connectionGateway(),
      // A 410 means the client is gone: clean up as its $disconnect would (which may never come),
      // including watches that outlived their connection item.
      onGone: async (connectionId, userId, watched) => {
        await connectionRegistry().unsubscribe(connectionId, watched);
        await connectionService().disconnect(connectionId, userId);
      },
      log: (message, fields) => logger.warn(message, fields),
    }),
);

/** How many past one-minute buckets each sweep re-reads, so a missed or failed sweep is caught up. */
const SWEEP_LOOKBACK_BUCKETS = 10;

export const sweeper = once(
  () =>
    new Sweeper({
      due: new DynamoDbDueUsers(dynamoDocumentClient(), presenceTableName(), {
        shards: numberEnv(ENV.sweepShards, DEFAULTS.sweepShards),
        bucketMs: SWEEP_BUCKET_MS,
        lookbackBuckets: SWEEP_LOOKBACK_BUCKETS,
      }),
      store: presenceStore(),
      presence: presenceService(),
      connections: connectionService(),
      gateway: connectionGateway(),
      clock,
    }),
);
