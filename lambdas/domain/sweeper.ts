/**
 * The sweeper: re-checks users whose lease deadline or grace end has passed, so a connection that
 * went silent (no `$disconnect`, a dead network) still turns its user offline. It reads only the
 * users that are due (a sparse, sharded index by time bucket), never the whole table, and per
 * shard it resumes from a watermark (the last bucket swept completely), so no outage is too long
 * to catch up. Shards are independent: each can be swept by its own worker.
 */

import type { Clock, ConnectionGateway, PresenceStore, SweepIndex } from '../ports';
import { forEachLimited } from './concurrency';
import type { ConnectionService } from './connection-service';
import { assertIsError } from './errors';
import { type Lease, reviveLease, settle } from './presence';
import type { PresenceService } from './presence-service';
import { bucketsToSweep, lastClosedBucket } from './sweep';

/** Users re-checked at once: enough to finish a sweep well within the minute, gentle on DynamoDB. */
const SWEEP_CONCURRENCY = 16;

export interface SweepSettings {
  readonly shards: number;
  readonly bucketMs: number;
  /** How long after its end a bucket may still receive writes (index propagation, clock skew). */
  readonly settleMs: number;
  /** Where a shard without a watermark starts, in buckets back from now. */
  readonly firstSweepBuckets: number;
}

/** What a sweep did: the handler logs it and turns it into metrics (failures and backlog age alarm). */
export interface SweepReport {
  readonly usersChecked: number;
  /** Users whose re-check threw (logged each); they stay due and a later sweep retries them. */
  readonly usersFailed: number;
  readonly connectionsClosed: number;
  readonly connectionsRevived: number;
  readonly changes: number;
  /** (bucket, shard) slots read completely. */
  readonly slotsRead: number;
  /** Slots whose index read failed (logged); a later sweep reads them again. */
  readonly slotsFailed: number;
  /** Shards whose watermark could not be read or written (logged). */
  readonly shardsFailed: number;
  /**
   * Age of the oldest bucket not swept completely yet (ms), the largest over the shards swept:
   * about one bucket plus the settle time when the sweeper keeps up; growing when it does not.
   */
  readonly backlogAgeMs: number;
}

type Counts = { -readonly [K in keyof SweepReport]: SweepReport[K] };

const emptyReport = (): Counts => ({
  usersChecked: 0,
  usersFailed: 0,
  connectionsClosed: 0,
  connectionsRevived: 0,
  changes: 0,
  slotsRead: 0,
  slotsFailed: 0,
  shardsFailed: 0,
  backlogAgeMs: 0,
});

/** Adds up shard reports (the backlog age is the largest). */
export const mergeReports = (reports: readonly SweepReport[]): SweepReport =>
  reports.reduce<Counts>((sum, report) => {
    for (const key of Object.keys(sum) as (keyof Counts)[]) {
      sum[key] = key === 'backlogAgeMs' ? Math.max(sum[key], report[key]) : sum[key] + report[key];
    }
    return sum;
  }, emptyReport());

export class Sweeper {
  constructor(
    private readonly deps: {
      readonly index: SweepIndex;
      readonly settings: SweepSettings;
      readonly store: Pick<PresenceStore, 'load'>;
      readonly presence: PresenceService;
      readonly connections: Pick<ConnectionService, 'closeSilent'>;
      readonly gateway: ConnectionGateway;
      readonly clock: Clock;
      readonly log?: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {}

  /** Every shard, side by side. */
  async sweep(options: { readonly deadline?: number } = {}): Promise<SweepReport> {
    const shards = Array.from({ length: Math.max(1, this.deps.settings.shards) }, (_, shard) => shard);
    return mergeReports(await Promise.all(shards.map((shard) => this.sweepShard(shard, options))));
  }

  /**
   * One shard, from just after its watermark to now, oldest bucket first; the watermark moves to
   * the last bucket that is closed (no write can still land in it) and was swept without a
   * failure, as were all before it. A failed user or slot holds it there, so the next sweep reads
   * that bucket again (the users settled meanwhile have left it). Stops starting new buckets at
   * `deadline`, keeping what it finished.
   */
  async sweepShard(shard: number, options: { readonly deadline?: number } = {}): Promise<SweepReport> {
    const report = emptyReport();
    const { bucketMs, settleMs, firstSweepBuckets } = this.deps.settings;
    const now = this.deps.clock();
    try {
      const mark = await this.deps.index.watermark(shard);
      const { from, to } = bucketsToSweep(mark, now, bucketMs, firstSweepBuckets);
      const closed = lastClosedBucket(now, bucketMs, settleMs);
      let complete = mark ?? from - 1;
      let gapless = true;
      for (let bucket = from; bucket <= to; bucket += 1) {
        if (options.deadline !== undefined && this.deps.clock() >= options.deadline) break;
        const clean = await this.sweepSlot(bucket, shard, now, report);
        gapless &&= clean;
        if (gapless && bucket <= closed) complete = bucket;
      }
      report.backlogAgeMs = Math.max(0, now - (complete + 1) * bucketMs);
      if (complete !== (mark ?? from - 1)) await this.deps.index.advance(shard, complete);
    } catch (error) {
      assertIsError(error);
      report.shardsFailed += 1;
      this.deps.log?.('sweeping a shard failed', { shard, error: error.message, errorName: error.name });
    }
    return report;
  }

  /** @returns whether every due user of the slot was read and settled. */
  private async sweepSlot(bucket: number, shard: number, now: number, report: Counts): Promise<boolean> {
    const failedBefore = report.usersFailed;
    try {
      for await (const userIds of this.deps.index.due(bucket, shard, now)) {
        await forEachLimited(userIds, SWEEP_CONCURRENCY, (userId) => this.sweepIsolated(userId, now, report));
      }
    } catch (error) {
      assertIsError(error);
      report.slotsFailed += 1;
      this.deps.log?.('reading the sweep index failed', { bucket, shard, error: error.message, errorName: error.name });
      return false;
    }
    report.slotsRead += 1;
    return report.usersFailed === failedBefore;
  }

  /** One user's failure (a throttled call, an exhausted version race) is counted and logged; the others go on. */
  private async sweepIsolated(userId: string, now: number, report: Counts): Promise<void> {
    report.usersChecked += 1;
    try {
      await this.sweepUser(userId, now, report);
    } catch (error) {
      assertIsError(error);
      report.usersFailed += 1;
      this.deps.log?.('sweeping a user failed', { userId, error: error.message, errorName: error.name });
    }
  }

  private async sweepUser(userId: string, now: number, report: Counts): Promise<void> {
    const state = await this.deps.store.load(userId);
    const expired = Object.entries(state.leases).filter(([, lease]) => lease.kind === 'ws' && lease.expiresAt <= now);
    for (const [connectionId, lease] of expired) {
      const verdict = await this.checkConnection(connectionId, lease, now);
      if (verdict.alive) {
        const { change } = await this.deps.presence.apply(userId, (current, at, policy) =>
          reviveLease(current, connectionId, verdict.lastActiveAt, at, policy),
        );
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
          assertIsError(error);
          // The user is offline already; the socket stays open until API Gateway's idle timeout
          // (10 min after its last frame) unless the client speaks again, which opens a new lease.
          this.deps.log?.('closing a silent connection failed', { connectionId, error: error.message });
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
