/**
 * Deploy-time schema migration: the `onEvent` handler of a CloudFormation custom resource
 * (custom-resources Provider framework). Runs the pending migrations through the Data API on
 * create and update; idempotent, so re-running on every deploy is harmless. Delete keeps the data.
 */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { DataApi } from '../../adapters/data-api';
import { applyMigrations } from '../../adapters/migrations';
import { observed } from '../../middleware/observability';
import { optionalEnv, requireEnv } from '../../shared/config';
import { SDK_CLIENT_DEFAULTS } from '../../shared/dependencies/core';
import { ENV } from '../../shared/environment';
import { logger } from '../../shared/logger';

const client = new RDSDataClient({ ...SDK_CLIENT_DEFAULTS, endpoint: optionalEnv(ENV.rdsDataEndpoint) });

export const handler = observed(
  async (event: CloudFormationCustomResourceEvent): Promise<{ PhysicalResourceId: string; Data?: Record<string, string> }> => {
    const physicalId = 'users-schema';
    if (event.RequestType === 'Delete') return { PhysicalResourceId: physicalId };
    const db = new DataApi(
      client,
      { resourceArn: requireEnv(ENV.dbResourceArn), secretArn: requireEnv(ENV.dbSecretArn), database: requireEnv(ENV.dbName) },
      // The cluster may be paused at 0 ACU when a deploy starts: wait up to 4 minutes for it.
      { resumeWaitMs: 240_000 },
    );
    const applied = await applyMigrations(db, (line) => logger.info(line));
    return { PhysicalResourceId: physicalId, Data: { applied: applied.join(',') } };
  },
);
