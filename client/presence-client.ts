/**
 * The WebSocket half of the contract: one object that owns the connection, keeps the watch list
 * subscribed across reconnects, and turns the server's frames into per-user presence.
 */

import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, rotationDelay } from './backoff';
import { Emitter } from './emitter';
import type { PresenceApi } from './http';
import { PresenceTable, type PresenceView } from './presence-table';
import {
  type ClientFrame,
  type ErrorCode,
  MAX_IDS_PER_FRAME,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  type PresenceChangeJson,
  type ServerFrame,
  type Status,
} from './wire';

/**
 * The little of a WebSocket the client uses: the browser's `WebSocket` and the `ws` package both
 * fit (handler parameters are `any` so that both event types are accepted).
 */
export interface WebSocketLike {
  readonly readyState: number;
  // biome-ignore-start lint/suspicious/noExplicitAny: the browser's WebSocket and ws type these events differently; both must fit
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
  // biome-ignore-end lint/suspicious/noExplicitAny: see above
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/**
 * `connecting`: the first connection is being opened. `connected`: a socket is open and the watch
 * list subscribed. `reconnecting`: the connection was lost (or could not be opened) and another
 * attempt is pending. `closed`: `close()` was called, or the token was refused (`unauthorized`).
 * A planned rotation stays `connected`.
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface PresenceUpdate extends PresenceView {
  /** `snapshot`: the state when the subscription started; `event`: a live change. */
  readonly source: 'snapshot' | 'event';
}

export interface ConnectionStateChange {
  readonly state: ConnectionState;
  readonly previous: ConnectionState;
  /** Failed attempts since the last good connection. */
  readonly attempt: number;
  /** When `reconnecting`: how long until the next attempt (ms). */
  readonly retryInMs?: number;
  /** When `reconnecting`: when the next attempt starts (ms since the epoch); `reconnectNow()` starts it at once. */
  readonly nextAttemptAt?: number;
}

/** `timeout`: no reply in time; `connection`: the socket could not be used; the rest are the contract's error frames. */
export type PresenceClientErrorCode = ErrorCode | 'timeout' | 'connection';

export class PresenceClientError extends Error {
  constructor(
    readonly code: PresenceClientErrorCode,
    message: string,
    readonly requestId?: string,
  ) {
    super(message);
    this.name = 'PresenceClientError';
  }
}

export interface PresenceClientEvents {
  presence: PresenceUpdate;
  'connection-state': ConnectionStateChange;
  error: PresenceClientError;
  /** Ids the server does not know; they are dropped from the watch list. */
  unknown: { readonly userIds: readonly string[] };
  /**
   * The server refused the connection and `GET /me` says the token is not (or no longer) valid:
   * the client has stopped (state `closed`). Log in again, then `connect()`.
   */
  unauthorized: { readonly message: string };
}

/** What the client asks over HTTP: a {@link PresenceApi} fits. */
export type PresenceClientApi = Pick<PresenceApi, 'getMe' | 'getConfig'> & { readonly token?: string | null };

export interface PresenceClientOptions {
  /**
   * WebSocket API URL without the token, e.g. `ws://127.0.0.1:4001` or
   * `wss://{api}.execute-api.{region}.amazonaws.com/{stage}`. Default: `webSocketUrl` of `GET /config` (needs `api`).
   */
  readonly url?: string;
  /**
   * The bearer token, or a function asked before every connection attempt (so a refreshed token is
   * used). Default: the token `api` holds.
   */
  readonly token?: string | (() => string | Promise<string>);
  /**
   * The HTTP API (a {@link PresenceApi}). With it the client reads `GET /config` before its first
   * connection (heartbeat interval, WebSocket URL), and after a refused connection asks `GET /me`:
   * a 401 there emits `unauthorized` and stops the retries; anything else is an outage and it retries.
   */
  readonly api?: PresenceClientApi;
  /** The WebSocket implementation; default: the global one (browsers). On Node 20 pass `ws`. */
  readonly WebSocket?: WebSocketConstructor;
  /** A heartbeat goes out after this long without any frame sent. Default: `GET /config` (with `api`), else 60. */
  readonly heartbeatSeconds?: number;
  /** A heartbeat without a reply for this long means the socket is dead (half-open TCP): reconnect. Default 15 s. */
  readonly heartbeatTimeoutMs?: number;
  /** A connection is replaced (new one first) after at most this long; API Gateway cuts it at 2 h. Default 1 h 50 min. */
  readonly maxConnectionMs?: number;
  /**
   * The rotation happens up to this fraction earlier than `maxConnectionMs`, at random. Default 0.2:
   * clients that connected together (after an outage) spread their rotations over 22 minutes
   * instead of replaying the reconnect storm every 2 hours.
   */
  readonly rotationJitter?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** A handshake that has not completed after this long is abandoned. Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Requests (subscribe, unsubscribe, setStatus) without a reply after this long fail. Default 10 s. */
  readonly requestTimeoutMs?: number;
  /** For tests: the random source of backoff and rotation jitter. */
  readonly random?: () => number;
}

