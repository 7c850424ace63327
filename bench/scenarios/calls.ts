/**
 * `calls`: what one operation costs in AWS calls — Lambda invocations, DynamoDB calls and request
 * units, Data API statements, `@connections` calls, SQS messages and WebSocket messages — counted
 * on the handlers' own clients (see lib/meter.ts) from the operation until everything it set off
 * (stream -> notifier, grace queue -> re-check) has settled. scripts/cost.ts reads the result.
 */
import path from 'node:path';
import { type Counts, diff } from '../lib/meter';
import { BenchSocket } from '../lib/socket';
import type { BenchStack, BenchUser } from '../lib/stack';
import { mapLimited, median, sleep } from '../lib/stats';
import type { Row, Scenario } from './types';

/** One operation's cost, as scripts/cost.ts reads it (medians over the repetitions). */
export interface OperationCost {
  readonly description: string;
  /** Invocations per function (manifest handler names). */
  readonly lambda: Record<string, number>;
  readonly dynamodb: {
    readonly calls: number;
    /** As DynamoDB Local reports them. */
    readonly rru: number;
    /** With AWS's minimum charge per read (0.5 eventually / 1 strongly consistent, per item for BatchGetItem). */
    readonly rruBilled: number;
    readonly wru: number;
    /** Writes to the sparse `sweep` index (delete + put when a user's check time moves to another slot). */
    readonly gsiWru: number;
    /** Per kind of call, e.g. `PutItem U# (conditional)`: how many, and their units. */
    readonly byLabel: Record<string, LabelCost>;
  };
  readonly dataApiStatements: number;
  /** Statements per kind, e.g. `ExecuteStatement UPDATE users` (the notifier's last-seen update). */
  readonly dataApiByLabel: Record<string, number>;
  readonly postToConnection: number;
  readonly postBytes: number;
  readonly getConnection: number;
  readonly deleteConnection: number;
  readonly sqsSendMessage: number;
  /** WebSocket messages the client sent / received (API Gateway bills both; `$connect`/`$disconnect` are not counted). */
  readonly wsMessagesIn: number;
  readonly wsMessagesOut: number;
  /** Bytes of the messages the clients received (route responses and pushes), payload only. */
  readonly wsBytesOut: number;
  readonly repetitions: number;
}

export interface LabelCost {
  readonly calls: number;
  readonly items: number;
  readonly rruBilled: number;
  readonly wru: number;
  readonly gsiWru: number;
}

interface Sample {
  readonly counts: Counts;
  readonly wsIn: number;
  readonly wsOut: number;
  readonly wsBytesOut: number;
}

/** What AWS bills at least per call (per item for BatchGetItem): strongly consistent reads cost twice. */
const READ_MINIMUM: [RegExp, number][] = [
  [/^(GetItem|Query|BatchGetItem) .*\(SC\)$/, 1],
  [/^(GetItem|Query|BatchGetItem) /, 0.5],
];

const summarize = (description: string, samples: readonly Sample[]): OperationCost => {
  const med = (pick: (sample: Sample) => number) => median(samples.map(pick));
  const field = (
    service: string,
    field: 'calls' | 'rru' | 'wru' | 'gsiWru' | 'bytes' | 'items',
    match: (label: string) => boolean = () => true,
  ) =>
    med(({ counts }) =>
      Object.entries(counts)
        .filter(([key]) => key.startsWith(`${service}|`) && match(key.slice(service.length + 1)))
        .reduce((sum, [, tally]) => sum + tally[field], 0),
    );
  const labels = new Set(samples.flatMap(({ counts }) => Object.keys(counts)));
  const lambda: Record<string, number> = {};
  const dataApiByLabel: Record<string, number> = {};
  const byLabel: Record<string, LabelCost> = {};
  let rruBilled = 0;
  for (const key of labels) {
    const [service, label] = [key.slice(0, key.indexOf('|')), key.slice(key.indexOf('|') + 1)];
    const calls = med(({ counts }) => counts[key]?.calls ?? 0);
    if (service === 'lambda' && calls > 0) lambda[label] = calls;
    if (service === 'dataApi' && calls > 0) dataApiByLabel[label] = calls;
    if (service !== 'dynamodb' || calls === 0) continue;
    const items = med(({ counts }) => counts[key]?.items ?? 0);
    const reported = med(({ counts }) => counts[key]?.rru ?? 0);
    const minimum = (label.startsWith('BatchGetItem') ? items : calls) * (READ_MINIMUM.find(([pattern]) => pattern.test(label))?.[1] ?? 0);
    const billed = Math.max(reported, minimum);
    rruBilled += billed;
    byLabel[label] = {
      calls,
      items,
      rruBilled: billed,
      wru: med(({ counts }) => counts[key]?.wru ?? 0),
      gsiWru: med(({ counts }) => counts[key]?.gsiWru ?? 0),
    };
  }
  return {
    description,
    lambda,
    dynamodb: {
      calls: field('dynamodb', 'calls'),
      rru: field('dynamodb', 'rru'),
      rruBilled,
      wru: field('dynamodb', 'wru'),
      gsiWru: field('dynamodb', 'gsiWru'),
      byLabel,
    },
    dataApiStatements: field('dataApi', 'calls'),
    dataApiByLabel,
    postToConnection: field('connections', 'calls', (label) => label.startsWith('PostToConnection')),
    postBytes: field('connections', 'bytes', (label) => label.startsWith('PostToConnection')),
    getConnection: field('connections', 'calls', (label) => label.startsWith('GetConnection')),
    deleteConnection: field('connections', 'calls', (label) => label.startsWith('DeleteConnection')),
    sqsSendMessage: field('sqs', 'calls', (label) => label.startsWith('SendMessage')),
    wsMessagesIn: med((sample) => sample.wsIn),
    wsMessagesOut: med((sample) => sample.wsOut),
    wsBytesOut: med((sample) => sample.wsBytesOut),
    repetitions: samples.length,
  };
};

