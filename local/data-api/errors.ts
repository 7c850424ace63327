/**
 * Errors the Data API answers with. The SDK takes the error name from the `x-amzn-ErrorType`
 * header and the message from the body's `message` (RDP-01), so each error is a name, an HTTP
 * status and a message.
 */
export class DataApiError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const badRequest = (message: string) => new DataApiError('BadRequestException', 400, message);

/** Not in the SDK's model, so the SDK surfaces it as RDSDataServiceException with this name. */
export const validationError = (message: string) => new DataApiError('ValidationException', 400, message);

export const databaseError = (message: string) => new DataApiError('DatabaseErrorException', 400, message);

export const statementTimeout = (message: string) => new DataApiError('StatementTimeoutException', 400, message);

export const unsupportedResult = (message: string) => new DataApiError('UnsupportedResultException', 400, message);

// AWS: Aurora Serverless v2 at 0 ACU answers this while it resumes; callers are expected to retry (ERR-03).
export const databaseResuming = () =>
  new DataApiError('DatabaseResumingException', 400, 'The database is resuming after being auto-paused. Wait a few seconds and try again.');

// AWS: the writer instance is unavailable (outage, failover, maintenance); the SDK models it as DatabaseUnavailableException, 504.
export const databaseUnavailable = () =>
  new DataApiError('DatabaseUnavailableException', 504, "The writer instance in the DB cluster isn't available.");

/** Why a transaction id is no longer usable; the texts are the causes AWS appends (TXN-03). */
export type TransactionEndCause =
  | 'Transaction may be expired.'
  | 'One previous call resulted in a termination of your transaction.'
  | 'Transaction has been aborted due to an error from a previous call.';

// AWS: unknown/finished/expired ids answer "Transaction <id> isn't found" + a cause, as TransactionNotFoundException (404) on v2 [VERIFY].
export const transactionNotFound = (id: string, cause: TransactionEndCause = 'Transaction may be expired.') =>
  new DataApiError('TransactionNotFoundException', 404, `Transaction ${id} isn't found. ${cause}`);

export const unknownOperation = (path: string) => new DataApiError('UnknownOperationException', 404, `Unknown operation ${path}`);

export const serviceUnavailable = (message: string) => new DataApiError('ServiceUnavailableError', 503, message);

export const internalError = () => new DataApiError('InternalServerErrorException', 500, 'An internal error occurred.');

/** The fields of a Postgres error that PGlite raises (its DatabaseError). */
export interface PostgresErrorFields {
  readonly message: string;
  readonly code?: string;
  readonly severity?: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: string;
  readonly where?: string;
}

/** PGlite's DatabaseError: an Error carrying a five-character SQLSTATE in `code`. */
export const isPostgresError = (error: unknown): error is PostgresErrorFields => {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
};

/**
 * `ERROR: <message>[\n  Detail: …][\n  Hint: …][\n  Position: N][\n  Where: …]; SQLState: <code>` — the PgJDBC
 * ServerErrorMessage text the Data API relays, then its SQLState suffix (ERR-01).
 * Hint and Position are observed in real AWS messages; Detail and Where are included because PgJDBC prints
 * them by default (logServerErrorDetail=true) — whether AWS turns Detail off is unconfirmed [VERIFY].
 */
const postgresErrorMessage = (error: PostgresErrorFields): string => {
  const lines = [`${error.severity ?? 'ERROR'}: ${error.message}`];
  if (error.detail) lines.push(`  Detail: ${error.detail}`);
  if (error.hint) lines.push(`  Hint: ${error.hint}`);
  if (error.position) lines.push(`  Position: ${error.position}`);
  if (error.where) lines.push(`  Where: ${error.where}`);
  return `${lines.join('\n')}; SQLState: ${error.code ?? 'XX000'}`;
};

// AWS: SQL errors are DatabaseErrorException (400) on v2; v1 used BadRequestException (ERR-01).
export const fromPostgresError = (error: PostgresErrorFields): DataApiError => databaseError(postgresErrorMessage(error));
