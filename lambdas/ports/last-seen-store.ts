export interface LastSeen {
  readonly userId: string;
  /** ms since epoch */
  readonly at: number;
}

/** The durable last-seen moment of each user (Postgres through the RDS Data API). */
export interface LastSeenStore {
  /**
   * Records when users went offline, in one statement; never moves last-seen backwards, so
   * replays and out-of-order calls are harmless. Unknown and invalid ids are skipped.
   * @returns how many users' last-seen moved forward.
   * @throws DatabaseUnavailableError when the database does not answer for now.
   */
  recordLastSeen(entries: readonly LastSeen[]): Promise<number>;
}
