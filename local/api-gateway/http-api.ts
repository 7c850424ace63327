/**
 * API Gateway HTTP API emulation: turns HTTP requests into payload format 2.0 events for the same
 * handlers that run on AWS, and their results into responses, the way API Gateway does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isError } from '../../lambdas/domain/errors';
import { type FunctionConfig, invoke } from '../lambda/invoke';
import { clfTime, LOCAL_ACCOUNT_ID } from '../shared/aws';
import { listen, readBody, safeDecode } from '../shared/http-server';

export interface HttpRoute {
  readonly method: string;
  /** API Gateway route path, e.g. `/users/{id}`. */
  readonly path: string;
  readonly fn: FunctionConfig;
}

export interface StaticResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Serves a request no route matched, or answers `null` to pass. */
export type Fallback = (method: string, path: string, body: Buffer) => Promise<StaticResponse | null>;

/** One fallback made of several: the first that answers serves the request. */
export const firstAnswer =
  (...fallbacks: readonly Fallback[]): Fallback =>
  async (method, path, body) => {
    for (const fallback of fallbacks) {
      const answer = await fallback(method, path, body);
      if (answer !== null) return answer;
    }
    return null;
  };

export interface HttpApiOptions {
  readonly port?: number;
  readonly host?: string;
  readonly routes: readonly HttpRoute[];
  /** Requests no route matches may be served here (the web client, local endpoints); `null` falls through to 404. */
  readonly fallback?: Fallback;
  readonly log?: (line: string) => void;
}

export interface HttpApi {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

// AWS: HTTP API payload limit is 10 MB; larger requests are refused before any integration runs.
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const API_ID = 'local';

interface CompiledRoute extends HttpRoute {
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly params: string[];
}

const compile = (route: HttpRoute): CompiledRoute => {
  const params: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const match = /^\{([^}+]+)\}$/.exec(segment);
      if (match === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(match[1]);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, routeKey: `${route.method} ${route.path}`, pattern: new RegExp(`^${source}$`), params };
};

// AWS: bodies are passed as text only for text/*, JSON, XML and JavaScript content types; everything else (and no content type) arrives base64-encoded.
const isTextual = (contentType: string | undefined): boolean =>
  contentType !== undefined && /^(text\/|application\/(json|xml|javascript)|[^;]*\+json)/i.test(contentType.trim());

const requestId = (): string => `${randomBytes(10).toString('base64').replace(/[+/=]/g, 'A').slice(0, 14)}=`;

/** Builds the payload 2.0 event; optional keys are absent (not null) when empty, as on AWS. */
export const toEvent = (
  req: IncomingMessage,
  url: URL,
  route: CompiledRoute,
  pathParameters: Record<string, string>,
  body: Buffer,
): APIGatewayProxyEventV2 => {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index < req.rawHeaders.length; index += 2) {
    const name = req.rawHeaders[index].toLowerCase();
    const value = req.rawHeaders[index + 1];
    // AWS: request cookies go to `cookies`, not to headers.
    if (name === 'cookie')
      cookies.push(
        ...value
          .split(';')
          .map((part) => part.trim())
          .filter(Boolean),
      );
    // AWS: header names are lower-cased and duplicate headers joined with a comma.
    else headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    // AWS: duplicate query keys are joined with a comma in queryStringParameters.
    query[key] = key in query ? `${query[key]},${value}` : value;
  }
  const now = new Date();
  const textual = isTextual(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: API_ID,
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0],
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: requestId(),
      routeKey: route.routeKey,
      stage: '$default',
      time: clfTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: textual ? body.toString('utf8') : body.toString('base64') } : {}),
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
  return event;
};

interface Reply {
  status: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

/** AWS (payload 2.0): a result without `statusCode` is a 200 JSON body; a string is the body as-is. */
export const fromResult = (result: unknown): Reply => {
  const looksStructured = typeof result === 'object' && result !== null && 'statusCode' in result;
  if (!looksStructured) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: Buffer.from(body) };
  }
  const structured = result as {
    statusCode: number;
    headers?: Record<string, unknown>;
    body?: string;
    isBase64Encoded?: boolean;
    cookies?: string[];
  };
  const headers = Object.fromEntries(Object.entries(structured.headers ?? {}).map(([key, value]) => [key.toLowerCase(), String(value)]));
  const raw = structured.body ?? '';
  return {
    status: structured.statusCode,
    headers,
    cookies: structured.cookies ?? [],
    body: structured.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8'),
  };
};