const OPEN = 1;
const DEFAULTS = {
  heartbeatSeconds: 60,
  heartbeatTimeoutMs: 15_000,
  maxConnectionMs: 110 * 60_000,
  rotationJitter: 0.2,
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 10_000,
};

interface PendingRequest {
  /** Runs synchronously on the reply frame, before the promise resolves. */
  onReply?: (frame: ServerFrame) => void;
  resolve(frame: ServerFrame): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** One socket and what this client did on it. */
interface Link {
  readonly socket: WebSocketLike;
  /** The token it was opened with. */
  readonly token: string;
  open: boolean;
  done: boolean;
  /** Ids whose `subscribed` snapshot arrived on this socket: its events for them are live. */
  readonly live: Set<string>;
  /** Ids with a subscribe in flight on this socket. */
  readonly pending: Set<string>;
  /** Events for pending ids that arrived before their snapshot. */
  buffered: PresenceChangeJson[];
  readonly requests: Map<string, PendingRequest>;
  timers: { connect?: ReturnType<typeof setTimeout>; heartbeat?: ReturnType<typeof setTimeout>; rotate?: ReturnType<typeof setTimeout> };
}

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** A request that failed only because its socket went away needs no retry: the next socket subscribes the whole watch list. */
const ignoreConnectionLoss = (error: PresenceClientError): { unknown: string[] } => {
  if (error.code === 'connection' || error.code === 'timeout') return { unknown: [] };
  throw error;
};

export class PresenceClient extends Emitter<PresenceClientEvents> {
  private readonly options: PresenceClientOptions;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly backoffOptions: BackoffOptions;
  private readonly random: () => number;
  private readonly watchList = new Set<string>();
  private readonly table = new PresenceTable();
  /** The socket in use. */
  private primary: Link | null = null;
  /** The socket being opened: the first one, a reconnect, or the replacement of `primary` (make-before-break). */
  private candidate: Link | null = null;
  private current: ConnectionState = 'idle';
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryAt: number | null = null;
  private sequence = 0;
  /** What `GET /config` said (read once, before the first connection that needs it). */
  private config: { url: string; heartbeatSeconds: number } | null = null;

