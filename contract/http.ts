/**
 * The HTTP API as data: every operation with its parameters, body and answers (by schema name,
 * see `components`), and the documented examples as request/answer pairs. docs/openapi.json is
 * generated from this; the conformance test sends `httpExamples` in order to a fresh local stack.
 */
import type * as v from 'valibot';
import { examples } from './examples';
import {
  ConfigSchema,
  ErrorBodySchema,
  FaultsSchema,
  HealthDegradedSchema,
  HealthSchema,
  HeartbeatReplySchema,
  IdParamSchema,
  LogInBodySchema,
  MeSchema,
  PresenceListSchema,
  PresenceQuerySchema,
  PresenceSchema,
  SearchPageSchema,
  SearchQuerySchema,
  SessionSchema,
  SignUpBodySchema,
  StatusBodySchema,
  UserSchema,
  UserWithPresenceSchema,
} from './schemas';

/** Named schemas: `components.schemas` of both specs. */
export const components = {
  User: UserSchema,
  Presence: PresenceSchema,
  UserWithPresence: UserWithPresenceSchema,
  SignUpBody: SignUpBodySchema,
  LogInBody: LogInBodySchema,
  Session: SessionSchema,
  SearchPage: SearchPageSchema,
  PresenceList: PresenceListSchema,
  StatusBody: StatusBodySchema,
  HeartbeatReply: HeartbeatReplySchema,
  Me: MeSchema,
  Config: ConfigSchema,
  Health: HealthSchema,
  HealthDegraded: HealthDegradedSchema,
  Error: ErrorBodySchema,
  Faults: FaultsSchema,
} as const satisfies Record<string, v.GenericSchema>;

export type ComponentName = keyof typeof components;

export interface HttpResponseSpec {
  readonly description: string;
  readonly schema: ComponentName;
}

export interface HttpOperation {
  readonly operationId: string;
  readonly method: 'GET' | 'POST' | 'PUT';
  readonly path: string;
  readonly summary: string;
  readonly description: string;
  /** Needs `Authorization: Bearer <token>`. */
  readonly auth: boolean;
  /** Served by the local runtime only, never deployed. */
  readonly localOnly?: boolean;
  readonly pathParameters?: Readonly<Record<string, v.GenericSchema>>;
  readonly query?: Readonly<Record<string, v.GenericSchema>>;
  readonly body?: ComponentName;
  readonly responses: Readonly<Record<number, HttpResponseSpec>>;
}

const error = (description: string): HttpResponseSpec => ({ description, schema: 'Error' });
const INVALID = error('invalid_request: bad JSON, a missing or invalid field');
const UNAUTHORIZED = error('unauthorized: missing, malformed, forged or expired token');
const TOO_LARGE = error('payload_too_large: a body over 16 KiB');
const INTERNAL = error('internal: our fault; no internals in the message');

