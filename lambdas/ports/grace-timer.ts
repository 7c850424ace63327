/** Delivers "look at this user again at `at`" (the end of an offline grace). At least once. */
export interface GraceTimer {
  schedule(userId: string, at: number): Promise<void>;
}
