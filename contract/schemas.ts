/**
 * The wire contract (v1.1, docs/protocol.md) as valibot schemas: every HTTP body and WebSocket
 * frame, once. The handlers validate with them, the server and the client take their types from
 * them, and `npm run specs` turns them into docs/openapi.json and docs/asyncapi.json.
 * Pure TypeScript: valibot only, no SDK, no Node APIs.
 *
 * Messages are the ones a client developer sees in `invalid_request` answers.
 */
import * as v from 'valibot';

import { MAX_ID_LENGTH, MAX_IDS_PER_FRAME, MAX_REQUEST_ID_LENGTH } from './limits';

export * from './limits';

const STATUS_MESSAGE = 'status must be "online" or "offline"';
const NAME_MESSAGE = 'name must be 3-32 characters of letters, digits, "_", "." or "-"';
const PASSWORD_MESSAGE = 'password must be a string of 8-128 characters';
const REQUEST_ID_MESSAGE = 'requestId must be a string of at most 64 characters';

/** Length in code points (what a person counts, and what JSON Schema's minLength/maxLength count). */
const codePoints = (min: number, max: number, message: string) =>
  [
    v.check((value: string) => [...value].length >= min && [...value].length <= max, message),
    v.metadata<string, { minLength: number; maxLength: number }>({ minLength: min, maxLength: max }),
  ] as const;

/** A list in an answer: readonly in the types, so that code holding readonly arrays can answer with them. */
const list = <S extends v.GenericSchema>(item: S) => v.pipe(v.array(item), v.readonly());

// ---- values ----------------------------------------------------------------------------------

export const StatusSchema = v.pipe(v.picklist(['online', 'offline'], STATUS_MESSAGE), v.description('"online" or "offline"'));

export const IsoTimeSchema = v.pipe(v.string(), v.isoTimestamp(), v.description('ISO-8601 UTC time with milliseconds (server time)'));

/** A user id: an opaque string of 1-64 characters. One of that shape that belongs to nobody is unknown, not invalid. */
export const idSchema = (message: string) =>
  v.pipe(
    v.string(message),
    v.minLength(1, message),
    v.maxLength(MAX_ID_LENGTH, message),
    v.description('user id: opaque string of 1-64 characters'),
  );
export const UserIdSchema = idSchema(`A user id is a string of 1-${MAX_ID_LENGTH} characters`);
/** `GET /users/{id}`. */
export const IdParamSchema = idSchema(`id must be 1-${MAX_ID_LENGTH} characters`);

/** 1-100 ids; duplicates collapse (the output keeps the first of each). */
export const idListSchema = (field = 'userIds') =>
  v.pipe(
    v.array(
      idSchema(`${field} must be non-empty strings of at most ${MAX_ID_LENGTH} characters`),
      `${field} must list 1-${MAX_IDS_PER_FRAME} user ids`,
    ),
    v.minLength(1, `${field} must list 1-${MAX_IDS_PER_FRAME} user ids`),
    v.maxLength(MAX_IDS_PER_FRAME, `${field} must list 1-${MAX_IDS_PER_FRAME} user ids`),
    v.transform((ids) => [...new Set(ids)]),
  );

/** The sign-up rule for names; log-in and its limit also key on it (validation.ts canonicalName). */
export const NAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const NameSchema = v.pipe(
  v.string(NAME_MESSAGE),
  v.regex(NAME_PATTERN, NAME_MESSAGE),
  v.description('3-32 characters of A-Z a-z 0-9 _ . -; unique ignoring case'),
);
export const PasswordSchema = v.pipe(
  v.string(PASSWORD_MESSAGE),
  ...codePoints(8, 128, PASSWORD_MESSAGE),
  v.description('8-128 characters'),
);

export const RequestIdSchema = v.pipe(
  v.string(REQUEST_ID_MESSAGE),
  v.maxLength(MAX_REQUEST_ID_LENGTH, REQUEST_ID_MESSAGE),
  v.description('echoed in the reply'),
);

// ---- objects ---------------------------------------------------------------------------------

export const UserSchema = v.object({ id: UserIdSchema, name: v.string(), createdAt: IsoTimeSchema });

export const PresenceSchema = v.object({
  userId: UserIdSchema,
  status: StatusSchema,
  lastSeen: v.pipe(v.nullable(IsoTimeSchema), v.description('offline: when the user was last online (null if never); online: null')),
});

export const PresenceChangeSchema = v.object({
  ...PresenceSchema.entries,
  changedAt: v.pipe(IsoTimeSchema, v.description('when the service decided the change; strictly increases per user')),
});

