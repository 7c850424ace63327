/**
 * The bench's own local stack: fresh temp data dir, free ports, the handlers instrumented, and
 * helpers to make many users quickly (straight into Postgres, tokens signed by the handlers' own
 * token service: signing up through the API would spend most of the run hashing passwords).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExecuteStatementCommand, RDSDataClient, type SqlParameter } from '@aws-sdk/client-rds-data';
import { dynamoDocumentClient } from '../../lambdas/shared/dependencies/presence-table';
import { tokenService } from '../../lambdas/shared/dependencies/tokens';
import { ENV, queues } from '../../lib/app-manifest';
import { type FunctionIsolation, type LocalStack, startLocalStack } from '../../local/stack';
import {
  type CountingProxy,
  classifyConnections,
  classifyDataApi,
  classifySqs,
  instrumentDynamoDb,
  instrumentHandlers,
  Meter,
  startCountingProxy,
} from './meter';

export interface BenchStackOptions {
  readonly leaseSeconds: number;
  readonly graceSeconds: number;
  readonly sweepSeconds: number;
  /** Route the handlers' Data API, `@connections` and SQS calls through counting proxies. */
  readonly countingProxies: boolean;
  /**
   * `thread`: each function in its own worker thread (local/lambda/execution-environment.ts), as
   * on AWS; the meter then counts no invocations (the handlers' modules are not in this thread).
   */
  readonly functionIsolation: FunctionIsolation;
  /**
   * DynamoDB Local: `memory` (default), its tables in memory and its optimising compiler on, or
   * `disk`, as `npm start` runs it (tables in the data dir, quick compiler only). `BENCH_DYNAMODB`.
   */
  readonly dynamoDb?: 'memory' | 'disk';
  readonly log: (line: string) => void;
}

export interface BenchUser {
  readonly id: string;
  readonly name: string;
  readonly token: string;
}

export interface BenchStack {
  readonly stack: LocalStack;
  readonly meter: Meter;
  readonly options: BenchStackOptions;
  /** Runs one SQL statement through the Data API with the bench's own client (not counted). */
  sql(sql: string, parameters?: SqlParameter[]): Promise<any[][]>;
  /** `count` new users named `${prefix}${n}`, each with a valid token. */
  createUsers(prefix: string, count: number): Promise<BenchUser[]>;
  /** Problems the local stack logged (function errors, discarded batches). */
  readonly problems: string[];
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const PROBLEM = /error|failed|discarded|timed out/i;

export const startBenchStack = async (options: BenchStackOptions): Promise<BenchStack> => {
  const meter = new Meter();
  if (options.functionIsolation === 'process') instrumentHandlers(meter);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'presence-bench-'));
  const problems: string[] = [];
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      httpPort: 0,
      wsPort: 0,
      dataApiPort: 0,
      dynamoDbPort: 0,
      dataDir,
      leaseSeconds: options.leaseSeconds,
      sweepSeconds: options.sweepSeconds,
      graceSeconds: options.graceSeconds,
      functionIsolation: options.functionIsolation,
      // Nothing of a bench run outlives it, and the CPU DynamoDB Local spends is the emulator's, not
      // the design's: in memory with its optimising compiler it spent under half the CPU per request
      // it spends on disk with the quick compiler only (9,000 put/query/get: 8.1-8.4 s of java CPU against 3.1-3.6 s).
      ...((options.dynamoDb ?? 'memory') === 'memory'
        ? { dynamoDbStorage: 'memory' as const, dynamoDbJit: 'sustained' as const }
        : { dynamoDbStorage: 'disk' as const, dynamoDbJit: 'start' as const }),
      host: '127.0.0.1',
      log: (line) => {
        if (!PROBLEM.test(line)) return;
        problems.push(line);
        options.log(`  [stack] ${line}`);
      },
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  // The handlers build their clients lazily from these variables: point them at counting proxies
  // before the first request reaches a handler.
  const proxies: CountingProxy[] = [];
  if (options.countingProxies) {
    const dataApi = await startCountingProxy(stack.dataApiEndpoint, 'dataApi', meter, classifyDataApi);
    const connections = await startCountingProxy(stack.connectionsEndpoint, 'connections', meter, classifyConnections);
    const sqs = await startCountingProxy(stack.sqsEndpoint, 'sqs', meter, classifySqs);
    proxies.push(dataApi, connections, sqs);
    process.env[ENV.rdsDataEndpoint] = dataApi.url;
    process.env[ENV.connectionsEndpoint] = connections.url;
    process.env[ENV.sqsEndpoint] = sqs.url;
    // SDK v3 SQS sends to the queue URL's host when it differs from the endpoint: keep them the same.
    for (const { urlEnv } of Object.values(queues)) process.env[urlEnv] = `${sqs.url}${new URL(process.env[urlEnv] ?? '').pathname}`;
  }
  instrumentDynamoDb(dynamoDocumentClient(), meter);

  const db = new RDSDataClient({ endpoint: stack.dataApiEndpoint, region: 'us-east-1', credentials: CREDENTIALS });
  const target = { resourceArn: stack.dbResourceArn, secretArn: stack.dbSecretArn, database: process.env[ENV.dbName] ?? 'presence' };
  const sql = async (statement: string, parameters: SqlParameter[] = []): Promise<any[][]> => {
    const output = await db.send(new ExecuteStatementCommand({ ...target, sql: statement, parameters }));
    return (output.records ?? []) as any[][];
  };

  return {
    stack,
    meter,
    options,
    problems,
    sql,
    async createUsers(prefix, count) {
      const rows = await sql(
        `INSERT INTO users (name, password_hash) SELECT :prefix || g, 'x' FROM generate_series(1, :count) AS g RETURNING id, name`,
        [
          { name: 'prefix', value: { stringValue: prefix } },
          { name: 'count', value: { longValue: count } },
        ],
      );
      const tokens = tokenService();
      return Promise.all(
        rows.map(async (row) => {
          const user = { id: String(row[0].longValue), name: String(row[1].stringValue), createdAt: Date.now() };
          const { token } = await tokens.issue(user);
          return { id: user.id, name: user.name, token };
        }),
      );
    },
    async stop() {
      db.destroy();
      await stack.stop();
      for (const proxy of proxies) await proxy.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
