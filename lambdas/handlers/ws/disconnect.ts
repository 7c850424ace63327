import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { observability } from '../../middleware/observability';
import { type WebSocketEvent, type WebSocketResult, webSocketIdentity, webSocketRequest } from '../../middleware/websocket';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { graceTimer } from '../../shared/dependencies/grace-queue';
import { count } from '../../shared/metrics';

const connectionService = connectionServiceWith({ graceTimer }, 'wsDisconnect');

/**
 * `$disconnect` (best effort on AWS: the sweeper catches the ones that never come). lastSeen is the
 * disconnect's own time, which the event carries: the handler may run seconds later (a burst of
 * closes, a cold start, throttling).
 */
const lambdaHandler = async (event: WebSocketEvent, context: Context): Promise<WebSocketResult> => {
  const { connectionId, userId } = webSocketRequest(context);
  await connectionService().disconnect(connectionId, userId, event.requestContext.requestTimeEpoch);
  count('ConnectionsClosed');
  return { statusCode: 200 };
};

export const handler = middy<WebSocketEvent, WebSocketResult>(lambdaHandler).use(observability()).use(webSocketIdentity());
