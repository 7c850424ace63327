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

/** One page of a name search, as the directory returns it (the wire's SearchPage adds presence). */
export interface UserRecordPage {
  readonly users: readonly UserRecord[];
  /** Opaque cursor for the next page, or null. */
  readonly nextCursor: string | null;
}

/** Users and their durable last-seen moment (Postgres through the RDS Data API). */
export interface UserDirectory {
  /** @throws NameTakenError when the name exists case-insensitively. */
  create(name: string, passwordHash: string): Promise<User>;
  findCredentials(name: string): Promise<Credentials | null>;
  /**
   * Compare-and-set of a user's password hash (a re-hash at a higher cost): replaces it only while
   * it is still `current`, so a hash that changed since it was read is kept.
   * @returns whether it was replaced.
   */
  replacePasswordHash(id: string, current: string, replacement: string): Promise<boolean>;
  findById(id: string): Promise<UserRecord | null>;
  /** Known users among `ids`, in no particular order; unknown ids are left out. */
  findMany(ids: readonly string[]): Promise<UserRecord[]>;
  /** Case-insensitive name prefix search, ordered by lower-case name. */
  search(prefix: string, limit: number, cursor: string | null): Promise<UserRecordPage>;
}
