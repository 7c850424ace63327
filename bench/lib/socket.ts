import WebSocket from 'ws';
import { now } from './stats';

export interface PresenceEvent {
  readonly userId: string;
  readonly status: 'online' | 'offline';
  readonly lastSeen: string | null;
  readonly changedAt: string;
}

/** One received presence frame: when it arrived (ms, sub-ms resolution) and what it carried. */
export interface ReceivedPresence {
  readonly at: number;
  readonly presences: readonly PresenceEvent[];
}

/**
 * A lean WebSocket client for the bench: keeps presence frames with their arrival time, and
 * answers `request()` by requestId. Unlike the test helper it keeps nothing else, so a thousand
 * of them stay cheap.
 */
export class BenchSocket {
  /** Frames sent and received by every bench socket (WebSocket messages, as API Gateway bills them). */
  static readonly traffic = { sent: 0, received: 0, receivedBytes: 0 };
  readonly presence: ReceivedPresence[] = [];
  private readonly pending = new Map<string, { resolve: (frame: any) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  private readonly listeners = new Set<(frame: ReceivedPresence) => void>();
  private nextId = 0;
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const at = now();
      BenchSocket.traffic.received += 1;
      BenchSocket.traffic.receivedBytes += (data as Buffer).length;
      let frame: any;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (frame?.type === 'presence') {
        const received = { at, presences: frame.presences as PresenceEvent[] };
        this.presence.push(received);
        this.listeners.forEach((listener) => listener(received));
        return;
      }
      const waiter = typeof frame?.requestId === 'string' ? this.pending.get(frame.requestId) : undefined;
      if (waiter !== undefined) {
        clearTimeout(waiter.timer);
        this.pending.delete(frame.requestId);
        waiter.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code) => {
        for (const [id, waiter] of this.pending) {
          clearTimeout(waiter.timer);
          waiter.reject(new Error(`socket closed (${code}) before the reply to ${id}`));
        }
        this.pending.clear();
        resolve(code);
      }),
    );
  }

  /** Opens a socket; rejects when the handshake is refused or fails. */
  static open(wsUrl: string, token: string, timeoutMs = 30_000): Promise<BenchSocket> {
    const socket = new WebSocket(`${wsUrl}/?token=${encodeURIComponent(token)}`, { perMessageDeflate: false });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`WebSocket handshake took over ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new BenchSocket(socket));
      });
      socket.once('unexpected-response', (_request, response) => {
        clearTimeout(timer);
        reject(new Error(`WebSocket handshake refused: HTTP ${response.statusCode}`));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends a frame with a fresh requestId and resolves with the reply that echoes it. */
  request(frame: Record<string, unknown>, timeoutMs = 30_000): Promise<any> {
    this.nextId += 1;
    const requestId = `b${this.nextId}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new Error(`no reply to ${String(frame.action)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(requestId, { resolve, reject, timer });
      BenchSocket.traffic.sent += 1;
      this.socket.send(JSON.stringify({ ...frame, requestId }));
    });
  }

  async subscribe(userIds: readonly string[]): Promise<void> {
    const reply = await this.request({ action: 'subscribe', userIds });
    if (reply.type !== 'subscribed') throw new Error(`subscribe failed: ${JSON.stringify(reply)}`);
  }

  onPresence(listener: (frame: ReceivedPresence) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves with the arrival time of the first presence frame (already received or future) matching `match`. */
  async waitForPresence(match: (event: PresenceEvent) => boolean, timeoutMs: number): Promise<number> {
    return (await this.waitForPresenceEvent(match, timeoutMs)).at;
  }

  /** Resolves with the first presence event (already received or future) matching `match`, and when its frame arrived. */
  waitForPresenceEvent(match: (event: PresenceEvent) => boolean, timeoutMs: number): Promise<{ at: number; event: PresenceEvent }> {
    const arrival = (frame: ReceivedPresence) => {
      const event = frame.presences.find(match);
      return event === undefined ? undefined : { at: frame.at, event };
    };
    for (const frame of this.presence) {
      const found = arrival(frame);
      if (found !== undefined) return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error(`no matching presence event within ${timeoutMs} ms`));
      }, timeoutMs);
      const stop = this.onPresence((frame) => {
        const found = arrival(frame);
        if (found === undefined) return;
        clearTimeout(timer);
        stop();
        resolve(found);
      });
    });
  }

  /** A clean close (close frame, code 1000); resolves once the socket is closed. */
  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close(1000);
    await this.closed;
  }

  terminate(): void {
    this.socket.terminate();
  }
}
