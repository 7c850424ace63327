/** Shared middy stack of the WebSocket message routes. */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ConnectionService } from '../../domain/connection-service';
import { observability } from '../../middleware/observability';
import { leaseRenewal, type WebSocketEvent, type WebSocketResult, webSocketErrors, webSocketIdentity } from '../../middleware/websocket';

/** @param connections the handler's connection service, which renews the lease of every frame. */
export const messageRoute = (
  handler: (event: WebSocketEvent, context: Context) => Promise<WebSocketResult>,
  connections: () => Pick<ConnectionService, 'touch'>,
) =>
  middy<WebSocketEvent, WebSocketResult>(handler)
    .use(observability())
    .use(webSocketErrors())
    .use(webSocketIdentity())
    .use(leaseRenewal({ touch: (connectionId, userId) => connections().touch(connectionId, userId) }));
