/**
 * A thin, typed wrapper over the RDS Data API: named parameters, one statement per call,
 * transactions, and retries while an auto-paused Aurora Serverless v2 cluster resumes.
 */
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type Field,
  type RDSDataClient,
  RollbackTransactionCommand,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';
import { RetriesExhaustedError, retry, sleep } from '../domain/retry';

export interface DatabaseTarget {
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
}

/** A parameter value; `{ timestamp: ms }` binds as a TIMESTAMP (UTC). */
export type ParamValue = string | number | boolean | null | { readonly timestamp: number };

export type Row = readonly Field[];

export interface StatementOptions {
  readonly transactionId?: string;
  readonly continueAfterTimeout?: boolean;
}

const RESUME_BACKOFF = { baseMs: 250, capMs: 4_000 } as const;

/**
 * Failures worth waiting out: the cluster resuming from 0 ACU, the service briefly unavailable.
 * Never StatementTimeoutException: the statement may have run (or still runs, with
 * continueAfterTimeout), and inside a transaction the timeout has already aborted it.
 */
const RETRYABLE = new Set(['DatabaseResumingException', 'ServiceUnavailableError']);

/** `2026-11-28 10:05:12.000` — the Data API's TIMESTAMP format: UTC, a space, no zone. */
export const toSqlTimestamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Parses the Data API's timestamp text (UTC, no zone) to ms. */
export const fromSqlTimestamp = (text: string): number => {
  const [date, time = '00:00:00'] = text.split(' ');
  const [whole, fraction = ''] = time.split('.');
  return Date.parse(`${date}T${whole}.${`${fraction}000`.slice(0, 3)}Z`);
};

const toParameter = (name: string, value: ParamValue): SqlParameter => {
  if (value === null) return { name, value: { isNull: true } };
  if (typeof value === 'string') return { name, value: { stringValue: value } };
  if (typeof value === 'boolean') return { name, value: { booleanValue: value } };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, value: { longValue: value } } : { name, value: { doubleValue: value } };
  }
  return { name, value: { stringValue: toSqlTimestamp(value.timestamp) }, typeHint: 'TIMESTAMP' };
};

export class DataApi {
  constructor(
    private readonly client: RDSDataClient,
    private readonly target: DatabaseTarget,
    private readonly options: {
      readonly resumeWaitMs?: number;
      /** Told before each wait for a resuming cluster (the wiring counts them as metrics). */
      readonly onResumeWait?: (delayMs: number) => void;
    } = {},
  ) {}

  /**
   * Runs one statement and returns its rows. `continueAfterTimeout` lets a statement run on after
   * the Data API call times out (45 s): AWS recommends it for DDL, which a cut leaves half-done.
   */
  async query(sql: string, params: Record<string, ParamValue> = {}, options: StatementOptions = {}): Promise<Row[]> {
    const command = new ExecuteStatementCommand({
      ...this.target,
      sql,
      parameters: Object.entries(params).map(([name, value]) => toParameter(name, value)),
      transactionId: options.transactionId,
      continueAfterTimeout: options.continueAfterTimeout,
    });
    const output = await this.withResume(() => this.client.send(command));
    return output.records ?? [];
  }

  /** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(
    work: (
      run: (sql: string, params?: Record<string, ParamValue>, options?: Omit<StatementOptions, 'transactionId'>) => Promise<Row[]>,
    ) => Promise<T>,
  ): Promise<T> {
    const { transactionId } = await this.withResume(() => this.client.send(new BeginTransactionCommand(this.target)));
    const ids = { resourceArn: this.target.resourceArn, secretArn: this.target.secretArn, transactionId };
    try {
      const result = await work((sql, params, options) => this.query(sql, params, { ...options, transactionId }));
      await this.client.send(new CommitTransactionCommand(ids));
      return result;
    } catch (error) {
      // A failed statement already ended the transaction on the Data API side; rolling back is best effort.
      await this.client.send(new RollbackTransactionCommand(ids)).catch(() => undefined);
      throw error;
    }
  }

  /** Aurora Serverless v2 at 0 ACU answers DatabaseResumingException while it wakes up (~15 s). */
  private async withResume<T>(call: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + (this.options.resumeWaitMs ?? 25_000);
    return retry(call, {
      ...RESUME_BACKOFF,
      // The deadline bounds the wait (no sleep runs past it); the attempts only make a bound explicit.
      attempts: Math.ceil((this.options.resumeWaitMs ?? 25_000) / RESUME_BACKOFF.baseMs) + 1,
      retryable: (error) => RETRYABLE.has((error as { name?: string }).name ?? '') && Date.now() < deadline,
      onRetry: (error, _attempt, delayMs) => {
        if ((error as { name?: string }).name === 'DatabaseResumingException') this.options.onResumeWait?.(delayMs);
      },
      sleep: (ms) => sleep(Math.min(ms, Math.max(0, deadline - Date.now()))),
    }).catch((error: unknown) => {
      // The caller sees the service's own failure, not the wrapper.
      throw error instanceof RetriesExhaustedError ? error.cause : error;
    });
  }
}

export const fieldString = (field: Field | undefined): string | null => (field?.isNull ? null : (field?.stringValue ?? null));

export const fieldNumber = (field: Field | undefined): number | null => {
  if (field === undefined || field.isNull) return null;
  return field.longValue ?? field.doubleValue ?? null;
};
