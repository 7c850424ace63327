import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { UnauthorizedError } from '../domain/errors';
import type { Clock, IssuedToken, Principal, TokenService, User } from '../ports';

const ISSUER = 'presence-service';
const AUDIENCE = 'presence-clients';
const ALGORITHM = 'HS256';

/**
 * Signed JWTs (HS256) with an expiry. Verification pins the algorithm, issuer and audience, so
 * `alg: none` and tokens signed with any other key or algorithm are refused.
 */
export class JwtTokenService implements TokenService {
  constructor(
    private readonly signingKey: () => Promise<Uint8Array>,
    private readonly options: { readonly ttlSeconds: number; readonly clock: Clock },
  ) {}

  async issue(user: User): Promise<IssuedToken> {
    const issuedAt = Math.floor(this.options.clock() / 1000);
    const expiresAt = issuedAt + this.options.ttlSeconds;
    const token = await new SignJWT({ name: user.name })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(await this.signingKey());
    return { token, expiresAt: expiresAt * 1000 };
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = await jwtVerify(token, await this.signingKey(), {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.options.clock()),
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.name !== 'string') throw new UnauthorizedError('Token claims are invalid');
      return { userId: payload.sub, name: payload.name };
    } catch (error) {
      if (error instanceof UnauthorizedError) throw error;
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) {
        throw new UnauthorizedError(error instanceof joseErrors.JWTExpired ? 'Token expired' : 'Token is not valid', { cause: error });
      }
      throw error;
    }
  }
}
