/**
 * Input rules of the public contract: the schemas of schemas.ts applied to HTTP bodies,
 * query strings and WebSocket frames, returning the parsed value or throwing InvalidRequestError
 * with a message a client developer can act on.
 */
import * as v from 'valibot';
import { InvalidRequestError } from '../lambdas/domain/errors';
import { isObject, parseFrameObject } from './protocol';
import {
  ClientFrameSchema,
  IdParamSchema,
  LogInBodySchema,
  NAME_PATTERN,
  type ParsedClientFrame,
  PresenceQuerySchema,
  SearchQuerySchema,
  SignUpBodySchema,
  type Status,
  StatusSchema,
} from './schemas';

/** The value `schema` makes of `input`, or InvalidRequestError with the contract's message for the first thing wrong. */
export const parseWith = <S extends v.GenericSchema>(schema: S, input: unknown): v.InferOutput<S> => {
  const result = v.safeParse(schema, input, { abortEarly: true });
  if (!result.success) throw new InvalidRequestError(result.issues[0].message);
  return result.output;
};

export const parseJsonBody = (body: string | undefined): Record<string, unknown> => {
  if (body === undefined || body === '') throw new InvalidRequestError('A JSON object body is required');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidRequestError('The body is not valid JSON');
  }
  if (!isObject(parsed)) throw new InvalidRequestError('The body must be a JSON object');
  return parsed;
};

export interface NewAccount {
  readonly name: string;
  readonly password: string;
}

export const parseAccount = (body: Record<string, unknown>): NewAccount => parseWith(SignUpBodySchema, body);

/**
 * The one form of a log-in name that both the log-in limit and the lookup use: the lower-cased
 * name (ASCII, so JavaScript and SQL agree on it). A name outside the sign-up rule cannot belong
 * to any account and gets null: it never reaches the database, whose lower() folds some
 * non-ASCII letters onto ASCII ones (U+0130 "İ" onto "i") and refuses NUL.
 */
export const canonicalName = (name: string): string | null => (NAME_PATTERN.test(name) ? name.toLowerCase() : null);

/** Log-in accepts any strings: a malformed name simply does not match (401, not 400). */
export const parseLogin = (body: Record<string, unknown>): NewAccount => parseWith(LogInBodySchema, body);

export const parseStatus = (value: unknown): Status => parseWith(StatusSchema, value);

export interface SearchQuery {
  readonly q: string;
  readonly limit: number;
  readonly cursor: string | null;
}

export const parseSearchQuery = (params: Record<string, string | undefined>): SearchQuery => {
  const { q, limit, cursor } = parseWith(SearchQuerySchema, params);
  return { q, limit, cursor: cursor === undefined || cursor === '' ? null : cursor };
};

/** A user id in a path (`GET /users/{id}`): of the contract's shape, or `invalid_request`. */
export const parseIdParam = (value: string | undefined): string => parseWith(IdParamSchema, value);

/** 1-100 ids, comma-separated (`GET /presence?userIds=`); duplicates collapse. Ids that cannot exist stay in, as unknown. */
export const parseIdList = (raw: string | undefined): string[] => parseWith(PresenceQuerySchema, { userIds: raw }).userIds;

/** Parses a client frame of a known action, or throws InvalidRequestError saying what is wrong. */
export const parseClientFrame = (body: string | undefined): ParsedClientFrame => {
  const frame = parseFrameObject(body);
  if (frame === null) throw new InvalidRequestError('A frame must be a JSON object');
  return parseWith(ClientFrameSchema, frame);
};
