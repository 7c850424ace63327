/**
 * The handshake, held pending as API Gateway holds it: the authorizer and `$connect` answer
 * before the 101 (or the refusal) is written, and only then does the socket join the pool.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { isError } from '../../../lambdas/domain/errors';
import { invoke } from '../../lambda/invoke';
import { type AuthorizerOutcome, authorizerFailure, evaluateAuthorizerResult, lacksIdentity, unauthorized } from './authorizer-policy';
import type { WebSocketConfig } from './config';
import { type Connection, type ConnectionPool, GOING_AWAY } from './connection-pool';
import {
  authorizerEvent,
  type CloseReason,
  type ConnectionIdentity,
  connectEvent,
  connectMethodArn,
  type HandshakeRequest,
  type Headers,
  readHandshake,
  remoteIp,
} from './events';
import { MAX_MESSAGE_BYTES } from './frames';
import { awsStyleId } from './ids';

export interface HandshakeOptions {
  readonly config: WebSocketConfig;
  readonly pool: ConnectionPool;
  /** `true` once the server is stopping: new handshakes are refused with 503. */
  readonly stopping: () => boolean;
  /** `host:port` for a request without a Host header. */
  readonly defaultHost: () => string;
  /** `$disconnect` for a connection `$connect` accepted but that never reached the pool. */
  readonly disconnect: (connection: Connection, close: CloseReason) => void;
}

/** Answers one upgrade request; resolves once its connection is closed (or refused). */
export type Upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>;

const writeRefusal = (socket: Duplex, status: number, message: string): void => {
  if (socket.destroyed) return;
  const body = JSON.stringify({ message });
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
};

const isWebSocketHandshake = (req: IncomingMessage): boolean =>
  req.method === 'GET' &&
  req.headers.upgrade?.toLowerCase() === 'websocket' &&
  /^[+/0-9A-Za-z]{22}==$/.test(req.headers['sec-websocket-key'] ?? '') &&
  req.headers['sec-websocket-version'] === '13';

