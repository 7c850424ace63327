/** The presence table capability (DynamoDB): presence items, connections and watches, counters. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS, ENV } from '../../../lib/app-manifest';
import { DynamoDbConnectionRegistry } from '../../adapters/dynamodb-connection-registry';
import { DynamoDbDueUsers } from '../../adapters/dynamodb-due-users';
import { DynamoDbAttemptCounter } from '../../adapters/dynamodb-attempt-counter';
import { DynamoDbPresenceStore } from '../../adapters/dynamodb-presence-store';
import { LOG_IN_WINDOW_MS, LogInLimiter } from '../../domain/log-in-limit';
import { PresenceService } from '../../domain/presence-service';
import { numberEnv, optionalEnv, requireEnv } from '../config';
import { count } from '../metrics';
import { SWEEP_BUCKET_MS, clock, once, presencePolicy } from './core';

export const dynamoDocumentClient = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: optionalEnv(ENV.dynamodbEndpoint) }), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);

export const presenceTableName = once(() => requireEnv(ENV.presenceTable));

const sweepShards = (): number => numberEnv(ENV.sweepShards, DEFAULTS.sweepShards);

export const presenceStore = once(
  () =>
    new DynamoDbPresenceStore(dynamoDocumentClient(), presenceTableName(), {
      policy: presencePolicy(),
      sweepShards: sweepShards(),
      sweepBucketMs: SWEEP_BUCKET_MS,
    }),
);

export const presenceService = once(
  () =>
    new PresenceService({
      store: presenceStore(),
      policy: presencePolicy(),
      clock,
      onApplied: ({ change, attempts }) => {
        count('ChangesDecided', change === null ? 0 : 1);
        count('VersionRaceRetries', attempts - 1);
      },
    }),
);

export const logInLimiter = once(
  () =>
    new LogInLimiter({
      counter: new DynamoDbAttemptCounter(dynamoDocumentClient(), presenceTableName(), { prefix: 'login', windowMs: LOG_IN_WINDOW_MS, clock }),
    }),
);

export const connectionRegistry = once(() => new DynamoDbConnectionRegistry(dynamoDocumentClient(), presenceTableName(), clock));

/** How many past one-minute buckets each sweep re-reads, so a missed or failed sweep is caught up. */
const SWEEP_LOOKBACK_BUCKETS = 10;

export const dueUsers = once(
  () =>
    new DynamoDbDueUsers(dynamoDocumentClient(), presenceTableName(), {
      shards: sweepShards(),
      bucketMs: SWEEP_BUCKET_MS,
      lookbackBuckets: SWEEP_LOOKBACK_BUCKETS,
    }),
);
