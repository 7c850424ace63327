/**
 * What follows a connection's handshake: each message invokes the route it selects (answering
 * with a route response or an error frame), and `$disconnect` runs once the socket is closed.
 */

import { isError } from '../../../lambdas/domain/errors';
import { type FunctionConfig, invoke } from '../../lambda/invoke';
import type { WebSocketConfig } from './config';
import type { Connection } from './connection-pool';
import { type CloseReason, disconnectEvent, messageContext, messageEvent } from './events';
import { errorFrame } from './frames';
import { selectRoute } from './route-selection';

/** Runs a promise in the background; the server waits for every tracked one when it stops. */
export type Track = (task: Promise<unknown>) => void;

export const handleMessage = (
  config: WebSocketConfig,
  track: Track,
  connection: Connection,
  body: string,
  reply: (text: string) => void,
): void => {
  const { log } = config;
  const context = messageContext(config.stage, connection);
  const routeKey = selectRoute(config.routeSelectionExpression, body, config.messageRouteKeys);
  if (routeKey === undefined) {
    log(`message ${connection.id} -> no route`);
    // AWS: no matching route and no $default: an error frame; the connection stays open.
    reply(errorFrame('Forbidden', connection.id, context.requestId));
    return;
  }
  const started = Date.now();
  // AWS: messages of one connection are invoked independently, without ordering; nothing serialises them here either.
  track(
    invoke(config.routes.get(routeKey) as FunctionConfig, messageEvent(context, routeKey, body)).then(
      (result: unknown) => {
        log(`message ${connection.id} -> ${routeKey} (${Date.now() - started} ms)`);
        // AWS: only a route with a route response sends the integration's body back (as a text frame); otherwise the return value is discarded.
        const response = (result as { body?: unknown } | null)?.body;
        if (config.twoWay.has(routeKey) && typeof response === 'string') reply(response);
      },
      (error: unknown) => {
        log(`message ${connection.id} -> ${routeKey} function error: ${isError(error) ? error.message : String(error)}`);
        // AWS: a function error or timeout becomes this frame, with no details; the connection stays open.
        reply(errorFrame('Internal server error', connection.id, context.requestId));
      },
    ),
  );
};

export const fireDisconnect = (config: WebSocketConfig, track: Track, connection: Connection, close: CloseReason): void => {
  const fn = config.routes.get('$disconnect');
  config.log(`$disconnect ${connection.id} (${close.code} ${close.reason})`);
  if (fn === undefined) return;
  // AWS: $disconnect is best-effort: its function error reaches nobody.
  track(
    invoke(fn, disconnectEvent(config.stage, connection, close)).catch((error: unknown) =>
      config.log(`$disconnect ${connection.id} -> function error: ${isError(error) ? error.message : String(error)}`),
    ),
  );
};
