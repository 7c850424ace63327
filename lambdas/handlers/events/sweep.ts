/** The sweeper, on a schedule (EventBridge every minute on AWS; PRESENCE_SWEEP_SECONDS locally). */
import { Sweeper } from '../../domain/sweeper';
import { connectionServiceWith } from '../../shared/dependencies/connection-service';
import { connectionGateway } from '../../shared/dependencies/connections';
import { clock, once } from '../../shared/dependencies/core';
import { graceTimer } from '../../shared/dependencies/grace-queue';
import { dueUsers, presenceService, presenceStore } from '../../shared/dependencies/presence-table';
import { observed } from '../../middleware/observability';
import { logger } from '../../shared/logger';
import { count } from '../../shared/metrics';

const connectionService = connectionServiceWith({ graceTimer }, 'sweep');

const sweeper = once(
  () =>
    new Sweeper({
      due: dueUsers(),
      store: presenceStore(),
      presence: presenceService(),
      connections: connectionService(),
      gateway: connectionGateway(),
      clock,
      log: (message, fields) => logger.warn(message, fields),
    }),
);

export const handler = observed(async (): Promise<void> => {
  const report = await sweeper().sweep();
  count('SweepUsersSettled', report.usersChecked);
  count('SweepUsersFailed', report.usersFailed);
  count('SweepConnectionsClosed', report.connectionsClosed);
  count('ConnectionsClosed', report.connectionsClosed);
  if (report.usersChecked > 0) logger.info('sweep', { ...report });
});
