/**
 * Counting what the handlers ask of AWS, without touching the handlers:
 * - DynamoDB: an SDK middleware on the handlers' own document client (`dynamoDocumentClient()`),
 *   which also asks for `ReturnConsumedCapacity: 'INDEXES'` so DynamoDB Local reports the read and
 *   write units, table and `sweep` index apart;
 * - RDS Data API, `@connections`, SQS: their clients are private inside the adapters, so they are
 *   counted at the emulator side by a counting HTTP proxy that the handlers' endpoint variables
 *   point at (they read endpoints from configuration, as on AWS);
 * - Lambda invocations: each handler module's export is wrapped before the local stack loads it.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InitializeMiddleware } from '@smithy/types';
import { handlers } from '../../lib/app-manifest';
import { now } from './stats';

export type Service = 'lambda' | 'dynamodb' | 'dataApi' | 'connections' | 'sqs';

export interface Tally {
  calls: number;
  /** DynamoDB: read request units (table + indexes). */
  rru: number;
  /** DynamoDB: write request units, table part. */
  wru: number;
  /** DynamoDB: write request units spent on the `sweep` index. */
  gsiWru: number;
  /** Items touched by batch calls; records per Lambda invocation. */
  items: number;
  /** Request body bytes (`@connections` posts: the pushed payload). */
  bytes: number;
  /** Failed calls (conditional check failures, 410 Gone, function errors). */
  errors: number;
  /** Lambda: summed in-process duration (ms); a local figure, not a Lambda bill. */
  ms: number;
}

export type Counts = Record<string, Tally>;

const emptyTally = (): Tally => ({ calls: 0, rru: 0, wru: 0, gsiWru: 0, items: 0, bytes: 0, errors: 0, ms: 0 });

/** Everything counted so far, keyed `service|label`. Snapshots are diffed around each operation. */
export class Meter {
  private readonly tallies = new Map<string, Tally>();

  add(service: Service, label: string, delta: Partial<Tally>): void {
    const key = `${service}|${label}`;
    const tally = this.tallies.get(key) ?? emptyTally();
    tally.calls += delta.calls ?? 1;
    for (const field of ['rru', 'wru', 'gsiWru', 'items', 'bytes', 'errors', 'ms'] as const) tally[field] += delta[field] ?? 0;
    this.tallies.set(key, tally);
  }

  snapshot(): Counts {
    return Object.fromEntries([...this.tallies].map(([key, tally]) => [key, { ...tally }]));
  }

  /** Sum of all calls counted so far; used to wait until an operation's consequences have settled. */
  totalCalls(): number {
    let total = 0;
    for (const tally of this.tallies.values()) total += tally.calls;
    return total;
  }
}

/** What happened between two snapshots. */
export const diff = (after: Counts, before: Counts): Counts => {
  const result: Counts = {};
  for (const [key, tally] of Object.entries(after)) {
    const base = before[key] ?? emptyTally();
    const delta = {
      calls: tally.calls - base.calls,
      rru: tally.rru - base.rru,
      wru: tally.wru - base.wru,
      gsiWru: tally.gsiWru - base.gsiWru,
      items: tally.items - base.items,
      bytes: tally.bytes - base.bytes,
      errors: tally.errors - base.errors,
      ms: tally.ms - base.ms,
    };
    if (delta.calls !== 0) result[key] = delta;
  }
  return result;
};

// ---------------------------------------------------------------------------------------------
// Lambda invocations

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * Wraps every handler module's `handler` export in `require.cache`, so the local stack (which
 * `require`s the same files) invokes the wrapper. Must run before `startLocalStack`.
 */
