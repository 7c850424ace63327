/**
 * A thin, typed wrapper over the RDS Data API: named parameters, one statement per call,
 * transactions, and retries while an auto-paused Aurora Serverless v2 cluster resumes.
 */
import {
  BeginTransactionCommand,
  CommitTransactionCommand,
  ExecuteStatementCommand,
  type Field,
  RollbackTransactionCommand,
  type RDSDataClient,
  type SqlParameter,
} from '@aws-sdk/client-rds-data';

export interface DatabaseTarget {
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
}

/** A parameter value; `{ timestamp: ms }` binds as a TIMESTAMP (UTC). */
export type ParamValue = string | number | boolean | null | { readonly timestamp: number };

export type Row = readonly Field[];

const RETRYABLE = new Set(['DatabaseResumingException', 'StatementTimeoutException', 'ServiceUnavailableError']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `2026-11-28 10:05:12.000` — the Data API's TIMESTAMP format: UTC, a space, no zone. */
export const toSqlTimestamp = (ms: number): string => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

/** Parses the Data API's timestamp text (UTC, no zone) to ms. */
export const fromSqlTimestamp = (text: string): number => {
  const [date, time = '00:00:00'] = text.split(' ');
  const [whole, fraction = ''] = time.split('.');
  return Date.parse(`${date}T${whole}.${(fraction + '000').slice(0, 3)}Z`);
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

  /** Runs one statement and returns its rows. */
  async query(sql: string, params: Record<string, ParamValue> = {}, transactionId?: string): Promise<Row[]> {
    const command = new ExecuteStatementCommand({
      ...this.target,
      sql,
      parameters: Object.entries(params).map(([name, value]) => toParameter(name, value)),
      transactionId,
    });
    const output = await this.withResume(() => this.client.send(command));
    return output.records ?? [];
  }

  /** Runs `work` in a transaction: committed when it resolves, rolled back when it throws. */
  async transaction<T>(work: (run: (sql: string, params?: Record<string, ParamValue>) => Promise<Row[]>) => Promise<T>): Promise<T> {
    const { transactionId } = await this.withResume(() => this.client.send(new BeginTransactionCommand(this.target)));
    const ids = { resourceArn: this.target.resourceArn, secretArn: this.target.secretArn, transactionId };
    try {
      const result = await work((sql, params) => this.query(sql, params, transactionId));
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
    for (let delay = 250; ; delay = Math.min(delay * 2, 4_000)) {
      try {
        return await call();
      } catch (error) {
        const name = (error as { name?: string }).name ?? '';
        if (!RETRYABLE.has(name) || Date.now() + delay > deadline) throw error;
        if (name === 'DatabaseResumingException') this.options.onResumeWait?.(delay);
        await sleep(delay);
      }
    }
  }
}

export const fieldString = (field: Field | undefined): string | null => (field?.isNull ? null : (field?.stringValue ?? null));

export const fieldNumber = (field: Field | undefined): number | null => {
  if (field === undefined || field.isNull) return null;
  return field.longValue ?? field.doubleValue ?? null;
};

export const fieldBoolean = (field: Field | undefined): boolean | null => (field?.isNull ? null : (field?.booleanValue ?? null));
