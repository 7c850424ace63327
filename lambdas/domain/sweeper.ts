/**
 * The sweeper: re-checks users whose lease deadline or grace end has passed, so a connection that
 * went silent (no `$disconnect`, a dead network) still turns its user offline. It reads only the
 * users that are due (a sparse, sharded index by time bucket), never the whole table.
 */
import { forEachLimited } from './concurrency';
import type { ConnectionService } from './connection-service';
import { type Lease, reviveLease, settle } from './presence';
import type { PresenceService } from './presence-service';
import type { Clock, ConnectionGateway, DueUsers, PresenceStore } from '../ports';

/** Users re-checked at once: enough to finish a sweep well within the minute, gentle on DynamoDB. */
const SWEEP_CONCURRENCY = 16;

export interface SweepReport {
  readonly usersChecked: number;
  /** Users whose re-check threw (logged each); they stay due and are retried by a later sweep. */
  readonly usersFailed: number;
  readonly connectionsClosed: number;
  readonly connectionsRevived: number;
  readonly changes: number;
}

type Counts = { -readonly [K in keyof SweepReport]: SweepReport[K] };

export class Sweeper {
  constructor(
    private readonly deps: {
      readonly due: DueUsers;
      readonly store: Pick<PresenceStore, 'load'>;
      readonly presence: PresenceService;
      readonly connections: Pick<ConnectionService, 'closeSilent'>;
      readonly gateway: ConnectionGateway;
      readonly clock: Clock;
      readonly log?: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {}

  async sweep(): Promise<SweepReport> {
    const report: Counts = { usersChecked: 0, usersFailed: 0, connectionsClosed: 0, connectionsRevived: 0, changes: 0 };
    const now = this.deps.clock();
    for await (const userIds of this.deps.due.due(now)) {
      await forEachLimited(userIds, SWEEP_CONCURRENCY, (userId) => this.sweepIsolated(userId, now, report));
    }
    return report;
  }

  /** One user's failure (a throttled call, an exhausted version race) is counted and logged; the others go on. */
  private async sweepIsolated(userId: string, now: number, report: Counts): Promise<void> {
    report.usersChecked += 1;
    try {
      await this.sweepUser(userId, now, report);
    } catch (error) {
      report.usersFailed += 1;
      this.deps.log?.('sweeping a user failed', { userId, error: (error as Error).message, errorName: (error as Error).name });
    }
  }

  private async sweepUser(userId: string, now: number, report: Counts): Promise<void> {
    const state = await this.deps.store.load(userId);
    const expired = Object.entries(state.leases).filter(([, lease]) => lease.kind === 'ws' && lease.expiresAt <= now);
    for (const [connectionId, lease] of expired) {
      const verdict = await this.checkConnection(connectionId, lease, now);
      if (verdict.alive) {
        const { change } = await this.deps.presence.apply(userId, (current, at, policy) => reviveLease(current, connectionId, verdict.lastActiveAt, at, policy));
        report.connectionsRevived += 1;
        if (change !== null) report.changes += 1;
      } else {
        // No grace: the lease already waited. lastSeen is the connection's last frame. The state
        // changes before the socket closes, so the $disconnect that follows finds nothing to do;
        // a frame that arrived since the GetConnection renewed the lease, and then nothing closes.
        const { closed, change } = await this.deps.connections.closeSilent(connectionId, userId, lease.renewedAt, verdict.lastActiveAt);
        if (change !== null) report.changes += 1;
        if (!closed) continue;
        try {
          await this.deps.gateway.close(connectionId);
        } catch (error) {
          // The user is offline already; the socket stays open until API Gateway's idle timeout
          // (10 min after its last frame) unless the client speaks again, which opens a new lease.
          this.deps.log?.('closing a silent connection failed', { connectionId, error: (error as Error).message });
        }
        report.connectionsClosed += 1;
      }
    }
    const { change } = await this.deps.presence.apply(userId, (current, at, policy) => settle(current, at, policy));
    if (change !== null) report.changes += 1;
  }

  /**
   * Lease writes are skipped between renewals, so the lease can look expired while the client
   * kept talking: API Gateway knows its real last activity.
   */
  private async checkConnection(connectionId: string, lease: Lease, now: number): Promise<{ alive: boolean; lastActiveAt: number }> {
    const lastActiveAt = await this.deps.gateway.lastActiveAt(connectionId);
    if (lastActiveAt === null) return { alive: false, lastActiveAt: lease.renewedAt };
    const active = Math.max(lastActiveAt, lease.renewedAt);
    return { alive: active + this.deps.presence.policy.leaseMs > now, lastActiveAt: active };
  }
}
