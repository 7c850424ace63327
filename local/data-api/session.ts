/**
 * The embedded Postgres behind the local Data API, with the Data API's connection semantics:
 * autocommit calls that leave no session state behind (RDS-06), and transactions that end on the
 * first statement error (TXN-04) or after 3 idle minutes (TXN-03).
 */
import { randomBytes } from 'node:crypto';
import { assertIsError } from '../../lambdas/domain/errors';
import { databaseError, isPostgresError, serviceUnavailable, type TransactionEndCause, transactionNotFound } from './errors';
import { SessionLease } from './lease';
import { OID } from './parameters';
import { PgliteHost, type RawResult } from './pglite-host';
import { TypeCatalog } from './type-catalog';

export type { RawResult };

/** What a call may do with the session while it holds it. */
export interface Executor {
  query(sql: string, values?: readonly (string | null)[], paramTypes?: readonly number[]): Promise<RawResult>;
  readonly types: TypeCatalog;
}

export interface SessionOptions {
  readonly dataDir?: string;
  readonly database: string;
  readonly log: (line: string) => void;
  /** Called once if the PGlite worker dies before the session is closed. */
  readonly onUnexpectedExit?: (description: string) => void;
  /** How long a call may wait on another caller's open transaction. */
  readonly waitOnTransactionMs: number;
  /** AWS rolls a transaction back after 3 minutes without a call (TXN-03). */
  readonly transactionIdleMs: number;
  /** ... and after 24 hours in any case (TXN-03). */
  readonly transactionMaxAgeMs: number;
}

interface OpenTransaction {
  readonly id: string;
  readonly startedAt: number;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
}

const ENDED_IDS_KEPT = 1000;

export class PgSession {
  private readonly lease: SessionLease;
  private readonly executor: Executor;
  private readonly ended = new Map<string, TransactionEndCause>();
  private open: OpenTransaction | null = null;
  private closing = false;

  private constructor(
    private readonly pg: PgliteHost,
    private readonly options: SessionOptions,
  ) {
    this.lease = new SessionLease(options.waitOnTransactionMs);
    const query = (sql: string, values?: readonly (string | null)[], paramTypes?: readonly number[]) => pg.query(sql, values, paramTypes);
    this.executor = { query, types: new TypeCatalog(async (sql) => (await query(sql)).rows as (string | null)[][]) };
  }

  static async open(options: SessionOptions): Promise<PgSession> {
    const pg = await PgliteHost.start({ dataDir: options.dataDir, database: options.database, onUnexpectedExit: options.onUnexpectedExit });
    const session = new PgSession(pg, options);
    await session.executor.types.ensure([OID.varchar]);
    return session;
  }

  /** Runs one call outside any transaction, then clears what it left in the session. */
  async autocommit<T>(work: (executor: Executor) => Promise<T>): Promise<T> {
    this.assertOpen();
    await this.lease.acquire({ kind: 'call' });
    try {
      return await work(this.executor);
    } finally {
      await this.resetSession();
      this.lease.release();
    }
  }

  async begin(): Promise<string> {
    this.assertOpen();
    const id = randomBytes(48).toString('base64');
    await this.lease.acquire({ kind: 'transaction', id });
    try {
      this.assertOpen();
      await this.pg.exec('BEGIN');
    } catch (error) {
      this.lease.release();
      throw error;
    }
    this.open = { id, startedAt: Date.now(), busy: false };
    this.armIdleTimer(this.open);
    return id;
  }

  /** Runs one call in transaction `id`; a database error ends the transaction, as on AWS (TXN-04). */
  async inTransaction<T>(id: string, work: (executor: Executor) => Promise<T>): Promise<T> {
    const transaction = this.claim(id);
    try {
      return await work(this.executor);
    } catch (error) {
      if (isPostgresError(error))
        await this.end(transaction, 'Transaction has been aborted due to an error from a previous call.', 'ROLLBACK');
      throw error;
    } finally {
      await this.settle(transaction);
    }
  }

