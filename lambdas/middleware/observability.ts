/**
 * What every handler gets, first in its middy chain: Powertools' `injectLambdaContext` (Lambda
 * request id, cold start, function name on every log line), the correlation keys of the API
 * Gateway event (its `requestId`, the same id the stage's access log writes as `$context.requestId`;
 * the `route`; for WebSocket events the `connectionId` and the authorized `userId`), and the flush
 * of the invocation's metrics. Being first, its `before` runs before the others and its `after` and
 * `onError` after theirs, so their log lines and metrics carry the keys and are flushed.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, powertoolsLogger } from '../shared/logger';
import { flushMetrics } from '../shared/metrics';

interface ApiGatewayEventShape {
  readonly routeKey?: string;
  readonly requestContext?: {
    readonly requestId?: string;
    readonly routeKey?: string;
    readonly connectionId?: string;
    readonly authorizer?: { readonly userId?: unknown; readonly principalId?: unknown };
  };
}

/** The correlation keys an event carries; empty for events that are not API Gateway's (streams, queues, schedules). */
export const correlationKeys = (event: unknown): Record<string, string> => {
  const { requestContext, routeKey } = (typeof event === 'object' && event !== null ? event : {}) as ApiGatewayEventShape;
  const userId = requestContext?.authorizer?.userId ?? requestContext?.authorizer?.principalId;
  const keys: Record<string, string | undefined> = {
    requestId: requestContext?.requestId,
    route: requestContext?.routeKey ?? routeKey,
    connectionId: requestContext?.connectionId,
    userId: typeof userId === 'string' ? userId : undefined,
  };
  return Object.fromEntries(
    Object.entries(keys).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''),
  );
};

const correlation = (): MiddlewareObj => ({
  before: async (request) => {
    logger.appendKeys(correlationKeys(request.event));
  },
});

/** The observability middlewares, to `.use()` first on a middy handler. */
export const observability = (): MiddlewareObj[] => [
  flushMetrics(),
  injectLambdaContext(powertoolsLogger, { resetKeys: true }),
  correlation(),
];

/** Wraps a plain handler (stream, queue, schedule, authorizer) in middy with {@link observability}. */
export const observed = <TEvent, TResult>(handler: (event: TEvent, context: Context) => Promise<TResult>) =>
  middy<TEvent, TResult>(handler).use(observability());
