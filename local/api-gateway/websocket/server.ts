/**
 * API Gateway WebSocket API emulation: one HTTP server that holds each handshake until the Lambda
 * REQUEST authorizer and `$connect` have answered, routes text frames by the route selection
 * expression, fires `$disconnect` after every close, enforces API Gateway's frame and time limits,
 * and serves the `@connections` management API on the same host, as API Gateway does.
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, STATUS_CODES, createServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, clfTime } from '../../shared/aws';
import { listen } from '../../shared/http-server';
import { type ManagedConnection, handleConnectionsRequest } from './connections-api';
import { type FunctionConfig, invoke } from '../../lambda/invoke';

export interface WebSocketRoute {
  /** `$connect`, `$disconnect`, `$default` or a custom route key. */
  readonly routeKey: string;
  readonly fn: FunctionConfig;
  /** The route has a route response (two-way): the integration's `body` is sent back to the client. */
  readonly returnResponse?: boolean;
}

export interface WebSocketAuthorizerConfig {
  readonly fn: FunctionConfig;
  /** E.g. `['route.request.querystring.token']` or `['route.request.header.Authorization']`. */
  readonly identitySource: readonly string[];
}

export interface WebSocketApiOptions {
  /** 0 or undefined: a free port. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default `local`. */
  readonly stage?: string;
  /** Default `$request.body.action`. */
  readonly routeSelectionExpression?: string;
  readonly routes: readonly WebSocketRoute[];
  /** Lambda REQUEST authorizer on `$connect`. */
  readonly authorizer?: WebSocketAuthorizerConfig;
  /** AWS: 600. */
  readonly idleTimeoutSeconds?: number;
  /** AWS: 7200. */
  readonly maxConnectionSeconds?: number;
  readonly log?: (line: string) => void;
}

export interface WebSocketApi {
  /** `ws://host:port`; clients connect to `${url}/?token=...` (or `${url}/${stage}?...`). */
  readonly url: string;
  /** `http://host:port/${stage}`: the `endpoint` for `ApiGatewayManagementApiClient`. */
  readonly connectionsEndpoint: string;
  readonly port: number;
  /** Connection ids currently open (for tests). */
  connectionIds(): string[];
  /** Closes every socket (code 1001), fires their `$disconnect`, then closes the server. */
  stop(): Promise<void>;
}

/** `requestContext.authorizer`: the authorizer's context (values stringified), `principalId`, `integrationLatency`. */
export type WebSocketAuthorizerContext = Readonly<Record<string, string | number>>;

export interface WebSocketRequestContext {
  readonly routeKey: string;
  readonly eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  readonly messageId?: string;
  readonly extendedRequestId: string;
  readonly requestTime: string;
  readonly messageDirection: 'IN';
  readonly stage: string;
  readonly connectedAt: number;
  readonly requestTimeEpoch: number;
  readonly identity: { readonly sourceIp: string; readonly userAgent: string };
  readonly requestId: string;
  readonly domainName: string;
  readonly connectionId: string;
  readonly apiId: string;
  readonly authorizer?: WebSocketAuthorizerContext;
  readonly disconnectStatusCode?: number;
  readonly disconnectReason?: string;
}

type Headers = Record<string, string>;
type MultiValueHeaders = Record<string, string[]>;

export interface WebSocketConnectEvent {
  readonly headers: Headers;
  readonly multiValueHeaders: MultiValueHeaders;
  readonly queryStringParameters?: Headers;
  readonly multiValueQueryStringParameters?: MultiValueHeaders;
  readonly requestContext: WebSocketRequestContext;
  readonly isBase64Encoded: false;
}

export interface WebSocketMessageEvent {
  readonly requestContext: WebSocketRequestContext;
  readonly body: string;
  readonly isBase64Encoded: false;
}

export interface WebSocketDisconnectEvent {
  readonly headers: Headers;
  readonly multiValueHeaders: MultiValueHeaders;
  readonly requestContext: WebSocketRequestContext;
  readonly isBase64Encoded: false;
}

