/** What the page keeps in localStorage: the session, and each user's watch list. */
import type { Session } from '../../client';

export interface WatchedUser {
  readonly id: string;
  readonly name: string;
}

/** Shared by every tab of the browser: a change in one shows up in the others as a `storage` event. */
export const SESSION_KEY = 'presence.session.v1';
const watchKey = (userId: string) => `presence.watch.v1.${userId}`;

const read = <T>(storage: Storage, key: string): T | null => {
  try {
    const raw = storage.getItem(key);
    return raw === null ? null : (JSON.parse(raw) as T);
  } catch {
    return null;
  }
};

const write = (storage: Storage, key: string, value: unknown): void => {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled (private mode): the page still works, it just forgets.
  }
};

/** The stored session, unless it has expired. */
export const loadSession = (storage: Storage, now: number): Session | null => {
  const session = read<Session>(storage, SESSION_KEY);
  if (session === null || typeof session.token !== 'string' || !(Date.parse(session.expiresAt) > now)) return null;
  return session;
};

export const saveSession = (storage: Storage, session: Session | null): void => {
  if (session === null) storage.removeItem(SESSION_KEY);
  else write(storage, SESSION_KEY, session);
};

export const loadWatchList = (storage: Storage, userId: string): WatchedUser[] => {
  const list = read<WatchedUser[]>(storage, watchKey(userId));
  return Array.isArray(list) ? list.filter((user) => typeof user?.id === 'string' && typeof user.name === 'string') : [];
};

export const saveWatchList = (storage: Storage, userId: string, users: readonly WatchedUser[]): void =>
  write(storage, watchKey(userId), users);
