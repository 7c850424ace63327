/**
 * Input rules of the public contract, as pure functions that return the parsed value or throw
 * InvalidRequestError with a message a client developer can act on.
 */
import { InvalidRequestError } from './errors';
import type { Status } from './presence';
import { checkIdList, isIdShaped, isObject } from './protocol';

const NAME = /^[A-Za-z0-9_.-]{3,32}$/;
/** Ids are positive integers stored as bigint; anything else cannot be a user id. */
const ID = /^[1-9][0-9]{0,17}$/;

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

export const parseName = (value: unknown): string => {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new InvalidRequestError('name must be 3-32 characters of letters, digits, "_", "." or "-"');
  }
  return value;
};

export const parsePassword = (value: unknown): string => {
  if (typeof value !== 'string' || [...value].length < 8 || [...value].length > 128) {
    throw new InvalidRequestError('password must be a string of 8-128 characters');
  }
  return value;
};

export const parseAccount = (body: Record<string, unknown>): NewAccount => ({
  name: parseName(body.name),
  password: parsePassword(body.password),
});

/**
 * The one form of a log-in name that both the log-in limit and the lookup use: the lower-cased
 * name (ASCII, so JavaScript and SQL agree on it). A name outside the sign-up rule cannot belong
 * to any account and gets null: it never reaches the database, whose lower() folds some
 * non-ASCII letters onto ASCII ones (U+0130 "İ" onto "i") and refuses NUL.
 */
export const canonicalName = (name: string): string | null => (NAME.test(name) ? name.toLowerCase() : null);

/** Log-in accepts any strings: a malformed name simply does not match (401, not 400). */
export const parseLogin = (body: Record<string, unknown>): NewAccount => {
  if (typeof body.name !== 'string' || typeof body.password !== 'string') {
    throw new InvalidRequestError('name and password must be strings');
  }
  if (body.name.length > 256 || body.password.length > 1024) throw new InvalidRequestError('name or password is too long');
  return { name: body.name, password: body.password };
};

export const parseStatus = (value: unknown): Status => {
  if (value !== 'online' && value !== 'offline') throw new InvalidRequestError('status must be "online" or "offline"');
  return value;
};

/** Whether `id` could be a user id at all; anything else is simply unknown. */
export const isUserId = (id: string): boolean => ID.test(id);

export interface SearchQuery {
  readonly q: string;
  readonly limit: number;
  readonly cursor: string | null;
}

export const parseSearchQuery = (params: Record<string, string | undefined>): SearchQuery => {
  const q = params.q;
  if (q === undefined || q.length < 1 || q.length > 32) throw new InvalidRequestError('q is required, 1-32 characters');
  // No name holds NUL, and PostgreSQL refuses it in text: refused here, before any query.
  if (q.includes('\u0000')) throw new InvalidRequestError('q must not contain NUL');
  const rawLimit = params.limit;
  let limit = 20;
  if (rawLimit !== undefined) {
    if (!/^[0-9]{1,3}$/.test(rawLimit) || Number(rawLimit) < 1 || Number(rawLimit) > 50) {
      throw new InvalidRequestError('limit must be an integer from 1 to 50');
    }
    limit = Number(rawLimit);
  }
  const cursor = params.cursor === undefined || params.cursor === '' ? null : params.cursor;
  return { q, limit, cursor };
};

/** A user id in a path (`GET /users/{id}`): of the contract's shape, or `invalid_request`. */
export const parseIdParam = (value: string | undefined): string => {
  if (!isIdShaped(value)) throw new InvalidRequestError('id must be 1-64 characters');
  return value;
};

/** 1-100 ids, comma-separated; duplicates collapse. Ids that cannot exist stay in, as unknown. */
export const parseIdList = (raw: string | undefined, field = 'userIds'): string[] => {
  if (raw === undefined || raw === '') throw new InvalidRequestError(`${field} is required`);
  const ids = raw.split(',');
  return checkIdList(ids, field);
};
