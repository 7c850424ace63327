import type { PresenceChange } from '../domain/presence';

/** A presence change with the version of the item write that announced it (newer writes, higher versions). */
export interface VersionedChange extends PresenceChange {
  readonly version: number;
}

/** "Post `change` to the watchers of its user from cursor `after` on" (null: from the first page). */
export interface FanOutCursor {
  readonly change: VersionedChange;
  readonly after: string | null;
}

/**
 * One step of a fan-out: the next page of each cursor's watchers, posted together, so a connection
 * watching several of these users gets one frame with all their changes.
 */
export interface FanOutTask {
  readonly cursors: readonly FanOutCursor[];
}

/** Work that scales out: pages of a fan-out, each delivered at least once, in any order, possibly in parallel. */
export interface FanOutQueue {
  /** @returns the tasks that could not be queued (none when all were). */
  enqueue(tasks: readonly FanOutTask[]): Promise<readonly FanOutTask[]>;
}