/** The `$connect` Lambda REQUEST authorizer's input (`@types/aws-lambda` has no WebSocket shape). */
export interface WebSocketAuthorizerEvent {
  readonly type: 'REQUEST';
  readonly methodArn: string;
  readonly headers: Headers;
  readonly multiValueHeaders: MultiValueHeaders;
  readonly queryStringParameters: Headers;
  readonly multiValueQueryStringParameters: MultiValueHeaders;
  readonly stageVariables: Headers;
  readonly requestContext: WebSocketRequestContext;
}

const API_ID = 'local';
// AWS: a frame may carry at most 32 KB and a message (its frames together) at most 128 KB; more closes the connection with 1009.
const MAX_FRAME_BYTES = 32 * 1024;
const MAX_MESSAGE_BYTES = 128 * 1024;
// AWS: connections idle for 10 minutes or open for 2 hours are closed with 1001.
const DEFAULT_IDLE_SECONDS = 600;
const DEFAULT_MAX_CONNECTION_SECONDS = 7200;
// Local only: how long stop() waits for a closing handshake before cutting sockets off.
const STOP_GRACE_MS = 1_000;

// ---------------------------------------------------------------------------------------------
// Route selection

// `\$` | `${request.body.path}` | `$request.body.path` | any other `$variable` (rejected).
const VARIABLE = /\\\$|\$\{request\.body((?:\.[A-Za-z0-9_$-]+)*)\}|\$request\.body((?:\.[A-Za-z0-9_-]+)*)|\$\{?[^}]*\}?/g;

