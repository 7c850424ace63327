import { assertIsError, DatabaseUnavailableError, InvalidRequestError, NameTakenError } from '../domain/errors';
import { isUserId } from '../domain/user-id';
import type { Credentials, LastSeen, LastSeenStore, User, UserDirectory, UserRecord, UserRecordPage } from '../ports';
import { type DataApi, fieldNumber, fieldString, fromSqlTimestamp, type Row } from './data-api';

const USER_COLUMNS = 'id, name, created_at, last_seen';
/** The indexed expression; queries must repeat it exactly for the planner to use the index. */
const LOWER_NAME = 'lower(name) COLLATE "C"';

const toUser = (row: Row): UserRecord => {
  const lastSeen = fieldString(row[3]);
  return {
    id: String(fieldNumber(row[0])),
    name: fieldString(row[1]) ?? '',
    createdAt: fromSqlTimestamp(fieldString(row[2]) ?? ''),
    lastSeen: lastSeen === null ? null : fromSqlTimestamp(lastSeen),
  };
};

const escapeLike = (text: string): string => text.replace(/[\\%_]/g, (char) => `\\${char}`);

const encodeCursor = (lowerName: string): string => Buffer.from(lowerName, 'utf8').toString('base64url');

/** A cursor is a lower-cased name as base64url; anything else (NUL, which PostgreSQL refuses, included) is refused. */
const decodeCursor = (cursor: string): string => {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!/^[a-z0-9_.-]{1,32}$/.test(text) || encodeCursor(text) !== cursor) throw new InvalidRequestError('cursor is not valid');
  return text;
};

/** Users and their durable last-seen in Aurora PostgreSQL, reached through the RDS Data API. */
export class DataApiUserDirectory implements UserDirectory, LastSeenStore {
  constructor(private readonly db: DataApi) {}

  async create(name: string, passwordHash: string): Promise<User> {
    try {
      const [row] = await this.db.query(`INSERT INTO users (name, password_hash) VALUES (:name, :hash) RETURNING ${USER_COLUMNS}`, {
        name,
        hash: passwordHash,
      });
      return toUser(row);
    } catch (error) {
      assertIsError(error);
      // AWS: a unique violation surfaces as DatabaseErrorException whose message ends "SQLState: 23505".
      if (error.name === 'DatabaseErrorException' && /SQLState: 23505/.test(error.message)) {
        throw new NameTakenError('That name is taken', { cause: error });
      }
      throw error;
    }
  }

  async findCredentials(name: string): Promise<Credentials | null> {
    const [row] = await this.db.query(`SELECT ${USER_COLUMNS}, password_hash FROM users WHERE ${LOWER_NAME} = lower(:name)`, { name });
    return row === undefined ? null : { ...toUser(row), passwordHash: fieldString(row[4]) ?? '' };
  }

  async replacePasswordHash(id: string, current: string, replacement: string): Promise<boolean> {
    if (!isUserId(id)) return false;
    const rows = await this.db.query(
      'UPDATE users SET password_hash = :replacement WHERE id = :id AND password_hash = :current RETURNING id',
      {
        id: Number(id),
        current,
        replacement,
      },
    );
    return rows.length === 1;
  }

  async findById(id: string): Promise<UserRecord | null> {
    if (!isUserId(id)) return null;
    const [row] = await this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = :id`, { id: Number(id) });
    return row === undefined ? null : toUser(row);
  }

  async findMany(ids: readonly string[]): Promise<UserRecord[]> {
    const valid = [...new Set(ids.filter(isUserId))];
    if (valid.length === 0) return [];
    // The Data API takes no array parameters: pass the ids as one text and cast it.
    const rows = await this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY (string_to_array(:ids, ',')::bigint[])`, {
      ids: valid.join(','),
    });
    return rows.map(toUser);
  }

  async search(prefix: string, limit: number, cursor: string | null): Promise<UserRecordPage> {
    const after = cursor === null ? null : decodeCursor(cursor);
    const rows = await this.db.query(
      `SELECT ${USER_COLUMNS} FROM users
        WHERE ${LOWER_NAME} LIKE :pattern
          AND (CAST(:after AS varchar) IS NULL OR ${LOWER_NAME} > CAST(:after AS varchar) COLLATE "C")
        ORDER BY ${LOWER_NAME}
        LIMIT :limit`,
      { pattern: `${escapeLike(prefix.toLowerCase())}%`, after, limit: limit + 1 },
    );
    const users = rows.slice(0, limit).map(toUser);
    const last = users[users.length - 1];
    return { users, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(last.name.toLowerCase()) : null };
  }

  async recordLastSeen(entries: readonly LastSeen[]): Promise<number> {
    const valid = entries.filter(({ userId, at }) => isUserId(userId) && Number.isSafeInteger(at));
    if (valid.length === 0) return 0;
    try {
      // No array parameters in the Data API: two parallel comma-separated lists, unnested together.
      // Whole milliseconds added to the epoch, so the stored moment is exact (no float rounding);
      // max() per id, as an UPDATE ... FROM with two rows for one target applies either of them.
      // Only rows whose last_seen moves forward are written (the greatest moment wins): replays and
      // out-of-order batches change nothing, write no row version, and RETURNING counts real moves.
      const rows = await this.db.query(
        `UPDATE users AS u SET last_seen = v.at
           FROM (SELECT id, max(at) AS at
                   FROM (SELECT unnest(string_to_array(:ids, ','))::bigint AS id,
                                timestamptz 'epoch' + unnest(string_to_array(:ats, ','))::bigint * interval '1 millisecond' AS at) AS pairs
                  GROUP BY id) AS v
          WHERE u.id = v.id AND (u.last_seen IS NULL OR u.last_seen < v.at)
          RETURNING u.id`,
        { ids: valid.map((entry) => entry.userId).join(','), ats: valid.map((entry) => entry.at).join(',') },
      );
      return rows.length;
    } catch (error) {
      throw unavailableOrSelf(error);
    }
  }
}

/**
 * RDS Data API answers that mean "the database is not there now", worth retrying later: a paused
 * cluster resuming (DatabaseResumingException), the writer down or failing over
 * (DatabaseUnavailableException, 504), the service itself (ServiceUnavailableError, 503,
 * InternalServerErrorException, 500), and no answer at all (a connection refused or reset, a
 * timeout).
 */
const UNAVAILABLE = new Set(['DatabaseUnavailableException', 'ServiceUnavailableError', 'InternalServerErrorException', 'TimeoutError']);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

const unavailableOrSelf = (error: unknown): unknown => {
  const { name, code } = error as { name?: string; code?: string };
  if (name === 'DatabaseResumingException') return new DatabaseUnavailableError(true, { cause: error });
  if ((name !== undefined && UNAVAILABLE.has(name)) || (code !== undefined && NETWORK.has(code)))
    return new DatabaseUnavailableError(false, { cause: error });
  return error;
};
