/**
 * A local RDS Data API endpoint over PGlite (embedded Postgres). It speaks the restJson1 protocol
 * of `@aws-sdk/client-rds-data`, so handlers use an unchanged `RDSDataClient` with only an
 * endpoint override. Behaviour follows the Aurora Serverless v2 Data API; see
 * /work/shared/reference/emulation-fidelity.md §10 for the item ids cited in comments.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isError } from '../../lambdas/domain/errors';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../shared/aws';
import { listen, parseJsonObject, readText, sendJson } from '../shared/http-server';
import { badRequest, DataApiError, databaseResuming, databaseUnavailable, internalError, unknownOperation } from './errors';
import { beginTransaction, commitTransaction, executeStatement, type Operation, rollbackTransaction } from './operations';
import { PgSession } from './session';

export interface DataApiServer {
  readonly url: string;
  readonly port: number;
  readonly resourceArn: string;
  readonly secretArn: string;
  readonly database: string;
  stop(): Promise<void>;
}

export interface DataApiOptions {
  /** 0 or undefined: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** PGlite data directory; undefined keeps the database in memory. */
  readonly dataDir?: string;
  /** Default 'presence'. */
  readonly database?: string;
  /** Fault injection: the first n calls fail with DatabaseResumingException, as an auto-paused cluster does. */
  readonly resumingFailures?: number;
  /** Fault switch (local runtime): while it returns true, every call fails as an unavailable database. */
  readonly unavailable?: () => boolean;
  /** Idle time after which an open transaction is rolled back; AWS: 3 minutes. */
  readonly transactionIdleTimeoutMs?: number;
  /** How long a call may wait for another caller's transaction to end before it fails; default 5 s. */
  readonly waitOnTransactionMs?: number;
  readonly log?: (line: string) => void;
  /** Called once if the PGlite worker dies while the endpoint runs (not on stop), with a sentence naming it. */
  readonly onUnexpectedExit?: (description: string) => void;
}

const DEFAULT_RESOURCE_ARN = `arn:aws:rds:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:cluster:presence-local`;
const DEFAULT_SECRET_ARN = `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:secret:presence-local-db-AbCdEf`;
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
// AWS: requests are limited to 4 MiB (RES-07).
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const send = (response: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void =>
  sendJson(response, status, body, headers);

// AWS/SDK: the error name travels in x-amzn-ErrorType, the text in the body's `message` (RDP-01).
const sendError = (response: ServerResponse, error: DataApiError): void =>
  send(response, error.status, { message: error.message }, { 'x-amzn-ErrorType': error.type });

/** Routes and runs one request; every failure becomes a Data API error response. */
const createHandler =
  (
    operations: Readonly<Record<string, Operation>>,
    faults: { resuming: number; readonly unavailable: () => boolean },
    log: (line: string) => void,
  ) =>
  async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const path = (request.url ?? '/').split('?')[0];
      const operation = request.method === 'POST' ? operations[path] : undefined;
      if (operation === undefined) throw unknownOperation(`${request.method} ${path}`);
      const body = parseJsonObject(await readText(request, MAX_BODY_BYTES, () => badRequest('Request body exceeds 4 MiB')), badRequest);
      if (faults.unavailable()) throw databaseUnavailable();
      if (faults.resuming > 0) {
        faults.resuming--;
        throw databaseResuming();
      }
      send(response, 200, await operation(body));
    } catch (error) {
      if (!(error instanceof DataApiError))
        log(`Local Data API: unexpected error: ${(isError(error) ? error.stack : undefined) ?? String(error)}`);
      sendError(response, error instanceof DataApiError ? error : internalError());
    }
  };

/** Starts the endpoint; resolves once PGlite is up and the port is bound. */
export async function startDataApi(options: DataApiOptions = {}): Promise<DataApiServer> {
  const host = options.host ?? '127.0.0.1';
  const database = options.database ?? 'presence';
  const log = options.log ?? (() => undefined);
  if (!DATABASE_NAME.test(database)) throw new Error(`Invalid database name "${database}"`);

  const session = await PgSession.open({
    onUnexpectedExit: options.onUnexpectedExit,
    dataDir: options.dataDir,
    database,
    log,
    waitOnTransactionMs: options.waitOnTransactionMs ?? 5_000,
    transactionIdleMs: options.transactionIdleTimeoutMs ?? 3 * 60_000,
    transactionMaxAgeMs: 24 * 60 * 60_000,
  });
  // AWS: v2 does not support the deprecated ExecuteSql; it and any other path answer UnknownOperationException here.
  // Skipped AWS behaviour: BatchExecuteStatement (the service never calls it) answers UnknownOperationException too.
  // AWS: requests are SigV4-signed; signatures are knowingly not checked (RDP-05).
  // AWS: responses over 1 MiB fail ("Database response exceeded size limit"); knowingly not enforced (RES-07).
  const operations: Record<string, Operation> = {
    '/Execute': executeStatement(session, database),
    '/BeginTransaction': beginTransaction(session, database),
    '/CommitTransaction': commitTransaction(session),
    '/RollbackTransaction': rollbackTransaction(session),
  };
  const handle = createHandler(
    operations,
    { resuming: options.resumingFailures ?? 0, unavailable: options.unavailable ?? (() => false) },
    log,
  );
  const inFlight = new Set<Promise<void>>();
  const server = createServer((request, response) => {
    const handling = handle(request, response);
    inFlight.add(handling);
    void handling.finally(() => inFlight.delete(handling));
  });

  let port: number;
  try {
    port = await listen(server, options.port ?? 0, host);
  } catch (error) {
    await session.close();
    throw error;
  }
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`Local RDS Data API on ${url} — database ${database}, resourceArn ${DEFAULT_RESOURCE_ARN}, secretArn ${DEFAULT_SECRET_ARN}`);

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // The session first: it ends an open transaction and lets queued calls finish, so their responses go out.
    await session.close();
    await Promise.allSettled([...inFlight]);
    server.closeAllConnections();
    await closed;
  };
  return {
    url,
    port,
    resourceArn: DEFAULT_RESOURCE_ARN,
    secretArn: DEFAULT_SECRET_ARN,
    database,
    stop: () => (stopping ??= stop()),
  };
}
