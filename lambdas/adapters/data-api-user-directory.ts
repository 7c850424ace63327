import { InvalidRequestError, NameTakenError } from '../domain/errors';
import { isUserId } from '../domain/user-id';
import type { Credentials, LastSeen, SearchPage, User, UserDirectory, UserRecord } from '../ports';
import { type DataApi, type Row, fieldNumber, fieldString, fromSqlTimestamp } from './data-api';

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

/** Users in Aurora PostgreSQL, reached through the RDS Data API. */
export class DataApiUserDirectory implements UserDirectory {
  constructor(private readonly db: DataApi) {}

  async create(name: string, passwordHash: string): Promise<User> {
    try {
      const [row] = await this.db.query(
        `INSERT INTO users (name, password_hash) VALUES (:name, :hash) RETURNING ${USER_COLUMNS}`,
        { name, hash: passwordHash },
      );
      return toUser(row);
    } catch (error) {
      // AWS: a unique violation surfaces as DatabaseErrorException whose message ends "SQLState: 23505".
      if ((error as Error).name === 'DatabaseErrorException' && /SQLState: 23505/.test((error as Error).message)) {
        throw new NameTakenError('That name is taken', { cause: error });
      }
      throw error;
    }
  }

  async findCredentials(name: string): Promise<Credentials | null> {
    const [row] = await this.db.query(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE ${LOWER_NAME} = lower(:name)`,
      { name },
    );
    return row === undefined ? null : { ...toUser(row), passwordHash: fieldString(row[4]) ?? '' };
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
    const rows = await this.db.query(
      `SELECT ${USER_COLUMNS} FROM users WHERE id = ANY (string_to_array(:ids, ',')::bigint[])`,
      { ids: valid.join(',') },
    );
    return rows.map(toUser);
  }

  async search(prefix: string, limit: number, cursor: string | null): Promise<SearchPage> {
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

  async recordLastSeen(entries: readonly LastSeen[]): Promise<void> {
    const latest = new Map<string, number>();
    for (const { userId, at } of entries) if (isUserId(userId)) latest.set(userId, Math.max(at, latest.get(userId) ?? at));
    if (latest.size === 0) return;
    // No array parameters in the Data API: two parallel comma-separated lists, unnested together.
    await this.db.query(
      `UPDATE users AS u SET last_seen = v.at
         FROM (SELECT unnest(string_to_array(:ids, ','))::bigint AS id,
                      to_timestamp(unnest(string_to_array(:ats, ','))::double precision / 1000) AS at) AS v
        WHERE u.id = v.id AND (u.last_seen IS NULL OR u.last_seen < v.at)`,
      { ids: [...latest.keys()].join(','), ats: [...latest.values()].join(',') },
    );
  }
}
