/**
 * Ports: what the domain needs from the outside world. Adapters (lambdas/adapters) implement them
 * with AWS SDK clients; tests may implement them in memory.
 */
import type { Lease, PresenceChange, PresenceState } from '../domain/presence';

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

export interface LastSeen {
  readonly userId: string;
  /** ms since epoch */
  readonly at: number;
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
}

/** The durable last-seen moment of each user (Postgres through the RDS Data API). */
export interface LastSeenStore {
  /**
   * Records when users went offline, in one statement; never moves last-seen backwards, so
   * replays and out-of-order calls are harmless. Unknown and invalid ids are skipped.
   * @returns how many users' last-seen moved forward.
   * @throws DatabaseUnavailableError when the database does not answer for now.
   */
  recordLastSeen(entries: readonly LastSeen[]): Promise<number>;
}

export interface ReadOptions {
  /** A strongly consistent read (DynamoDB: twice the read units): it sees every write acknowledged before it. */
  readonly consistent?: boolean;
}

/** Per-user presence state, read and written with optimistic concurrency. */
export interface PresenceStore {
  /** Strongly consistent read; an empty state (version 0) when nothing is stored. */
  load(userId: string): Promise<PresenceState>;
  /** Cheap, eventually consistent read of one lease (null when absent), for renewal checks. */
  peekLease(userId: string, leaseId: string): Promise<Lease | null>;
  /**
   * Batched read of many users; users with nothing stored are absent from the map. Eventually
   * consistent (half a read unit per item) unless `consistent`: a subscribe's snapshot must be.
   */
  loadMany(userIds: readonly string[], options?: ReadOptions): Promise<Map<string, PresenceState>>;
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

/** An attempt counted by {@link AttemptCounter.take}. */
export type Taken =
  | {
      readonly allowed: true;
      /** Uncounts the attempt, in the window it was counted in (e.g. a log-in that succeeded is no failure). */
      readonly giveBack: () => Promise<void>;
    }
  | {
      readonly allowed: false;
      /** ms until the key has room again. */
      readonly retryAfterMs: number;
    };

/** Counts attempts per key in 15-minute-style windows (e.g. log-ins per name and address). */
export interface AttemptCounter {
  /**
   * Counts one attempt for `key` if fewer than `limit` are counted in the current window: the
   * check and the count are one atomic step, so parallel callers can never pass it together.
   */
  take(key: string, limit: number): Promise<Taken>;
}

/** A WebSocket connection as the registry keeps it. */
export interface Connection {
  readonly connectionId: string;
  readonly userId: string;
  /** ms since epoch */
  readonly connectedAt: number;
  /** Users this connection watches. */
  readonly subscriptions: readonly string[];
}

export interface Watcher {
  readonly connectionId: string;
  readonly userId: string;
}

/** One page of a user's watchers, and where the next one starts (null on the last page). */
export interface WatcherPage {
  readonly watchers: readonly Watcher[];
  /** Opaque cursor for `watcherPage`, or null. */
  readonly next: string | null;
}

/** Connections and who watches whom (DynamoDB). */
export interface ConnectionRegistry {
  register(connection: Omit<Connection, 'subscriptions'>): Promise<void>;
  get(connectionId: string): Promise<Connection | null>;
  /**
   * Adds watches for `userIds`, all or nothing, keeping the connection at most `max` watches.
   * @returns the connection's watch count afterwards.
   * @throws TooManySubscriptionsError, and adds nothing, when `max` would be exceeded.
   * @throws NotFoundError when the connection is not registered (it closed).
   */
  subscribe(connectionId: string, userIds: readonly string[], max: number): Promise<number>;
  unsubscribe(connectionId: string, userIds: readonly string[]): Promise<void>;
  /** Whether the connection is still registered (its close has not been processed). */
  exists(connectionId: string): Promise<boolean>;
  /**
   * Removes the connection (removing one already gone is not an error). Its watches end with it,
   * but may still be listed by `watchers` until the connection's 2-hour limit.
   */
  remove(connectionId: string): Promise<void>;
  /**
   * Every connection watching `userId`, page by page (a popular user has many), and possibly
   * connections that closed within their 2-hour limit (posting to those gets a 410).
   */
  watchers(userId: string): AsyncIterable<readonly Watcher[]>;
  /** At most `limit` watchers of `userId` after the cursor `after` (null: from the start), as `watchers` lists them. */
  watcherPage(userId: string, after: string | null, limit: number): Promise<WatcherPage>;
}

/**
 * `gone`: the connection no longer exists (410). `throttled`: API Gateway refused the post for now
 * (LimitExceededException: the client's buffer is full, or the account is over its rate).
 */
export type PostResult = 'delivered' | 'gone' | 'throttled';

/** The API Gateway management API of the WebSocket API. */
export interface ConnectionGateway {
  post(connectionId: string, message: unknown): Promise<PostResult>;
  /** When the client last sent a frame (ms), or null when the connection is gone. */
  lastActiveAt(connectionId: string): Promise<number | null>;
  /** Closes the socket; closing a connection that is already gone is not an error. */
  close(connectionId: string): Promise<void>;
}

/** A presence change with the version of the item write that announced it (newer writes, higher versions). */
export interface VersionedChange extends PresenceChange {
  readonly version: number;
}

/** "Post `change` to the watchers of its user from cursor `after` on" (null: from the first page). */
export interface FanOutTask {
  readonly change: VersionedChange;
  readonly after: string | null;
}

/** Work that scales out: pages of a fan-out, each delivered at least once, in any order, possibly in parallel. */
export interface FanOutQueue {
  /** @returns the tasks that could not be queued (none when all were). */
  enqueue(tasks: readonly FanOutTask[]): Promise<readonly FanOutTask[]>;
}

/** One frame to post again to one connection, after `delayMs`: the `attempt`-th retry. */
export interface DeliveryRetry {
  readonly connectionId: string;
  /** The watching connection's user. */
  readonly userId: string;
  readonly changes: readonly VersionedChange[];
  readonly attempt: number;
  readonly delayMs: number;
}

/** Delayed, per-connection retries of posts that failed. Delivered at least once after their delay. */
export interface DeliveryRetryQueue {
  /** @returns the retries that could not be queued (none when all were). */
  schedule(retries: readonly DeliveryRetry[]): Promise<readonly DeliveryRetry[]>;
}

/** Delivers "look at this user again at `at`" (the end of an offline grace). At least once. */
export interface GraceTimer {
  schedule(userId: string, at: number): Promise<void>;
}

/**
 * The sweep index: users whose presence may change by itself (a lease runs out, a grace ends),
 * listed by (time bucket, shard), and per shard a watermark, the last bucket swept completely.
 */
export interface SweepIndex {
  /** Users of one (bucket, shard) slot due by `now`, page by page. */
  due(bucket: number, shard: number, now: number): AsyncIterable<readonly string[]>;
  /** The last bucket of `shard` swept completely, or null when the shard was never swept. */
  watermark(shard: number): Promise<number | null>;
  /** Records that `shard` is swept completely up to `bucket`; never moves a watermark back. */
  advance(shard: number, bucket: number): Promise<void>;
}

/** Where the sweep planner puts one task per shard, for a sweep worker each. */
export interface SweepQueue {
  /** Queues a sweep of each shard; @returns the shards it could not queue. */
  enqueue(shards: readonly number[]): Promise<readonly number[]>;
}
