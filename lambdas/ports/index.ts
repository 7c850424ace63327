/**
 * Ports: what the domain needs from the outside world. Adapters (lambdas/adapters) implement them
 * with AWS SDK clients; tests may implement them in memory.
 */
import type { PresenceChange, PresenceState } from '../domain/presence';

export interface User {
  readonly id: string;
  readonly name: string;
  /** ms since epoch */
  readonly createdAt: number;
}

/** A user as the directory stores it, with the durable last-seen moment. */
export interface UserRecord extends User {
  /** ms since epoch, or null if never seen. */
  readonly lastSeen: number | null;
}

export interface Credentials extends User {
  readonly passwordHash: string;
}

export interface SearchPage {
  readonly users: readonly UserRecord[];
  /** Opaque cursor for the next page, or null. */
  readonly nextCursor: string | null;
}

/** Users and their durable last-seen moment (Postgres through the RDS Data API). */
export interface UserDirectory {
  /** @throws NameTakenError when the name exists case-insensitively. */
  create(name: string, passwordHash: string): Promise<User>;
  findCredentials(name: string): Promise<Credentials | null>;
  findById(id: string): Promise<UserRecord | null>;
  /** Known users among `ids`, in no particular order; unknown ids are left out. */
  findMany(ids: readonly string[]): Promise<UserRecord[]>;
  /** Case-insensitive name prefix search, ordered by lower-case name. */
  search(prefix: string, limit: number, cursor: string | null): Promise<SearchPage>;
  /** Records that a user went offline at `at`; never moves last-seen backwards. Idempotent. */
  recordLastSeen(userId: string, at: number): Promise<void>;
}

/** Per-user presence state, read and written with optimistic concurrency. */
export interface PresenceStore {
  /** Strongly consistent read; an empty state (version 0) when nothing is stored. */
  load(userId: string): Promise<PresenceState>;
  /** Batched read of many users; users with nothing stored are absent from the map. */
  loadMany(userIds: readonly string[]): Promise<Map<string, PresenceState>>;
  /**
   * Writes `state` if the stored version is still `state.version`; `change` marks the write as a
   * visible transition (it drives subscriber notifications).
   * @returns the state with its new version.
   * @throws ConcurrentUpdateError when somebody else wrote first.
   */
  save(state: PresenceState, change: PresenceChange | null): Promise<PresenceState>;
}

export interface IssuedToken {
  readonly token: string;
  /** ms since epoch */
  readonly expiresAt: number;
}

export interface Principal {
  readonly userId: string;
  readonly name: string;
}

export interface TokenService {
  issue(user: User): Promise<IssuedToken>;
  /** @throws UnauthorizedError for a malformed, forged, expired or otherwise unacceptable token. */
  verify(token: string): Promise<Principal>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

export type Clock = () => number;

/** Counts failures per key in fixed windows (e.g. failed log-ins per account name). */
export interface FailureCounter {
  /** Failures recorded for `key` in the current window. */
  count(key: string): Promise<number>;
  record(key: string): Promise<void>;
}