/** AWS: the `apigw-requestid` header is the request's id, the `requestContext.requestId` its handler saw. */
const send = (res: ServerResponse, reply: Reply, id: string = requestId()): void => {
  res.statusCode = reply.status;
  for (const [key, value] of Object.entries(reply.headers)) res.setHeader(key, value);
  if (reply.cookies.length > 0) res.setHeader('set-cookie', reply.cookies);
  res.setHeader('apigw-requestid', id);
  res.end(reply.body);
};

const message = (status: number, text: string): Reply => ({
  status,
  headers: { 'content-type': 'application/json' },
  cookies: [],
  body: Buffer.from(JSON.stringify({ message: text })),
});

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'authorization,content-type',
  'access-control-allow-methods': 'GET,POST,PUT,DELETE,OPTIONS',
  'access-control-max-age': '600',
};

export const startHttpApi = async (options: HttpApiOptions): Promise<HttpApi> => {
  const routes = options.routes.map(compile);
  const log = options.log ?? (() => undefined);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = parseTarget(req.url);
    // AWS: the edge refuses a request line it cannot parse with a 400 of its own; no integration runs.
    if (url === null) return send(res, message(400, 'Bad Request'));
    const method = req.method ?? 'GET';
    const origin = req.headers.origin;
    // AWS: with a CORS configuration, API Gateway answers preflight requests itself and adds the headers to responses.
    if (origin !== undefined) for (const [key, value] of Object.entries(CORS_HEADERS)) res.setHeader(key, value);
    if (method === 'OPTIONS' && origin !== undefined) {
      res.statusCode = 204;
      res.end();
      return;
    }
    const body = await readBody(req, MAX_PAYLOAD_BYTES);
    if (body === null) return send(res, message(413, 'Request Entity Too Large'));
    for (const route of routes) {
      if (route.method !== method) continue;
      const match = route.pattern.exec(url.pathname);
      if (match === null) continue;
      const pathParameters: Record<string, string> = {};
      route.params.forEach((name, index) => {
        // AWS: path parameters reach the handler URL-decoded.
        pathParameters[name] = safeDecode(match[index + 1]) ?? match[index + 1];
      });
      const started = Date.now();
      const event = toEvent(req, url, route, pathParameters, body);
      try {
        const result = await invoke(route.fn, event);
        const reply = fromResult(result);
        log(`${method} ${url.pathname} -> ${reply.status} (${Date.now() - started} ms)`);
        return send(res, reply, event.requestContext.requestId);
      } catch (error) {
        // AWS: a function error or timeout becomes 500 {"message":"Internal Server Error"}; the details stay in the function's logs.
        log(`${method} ${url.pathname} -> function error: ${isError(error) ? error.message : String(error)}`);
        return send(res, message(500, 'Internal Server Error'), event.requestContext.requestId);
      }
    }
    const page = options.fallback === undefined ? null : await options.fallback(method, url.pathname, body);
    if (page !== null) {
      res.statusCode = page.status;
      for (const [key, value] of Object.entries(page.headers)) res.setHeader(key, value);
      res.end(page.body);
      return;
    }
    // AWS: a request that matches no route gets 404 {"message":"Not Found"}.
    send(res, message(404, 'Not Found'));
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`http emulation error: ${isError(error) ? error.message : String(error)}`);
      if (!res.headersSent) send(res, message(500, 'Internal Server Error'));
      else res.end();
    });
  });
  server.keepAliveTimeout = 5_000;
  const port = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
};

/** The request target (origin-form `/path?q`, or absolute-form `http://host/path?q`), or null when it does not parse. */
const parseTarget = (target: string | undefined): URL | null => {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return null;
  }
};
