/**
 * The Data API operations the service calls (ExecuteStatement and the three transaction calls),
 * validated the way the Aurora Serverless v2 / provisioned Data API validates them, and run on the
 * PGlite session.
 */
import { badRequest, databaseError, fromPostgresError, isPostgresError, validationError } from './errors';
import { type BoundParameters, bindParameters, type WireParameter } from './parameters';
import { toRecords } from './results';
import type { Executor, PgSession, RawResult } from './session';
import { bindNamedParameters, splitStatements } from './sql-params';

interface TargetRequest {
  readonly resourceArn?: unknown;
  readonly secretArn?: unknown;
  readonly database?: unknown;
  readonly schema?: unknown;
  readonly transactionId?: unknown;
}

interface ExecuteRequest extends TargetRequest {
  readonly sql?: unknown;
  readonly parameters?: readonly WireParameter[];
  readonly includeResultMetadata?: boolean;
  readonly continueAfterTimeout?: boolean;
  readonly resultSetOptions?: unknown;
  readonly formatRecordsAs?: string;
}

export type Operation = (request: Record<string, unknown>) => Promise<object>;

const RESOURCE_ARN = /^arn:aws(-[a-z]+)*:rds:[a-z0-9-]+:\d{12}:cluster:[A-Za-z0-9-]{1,63}$/;
const SECRET_ARN = /^arn:aws(-[a-z]+)*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

// AWS: the service (not the SDK) rejects missing or malformed ARNs (RDP-04); exact error text [VERIFY].
// Any well-formed pair is accepted: the local stand-in has one cluster and checks no secret contents.
const requireArns = (request: TargetRequest): void => {
  if (typeof request.resourceArn !== 'string' || !RESOURCE_ARN.test(request.resourceArn)) {
    throw badRequest('resourceArn must be an Aurora DB cluster ARN (arn:aws:rds:<region>:<account>:cluster:<name>)');
  }
  if (typeof request.secretArn !== 'string' || !SECRET_ARN.test(request.secretArn)) {
    throw badRequest('secretArn must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)');
  }
};

// AWS: Data API v2 rejects the schema parameter (RDS-02).
const rejectSchema = (request: TargetRequest): void => {
  if (request.schema !== undefined && request.schema !== null) throw validationError("The schema parameter isn't supported");
};

/**
 * AWS: `database` names the database to connect to; an unknown one fails with 3D000 (RDP-04). Without it AWS
 * connects to the database named after the secret's user, which holds none of this service's tables; the
 * emulator serves one database, so it rejects the omission outright instead of pretending.
 */
const requireDatabase = (request: TargetRequest, database: string): void => {
  if (request.database === undefined || request.database === null) {
    throw badRequest(
      `Local Data API: pass database "${database}". Without it AWS connects to the database named after the secret's user, ` +
        "which does not hold this service's tables.",
    );
  }
  if (request.database !== database) {
    throw databaseError(`ERROR: database "${String(request.database)}" does not exist; SQLState: 3D000`);
  }
};

const requireTransactionId = (request: TargetRequest): string => {
  if (typeof request.transactionId !== 'string' || request.transactionId === '') throw badRequest('transactionId is required');
  return request.transactionId;
};

interface PreparedSql {
  readonly text: string;
  readonly names: readonly string[];
}

const prepareSql = (sql: unknown): PreparedSql => {
  if (typeof sql !== 'string') throw badRequest('sql is required');
  // AWS: Data API v2 runs one statement per call; a trailing `;` is fine (RDS-01).
  if (splitStatements(sql).length > 1) throw validationError("Multistatements aren't supported.");
  const bound = bindNamedParameters(sql);
  // AWS takes `:name` placeholders only (RDS-03); `$1` here would collide with the renumbered parameters.
  if (bound.positional) throw badRequest('Positional parameters ($1) are not supported; use :name placeholders.');
  return bound;
};