export const httpOperations: readonly HttpOperation[] = [
  {
    operationId: 'signUp',
    method: 'POST',
    path: '/users',
    summary: 'Sign up',
    description: 'Creates an account and returns a session. Names are unique ignoring case.',
    auth: false,
    body: 'SignUpBody',
    responses: {
      201: { description: 'the new account, logged in', schema: 'Session' },
      400: INVALID,
      409: error('name_taken: the name is in use, ignoring case'),
      413: TOO_LARGE,
      500: INTERNAL,
    },
  },
  {
    operationId: 'logIn',
    method: 'POST',
    path: '/sessions',
    summary: 'Log in',
    description:
      'Failed log-ins are limited per name and client address (10 per 15 minutes) and per name across all addresses (100 per 15 minutes), checked and counted in one atomic step on the canonical (case-folded) name.',
    auth: false,
    body: 'LogInBody',
    responses: {
      200: { description: 'logged in', schema: 'Session' },
      400: INVALID,
      401: error('invalid_credentials: wrong name or password (not told apart)'),
      413: TOO_LARGE,
      429: error('rate_limited: too many failed log-ins; see the Retry-After header (seconds)'),
      500: INTERNAL,
    },
  },
  {
    operationId: 'searchUsers',
    method: 'GET',
    path: '/users',
    summary: 'Search users by name prefix',
    description: 'Names starting with `q`, ignoring case, with their presence; paged with `nextCursor`.',
    auth: true,
    query: SearchQuerySchema.entries,
    responses: { 200: { description: 'one page of users', schema: 'SearchPage' }, 400: INVALID, 401: UNAUTHORIZED, 500: INTERNAL },
  },
  {
    operationId: 'getUser',
    method: 'GET',
    path: '/users/{id}',
    summary: 'Get a user and their presence',
    description: 'An id of 1-64 characters that belongs to nobody is unknown (404).',
    auth: true,
    pathParameters: { id: IdParamSchema },
    responses: {
      200: { description: 'the user', schema: 'UserWithPresence' },
      400: INVALID,
      401: UNAUTHORIZED,
      404: error('not_found: no user has this id'),
      500: INTERNAL,
    },
  },
  {
    operationId: 'getPresence',
    method: 'GET',
    path: '/presence',
    summary: 'Presence of several users',
    description: 'Unknown ids are left out of the answer.',
    auth: true,
    query: PresenceQuerySchema.entries,
    responses: {
      200: { description: "the known users' presence", schema: 'PresenceList' },
      400: INVALID,
      401: UNAUTHORIZED,
      500: INTERNAL,
    },
  },
  {
    operationId: 'heartbeat',
    method: 'POST',
    path: '/me/heartbeat',
    summary: 'Heartbeat without a WebSocket',
    description: 'Keeps the user online until the lease ends; answers the effective status.',
    auth: true,
    responses: {
      200: { description: 'effective status and the end of the HTTP lease', schema: 'HeartbeatReply' },
      401: UNAUTHORIZED,
      500: INTERNAL,
    },
  },
  {
    operationId: 'setStatus',
    method: 'PUT',
    path: '/me/status',
    summary: 'Set the manual status',
    description:
      '`offline` = appear offline everywhere, kept across reconnects, until set `online` again. Takes effect at once, without grace.',
    auth: true,
    body: 'StatusBody',
    responses: {
      200: { description: 'the setting', schema: 'StatusBody' },
      400: INVALID,
      401: UNAUTHORIZED,
      413: TOO_LARGE,
      500: INTERNAL,
    },
  },
  {
    operationId: 'getMe',
    method: 'GET',
    path: '/me',
    summary: "The token's own user",
    description:
      'Effective status and manual setting. A client calls it after a failed WebSocket connect to tell a bad token (401) from a network failure.',
    auth: true,
    responses: { 200: { description: 'the user, their status and setting', schema: 'Me' }, 401: UNAUTHORIZED, 500: INTERNAL },
  },
  {
    operationId: 'getConfig',
    method: 'GET',
    path: '/config',
    summary: 'Client configuration',
    description: 'What a client needs to heartbeat correctly against this deployment, and where the WebSocket is.',
    auth: false,
    responses: { 200: { description: 'timings and the WebSocket URL', schema: 'Config' }, 500: INTERNAL },
  },
  {
    operationId: 'getHealth',
    method: 'GET',
    path: '/health',
    summary: 'Health',
    description: '503 names the stores that do not answer.',
    auth: false,
    responses: {
      200: { description: 'every store answers', schema: 'Health' },
      503: { description: 'a store does not answer', schema: 'HealthDegraded' },
    },
  },
  {
    operationId: 'setLocalFaults',
    method: 'PUT',
    path: '/local/faults',
    summary: 'Fault switch (local runtime only)',
    description:
      'Local runtime only, never deployed. `{"dataApi": "down"}` makes the local RDS Data API answer every call as an unavailable database (on AWS: DatabaseUnavailableException) until set `up` again.',
    auth: false,
    localOnly: true,
    body: 'Faults',
    responses: { 200: { description: 'the switches now', schema: 'Faults' }, 400: INVALID },
  },
  {
    operationId: 'getLocalFaults',
    method: 'GET',
    path: '/local/faults',
    summary: 'Fault switches (local runtime only)',
    description: 'Local runtime only, never deployed: the current switches.',
    auth: false,
    localOnly: true,
    responses: { 200: { description: 'the switches', schema: 'Faults' } },
  },
];