  constructor(options: PresenceClientOptions) {
    super();
    this.options = options;
    const impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (impl === undefined) throw new Error('No WebSocket available: pass one in the options (on Node 20, the `ws` package)');
    this.WebSocketImpl = impl;
    this.backoffOptions = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.random = options.random ?? Math.random;
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** While `reconnecting`: when the next attempt starts (ms since the epoch); otherwise null. */
  get nextAttemptAt(): number | null {
    return this.retryAt;
  }

  /** The ids being watched. */
  watching(): string[] {
    return [...this.watchList];
  }

  /** What is known about a watched user (undefined until their snapshot arrived). */
  presence(userId: string): PresenceView | undefined {
    return this.table.get(userId);
  }

  presences(): PresenceView[] {
    return this.table.all().filter((view) => this.watchList.has(view.userId));
  }

  /** Opens the connection (and keeps it open until `close()`). */
  connect(): void {
    if (this.current === 'connecting' || this.current === 'connected' || this.current === 'reconnecting') return;
    this.attempt = 0;
    this.setState('connecting');
    void this.openLink();
  }

  /**
   * While `reconnecting` and waiting for the next attempt: makes that attempt now (a "Retry now"
   * button). Returns whether an attempt was started.
   */
  reconnectNow(): boolean {
    if (this.current !== 'reconnecting' || this.retryAt === null || this.primary !== null || this.candidate !== null) return false;
    clearTimeout(this.retryTimer);
    this.retryAt = null;
    void this.openLink();
    return true;
  }

  /** Closes the connection for good (until `connect()` again); the watch list is kept. */
  close(): void {
    if (this.current === 'closed' || this.current === 'idle') return;
    this.stop('client closed');
  }

  private stop(reason: string): void {
    clearTimeout(this.retryTimer);
    this.retryAt = null;
    this.setState('closed');
    for (const link of [this.primary, this.candidate]) if (link !== null) this.drop(link, 1000, reason);
    this.primary = null;
    this.candidate = null;
  }

  /**
   * Adds users to the watch list and subscribes them on the open socket; after any reconnect they
   * are subscribed again. Resolves when the server has answered (at once when not connected: the
   * next connection subscribes them).
   */
  async watch(userIds: readonly string[]): Promise<{ unknown: string[] }> {
    const added = [...new Set(userIds)].filter((id) => !this.watchList.has(id));
    if (this.watchList.size + added.length > MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      throw new PresenceClientError('too_many_subscriptions', `At most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} users can be watched`);
    }
    if (added.length === 0) return { unknown: [] };
    for (const id of added) this.watchList.add(id);
    const links = [this.primary, this.candidate].filter((link): link is Link => link?.open === true);
    const results = await Promise.all(links.map((link) => this.subscribe(link, added).catch(ignoreConnectionLoss)));
    return { unknown: [...new Set(results.flatMap((result) => result.unknown))] };
  }

  /** Removes users from the watch list; no presence for them is reported after this. */
  async unwatch(userIds: readonly string[]): Promise<void> {
    const removed = [...new Set(userIds)].filter((id) => this.watchList.delete(id));
    if (removed.length === 0) return;
    for (const id of removed) this.table.delete(id);
    const links = [this.primary, this.candidate].filter((link): link is Link => link?.open === true);
    await Promise.all(
      links.map(async (link) => {
        for (const id of removed) {
          link.live.delete(id);
          link.pending.delete(id);
        }
        link.buffered = link.buffered.filter((change) => this.watchList.has(change.userId));
        // Subscriptions end with their connection anyway, and events for unwatched ids are ignored.
        for (const chunk of chunks(removed, MAX_IDS_PER_FRAME))
          await this.request(link, { action: 'unsubscribe', userIds: chunk }).catch(ignoreConnectionLoss);
      }),
    );
  }

  /** Sets the own manual status over the socket (`offline`: appear offline everywhere). */
  async setStatus(status: Status): Promise<Status> {
    const link = this.primary;
    if (link === null || !link.open) throw new PresenceClientError('connection', 'Not connected');
    const reply = await this.request(link, { action: 'setStatus', status });
    if (reply.type !== 'status') throw new PresenceClientError('internal', `Unexpected reply ${reply.type}`);
    return reply.status;
  }

  // -------------------------------------------------------------------------------------------
  // Connection lifecycle

  private setState(state: ConnectionState, retryInMs?: number): void {
    const previous = this.current;
    if (previous === state && retryInMs === undefined) return;
    this.current = state;
    const retry = retryInMs === undefined || this.retryAt === null ? {} : { retryInMs, nextAttemptAt: this.retryAt };
    this.emit('connection-state', { state, previous, attempt: this.attempt, ...retry });
  }

  private get heartbeatSeconds(): number {
    return this.options.heartbeatSeconds ?? this.config?.heartbeatSeconds ?? DEFAULTS.heartbeatSeconds;
  }

  /** The WebSocket URL: the option, else `GET /config` (asked until it answers once). */
  private async webSocketUrl(): Promise<string> {
    const { api } = this.options;
    if (api !== undefined && this.config === null && (this.options.url === undefined || this.options.heartbeatSeconds === undefined)) {
      try {
        const config = await api.getConfig();
        this.config = { url: config.webSocketUrl, heartbeatSeconds: config.heartbeatSeconds };
      } catch (error) {
        if (this.options.url === undefined) throw new Error(`GET /config failed: ${(error as Error).message}`);
        // With a URL the client can connect anyway, on the default heartbeat until /config answers.
      }
    }
    const url = this.options.url ?? this.config?.url;
    if (url === undefined) throw new Error('No WebSocket URL: pass `url`, or `api` to read it from GET /config');
    return url;
  }

  private async token(): Promise<string> {
    const { token, api } = this.options;
    if (typeof token === 'function') return token();
    const value = token ?? api?.token;
    if (typeof value !== 'string') throw new Error('no token: pass `token`, or an `api` that holds one');
    return value;
  }

  private async openLink(): Promise<void> {
    let url: string;
    let token: string;
    try {
      token = await this.token();
      const target = new URL(await this.webSocketUrl());
      target.searchParams.set('token', token);
      url = target.toString();
    } catch (error) {
      this.emit('error', new PresenceClientError('connection', `Cannot connect: ${(error as Error).message}`));
      this.retryLater();
      return;
    }
    if (this.current === 'closed') return;
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketImpl(url);
    } catch (error) {
      this.emit('error', new PresenceClientError('connection', `Cannot open the WebSocket: ${(error as Error).message}`));
      this.retryLater();
      return;
    }
    const link: Link = {
      socket,
      token,
      open: false,
      done: false,
      live: new Set(),
      pending: new Set(),
      buffered: [],
      requests: new Map(),
      timers: {},
    };
    this.candidate = link;
    socket.onopen = () => this.onOpen(link);
    socket.onmessage = (event: { data?: unknown }) => this.onMessage(link, event.data);
    socket.onclose = (event: { code?: number; reason?: string }) => this.onClose(link, event.code ?? 1006, event.reason ?? '');
    // The close event follows every error; with `ws`, an error without a listener would be thrown.
    socket.onerror = () => undefined;
    link.timers.connect = setTimeout(() => {
      if (!link.open) this.lost(link, 'the handshake timed out');
    }, this.options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs);
  }

