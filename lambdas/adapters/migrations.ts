/**
 * The users database schema, as ordered migrations of one statement each (the Data API runs one
 * statement per call). Applied at deploy time on AWS (a custom resource) and at start locally,
 * idempotently: each migration runs once, in a transaction, recorded in schema_migrations.
 */
import type { DataApi } from './data-api';

export interface Migration {
  readonly id: string;
  readonly statements: readonly string[];
}

export const migrations: readonly Migration[] = [
  {
    id: '001-users',
    statements: [
      `CREATE TABLE users (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name varchar(32) NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz
      )`,
      // One index serves uniqueness, log-in lookups, prefix search and keyset paging: a btree on
      // lower(name) in the "C" collation turns `LIKE 'abc%'` into an index range scan.
      `CREATE UNIQUE INDEX users_lower_name_key ON users ((lower(name) COLLATE "C"))`,
    ],
  },
  {
    id: '002-users-name-statistics',
    statements: [
      // Finer statistics on the name expression: with the default sample the planner sometimes sorts
      // a bitmap scan instead of walking the index in order for 2-character prefixes (npm run bench -- search).
      `ALTER INDEX users_lower_name_key ALTER COLUMN 1 SET STATISTICS 1000`,
    ],
  },
];

export const applyMigrations = async (db: DataApi, log: (line: string) => void = () => undefined): Promise<string[]> => {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const rows = await db.query('SELECT id FROM schema_migrations');
  const applied = new Set(rows.map((row) => row[0]?.stringValue));
  const pending = migrations.filter((migration) => !applied.has(migration.id));
  for (const migration of pending) {
    await db.transaction(async (run) => {
      // DDL runs on after a call timeout (AWS's advice): cut half-way, it can leave a broken structure.
      for (const statement of migration.statements) await run(statement, {}, { continueAfterTimeout: true });
      await run('INSERT INTO schema_migrations (id) VALUES (:id)', { id: migration.id });
    });
    log(`applied migration ${migration.id}`);
  }
  return pending.map((migration) => migration.id);
};
