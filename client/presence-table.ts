import type { PresenceChangeJson, PresenceJson } from './wire';

/** What the client knows about one watched user. */
export interface PresenceView extends PresenceJson {
  /** The `changedAt` of the newest event applied, or null while the state comes from a snapshot only. */
  readonly changedAt: string | null;
}

interface Entry {
  view: PresenceView;
  /** Events with a `changedAt` at or before this (ms) are stale or duplicates. */
  watermark: number;
}

const sameState = (a: PresenceJson, b: PresenceJson): boolean => a.status === b.status && a.lastSeen === b.lastSeen;

/**
 * Per user, the newest known presence. Events are ordered by `changedAt` (the contract: "a client
 * keeps, per user, the change with the newest changedAt"); a snapshot has no `changedAt`, so it
 * replaces the state as of its arrival and keeps the watermark, which only ever moves forward.
 */
export class PresenceTable {
  private readonly entries = new Map<string, Entry>();

  get(userId: string): PresenceView | undefined {
    return this.entries.get(userId)?.view;
  }

  all(): PresenceView[] {
    return [...this.entries.values()].map((entry) => entry.view);
  }

  /**
   * Applies a `subscribed` snapshot entry; returns the new view when what is shown changed.
   * An offline snapshot also moves the watermark to its `lastSeen`: the change that made the user
   * offline was decided no earlier than that, so any event from before it is stale.
   */
  applySnapshot(presence: PresenceJson): PresenceView | null {
    const entry = this.entries.get(presence.userId);
    const lastSeen = presence.status === 'offline' && presence.lastSeen !== null ? Date.parse(presence.lastSeen) : Number.NEGATIVE_INFINITY;
    const watermark = Math.max(entry?.watermark ?? Number.NEGATIVE_INFINITY, Number.isNaN(lastSeen) ? Number.NEGATIVE_INFINITY : lastSeen);
    const view: PresenceView = { userId: presence.userId, status: presence.status, lastSeen: presence.lastSeen, changedAt: null };
    this.entries.set(presence.userId, { view, watermark });
    return entry !== undefined && sameState(entry.view, view) ? null : view;
  }

  /** Applies an event; returns the new view, or null when the event is stale, a duplicate, or changes nothing shown. */
  applyChange(change: PresenceChangeJson): PresenceView | null {
    const at = Date.parse(change.changedAt);
    const entry = this.entries.get(change.userId);
    // `!(a > b)` also drops an unparseable changedAt (NaN).
    if (!(at > (entry?.watermark ?? Number.NEGATIVE_INFINITY))) return null;
    const view: PresenceView = { userId: change.userId, status: change.status, lastSeen: change.lastSeen, changedAt: change.changedAt };
    this.entries.set(change.userId, { view, watermark: at });
    return entry !== undefined && sameState(entry.view, view) ? null : view;
  }

  delete(userId: string): void {
    this.entries.delete(userId);
  }
}
