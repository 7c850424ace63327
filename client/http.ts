/**
 * The HTTP half of the contract: sign-up, log-in, search, users, bulk presence, own status.
 * Uses the global `fetch` (browsers, Node >= 18) unless one is passed in.
 */
import {
  type ConfigReply,
  type HeartbeatReply,
  MAX_IDS_PER_FRAME,
  type MeReply,
  type PresenceJson,
  type SearchPage,
  type Session,
  type Status,
  type UserJson,
  type UserWithPresence,
} from './wire';

export type { ConfigReply, HeartbeatReply, MeReply, SearchPage, Session, UserJson, UserWithPresence };

/** A non-2xx answer: the HTTP status and the contract's error `code` (`internal` when the body was not the contract's). */
export class PresenceApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PresenceApiError';
  }
}

type Fetch = (
  input: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => Promise<{
  readonly status: number;
  readonly ok: boolean;
  text(): Promise<string>;
}>;

export interface PresenceApiOptions {
  /** e.g. `http://127.0.0.1:4000`; empty (the default) means the page's own origin. */
  readonly baseUrl?: string;
  /** The bearer token; sign-up and log-in set it. */
  readonly token?: string | null;
  readonly fetch?: Fetch;
}

export class PresenceApi {
  readonly baseUrl: string;
  /** Sent as `Authorization: Bearer` on every authenticated call. */
  token: string | null;
  private readonly fetchFn: Fetch;

  constructor(options: PresenceApiOptions = {}) {
    this.baseUrl = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.token = options.token ?? null;
    const fetchFn = options.fetch ?? (globalThis as { fetch?: Fetch }).fetch;
    if (fetchFn === undefined) throw new Error('No fetch available: pass one in the options');
    // Browsers refuse a fetch called with another `this` ("Illegal invocation").
    this.fetchFn = options.fetch ?? fetchFn.bind(globalThis);
  }

  /** Creates an account and keeps its token. */
  async signUp(name: string, password: string): Promise<Session> {
    return this.keep(await this.call<Session>('POST', '/users', { name, password }, false));
  }

  /** Logs in and keeps the token. */
  async logIn(name: string, password: string): Promise<Session> {
    return this.keep(await this.call<Session>('POST', '/sessions', { name, password }, false));
  }

  /** Case-insensitive name prefix search (`q`: 1-32 characters; `limit`: 1-50). */
  searchUsers(q: string, options: { limit?: number; cursor?: string | null } = {}): Promise<SearchPage> {
    const params = new URLSearchParams({ q });
    if (options.limit !== undefined) params.set('limit', String(options.limit));
    if (options.cursor !== undefined && options.cursor !== null) params.set('cursor', options.cursor);
    return this.call('GET', `/users?${params.toString()}`);
  }

  /** @throws PresenceApiError with code `not_found` for an unknown id. */
  getUser(id: string): Promise<UserWithPresence> {
    return this.call('GET', `/users/${encodeURIComponent(id)}`);
  }

  /** Presence of many users (split into requests of 100 ids); unknown ids are left out. */
  async getPresence(userIds: readonly string[]): Promise<PresenceJson[]> {
    const unique = [...new Set(userIds)];
    const pages: Promise<{ presences: PresenceJson[] }>[] = [];
    for (let i = 0; i < unique.length; i += MAX_IDS_PER_FRAME) {
      const ids = unique
        .slice(i, i + MAX_IDS_PER_FRAME)
        .map(encodeURIComponent)
        .join(',');
      pages.push(this.call('GET', `/presence?userIds=${ids}`));
    }
    return (await Promise.all(pages)).flatMap((page) => page.presences);
  }

  /** Sets the manual status: `offline` means "appear offline everywhere" until set `online` again. */
  async setStatus(status: Status): Promise<Status> {
    return (await this.call<{ status: Status }>('PUT', '/me/status', { status })).status;
  }

  /** Presence for clients without a WebSocket: online until the returned lease ends. */
  heartbeat(): Promise<HeartbeatReply> {
    return this.call('POST', '/me/heartbeat');
  }

  /**
   * The token's own user, effective status and manual setting. `token` defaults to the kept one.
   * @throws PresenceApiError with status 401 when the token is not (or no longer) valid.
   */
  getMe(token: string | null = this.token): Promise<MeReply> {
    return this.call('GET', '/me', undefined, token);
  }

  /** The deployment's timing (heartbeat, lease, offline grace) and WebSocket URL; no token needed. */
  getConfig(): Promise<ConfigReply> {
    return this.call('GET', '/config', undefined, false);
  }

  private keep(session: Session): Session {
    this.token = session.token;
    return session;
  }

  /** `auth`: true for the kept token, a token, or false (or null, not logged in) for none. */
  private async call<T>(method: string, path: string, body?: unknown, auth: boolean | string | null = true): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth !== false) {
      const token = auth === true ? this.token : auth;
      if (token === null) throw new PresenceApiError(401, 'unauthorized', 'Not logged in');
      headers.authorization = `Bearer ${token}`;
    }
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetchFn(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
      throw new PresenceApiError(
        response.status,
        typeof error?.code === 'string' ? error.code : 'internal',
        typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
      );
    }
    if (parsed === undefined) throw new PresenceApiError(response.status, 'internal', 'The response was not JSON');
    return parsed as T;
  }
}