  async commit(id: string): Promise<void> {
    const transaction = this.claim(id);
    try {
      const [command] = await this.pg.exec('COMMIT');
      // Postgres answers COMMIT of a failed transaction with ROLLBACK; report it rather than claim success.
      if (command === 'ROLLBACK')
        throw databaseError('ERROR: current transaction is aborted, commands ignored until end of transaction block; SQLState: 25P02');
    } finally {
      await this.end(transaction, 'One previous call resulted in a termination of your transaction.', null);
    }
  }

  async rollback(id: string): Promise<void> {
    const transaction = this.claim(id);
    await this.end(transaction, 'One previous call resulted in a termination of your transaction.', 'ROLLBACK');
  }

  /** Rolls back an open transaction, waits for running calls, then closes PGlite (data is flushed to dataDir). */
  async close(): Promise<void> {
    this.closing = true;
    while (this.open?.busy) await new Promise((resolve) => setTimeout(resolve, 10));
    if (this.open !== null) await this.end(this.open, 'Transaction may be expired.', 'ROLLBACK');
    await this.lease.acquire({ kind: 'shutdown' });
    await this.pg.close();
  }

  private assertOpen(): void {
    if (this.closing) throw serviceUnavailable('Local Data API: the database is shutting down.');
  }

  /** Marks transaction `id` busy for one call, or explains why it cannot take one. */
  private claim(id: string): OpenTransaction {
    const transaction = this.open;
    if (transaction === null || transaction.id !== id) throw transactionNotFound(id, this.ended.get(id));
    // AWS v2: a second request on a transaction that is still running one fails at once (TXN-05).
    if (transaction.busy) throw databaseError('Transaction is still running a query');
    if (Date.now() - transaction.startedAt > this.options.transactionMaxAgeMs) {
      void this.end(transaction, 'Transaction may be expired.', 'ROLLBACK');
      throw transactionNotFound(id, 'Transaction may be expired.');
    }
    transaction.busy = true;
    clearTimeout(transaction.idleTimer);
    return transaction;
  }

  /** After a call: re-arm the idle timer, or notice that the SQL itself ended the transaction (COMMIT as a statement). */
  private async settle(transaction: OpenTransaction): Promise<void> {
    transaction.busy = false;
    if (this.open !== transaction) return;
    if (!this.pg.inTransaction) {
      await this.end(transaction, 'One previous call resulted in a termination of your transaction.', null);
      return;
    }
    this.armIdleTimer(transaction);
  }

  // AWS: a transaction without a call for 3 minutes is rolled back (TXN-03).
  private armIdleTimer(transaction: OpenTransaction): void {
    transaction.idleTimer = setTimeout(() => {
      if (this.open === transaction && !transaction.busy) {
        this.options.log(`Local Data API: transaction ${transaction.id} idle for ${this.options.transactionIdleMs} ms, rolled back`);
        void this.end(transaction, 'Transaction may be expired.', 'ROLLBACK');
      }
    }, this.options.transactionIdleMs);
    transaction.idleTimer.unref();
  }

  /** Forgets the transaction at once (later calls see "isn't found"), then cleans the session and frees it. */
  private async end(transaction: OpenTransaction, cause: TransactionEndCause, finish: 'ROLLBACK' | null): Promise<void> {
    if (this.open !== transaction) return;
    this.open = null;
    clearTimeout(transaction.idleTimer);
    this.remember(transaction.id, cause);
    try {
      if (finish !== null && this.pg.inTransaction) await this.pg.exec(finish);
    } catch (error) {
      assertIsError(error);
      this.options.log(`Local Data API: ${finish} failed: ${error.message}`);
    }
    await this.resetSession();
    this.lease.release();
  }

  private remember(id: string, cause: TransactionEndCause): void {
    this.ended.set(id, cause);
    if (this.ended.size > ENDED_IDS_KEPT) this.ended.delete(this.ended.keys().next().value as string);
  }

  /**
   * AWS: the next call may run on another pooled connection, so nothing a call sets survives it (RDS-06):
   * settings, temp tables, prepared statements, advisory locks. A stray BEGIN sent as SQL is rolled back too.
   */
  private async resetSession(): Promise<void> {
    try {
      if (this.pg.inTransaction) await this.pg.exec('ROLLBACK');
      await this.pg.exec('DISCARD ALL');
    } catch (error) {
      assertIsError(error);
      this.options.log(`Local Data API: session reset failed: ${error.message}`);
    }
  }
}
