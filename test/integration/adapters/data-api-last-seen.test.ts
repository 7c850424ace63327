/**
 * DataApiUserDirectory.recordLastSeen against the local RDS Data API (PGlite) through the real
 * SDK: one idempotent UPDATE that never moves last-seen backwards, and an unavailable or resuming
 * database reported as such, so the recorder waits instead of dropping the batch.
 */
import { DatabaseResumingException, ExecuteStatementCommand, RDSDataClient } from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { DataApi } from '../../../lambdas/adapters/data-api';
import { DataApiUserDirectory } from '../../../lambdas/adapters/data-api-user-directory';
import { DatabaseUnavailableError } from '../../../lambdas/domain/errors';
import { type LocalUserDirectory, startLocalUserDirectory } from '../../helpers/data-api';

const T = Date.UTC(2026, 10, 28, 10, 5, 12, 345);
let local: LocalUserDirectory;
let directory: DataApiUserDirectory;
let switches: LocalUserDirectory['switches'];

beforeAll(async () => {
  local = await startLocalUserDirectory();
  ({ directory, switches } = local);
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  switches.down = false;
});

const lastSeenOf = async (id: string) => (await directory.findById(id))?.lastSeen;

describe('recording last-seen moments', () => {
  it('writes every user of a batch in one statement, to the millisecond', async () => {
    const [a, b] = [await directory.create('ls-a', 'x'), await directory.create('ls-b', 'x')];

    const written = await directory.recordLastSeen([
      { userId: a.id, at: T },
      { userId: b.id, at: T + 1 },
    ]);

    expect(written).toBe(2);
    expect([await lastSeenOf(a.id), await lastSeenOf(b.id)]).toEqual([T, T + 1]);
  });

  it('keeps the latest moment: replays, older moments and duplicates in a batch change nothing', async () => {
    const a = await directory.create('ls-c', 'x');
    await directory.recordLastSeen([{ userId: a.id, at: T }]);

    const replay = await directory.recordLastSeen([{ userId: a.id, at: T }]);
    const older = await directory.recordLastSeen([{ userId: a.id, at: T - 60_000 }]);
    const mixed = await directory.recordLastSeen([
      { userId: a.id, at: T + 5 },
      { userId: a.id, at: T + 9 },
      { userId: a.id, at: T + 2 },
    ]);

    expect([replay, older, mixed]).toEqual([0, 0, 1]);
    expect(await lastSeenOf(a.id)).toBe(T + 9);
  });

  it('skips unknown and malformed ids without failing the others', async () => {
    const a = await directory.create('ls-d', 'x');

    const written = await directory.recordLastSeen([
      { userId: '999999999', at: T },
      { userId: 'not-an-id', at: T },
      { userId: a.id, at: T },
    ]);

    expect(written).toBe(1);
    expect(await lastSeenOf(a.id)).toBe(T);
  });
});

describe('when the database does not answer', () => {
  it('reports an unavailable database as such (retry later), not as a failed statement', async () => {
    const a = await directory.create('ls-e', 'x');
    switches.down = true;

    const failure = await directory.recordLastSeen([{ userId: a.id, at: T }]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as DatabaseUnavailableError).resuming).toBe(false);
  });

  it('reports a resuming cluster as a resume to wait for', async () => {
    // The local stand-in can answer DatabaseResumingException only from its start (resumingFailures),
    // which costs a second Postgres boot: the SDK's own exception class stands in for it here.
    const paused = new RDSDataClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
    mockClient(paused)
      .on(ExecuteStatementCommand)
      .rejects(new DatabaseResumingException({ message: 'The database is resuming', $metadata: {} }));
    const db = new DataApi(
      paused,
      { resourceArn: local.server.resourceArn, secretArn: local.server.secretArn, database: local.server.database },
      { resumeWaitMs: 0 },
    );

    const failure = await new DataApiUserDirectory(db).recordLastSeen([{ userId: '1', at: T }]).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as DatabaseUnavailableError).resuming).toBe(true);
  });
});
