/**
 * The presence service's client library: the HTTP API ({@link PresenceApi}) and the live
 * WebSocket connection ({@link PresenceClient}). Runs in browsers and on Node >= 20 (pass the `ws`
 * package as `WebSocket` there). Message types are the server's own (see wire.ts).
 */

export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, rotationDelay } from './backoff';
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
  type PresenceClientApi,
  PresenceClientError,
  type PresenceClientErrorCode,
  type PresenceClientEvents,
  type PresenceClientOptions,
  type PresenceUpdate,
  type WebSocketConstructor,
  type WebSocketLike,
} from './presence-client';
export { PresenceTable, type PresenceView } from './presence-table';
export {
  type ClientFrame,
  type ConfigReply,
  type ErrorCode,
  MAX_IDS_PER_FRAME,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  type MeReply,
  type PresenceChangeJson,
  type PresenceJson,
  type ServerFrame,
  type Status,
} from './wire';
