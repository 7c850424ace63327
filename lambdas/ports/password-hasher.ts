export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  /** The stored hash was made otherwise than `hash` makes one now (an older, cheaper cost): hash again at the next log-in. */
  needsRehash(hash: string): boolean;
}
