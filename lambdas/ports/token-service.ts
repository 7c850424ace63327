import type { User } from './user-directory';

export interface IssuedToken {
  readonly token: string;
  /** ms since epoch */
  readonly expiresAt: number;
}

export interface Principal {
  readonly userId: string;
  readonly name: string;
}

export interface TokenService {
  issue(user: User): Promise<IssuedToken>;
  /** @throws UnauthorizedError for a malformed, forged, expired or otherwise unacceptable token. */
  verify(token: string): Promise<Principal>;
}
