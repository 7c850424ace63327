/**
 * The local RDS Data API through the real `RDSDataClient`, checked against the AWS behaviours in
 * emulation-fidelity.md §10 (ids in the test names' comments).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  BadRequestException,
  BeginTransactionCommand,
  CommitTransactionCommand,
  DatabaseErrorException,
  DatabaseResumingException,
  ExecuteStatementCommand,
  type ExecuteStatementCommandInput,
  RDSDataClient,
  RollbackTransactionCommand,
  StatementTimeoutException,
  TransactionNotFoundException,
} from '@aws-sdk/client-rds-data';
import { type DataApiServer, startDataApi } from '../../../local/data-api/server';

const UUID = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';

/** One SDK client per server, as a handler keeps one per execution environment; no SDK retries hide errors. */
const connect = (api: DataApiServer) => {
  const client = new RDSDataClient({
    endpoint: api.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const target = { resourceArn: api.resourceArn, secretArn: api.secretArn, database: api.database };
  const execute = (sql: string, input: Partial<ExecuteStatementCommandInput> = {}) =>
    client.send(new ExecuteStatementCommand({ ...target, sql, ...input }));
  const begin = async () => (await client.send(new BeginTransactionCommand(target))).transactionId ?? '';
  const commit = (transactionId: string) => client.send(new CommitTransactionCommand({ ...target, transactionId }));
  const rollback = (transactionId: string) => client.send(new RollbackTransactionCommand({ ...target, transactionId }));
  return { client, target, execute, begin, commit, rollback };
};

const countRows = async (db: ReturnType<typeof connect>, table: string): Promise<number | undefined> =>
  (await db.execute(`SELECT count(*) FROM ${table}`)).records?.[0]?.[0]?.longValue;

let memory: DataApiServer;
let onDisk: DataApiServer;
let dataDir: string;

// Two Postgres boots on a loaded 2-core machine can take longer than jest's default 30 s; the other store tests allow for it too.
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'presence-data-api-test-'));
  // Each server boots Postgres in its own worker thread, so starting both at once costs about one boot.
  [memory, onDisk] = await Promise.all([
    // Short limits so the timeout behaviours can be observed within the test's budget.
    startDataApi({ waitOnTransactionMs: 1_000, transactionIdleTimeoutMs: 1_500 }),
    startDataApi({ dataDir }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([memory?.stop(), onDisk?.stop()]);
  await rm(dataDir, { recursive: true, force: true });
});

describe('local Data API (in memory)', () => {
  let db: ReturnType<typeof connect>;

  beforeAll(() => {
    db = connect(memory);
  });

  afterAll(() => db.client.destroy());

  describe('values and types', () => {
    beforeAll(async () => {
      await db.execute(`CREATE TABLE every_type (
        id int8 PRIMARY KEY, small int2, regular int4, real_col real, double_col float8, amount numeric(38,10),
        flag bool, label text, short varchar(10), ref uuid, doc jsonb, at_local timestamp, at timestamptz,
        day date, clock time, bytes bytea, tags int4[], missing text)`);
    });

    it('binds every parameter kind and returns each column as the Field AWS maps it to (RDS-04, RES-02)', async () => {
      await db.execute(
        `INSERT INTO every_type VALUES (:id, :small, :regular, :real, :double, :amount, :flag, :label, :short, :ref, :doc,
          :atLocal, :at, :day, :clock, :bytes, string_to_array(:tags, ',')::int4[], :missing)`,
        {
          parameters: [
            { name: 'id', value: { longValue: 1 } },
            { name: 'small', value: { longValue: 7 } },
            { name: 'regular', value: { longValue: -3 } },
            { name: 'real', value: { doubleValue: 1.5 } },
            { name: 'double', value: { doubleValue: 2.25 } },
            { name: 'amount', value: { stringValue: '12345678901234567890.0123456789' }, typeHint: 'DECIMAL' },
            { name: 'flag', value: { booleanValue: true } },
            { name: 'label', value: { stringValue: 'hello' } },
            { name: 'short', value: { stringValue: 'abc' } },
            { name: 'ref', value: { stringValue: UUID }, typeHint: 'UUID' },
            { name: 'doc', value: { stringValue: '{"a":[1,2]}' }, typeHint: 'JSON' },
            { name: 'atLocal', value: { stringValue: '2024-03-10 09:49:00.123456' }, typeHint: 'TIMESTAMP' },
            { name: 'at', value: { stringValue: '2024-03-10 09:49:00.500' }, typeHint: 'TIMESTAMP' },
            { name: 'day', value: { stringValue: '2024-03-10' }, typeHint: 'DATE' },
            { name: 'clock', value: { stringValue: '09:49:00.120' }, typeHint: 'TIME' },
            { name: 'bytes', value: { blobValue: new Uint8Array([0, 1, 254, 255]) } },
            { name: 'tags', value: { stringValue: '1,2,3' } },
            { name: 'missing', value: { isNull: true } },
          ],
        },
      );

      const { records } = await db.execute('SELECT * FROM every_type WHERE id = 1');

      expect(records).toEqual([
        [
          { longValue: 1 },
          { longValue: 7 },
          { longValue: -3 },
          { doubleValue: 1.5 },
          { doubleValue: 2.25 },
          { stringValue: '12345678901234567890.0123456789' },
          { booleanValue: true },
          { stringValue: 'hello' },
          { stringValue: 'abc' },
          { stringValue: UUID },
          { stringValue: '{"a": [1, 2]}' },
          { stringValue: '2024-03-10 09:49:00.123456' },
          { stringValue: '2024-03-10 09:49:00.5' },
          { stringValue: '2024-03-10' },
          { stringValue: '09:49:00.12' },
          { blobValue: new Uint8Array([0, 1, 254, 255]) },
          { arrayValue: { longValues: [1, 2, 3] } },
          { isNull: true },
        ],
      ]);
    });

    it('sends every Field with exactly one member (RDP-02)', async () => {
      const { records } = await db.execute('SELECT * FROM every_type');

      const memberCounts = (records ?? []).flat().map((field) => Object.values(field).filter((value) => value !== undefined).length);
      expect(memberCounts.length).toBeGreaterThan(0);
      expect(new Set(memberCounts)).toEqual(new Set([1]));
    });

    it('prints timestamptz in UTC with no T, no zone and no trailing zeros (RES-03)', async () => {
      const { records } = await db.execute(
        `SELECT '2024-03-10 11:49:00.120+02'::timestamptz, '2024-03-10 11:49:00+02'::timestamptz, '2024-03-10 23:30:00.000001-05'::timestamptz`,
      );

      expect(records?.[0]).toEqual([
        { stringValue: '2024-03-10 09:49:00.12' },
        { stringValue: '2024-03-10 09:49:00' },
        { stringValue: '2024-03-11 04:30:00.000001' },
      ]);
    });

    it('binds a bare stringValue as varchar, so comparing it with uuid fails as on AWS (RDS-04)', async () => {
      const parameters = [{ name: 'ref', value: { stringValue: UUID } }];

      await expect(db.execute('SELECT id FROM every_type WHERE ref = :ref', { parameters })).rejects.toThrow(
        expect.objectContaining({
          name: 'DatabaseErrorException',
          message: expect.stringMatching(/operator does not exist: uuid = character varying[\s\S]*; SQLState: 42883$/),
        }),
      );
    });

    it('compares with uuid once the parameter carries typeHint UUID (RDS-04)', async () => {
      const { records } = await db.execute('SELECT id FROM every_type WHERE ref = :ref', {
        parameters: [{ name: 'ref', value: { stringValue: UUID }, typeHint: 'UUID' }],
      });

      expect(records).toEqual([[{ longValue: 1 }]]);
    });

    it('rejects a bare stringValue for a jsonb column, as on AWS (RDS-04)', async () => {
      const parameters = [{ name: 'doc', value: { stringValue: '{}' } }];

      await expect(db.execute('UPDATE every_type SET doc = :doc', { parameters })).rejects.toThrow(
        /column "doc" is of type jsonb but expression is of type character varying/,
      );
    });

    it('returns records without columnMetadata, and refuses the result options it does not emulate (RES-01, RES-02, RES-06)', async () => {
      const plain = await db.execute('SELECT id, label FROM every_type');

      expect(plain.columnMetadata).toBeUndefined();
      await expect(db.execute('SELECT 1', { includeResultMetadata: true })).rejects.toBeInstanceOf(BadRequestException);
      await expect(db.execute('SELECT 1', { formatRecordsAs: 'JSON' })).rejects.toBeInstanceOf(BadRequestException);
      await expect(db.execute('SELECT 1', { resultSetOptions: { longReturnType: 'STRING' } })).rejects.toBeInstanceOf(BadRequestException);
    });

    it('reports numberOfRecordsUpdated for writes and 0 for reads (RES-01)', async () => {
      const update = await db.execute('UPDATE every_type SET label = label');
      const select = await db.execute('SELECT 1');

      expect(update.numberOfRecordsUpdated).toBe(1);
      expect(select.numberOfRecordsUpdated).toBe(0);
    });
  });

  describe('validation', () => {
    it('rejects multi-statement SQL with ValidationException (RDS-01)', async () => {
      await expect(db.execute('SELECT 1; SELECT 2')).rejects.toThrow(
        expect.objectContaining({ name: 'ValidationException', message: "Multistatements aren't supported." }),
      );
    });

    it('accepts a semicolon inside a literal and a single trailing semicolon (RDS-01)', async () => {
      const { records } = await db.execute("SELECT ';';");

      expect(records).toEqual([[{ stringValue: ';' }]]);
    });

    it('rejects the schema parameter with ValidationException (RDS-02)', async () => {
      await expect(db.execute('SELECT 1', { schema: 'public' })).rejects.toThrow(expect.objectContaining({ name: 'ValidationException' }));
    });

    it('rejects arrayValue parameters and placeholders without a parameter with BadRequestException (RDS-03, RDS-05)', async () => {
      const arrayParameter = [{ name: 'ids', value: { arrayValue: { longValues: [1, 2] } } }];

      await expect(db.execute('SELECT :ids', { parameters: arrayParameter })).rejects.toBeInstanceOf(BadRequestException);
      await expect(db.execute('SELECT :missing')).rejects.toBeInstanceOf(BadRequestException);
    });

    it('rejects calls without well-formed resource and secret ARNs (RDP-04)', async () => {
      await expect(db.execute('SELECT 1', { resourceArn: 'cluster' })).rejects.toBeInstanceOf(BadRequestException);
      await expect(db.execute('SELECT 1', { secretArn: undefined })).rejects.toBeInstanceOf(BadRequestException);
    });

    it('fails an unknown database with SQLState 3D000 (RDP-04)', async () => {
      await expect(db.execute('SELECT 1', { database: 'other' })).rejects.toThrow(
        expect.objectContaining({ name: 'DatabaseErrorException', message: 'ERROR: database "other" does not exist; SQLState: 3D000' }),
      );
    });

    it('reports SQL errors as DatabaseErrorException with the SQLState, a unique violation as 23505 (ERR-01)', async () => {
      await db.execute('CREATE TABLE names (name text PRIMARY KEY)');
      await db.execute("INSERT INTO names VALUES ('alice')");

      const duplicate = db.execute("INSERT INTO names VALUES ('alice')");

      await expect(duplicate).rejects.toBeInstanceOf(DatabaseErrorException);
      await expect(duplicate).rejects.toThrow(
        expect.objectContaining({
          name: 'DatabaseErrorException',
          message: expect.stringMatching(/^ERROR: duplicate key value violates unique constraint "names_pkey"[\s\S]*; SQLState: 23505$/),
          $metadata: expect.objectContaining({ httpStatusCode: 400 }),
        }),
      );
    });

    it('fails invalid SQL instead of ignoring it (ERR-02)', async () => {
      await expect(db.execute('SELEC 1')).rejects.toThrow(/SQLState: 42601$/);
    });
  });

  describe('sessions', () => {
    it('keeps no session state from one call to the next, and runs in UTC (RDS-06, RES-03)', async () => {
      await db.execute("SET search_path = 'nowhere'");
      await db.execute("SET TimeZone = 'Europe/Paris'");

      const { records } = await db.execute('SELECT current_setting(:a), current_setting(:b)', {
        parameters: [
          { name: 'a', value: { stringValue: 'search_path' } },
          { name: 'b', value: { stringValue: 'TimeZone' } },
        ],
      });

      expect(records).toEqual([[{ stringValue: 'public' }, { stringValue: 'UTC' }]]);
    });

    it('serialises concurrent calls so that 20 parallel inserts all land', async () => {
      await db.execute('CREATE TABLE hits (n int8)');

      await Promise.all(
        Array.from({ length: 20 }, (_, n) =>
          db.execute('INSERT INTO hits VALUES (:n)', { parameters: [{ name: 'n', value: { longValue: n } }] }),
        ),
      );

      expect(await countRows(db, 'hits')).toBe(20);
    });

    it('can create and use pg_trgm', async () => {
      await db.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm');

      const { records } = await db.execute("SELECT similarity('alice', 'alicia') > 0.3");

      expect(records).toEqual([[{ booleanValue: true }]]);
    });
  });

  describe('transactions', () => {
    beforeAll(async () => {
      await db.execute('CREATE TABLE ledger (id int8 PRIMARY KEY)');
    });

    beforeEach(async () => {
      await db.execute('DELETE FROM ledger');
    });

    const insert = (id: number, transactionId?: string) =>
      db.execute('INSERT INTO ledger VALUES (:id)', { transactionId, parameters: [{ name: 'id', value: { longValue: id } }] });

    it('commits the statements of a transaction (TXN-01, TXN-02)', async () => {
      const transactionId = await db.begin();
      await insert(1, transactionId);
      await insert(2, transactionId);

      const output = await db.commit(transactionId);

      expect(output.transactionStatus).toBe('Transaction Committed');
      expect(await countRows(db, 'ledger')).toBe(2);
    });

    it('discards the statements of a rolled back transaction (TXN-02)', async () => {
      const transactionId = await db.begin();
      await insert(1, transactionId);

      const output = await db.rollback(transactionId);

      expect(output.transactionStatus).toBe('Rollback Complete');
      expect(await countRows(db, 'ledger')).toBe(0);
    });

    it('aborts the transaction on a statement error, so its id is no longer found (TXN-04)', async () => {
      const transactionId = await db.begin();
      await insert(1, transactionId);

      await expect(insert(1, transactionId)).rejects.toBeInstanceOf(DatabaseErrorException);
      await expect(insert(2, transactionId)).rejects.toThrow(
        expect.objectContaining({
          name: 'TransactionNotFoundException',
          message: expect.stringContaining('aborted due to an error from a previous call'),
          $metadata: expect.objectContaining({ httpStatusCode: 404 }),
        }),
      );
      await expect(db.commit(transactionId)).rejects.toBeInstanceOf(TransactionNotFoundException);
      expect(await countRows(db, 'ledger')).toBe(0);
    });

    it('fails a statement sent while the same transaction is still running one (TXN-05)', async () => {
      const transactionId = await db.begin();
      const slow = db.execute('SELECT pg_sleep(0.5)', { transactionId });
      await new Promise((resolve) => setTimeout(resolve, 100));

      const second = db.execute('SELECT 1', { transactionId });

      await expect(second).rejects.toThrow(
        expect.objectContaining({ name: 'DatabaseErrorException', message: 'Transaction is still running a query' }),
      );
      await slow;
      await db.rollback(transactionId);
    });

    it('runs a call without the transaction id only after the open transaction ends', async () => {
      const transactionId = await db.begin();
      await insert(1, transactionId);
      let outside: number | undefined;
      const pending = countRows(db, 'ledger').then((count) => (outside = count));

      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(outside).toBeUndefined();
      await db.commit(transactionId);
      await pending;

      expect(outside).toBe(1);
    });

    it('fails a call that waits too long on an open transaction, naming the transaction', async () => {
      const transactionId = await db.begin();

      const blocked = db.execute('SELECT 1');

      await expect(blocked).rejects.toBeInstanceOf(StatementTimeoutException);
      await expect(blocked).rejects.toThrow(transactionId);
      await db.rollback(transactionId);
    });

    it('rolls back a transaction left idle past the timeout (TXN-03)', async () => {
      const transactionId = await db.begin();
      await insert(1, transactionId);

      await new Promise((resolve) => setTimeout(resolve, 2_000));

      await expect(insert(2, transactionId)).rejects.toThrow(
        expect.objectContaining({ name: 'TransactionNotFoundException', message: expect.stringContaining('may be expired') }),
      );
      expect(await countRows(db, 'ledger')).toBe(0);
    });
  });
});

describe('local Data API (with a data dir)', () => {
  /** Starts a server on the shared data dir, runs `work`, and always stops it. */
  const withServer = async <T>(
    options: { resumingFailures?: number },
    work: (db: ReturnType<typeof connect>) => Promise<T>,
  ): Promise<T> => {
    const api = await startDataApi({ dataDir, ...options });
    const db = connect(api);
    try {
      return await work(db);
    } finally {
      db.client.destroy();
      await api.stop();
    }
  };

  it('keeps committed rows across a restart on the same data dir', async () => {
    const first = connect(onDisk);
    await first.execute('CREATE TABLE kept (name text)');
    await first.execute("INSERT INTO kept VALUES ('alice'), ('bob')");
    first.client.destroy();
    await onDisk.stop();

    const records = await withServer({}, async (db) => (await db.execute('SELECT name FROM kept ORDER BY name')).records);

    expect(records).toEqual([[{ stringValue: 'alice' }], [{ stringValue: 'bob' }]]);
  });

  it('fails the first calls with DatabaseResumingException when asked to, like an auto-paused cluster (ERR-03)', async () => {
    const outcomes = await withServer({ resumingFailures: 2 }, async (db) => {
      const attempts = [];
      for (let attempt = 0; attempt < 3; attempt++)
        attempts.push(
          await db.execute('SELECT 1').then(
            () => 'ok',
            (error: Error) => error,
          ),
        );
      return attempts;
    });

    expect(outcomes[0]).toBeInstanceOf(DatabaseResumingException);
    expect(outcomes[1]).toBeInstanceOf(DatabaseResumingException);
    expect(outcomes[2]).toBe('ok');
  });
});
