/**
 * The contract's examples, once: docs/protocol.md, docs/openapi.json and docs/asyncapi.json show
 * these very objects (`npm run specs` writes them there), and the conformance test sends them to a
 * fresh local stack in this order. On a fresh stack the first sign-up gets id "1"; "999" is unknown.
 */
import type {
  ClientFrame,
  Config,
  ErrorBody,
  Faults,
  HealthDegraded,
  HeartbeatReply,
  Me,
  PresenceChangeJson,
  PresenceJson,
  PresenceList,
  SearchPage,
  ServerFrame,
  Session,
  SignUpBody,
  UserJson,
} from './schemas';

const alice = { id: '1', name: 'alice', createdAt: '2026-11-28T10:00:00.000Z' } as const satisfies UserJson;

export const examples = {
  User: alice,
  Presence: { userId: '1', status: 'online', lastSeen: null } satisfies PresenceJson,
  PresenceOffline: { userId: '1', status: 'offline', lastSeen: '2026-11-28T10:05:12.000Z' } satisfies PresenceJson,
  SignUpBody: { name: 'alice', password: 'correct horse battery' } satisfies SignUpBody,
  Session: {
    user: alice,
    token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl',
    expiresAt: '2026-12-05T10:00:00.000Z',
  } satisfies Session,
  SearchPage: { users: [{ ...alice, status: 'online', lastSeen: null }], nextCursor: null } satisfies SearchPage,
  UserWithPresence: { ...alice, status: 'online', lastSeen: null },
  PresenceList: { presences: [{ userId: '1', status: 'offline', lastSeen: '2026-11-28T10:05:12.000Z' }] } satisfies PresenceList,
  HeartbeatReply: { status: 'online', leaseExpiresAt: '2026-11-28T10:02:30.000Z' } satisfies HeartbeatReply,
  Me: { user: alice, status: 'offline', lastSeen: '2026-11-28T10:05:12.000Z', setting: 'offline' } satisfies Me,
  Config: { heartbeatSeconds: 60, leaseSeconds: 150, offlineGraceSeconds: 3, webSocketUrl: 'ws://127.0.0.1:4001' } satisfies Config,
  HealthDegraded: { status: 'degraded', failing: ['dataApi'] } satisfies HealthDegraded,
  Error: {
    error: { code: 'invalid_request', message: 'name must be 3-32 characters of letters, digits, "_", "." or "-"' },
  } satisfies ErrorBody,
  Faults: { dataApi: 'down' } satisfies Faults,
  SubscribeFrame: { action: 'subscribe', userIds: ['1', '999'], requestId: 'r1' } satisfies ClientFrame,
  SubscribedFrame: {
    type: 'subscribed',
    requestId: 'r1',
    presences: [{ userId: '1', status: 'online', lastSeen: null }],
    unknown: ['999'],
  } satisfies ServerFrame,
  PresenceEvent: {
    type: 'presence',
    presences: [
      {
        userId: '1',
        status: 'offline',
        lastSeen: '2026-11-28T10:05:12.000Z',
        changedAt: '2026-11-28T10:05:15.000Z',
      } satisfies PresenceChangeJson,
    ],
  } satisfies ServerFrame,
  ErrorFrame: {
    type: 'error',
    requestId: 'r2',
    code: 'invalid_request',
    message: 'userIds must list 1-100 user ids',
  } satisfies ServerFrame,
} as const;