export const instrumentHandlers = (meter: Meter): void => {
  for (const [name, spec] of Object.entries(handlers)) {
    const file = require.resolve(path.join(ROOT, spec.entry));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(file) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
    const original = module.handler;
    const wrapped = async (event: unknown, context: unknown) => {
      const started = now();
      const records = (event as { Records?: unknown[] } | null)?.Records?.length ?? 0;
      try {
        return await original(event, context);
      } catch (error) {
        meter.add('lambda', name, { calls: 0, errors: 1 });
        throw error;
      } finally {
        meter.add('lambda', name, { items: records, ms: now() - started });
      }
    };
    const cached = require.cache[file];
    if (cached === undefined) throw new Error(`${spec.entry} is not in the require cache`);
    cached.exports = { ...module, handler: wrapped };
  }
};

// ---------------------------------------------------------------------------------------------
// DynamoDB

type Key = Record<string, unknown> | undefined;

const text = (value: unknown): string => {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { S?: unknown }).S === 'string') return (value as { S: string }).S;
  return '';
};

/** `U#`, `C#`, `W#`, ... : which kind of item a key names. */
const kindOf = (key: Key): string => {
  const pk = text(key?.pk);
  const hash = pk.indexOf('#');
  return hash > 0 ? pk.slice(0, hash + 1) : pk === '' ? '?' : pk;
};

const capacity = (consumed: unknown, write: boolean): { rru: number; wru: number; gsiWru: number } => {
  const list = (Array.isArray(consumed) ? consumed : consumed === undefined ? [] : [consumed]) as {
    CapacityUnits?: number;
    ReadCapacityUnits?: number;
    WriteCapacityUnits?: number;
    Table?: { CapacityUnits?: number };
    GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  }[];
  let total = 0;
  let table = 0;
  let gsi = 0;
  for (const entry of list) {
    total += entry.CapacityUnits ?? 0;
    table += entry.Table?.CapacityUnits ?? entry.CapacityUnits ?? 0;
    for (const index of Object.values(entry.GlobalSecondaryIndexes ?? {})) gsi += index.CapacityUnits ?? 0;
  }
  return write ? { rru: 0, wru: table, gsiWru: gsi } : { rru: total, wru: 0, gsiWru: 0 };
};

const WRITES = /^(Put|Update|Delete|BatchWrite|TransactWrite)/;

/** A readable name for one DynamoDB call: operation, item kind, and how it reads. */
const describe = (commandName: string, input: Record<string, any>): { label: string; items: number } => {
  const op = commandName.replace(/Command$/, '');
  switch (op) {
    case 'GetItem':
    case 'Get': {
      const how = input.ProjectionExpression !== undefined ? 'projection, EC' : input.ConsistentRead === true ? 'SC' : 'EC';
      return { label: `GetItem ${kindOf(input.Key)} (${how})`, items: 1 };
    }
    case 'PutItem':
    case 'Put':
      return { label: `PutItem ${kindOf(input.Item)}${input.ConditionExpression === undefined ? '' : ' (conditional)'}`, items: 1 };
    case 'UpdateItem':
    case 'Update':
      return { label: `UpdateItem ${kindOf(input.Key)}`, items: 1 };
    case 'DeleteItem':
    case 'Delete':
      return { label: `DeleteItem ${kindOf(input.Key)}`, items: 1 };
    case 'Query': {
      const value =
        Object.values((input.ExpressionAttributeValues ?? {}) as Record<string, unknown>)
          .map(text)
          .find((v) => v.includes('#')) ?? '';
      const how = input.ConsistentRead === true ? ' (SC)' : '';
      return {
        label:
          input.IndexName === undefined
            ? `Query ${value.slice(0, value.indexOf('#') + 1)}${how}`
            : `Query index ${String(input.IndexName)}${how}`,
        items: 0,
      };
    }
    case 'BatchWriteItem':
    case 'BatchWrite': {
      const requests = Object.values((input.RequestItems ?? {}) as Record<string, any[]>).flat();
      const kinds = new Set(
        requests.map((r) => `${r.PutRequest !== undefined ? 'put' : 'delete'} ${kindOf(r.PutRequest?.Item ?? r.DeleteRequest?.Key)}`),
      );
      return { label: `BatchWriteItem ${[...kinds].sort().join('+')}`, items: requests.length };
    }
    case 'BatchGetItem':
    case 'BatchGet': {
      const keys = Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: Key[] }>).flatMap((r) => r.Keys ?? []);
      const consistent = Object.values((input.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean }>).some(
        (r) => r.ConsistentRead === true,
      );
      return { label: `BatchGetItem ${[...new Set(keys.map(kindOf))].join('+')}${consistent ? ' (SC)' : ''}`, items: keys.length };
    }
    default:
      return { label: op, items: 0 };
  }
};

