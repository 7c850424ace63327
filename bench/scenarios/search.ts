/**
 * `search`: a users table of 100k rows (one `INSERT ... SELECT generate_series` through the Data
 * API), then prefix search and get-user through the HTTP API, and the query plan of the prefix
 * search: the SQL is taken from the real adapter (DataApiUserDirectory), not copied here.
 */
import { RDSDataClient } from '@aws-sdk/client-rds-data';
import { DataApi, type ParamValue, type Row as SqlRow } from '../../lambdas/adapters/data-api';
import { DataApiUserDirectory } from '../../lambdas/adapters/data-api-user-directory';
import { distribution, median, now, seededRandom } from '../lib/stats';
import { ms, type Row, type Scenario } from './types';

/** Runs `EXPLAIN (ANALYZE, BUFFERS)` of every statement the adapter sends, instead of the statement. */
class PlanCapturingDataApi extends DataApi {
  readonly plans: { sql: string; params: Record<string, ParamValue>; plan: string[] }[] = [];

  override async query(sql: string, params: Record<string, ParamValue> = {}): Promise<SqlRow[]> {
    const rows = await super.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    this.plans.push({ sql: sql.replace(/\s+/g, ' ').trim(), params, plan: rows.map((row) => row[0]?.stringValue ?? '') });
    return [];
  }
}

const INDEX = 'users_lower_name_key';

