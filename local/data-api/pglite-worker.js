// @ts-check
/**
 * Hosts PGlite in a worker thread for the local Data API (see pglite-host.ts).
 *
 * Plain JavaScript on purpose: a worker thread loads its file with Node itself, outside ts-jest
 * and tsx, and PGlite must run outside jest's VM anyway (its loader uses dynamic import()).
 * Messages: { id, method, args } in; { id, result | error, inTransaction } out.
 */
'use strict';

const { mkdir } = require('node:fs/promises');
const { parentPort } = require('node:worker_threads');
const { PGlite, types } = require('@electric-sql/pglite');
// pg_trgm is available for CREATE EXTENSION, as on Aurora; nothing else is loaded.
const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm');

/** @typedef {{ dataDir?: string, database: string }} BootOptions */

// AWS: Aurora's default parameter group runs sessions in UTC; -c makes UTC the value RESET returns to (RES-03).
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'TimeZone=UTC', '-c', 'DateStyle=ISO, MDY', '-c', 'bytea_output=hex'];
const EXTENSIONS = { pg_trgm };

/** @type {PGlite | undefined} */
let pg;
/** @type {Record<number, (value: string) => string>} */
let parsers = {};

/** @param {string} value */
const identity = (value) => value;

/** Parameters arrive as Postgres text; PGlite must not re-serialise them by type. */
const serializers = new Proxy({}, { get: () => (/** @type {unknown} */ value) => String(value) });

/**
 * Parsers that return Postgres text for every type PGlite would turn into JS values (Date, BigInt,
 * objects): the Data API formats values from their text (RES-04). A Proxy would be lost when PGlite
 * merges parser maps, so every known OID gets an explicit entry.
 * @param {PGlite} db
 */
const identityParsers = (db) => {
  const oids = new Set([...Object.keys(types.parsers), ...Object.keys(db.parsers)].map(Number).filter((oid) => !Number.isNaN(oid)));
  return Object.fromEntries([...oids].map((oid) => [oid, identity]));
};

/** @param {string} name */
const quoteIdentifier = (name) => `"${name.replace(/"/g, '""')}"`;

/**
 * PGlite opens one database per instance: create ours in the cluster if it is missing.
 * @param {PGlite} admin
 * @param {string} database
 */
const ensureDatabase = async (admin, database) => {
  const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
  if (found.rows.length === 0) await admin.exec(`CREATE DATABASE ${quoteIdentifier(database)}`);
};

/**
 * On disk the cluster lives in dataDir; in memory a fresh cluster is dumped and reloaded, because
 * PGlite can only switch databases by starting again.
 * @param {BootOptions} options
 */
const boot = async ({ dataDir, database }) => {
  if (dataDir !== undefined) {
    await mkdir(dataDir, { recursive: true });
    const admin = await PGlite.create({ dataDir, startParams: START_PARAMS });
    await ensureDatabase(admin, database);
    await admin.close();
    return PGlite.create({ dataDir, database, extensions: EXTENSIONS, startParams: START_PARAMS });
  }
  const seed = await PGlite.create({ startParams: START_PARAMS });
  await ensureDatabase(seed, database);
  const image = await seed.dumpDataDir('none');
  await seed.close();
  return PGlite.create({ loadDataDir: image, database, extensions: EXTENSIONS, startParams: START_PARAMS });
};

const open = () => {
  if (pg === undefined || pg.closed) throw new Error('PGlite is not open');
  return pg;
};

/** @type {Record<string, (args: any) => Promise<unknown>>} */
const methods = {
  async open(/** @type {BootOptions} */ options) {
    pg = await boot(options);
    parsers = identityParsers(pg);
  },
  async query(/** @type {{ sql: string, values: (string | null)[], types: number[] }} */ { sql, values, types: paramTypes }) {
    const result = await open().query(sql, values, { rowMode: 'array', parsers, serializers, paramTypes });
    return { columns: result.fields, rows: result.rows, affectedRows: result.affectedRows ?? 0 };
  },
  async exec(/** @type {{ sql: string }} */ { sql }) {
    const results = await open().exec(sql);
    return results.map((result) => result.command ?? null);
  },
  async close() {
    if (pg !== undefined && !pg.closed) await pg.close();
  },
};

/** The fields of a Postgres error that survive the thread boundary. @param {any} error */
const serializeError = (error) => ({
  message: String(error?.message ?? error),
  code: error?.code,
  severity: error?.severity,
  detail: error?.detail,
  hint: error?.hint,
  position: error?.position,
  where: error?.where,
});

const inTransaction = () => (pg !== undefined && !pg.closed ? pg.isInTransaction() : false);

if (parentPort === null) throw new Error('pglite-worker.js must run in a worker thread');
const port = parentPort;
port.on('message', async (/** @type {{ id: number, method: string, args: unknown }} */ { id, method, args }) => {
  try {
    const result = await methods[method](args);
    port.postMessage({ id, result, inTransaction: inTransaction() });
  } catch (error) {
    port.postMessage({ id, error: serializeError(error), inTransaction: inTransaction() });
  }
});
