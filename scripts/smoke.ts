/**
 * `npm run smoke -- --http <url> --ws <url>`: proves a deployment (or a local stack) end to end,
 * through its public APIs only, the way a client uses it: health, the client configuration, two
 * throwaway users (`smoke-…`, left behind: the contract has no account deletion) signing up and
 * logging in, `GET /me`, two WebSocket connections, a subscription, online, appear offline and
 * back, a close, offline with `lastSeen`. Stops at the first broken step, names it, and exits 1.
 *
 *   npm run smoke -- --http https://abc.execute-api.eu-west-1.amazonaws.com --ws wss://def.execute-api.eu-west-1.amazonaws.com/live
 *   npm run smoke -- --http http://127.0.0.1:4000 --ws ws://127.0.0.1:4001
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

export class SmokeFailure extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(`${step}: ${message}`);
    this.name = 'SmokeFailure';
  }
}

export interface SmokeOptions {
  readonly httpUrl: string;
  readonly wsUrl: string;
  /** How long one step may wait for an answer or an event (the offline step adds the grace). */
  readonly stepTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

type Json = Record<string, any>;

/** A WebSocket that keeps every frame and waits for the one it needs. */
class Socket {
  private readonly frames: Json[] = [];
  private readonly waiters = new Set<() => void>();
  private next = 0;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      try {
        this.frames.push(JSON.parse(data.toString()) as Json);
      } catch {
        this.frames.push({ unparsable: data.toString() });
      }
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static open(url: string, token: string, timeoutMs: number): Promise<Socket> {
    const socket = new WebSocket(`${url.replace(/\/$/, '')}/?token=${encodeURIComponent(token)}`);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`no handshake within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve(new Socket(socket));
      });
      socket.once('unexpected-response', (_request, response) => {
        clearTimeout(timer);
        reject(new Error(`handshake refused with HTTP ${response.statusCode}`));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** Sends a frame and resolves with the reply that echoes its requestId. */
  request(frame: Json, timeoutMs: number): Promise<Json> {
    const requestId = `smoke-${(this.next += 1)}`;
    this.socket.send(JSON.stringify({ ...frame, requestId }));
    return this.waitFor((reply) => reply.requestId === requestId, timeoutMs, `a reply to ${frame.action}`);
  }

  /** Where the next frame will be: waits from here ignore what came before. */
  mark(): number {
    return this.frames.length;
  }

  /** Resolves with the first frame (received since `from`, or coming) that matches. */
  waitFor(match: (frame: Json) => boolean, timeoutMs: number, what: string, from = 0): Promise<Json> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.frames.slice(from).find(match);
        if (found === undefined) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms (frames so far: ${JSON.stringify(this.frames).slice(0, 300)})`));
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** The user's presence in the first event since `from` that reports `status` for them. */
  presenceOf(userId: string, status: string, timeoutMs: number, from: number): Promise<Json> {
    const mine = (frame: Json) =>
      frame.type === 'presence' ? (frame.presences as Json[]).find((p) => p.userId === userId && p.status === status) : undefined;
    return this.waitFor((frame) => mine(frame) !== undefined, timeoutMs, `presence event "${status}" for user ${userId}`, from).then(
      (frame) => mine(frame) as Json,
    );
  }

  close(): Promise<void> {
    this.socket.close();
    return this.closed;
  }

  terminate(): void {
    this.socket.terminate();
  }
}

const call = async (
  httpUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: Json }> => {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${httpUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as Json };
  } catch {
    return { status: response.status, body: { text: text.slice(0, 200) } };
  }
};