/** Database errors become DatabaseErrorException; a multi-statement that slipped past the splitter stays a ValidationException. */
const translateError = (error: unknown): unknown => {
  if (!isPostgresError(error)) return error;
  if (/multiple commands into a prepared statement/.test(error.message)) return validationError("Multistatements aren't supported.");
  return fromPostgresError(error);
};

const run = async <T>(session: PgSession, transactionId: string | undefined, work: (executor: Executor) => Promise<T>): Promise<T> => {
  try {
    return transactionId === undefined ? await session.autocommit(work) : await session.inTransaction(transactionId, work);
  } catch (error) {
    throw translateError(error);
  }
};

const query = async (executor: Executor, sql: PreparedSql, parameters: BoundParameters): Promise<RawResult> => {
  const result = await executor.query(sql.text, parameters.values, parameters.types);
  await executor.types.ensure(result.columns.map((column) => column.dataTypeID));
  return result;
};

const executeResponse = (result: RawResult, executor: Executor): object => {
  // AWS: generatedFields is empty for PostgreSQL, which uses RETURNING instead (RES-01).
  if (result.columns.length === 0) return { numberOfRecordsUpdated: result.affectedRows, generatedFields: [] };
  // AWS: statements that return rows report 0 updated records, INSERT … RETURNING included (RES-01, seen on v1) [VERIFY v2].
  return { numberOfRecordsUpdated: 0, records: toRecords(result.rows, result.columns, executor.types) };
};

// Skipped AWS behaviour: the result options the service never asks for: columnMetadata (RES-01), formattedRecords (RES-06)
// and resultSetOptions (RES-02); asking for one is refused rather than answered in the wrong shape.
const refuseResultOptions = (request: ExecuteRequest): void => {
  if (request.includeResultMetadata === true) throw badRequest('includeResultMetadata is not emulated by the local Data API.');
  if (request.formatRecordsAs !== undefined && request.formatRecordsAs !== 'NONE') {
    throw badRequest(`formatRecordsAs ${String(request.formatRecordsAs)} is not emulated by the local Data API.`);
  }
  if (request.resultSetOptions !== undefined && request.resultSetOptions !== null)
    throw badRequest('resultSetOptions is not emulated by the local Data API.');
};

const transactionIdOf = (request: TargetRequest): string | undefined =>
  request.transactionId === undefined || request.transactionId === null ? undefined : requireTransactionId(request);

export const executeStatement =
  (session: PgSession, database: string): Operation =>
  async (raw) => {
    const request = raw as ExecuteRequest;
    requireArns(request);
    rejectSchema(request);
    const transactionId = transactionIdOf(request);
    // A call in a transaction uses that transaction's database.
    if (transactionId === undefined) requireDatabase(request, database);
    refuseResultOptions(request);
    const sql = prepareSql(request.sql);
    const parameters = bindParameters(sql.names, request.parameters);
    // AWS: statements time out after 45 s unless continueAfterTimeout (RES-07); knowingly skipped, PGlite cannot cancel a running query.
    return run(session, transactionId, async (executor) => executeResponse(await query(executor, sql, parameters), executor));
  };

export const beginTransaction =
  (session: PgSession, database: string): Operation =>
  async (raw) => {
    const request = raw as TargetRequest;
    requireArns(request);
    rejectSchema(request);
    requireDatabase(request, database);
    const transactionId = await session.begin().catch((error: unknown) => {
      throw translateError(error);
    });
    return { transactionId };
  };

// AWS: CommitTransaction answers "Transaction Committed", RollbackTransaction "Rollback Complete" (TXN-02).
export const commitTransaction =
  (session: PgSession): Operation =>
  async (raw) => {
    const request = raw as TargetRequest;
    requireArns(request);
    await session.commit(requireTransactionId(request)).catch((error: unknown) => {
      throw translateError(error);
    });
    return { transactionStatus: 'Transaction Committed' };
  };

export const rollbackTransaction =
  (session: PgSession): Operation =>
  async (raw) => {
    const request = raw as TargetRequest;
    requireArns(request);
    await session.rollback(requireTransactionId(request));
    return { transactionStatus: 'Rollback Complete' };
  };