export const UserWithPresenceSchema = v.object({ ...UserSchema.entries, status: StatusSchema, lastSeen: PresenceSchema.entries.lastSeen });

// ---- HTTP bodies -----------------------------------------------------------------------------

export const SignUpBodySchema = v.object({ name: NameSchema, password: PasswordSchema });

const LOGIN_TYPES = 'name and password must be strings';
const LOGIN_LENGTH = 'name or password is too long';
/** Log-in takes any strings: a malformed name simply does not match (401, not 400). */
export const LogInBodySchema = v.object({
  name: v.pipe(v.string(LOGIN_TYPES), v.maxLength(256, LOGIN_LENGTH)),
  password: v.pipe(v.string(LOGIN_TYPES), v.maxLength(1024, LOGIN_LENGTH)),
});

export const SessionSchema = v.object({
  user: UserSchema,
  token: v.pipe(v.string(), v.description('bearer token for every other call and the WebSocket')),
  expiresAt: IsoTimeSchema,
});

const LIMIT_MESSAGE = 'limit must be an integer from 1 to 50';
/** `GET /users` query parameters (strings on the wire). */
export const SearchQuerySchema = v.object({
  q: v.pipe(
    v.string('q is required, 1-32 characters'),
    v.minLength(1, 'q is required, 1-32 characters'),
    v.maxLength(32, 'q is required, 1-32 characters'),
    // No name holds NUL, and PostgreSQL refuses it in text: refused here, before any query.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is the character this refuses
    v.regex(/^[^\u0000]*$/, 'q must not contain NUL'),
    v.description('name prefix, ignoring case'),
  ),
  limit: v.optional(
    v.pipe(
      v.string(LIMIT_MESSAGE),
      v.description('1-50, default 20; outside: 400, never clamped'),
      v.regex(/^[0-9]{1,3}$/, LIMIT_MESSAGE),
      v.transform(Number),
      v.number(),
      v.minValue(1, LIMIT_MESSAGE),
      v.maxValue(50, LIMIT_MESSAGE),
    ),
    '20',
  ),
  cursor: v.optional(v.pipe(v.string(), v.description('nextCursor of the previous page'))),
});

export const SearchPageSchema = v.object({
  users: list(UserWithPresenceSchema),
  nextCursor: v.pipe(v.nullable(v.string()), v.description('null on the last page')),
});

/** `GET /presence` query: `userIds=a,b,c`. */
export const PresenceQuerySchema = v.object({
  userIds: v.pipe(
    v.string('userIds is required'),
    v.minLength(1, 'userIds is required'),
    v.description('1-100 comma-separated user ids'),
    v.transform((raw) => raw.split(',')),
    idListSchema(),
  ),
});

export const PresenceListSchema = v.object({ presences: v.pipe(list(PresenceSchema), v.description('unknown ids are left out')) });

export const StatusBodySchema = v.object({ status: StatusSchema });

export const HeartbeatReplySchema = v.object({ status: StatusSchema, leaseExpiresAt: IsoTimeSchema });

export const MeSchema = v.object({
  user: UserSchema,
  status: v.pipe(StatusSchema, v.description('effective status')),
  lastSeen: PresenceSchema.entries.lastSeen,
  setting: v.pipe(StatusSchema, v.description('the manual setting (PUT /me/status)')),
});

export const ConfigSchema = v.object({
  heartbeatSeconds: v.pipe(v.number(), v.integer(), v.minValue(1)),
  leaseSeconds: v.pipe(v.number(), v.integer(), v.minValue(1)),
  offlineGraceSeconds: v.pipe(v.number(), v.integer(), v.minValue(0)),
  webSocketUrl: v.pipe(v.string(), v.url()),
});

export const HealthSchema = v.object({ status: v.literal('ok') });
export const HealthDegradedSchema = v.object({
  status: v.literal('degraded'),
  failing: v.pipe(list(v.string()), v.description('the stores that do not answer')),
});

export const HTTP_ERROR_CODES = [
  'invalid_request',
  'unauthorized',
  'invalid_credentials',
  'not_found',
  'name_taken',
  'payload_too_large',
  'rate_limited',
  'internal',
] as const;

export const ErrorBodySchema = v.object({
  error: v.object({
    code: v.picklist(HTTP_ERROR_CODES),
    message: v.pipe(v.string(), v.description('for developers; may change: program against code')),
  }),
});

