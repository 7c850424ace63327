/**
 * The open connections of one WebSocket API: each socket with its timers and, once the server
 * started closing it, why. Checks what API Gateway checks per frame (size, binary, activity) and
 * hands text messages and closes on to the server.
 */
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import type { ManagedConnection } from './connections-api';
import type { CloseReason, ConnectionIdentity } from './events';
import { frameSizeWatcher, frameText, MAX_FRAME_BYTES } from './frames';

export interface Connection extends ConnectionIdentity {
  /** Epoch ms of the last data frame from the client (the connect time until the first one). */
  lastActiveAt: number;
}

// Guessed texts for server-initiated closes; only DELETE's is observed (boto3#3789: 1000 "Connection Closed Normally").
const DELETED: CloseReason = { code: 1000, reason: 'Connection Closed Normally' };
export const GOING_AWAY: CloseReason = { code: 1001, reason: 'Going away' };
const TOO_BIG: CloseReason = { code: 1009, reason: 'Message too big' };
// AWS: binary frames are not supported; the connection is closed with 1003.
const BINARY: CloseReason = { code: 1003, reason: 'Binary frames are not supported' };
const PROTOCOL_ERRORS: Record<string, CloseReason> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: TOO_BIG,
  WS_ERR_INVALID_UTF8: { code: 1007, reason: 'Invalid frame payload data' },
};

/** `disconnectReason` for a close the client started: its own reason, or AWS's text for a close frame without a code. */
const clientCloseReason = (code: number, reason: string): CloseReason => {
  // AWS (observed): a close frame without a status is reported as 1005 "Client-side close frame status not set".
  if (code === 1005) return { code, reason: 'Client-side close frame status not set' };
  return { code, reason };
};

export interface ConnectionPoolOptions {
  /** AWS: 600 s. */
  readonly idleMs: number;
  /** AWS: 7200 s. */
  readonly maxMs: number;
  readonly log: (line: string) => void;
  /** A text message from an open connection; `reply` sends a text frame back while the socket is open. */
  readonly onMessage: (connection: Connection, body: string, reply: (text: string) => void) => void;
  /** The socket is closed (whoever closed it), once per connection. */
  readonly onClosed: (connection: Connection, close: CloseReason) => void;
}

interface Entry {
  readonly connection: Connection;
  readonly socket: WebSocket;
  /** `false` once closing started (by either side): the connection is gone for `@connections`. */
  open: boolean;
  /** Why the server closed the socket (DELETE, limits, stop), for `$disconnect`. */
  serverClose?: CloseReason;
  readonly idle: NodeJS.Timeout;
  readonly lifetime: NodeJS.Timeout;
}

export class ConnectionPool {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: ConnectionPoolOptions) {}

  /** Ids of the connections open now. */
  ids(): string[] {
    return [...this.entries.values()].filter((entry) => entry.open).map((entry) => entry.connection.id);
  }

  /** The open connection with this id, for `@connections`; `undefined` for unknown, closing and closed ones. */
  find(id: string): ManagedConnection | undefined {
    const entry = this.entries.get(id);
    if (entry === undefined || !entry.open) return undefined;
    const { connection, socket } = entry;
    return {
      connectedAt: connection.connectedAt,
      get lastActiveAt() {
        return connection.lastActiveAt;
      },
      sourceIp: connection.sourceIp,
      userAgent: connection.userAgent,
      get bufferedAmount() {
        return socket.bufferedAmount;
      },
      send: (data) => {
        if (!entry.open) return false;
        socket.send(data, { binary: false });
        return true;
      },
      disconnect: () => this.close(id, DELETED),
    };
  }

  /** Starts a server-side close; `false` when the connection is not open (any more). */
  close(id: string, reason: CloseReason): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined || !entry.open) return false;
    entry.open = false;
    entry.serverClose = reason;
    entry.socket.close(reason.code, reason.reason);
    return true;
  }

  /** Starts closing every open connection. */
  closeAll(reason: CloseReason): void {
    for (const id of this.ids()) this.close(id, reason);
  }

  /** Cuts off every socket still there, closing or not. */
  terminateAll(): void {
    for (const entry of this.entries.values()) entry.socket.terminate();
  }

  /** Adds an upgraded socket; resolves once it is closed and `onClosed` has run. */
  attach(connection: Connection, socket: WebSocket, raw: Duplex): Promise<void> {
    const { id } = connection;
    return new Promise<void>((resolve) => {
      // AWS: a single frame over 32 KB closes the connection with 1009 and never reaches an integration.
      raw.prependListener(
        'data',
        frameSizeWatcher(MAX_FRAME_BYTES, () => this.close(id, TOO_BIG)),
      );
      const entry: Entry = {
        connection,
        socket,
        open: true,
        idle: setTimeout(() => this.close(id, GOING_AWAY), this.options.idleMs),
        lifetime: setTimeout(() => this.close(id, GOING_AWAY), this.options.maxMs),
      };
      this.entries.set(id, entry);
      socket.on('message', (data, isBinary) => this.receive(entry, data, isBinary));
      socket.on('error', (error: Error & { code?: string }) => {
        this.options.log(`socket ${id} error: ${error.message}`);
        // ws answers protocol errors itself (e.g. 1009 for a message over maxPayload); remember which one it sent.
        entry.serverClose ??= PROTOCOL_ERRORS[error.code ?? ''] ?? { code: 1002, reason: 'Protocol error' };
        entry.open = false;
      });
      socket.on('close', (code, reason) => {
        clearTimeout(entry.idle);
        clearTimeout(entry.lifetime);
        entry.open = false;
        this.entries.delete(id);
        this.options.onClosed(connection, entry.serverClose ?? clientCloseReason(code, reason.toString('utf8')));
        resolve();
      });
    });
  }

  private receive(entry: Entry, data: RawData, isBinary: boolean): void {
    const { connection, socket } = entry;
    // A message still arriving when the server started closing (e.g. after an oversized frame) reaches no integration.
    if (!entry.open) return;
    if (isBinary) {
      this.close(connection.id, BINARY);
      return;
    }
    // AWS (unverified): only data frames count as activity; pings and pongs do not reset the idle timer.
    connection.lastActiveAt = Date.now();
    entry.idle.refresh();
    this.options.onMessage(connection, frameText(data).toString('utf8'), (text) => {
      if (socket.readyState === socket.OPEN) socket.send(text);
    });
  }
}