export interface HttpExample {
  /** Unique; the example's key in the spec. */
  readonly name: string;
  readonly operationId: string;
  readonly summary: string;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /** The conformance test sends a token that is not valid instead of a real one. */
  readonly forgedToken?: true;
  readonly status: number;
  readonly response: unknown;
}

/** In the order the conformance test sends them to a fresh local stack. */
export const httpExamples: readonly HttpExample[] = [
  { name: 'healthy', operationId: 'getHealth', summary: 'Every store answers', status: 200, response: { status: 'ok' } },
  { name: 'config', operationId: 'getConfig', summary: 'The defaults', status: 200, response: examples.Config },
  { name: 'signUp', operationId: 'signUp', summary: 'A new account', body: examples.SignUpBody, status: 201, response: examples.Session },
  {
    name: 'nameTaken',
    operationId: 'signUp',
    summary: 'The name is in use, ignoring case',
    body: { name: 'Alice', password: 'another password' },
    status: 409,
    response: { error: { code: 'name_taken', message: 'That name is taken' } },
  },
  {
    name: 'invalidName',
    operationId: 'signUp',
    summary: 'A name that breaks the rules',
    body: { name: 'al', password: 'correct horse battery' },
    status: 400,
    response: examples.Error,
  },
  {
    name: 'logIn',
    operationId: 'logIn',
    summary: 'Right name and password',
    body: examples.SignUpBody,
    status: 200,
    response: examples.Session,
  },
  {
    name: 'wrongPassword',
    operationId: 'logIn',
    summary: 'Wrong password',
    body: { name: 'alice', password: 'wrong password' },
    status: 401,
    response: { error: { code: 'invalid_credentials', message: 'Wrong name or password' } },
  },
  {
    name: 'search',
    operationId: 'searchUsers',
    summary: 'Names starting with "al"',
    query: { q: 'al', limit: '20' },
    status: 200,
    response: examples.SearchPage,
  },
  {
    name: 'limitTooLarge',
    operationId: 'searchUsers',
    summary: 'limit over 50 is refused, never clamped',
    query: { q: 'al', limit: '51' },
    status: 400,
    response: { error: { code: 'invalid_request', message: 'limit must be an integer from 1 to 50' } },
  },
  {
    name: 'user',
    operationId: 'getUser',
    summary: 'A known user',
    pathParameters: { id: '1' },
    status: 200,
    response: examples.UserWithPresence,
  },
  {
    name: 'unknownUser',
    operationId: 'getUser',
    summary: 'An id that belongs to nobody',
    pathParameters: { id: '999' },
    status: 404,
    response: { error: { code: 'not_found', message: 'No such user' } },
  },
  {
    name: 'presence',
    operationId: 'getPresence',
    summary: 'One known id, one unknown',
    query: { userIds: '1,999' },
    status: 200,
    response: examples.PresenceList,
  },
  { name: 'heartbeat', operationId: 'heartbeat', summary: 'Online until the lease ends', status: 200, response: examples.HeartbeatReply },
  {
    name: 'appearOffline',
    operationId: 'setStatus',
    summary: 'Appear offline everywhere',
    body: { status: 'offline' },
    status: 200,
    response: { status: 'offline' },
  },
  { name: 'me', operationId: 'getMe', summary: 'Appearing offline', status: 200, response: examples.Me },
  {
    name: 'forgedToken',
    operationId: 'getMe',
    summary: 'A token that is not valid',
    forgedToken: true,
    status: 401,
    response: { error: { code: 'unauthorized', message: 'Token is not valid' } },
  },
  {
    name: 'dataApiDown',
    operationId: 'setLocalFaults',
    summary: 'Take the local database down',
    body: examples.Faults,
    status: 200,
    response: examples.Faults,
  },
  { name: 'faults', operationId: 'getLocalFaults', summary: 'The current switches', status: 200, response: examples.Faults },
  { name: 'degraded', operationId: 'getHealth', summary: 'The database does not answer', status: 503, response: examples.HealthDegraded },
  {
    name: 'dataApiUp',
    operationId: 'setLocalFaults',
    summary: 'Bring it back',
    body: { dataApi: 'up' },
    status: 200,
    response: { dataApi: 'up' },
  },
];
