/**
 * The Data API wrapper's retries and DDL options. The local Data API cannot time a statement out
 * (PGlite cannot cancel a running query), answer ServiceUnavailableError, or fail a commit or a
 * rollback, so aws-sdk-client-mock plays the failing service here; the bound on resume waits is
 * measured on a fake clock (the local resume fault itself: test/integration/adapters/data-api-resume.test.ts).
 */
import {
  BadRequestException,
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  ServiceUnavailableError,
  StatementTimeoutException,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { DataApi } from '../../../lambdas/adapters/data-api';
import { applyMigrations, migrations } from '../../../lambdas/adapters/migrations';

const rds = mockClient(RDSDataClient);
const target = {
  resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:users',
  secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db',
  database: 'presence',
};
const client = new RDSDataClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
const db = (options: ConstructorParameters<typeof DataApi>[2] = { resumeWaitMs: 2_000 }) => new DataApi(client, target, options);
const timeout = () => new StatementTimeoutException({ message: 'The statement timed out', $metadata: {}, dbConnectionId: 1 });
const resuming = () => Object.assign(new Error('The database is resuming'), { name: 'DatabaseResumingException' });

beforeEach(() => {
  rds.reset();
  rds.on(BeginTransactionCommand).resolves({ transactionId: 'tx-1' });
  rds.on(CommitTransactionCommand).resolves({});
  rds.on(RollbackTransactionCommand).resolves({});
});

it('never retries a statement that timed out inside a transaction: the transaction fails and is rolled back', async () => {
  rds.on(ExecuteStatementCommand).rejectsOnce(timeout()).resolves({ records: [] });

  await expect(db().transaction((run) => run('UPDATE users SET name = name'))).rejects.toThrow(StatementTimeoutException);

  expect([rds.commandCalls(ExecuteStatementCommand).length, rds.commandCalls(RollbackTransactionCommand).length]).toEqual([1, 1]);
});

it('does not run a statement that timed out a second time', async () => {
  rds.on(ExecuteStatementCommand).rejectsOnce(timeout()).resolves({ records: [] });

  await expect(db().query("INSERT INTO users (name, password_hash) VALUES ('a', 'h')")).rejects.toThrow(StatementTimeoutException);

  expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
});

it('retries while the cluster resumes, then answers', async () => {
  rds
    .on(ExecuteStatementCommand)
    .rejectsOnce(resuming())
    .rejectsOnce(resuming())
    .resolves({ records: [[{ longValue: 1 }]] });

  await expect(db().query('SELECT 1')).resolves.toEqual([[{ longValue: 1 }]]);
});

it('runs every migration statement with continueAfterTimeout, so a long DDL is never cut half-way', async () => {
  rds.on(ExecuteStatementCommand).resolves({ records: [] });

  await applyMigrations(db());

  const statements = rds.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input);
  const ddl = statements.filter((input) => migrations.some((migration) => migration.statements.includes(input.sql ?? '')));
  expect(ddl.length).toBe(migrations.flatMap((migration) => migration.statements).length);
  expect(ddl.every((input) => input.continueAfterTimeout === true)).toBe(true);
});

