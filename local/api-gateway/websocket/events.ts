/**
 * The events API Gateway gives a WebSocket API's integrations (`$connect` and its authorizer,
 * messages, `$disconnect`), built from the handshake request and the connection they belong to.
 */
import type { IncomingMessage } from 'node:http';
import { clfTime, LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../shared/aws';
import { awsStyleId } from './ids';

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

export type Headers = Record<string, string>;
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

/** How a connection ended, as `$disconnect` reports it. */
export interface CloseReason {
  readonly code: number;
  readonly reason: string;
}

/** What every event of a connection says about it. */
export interface ConnectionIdentity {
  readonly id: string;
  /** Epoch ms. */
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  /** The `Host` the client connected to: the events' `domainName`. */
  readonly host: string;
  readonly authorizer?: WebSocketAuthorizerContext;
}

/** The parts of the handshake request that `$connect` and its authorizer see. */
export interface HandshakeRequest {
  readonly headers: Headers;
  readonly multiValueHeaders: MultiValueHeaders;
  readonly query: { readonly single: Headers; readonly multi: MultiValueHeaders };
  readonly hasQuery: boolean;
}

const API_ID = 'local';

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
  const forwarded: Headers = {
    'X-Forwarded-For': sourceIp,
    'X-Forwarded-Port': String(req.socket.localPort ?? ''),
    'X-Forwarded-Proto': 'http',
  };
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

export const remoteIp = (req: IncomingMessage): string => req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';

export const readHandshake = (req: IncomingMessage, url: URL): HandshakeRequest => ({
  ...readHeaders(req),
  query: readQuery(url),
  // AWS: the query string keys are present only when the request has a query string.
  hasQuery: url.search.length > 1,
});

export const connectMethodArn = (stage: string): string =>
  `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${API_ID}/${stage}/$connect`;

const requestContext = (
  stage: string,
  connection: ConnectionIdentity,
  routeKey: string,
  eventType: WebSocketRequestContext['eventType'],
) => {
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

// AWS: the authorizer's context is on every event of the connection, not only on $connect.
const withAuthorizer = (connection: ConnectionIdentity) =>
  connection.authorizer === undefined ? {} : { authorizer: connection.authorizer };

// AWS: WSC-04 REQUEST authorizer event; empty query maps and stageVariables as `{}` are guessed.
export const authorizerEvent = (stage: string, connection: ConnectionIdentity, request: HandshakeRequest): WebSocketAuthorizerEvent => ({
  type: 'REQUEST',
  methodArn: connectMethodArn(stage),
  headers: request.headers,
  multiValueHeaders: request.multiValueHeaders,
  queryStringParameters: request.query.single,
  multiValueQueryStringParameters: request.query.multi,
  stageVariables: {},
  requestContext: requestContext(stage, connection, '$connect', 'CONNECT'),
});

export const connectEvent = (stage: string, connection: ConnectionIdentity, request: HandshakeRequest): WebSocketConnectEvent => ({
  headers: request.headers,
  multiValueHeaders: request.multiValueHeaders,
  ...(request.hasQuery ? { queryStringParameters: request.query.single, multiValueQueryStringParameters: request.query.multi } : {}),
  requestContext: { ...requestContext(stage, connection, '$connect', 'CONNECT'), ...withAuthorizer(connection) },
  isBase64Encoded: false,
});

/** A message's request context before its route is known (its `requestId` goes into error frames). */
export const messageContext = (stage: string, connection: ConnectionIdentity) => ({
  ...requestContext(stage, connection, '', 'MESSAGE'),
  messageId: awsStyleId(),
  ...withAuthorizer(connection),
});

export const messageEvent = (context: ReturnType<typeof messageContext>, routeKey: string, body: string): WebSocketMessageEvent => ({
  requestContext: { ...context, routeKey },
  body,
  isBase64Encoded: false,
});

export const disconnectEvent = (stage: string, connection: ConnectionIdentity, close: CloseReason): WebSocketDisconnectEvent => {
  // AWS: $disconnect carries fixed headers, the close status and reason, and the authorizer context.
  const headers = { Host: connection.host, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    requestContext: {
      ...requestContext(stage, connection, '$disconnect', 'DISCONNECT'),
      disconnectStatusCode: close.code,
      disconnectReason: close.reason,
      ...withAuthorizer(connection),
    },
    isBase64Encoded: false,
  };
};
