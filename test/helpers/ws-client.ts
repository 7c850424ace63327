import WebSocket from 'ws';

/** A real WebSocket client for tests: records every frame, waits for the ones it needs. */
export class TestSocket {
  readonly frames: any[] = [];
  private waiters: (() => void)[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  readonly closed: Promise<{ code: number; reason: string }>;
  private nextId = 0;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      let frame: unknown = text;
      try {
        frame = JSON.parse(text);
      } catch {
        // keep raw text
      }
      this.frames.push(frame);
      this.waiters.forEach((wake) => wake());
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        clearInterval(this.heartbeat);
        resolve({ code, reason: reason.toString() });
      }),
    );
  }

  /** Opens a socket; rejects with the HTTP status when the handshake is refused. */
  static open(url: string, token?: string): Promise<TestSocket> {
    const socket = new WebSocket(token === undefined ? url : `${url}/?token=${encodeURIComponent(token)}`);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new TestSocket(socket)));
      socket.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`handshake refused: ${res.statusCode}`), { status: res.statusCode })),
      );
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a frame with a fresh requestId and resolves with the reply that echoes it. */
  async request(frame: Record<string, unknown>, timeoutMs = 5_000): Promise<any> {
    const requestId = `r${(this.nextId += 1)}`;
    this.send({ ...frame, requestId });
    return this.next((f) => f?.requestId === requestId, timeoutMs);
  }

  /** The first frame (already received or future) matching `match`. */
  next(match: (frame: any) => boolean, timeoutMs = 5_000): Promise<any> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.frames.find(match);
        if (found !== undefined) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames).slice(0, 500)}`));
      }, timeoutMs);
      this.waiters.push(check);
      check();
    });
  }

  /** Presence events about `userId`, in arrival order. */
  presenceOf(userId: string): any[] {
    return this.frames
      .filter((f) => f?.type === 'presence')
      .flatMap((f) => f.presences)
      .filter((p: any) => p.userId === userId);
  }

  /** Waits for a presence event about `userId` with `status`. */
  async waitForPresence(userId: string, status: 'online' | 'offline', timeoutMs = 5_000): Promise<any> {
    const frame = await this.next(
      (f) => f?.type === 'presence' && f.presences.some((p: any) => p.userId === userId && p.status === status),
      timeoutMs,
    );
    return frame.presences.find((p: any) => p.userId === userId && p.status === status);
  }

  /** Sends a heartbeat every `ms`, as a real client does, so short test leases do not expire. */
  keepAlive(ms: number): this {
    this.heartbeat = setInterval(() => {
      if (this.socket.readyState === WebSocket.OPEN) this.send({ action: 'heartbeat' });
    }, ms);
    return this;
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000);
    await this.closed;
  }

  terminate(): void {
    clearInterval(this.heartbeat);
    this.socket.terminate();
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