/** Counts every call of the handlers' DynamoDB document client, with the capacity DynamoDB Local reports. */
export const instrumentDynamoDb = (client: Pick<DynamoDBDocumentClient, 'middlewareStack'>, meter: Meter): void => {
  const middleware: InitializeMiddleware<any, any> = (next, context) => async (args) => {
    const input = args.input as Record<string, any>;
    input.ReturnConsumedCapacity = 'INDEXES';
    const { label, items } = describe(context.commandName ?? 'Unknown', input);
    try {
      const result = await next(args);
      meter.add('dynamodb', label, {
        items,
        ...capacity((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity, WRITES.test(label)),
      });
      return result;
    } catch (error) {
      // A failed conditional write still consumes its write units; DynamoDB Local does not report them.
      const conditional = (error as { name?: string }).name === 'ConditionalCheckFailedException';
      meter.add('dynamodb', label, { items, errors: 1, wru: conditional ? 1 : 0 });
      throw error;
    }
  };
  client.middlewareStack.add(middleware, { step: 'initialize', name: 'benchCallMeter' });
};

// ---------------------------------------------------------------------------------------------
// Counting proxies

export interface CountingProxy {
  readonly url: string;
  stop(): Promise<void>;
}

const readAll = (req: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/**
 * A pass-through HTTP proxy in front of one local endpoint that counts each request under the
 * label `classify` gives it. Paths and headers (SigV4 signature included) pass unchanged.
 */
export const startCountingProxy = async (
  upstream: string,
  service: Service,
  meter: Meter,
  classify: (req: IncomingMessage, body: Buffer) => string,
): Promise<CountingProxy> => {
  const target = new URL(upstream);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readAll(req);
      const label = classify(req, body);
      const forward = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent },
        (upstreamRes) => {
          const failed = (upstreamRes.statusCode ?? 500) >= 400;
          meter.add(service, failed ? `${label} (${upstreamRes.statusCode})` : label, { bytes: body.length, errors: failed ? 1 : 0 });
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', (error) => {
        meter.add(service, `${label} (proxy error)`, { errors: 1 });
        res.writeHead(502).end(error.message);
      });
      forward.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const basePath = target.pathname === '/' ? '' : target.pathname;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    stop: () =>
      new Promise((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** `ExecuteStatement: UPDATE users` — the statement's verb and table, never its parameters. */
export const classifyDataApi = (req: IncomingMessage, body: Buffer): string => {
  const operation = (req.url ?? '').split('?')[0].replace(/^\//, '');
  if (operation !== 'Execute') return operation;
  try {
    const sql = String((JSON.parse(body.toString('utf8')) as { sql?: string }).sql ?? '')
      .replace(/\s+/g, ' ')
      .trim();
    const verb = sql.split(' ')[0]?.toUpperCase() ?? '?';
    const table = /\b(?:FROM|INTO|UPDATE)\s+([a-z_]+)/i.exec(sql)?.[1] ?? '?';
    return `ExecuteStatement ${verb} ${table}`;
  } catch {
    return 'ExecuteStatement';
  }
};

export const classifyConnections = (req: IncomingMessage): string =>
  ({ POST: 'PostToConnection', GET: 'GetConnection', DELETE: 'DeleteConnection' })[req.method ?? ''] ?? `${req.method} @connections`;

export const classifySqs = (req: IncomingMessage, body: Buffer): string => {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.replace(/^AmazonSQS\./, '');
  return new URLSearchParams(body.toString('utf8')).get('Action') ?? 'unknown';
};
