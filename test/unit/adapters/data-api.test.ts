/**
 * The Data API wrapper's retries and DDL options. The local Data API cannot time a statement out
 * (PGlite cannot cancel a running query), so aws-sdk-client-mock plays the failing service here.
 */
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  RDSDataClient,
  RollbackTransactionCommand,
  StatementTimeoutException,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { DataApi } from '../../../lambdas/adapters/data-api';
import { applyMigrations, migrations } from '../../../lambdas/adapters/migrations';

const rds = mockClient(RDSDataClient);
const target = { resourceArn: 'arn:aws:rds:us-east-1:000000000000:cluster:users', secretArn: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:db', database: 'presence' };
const db = () => new DataApi(new RDSDataClient({ region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }), target, { resumeWaitMs: 2_000 });
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
  rds.on(ExecuteStatementCommand).rejectsOnce(resuming()).rejectsOnce(resuming()).resolves({ records: [[{ longValue: 1 }]] });

  await expect(db().query('SELECT 1')).resolves.toEqual([[{ longValue: 1 }]]);
});

it('gives up with the resume error once its wait is over', async () => {
  rds.on(ExecuteStatementCommand).rejects(resuming());

  await expect(db().query('SELECT 1')).rejects.toThrow('The database is resuming');
}, 10_000);

it('runs every migration statement with continueAfterTimeout, so a long DDL is never cut half-way', async () => {
  rds.on(ExecuteStatementCommand).resolves({ records: [] });

  await applyMigrations(db());

  const statements = rds.commandCalls(ExecuteStatementCommand).map((call) => call.args[0].input);
  const ddl = statements.filter((input) => migrations.some((migration) => migration.statements.includes(input.sql ?? '')));
  expect(ddl.length).toBe(migrations.flatMap((migration) => migration.statements).length);
  expect(ddl.every((input) => input.continueAfterTimeout === true)).toBe(true);
});