/** Runs every step; resolves when the deployment works, rejects with a SmokeFailure naming the first broken step. */
export const runSmoke = async (options: SmokeOptions): Promise<void> => {
  const timeoutMs = options.stepTimeoutMs ?? 15_000;
  const log = options.log ?? (() => undefined);
  const sockets: Socket[] = [];
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      const result = await work();
      log(`ok    ${name} (${Date.now() - started} ms)`);
      return result;
    } catch (error) {
      throw error instanceof SmokeFailure ? error : new SmokeFailure(name, (error as Error).message);
    }
  };
  const expectStatus = (name: string, answer: { status: number; body: Json }, status: number) => {
    if (answer.status !== status)
      throw new SmokeFailure(name, `expected HTTP ${status}, got ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    return answer.body;
  };
  const http = options.httpUrl;

  try {
    await step('GET /health', async () => expectStatus('GET /health', await call(http, 'GET', '/health'), 200));
    const config = await step('GET /config', async () => {
      const body = expectStatus('GET /config', await call(http, 'GET', '/config'), 200);
      for (const key of ['heartbeatSeconds', 'leaseSeconds', 'offlineGraceSeconds']) {
        if (typeof body[key] !== 'number') throw new Error(`no number "${key}" in ${JSON.stringify(body)}`);
      }
      return body as { offlineGraceSeconds: number };
    });

    const suffix = randomBytes(6).toString('hex');
    const password = randomBytes(12).toString('base64url');
    const [watcher, actor] = await step('sign up two throwaway users', async () =>
      Promise.all(
        ['w', 'a'].map(async (role) =>
          expectStatus(
            'sign up two throwaway users',
            await call(http, 'POST', '/users', { name: `smoke-${role}-${suffix}`, password }),
            201,
          ),
        ),
      ),
    );
    const actorSession = await step('log in', async () =>
      expectStatus('log in', await call(http, 'POST', '/sessions', { name: actor.user.name, password }), 200),
    );
    await step('GET /me', async () => {
      const me = expectStatus('GET /me', await call(http, 'GET', '/me', undefined, actorSession.token), 200);
      if (me.user?.id !== actor.user.id) throw new Error(`expected user ${actor.user.id}, got ${JSON.stringify(me).slice(0, 200)}`);
    });

    const watching = await step('connect the watcher', async () => Socket.open(options.wsUrl, watcher.token, timeoutMs));
    sockets.push(watching);
    await step('subscribe to the other user', async () => {
      const reply = await watching.request({ action: 'subscribe', userIds: [actor.user.id] }, timeoutMs);
      if (reply.type !== 'subscribed') throw new Error(`expected "subscribed", got ${JSON.stringify(reply).slice(0, 200)}`);
    });
    const acting = await step('connect the other user', async () => Socket.open(options.wsUrl, actorSession.token, timeoutMs));
    sockets.push(acting);
    await step('see them online', async () => watching.presenceOf(actor.user.id, 'online', timeoutMs, 0));
    await step('appear offline', async () => {
      const from = watching.mark();
      const reply = await acting.request({ action: 'setStatus', status: 'offline' }, timeoutMs);
      if (reply.type !== 'status') throw new Error(`expected "status", got ${JSON.stringify(reply).slice(0, 200)}`);
      await watching.presenceOf(actor.user.id, 'offline', timeoutMs, from);
    });
    await step('appear online again', async () => {
      const from = watching.mark();
      await acting.request({ action: 'setStatus', status: 'online' }, timeoutMs);
      await watching.presenceOf(actor.user.id, 'online', timeoutMs, from);
    });
    await step('close the other user and see them offline with lastSeen', async () => {
      const from = watching.mark();
      const closedAt = Date.now();
      await acting.close();
      // Offline comes after the grace (GET /config's offlineGraceSeconds).
      const presence = await watching.presenceOf(actor.user.id, 'offline', timeoutMs + config.offlineGraceSeconds * 1000, from);
      const lastSeen = typeof presence.lastSeen === 'string' ? Date.parse(presence.lastSeen) : Number.NaN;
      // Generous against clock skew between this machine and the service; the contract's 2 s is the service's own clock.
      if (Number.isNaN(lastSeen) || Math.abs(lastSeen - closedAt) > 60_000)
        throw new Error(`expected lastSeen near ${new Date(closedAt).toISOString()}, got ${JSON.stringify(presence)}`);
    });
    await step('close the watcher', async () => watching.close());
  } finally {
    for (const socket of sockets) socket.terminate();
  }
};

const argument = (args: readonly string[], name: string): string | undefined => {
  const index = args.indexOf(name);
  if (index >= 0) return args[index + 1];
  return args.find((arg) => arg.startsWith(`${name}=`))?.slice(name.length + 1);
};

const main = async (): Promise<void> => {
  const args = process.argv.slice(2);
  const httpUrl = argument(args, '--http');
  const wsUrl = argument(args, '--ws');
  if (httpUrl === undefined || wsUrl === undefined) {
    process.stderr.write('usage: npm run smoke -- --http <HTTP API URL> --ws <WebSocket URL> [--timeout <seconds per step>]\n');
    process.exit(2);
  }
  const timeout = argument(args, '--timeout');
  const started = Date.now();
  try {
    await runSmoke({
      httpUrl,
      wsUrl,
      stepTimeoutMs: timeout === undefined ? undefined : Number(timeout) * 1000,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`smoke: the deployment works (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    process.exit(0);
  } catch (error) {
    process.stderr.write(`FAIL  ${(error as Error).message}\n`);
    process.exit(1);
  }
};

if (require.main === module) void main();
