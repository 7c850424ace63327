/**
 * API Gateway WebSocket API emulation: one HTTP server that holds each handshake until the Lambda
 * REQUEST authorizer and `$connect` have answered, routes text frames by the route selection
 * expression, fires `$disconnect` after every close, enforces API Gateway's frame and time limits,
 * and serves the `@connections` management API on the same host, as API Gateway does.
 */
import { createServer, type Server } from 'node:http';
import { isError } from '../../../lambdas/domain/errors';
import { listen } from '../../shared/http-server';
import { resolveConfig, type WebSocketApiOptions } from './config';
import { ConnectionPool, GOING_AWAY } from './connection-pool';
import { handleConnectionsRequest } from './connections-api';
import { createUpgrade } from './handshake';
import { fireDisconnect, handleMessage, type Track } from './messages';

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

// Local only: how long stop() waits for a closing handshake before cutting sockets off.
const STOP_GRACE_MS = 1_000;

export const startWebSocketApi = async (options: WebSocketApiOptions): Promise<WebSocketApi> => {
  const config = resolveConfig(options);
  const { stage, host, log } = config;
  const tasks = new Set<Promise<unknown>>();
  let stopping = false;
  let port = 0;

  const track: Track = (task) => {
    const settled = task.catch((error: unknown) => log(`websocket emulation error: ${isError(error) ? error.message : String(error)}`));
    tasks.add(settled);
    void settled.finally(() => tasks.delete(settled));
  };
  const disconnect = fireDisconnect.bind(undefined, config, track);
  const pool = new ConnectionPool({
    idleMs: config.idleMs,
    maxMs: config.maxMs,
    log,
    onMessage: (connection, body, reply) => handleMessage(config, track, connection, body, reply),
    // AWS: $disconnect runs after the socket is closed, once per connection, whoever closed it.
    onClosed: disconnect,
  });
  const upgrade = createUpgrade({ config, pool, stopping: () => stopping, defaultHost: () => `${host}:${port}`, disconnect });

  const server: Server = createServer((req, res) => {
    handleConnectionsRequest(req, res, { stage, find: (id) => pool.find(id), log }).catch((error: unknown) => {
      log(`@connections emulation error: ${isError(error) ? error.message : String(error)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json', 'x-amzn-ErrorType': 'InternalServerErrorException' });
        res.end(JSON.stringify({ message: 'Internal server error' }));
      } else res.end();
    });
  });
  server.on('upgrade', (req, socket, head) => {
    const swallow = () => undefined;
    socket.on('error', swallow); // a client that vanishes mid-handshake must not crash the process
    track(upgrade(req, socket, head).finally(() => socket.off('error', swallow)));
  });
  server.keepAliveTimeout = 5_000;
  port = await listen(server, options.port ?? 0, host);

  let stopped: Promise<void> | undefined;
  const shutDown = async (): Promise<void> => {
    stopping = true;
    pool.closeAll(GOING_AWAY);
    const cutOff = setTimeout(() => pool.terminateAll(), STOP_GRACE_MS);
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
    connectionIds: () => pool.ids(),
    stop: () => (stopped ??= shutDown()),
  };
};
