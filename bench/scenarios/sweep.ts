/**
 * `sweep`: the sweeper's capacity. N users each hold one WebSocket lease that ran out long ago on
 * a connection that is gone (a carrier outage that dropped sockets without `$disconnect`); the
 * sweep workers of every shard (the work of the sweep-shard handler, run side by side in this
 * process, as the local queue's consumers run them) settle them. Reported: users settled per
 * second, per shard worker, and the calls each user costs.
 */
import path from 'node:path';
import { emptyPresence, openLease } from '../../lambdas/domain/presence';
import type { Sweeper } from '../../lambdas/domain/sweeper';
import { presencePolicy } from '../../lambdas/shared/dependencies/core';
import { presenceStore, sweepSettings } from '../../lambdas/shared/dependencies/presence-table';
import { diff } from '../lib/meter';
import { mapLimited, median, now } from '../lib/stats';
import type { Row, Scenario } from './types';

export const sweep: Scenario = async ({ bench, quick, log }) => {
  const params = quick ? { users: 300, runs: 1 } : { users: 1_000, runs: 3 };
  const sweeperFile = path.resolve(__dirname, '../../lambdas/shared/dependencies/sweeper.ts');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { sweeper } = require(sweeperFile) as { sweeper: () => Sweeper };
  const shards = sweepSettings().shards;
  const invoke = () => sweeper().sweep({ deadline: Date.now() + 15 * 60_000 });
  await invoke();

  const runs: { users: number; seconds: number; perSecond: number; callsPerUser: number }[] = [];
  for (let round = 1; round <= params.runs; round += 1) {
    // Leases that ran out ten minutes ago, on connections API Gateway no longer knows (410).
    const past = Date.now() - 10 * 60_000;
    const policy = presencePolicy();
    await mapLimited(
      Array.from({ length: params.users }, (_, n) => n),
      32,
      async (n) => {
        const userId = `sweep${round}_${n}`;
        await presenceStore().save(
          openLease(emptyPresence(userId), `g${round}${String(n).padStart(7, '0')}AAAAAA=`, 'ws', past, policy).state,
          null,
        );
      },
    );
    const before = bench.meter.snapshot();
    const started = now();
    const report = await invoke();
    const seconds = (now() - started) / 1000;
    const counts = diff(bench.meter.snapshot(), before);
    const calls = Object.entries(counts)
      .filter(([key]) => key.startsWith('dynamodb'))
      .reduce((sum, [, c]) => sum + c.calls, 0);
    // The stack's own scheduled sweep may take some of them first: the rate counts what this invocation settled.
    if (report.usersFailed > 0) throw new Error(`sweep: ${report.usersFailed} of ${report.usersChecked} users failed`);
    runs.push({ users: report.usersChecked, seconds, perSecond: report.usersChecked / seconds, callsPerUser: calls / report.usersChecked });
    log(
      `  run ${round}: ${report.usersChecked} users settled in ${seconds.toFixed(1)} s (${(report.usersChecked / seconds).toFixed(0)}/s), ${(calls / report.usersChecked).toFixed(1)} DynamoDB calls each`,
    );
  }
  const perSecond = median(runs.map((r) => r.perSecond));
  const rows: Row[] = [
    { metric: 'users due (lease ran out, connection gone)', value: String(params.users) },
    { metric: `users settled per second, ${shards} shard workers side by side (median)`, value: perSecond.toFixed(0) },
    { metric: 'users settled per second per shard worker (median)', value: (perSecond / shards).toFixed(0) },
    {
      metric: 'DynamoDB calls per user settled (+ GetConnection, DeleteConnection)',
      value: median(runs.map((r) => r.callsPerUser)).toFixed(1),
    },
  ];
  return { result: { params, shards, runs, medians: { usersPerSecond: perSecond, usersPerSecondPerWorker: perSecond / shards } }, rows };
};