  private async onOpen(link: Link): Promise<void> {
    if (link.done) return;
    link.open = true;
    clearTimeout(link.timers.connect);
    this.armHeartbeat(link);
    try {
      await this.subscribe(link, [...this.watchList]);
    } catch (error) {
      const { code, message } = error as PresenceClientError;
      if (code === 'timeout' || code === 'connection') {
        // Without its subscriptions the socket is of no use: start over.
        this.lost(link, `subscribing failed: ${message}`);
        return;
      }
      // The server refused part of the watch list: say so, and keep what it accepted.
      this.emit('error', error as PresenceClientError);
    }
    if (link.done) return;
    if (link !== this.candidate) {
      this.drop(link, 1000, 'not needed');
      return;
    }
    const previous = this.primary;
    this.primary = link;
    this.candidate = null;
    this.attempt = 0;
    link.timers.rotate = setTimeout(
      () => this.rotate(link),
      rotationDelay(
        this.options.maxConnectionMs ?? DEFAULTS.maxConnectionMs,
        this.options.rotationJitter ?? DEFAULTS.rotationJitter,
        this.random,
      ),
    );
    this.setState('connected');
    // Make-before-break: the new socket is open and subscribed before the old one closes, so the
    // user always has a live connection (no offline event) and no change falls between the two.
    if (previous !== null) this.drop(previous, 1000, 'replaced by a new connection');
  }

  /** Opens the replacement of `link` while it stays in use. */
  private rotate(link: Link): void {
    if (link !== this.primary || this.candidate !== null || this.current === 'closed') return;
    void this.openLink();
  }

  private onClose(link: Link, code: number, reason: string): void {
    if (link.done) return;
    this.lost(link, `closed with ${code}${reason === '' ? '' : ` ${reason}`}`);
  }

