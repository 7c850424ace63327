/**
 * The messages of the public contract (HTTP bodies and WebSocket frames), as types and parsers:
 * the one definition the handlers and the client library share.
 */
import { InvalidRequestError } from './errors';
import type { PresenceChange, PresenceView, Status } from './presence';

/** The contract's Presence object. */
export interface PresenceJson {
  readonly userId: string;
  readonly status: Status;
  /** ISO-8601, or null while online / never seen. */
  readonly lastSeen: string | null;
}

export interface PresenceChangeJson extends PresenceJson {
  readonly changedAt: string;
}

/** The contract's User object. */
export interface UserJson {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

/** A user with their current presence, as search and `GET /users/{id}` return them. */
export interface UserWithPresence extends UserJson {
  readonly status: Status;
  readonly lastSeen: string | null;
}

/** What sign-up (`201`) and log-in (`200`) return. */
export interface Session {
  readonly user: UserJson;
  readonly token: string;
  readonly expiresAt: string;
}

/** `GET /users`. */
export interface SearchPage {
  readonly users: readonly UserWithPresence[];
  readonly nextCursor: string | null;
}

/** `POST /me/heartbeat`. */
export interface HeartbeatReply {
  readonly status: Status;
  readonly leaseExpiresAt: string;
}

/** `GET /me`: the token's own user, effective status and manual setting. */
export interface MeReply {
  readonly user: UserJson;
  readonly status: Status;
  readonly lastSeen: string | null;
  readonly setting: Status;
}

/** `GET /config`: what a client needs to heartbeat correctly against this deployment. */
export interface ConfigReply {
  readonly heartbeatSeconds: number;
  readonly leaseSeconds: number;
  readonly offlineGraceSeconds: number;
  readonly webSocketUrl: string;
}

/** Every HTTP error body. */
export interface ErrorBody {
  readonly error: { readonly code: HttpErrorCode; readonly message: string };
}

export type HttpErrorCode =
  | 'invalid_request'
  | 'unauthorized'
  | 'invalid_credentials'
  | 'not_found'
  | 'name_taken'
  | 'payload_too_large'
  | 'rate_limited'
  | 'internal';

export type ClientFrame =
  | { readonly action: 'subscribe'; readonly userIds: readonly string[]; readonly requestId?: string }
  | { readonly action: 'unsubscribe'; readonly userIds: readonly string[]; readonly requestId?: string }
  | { readonly action: 'setStatus'; readonly status: Status; readonly requestId?: string }
  | { readonly action: 'heartbeat'; readonly requestId?: string };

export type ClientAction = ClientFrame['action'];

export type ServerFrame =
  | { readonly type: 'subscribed'; readonly requestId?: string; readonly presences: readonly PresenceJson[]; readonly unknown: readonly string[] }
  | { readonly type: 'unsubscribed'; readonly requestId?: string; readonly userIds: readonly string[] }
  | { readonly type: 'status'; readonly requestId?: string; readonly status: Status }
  | { readonly type: 'heartbeat'; readonly requestId?: string; readonly leaseExpiresAt: string }
  | { readonly type: 'presence'; readonly presences: readonly PresenceChangeJson[] }
  | { readonly type: 'error'; readonly requestId?: string; readonly code: ErrorCode; readonly message: string };

export type ErrorCode = 'invalid_request' | 'payload_too_large' | 'too_many_subscriptions' | 'internal';

/** Frames over this many bytes are refused with `payload_too_large`. */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_IDS_PER_FRAME = 100;

export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The contract's id shape: a string of 1-64 characters, whatever they are (NUL included). An id
 * of that shape that is no user is unknown (404, left out, listed under `unknown`); anything else
 * is `invalid_request`.
 */
export const isIdShaped = (id: unknown): id is string => typeof id === 'string' && id.length >= 1 && id.length <= 64;

/** 1-100 ids, each a non-empty string of at most 64 characters; duplicates collapse. Used by HTTP and WebSocket alike. */
export const checkIdList = (ids: unknown, field = 'userIds'): string[] => {
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > MAX_IDS_PER_FRAME) {
    throw new InvalidRequestError(`${field} must list 1-${MAX_IDS_PER_FRAME} user ids`);
  }
  if (!ids.every(isIdShaped)) {
    throw new InvalidRequestError(`${field} must be non-empty strings of at most 64 characters`);
  }
  return [...new Set(ids as string[])];
};
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 1000;

export const iso = (ms: number): string => new Date(ms).toISOString();

/** A reader's view as the contract's Presence object. */
export const presenceJson = (view: PresenceView): PresenceJson => ({
  userId: view.userId,
  status: view.status,
  lastSeen: view.lastSeen === null ? null : iso(view.lastSeen),
});

/** A decided change as it is pushed in `presence` events. */
export const changeJson = (change: PresenceChange): PresenceChangeJson => ({ ...presenceJson(change), changedAt: iso(change.changedAt) });

/** The frame as JSON, when it is a JSON object; otherwise null. */
export const parseFrameObject = (body: string | undefined): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(body ?? '');
    return isObject(value) ? value : null;
  } catch {
    return null;
  }
};

/** The `requestId` to echo: only a string of at most 64 characters counts. */
export const requestIdOf = (frame: Record<string, unknown> | null): string | undefined => {
  const id = frame?.requestId;
  return typeof id === 'string' && id.length <= 64 ? id : undefined;
};

/** Parses a client frame of a known action, or throws InvalidRequestError saying what is wrong. */
export const parseClientFrame = (body: string | undefined): ClientFrame => {
  const frame = parseFrameObject(body);
  if (frame === null) throw new InvalidRequestError('A frame must be a JSON object');
  if (frame.requestId !== undefined && requestIdOf(frame) === undefined) {
    throw new InvalidRequestError('requestId must be a string of at most 64 characters');
  }
  const requestId = requestIdOf(frame);
  switch (frame.action) {
    case 'subscribe':
    case 'unsubscribe':
      return { action: frame.action, userIds: checkIdList(frame.userIds), requestId };
    case 'setStatus':
      if (frame.status !== 'online' && frame.status !== 'offline') throw new InvalidRequestError('status must be "online" or "offline"');
      return { action: 'setStatus', status: frame.status, requestId };
    case 'heartbeat':
      return { action: 'heartbeat', requestId };
    default:
      throw new InvalidRequestError(
        typeof frame.action === 'string' ? `Unknown action "${frame.action.slice(0, 64)}"` : 'A frame needs an "action"',
      );
  }
};
