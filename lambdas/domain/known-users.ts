/**
 * Whether a user id exists, where presence would otherwise be created for it: `$connect`, the
 * HTTP heartbeat and set-status. A correctly signed token names a user, but only a leaked signing
 * key can sign one for an id that never was a user; this check keeps such an id out of the
 * presence table.
 *
 * Cost: ids are immutable and users are never deleted, so a confirmed id stays true for the
 * container's life: a small per-container LRU of confirmed ids makes the check free for every
 * later request of that user there, and a miss costs one indexed primary-key read through the
 * Data API. A DynamoDB marker per user would make misses cheaper, but needs a write at sign-up and
 * a backfill of every existing user, for a check that only a leaked key makes fail.
 * Unknown answers are not cached: an id that is free today may be given to tomorrow's sign-up.
 * If the lookup itself fails, the check lets the request through (the token is validly signed):
 * an unavailable user database must not take presence down with it.
 */
export class KnownUsers {
  private readonly confirmed = new Map<string, true>();

  constructor(
    private readonly deps: {
      /** Whether the user exists (the user directory). */
      readonly lookup: (userId: string) => Promise<boolean>;
      /** Confirmed ids kept; the least recently used goes first. */
      readonly capacity?: number;
      /** Told when the lookup failed and the request was let through. */
      readonly onLookupFailed?: (error: unknown) => void;
    },
  ) {}

  async exists(userId: string): Promise<boolean> {
    if (this.confirmed.delete(userId)) {
      this.confirmed.set(userId, true);
      return true;
    }
    let found: boolean;
    try {
      found = await this.deps.lookup(userId);
    } catch (error) {
      this.deps.onLookupFailed?.(error);
      return true;
    }
    if (found) {
      this.confirmed.set(userId, true);
      if (this.confirmed.size > (this.deps.capacity ?? 10_000)) this.confirmed.delete(this.confirmed.keys().next().value as string);
    }
    return found;
  }
}
