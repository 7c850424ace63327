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
