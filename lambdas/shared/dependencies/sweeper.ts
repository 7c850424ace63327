/** The sweeper, wired over the presence table, API Gateway's `@connections` and the grace queue. */
import { Sweeper } from '../../domain/sweeper';
import { logger } from '../logger';
import { connectionServiceWith } from './connection-service';
import { connectionGateway } from './connections';
import { clock, once } from './core';
import { graceTimer } from './grace-queue';
import { presenceService, presenceStore, sweepIndex, sweepSettings } from './presence-table';

const connectionService = connectionServiceWith({ graceTimer }, 'sweep');

export const sweeper = once(
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
