/** The database capability (Aurora through the RDS Data API): users and durable last-seen. */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApi } from '../../adapters/data-api';
import { DataApiUserDirectory } from '../../adapters/data-api-user-directory';
import { assertIsError } from '../../domain/errors';
import { KnownUsers } from '../../domain/known-users';
import { LastSeenRecorder } from '../../domain/last-seen-recorder';
import type { UserDirectory } from '../../ports';
import { numberEnv, optionalEnv, requireEnv } from '../config';
import { ENV } from '../environment';
import { logger } from '../logger';
import { count, sample } from '../metrics';
import { once, SDK_CLIENT_DEFAULTS } from './core';

const dataApiClient = once(() => new RDSDataClient({ ...SDK_CLIENT_DEFAULTS, endpoint: optionalEnv(ENV.rdsDataEndpoint) }));

const databaseTarget = () => ({
  resourceArn: requireEnv(ENV.dbResourceArn),
  secretArn: requireEnv(ENV.dbSecretArn),
  database: requireEnv(ENV.dbName),
});

export const userDirectory = once(
  (): UserDirectory =>
    new DataApiUserDirectory(
      new DataApi(dataApiClient(), databaseTarget(), {
        resumeWaitMs: numberEnv(ENV.dataApiResumeWaitMs, 25_000),
        onResumeWait: (delayMs) => {
          count('DataApiResumeWaits');
          sample('DataApiResumeWaitTime', delayMs);
        },
      }),
    ),
);

/** Which user ids exist (see KnownUsers for the cost): checked where presence would be created. */
export const knownUsers = once(
  () =>
    new KnownUsers({
      lookup: async (userId) => (await userDirectory().findById(userId)) !== null,
      onLookupFailed: (error) => {
        assertIsError(error);
        logger.warn('user existence not checked: the user directory failed', { error: error.message });
      },
    }),
);

/**
 * The recorder waits for a resuming or unavailable database itself and reports its waits (its
 * handler turns them into metrics), so its Data API client does not wait on its own (resumeWaitMs 0).
 */
export const lastSeenRecorder = once(
  (): LastSeenRecorder =>
    new LastSeenRecorder({ store: new DataApiUserDirectory(new DataApi(dataApiClient(), databaseTarget(), { resumeWaitMs: 0 })) }),
);