// AWS: a non-string JSONPath result is stringified; arrays render as `[item1, item2]` (objects as JSON: guessed).
const stringify = (value: unknown): string => {
  if (value === undefined || value === null) return ''; // guessed for null; missing variables are documented as ""
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(stringify).join(', ')}]`;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
};

const lookup = (root: unknown, path: string): unknown => {
  let current = root;
  for (const segment of path.split('.').filter((part) => part.length > 0)) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
};

/**
 * Evaluates a WebSocket route selection expression (`$request.body.action`, `${request.body.a.b}-x`)
 * against a message; `undefined` when the body is not JSON. Only `request.body` variables exist
 * for route selection; any other variable throws (a configuration error).
 */
export const evaluateRouteSelectionExpression = (expression: string, body: string): string | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  return expression.replace(VARIABLE, (token: string, braced?: string, bare?: string) => {
    // AWS: `\$` escapes a dollar sign in selection expressions.
    if (token === '\\$') return '$';
    const path = braced ?? bare;
    if (path === undefined || path === '') throw new Error(`Unsupported route selection variable ${token} in ${expression}`);
    return stringify(lookup(json, path));
  });
};

/**
 * AWS (WSM-01): the route whose key equals the evaluated expression exactly (case-sensitive);
 * non-JSON bodies, missing properties and unknown keys fall back to `$default`; `undefined` when
 * there is no `$default` either. `$connect`/`$disconnect` are never selected by a message.
 */
export const selectRoute = (expression: string, body: string, routeKeys: ReadonlySet<string>): string | undefined => {
  const key = evaluateRouteSelectionExpression(expression, body);
  if (key !== undefined && key !== '$connect' && key !== '$disconnect' && key !== '$default' && routeKeys.has(key)) return key;
  return routeKeys.has('$default') ? '$default' : undefined;
};

// ---------------------------------------------------------------------------------------------
// Ids, times, headers

// AWS: connection, request and extended request ids look like `GgCJcFJGoAMCJ8w=`: 16 chars of the base64 alphabet ending in `=`.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const awsStyleId = (): string => Array.from(randomBytes(15), (byte) => ALPHABET[byte % ALPHABET.length]).join('') + '=';
export const newConnectionId = awsStyleId;

/** Headers with their original name casing (AWS: WebSocket events do not lower-case like HTTP API 2.0). */
const readHeaders = (req: IncomingMessage): { headers: Headers; multiValueHeaders: MultiValueHeaders } => {
  const multiValueHeaders: MultiValueHeaders = {};
  const names = new Map<string, string>();
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    const lower = req.rawHeaders[index].toLowerCase();
    const name = names.get(lower) ?? req.rawHeaders[index];
    names.set(lower, name);
    (multiValueHeaders[name] ??= []).push(req.rawHeaders[index + 1]);
  }
  // AWS: the request reaches the integration through API Gateway's proxy, which adds the X-Forwarded-* headers.
  const sourceIp = remoteIp(req);
  const forwarded: Headers = { 'X-Forwarded-For': sourceIp, 'X-Forwarded-Port': String(req.socket.localPort ?? ''), 'X-Forwarded-Proto': 'http' };
  for (const [name, value] of Object.entries(forwarded)) if (!names.has(name.toLowerCase())) multiValueHeaders[name] = [value];
  // AWS (REST-style proxy events): `headers` keeps the last value of a repeated header, `multiValueHeaders` all of them.
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([name, values]) => [name, values[values.length - 1]]));
  return { headers, multiValueHeaders };
};

const readQuery = (url: URL): { single: Headers; multi: MultiValueHeaders } => {
  const multi: MultiValueHeaders = {};
  for (const [key, value] of url.searchParams) (multi[key] ??= []).push(value);
  const single = Object.fromEntries(Object.entries(multi).map(([key, values]) => [key, values[values.length - 1]]));
  return { single, multi };
};

const remoteIp = (req: IncomingMessage): string => req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';

// ---------------------------------------------------------------------------------------------
// Authorizer

type AuthorizerOutcome =
  | { readonly kind: 'allow'; readonly context: WebSocketAuthorizerContext }
  | { readonly kind: 'refuse'; readonly status: number; readonly message: string };

interface IdentitySource {
  readonly where: 'header' | 'querystring';
  readonly name: string;
}

const parseIdentitySource = (source: string): IdentitySource => {
  const match = /^route\.request\.(header|querystring)\.(.+)$/.exec(source);
  // Knowingly skipped: `stageVariables.*` and `context.*` identity sources (unused by this project).
  if (match === null) throw new Error(`Unsupported WebSocket authorizer identity source: ${source}`);
  return { where: match[1] as IdentitySource['where'], name: match[2] };
};

// IAM wildcards: `*` is any run of characters (slashes included), `?` is one character.
const globMatches = (pattern: string, value: string, ignoreCase: boolean): boolean => {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
};

const asList = (value: unknown): unknown[] | undefined => {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value;
  return undefined;
};

const refuse = (status: number, message: string): AuthorizerOutcome => ({ kind: 'refuse', status, message });
const malformed = refuse(500, 'Internal server error');

/** AWS: an explicit Deny wins, then an Allow on `execute-api:Invoke` for the method ARN; no matching statement is a Deny. */
export const evaluateAuthorizerResult = (result: unknown, methodArn: string, latencyMs: number): AuthorizerOutcome => {
  if (typeof result !== 'object' || result === null) return malformed;
  const { principalId, policyDocument, context } = result as { principalId?: unknown; policyDocument?: { Statement?: unknown }; context?: unknown };
  // AWS: output without a principalId or policy is an authorizer configuration error: 500.
  if (typeof principalId !== 'string' || typeof policyDocument !== 'object' || policyDocument === null) return malformed;
  const statements = Array.isArray(policyDocument.Statement) ? policyDocument.Statement : [policyDocument.Statement];
  let allowed = false;
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null) return malformed;
    const { Effect, Action, Resource } = statement as { Effect?: unknown; Action?: unknown; Resource?: unknown };
    const actions = asList(Action);
    const resources = asList(Resource);
    if ((Effect !== 'Allow' && Effect !== 'Deny') || actions === undefined || resources === undefined) return malformed;
    const applies =
      actions.some((action) => typeof action === 'string' && globMatches(action, 'execute-api:Invoke', true)) &&
      resources.some((resource) => typeof resource === 'string' && globMatches(resource, methodArn, false));
    if (applies && Effect === 'Deny') return refuse(403, 'Forbidden');
    if (applies) allowed = true;
  }
  if (!allowed) return refuse(403, 'Forbidden');
  const values: Record<string, string | number> = {};
  if (context !== undefined && context !== null) {
    if (typeof context !== 'object' || Array.isArray(context)) return malformed;
    for (const [key, value] of Object.entries(context)) {
      if (value === null) continue;
      // AWS: context values must be string, number or boolean; objects and arrays make the output invalid.
      if (typeof value === 'object') return malformed;
      // AWS [VERIFY]: numbers and booleans are stringified here so handlers must parse them (REST proxy does so).
      values[key] = String(value);
    }
  }
  // AWS: Lambda proxy integrations receive the context together with principalId and integrationLatency.
  return { kind: 'allow', context: { ...values, principalId, integrationLatency: latencyMs } };
};

// ---------------------------------------------------------------------------------------------
// Connections

interface Connection extends ManagedConnection {
  readonly id: string;
  readonly host: string;
  readonly authorizer?: WebSocketAuthorizerContext;
  lastActiveAt: number;
}

interface CloseReason {
  readonly code: number;
  readonly reason: string;
}

// Guessed texts for server-initiated closes; only DELETE's is observed (boto3#3789: 1000 "Connection Closed Normally").
const DELETED: CloseReason = { code: 1000, reason: 'Connection Closed Normally' };
const GOING_AWAY: CloseReason = { code: 1001, reason: 'Going away' };
const TOO_BIG: CloseReason = { code: 1009, reason: 'Message too big' };
const PROTOCOL_ERRORS: Record<string, CloseReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: TOO_BIG,
  WS_ERR_INVALID_UTF8: { code: 1007, reason: 'Invalid frame payload data' },
};

/** `disconnectReason` for a close the client started: its own reason, or AWS's text for a close frame without a code. */
const clientCloseReason = (code: number, reason: string): CloseReason => {
  // AWS (observed): a close frame without a status is reported as 1005 "Client-side close frame status not set".
  if (code === 1005) return { code, reason: 'Client-side close frame status not set' };
  return { code, reason };
};

/**
 * Watches the raw bytes a client sends and calls `onOversized` when a frame header announces a
 * payload over `limit`, before that frame's payload arrives. `ws` can only limit whole messages
 * (`maxPayload` adds up the fragments), so the per-frame limit is checked here, on the wire.
 */
export const frameSizeWatcher = (limit: number, onOversized: (length: number) => void): ((chunk: Buffer) => void) => {
  let header = Buffer.alloc(0);
  let skip = 0;
  let tripped = false;
  return (chunk: Buffer) => {
    let offset = 0;
    while (!tripped && offset < chunk.length) {
      if (skip > 0) {
        const skipped = Math.min(skip, chunk.length - offset);
        skip -= skipped;
        offset += skipped;
        continue;
      }
      const needed = headerLength(header.length >= 2 ? header : Buffer.concat([header, chunk.subarray(offset, offset + 2)]));
      const take = Math.min(needed - header.length, chunk.length - offset);
      header = Buffer.concat([header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (header.length < needed) continue;
      const length = payloadLength(header);
      header = Buffer.alloc(0);
      if (length > limit) {
        tripped = true;
        onOversized(length);
        return;
      }
      skip = length;
    }
  };
};

/** Bytes of a frame header (RFC 6455 §5.2) given at least its first two bytes; 2 while fewer are known. */
const headerLength = (start: Buffer): number => {
  if (start.length < 2) return 2;
  const short = start[1] & 0x7f;
  const mask = start[1] & 0x80 ? 4 : 0;
  return 2 + (short === 126 ? 2 : short === 127 ? 8 : 0) + mask;
};

const payloadLength = (header: Buffer): number => {
  const short = header[1] & 0x7f;
  if (short === 126) return header.readUInt16BE(2);
  if (short === 127) return Number(header.readBigUInt64BE(2));
  return short;
};

const frameText = (data: RawData): Buffer => {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
};

// AWS: error frames are written with this exact spacing (observed in simple-websockets-chat-app issues).
const errorFrame = (message: string, connectionId: string, requestId: string): string =>
  `{"message": ${JSON.stringify(message)}, "connectionId":${JSON.stringify(connectionId)}, "requestId":${JSON.stringify(requestId)}}`;

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

export const startWebSocketApi = async (options: WebSocketApiOptions): Promise<WebSocketApi> => {
  const stage = options.stage ?? 'local';
  const host = options.host ?? '127.0.0.1';
  const expression = options.routeSelectionExpression ?? '$request.body.action';
  const idleMs = (options.idleTimeoutSeconds ?? DEFAULT_IDLE_SECONDS) * 1000;
  const maxMs = (options.maxConnectionSeconds ?? DEFAULT_MAX_CONNECTION_SECONDS) * 1000;
  const log = options.log ?? (() => undefined);
  const identitySources = (options.authorizer?.identitySource ?? []).map(parseIdentitySource);
  if (options.authorizer !== undefined && identitySources.length === 0) throw new Error('A WebSocket authorizer needs at least one identity source');

  const routes = new Map<string, FunctionConfig>();
  for (const route of options.routes) {
    if (routes.has(route.routeKey)) throw new Error(`Duplicate WebSocket route ${route.routeKey}`);
    routes.set(route.routeKey, route.fn);
  }
  const messageRouteKeys = new Set([...routes.keys()].filter((key) => key !== '$connect' && key !== '$disconnect'));
  const twoWay = new Set(options.routes.filter((route) => route.returnResponse === true).map((route) => route.routeKey));
  evaluateRouteSelectionExpression(expression, '{}'); // fails at start on an unsupported expression

  const open = new Map<string, Connection>();
  const sockets = new Map<string, WebSocket>();
  const tasks = new Set<Promise<unknown>>();
  /** Why the server closed a socket (DELETE, limits, stop), for `$disconnect`. */
  const serverCloses = new Map<string, CloseReason>();
  const idleTimers = new Map<string, NodeJS.Timeout>();
  let stopping = false;
  let port = 0;

  const track = (task: Promise<unknown>): void => {
    const settled = task.catch((error: unknown) => log(`websocket emulation error: ${(error as Error).message}`));
    tasks.add(settled);
    void settled.finally(() => tasks.delete(settled));
  };

  const baseContext = (connection: Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent' | 'host'>, routeKey: string, eventType: WebSocketRequestContext['eventType']) => {
    const now = new Date();
    return {
      routeKey,
      eventType,
      extendedRequestId: awsStyleId(),
      requestTime: clfTime(now),
      messageDirection: 'IN' as const,
      stage,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now.getTime(),
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      requestId: awsStyleId(),
      domainName: connection.host,
      connectionId: connection.id,
      apiId: API_ID,
    };
  };

  const fireDisconnect = (connection: Connection, close: CloseReason): void => {
    const fn = routes.get('$disconnect');
    log(`$disconnect ${connection.id} (${close.code} ${close.reason})`);
    if (fn === undefined) return;
    // AWS: $disconnect carries fixed headers, the close status and reason, and the authorizer context; it is best-effort.
    const headers = { Host: connection.host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
    const event: WebSocketDisconnectEvent = {
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      requestContext: {
        ...baseContext(connection, '$disconnect', 'DISCONNECT'),
        disconnectStatusCode: close.code,
        disconnectReason: close.reason,
        ...(connection.authorizer === undefined ? {} : { authorizer: connection.authorizer }),
      },
      isBase64Encoded: false,
    };
    track(invoke(fn, event).catch((error: unknown) => log(`$disconnect ${connection.id} -> function error: ${(error as Error).message}`)));
  };

  const onMessage = (connection: Connection, socket: WebSocket, data: RawData, isBinary: boolean): void => {
    // A message still arriving when the server started closing (e.g. after an oversized frame) reaches no integration.
    if (!open.has(connection.id)) return;
    // AWS: binary frames are not supported; the connection is closed with 1003.
    if (isBinary) {
      closeFromServer(connection.id, { code: 1003, reason: 'Binary frames are not supported' });
      return;
    }
    // AWS (unverified): only data frames count as activity; pings and pongs do not reset the idle timer.
    connection.lastActiveAt = Date.now();
    idleTimers.get(connection.id)?.refresh();
    const body = frameText(data).toString('utf8');
    const context = { ...baseContext(connection, '', 'MESSAGE'), messageId: awsStyleId() };
    const routeKey = selectRoute(expression, body, messageRouteKeys);
    if (routeKey === undefined) {
      log(`message ${connection.id} -> no route`);
      // AWS: no matching route and no $default: an error frame; the connection stays open.
      socket.send(errorFrame('Forbidden', connection.id, context.requestId));
      return;
    }
    const event: WebSocketMessageEvent = {
      requestContext: { ...context, routeKey, ...(connection.authorizer === undefined ? {} : { authorizer: connection.authorizer }) },
      body,
      isBase64Encoded: false,
    };
    const started = Date.now();
    // AWS: messages of one connection are invoked independently, without ordering; nothing serialises them here either.
    track(
      invoke(routes.get(routeKey) as FunctionConfig, event).then(
        (result: unknown) => {
          log(`message ${connection.id} -> ${routeKey} (${Date.now() - started} ms)`);
          // AWS: only a route with a route response sends the integration's body back (as a text frame); otherwise the return value is discarded.
          const body = (result as { body?: unknown } | null)?.body;
          if (twoWay.has(routeKey) && typeof body === 'string' && socket.readyState === socket.OPEN) socket.send(body);
        },
        (error: unknown) => {
          log(`message ${connection.id} -> ${routeKey} function error: ${(error as Error).message}`);
          // AWS: a function error or timeout becomes this frame, with no details; the connection stays open.
          if (socket.readyState === socket.OPEN) socket.send(errorFrame('Internal server error', connection.id, context.requestId));
        },
      ),
    );
  };

  /** Starts a server-side close; `false` when the connection is not open (any more). */
  const closeFromServer = (id: string, close: CloseReason): boolean => {
    const socket = sockets.get(id);
    if (socket === undefined || !open.has(id)) return false;
    open.delete(id);
    serverCloses.set(id, close);
    socket.close(close.code, close.reason);
    return true;
  };

  const attach = (connection: Connection, socket: WebSocket, raw: Duplex): Promise<void> =>
    new Promise<void>((resolve) => {
      // AWS: a single frame over 32 KB closes the connection with 1009 and never reaches an integration.
      raw.prependListener(
        'data',
        frameSizeWatcher(MAX_FRAME_BYTES, () => closeFromServer(connection.id, TOO_BIG)),
      );
      open.set(connection.id, connection);
      sockets.set(connection.id, socket);
      const idle = setTimeout(() => closeFromServer(connection.id, GOING_AWAY), idleMs);
      const lifetime = setTimeout(() => closeFromServer(connection.id, GOING_AWAY), maxMs);
      idleTimers.set(connection.id, idle);
      socket.on('message', (data, isBinary) => onMessage(connection, socket, data, isBinary));
      socket.on('error', (error: Error & { code?: string }) => {
        log(`socket ${connection.id} error: ${error.message}`);
        // ws answers protocol errors itself (e.g. 1009 for a frame over maxPayload); remember which one it sent.
        if (!serverCloses.has(connection.id)) serverCloses.set(connection.id, PROTOCOL_ERRORS[error.code ?? ''] ?? { code: 1002, reason: 'Protocol error' });
        open.delete(connection.id);
      });
      socket.on('close', (code, reason) => {
        clearTimeout(idle);
        clearTimeout(lifetime);
        idleTimers.delete(connection.id);
        open.delete(connection.id);
        sockets.delete(connection.id);
        const close = serverCloses.get(connection.id) ?? clientCloseReason(code, reason.toString('utf8'));
        serverCloses.delete(connection.id);
        // AWS: $disconnect runs after the socket is closed, once per connection, whoever closed it.
        fireDisconnect(connection, close);
        resolve();
      });
    });

  const runConnect = async (req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // AWS: clients connect to /{stage}; `/` is accepted locally too (PROTOCOL.md's local URL).
    if (url.pathname !== '/' && url.pathname !== `/${stage}` && url.pathname !== `/${stage}/`) return writeRefusal(socket, 403, 'Forbidden');
    if (!isWebSocketHandshake(req)) return writeRefusal(socket, 400, 'Bad Request');
    if (stopping) return writeRefusal(socket, 503, 'Service Unavailable');

    const { headers, multiValueHeaders } = readHeaders(req);
    const query = readQuery(url);
    const pending = {
      id: newConnectionId(),
      connectedAt: Date.now(),
      sourceIp: remoteIp(req),
      userAgent: req.headers['user-agent'] ?? '',
      host: req.headers.host ?? `${host}:${port}`,
    };
    const started = Date.now();

    let authorizer: WebSocketAuthorizerContext | undefined;
    if (options.authorizer !== undefined) {
      const outcome = await authorize(options.authorizer.fn, req, url, pending, headers, multiValueHeaders, query);
      if (outcome.kind === 'refuse') {
        log(`$connect ${pending.id} -> ${outcome.status} (authorizer, ${Date.now() - started} ms)`);
        return writeRefusal(socket, outcome.status, outcome.message);
      }
      authorizer = outcome.context;
    }

    const connection: Connection = {
      ...pending,
      authorizer,
      lastActiveAt: pending.connectedAt,
      get bufferedAmount() {
        return sockets.get(pending.id)?.bufferedAmount ?? 0;
      },
      send: (data) => {
        const target = sockets.get(pending.id);
        if (target === undefined || !open.has(pending.id)) return false;
        target.send(data, { binary: false });
        return true;
      },
      disconnect: () => closeFromServer(pending.id, DELETED),
    };

    // AWS: the handshake stays pending while $connect runs; until it succeeds the id is unknown to @connections (410).
    let responseHeaders: Headers = {};
    const connectFn = routes.get('$connect');
    if (connectFn !== undefined) {
      const event: WebSocketConnectEvent = {
        headers,
        multiValueHeaders,
        // AWS: the query string keys are present only when the request has a query string.
        ...(url.search.length > 1 ? { queryStringParameters: query.single, multiValueQueryStringParameters: query.multi } : {}),
        requestContext: { ...baseContext(connection, '$connect', 'CONNECT'), ...(authorizer === undefined ? {} : { authorizer }) },
        isBase64Encoded: false,
      };
      let result: unknown;
      try {
        result = await invoke(connectFn, event);
      } catch (error) {
        log(`$connect ${pending.id} -> 502 function error: ${(error as Error).message}`);
        // AWS (observed): a $connect function error refuses the handshake with 502.
        return writeRefusal(socket, 502, 'Internal server error');
      }
      const structured = typeof result === 'object' && result !== null ? (result as { statusCode?: unknown; headers?: Record<string, unknown> }) : {};
      // AWS [guessed]: a result without a statusCode counts as 200.
      const status = structured.statusCode === undefined ? 200 : Number(structured.statusCode);
      if (!(status >= 200 && status < 300)) {
        log(`$connect ${pending.id} -> ${status} (${Date.now() - started} ms)`);
        // AWS: a non-2xx $connect result is the handshake's HTTP status; no socket, no $disconnect (body text guessed).
        return writeRefusal(socket, Number.isInteger(status) && status >= 100 && status <= 599 ? status : 502, STATUS_CODES[status] ?? 'Error');
      }
      responseHeaders = Object.fromEntries(Object.entries(structured.headers ?? {}).map(([name, value]) => [name, String(value)]));
    }

    if (stopping) {
      // Local only: the server is going away; $connect already accepted, so handlers get their $disconnect.
      writeRefusal(socket, 503, 'Service Unavailable');
      return fireDisconnect(connection, GOING_AWAY);
    }
    handshakeHeaders.set(req, responseHeaders);
    let upgraded: Promise<void> | undefined;
    wss.handleUpgrade(req, socket, head, (ws) => {
      upgraded = attach(connection, ws, socket);
    });
    if (upgraded === undefined) {
      // The client left (or sent a header ws refuses) while $connect ran: $connect said yes, so $disconnect follows.
      log(`$connect ${pending.id} -> client gone before 101`);
      return fireDisconnect(connection, { code: 1006, reason: 'Connection closed abnormally' });
    }
    log(`$connect ${pending.id} -> 101 (${Date.now() - started} ms)`);
    await upgraded;
  };

  const authorize = async (
    fn: FunctionConfig,
    req: IncomingMessage,
    url: URL,
    pending: Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent' | 'host'>,
    headers: Headers,
    multiValueHeaders: MultiValueHeaders,
    query: { single: Headers; multi: MultiValueHeaders },
  ): Promise<AuthorizerOutcome> => {
    // AWS: every identity source must be present and non-empty, or the answer is 401 without invoking the authorizer.
    const missing = identitySources.some(({ where, name }) => {
      const value = where === 'header' ? req.headers[name.toLowerCase()] : url.searchParams.get(name);
      return value === undefined || value === null || value.length === 0;
    });
    if (missing) return refuse(401, 'Unauthorized');
    const methodArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${API_ID}/${stage}/$connect`;
    // AWS: WSC-04 REQUEST authorizer event; empty query maps and stageVariables as `{}` are guessed.
    const event: WebSocketAuthorizerEvent = {
      type: 'REQUEST',
      methodArn,
      headers,
      multiValueHeaders,
      queryStringParameters: query.single,
      multiValueQueryStringParameters: query.multi,
      stageVariables: {},
      requestContext: baseContext(pending, '$connect', 'CONNECT'),
    };
    const started = Date.now();
    let result: unknown;
    try {
      result = await invoke(fn, event);
    } catch (error) {
      // AWS: an authorizer failing with the literal "Unauthorized" is a 401; any other failure is a 500.
      const message = error instanceof Error ? error.message : String(error);
      return message === 'Unauthorized' ? refuse(401, 'Unauthorized') : malformed;
    }
    return evaluateAuthorizerResult(result, methodArn, Date.now() - started);
  };

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

  const server: Server = createServer((req, res) => {
    handleConnectionsRequest(req, res, { stage, find: (id) => open.get(id), log }).catch((error: unknown) => {
      log(`@connections emulation error: ${(error as Error).message}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'InternalServerErrorException' });
        res.end(JSON.stringify({ message: 'Internal server error' }));
      } else res.end();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const swallow = () => undefined;
    socket.on('error', swallow); // a client that vanishes mid-handshake must not crash the process
    track(runConnect(req, socket, head).finally(() => socket.off('error', swallow)));
  });
  server.keepAliveTimeout = 5_000;
  port = await listen(server, options.port ?? 0, host);

  let stopped: Promise<void> | undefined;
  const shutDown = async (): Promise<void> => {
    stopping = true;
    for (const id of [...open.keys()]) closeFromServer(id, GOING_AWAY);
    const cutOff = setTimeout(() => {
      for (const socket of sockets.values()) socket.terminate();
    }, STOP_GRACE_MS);
    // Open connections, pending handshakes, messages and $disconnect invocations are all tracked tasks.
    while (tasks.size > 0) await Promise.all([...tasks]);
    clearTimeout(cutOff);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  };

  return {
    url: `ws://${host}:${port}`,
    connectionsEndpoint: `http://${host}:${port}/${stage}`,
    port,
    connectionIds: () => [...open.keys()],
    stop: () => (stopped ??= shutDown()),
  };
};
