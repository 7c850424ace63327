/**
 * `heartbeat`: N connections send `heartbeat` every lease / 2.5 (the contract's 60 s for a 150 s
 * lease, scaled down) with random phases. Each frame renews the lease with an eventually
 * consistent read, and writes it only when half a lease has passed since the last write: the
 * target is at most 0.5 lease writes per heartbeat.
 */
import { type Counts, diff } from '../lib/meter';
import { BenchSocket } from '../lib/socket';
import { mapLimited, median, sleep } from '../lib/stats';
import type { Row, Scenario } from './types';

const sum = (counts: Counts, match: (key: string) => boolean, field: 'calls' | 'rru' | 'wru' | 'gsiWru'): number =>
  Object.entries(counts)
    .filter(([key]) => match(key))
    .reduce((total, [, tally]) => total + tally[field], 0);

export const heartbeat: Scenario = async ({ bench, quick, log }) => {
  const leaseMs = bench.options.leaseSeconds * 1000;
  const heartbeatSeconds = bench.options.leaseSeconds / 2.5;
  // A connection writes its lease every ceil((L/2) / h) heartbeats: windows are a whole number of
  // those periods, so every connection contributes the same count to every window.
  const writePeriodSeconds = heartbeatSeconds * Math.ceil(bench.options.leaseSeconds / 2 / heartbeatSeconds);
  const params = {
    connections: quick ? 60 : 200,
    leaseSeconds: bench.options.leaseSeconds,
    heartbeatSeconds,
    windows: quick ? 1 : 4,
    windowSeconds: writePeriodSeconds * 2,
  };
  const intervalMs = params.heartbeatSeconds * 1000;
  const users = await bench.createUsers('heartbeat_', params.connections);
  const sockets = await mapLimited(users, 16, (user) => BenchSocket.open(bench.stack.wsUrl, user.token));
  log(
    `  ${params.connections} connections, heartbeat every ${params.heartbeatSeconds} s, lease ${params.leaseSeconds} s; ${params.windows} windows of ${params.windowSeconds} s`,
  );

  let replies = 0;
  let failures = 0;
  let running = true;
  const loops = sockets.map(async (socket, index) => {
    // Random phase, so heartbeats spread over the interval as real clients' do.
    await sleep((((index * 7919) % params.connections) / params.connections) * intervalMs);
    while (running) {
      const started = Date.now();
      try {
        const reply = await socket.request({ action: 'heartbeat' });
        if (reply.type === 'heartbeat') replies += 1;
        else failures += 1;
      } catch {
        failures += 1;
      }
      await sleep(Math.max(0, started + intervalMs - Date.now()));
    }
  });

  // One lease of warm-up: every connection past its first renewal, the pattern in steady state.
  await sleep(leaseMs);
  const windows: {
    heartbeats: number;
    leaseWrites: number;
    wru: number;
    gsiWru: number;
    rru: number;
    invocations: number;
    peeks: number;
  }[] = [];
  for (let window = 0; window < params.windows; window += 1) {
    const before = bench.meter.snapshot();
    const repliesBefore = replies;
    await sleep(params.windowSeconds * 1000);
    const counts = diff(bench.meter.snapshot(), before);
    const heartbeats = replies - repliesBefore;
    const isWrite = (key: string) => key.startsWith('dynamodb|PutItem U#');
    const entry = {
      heartbeats,
      leaseWrites: sum(counts, isWrite, 'calls'),
      wru: sum(counts, (key) => key.startsWith('dynamodb|'), 'wru'),
      gsiWru: sum(counts, (key) => key.startsWith('dynamodb|'), 'gsiWru'),
      rru: sum(counts, (key) => key.startsWith('dynamodb|'), 'rru'),
      invocations: counts['lambda|wsHeartbeat']?.calls ?? 0,
      peeks: sum(counts, (key) => key.includes('(projection, EC)'), 'calls'),
    };
    windows.push(entry);
    log(
      `  window ${window + 1}/${params.windows}: ${heartbeats} heartbeats, ${entry.leaseWrites} lease writes (${(entry.leaseWrites / Math.max(1, heartbeats)).toFixed(3)} per heartbeat)`,
    );
  }
  running = false;
  await Promise.all(loops);
  await mapLimited(sockets, 32, (socket) => socket.close());

  const ratio = (pick: (w: (typeof windows)[number]) => number) => median(windows.map((w) => pick(w) / Math.max(1, w.heartbeats)));
  const writesPerHeartbeat = ratio((w) => w.leaseWrites);
  // Steady state with heartbeat h and lease L: a write every ceil((L/2) / h) heartbeats.
  const expected = 1 / Math.ceil(leaseMs / 2 / intervalMs);
  const rows: Row[] = [
    {
      metric: 'lease writes per heartbeat (median of windows)',
      value: writesPerHeartbeat.toFixed(3),
      target: '<= 0.5',
      ok: writesPerHeartbeat <= 0.5 + 0.02,
    },
    { metric: 'expected from the rule (1 / ceil(L/2 / h))', value: expected.toFixed(3) },
    { metric: 'DynamoDB calls per heartbeat: lease peeks (EC read)', value: ratio((w) => w.peeks).toFixed(3) },
    {
      metric: 'WRU per heartbeat (table + sweep index)',
      value: `${ratio((w) => w.wru).toFixed(3)} + ${ratio((w) => w.gsiWru).toFixed(3)}`,
    },
    { metric: 'RRU per heartbeat (as DynamoDB Local reports)', value: ratio((w) => w.rru).toFixed(3) },
    { metric: 'Lambda invocations per heartbeat', value: ratio((w) => w.invocations).toFixed(3) },
  ];
  if (failures > 0) rows.push({ metric: 'heartbeats without a reply', value: String(failures), ok: false });
  return {
    rows,
    failure: failures > 0 ? `${failures} heartbeats got no heartbeat reply` : undefined,
    result: {
      parameters: params,
      leaseWritesPerHeartbeat: Number(writesPerHeartbeat.toFixed(4)),
      expectedLeaseWritesPerHeartbeat: expected,
      perHeartbeat: {
        leasePeeks: Number(ratio((w) => w.peeks).toFixed(4)),
        wru: Number(ratio((w) => w.wru).toFixed(4)),
        gsiWru: Number(ratio((w) => w.gsiWru).toFixed(4)),
        rru: Number(ratio((w) => w.rru).toFixed(4)),
        lambdaInvocations: Number(ratio((w) => w.invocations).toFixed(4)),
      },
      windows,
    },
  };
};