  /** `link` is unusable: forget it and, unless the client is closed, get a working connection back. */
  private lost(link: Link, why: string): void {
    if (link.done) return;
    this.drop(link, 4000, why);
    if (this.current === 'closed') return;
    if (link === this.primary) {
      this.primary = null;
      this.emit('error', new PresenceClientError('connection', `The connection was lost (${why})`));
      // A replacement already on its way takes over; otherwise reconnect.
      if (this.candidate === null) this.retryLater();
      else this.setState('reconnecting');
    } else if (link === this.candidate) {
      this.candidate = null;
      if (!link.open) void this.checkToken(link.token);
      if (this.primary !== null) {
        // A failed rotation: the old socket still works; try the replacement again later.
        const primary = this.primary;
        clearTimeout(primary.timers.rotate);
        primary.timers.rotate = setTimeout(() => this.rotate(primary), backoffDelay(this.attempt++, this.backoffOptions, this.random));
      } else {
        this.retryLater();
      }
    }
  }

  /**
   * A connection was refused or failed before it opened: a network failure, or a dead token (the
   * handshake's 401 is not visible to a WebSocket client). `GET /me` tells them apart: a 401 stops
   * the client; anything else (including no answer) leaves the retries running.
   */
  private async checkToken(token: string): Promise<void> {
    const { api } = this.options;
    if (api === undefined) return;
    try {
      await api.getMe(token);
    } catch (error) {
      if ((error as { status?: unknown }).status !== 401 || this.current === 'closed' || this.current === 'connected') return;
      this.stop('unauthorized');
      this.emit('unauthorized', { message: (error as Error).message });
    }
  }

