/**
 * `notify`: A actors, W watchers each subscribed to S random actors. Actors connect, stay online
 * for a moment, then close, at a steady rate. Every (watcher, actor, transition) must arrive:
 * latency is measured from the actor's connect/close call to the watcher's frame.
 */

import { cpus } from 'node:os';
import { diff } from '../lib/meter';
import { BenchSocket } from '../lib/socket';
import { distribution, histogram, mapLimited, medianOf, now, sample, seededRandom, sleep } from '../lib/stats';
import { latencySvg } from '../lib/svg';
import { ms, type Row, type Scenario } from './types';

interface Transition {
  readonly actor: number;
  readonly status: 'online' | 'offline';
  /** When the bench called connect / close (ms, sub-ms). */
  readonly at: number;
}

const BIN_MS = 5;
const BINS = 200;

export const notify: Scenario = async ({ bench, quick, log }) => {
  const params = quick
    ? { actors: 60, watchers: 20, perWatcher: 10, ratePerSecond: 12, holdMs: 1_500, runs: 2 }
    : { actors: 150, watchers: 100, perWatcher: 20, ratePerSecond: 10, holdMs: 2_000, runs: 3 };
  const random = seededRandom(42);
  const actors = await bench.createUsers('notify_actor_', params.actors);
  const watcherUsers = await bench.createUsers('notify_watcher_', params.watchers);
  log(
    `  ${params.actors} actors, ${params.watchers} watchers x ${params.perWatcher} subscriptions, ${params.ratePerSecond} connects/s, online for ${params.holdMs} ms, ${params.runs} runs`,
  );

  const watchers = await mapLimited(watcherUsers, 8, async (user) => {
    const socket = await BenchSocket.open(bench.stack.wsUrl, user.token);
    const watched = sample(
      actors.map((_, index) => index),
      params.perWatcher,
      random,
    );
    await socket.subscribe(watched.map((index) => actors[index].id));
    return { socket, watched };
  });
  const watchersOf = actors.map((_, actor) => watchers.filter((watcher) => watcher.watched.includes(actor)));
  log(`  watchers connected and subscribed`);

  // Warm-up: the first invocations build SDK clients and JIT the paths; they are not measured.
  await runCycle(
    bench.stack.wsUrl,
    actors.slice(0, 5).map((actor, index) => ({ actor: index, token: actor.token })),
    20,
    300,
  );
  await sleep(1_500);
  watchers.forEach((watcher) => (watcher.socket.presence.length = 0));

  const runs: {
    latencies: number[];
    byStatus: Record<'online' | 'offline', number[]>;
    decidedToDelivered: number[];
    changeToDecided: number[];
    expected: number;
    delivered: number;
    missing: string[];
    unexpected: number;
    frames: number;
    events: number;
    notifyInvocations: number;
    notifyRecords: number;
  }[] = [];
  for (let run = 1; run <= params.runs; run += 1) {
    const before = bench.meter.snapshot();
    const order = sample(
      actors.map((_, index) => index),
      actors.length,
      random,
    );
    const transitions = await runCycle(
      bench.stack.wsUrl,
      order.map((actor) => ({ actor, token: actors[actor].token })),
      params.ratePerSecond,
      params.holdMs,
    );
    const expected = transitions.reduce((sum, transition) => sum + watchersOf[transition.actor].length, 0);
    // Wait until every watcher has every transition, or 15 s of silence say it never will.
    const deadline = Date.now() + 15_000;
    let outcome = match(
      transitions,
      watchers,
      watchersOf,
      actors.map((a) => a.id),
    );
    while (outcome.delivered < expected && Date.now() < deadline) {
      await sleep(250);
      outcome = match(
        transitions,
        watchers,
        watchersOf,
        actors.map((a) => a.id),
      );
    }
    await sleep(500);
    const counts = diff(bench.meter.snapshot(), before);
    const frames = watchers.reduce((sum, watcher) => sum + watcher.socket.presence.length, 0);
    const events = watchers.reduce((sum, watcher) => sum + watcher.socket.presence.reduce((n, frame) => n + frame.presences.length, 0), 0);
    runs.push({
      ...outcome,
      expected,
      frames,
      events,
      notifyInvocations: counts['lambda|notify']?.calls ?? 0,
      notifyRecords: counts['lambda|notify']?.items ?? 0,
    });
    const summary = distribution(outcome.latencies);
    log(
      `  run ${run}/${params.runs}: delivered ${outcome.delivered}/${expected}, p50 ${ms(summary.p50)}, p99 ${ms(summary.p99)}, max ${ms(summary.max)}`,
    );
    watchers.forEach((watcher) => (watcher.socket.presence.length = 0));
  }
  await Promise.all(watchers.map((watcher) => watcher.socket.close()));

  const pooled = runs.flatMap((run) => run.latencies);
  const perRun = runs.map((run) => distribution(run.latencies));
  const latency = medianOf(perRun);
  const expected = runs.reduce((sum, run) => sum + run.expected, 0);
  const delivered = runs.reduce((sum, run) => sum + run.delivered, 0);
  const missing = runs.flatMap((run) => run.missing);
  const unexpected = runs.reduce((sum, run) => sum + run.unexpected, 0);
  const decided = distribution(runs.flatMap((run) => run.decidedToDelivered));
  const online = medianOf(runs.map((run) => distribution(run.byStatus.online)));
  const offline = medianOf(runs.map((run) => distribution(run.byStatus.offline)));
  const toDecision = distribution(runs.flatMap((run) => run.changeToDecided));
  const frames = runs.reduce((sum, run) => sum + run.frames, 0);
  const events = runs.reduce((sum, run) => sum + run.events, 0);
  const invocations = runs.reduce((sum, run) => sum + run.notifyInvocations, 0);
  const records = runs.reduce((sum, run) => sum + run.notifyRecords, 0);
  const ratio = delivered / expected;
  const hist = histogram(pooled, BIN_MS, BINS);

  const rows: Row[] = [
    {
      metric: 'delivered / expected',
      value: `${delivered} / ${expected} (${(ratio * 100).toFixed(2)} %)`,
      target: '100 %',
      ok: delivered === expected,
    },
    {
      metric: 'latency p50 (median of runs)',
      value: ms(latency.p50),
      target: '< 1 s after the change is decided',
      ok: latency.p50 < 1_000,
    },
    { metric: 'latency p95', value: ms(latency.p95) },
    { metric: 'latency p99', value: ms(latency.p99), target: '< 10 s at the very worst', ok: latency.p99 < 10_000 },
    { metric: 'latency max (median of runs)', value: ms(latency.max) },
    { metric: 'connect -> watcher has "online" p50 / p99', value: `${ms(online.p50)} / ${ms(online.p99)}` },
    { metric: 'disconnect -> watcher has "offline" p50 / p99 (grace 0)', value: `${ms(offline.p50)} / ${ms(offline.p99)}` },
    { metric: 'change -> decided (changedAt) p50 / p99', value: `${ms(toDecision.p50)} / ${ms(toDecision.p99)}` },
    { metric: 'decided -> delivered p50 / p99', value: `${ms(decided.p50)} / ${ms(decided.p99)}` },
    { metric: 'events per presence frame (coalescing)', value: (events / Math.max(1, frames)).toFixed(2) },
    { metric: 'stream records per notify invocation', value: (records / Math.max(1, invocations)).toFixed(2) },
  ];
  if (unexpected > 0) rows.push({ metric: 'extra events (duplicates, or matching no transition)', value: String(unexpected) });

  return {
    rows,
    failure:
      delivered === expected
        ? undefined
        : `notify delivered ${delivered} of ${expected} expected events; first missing: ${missing.slice(0, 5).join('; ')}`,
    result: {
      parameters: { ...params, graceSeconds: bench.options.graceSeconds },
      latencyMs: { medianOfRuns: latency, pooled: distribution(pooled), perRun, onlineMedianOfRuns: online, offlineMedianOfRuns: offline },
      changeToDecidedMs: toDecision,
      decidedToDeliveredMs: decided,
      delivered,
      expected,
      deliveredRatio: ratio,
      missingExamples: missing.slice(0, 10),
      unexpectedEvents: unexpected,
      presenceFrames: frames,
      presenceEvents: events,
      notifyInvocations: invocations,
      streamRecordsPerInvocation: Number((records / Math.max(1, invocations)).toFixed(2)),
      histogram: { binMs: hist.binMs, counts: trimTrailingZeros(hist.counts) },
    },
    files: {
      'notify-latency.svg': latencySvg({
        title: `Notify latency: actor connect/close call -> watcher frame (${pooled.length} events, ${params.runs} runs)`,
        subtitle: `${params.actors} actors, ${params.watchers} watchers x ${params.perWatcher}, ${params.ratePerSecond} connects/s, grace ${bench.options.graceSeconds} s, local stack on ${cpus().length} cores`,
        samples: pooled,
        binMs: BIN_MS,
      }),
    },
  };
};

