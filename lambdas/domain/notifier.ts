/**
 * Fan-out: delivers decided presence changes to every connection watching the changed users,
 * one frame per connection carrying all of its changes (coalesced), with bounded concurrency.
 */
import { forEachLimited } from './concurrency';
import type { PresenceChange } from './presence';
import { changeJson } from './protocol';
import type { ConnectionGateway, ConnectionRegistry, PostResult } from '../ports';

/** At most ~130 bytes each: 100 changes stay far below API Gateway's 32 KB frame limit. */
export const MAX_CHANGES_PER_FRAME = 100;

export interface NotifyReport {
  readonly framesSent: number;
  readonly connectionsGone: number;
  /** Users whose change could not be delivered to every watcher (to be retried). */
  readonly failedUserIds: ReadonlySet<string>;
}

/** The newest change per user: an older one in the same batch is already superseded. */
export const latestPerUser = (changes: readonly PresenceChange[]): PresenceChange[] => {
  const latest = new Map<string, PresenceChange>();
  for (const change of changes) {
    const seen = latest.get(change.userId);
    if (seen === undefined || seen.changedAt <= change.changedAt) latest.set(change.userId, change);
  }
  return [...latest.values()];
};

export class Notifier {
  constructor(
    private readonly deps: {
      readonly registry: Pick<ConnectionRegistry, 'watchers'>;
      readonly gateway: Pick<ConnectionGateway, 'post'>;
      /** Called for a connection API Gateway says is gone (410), with its user. */
      readonly onGone: (connectionId: string, userId: string) => Promise<void>;
      readonly concurrency?: number;
      /** Frames are flushed once this many connections are pending, to bound memory for hot users. */
      readonly flushAt?: number;
      readonly log?: (message: string, fields: Record<string, unknown>) => void;
    },
  ) {}

  /**
   * API Gateway closes a connection that is sent a frame over 32 KB (code 1009): a connection
   * watching many users that changed at once gets several frames of at most 100 changes (~13 KB).
   */
  private async postInChunks(connectionId: string, changes: readonly PresenceChange[]): Promise<PostResult> {
    for (let start = 0; start < changes.length; start += MAX_CHANGES_PER_FRAME) {
      const presences = changes.slice(start, start + MAX_CHANGES_PER_FRAME).map(changeJson);
      if ((await this.deps.gateway.post(connectionId, { type: 'presence', presences })) === 'gone') return 'gone';
    }
    return 'delivered';
  }

  async notify(changes: readonly PresenceChange[]): Promise<NotifyReport> {
    const report = { framesSent: 0, connectionsGone: 0, failedUserIds: new Set<string>() };
    let pending = new Map<string, { userId: string; changes: PresenceChange[] }>();
    const flush = async () => {
      const frames = [...pending.entries()];
      pending = new Map();
      await forEachLimited(frames, this.deps.concurrency ?? 32, async ([connectionId, frame]) => {
        try {
          const result = await this.postInChunks(connectionId, frame.changes);
          if (result === 'gone') {
            report.connectionsGone += 1;
            await this.deps.onGone(connectionId, frame.userId);
          } else report.framesSent += 1;
        } catch (error) {
          frame.changes.forEach((change) => report.failedUserIds.add(change.userId));
          this.deps.log?.('post failed', { connectionId, error: (error as Error).message });
        }
      });
    };
    for (const change of latestPerUser(changes)) {
      try {
        for await (const page of this.deps.registry.watchers(change.userId)) {
          for (const watcher of page) {
            const frame = pending.get(watcher.connectionId) ?? { userId: watcher.userId, changes: [] };
            frame.changes.push(change);
            pending.set(watcher.connectionId, frame);
          }
          if (pending.size >= (this.deps.flushAt ?? 5_000)) await flush();
        }
      } catch (error) {
        report.failedUserIds.add(change.userId);
        this.deps.log?.('watchers query failed', { userId: change.userId, error: (error as Error).message });
      }
    }
    await flush();
    return report;
  }
}
