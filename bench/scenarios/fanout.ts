/**
 * `fanout`: one user watched by many connections goes online and offline: how long until the
 * last watcher has the event, and how many frames it took. A burst round (several watched users
 * changing at once) shows the notifier coalescing: one frame per connection per stream batch.
 */
import { diff } from '../lib/meter';
import { BenchSocket } from '../lib/socket';
import { distribution, mapLimited, median, now, sleep } from '../lib/stats';
import { ms, type Row, type Scenario } from './types';

interface Round {
  readonly kind: 'single' | 'burst';
  readonly status: 'online' | 'offline';
  /** From the change call to the first / median / last watcher's frame. */
  readonly firstMs: number;
  readonly medianMs: number;
  readonly lastMs: number;
  readonly changes: number;
  readonly frames: number;
  readonly events: number;
  readonly notifyInvocations: number;
}

export const fanout: Scenario = async ({ bench, quick, log }) => {
  const params = quick ? { connections: 200, rounds: 2, burstUsers: 5 } : { connections: 1_000, rounds: 5, burstUsers: 5 };
  const targets = await bench.createUsers('fanout_target_', params.burstUsers);
  const watcherUsers = await bench.createUsers('fanout_watcher_', params.connections);
  const target = targets[0];
  log(`  ${params.connections} watcher connections, each subscribed to ${targets.length} users; ${params.rounds} rounds`);

  const setupStarted = now();
  let opened = 0;
  const watchers = await mapLimited(watcherUsers, 16, async (user) => {
    const socket = await BenchSocket.open(bench.stack.wsUrl, user.token);
    opened += 1;
    if (opened % 250 === 0) log(`  ${opened}/${params.connections} connected`);
    return socket;
  });
  const connectSeconds = (now() - setupStarted) / 1000;
  const subscribeStarted = now();
  await mapLimited(watchers, 16, (socket) => socket.subscribe(targets.map((user) => user.id)));
  const subscribeSeconds = (now() - subscribeStarted) / 1000;
  log(
    `  connected in ${connectSeconds.toFixed(1)} s (${(params.connections / connectSeconds).toFixed(0)}/s), subscribed in ${subscribeSeconds.toFixed(1)} s (${(params.connections / subscribeSeconds).toFixed(0)}/s)`,
  );

  const rounds: Round[] = [];
  const measure = async (
    kind: Round['kind'],
    status: Round['status'],
    change: () => Promise<void>,
    changedUsers: readonly string[],
  ): Promise<void> => {
    watchers.forEach((socket) => (socket.presence.length = 0));
    const before = bench.meter.snapshot();
    const startedAt = now();
    await change();
    // Every watcher must see every changed user with this status (changedAt at or after the call).
    const floor = Math.floor(startedAt);
    const arrivals = await Promise.all(
      watchers.map(async (socket) => {
        let last = 0;
        for (const userId of changedUsers) {
          const at = await socket.waitForPresence(
            (event) => event.userId === userId && event.status === status && Date.parse(event.changedAt) >= floor,
            30_000,
          );
          last = Math.max(last, at);
        }
        return last - startedAt;
      }),
    );
    await sleep(300);
    const counts = diff(bench.meter.snapshot(), before);
    const frames = watchers.reduce((sum, socket) => sum + socket.presence.length, 0);
    const events = watchers.reduce((sum, socket) => sum + socket.presence.reduce((n, frame) => n + frame.presences.length, 0), 0);
    const round: Round = {
      kind,
      status,
      firstMs: Math.min(...arrivals),
      medianMs: median(arrivals),
      lastMs: Math.max(...arrivals),
      changes: changedUsers.length,
      frames,
      events,
      notifyInvocations: counts['lambda|notify']?.calls ?? 0,
    };
    rounds.push(round);
    log(
      `  ${kind} ${status}: last watcher after ${ms(round.lastMs)} (median ${ms(round.medianMs)}), ${frames} frames for ${changedUsers.length} change(s) x ${params.connections} watchers`,
    );
  };

  // Warm-up round (not kept): first posts build the client and JIT the path.
  const warm = await BenchSocket.open(bench.stack.wsUrl, target.token);
  await Promise.all(
    watchers.map((socket) => socket.waitForPresence((event) => event.userId === target.id && event.status === 'online', 30_000)),
  );
  await warm.close();
  await Promise.all(
    watchers.map((socket) => socket.waitForPresence((event) => event.userId === target.id && event.status === 'offline', 30_000)),
  );
  await sleep(500);

  for (let round = 1; round <= params.rounds; round += 1) {
    let socket: BenchSocket | undefined;
    await measure(
      'single',
      'online',
      async () => {
        socket = await BenchSocket.open(bench.stack.wsUrl, target.token);
      },
      [target.id],
    );
    await measure(
      'single',
      'offline',
      async () => {
        await socket?.close();
      },
      [target.id],
    );
  }
  for (let round = 1; round <= params.rounds; round += 1) {
    let sockets: BenchSocket[] = [];
    await measure(
      'burst',
      'online',
      async () => {
        sockets = await Promise.all(targets.map((user) => BenchSocket.open(bench.stack.wsUrl, user.token)));
      },
      targets.map((user) => user.id),
    );
    await measure(
      'burst',
      'offline',
      async () => {
        await Promise.all(sockets.map((socket) => socket.close()));
      },
      targets.map((user) => user.id),
    );
  }
  // Close in small groups, letting each group's $disconnect invocations finish: on AWS each runs in
  // its own Lambda, while here they share one process and one SDK connection pool.
  for (let start = 0; start < watchers.length; start += 50) {
    const group = watchers.slice(start, start + 50);
    const before = bench.meter.snapshot()['lambda|wsDisconnect']?.calls ?? 0;
    await Promise.all(group.map((socket) => socket.close()));
    const deadline = Date.now() + 30_000;
    while ((bench.meter.snapshot()['lambda|wsDisconnect']?.calls ?? 0) < before + group.length && Date.now() < deadline) await sleep(50);
  }

  const singles = rounds.filter((round) => round.kind === 'single');
  const bursts = rounds.filter((round) => round.kind === 'burst');
  const last = distribution(singles.map((round) => round.lastMs));
  const medianArrival = median(singles.map((round) => round.medianMs));
  const framesPerSingle = median(singles.map((round) => round.frames));
  const burstFramesPerChange = median(bursts.map((round) => round.frames / (round.changes * params.connections)));
  const rows: Row[] = [
    {
      metric: 'watcher connections',
      value: `${params.connections}${quick ? ' (--quick)' : ''}`,
      target: '1,000',
      ok: quick ? undefined : params.connections >= 1_000,
    },
    {
      metric: 'last watcher has the event (median of rounds)',
      value: ms(median(singles.map((round) => round.lastMs))),
      target: '< 10 s',
      ok: last.max < 10_000,
    },
    { metric: 'last watcher, worst round', value: ms(last.max) },
    { metric: 'median watcher has the event', value: ms(medianArrival) },
    { metric: 'frames per single change', value: `${framesPerSingle} (one per watcher)` },
    {
      metric: `frames per change per watcher, ${params.burstUsers} users at once`,
      value: burstFramesPerChange.toFixed(2),
      target: '< 1 shows coalescing',
    },
    {
      metric: 'connect / subscribe throughput (setup)',
      value: `${(params.connections / connectSeconds).toFixed(0)} / ${(params.connections / subscribeSeconds).toFixed(0)} per s`,
    },
  ];
  return {
    rows,
    result: {
      parameters: { ...params, graceSeconds: bench.options.graceSeconds },
      lastWatcherMs: last,
      medianWatcherMs: medianArrival,
      framesPerSingleChange: framesPerSingle,
      burstFramesPerChangePerWatcher: Number(burstFramesPerChange.toFixed(3)),
      setup: { connectSeconds: Number(connectSeconds.toFixed(1)), subscribeSeconds: Number(subscribeSeconds.toFixed(1)) },
      rounds: rounds.map((round) => ({
        ...round,
        firstMs: Math.round(round.firstMs),
        medianMs: Math.round(round.medianMs),
        lastMs: Math.round(round.lastMs),
      })),
    },
  };
};
