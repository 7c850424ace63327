/** Shared middy stack of the WebSocket message routes. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { type WebSocketEvent, type WebSocketResult, leaseRenewal, webSocketErrors, webSocketIdentity } from '../../middleware/websocket';
import { connectionService } from '../../shared/dependencies';

export const messageRoute = (handler: (event: WebSocketEvent, context: Context) => Promise<WebSocketResult>) =>
  middy<WebSocketEvent, WebSocketResult>(handler)
    .use(webSocketErrors())
    .use(webSocketIdentity())
    .use(leaseRenewal({ touch: (connectionId, userId) => connectionService().touch(connectionId, userId) }));
