import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApi } from '../../lambdas/adapters/data-api';
import { DataApiUserDirectory } from '../../lambdas/adapters/data-api-user-directory';
import { applyMigrations } from '../../lambdas/adapters/migrations';
import { type DataApiServer, startDataApi } from '../../local/data-api/server';

export interface LocalUserDirectory {
  readonly directory: DataApiUserDirectory;
  readonly server: DataApiServer;
  /** `down: true` makes the local Data API answer as an unavailable database. */
  readonly switches: { down: boolean };
  stop(): Promise<void>;
}

/**
 * The user directory over a fresh local RDS Data API (PGlite) with the migrations applied, through
 * the real SDK client (one attempt, no resume waits), and the switch that takes the database down.
 */
export const startLocalUserDirectory = async (): Promise<LocalUserDirectory> => {
  const switches = { down: false };
  const server = await startDataApi({ unavailable: () => switches.down });
  const client = new RDSDataClient({
    endpoint: server.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
    maxAttempts: 1,
  });
  const db = new DataApi(
    client,
    { resourceArn: server.resourceArn, secretArn: server.secretArn, database: server.database },
    { resumeWaitMs: 0 },
  );
  await applyMigrations(db);
  return {
    directory: new DataApiUserDirectory(db),
    server,
    switches,
    stop: async () => {
      client.destroy();
      await server.stop();
    },
  };
};
