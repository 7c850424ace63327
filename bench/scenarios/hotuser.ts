/**
 * `hotuser`: one user watched by H connections changes (online, then offline) while U other users,
 * each watched by W connections, change in the same second. The popular user's fan-out must not
 * delay the others: reported are the last hot watcher's delay and the other users' watchers'
 * p50/p99 (from the change call to the frame), median of rounds. Each round first has the others
 * change alone (the popular user stays offline): the same machine's floor for their p99, so the
 * delay the popular user adds is the difference (locally every post shares this machine's CPUs).
 * An unmeasured round goes first, so no function's cold start is counted.
 */
import { BenchSocket } from '../lib/socket';
import { distribution, mapLimited, median, medianOf, now, sleep } from '../lib/stats';
import { ms, type Row, type Scenario } from './types';

/** Each watcher socket of the other users watches this many of them. */
const OTHERS_PER_SOCKET = 10;

export const hotuser: Scenario = async ({ bench, quick, log }) => {
  // Quick runs keep the popular user above one fan-out page (1,000), so they take the paged path too.
  const params = quick
    ? { hotWatchers: 1_500, others: 20, otherWatchers: 20, rounds: 1 }
    : { hotWatchers: 5_000, others: 100, otherWatchers: 20, rounds: 2 };
  const [hot] = await bench.createUsers('hot_star_', 1);
  const others = await bench.createUsers('hot_other_', params.others);
  const hotWatcherUsers = await bench.createUsers('hot_watcher_', params.hotWatchers);
  const otherSocketCount = (params.others * params.otherWatchers) / OTHERS_PER_SOCKET;
  const otherWatcherUsers = await bench.createUsers('hot_otherwatcher_', otherSocketCount);
  log(
    `  ${params.hotWatchers} watchers of one user; ${params.others} other users x ${params.otherWatchers} watchers (${otherSocketCount} sockets x ${OTHERS_PER_SOCKET}); ${params.rounds} rounds`,
  );

  const setupStarted = now();
  let opened = 0;
  const open = async (user: { token: string }) => {
    const socket = await BenchSocket.open(bench.stack.wsUrl, user.token, 120_000);
    opened += 1;
    if (opened % 1000 === 0) log(`  ${opened} connected`);
    return socket;
  };
  const hotWatchers = await mapLimited(hotWatcherUsers, 16, async (user) => {
    const socket = await open(user);
    await socket.subscribe([hot.id]);
    return socket;
  });
  const otherWatchers = await mapLimited(otherWatcherUsers, 16, async (user, index) => {
    const socket = await open(user);
    // Socket i watches others i*10 .. i*10+9 (mod U): every other user gets W watchers.
    const watched = Array.from({ length: OTHERS_PER_SOCKET }, (_, k) => others[(index * OTHERS_PER_SOCKET + k) % others.length]);
    await socket.subscribe(watched.map((user) => user.id));
    return { socket, watched };
  });
  log(`  set up in ${((now() - setupStarted) / 1000).toFixed(0)} s`);

  const rounds: {
    status: 'online' | 'offline';
    hotLastMs: number;
    hotMedianMs: number;
    others: ReturnType<typeof distribution>;
    otherFrames: number;
    missing: number;
  }[] = [];
  const alone: { status: 'online' | 'offline'; others: ReturnType<typeof distribution>; otherFrames: number; missing: number }[] = [];
  let warmingUp = false;
  const measure = async (
    status: 'online' | 'offline',
    change: () => Promise<{ hotAt?: number; otherAt: Map<string, number> }>,
  ): Promise<void> => {
    [...hotWatchers, ...otherWatchers.map((w) => w.socket)].forEach((socket) => (socket.presence.length = 0));
    const { hotAt, otherAt } = await change();
    const floor = (at: number) => Math.floor(at);
    const hotArrivals =
      hotAt === undefined
        ? []
        : await Promise.all(
            hotWatchers.map(
              async (socket) =>
                (await socket.waitForPresence(
                  (e) => e.userId === hot.id && e.status === status && Date.parse(e.changedAt) >= floor(hotAt),
                  60_000,
                )) - hotAt,
            ),
          );
    let missing = 0;
    // Each delay splits at the change's `changedAt` (the handler's clock, this machine's): the
    // change call until the write, and the write until the frame (stream, notifier, posts).
    const otherArrivals = (
      await Promise.all(
        otherWatchers.flatMap(({ socket, watched }) =>
          watched.map(async (user) => {
            const at = otherAt.get(user.id) as number;
            try {
              const arrival = await socket.waitForPresenceEvent(
                (e) => e.userId === user.id && e.status === status && Date.parse(e.changedAt) >= floor(at),
                30_000,
              );
              const writtenAt = Date.parse(arrival.event.changedAt);
              return [{ total: arrival.at - at, toWrite: writtenAt - at, writeToFrame: arrival.at - writtenAt }];
            } catch {
              missing += 1;
              return [];
            }
          }),
        ),
      )
    ).flat();
    const others = distribution(otherArrivals.map((arrival) => arrival.total));
    const toWrite = distribution(otherArrivals.map((arrival) => arrival.toWrite));
    const writeToFrame = distribution(otherArrivals.map((arrival) => arrival.writeToFrame));
    const split = `change call to write p50/p99 ${ms(toWrite.p50)}/${ms(toWrite.p99)}, write to frame ${ms(writeToFrame.p50)}/${ms(writeToFrame.p99)}`;
    // Frames the others' watchers got: fewer than changes x watchers when a stream batch coalesced several changes per connection.
    const otherFrames = otherWatchers.reduce((sum, { socket }) => sum + socket.presence.length, 0);
    if (warmingUp) {
      log(`  warm-up, ${status}: last hot watcher ${ms(Math.max(...hotArrivals))}; others p99 ${ms(others.p99)} (${split}; not counted)`);
      return;
    }
    if (hotAt === undefined) {
      alone.push({ status, others, otherFrames, missing });
      log(
        `  ${status}, the others alone: p50 ${ms(others.p50)}, p99 ${ms(others.p99)} (${split}), ${otherFrames} frames, missing ${missing}`,
      );
      return;
    }
    const round = { status, hotLastMs: Math.max(...hotArrivals), hotMedianMs: median(hotArrivals), others, otherFrames, missing };
    rounds.push(round);
    log(
      `  ${status}: last hot watcher ${ms(round.hotLastMs)}; others p50 ${ms(round.others.p50)}, p99 ${ms(round.others.p99)} (${split}), ${otherFrames} frames, missing ${missing}`,
    );
  };
  /** The others change over one second: online (their sockets open) or offline (they close). */
  const othersGoOnline = async (otherAt: Map<string, number>): Promise<BenchSocket[]> =>
    Promise.all(
      others.map(async (user, index) => {
        await sleep((index * 1000) / others.length);
        otherAt.set(user.id, now());
        return BenchSocket.open(bench.stack.wsUrl, user.token);
      }),
    );
  const othersGoOffline = async (sockets: BenchSocket[], otherAt: Map<string, number>): Promise<void> => {
    await Promise.all(
      others.map(async (user, index) => {
        await sleep((index * 1000) / others.length);
        otherAt.set(user.id, now());
        await sockets[index].close();
      }),
    );
  };

  /** The popular user and the others online, then offline, together. */
  const togetherOnlineThenOffline = async (): Promise<void> => {
    let hotSocket: BenchSocket | undefined;
    let otherSockets: BenchSocket[] = [];
    await measure('online', async () => {
      const hotAt = now();
      const hotOpen = BenchSocket.open(bench.stack.wsUrl, hot.token);
      const otherAt = new Map<string, number>();
      otherSockets = await othersGoOnline(otherAt);
      hotSocket = await hotOpen;
      return { hotAt, otherAt };
    });
    await sleep(1_000);
    await measure('offline', async () => {
      const hotAt = now();
      const hotClose = hotSocket?.close();
      const otherAt = new Map<string, number>();
      await othersGoOffline(otherSockets, otherAt);
      await hotClose;
      return { hotAt, otherAt };
    });
    await sleep(1_000);
  };

  // One unmeasured round first: the first invocations of each function are cold starts (a worker
  // thread loading its module, with functionIsolation 'thread'), which `npm run bench -- coldstart` measures.
  warmingUp = true;
  await togetherOnlineThenOffline();
  warmingUp = false;

  for (let round = 1; round <= params.rounds; round += 1) {
    let otherSockets: BenchSocket[] = [];
    // The others alone: this machine's floor for their delivery.
    await measure('online', async () => {
      const otherAt = new Map<string, number>();
      otherSockets = await othersGoOnline(otherAt);
      return { otherAt };
    });
    await sleep(1_000);
    await measure('offline', async () => {
      const otherAt = new Map<string, number>();
      await othersGoOffline(otherSockets, otherAt);
      return { otherAt };
    });
    await sleep(1_000);
    // The popular user first, the others over the next second, while its fan-out runs.
    await togetherOnlineThenOffline();
  }
  const all = [...hotWatchers, ...otherWatchers.map((w) => w.socket)];
  for (let start = 0; start < all.length; start += 200) await Promise.all(all.slice(start, start + 200).map((socket) => socket.close()));

  const hotLast = median(rounds.map((round) => round.hotLastMs));
  const othersLatency = medianOf(rounds.map((round) => round.others));
  const othersAlone = medianOf(alone.map((phase) => phase.others));
  const missing = [...rounds, ...alone].reduce((sum, round) => sum + round.missing, 0);
  const rows: Row[] = [
    { metric: 'hot user watchers', value: `${params.hotWatchers}${quick ? ' (--quick)' : ''}` },
    { metric: 'functions run in', value: bench.options.functionIsolation === 'thread' ? 'a worker thread each' : 'one process' },
    { metric: 'last hot watcher has the change (median of rounds)', value: ms(hotLast), target: '< 10 s', ok: hotLast < 10_000 },
    { metric: `other users' watchers p50 (${params.others} users x ${params.otherWatchers})`, value: ms(othersLatency.p50) },
    { metric: "other users' watchers p99", value: ms(othersLatency.p99), target: '< 1 s', ok: othersLatency.p99 < 1_000 },
    { metric: 'the others alone (popular user quiet): p50 / p99', value: `${ms(othersAlone.p50)} / ${ms(othersAlone.p99)}` },
    {
      metric: `frames to the others' watchers per phase, with / alone (of ${params.others * params.otherWatchers} changes x watchers)`,
      value: `${median(rounds.map((round) => round.otherFrames))} / ${median(alone.map((phase) => phase.otherFrames))}`,
    },
    { metric: "other users' changes missing", value: String(missing), target: '0', ok: missing === 0 },
  ];
  return {
    rows,
    failure: missing === 0 ? undefined : `${missing} changes of the other users never arrived`,
    result: {
      parameters: { ...params, graceSeconds: bench.options.graceSeconds, functionIsolation: bench.options.functionIsolation },
      hotLastWatcherMs: Math.round(hotLast),
      othersMs: othersLatency,
      othersAloneMs: othersAlone,
      missing,
      rounds: rounds.map((round) => ({ ...round, hotLastMs: Math.round(round.hotLastMs), hotMedianMs: Math.round(round.hotMedianMs) })),
      alone,
    },
  };
};
