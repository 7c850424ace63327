/**
 * The `@connections` management API (PostToConnection, GetConnection, DeleteConnection) as API
 * Gateway serves it on a WebSocket API's own host, spoken the way `@aws-sdk/client-apigatewaymanagementapi`
 * expects: restJson1, error names in `x-amzn-ErrorType`, timestamps as ISO-8601 strings.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, safeDecode } from '../../shared/http-server';
import { isWellFormedConnectionId } from './ids';

/** What the management API needs from one open connection of the WebSocket emulation. */
export interface ManagedConnection {
  /** Epoch ms. */
  readonly connectedAt: number;
  /** Epoch ms of the last frame from the client (the connect time until the first one). */
  readonly lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** Bytes sent to the socket that the client has not read yet (queued in user space once the kernel's buffers are full). */
  readonly bufferedAmount: number;
  /** Sends `data` as one text frame; `false` when the socket is no longer open. */
  send(data: Buffer): boolean;
  /** Starts closing the socket; `$disconnect` follows once it is closed. `false` when already closing. */
  disconnect(): boolean;
}

export interface ConnectionsApiOptions {
  readonly stage: string;
  /** The open connection with this id; `undefined` for unknown, closed and still-connecting ones. */
  readonly find: (connectionId: string) => ManagedConnection | undefined;
  readonly log: (line: string) => void;
}

// AWS: PostToConnection `Data` is limited to the 128 KB message payload size.
const MAX_POST_BYTES = 128 * 1024;
// AWS: a post to a client whose buffer is full is refused with 429 LimitExceededException; locally "full" is over 128 KB unread.
const MAX_CLIENT_BUFFER_BYTES = 128 * 1024;

// AWS: the API's host serves `/{stage}/@connections/{id}`; SDKs may send `@` percent-encoded.
const PATH = /^\/([^/]+)\/(?:@|%40)connections\/([^/]+)$/i;

interface ErrorReply {
  readonly status: number;
  readonly type: string;
  readonly message: string;
}

const gone = (id: string): ErrorReply => ({ status: 410, type: 'GoneException', message: `Connection ${id} is gone` });
const forbidden: ErrorReply = { status: 403, type: 'ForbiddenException', message: 'Forbidden' };

const sendError = (res: ServerResponse, requestId: string, error: ErrorReply): void => {
  // AWS: the SDK takes the error name from `x-amzn-ErrorType`; without it a 410 is not a GoneException.
  res.writeHead(error.status, { 'content-type': 'application/json', 'x-amzn-ErrorType': error.type, 'x-amzn-RequestId': requestId });
  res.end(JSON.stringify({ message: error.message }));
};

/** Serves one `@connections` request (any request on the API host that is not a WebSocket upgrade). */
export const handleConnectionsRequest = async (
  req: IncomingMessage,
  res: ServerResponse,
  options: ConnectionsApiOptions,
): Promise<void> => {
  const requestId = randomUUID();
  const method = req.method ?? 'GET';
  const body = await readBody(req, MAX_POST_BYTES);
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const reply = (status: number, payload?: unknown): void => {
    res.writeHead(status, { 'x-amzn-RequestId': requestId, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) });
    res.end(payload === undefined ? undefined : JSON.stringify(payload));
  };
  const fail = (error: ErrorReply): void => {
    options.log(`${method} ${path} -> ${error.status} ${error.type}`);
    sendError(res, requestId, error);
  };

  // AWS: management calls must be SigV4-signed (execute-api:ManageConnections); locally only the header's presence is checked.
  if (req.headers.authorization === undefined) return fail({ ...forbidden, message: 'Missing Authentication Token' });
  const match = PATH.exec(path);
  // AWS: a wrong stage or any other path on the API host is refused with 403 ("No method found matching route").
  if (match === null || match[1] !== options.stage) return fail(forbidden);
  if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') return fail(forbidden);

  const id = safeDecode(match[2]);
  // AWS: a malformed id is 400 BadRequestException ("Invalid connectionId"), a name the SDK does not model.
  if (id === undefined || !isWellFormedConnectionId(id)) {
    return fail({ status: 400, type: 'BadRequestException', message: `Invalid connectionId: ${id ?? match[2]}` });
  }
  // AWS: closed, unknown and not-yet-established ($connect still running) connections are all 410 GoneException.
  const connection = options.find(id);
  if (connection === undefined) return fail(gone(id));

  if (method === 'POST') {
    if (body === null) return fail({ status: 413, type: 'PayloadTooLargeException', message: 'Request Entity Too Large' });
    // AWS: LimitExceededException (429) when the client-side buffer is full: the client is not reading.
    if (connection.bufferedAmount > MAX_CLIENT_BUFFER_BYTES)
      return fail({ status: 429, type: 'LimitExceededException', message: 'Limit Exceeded' });
    // AWS: the raw body bytes reach the client as one text frame, byte for byte (frame type for non-UTF-8 data unverified).
    if (!connection.send(body)) return fail(gone(id));
    options.log(`POST @connections/${id} -> 200 (${body.length} bytes)`);
    return reply(200);
  }
  if (method === 'GET') {
    return reply(200, {
      connectedAt: new Date(connection.connectedAt).toISOString(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    });
  }
  // AWS: DeleteConnection answers 204 and closes the socket; $disconnect runs once it is closed; a second delete is 410.
  if (!connection.disconnect()) return fail(gone(id));
  options.log(`DELETE @connections/${id} -> 204`);
  return reply(204);
};
