import { SignJWT, UnsecuredJWT } from 'jose';
import { JwtTokenService } from '../../../lambdas/adapters/jwt-token-service';
import { UnauthorizedError } from '../../../lambdas/domain/errors';

const key = new TextEncoder().encode('k'.repeat(64));
const otherKey = new TextEncoder().encode('x'.repeat(64));
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);
const user = { id: '42', name: 'alice', createdAt: T0 };

const service = (now = T0, signingKey = key) => new JwtTokenService(async () => signingKey, { ttlSeconds: 3600, clock: () => now });

const claims = (overrides: Record<string, unknown> = {}) => ({
  name: 'alice',
  sub: '42',
  iss: 'presence-service',
  aud: 'presence-clients',
  iat: Math.floor(T0 / 1000),
  exp: Math.floor(T0 / 1000) + 3600,
  ...overrides,
});

describe('JwtTokenService', () => {
  it('round-trips a token it issued to the same principal', async () => {
    const { token, expiresAt } = await service().issue(user);

    await expect(service(T0 + 1000).verify(token)).resolves.toEqual({ userId: '42', name: 'alice' });
    expect(expiresAt).toBe(T0 + 3600 * 1000);
  });

  it('refuses an expired token', async () => {
    const { token } = await service().issue(user);

    await expect(service(T0 + 3601 * 1000).verify(token)).rejects.toThrow(UnauthorizedError);
  });

  it('refuses a token signed with another key', async () => {
    const { token } = await service(T0, otherKey).issue(user);

    await expect(service().verify(token)).rejects.toThrow(UnauthorizedError);
  });

  it('refuses alg:none', async () => {
    const token = new UnsecuredJWT(claims()).encode();

    await expect(service().verify(token)).rejects.toThrow(UnauthorizedError);
  });

  it('refuses another algorithm even with the right key', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS512' }).sign(key);

    await expect(service().verify(token)).rejects.toThrow(UnauthorizedError);
  });

  it('refuses a token whose payload was edited to claim another user', async () => {
    const { token } = await service().issue(user);
    const [header, , signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify(claims({ sub: '1' }))).toString('base64url');

    await expect(service().verify(`${header}.${forged}.${signature}`)).rejects.toThrow(UnauthorizedError);
  });

  it('refuses a token for another audience', async () => {
    const token = await new SignJWT(claims({ aud: 'someone-else' })).setProtectedHeader({ alg: 'HS256' }).sign(key);

    await expect(service().verify(token)).rejects.toThrow(UnauthorizedError);
  });

  it('refuses garbage', async () => {
    await expect(service().verify('not.a.jwt')).rejects.toThrow(UnauthorizedError);
  });

  it.each([
    ['no name', { name: undefined }],
    ['a name that is not text', { name: 42 }],
    ['no issue time', { iat: undefined }],
  ])('refuses a token signed with the right key but with %s', async (_case, overrides) => {
    const token = await new SignJWT(claims(overrides)).setProtectedHeader({ alg: 'HS256' }).sign(key);

    await expect(service().verify(token)).rejects.toThrow(UnauthorizedError);
  });

  it('fails as the key store failed, not as a refused token (a 500, not the 401 that tells a client its token is dead), when the signing key cannot be read', async () => {
    const outage = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const { token } = await service().issue(user);
    const unreadable = new JwtTokenService(() => Promise.reject(outage), { ttlSeconds: 3600, clock: () => T0 });

    await expect(unreadable.verify(token)).rejects.toBe(outage);
    await expect(unreadable.issue(user)).rejects.toBe(outage);
  });
});
