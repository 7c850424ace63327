import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { observability } from '../../middleware/observability';
import { type WebSocketEvent, type WebSocketResult, webSocketIdentity, webSocketRequest } from '../../middleware/websocket';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { count } from '../../shared/metrics';

const connectionService = connectionServiceWith({}, 'wsConnect');

/** `$connect` (after the authorizer): register the connection and open its lease. Nothing may be posted to it yet. */
const lambdaHandler = async (_event: WebSocketEvent, context: Context): Promise<WebSocketResult> => {
  const { connectionId, userId } = webSocketRequest(context);
  await connectionService().connect(connectionId, userId);
  count('ConnectionsOpened');
  return { statusCode: 200 };
};

export const handler = middy<WebSocketEvent, WebSocketResult>(lambdaHandler).use(observability()).use(webSocketIdentity());
