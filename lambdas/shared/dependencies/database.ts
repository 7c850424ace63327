/** The database capability (Aurora through the RDS Data API): users and durable last-seen. */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV } from '../../../lib/app-manifest';
import { DataApi } from '../../adapters/data-api';
import { DataApiUserDirectory } from '../../adapters/data-api-user-directory';
import { KnownUsers } from '../../domain/known-users';
import type { UserDirectory } from '../../ports';
import { optionalEnv, requireEnv } from '../config';
import { logger } from '../logger';
import { count, sample } from '../metrics';
import { once } from './core';

export const userDirectory = once((): UserDirectory => {
  const client = new RDSDataClient({ endpoint: optionalEnv(ENV.rdsDataEndpoint) });
  const db = new DataApi(
    client,
    { resourceArn: requireEnv(ENV.dbResourceArn), secretArn: requireEnv(ENV.dbSecretArn), database: requireEnv(ENV.dbName) },
    {
      onResumeWait: (delayMs) => {
        count('DataApiResumeWaits');
        sample('DataApiResumeWaitTime', delayMs);
      },
    },
  );
  return new DataApiUserDirectory(db);
});

/** Which user ids exist (see KnownUsers for the cost): checked where presence would be created. */
export const knownUsers = once(
  () =>
    new KnownUsers({
      lookup: async (userId) => (await userDirectory().findById(userId)) !== null,
      onLookupFailed: (error) => logger.warn('user existence not checked: the user directory failed', { error: (error as Error).message }),
    }),
);