/**
 * Resolves once no call at all has been counted for `quietMs` and no grace message is still
 * queued (an SQS delay is silence too): the operation's consequences are done.
 */
const settled = async (bench: BenchStack, quietMs: number): Promise<void> => {
  const graceInFlight = () => {
    const counts = bench.meter.snapshot();
    const sent = counts['sqs|SendMessage']?.calls ?? 0;
    const received = counts['lambda|graceExpired']?.items ?? 0;
    return sent - received;
  };
  let last = bench.meter.totalCalls();
  let quietSince = Date.now();
  while (Date.now() - quietSince < quietMs || graceInFlight() > 0) {
    await sleep(100);
    const current = bench.meter.totalCalls();
    if (current !== last) {
      last = current;
      quietSince = Date.now();
    }
  }
};

export const calls: Scenario = async ({ bench, quick, log }) => {
  const repetitions = quick ? 1 : 5;
  const watcherCount = 10;
  const subscribeCount = 20;
  const quietMs = 700;
  const graceMs = bench.options.graceSeconds * 1000;
  const leaseMs = bench.options.leaseSeconds * 1000;
  log(
    `  ${repetitions} repetitions per operation; ${watcherCount} watcher connections (S); grace ${bench.options.graceSeconds} s, lease ${bench.options.leaseSeconds} s`,
  );

  // Users: fresh subjects per repetition, so every operation starts from the same state.
  const pool = await bench.createUsers('calls_user_', 40 * repetitions + 40);
  let nextUser = 0;
  const fresh = (): BenchUser => {
    const user = pool[nextUser];
    nextUser += 1;
    if (user === undefined) throw new Error('calls: out of users');
    return user;
  };
  const subscribable = await bench.createUsers('calls_known_', subscribeCount);
  const watcherUsers = await bench.createUsers('calls_watcher_', watcherCount);
  const watchers = await mapLimited(watcherUsers, 8, (user) => BenchSocket.open(bench.stack.wsUrl, user.token));
  const open: BenchSocket[] = [];
  const leftovers: BenchSocket[] = [];
  const connect = async (user: BenchUser): Promise<BenchSocket> => {
    const socket = await BenchSocket.open(bench.stack.wsUrl, user.token);
    open.push(socket);
    return socket;
  };
  /** Watchers heartbeat outside the measured windows, so their leases stay live and nothing is swept. */
  const refresh = async () => {
    await Promise.all(watchers.map((socket) => socket.request({ action: 'heartbeat' })));
  };
  const watchedBy = async (user: BenchUser) => {
    await Promise.all(watchers.map((socket) => socket.subscribe([user.id])));
  };
  const allSee = (user: BenchUser, status: 'online' | 'offline', since: number) =>
    Promise.all(
      watchers.map((socket) =>
        socket.waitForPresence(
          (event) => event.userId === user.id && event.status === status && Date.parse(event.changedAt) >= since,
          20_000,
        ),
      ),
    );

  const results: Record<string, OperationCost> = {};
  /**
   * Measures `act` `repetitions` times: `prepare` (not counted) sets the stage, then the counters
   * are read around `act` and everything it sets off.
   */
  const measure = async <T>(
    name: string,
    description: string,
    prepare: () => Promise<T>,
    act: (state: T) => Promise<void>,
    times = repetitions,
  ): Promise<void> => {
    const samples: Sample[] = [];
    for (let repetition = 0; repetition < times; repetition += 1) {
      const state = await prepare();
      await refresh();
      await settled(bench, quietMs);
      const before = bench.meter.snapshot();
      const traffic = { ...BenchSocket.traffic };
      await act(state);
      await settled(bench, quietMs);
      samples.push({
        counts: diff(bench.meter.snapshot(), before),
        wsIn: BenchSocket.traffic.sent - traffic.sent,
        wsOut: BenchSocket.traffic.received - traffic.received,
        wsBytesOut: BenchSocket.traffic.receivedBytes - traffic.receivedBytes,
      });
      // Closing costs calls (and a grace) too: the subjects stay open until the sweeper operations.
      leftovers.push(...open.splice(0));
    }
    const cost = summarize(description, samples);
    results[name] = cost;
    const lambdaCalls = Object.values(cost.lambda).reduce((sum, n) => sum + n, 0);
    log(
      `  ${name.padEnd(28)} lambda ${lambdaCalls}, dynamodb ${cost.dynamodb.calls} calls (${cost.dynamodb.rruBilled} RRU, ${cost.dynamodb.wru}+${cost.dynamodb.gsiWru} WRU), ` +
        `data api ${cost.dataApiStatements}, posts ${cost.postToConnection}, sqs ${cost.sqsSendMessage}, ws msgs ${cost.wsMessagesIn} in / ${cost.wsMessagesOut} out`,
    );
  };

  // Warm-up: builds every client the operations below use (counted nowhere).
  {
    const user = fresh();
    const socket = await connect(user);
    await socket.subscribe([subscribable[0].id]);
    await socket.request({ action: 'setStatus', status: 'offline' });
    await socket.request({ action: 'setStatus', status: 'online' });
    await Promise.all(open.splice(0).map((s) => s.close()));
    await sleep(graceMs + 500);
    await settled(bench, quietMs);
  }

  await measure(
    'connect',
    'first connection of a user nobody watches (authorizer + $connect; online decided, notifier finds no watcher)',
    async () => fresh(),
    async (user) => {
      await connect(user);
    },
  );

  await measure(
    'connectWatched',
    `first connection of a user ${watcherCount} connections watch: online pushed to each`,
    async () => {
      const user = fresh();
      await watchedBy(user);
      return user;
    },
    async (user) => {
      const since = Date.now();
      await connect(user);
      await allSee(user, 'online', since);
    },
  );

  await measure(
    'connectAnotherDevice',
    'a second connection of a user already online (no visible change)',
    async () => {
      const user = fresh();
      await connect(user);
      return user;
    },
    async (user) => {
      await connect(user);
    },
  );

  await measure(
    'subscribe20',
    `subscribe frame with ${subscribeCount} known users (connection open, lease fresh)`,
    async () => connect(fresh()),
    async (socket) => {
      await socket.subscribe(subscribable.map((user) => user.id));
    },
  );

  await measure(
    'heartbeatRead',
    'heartbeat frame within half a lease of the last lease write: one eventually consistent read',
    async () => connect(fresh()),
    async (socket) => {
      await socket.request({ action: 'heartbeat' });
    },
  );

  // Past half a lease, the next frame rewrites the lease: all subjects wait that half lease together.
  const aged: BenchSocket[] = [];
  await measure(
    'heartbeatRenewal',
    'heartbeat frame more than half a lease after the last lease write: read, strongly consistent read, write',
    async () => {
      if (aged.length === 0) {
        aged.push(...(await Promise.all(Array.from({ length: repetitions }, () => connect(fresh())))));
        await sleep(leaseMs / 2 + 300);
      }
      return aged.shift() as BenchSocket;
    },
    async (socket) => {
      await socket.request({ action: 'heartbeat' });
    },
  );

  await measure(
    'setStatusOffline',
    `setStatus offline of a user ${watcherCount} connections watch: offline pushed at once`,
    async () => {
      const user = fresh();
      await watchedBy(user);
      const socket = await connect(user);
      await allSee(user, 'online', 0);
      return { user, socket };
    },
    async ({ user, socket }) => {
      const since = Date.now();
      await socket.request({ action: 'setStatus', status: 'offline' });
      await allSee(user, 'offline', since);
    },
  );

  await measure(
    'setStatusOnline',
    `setStatus online again, ${watcherCount} watchers: online pushed`,
    async () => {
      const user = fresh();
      await watchedBy(user);
      const socket = await connect(user);
      await socket.request({ action: 'setStatus', status: 'offline' });
      await allSee(user, 'offline', 0);
      return { user, socket };
    },
    async ({ user, socket }) => {
      const since = Date.now();
      await socket.request({ action: 'setStatus', status: 'online' });
      await allSee(user, 'online', since);
    },
  );

  await measure(
    'disconnectAnotherDevice',
    'close one of two connections (no visible change)',
    async () => {
      const user = fresh();
      const first = await connect(user);
      await connect(user);
      return first;
    },
    async (socket) => {
      await socket.close();
    },
  );

  await measure(
    'disconnectWatching20',
    `close a connection that watches ${subscribeCount} users (its user has another device)`,
    async () => {
      const user = fresh();
      const socket = await connect(user);
      await connect(user);
      await socket.subscribe(subscribable.map((known) => known.id));
      return socket;
    },
    async (socket) => {
      await socket.close();
    },
  );

  await measure(
    'disconnectLast',
    `close the last connection, ${watcherCount} watchers: grace ${bench.options.graceSeconds} s (SQS delay), then offline pushed`,
    async () => {
      const user = fresh();
      await watchedBy(user);
      const socket = await connect(user);
      await allSee(user, 'online', 0);
      return { user, socket };
    },
    async ({ user, socket }) => {
      const since = Date.now();
      await socket.close();
      await allSee(user, 'offline', since);
    },
  );

  await measure(
    'reconnectWithinGrace',
    'close the last connection and reconnect within the grace (a blip: no event)',
    async () => {
      const user = fresh();
      await watchedBy(user);
      const socket = await connect(user);
      await allSee(user, 'online', 0);
      return { user, socket };
    },
    async ({ user, socket }) => {
      await socket.close();
      await connect(user);
      await sleep(graceMs + 500);
    },
  );

  // The sweeper is invoked here, by hand, so its calls are counted on their own; first the
  // subjects of the operations above go, so that nothing but what is staged below is due.
  await Promise.all(leftovers.splice(0).map((socket) => socket.close()));
  await settled(bench, quietMs);

  const sweepFile = path.resolve(__dirname, '../../lambdas/handlers/events/sweep.ts');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sweepHandler = (
    require(sweepFile) as { handler: (event: unknown, context: { getRemainingTimeInMillis(): number }) => Promise<unknown> }
  ).handler;
  // The planner queues one message per shard; the stack's queue consumers run the shard workers.
  const sweep = async () => {
    await sweepHandler({}, { getRemainingTimeInMillis: () => 30_000 });
    await settled(bench, quietMs);
  };
  await measure(
    'sweepNothingDue',
    "one sweeper run with nothing due (the planner's messages; per shard: a worker, its watermark, one Query per unswept slot, the watermark moved)",
    async () => undefined,
    async () => {
      await sweep();
    },
  );

  await measure(
    'sweepSilentConnection',
    `one sweeper run finding a silent connection (${watcherCount} watchers): GetConnection, offline without grace, DeleteConnection, its $disconnect`,
    async () => {
      const user = fresh();
      await watchedBy(user);
      const socket = await connect(user);
      await allSee(user, 'online', 0);
      // Silent for a whole lease; the watchers keep talking meanwhile.
      const until = Date.now() + leaseMs + 1_000;
      while (Date.now() < until) {
        await refresh();
        await sleep(Math.min(leaseMs / 3, until - Date.now()));
      }
      return { user, socket };
    },
    async ({ user }) => {
      const since = Date.now() - leaseMs - 5_000;
      await sweep();
      await allSee(user, 'offline', since);
    },
    1,
  );

  await Promise.all([...watchers, ...leftovers, ...open].map((socket) => socket.close()));
  await settled(bench, quietMs);

  const rows: Row[] = Object.entries(results).map(([name, cost]) => ({
    metric: name,
    value:
      `λ ${Object.entries(cost.lambda)
        .map(([fn, n]) => `${fn}×${n}`)
        .join(
          ' ',
        )} | ddb ${cost.dynamodb.calls} calls, ${cost.dynamodb.rruBilled} RRU, ${cost.dynamodb.wru}+${cost.dynamodb.gsiWru} WRU | ` +
      `sql ${cost.dataApiStatements} | post ${cost.postToConnection}${cost.getConnection + cost.deleteConnection > 0 ? ` get ${cost.getConnection} del ${cost.deleteConnection}` : ''} | sqs ${cost.sqsSendMessage} | ws ${cost.wsMessagesIn}/${cost.wsMessagesOut}`,
  }));
  return {
    rows,
    result: {
      parameters: {
        repetitions,
        watchers: watcherCount,
        subscribeCount,
        graceSeconds: bench.options.graceSeconds,
        leaseSeconds: bench.options.leaseSeconds,
        localSweepShards: 2,
        note:
          'Medians over the repetitions. DynamoDB units as DynamoDB Local reports them (ReturnConsumedCapacity INDEXES); rruBilled adds AWS minimums. ' +
          'Lambda invocations are counted by wrapping the handler exports; Data API, @connections and SQS calls by counting proxies in front of the local endpoints.',
      },
      operations: results,
    },
  };
};
