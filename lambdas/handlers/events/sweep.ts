/** The sweeper, on a schedule (EventBridge every minute on AWS; PRESENCE_SWEEP_SECONDS locally). */
import type { Context } from 'aws-lambda';
import { type SweepReport, Sweeper } from '../../domain/sweeper';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { connectionGateway } from '../../shared/dependencies/connections';
import { clock, once } from '../../shared/dependencies/core';
import { graceTimer } from '../../shared/dependencies/grace-queue';
import { presenceService, presenceStore, sweepIndex, sweepSettings } from '../../shared/dependencies/presence-table';
import { observed } from '../../middleware/observability';
import { logger } from '../../shared/logger';
import { count, sample } from '../../shared/metrics';

const connectionService = connectionServiceWith({ graceTimer }, 'sweep');

const sweeper = once(
  () =>
    new Sweeper({
      index: sweepIndex(),
      settings: sweepSettings(),
      store: presenceStore(),
      presence: presenceService(),
      connections: connectionService(),
      gateway: connectionGateway(),
      clock,
      log: (message, fields) => logger.warn(message, fields),
    }),
);

/** Margin kept before the function's timeout: buckets not started by then wait for the next run. */
const STOP_BEFORE_TIMEOUT_MS = 10_000;

export const handler = observed(async (_event: unknown, context: Context): Promise<SweepReport> => {
  const report = await sweeper().sweep({ deadline: Date.now() + context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS });
  count('SweepUsersSettled', report.usersChecked - report.usersFailed);
  count('SweepUsersFailed', report.usersFailed);
  count('SweepConnectionsClosed', report.connectionsClosed);
  count('ConnectionsClosed', report.connectionsClosed);
  // The backlog alarm: the age of the oldest bucket not swept completely (failed slots and shards hold it back).
  sample('SweepBacklogAge', report.backlogAgeMs);
  if (report.usersChecked > 0 || report.usersFailed + report.slotsFailed + report.shardsFailed > 0) logger.info('sweep', { ...report });
  return report;
});