/** Each actor connects at its slot of a steady schedule, stays online `holdMs`, then closes. */
const runCycle = async (
  wsUrl: string,
  plan: readonly { actor: number; token: string }[],
  ratePerSecond: number,
  holdMs: number,
): Promise<Transition[]> => {
  const transitions: Transition[] = [];
  const start = now();
  await Promise.all(
    plan.map(async ({ actor, token }, slot) => {
      const wait = start + (slot * 1000) / ratePerSecond - now();
      if (wait > 0) await sleep(wait);
      const connectAt = now();
      const socket = await BenchSocket.open(wsUrl, token);
      transitions.push({ actor, status: 'online', at: connectAt });
      await sleep(Math.max(0, connectAt + holdMs - now()));
      const closeAt = now();
      transitions.push({ actor, status: 'offline', at: closeAt });
      await socket.close();
    }),
  );
  return transitions;
};

/**
 * Pairs each expected (watcher, transition) with the watcher's first event about that actor and
 * status decided at or after the transition and before the actor's next one.
 */
const match = (
  transitions: readonly Transition[],
  watchers: readonly { socket: BenchSocket; watched: number[] }[],
  watchersOf: readonly (readonly { socket: BenchSocket }[])[],
  actorIds: readonly string[],
) => {
  const byActor = new Map<number, Transition[]>();
  for (const transition of transitions) byActor.set(transition.actor, [...(byActor.get(transition.actor) ?? []), transition]);
  byActor.forEach((list) => list.sort((a, b) => a.at - b.at));
  const latencies: number[] = [];
  const byStatus: Record<'online' | 'offline', number[]> = { online: [], offline: [] };
  const decidedToDelivered: number[] = [];
  const changeToDecided: number[] = [];
  const missing: string[] = [];
  let delivered = 0;
  for (const [actor, list] of byActor) {
    const userId = actorIds[actor];
    list.forEach((transition, index) => {
      const next = list[index + 1]?.at ?? Number.POSITIVE_INFINITY;
      for (const watcher of watchersOf[actor]) {
        let found: { at: number; changedAt: number } | undefined;
        for (const frame of watcher.socket.presence) {
          const event = frame.presences.find((candidate) => {
            if (candidate.userId !== userId || candidate.status !== transition.status) return false;
            const changedAt = Date.parse(candidate.changedAt);
            // changedAt has ms resolution; the transition time has sub-ms: allow the rounding.
            return changedAt >= Math.floor(transition.at) && changedAt < next;
          });
          if (event !== undefined) {
            found = { at: frame.at, changedAt: Date.parse(event.changedAt) };
            break;
          }
        }
        if (found === undefined) {
          missing.push(`${transition.status} of actor ${userId} at ${new Date(transition.at).toISOString()}`);
          continue;
        }
        delivered += 1;
        latencies.push(found.at - transition.at);
        byStatus[transition.status as 'online' | 'offline'].push(found.at - transition.at);
        decidedToDelivered.push(found.at - found.changedAt);
        changeToDecided.push(found.changedAt - transition.at);
      }
    });
  }
  const watchedEvents = watchers.reduce(
    (sum, watcher) =>
      sum +
      watcher.socket.presence.reduce(
        (n, frame) => n + frame.presences.filter((event) => watcher.watched.some((actor) => actorIds[actor] === event.userId)).length,
        0,
      ),
    0,
  );
  return {
    latencies,
    byStatus,
    decidedToDelivered,
    changeToDecided,
    delivered,
    missing,
    unexpected: Math.max(0, watchedEvents - delivered),
  };
};

const trimTrailingZeros = (counts: number[]): number[] => {
  let end = counts.length;
  while (end > 0 && counts[end - 1] === 0) end -= 1;
  return counts.slice(0, end);
};