/** The node that reads the users table: `Index Scan using users_lower_name_key`, `Bitmap Heap Scan`, `Seq Scan`, ... */
const scanOf = (plan: readonly string[]): string =>
  (plan.find((line) => /(Index Only Scan|Index Scan|Bitmap Heap Scan|Seq Scan)/.test(line)) ?? '?')
    .replace(/^[\s>-]*/, '')
    .replace(/\s+\(cost=.*$/, '');

const ordered = (plan: readonly string[]): boolean => /^Index (Only )?Scan using users_lower_name_key/.test(scanOf(plan));
const usesTheIndex = (plan: readonly string[]): boolean =>
  plan.some((line) => line.includes(INDEX)) && !plan.some((line) => line.includes('Seq Scan'));

export const search: Scenario = async ({ bench, quick, log }) => {
  const params = { users: 100_000, requests: quick ? 60 : 300, batches: 3, analyses: quick ? 3 : 5 };
  const inserted = now();
  // Names: 8 random-looking hex digits (md5) first, so that prefixes select realistic slices:
  // one character ~1/16 of the table, two ~1/256, three ~1/4096.
  await bench.sql(
    `INSERT INTO users (name, password_hash) SELECT substr(md5(g::text), 1, 8) || '_' || g, 'x' FROM generate_series(1, ${params.users}) AS g`,
  );
  await bench.sql('ANALYZE users');
  const insertSeconds = (now() - inserted) / 1000;
  const [[total]] = await bench.sql('SELECT count(*) FROM users');
  log(`  inserted ${params.users} users in ${insertSeconds.toFixed(1)} s (table now ${total.longValue} rows)`);

  const client = new RDSDataClient({
    endpoint: bench.stack.dataApiEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const capturing = new PlanCapturingDataApi(client, {
    resourceArn: bench.stack.dbResourceArn,
    secretArn: bench.stack.dbSecretArn,
    database: process.env.DB_NAME ?? 'presence',
  });
  const directory = new DataApiUserDirectory(capturing);
  const explain = async (prefix: string, cursor: string | null = null) => {
    capturing.plans.length = 0;
    await directory.search(prefix, 20, cursor === null ? null : Buffer.from(cursor, 'utf8').toString('base64url'));
    return capturing.plans[0];
  };
  const cases = [
    { name: "1 char ('a', ~1/16 of the rows)", prefix: 'a', cursor: null },
    { name: '1 char, next page (keyset cursor)', prefix: 'a', cursor: 'a0' },
    { name: "2 chars ('a3', ~1/256)", prefix: 'a3', cursor: null },
    { name: "3 chars ('a3f', ~1/4096)", prefix: 'a3f', cursor: null },
  ];
  const plans = [];
  for (const c of cases) plans.push({ ...c, ...(await explain(c.prefix, c.cursor)) });
  log('  EXPLAIN (ANALYZE) of the prefix search, first page of a 2-character prefix:');
  plans[2].plan.forEach((line) => log(`    ${line}`));
  // The planner's choice for a narrow prefix depends on ANALYZE's random sample: repeat it.
  const twoCharScans: string[] = [];
  for (let analysis = 0; analysis < params.analyses; analysis += 1) {
    await bench.sql('ANALYZE users');
    twoCharScans.push(scanOf((await explain('a3')).plan));
  }
  const orderedTwoChar = twoCharScans.filter((scan) => scan.startsWith('Index Scan')).length;
  plans.forEach((p) => log(`  ${p.name}: ${scanOf(p.plan)}`));
  log(`  2 chars over ${params.analyses} fresh ANALYZE samples: ${twoCharScans.join(' / ')}`);
  const indexOk = plans.every((p) => usesTheIndex(p.plan));
  const broadOk = ordered(plans[0].plan) && ordered(plans[1].plan);

  const [user] = await bench.createUsers('search_reader_', 1);
  const random = seededRandom(7);
  const hex = '0123456789abcdef';
  const get = async (path: string): Promise<number> => {
    const started = now();
    const response = await fetch(`${bench.stack.httpUrl}${path}`, { headers: { authorization: `Bearer ${user.token}` } });
    await response.text();
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
    return now() - started;
  };
  const prefix = () => `${hex[Math.floor(random() * 16)]}${hex[Math.floor(random() * 16)]}`;
  const [[minId]] = await bench.sql('SELECT min(id) FROM users');
  const someId = () => String(Number(minId.longValue) + Math.floor(random() * params.users));

  // Warm-up: clients, JIT, Postgres caches.
  for (let index = 0; index < 20; index += 1) {
    await get(`/users?q=${prefix()}&limit=20`);
    await get(`/users/${someId()}`);
  }
  const batches: { search: number[]; getUser: number[] }[] = [];
  for (let batch = 0; batch < params.batches; batch += 1) {
    const searchTimes: number[] = [];
    const getTimes: number[] = [];
    // Sequential requests: latency, not throughput.
    for (let index = 0; index < params.requests / params.batches; index += 1) {
      searchTimes.push(await get(`/users?q=${prefix()}&limit=20`));
      getTimes.push(await get(`/users/${someId()}`));
    }
    batches.push({ search: searchTimes, getUser: getTimes });
    log(`  batch ${batch + 1}/${params.batches}: search p50 ${ms(median(searchTimes))}, get-user p50 ${ms(median(getTimes))}`);
  }
  // What-if, on this throwaway database only: a finer histogram for the index expression (a
  // migration could set it) makes the planner's estimate for narrow prefixes stable.
  await bench.sql(`ALTER INDEX ${INDEX} ALTER COLUMN 1 SET STATISTICS 1000`);
  const tunedScans: string[] = [];
  for (let analysis = 0; analysis < params.analyses; analysis += 1) {
    await bench.sql('ANALYZE users');
    tunedScans.push(scanOf((await explain('a3')).plan));
  }
  const orderedTuned = tunedScans.filter((scan) => scan.startsWith('Index Scan')).length;
  log(`  what-if STATISTICS 1000 on the index expression: 2 chars: ${tunedScans.join(' / ')}`);
  client.destroy();

  const perBatch = (pick: (b: { search: number[]; getUser: number[] }) => number[]) => batches.map((b) => distribution(pick(b)));
  const searchRuns = perBatch((b) => b.search);
  const getRuns = perBatch((b) => b.getUser);
  const med = (runs: ReturnType<typeof distribution>[], field: 'p50' | 'p99') => median(runs.map((run) => run[field]));

  const rows: Row[] = [
    { metric: 'users in the table', value: String(total.longValue) },
    { metric: 'bulk insert + ANALYZE', value: `${insertSeconds.toFixed(1)} s` },
    ...plans.map((p) => ({
      metric: `plan, prefix of ${p.name}`,
      value: scanOf(p.plan),
      target: p.prefix.length < 3 ? `Index Scan using ${INDEX}` : `uses ${INDEX}, no Seq Scan`,
      ok: p.prefix.length < 3 ? ordered(p.plan) : usesTheIndex(p.plan),
    })),
    {
      metric: `plan, 2 chars, over ${params.analyses} fresh ANALYZE samples`,
      value: `ordered Index Scan ${orderedTwoChar}/${params.analyses} (else Bitmap Heap Scan + top-N sort)`,
      target: `${params.analyses}/${params.analyses}`,
      ok: orderedTwoChar === params.analyses,
    },
    { metric: `  what-if: index statistics target 1000`, value: `ordered Index Scan ${orderedTuned}/${params.analyses}` },
    { metric: 'GET /users?q= (2-char prefix, limit 20) p50 / p99', value: `${ms(med(searchRuns, 'p50'))} / ${ms(med(searchRuns, 'p99'))}` },
    { metric: 'GET /users/{id} p50 / p99', value: `${ms(med(getRuns, 'p50'))} / ${ms(med(getRuns, 'p99'))}` },
  ];
  return {
    rows,
    failure:
      indexOk && broadOk
        ? undefined
        : `the prefix search does not scan ${INDEX} in order: ${plans.map((p) => `${p.prefix}: ${scanOf(p.plan)}`).join('; ')}`,
    result: {
      parameters: params,
      insertSeconds: Number(insertSeconds.toFixed(1)),
      explain: plans.map((p) => ({ case: p.name, scan: scanOf(p.plan), sql: p.sql, params: p.params, plan: p.plan })),
      twoCharPrefixScansOverAnalyses: twoCharScans,
      twoCharPrefixScansWithStatistics1000: tunedScans,
      searchMs: { p50MedianOfBatches: med(searchRuns, 'p50'), p99MedianOfBatches: med(searchRuns, 'p99'), perBatch: searchRuns },
      getUserMs: { p50MedianOfBatches: med(getRuns, 'p50'), p99MedianOfBatches: med(getRuns, 'p99'), perBatch: getRuns },
    },
  };
};
