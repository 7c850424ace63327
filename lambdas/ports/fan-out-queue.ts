import type { PresenceChange } from '../domain/presence';

/** A presence change with the version of the item write that announced it (newer writes, higher versions). */
export interface VersionedChange extends PresenceChange {
  readonly version: number;
}

/** "Post `change` to the watchers of its user from cursor `after` on" (null: from the first page). */
export interface FanOutTask {
  readonly change: VersionedChange;
  readonly after: string | null;
}

/** Work that scales out: pages of a fan-out, each delivered at least once, in any order, possibly in parallel. */
export interface FanOutQueue {
  /** @returns the tasks that could not be queued (none when all were). */
  enqueue(tasks: readonly FanOutTask[]): Promise<readonly FanOutTask[]>;
}
