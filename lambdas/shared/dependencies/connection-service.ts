/**
 * The connection service of one WebSocket handler, wired with the capabilities that handler has:
 * `$connect` needs neither the database nor the grace queue, `subscribe` needs the database,
 * `$disconnect` the grace queue. Ports left out are `notWired` and fail loudly if ever called.
 */
import { ConnectionService } from '../../domain/connection-service';
import type { GraceTimer, UserDirectory } from '../../ports';
import { clock, notWired, once } from './core';
import { connectionRegistry, presenceService, presenceStore } from './presence-table';

export interface ConnectionServiceParts {
  /** Needed to subscribe (which ids are known users). */
  readonly directory?: () => Pick<UserDirectory, 'findMany'>;
  /** Needed to disconnect (the offline grace). */
  readonly graceTimer?: () => GraceTimer;
}

export const connectionServiceWith = (parts: ConnectionServiceParts, handlerHint: string): (() => ConnectionService) =>
  once(() => {
    const { directory, graceTimer } = parts;
    return new ConnectionService({
      presence: presenceService(),
      store: presenceStore(),
      registry: connectionRegistry(),
      // Resolved on first use: configuration is read only by the routes that use it.
      directory: directory ? { findMany: (ids) => directory().findMany(ids) } : notWired('the user directory', handlerHint),
      graceTimer: graceTimer ? { schedule: (userId, at) => graceTimer().schedule(userId, at) } : notWired('the grace timer', handlerHint),
      clock,
    });
  });