  private retryLater(): void {
    if (this.current === 'closed') return;
    const delay = backoffDelay(this.attempt, this.backoffOptions, this.random);
    this.attempt += 1;
    this.retryAt = Date.now() + delay;
    this.setState('reconnecting', delay);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryAt = null;
      if (this.current !== 'closed' && this.primary === null && this.candidate === null) void this.openLink();
    }, delay);
  }

  /** Stops using `link`: timers off, requests failed, socket closed. */
  private drop(link: Link, code: number, reason: string): void {
    if (link.done) return;
    link.done = true;
    link.open = false;
    clearTimeout(link.timers.connect);
    clearTimeout(link.timers.heartbeat);
    clearTimeout(link.timers.rotate);
    for (const [requestId, pending] of link.requests) {
      clearTimeout(pending.timer);
      pending.reject(new PresenceClientError('connection', `The connection closed before the reply (${reason})`, requestId));
    }
    link.requests.clear();
    link.socket.onopen = null;
    link.socket.onmessage = null;
    link.socket.onclose = null;
    try {
      // Only 1000 and 3000-4999 may be sent by a client.
      link.socket.close(code, reason.slice(0, 100));
    } catch {
      // already closing
    }
  }

  // -------------------------------------------------------------------------------------------
  // Frames

  private send(link: Link, frame: ClientFrame): void {
    link.socket.send(JSON.stringify(frame));
    this.armHeartbeat(link);
  }

  private request(
    link: Link,
    frame: ClientFrame,
    timeoutMs = this.options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
    onReply?: (reply: ServerFrame) => void,
  ): Promise<ServerFrame> {
    if (!link.open || link.socket.readyState !== OPEN) return Promise.reject(new PresenceClientError('connection', 'Not connected'));
    this.sequence += 1;
    const requestId = `c${this.sequence}`;
    return new Promise<ServerFrame>((resolve, reject) => {
      const timer = setTimeout(() => {
        link.requests.delete(requestId);
        reject(new PresenceClientError('timeout', `No reply to ${frame.action} within ${timeoutMs} ms`, requestId));
      }, timeoutMs);
      link.requests.set(requestId, { onReply, resolve, reject, timer });
      this.send(link, { ...frame, requestId });
    });
  }

  /** Any frame renews the lease; the heartbeat goes out only after `heartbeatSeconds` of silence. */
  private armHeartbeat(link: Link): void {
    clearTimeout(link.timers.heartbeat);
    if (!link.open) return;
    link.timers.heartbeat = setTimeout(() => {
      const timeoutMs = this.options.heartbeatTimeoutMs ?? DEFAULTS.heartbeatTimeoutMs;
      this.request(link, { action: 'heartbeat' }, timeoutMs).catch((error: PresenceClientError) => {
        if (error.code === 'timeout') this.lost(link, 'no reply to a heartbeat');
      });
    }, this.heartbeatSeconds * 1000);
  }

  private async subscribe(link: Link, userIds: readonly string[]): Promise<{ unknown: string[] }> {
    const unknown: string[] = [];
    await Promise.all(
      chunks(userIds, MAX_IDS_PER_FRAME).map(async (chunk) => {
        for (const id of chunk) link.pending.add(id);
        const settle = (reply: ServerFrame | null) => {
          for (const id of chunk) link.pending.delete(id);
          if (reply?.type === 'subscribed') this.onSnapshot(link, chunk, reply);
          else link.buffered = link.buffered.filter((change) => !chunk.includes(change.userId));
        };
        let reply: ServerFrame;
        try {
          // The snapshot is applied as its frame arrives, before any frame behind it.
          reply = await this.request(link, { action: 'subscribe', userIds: chunk }, undefined, settle);
        } catch (error) {
          settle(null);
          throw error;
        }
        if (reply.type === 'subscribed') {
          unknown.push(...reply.unknown);
          return;
        }
        if (reply.type === 'error') throw new PresenceClientError(reply.code, reply.message, reply.requestId);
        throw new PresenceClientError('internal', `Unexpected reply ${reply.type} to subscribe`);
      }),
    );
    return { unknown };
  }

  /** Whether another open socket already delivers live events for `userId`. */
  private coveredElsewhere(link: Link, userId: string): boolean {
    return [this.primary, this.candidate].some((other) => other !== null && other !== link && other.open && other.live.has(userId));
  }

  private onSnapshot(link: Link, requested: readonly string[], reply: Extract<ServerFrame, { type: 'subscribed' }>): void {
    if (link.done) return;
    for (const presence of reply.presences) {
      if (!this.watchList.has(presence.userId)) continue;
      // During a rotation the old socket's events are at least as fresh as this snapshot.
      if (!this.coveredElsewhere(link, presence.userId)) this.report(this.table.applySnapshot(presence), 'snapshot');
      link.live.add(presence.userId);
    }
    if (reply.unknown.length > 0) {
      for (const id of reply.unknown) this.watchList.delete(id);
      this.emit('unknown', { userIds: reply.unknown });
    }
    // Events that overtook the snapshot were decided after the subscription started: they go on top of it.
    const wanted = new Set(requested);
    const early = link.buffered.filter((change) => wanted.has(change.userId));
    link.buffered = link.buffered.filter((change) => !wanted.has(change.userId));
    for (const change of early) this.applyChange(change);
  }

  private applyChange(change: PresenceChangeJson): void {
    if (this.watchList.has(change.userId)) this.report(this.table.applyChange(change), 'event');
  }

  private report(view: PresenceView | null, source: PresenceUpdate['source']): void {
    if (view !== null) this.emit('presence', { ...view, source });
  }

  private onMessage(link: Link, data: unknown): void {
    if (link.done || typeof data !== 'string') return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch {
      this.emit('error', new PresenceClientError('internal', 'The server sent a frame that is not JSON'));
      return;
    }
    if (typeof frame !== 'object' || frame === null) return;
    if (frame.type === 'presence') {
      for (const change of frame.presences) {
        if (!this.watchList.has(change.userId)) continue;
        if (link.pending.has(change.userId) && !this.coveredElsewhere(link, change.userId)) link.buffered.push(change);
        else this.applyChange(change);
      }
      return;
    }
    const requestId = 'requestId' in frame ? frame.requestId : undefined;
    const pending = requestId === undefined ? undefined : link.requests.get(requestId);
    if (pending !== undefined && requestId !== undefined) {
      clearTimeout(pending.timer);
      link.requests.delete(requestId);
      pending.onReply?.(frame);
      pending.resolve(frame);
      return;
    }
    if (frame.type === 'error') {
      this.emit('error', new PresenceClientError(frame.code, frame.message, frame.requestId));
    } else if (typeof (frame as { type?: unknown }).type !== 'string') {
      // API Gateway's own error frame ({"message": "Internal server error", ...}): the request it answers will time out.
      const message = (frame as { message?: unknown }).message;
      this.emit('error', new PresenceClientError('internal', typeof message === 'string' ? message : 'Unrecognised frame'));
    }
  }
}
