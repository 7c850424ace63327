/**
 * middy middlewares for the HTTP API (payload format 2.0): request body normalisation and size
 * limit, bearer-token authentication, and the one place where errors become contract responses.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { MAX_BODY_BYTES } from '../../contract/limits';
import {
  type DomainError,
  InvalidCredentialsError,
  InvalidRequestError,
  NameTakenError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthorizedError,
} from '../domain/errors';
import type { Principal, TokenService } from '../ports';
import { logger } from '../shared/logger';
import { count, type MetricName } from '../shared/metrics';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
/** Per invocation (Lambda passes each its own context); what middy keeps on `request.internal` a handler cannot see. */
const principals = new WeakMap<Context, Principal>();

/** Who sent this request, as {@link authenticate} verified it (middy calls handlers with (event, context) only). */
export const principalOf = (context: Context): Principal => {
  const principal = principals.get(context);
  if (principal === undefined) throw new Error('No principal: the handler does not use authenticate()');
  return principal;
};

export const json = (statusCode: number, body: unknown): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  body: JSON.stringify(body),
});

/** The contract's error codes, by domain error. Anything else is `internal`. */
const ERROR_CODES: readonly [new (...args: never[]) => DomainError, number, string][] = [
  [InvalidRequestError, 400, 'invalid_request'],
  [UnauthorizedError, 401, 'unauthorized'],
  [InvalidCredentialsError, 401, 'invalid_credentials'],
  [NotFoundError, 404, 'not_found'],
  [NameTakenError, 409, 'name_taken'],
  [PayloadTooLargeError, 413, 'payload_too_large'],
  [RateLimitedError, 429, 'rate_limited'],
];

/** Refusals an operator watches: log-in guessing and its throttle. */
const ERROR_METRICS: readonly [new (...args: never[]) => DomainError, MetricName][] = [
  [InvalidCredentialsError, 'LoginFailures'],
  [RateLimitedError, 'RateLimited'],
];

export const errorResponse = (error: unknown): HttpResult => {
  const metric = ERROR_METRICS.find(([type]) => error instanceof type);
  if (metric !== undefined) count(metric[1]);
  for (const [type, status, code] of ERROR_CODES) {
    if (!(error instanceof type)) continue;
    const response = json(status, { error: { code, message: error.message } });
    if (error instanceof RateLimitedError) response.headers = { ...response.headers, 'retry-after': String(error.retryAfterSeconds) };
    return response;
  }
  count('InternalErrors');
  logger.error('unhandled error', {
    error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
  });
  return json(500, { error: { code: 'internal', message: 'Something went wrong on our side; please try again' } });
};

/** Maps every error to the contract's `{"error": {"code", "message"}}`; never leaks internals. */
export const httpErrors = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    request.response = errorResponse(request.error);
  },
});

export interface HttpBodyOptions {
  /** The contract's limit: bodies over 16 KiB are refused with 413. */
  readonly maxBytes?: number;
}

/**
 * Decodes a base64 body to text (HTTP API base64-encodes bodies whose content type is not text or
 * JSON, including requests with no content type) and enforces the body size limit.
 */
export const httpBody = (options: HttpBodyOptions = {}): MiddlewareObj<HttpEvent, HttpResult> => {
  const maxBytes = options.maxBytes ?? MAX_BODY_BYTES;
  return {
    before: async (request) => {
      const { event } = request;
      if (event.body === undefined || event.body === null) return;
      const bytes = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
      if (bytes.length > maxBytes) throw new PayloadTooLargeError(`The body is larger than ${maxBytes} bytes`);
      if (event.isBase64Encoded) {
        event.body = bytes.toString('utf8');
        event.isBase64Encoded = false;
      }
    },
  };
};

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/;

/** Verifies `Authorization: Bearer <jwt>` and keeps the principal for the handler ({@link principalOf}). */
export const authenticate = (options: {
  readonly tokens: () => TokenService;
  /** Where the route would create presence: refuse a signed token whose user does not exist. */
  readonly users?: () => { exists(userId: string): Promise<boolean> };
}): MiddlewareObj<HttpEvent, HttpResult, Error, Context> => ({
  before: async (request) => {
    const header = request.event.headers?.authorization;
    const match = header === undefined ? null : BEARER.exec(header.trim());
    if (match === null) throw new UnauthorizedError('Send "Authorization: Bearer <token>"');
    const principal = await options.tokens().verify(match[1]);
    if (options.users !== undefined && !(await options.users().exists(principal.userId))) {
      throw new UnauthorizedError('The token belongs to no existing user');
    }
    principals.set(request.context, principal);
    logger.appendKeys({ userId: principal.userId });
  },
});
