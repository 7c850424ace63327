/**
 * How the user directory names the Data API's failures (lambdas/adapters/data-api-user-directory.ts):
 * "the database is not there now" becomes DatabaseUnavailableError (the last-seen recorder waits
 * and tries again, nothing is dropped), a taken name becomes NameTakenError (409), and every
 * other failure reaches the caller as it is, never mistaken for one of those. Input the database
 * cannot match is answered without a call.
 * Mocked (aws-sdk-client-mock): the local Data API cannot answer DatabaseUnavailableException,
 * InternalServerErrorException, a timeout or a reset connection, or a DatabaseErrorException of its
 * choosing. The cases it can show are proven against it: test/integration/adapters/data-api-last-seen.test.ts
 * (a stopped and a resuming database) and test/e2e/http-api.test.ts (a taken name).
 */
import { DatabaseErrorException, ExecuteStatementCommand, InternalServerErrorException, RDSDataClient } from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { DataApi } from '../../../lambdas/adapters/data-api';
import { DataApiUserDirectory } from '../../../lambdas/adapters/data-api-user-directory';
import { DatabaseUnavailableError, InvalidRequestError, NameTakenError } from '../../../lambdas/domain/errors';

const rds = mockClient(RDSDataClient);
const client = new RDSDataClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
const target = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:users',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db',
  database: 'presence',
};
// As the wiring builds the recorder's directory: no waiting inside the Data API wrapper (the recorder waits).
const directory = new DataApiUserDirectory(new DataApi(client, target, { resumeWaitMs: 0 }));
const named = (name: string, message = name) => Object.assign(new Error(message), { name });
const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });
const entries = [{ userId: '7', at: Date.UTC(2026, 11, 5, 1, 0, 0) }];

beforeEach(() => rds.reset());

afterAll(() => client.destroy());

describe('recordLastSeen when the database does not answer', () => {
  it.each([
    ['the writer is down or failing over', () => named('DatabaseUnavailableException')],
    ['the Data API is briefly unavailable (503)', () => named('ServiceUnavailableError')],
    ['the Data API failed inside (500)', () => new InternalServerErrorException({ message: 'Internal error', $metadata: {} })],
    ['the call timed out', () => named('TimeoutError')],
    ['the connection was reset', () => withCode('ECONNRESET')],
    ['the connection timed out', () => withCode('ETIMEDOUT')],
    ['the connection broke mid-request', () => withCode('EPIPE')],
  ])('reports it unavailable (try later) when %s', async (_case, failure) => {
    const error = failure();
    rds.on(ExecuteStatementCommand).rejects(error);

    const outcome = await directory.recordLastSeen(entries).catch((caught: unknown) => caught);

    expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
    expect(outcome).toMatchObject({ resuming: false, cause: error });
  });

  it('reports a resuming cluster as a resume to wait for', async () => {
    rds.on(ExecuteStatementCommand).rejects(named('DatabaseResumingException'));

    await expect(directory.recordLastSeen(entries)).rejects.toMatchObject({ resuming: true });
  });

  it.each([
    [
      'a statement the database refused',
      () => new DatabaseErrorException({ message: 'ERROR: permission denied for table users; SQLState: 42501', $metadata: {} }),
    ],
    ['a refused request', () => named('BadRequestException', 'Database returned more than the allowed response size limit')],
    ['a refused sign-in to the database', () => named('ForbiddenException')],
  ])('passes %s through as it is, not as a wait-and-retry', async (_case, failure) => {
    const error = failure();
    rds.on(ExecuteStatementCommand).rejects(error);

    await expect(directory.recordLastSeen(entries)).rejects.toBe(error);
  });
});

describe('create', () => {
  it('names a unique violation (SQLState 23505) a taken name', async () => {
    rds.on(ExecuteStatementCommand).rejects(
      new DatabaseErrorException({
        message: 'ERROR: duplicate key value violates unique constraint "users_lower_name_key"; SQLState: 23505',
        $metadata: {},
      }),
    );

    await expect(directory.create('alice', 'hash')).rejects.toThrow(NameTakenError);
  });

  it('does not call any other database error a taken name', async () => {
    const error = new DatabaseErrorException({
      message: 'ERROR: value too long for type character varying(32); SQLState: 22001',
      $metadata: {},
    });
    rds.on(ExecuteStatementCommand).rejects(error);

    await expect(directory.create('alice', 'hash')).rejects.toBe(error);
  });
});

describe('input the database cannot match, answered without a call', () => {
  it.each([
    ['not base64url', '%%%'],
    ['not a lower-cased name', Buffer.from('Alice').toString('base64url')],
    ['NUL, which PostgreSQL refuses', 'AA'],
    // 'YWx' decodes to 'al' (its last bits ignored), whose cursor is 'YWw'.
    ['a second spelling of a valid cursor', 'YWx'],
  ])('refuses a search cursor that is %s', async (_case, cursor) => {
    await expect(directory.search('al', 10, cursor)).rejects.toThrow(InvalidRequestError);

    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });

  it('finds no user for an id that is not one', async () => {
    await expect(directory.findById('1 OR 1=1')).resolves.toBeNull();
    await expect(directory.findMany(['x', '-1'])).resolves.toEqual([]);
    await expect(
      directory.recordLastSeen([
        { userId: 'x', at: 1 },
        { userId: '7', at: Number.NaN },
      ]),
    ).resolves.toBe(0);

    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });
});
