/** The database capability (Aurora through the RDS Data API): users and durable last-seen. */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { ENV } from '../../../lib/app-manifest';
import { DataApi } from '../../adapters/data-api';
import { DataApiUserDirectory } from '../../adapters/data-api-user-directory';
import type { UserDirectory } from '../../ports';
import { optionalEnv, requireEnv } from '../config';
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