export const createUpgrade = ({ config, pool, stopping, defaultHost, disconnect }: HandshakeOptions): Upgrade => {
  const { stage, log } = config;
  const handshakeHeaders = new WeakMap<IncomingMessage, Headers>();
  const headerValue = (req: IncomingMessage, name: string): string | undefined =>
    Object.entries(handshakeHeaders.get(req) ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    // AWS: a message over 128 KB closes the connection with 1009 (each frame's 32 KB is checked by frameSizeWatcher).
    maxPayload: MAX_MESSAGE_BYTES,
    // AWS [unverified]: API Gateway does not negotiate permessage-deflate.
    perMessageDeflate: false,
    // AWS: the subprotocol is the Sec-WebSocket-Protocol header $connect returned; none if it returned none.
    handleProtocols: (_protocols, req) => headerValue(req, 'sec-websocket-protocol') ?? false,
  });
  // AWS: other headers $connect returns are put on the 101 response.
  wss.on('headers', (lines: string[], req: IncomingMessage) => {
    for (const [name, value] of Object.entries(handshakeHeaders.get(req) ?? {})) {
      if (name.toLowerCase() !== 'sec-websocket-protocol') lines.push(`${name}: ${value}`);
    }
  });

  const authorize = async (
    authorizer: NonNullable<WebSocketConfig['authorizer']>,
    req: IncomingMessage,
    url: URL,
    pending: ConnectionIdentity,
    request: HandshakeRequest,
  ): Promise<AuthorizerOutcome> => {
    if (lacksIdentity(authorizer.identitySources, req.headers, url.searchParams)) return unauthorized;
    const started = Date.now();
    let result: unknown;
    try {
      result = await invoke(authorizer.fn, authorizerEvent(stage, pending, request));
    } catch (error) {
      return authorizerFailure(error);
    }
    return evaluateAuthorizerResult(result, connectMethodArn(stage), Date.now() - started);
  };

  /** `$connect`'s answer: the headers for the 101, or the refusal's status. */
  const runConnect = async (
    connection: Connection,
    request: HandshakeRequest,
    started: number,
  ): Promise<{ headers: Headers } | { status: number; message: string }> => {
    const connectFn = config.routes.get('$connect');
    if (connectFn === undefined) return { headers: {} };
    let result: unknown;
    try {
      result = await invoke(connectFn, connectEvent(stage, connection, request));
    } catch (error) {
      log(`$connect ${connection.id} -> 502 function error: ${isError(error) ? error.message : String(error)}`);
      // AWS (observed): a $connect function error refuses the handshake with 502.
      return { status: 502, message: 'Internal server error' };
    }
    const structured =
      typeof result === 'object' && result !== null ? (result as { statusCode?: unknown; headers?: Record<string, unknown> }) : {};
    // AWS [guessed]: a result without a statusCode counts as 200.
    const status = structured.statusCode === undefined ? 200 : Number(structured.statusCode);
    if (!(status >= 200 && status < 300)) {
      log(`$connect ${connection.id} -> ${status} (${Date.now() - started} ms)`);
      // AWS: a non-2xx $connect result is the handshake's HTTP status; no socket, no $disconnect (body text guessed).
      return {
        status: Number.isInteger(status) && status >= 100 && status <= 599 ? status : 502,
        message: STATUS_CODES[status] ?? 'Error',
      };
    }
    return { headers: Object.fromEntries(Object.entries(structured.headers ?? {}).map(([name, value]) => [name, String(value)])) };
  };

  return async (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // AWS: clients connect to /{stage}; `/` is accepted locally too (PROTOCOL.md's local URL).
    if (url.pathname !== '/' && url.pathname !== `/${stage}` && url.pathname !== `/${stage}/`)
      return writeRefusal(socket, 403, 'Forbidden');
    if (!isWebSocketHandshake(req)) return writeRefusal(socket, 400, 'Bad Request');
    if (stopping()) return writeRefusal(socket, 503, 'Service Unavailable');

    const request = readHandshake(req, url);
    const pending: ConnectionIdentity = {
      id: awsStyleId(),
      connectedAt: Date.now(),
      sourceIp: remoteIp(req),
      userAgent: req.headers['user-agent'] ?? '',
      host: req.headers.host ?? defaultHost(),
    };
    const started = Date.now();

    let authorizerContext: Connection['authorizer'];
    if (config.authorizer !== undefined) {
      const outcome = await authorize(config.authorizer, req, url, pending, request);
      if (outcome.kind === 'refuse') {
        log(`$connect ${pending.id} -> ${outcome.status} (authorizer, ${Date.now() - started} ms)`);
        return writeRefusal(socket, outcome.status, outcome.message);
      }
      authorizerContext = outcome.context;
    }
    const connection: Connection = { ...pending, authorizer: authorizerContext, lastActiveAt: pending.connectedAt };

    // AWS: the handshake stays pending while $connect runs; until it succeeds the id is unknown to @connections (410).
    const answer = await runConnect(connection, request, started);
    if ('status' in answer) return writeRefusal(socket, answer.status, answer.message);

    if (stopping()) {
      // Local only: the server is going away; $connect already accepted, so handlers get their $disconnect.
      writeRefusal(socket, 503, 'Service Unavailable');
      return disconnect(connection, GOING_AWAY);
    }
    handshakeHeaders.set(req, answer.headers);
    let upgraded: Promise<void> | undefined;
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = pool.attach(connection, ws, socket);
    });
    if (upgraded === undefined) {
      // The client left (or sent a header ws refuses) while $connect ran: $connect said yes, so $disconnect follows.
      log(`$connect ${pending.id} -> client gone before 101`);
      return disconnect(connection, { code: 1006, reason: 'Connection closed abnormally' });
    }
    log(`$connect ${pending.id} -> 101 (${Date.now() - started} ms)`);
    await upgraded;
  };
};
