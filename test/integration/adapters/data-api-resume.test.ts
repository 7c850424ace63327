/**
 * The Data API adapter against the local Data API's auto-pause fault (the first calls fail with
 * DatabaseResumingException, as a cluster at 0 ACU does while it resumes): every wait is reported,
 * so the wiring can count them as the `DataApiResumeWaits` metric.
 */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApi } from '../../../lambdas/adapters/data-api';
import { type DataApiServer, startDataApi } from '../../../local/data-api/server';

let server: DataApiServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const dataApi = (api: DataApiServer, onResumeWait: (delayMs: number) => void) =>
  new DataApi(
    new RDSDataClient({
      endpoint: api.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    }),
    { resourceArn: api.resourceArn, secretArn: api.secretArn, database: api.database },
    { resumeWaitMs: 10_000, onResumeWait },
  );

describe('DataApi while the cluster resumes', () => {
  it('reports each wait, then answers; once awake it reports none', async () => {
    server = await startDataApi({ resumingFailures: 2 });
    const waits: number[] = [];
    const db = dataApi(server, (delayMs) => waits.push(delayMs));

    const rows = await db.query('SELECT 1');
    expect(rows).toEqual([[{ longValue: 1 }]]);
    // Full jitter (lambdas/domain/retry.ts): each wait is drawn within its doubling window.
    expect(waits).toEqual([expect.any(Number), expect.any(Number)]);
    expect(waits[0]).toBeLessThan(250);
    expect(waits[1]).toBeLessThan(500);

    await db.query('SELECT 1');
    expect(waits).toHaveLength(2);
  });
});
