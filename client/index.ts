/**
 * The presence service's client library: the HTTP API ({@link PresenceApi}) and the live
 * WebSocket connection ({@link PresenceClient}). Runs in browsers and on Node >= 20 (pass the `ws`
 * package as `WebSocket` there). Message types are the server's own (lambdas/domain/protocol.ts).
 */
export type { Status } from '../lambdas/domain/presence';
export type { ClientFrame, ErrorCode, PresenceChangeJson, PresenceJson, ServerFrame } from '../lambdas/domain/protocol';
export { MAX_IDS_PER_FRAME, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../lambdas/domain/protocol';
export { type BackoffOptions, DEFAULT_BACKOFF, backoffDelay, rotationDelay } from './backoff';
export {
  type HeartbeatReply,
  PresenceApi,
  PresenceApiError,
  type PresenceApiOptions,
  type SearchPage,
  type Session,
  type UserJson,
  type UserWithPresence,
} from './http';
export {
  type ConnectionState,
  type ConnectionStateChange,
  PresenceClient,
  PresenceClientError,
  type PresenceClientErrorCode,
  type PresenceClientEvents,
  type PresenceClientOptions,
  type PresenceUpdate,
  type WebSocketConstructor,
  type WebSocketLike,
} from './presence-client';
export { PresenceTable, type PresenceView } from './presence-table';