/** Local runtime only: the fault switch (`PUT/GET /local/faults`). */
export const FaultsSchema = v.object({
  dataApi: v.pipe(
    v.picklist(['down', 'up'], 'dataApi must be "down" or "up"'),
    v.description('"down": the local RDS Data API answers every call as an unavailable database'),
  ),
});

// ---- WebSocket frames ------------------------------------------------------------------------

const clientFrame = <const A extends string, E extends v.ObjectEntries>(action: A, entries: E) =>
  v.object({ action: v.literal(action), ...entries, requestId: v.optional(RequestIdSchema) });

export const SubscribeFrameSchema = clientFrame('subscribe', { userIds: idListSchema() });
export const UnsubscribeFrameSchema = clientFrame('unsubscribe', { userIds: idListSchema() });
export const SetStatusFrameSchema = clientFrame('setStatus', { status: StatusSchema });
export const HeartbeatFrameSchema = clientFrame('heartbeat', {});

export const ClientFrameSchema = v.variant(
  'action',
  [SubscribeFrameSchema, UnsubscribeFrameSchema, SetStatusFrameSchema, HeartbeatFrameSchema],
  (issue) => (typeof issue.input === 'string' ? `Unknown action "${issue.input.slice(0, 64)}"` : 'A frame needs an "action"'),
);

const reply = <const T extends string, E extends v.ObjectEntries>(type: T, entries: E) =>
  v.object({ type: v.literal(type), requestId: v.optional(RequestIdSchema), ...entries });

export const SubscribedFrameSchema = reply('subscribed', {
  presences: list(PresenceSchema),
  unknown: v.pipe(list(UserIdSchema), v.description('ids that belong to nobody')),
});
export const UnsubscribedFrameSchema = reply('unsubscribed', { userIds: list(UserIdSchema) });
export const StatusFrameSchema = reply('status', { status: StatusSchema });
export const HeartbeatAckFrameSchema = reply('heartbeat', { leaseExpiresAt: IsoTimeSchema });
export const PresenceEventSchema = v.object({ type: v.literal('presence'), presences: v.pipe(list(PresenceChangeSchema), v.minLength(1)) });

export const WS_ERROR_CODES = ['invalid_request', 'payload_too_large', 'too_many_subscriptions', 'internal'] as const;
export const ErrorFrameSchema = reply('error', { code: v.picklist(WS_ERROR_CODES), message: v.string() });

export const ServerFrameSchema = v.variant('type', [
  SubscribedFrameSchema,
  UnsubscribedFrameSchema,
  StatusFrameSchema,
  HeartbeatAckFrameSchema,
  PresenceEventSchema,
  ErrorFrameSchema,
]);

// ---- types -----------------------------------------------------------------------------------

export type Status = v.InferOutput<typeof StatusSchema>;
export type UserJson = v.InferOutput<typeof UserSchema>;
export type PresenceJson = v.InferOutput<typeof PresenceSchema>;
export type PresenceChangeJson = v.InferOutput<typeof PresenceChangeSchema>;
export type UserWithPresence = v.InferOutput<typeof UserWithPresenceSchema>;
export type SignUpBody = v.InferOutput<typeof SignUpBodySchema>;
export type LogInBody = v.InferOutput<typeof LogInBodySchema>;
export type Session = v.InferOutput<typeof SessionSchema>;
export type SearchQuery = v.InferOutput<typeof SearchQuerySchema>;
export type SearchPage = v.InferOutput<typeof SearchPageSchema>;
export type PresenceList = v.InferOutput<typeof PresenceListSchema>;
export type StatusBody = v.InferOutput<typeof StatusBodySchema>;
export type HeartbeatReply = v.InferOutput<typeof HeartbeatReplySchema>;
export type Me = v.InferOutput<typeof MeSchema>;
export type Config = v.InferOutput<typeof ConfigSchema>;
export type Health = v.InferOutput<typeof HealthSchema>;
export type HealthDegraded = v.InferOutput<typeof HealthDegradedSchema>;
export type HttpErrorCode = (typeof HTTP_ERROR_CODES)[number];
export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;
export type Faults = v.InferOutput<typeof FaultsSchema>;
/** A client frame as a client writes it (ids not yet de-duplicated). */
export type ClientFrame = v.InferInput<typeof ClientFrameSchema>;
export type ClientAction = ClientFrame['action'];
/** A client frame after validation. */
export type ParsedClientFrame = v.InferOutput<typeof ClientFrameSchema>;
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
export type ErrorCode = (typeof WS_ERROR_CODES)[number];
