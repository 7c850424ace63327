/** The presence table capability (DynamoDB): presence items, connections and watches, counters. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAttemptCounter } from '../../adapters/dynamodb-attempt-counter';
import { DynamoDbConnectionRegistry } from '../../adapters/dynamodb-connection-registry';
import { DynamoDbPresenceStore } from '../../adapters/dynamodb-presence-store';
import { DynamoDbSweepIndex } from '../../adapters/dynamodb-sweep-index';
import { LOG_IN_WINDOW_MS, LogInLimiter } from '../../domain/log-in-limit';
import { PresenceService } from '../../domain/presence-service';
import type { SweepSettings } from '../../domain/sweeper';
import { optionalEnv, requireEnv } from '../config';
import { ENV } from '../environment';
import { count } from '../metrics';
import { clock, once, presencePolicy, sweepBucketMs, sweepShards } from './core';

// Without SDK_CLIENT_DEFAULTS: the DocumentClient refuses cacheMiddleware (it resolves its own commands' middleware).
export const dynamoDocumentClient = once(() =>
  DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: optionalEnv(ENV.dynamodbEndpoint) }), {
    marshallOptions: { removeUndefinedValues: true },
  }),
);

export const presenceTableName = once(() => requireEnv(ENV.presenceTable));

export const presenceStore = once(
  () =>
    new DynamoDbPresenceStore(dynamoDocumentClient(), presenceTableName(), {
      policy: presencePolicy(),
      sweepShards: sweepShards(),
      sweepBucketMs: sweepBucketMs(),
      clock,
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
      counter: new DynamoDbAttemptCounter(dynamoDocumentClient(), presenceTableName(), {
        prefix: 'login',
        windowMs: LOG_IN_WINDOW_MS,
        clock,
      }),
    }),
);

export const connectionRegistry = once(() => new DynamoDbConnectionRegistry(dynamoDocumentClient(), presenceTableName(), clock));

export const sweepIndex = once(() => new DynamoDbSweepIndex(dynamoDocumentClient(), presenceTableName()));

/**
 * How the sweeper walks the index. A bucket is swept completely 10 s after it ends (index
 * propagation is typically well under a second; the rest covers clock skew and slow writes). A
 * shard without a watermark (a table written before watermarks) starts 10 buckets back, the
 * window the sweeper used to re-read every time.
 */
export const sweepSettings = once(
  (): SweepSettings => ({
    shards: sweepShards(),
    bucketMs: sweepBucketMs(),
    settleMs: Math.min(10_000, sweepBucketMs()),
    firstSweepBuckets: 10,
  }),
);