describe('waiting for a resuming cluster', () => {
  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    // The widest draw in each backoff window: as few, as long waits as the policy allows.
    jest.spyOn(Math, 'random').mockReturnValue(0.999);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  /** Runs `work` to its end on the fake clock: its outcome and how long (fake ms) it took. */
  const timed = async <T>(work: () => Promise<T>) => {
    const start = Date.now();
    const outcome = work().then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    );
    await jest.runAllTimersAsync();
    return { ...(await outcome), elapsedMs: Date.now() - start };
  };

  it('waits no longer than resumeWaitMs in all (DATA_API_RESUME_WAIT_MS), then fails with the resume error itself', async () => {
    const calledAt: number[] = [];
    rds.on(ExecuteStatementCommand).callsFake(() => {
      calledAt.push(Date.now());
      throw resuming();
    });
    const waits: number[] = [];
    const start = Date.now();

    const { error, elapsedMs } = await timed(() =>
      db({ resumeWaitMs: 10_000, onResumeWait: (delayMs) => waits.push(delayMs) }).query('SELECT 1'),
    );

    expect(error).toMatchObject({ name: 'DatabaseResumingException' });
    expect(elapsedMs).toBeLessThanOrEqual(10_000);
    expect(elapsedMs).toBeGreaterThanOrEqual(9_000);
    // One last try when the wait is over, not a burst of them.
    expect(calledAt.filter((at) => at - start >= 10_000)).toHaveLength(1);
    expect(waits.length).toBe(calledAt.length - 1);
  });

  it('does not wait at all with a resumeWaitMs of 0 (the last-seen recorder waits on its own)', async () => {
    rds.on(ExecuteStatementCommand).rejects(resuming());

    const { error, elapsedMs } = await timed(() => db({ resumeWaitMs: 0 }).query('SELECT 1'));

    expect(error).toMatchObject({ name: 'DatabaseResumingException' });
    expect([elapsedMs, rds.commandCalls(ExecuteStatementCommand).length]).toEqual([0, 1]);
  });

  it('waits out a briefly unavailable service too, without counting it as a resume', async () => {
    rds
      .on(ExecuteStatementCommand)
      .rejectsOnce(new ServiceUnavailableError({ message: 'Service unavailable', $metadata: {} }))
      .resolves({ records: [[{ longValue: 1 }]] });
    const waits: number[] = [];

    const { value } = await timed(() => db({ resumeWaitMs: 10_000, onResumeWait: (delayMs) => waits.push(delayMs) }).query('SELECT 1'));

    expect(value).toEqual([[{ longValue: 1 }]]);
    expect(waits).toEqual([]);
  });

  it('waits for a resuming cluster before beginning a transaction', async () => {
    rds.on(BeginTransactionCommand).rejectsOnce(resuming()).resolves({ transactionId: 'tx-2' });
    rds.on(ExecuteStatementCommand).resolves({ records: [] });

    const { error } = await timed(() => db({ resumeWaitMs: 10_000 }).transaction((run) => run('SELECT 1')));

    expect(error).toBeUndefined();
    expect(rds.commandCalls(CommitTransactionCommand).map((call) => call.args[0].input.transactionId)).toEqual(['tx-2']);
  });
});

describe('failures that are not worth waiting for', () => {
  it.each([
    [
      'a statement the database refused',
      () => new DatabaseErrorException({ message: 'ERROR: syntax error at or near "SELEC"; SQLState: 42601', $metadata: {} }),
    ],
    ['a request the Data API refused', () => new BadRequestException({ message: 'Database name is not valid', $metadata: {} })],
  ])('reach the caller at once and as they are: %s', async (_case, failure) => {
    const error = failure();
    rds.on(ExecuteStatementCommand).rejects(error);

    await expect(db().query('SELEC 1')).rejects.toBe(error);

    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
  });
});

describe('ending a transaction', () => {
  it('fails the transaction when its commit fails, and rolls it back', async () => {
    rds.on(ExecuteStatementCommand).resolves({ records: [] });
    rds.on(CommitTransactionCommand).rejects(new BadRequestException({ message: 'Transaction tx-1 is not found', $metadata: {} }));

    await expect(db().transaction((run) => run('UPDATE users SET name = name'))).rejects.toThrow('Transaction tx-1 is not found');

    expect(rds.commandCalls(RollbackTransactionCommand)).toHaveLength(1);
  });

  it('reports the failure that ended the work, not a rollback that failed after it', async () => {
    rds
      .on(ExecuteStatementCommand)
      .rejects(new DatabaseErrorException({ message: 'ERROR: duplicate key; SQLState: 23505', $metadata: {} }));
    rds.on(RollbackTransactionCommand).rejects(new BadRequestException({ message: 'Transaction tx-1 is not found', $metadata: {} }));

    await expect(db().transaction((run) => run("INSERT INTO users (name, password_hash) VALUES ('a', 'h')"))).rejects.toThrow(
      'SQLState: 23505',
    );
  });
});
