import middy from '@middy/core';
import { canonicalName, parseJsonBody, parseLogin } from '../../../contract/validation';
import { assertIsError, InvalidCredentialsError } from '../../domain/errors';
import { type Admission, impossibleNameKey } from '../../domain/log-in-limit';
import { userJson } from '../../domain/present';
import { type HttpEvent, type HttpResult, httpBody, httpErrors, json } from '../../middleware/http';
import { observability } from '../../middleware/observability';
import type { Credentials } from '../../ports';
import { passwordHasher } from '../../shared/dependencies/core';
import { userDirectory } from '../../shared/dependencies/database';
import { logInLimiter } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';
import { logger } from '../../shared/logger';

/**
 * Verified against when the name is unknown, so both failures take the same time. Built at cold
 * start (Lambda's init phase), not on the first unknown name, which would take twice as long.
 */
const decoyHash = passwordHasher().hash('decoy password, never matches');
decoyHash.catch(() => undefined);

/**
 * A hash made at an older, cheaper cost is replaced by one at today's, now that the password is
 * known. Best effort: if it cannot be stored, the next log-in tries again.
 */
const upgradeHash = async (credentials: Credentials, password: string): Promise<void> => {
  if (!passwordHasher().needsRehash(credentials.passwordHash)) return;
  try {
    const replacement = await passwordHasher().hash(password);
    await userDirectory().replacePasswordHash(credentials.id, credentials.passwordHash, replacement);
  } catch (error) {
    assertIsError(error);
    logger.warn('password hash not upgraded', { error: error.message });
  }
};

/** Best effort: if the uncount fails, the attempt stays counted, which only errs on the safe side. */
const giveBack = (admission: Admission): Promise<void> =>
  admission.giveBack().catch((error: unknown) => {
    assertIsError(error);
    logger.warn('log-in attempt not uncounted', { error: error.message });
  });

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const { name, password } = parseLogin(parseJsonBody(event.body));
  const canonical = canonicalName(name);
  // Counted before the password is checked, on the name the lookup uses (contract v1.1).
  const admission = await logInLimiter().admit(canonical ?? impossibleNameKey(name), event.requestContext.http.sourceIp);
  try {
    const credentials = canonical === null ? null : await userDirectory().findCredentials(canonical);
    const valid = await passwordHasher().verify(password, credentials?.passwordHash ?? (await decoyHash));
    if (credentials === null || !valid) throw new InvalidCredentialsError('Wrong name or password');
    await upgradeHash(credentials, password);
    const { passwordHash: _hash, ...user } = credentials;
    const { token, expiresAt } = await tokenService().issue(user);
    await giveBack(admission);
    return json(200, { user: userJson(user), token, expiresAt: new Date(expiresAt).toISOString() });
  } catch (error) {
    // Only wrong credentials count: a log-in that failed on our side is no guess.
    if (!(error instanceof InvalidCredentialsError)) await giveBack(admission);
    throw error;
  }
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler).use(observability()).use(httpErrors()).use(httpBody());
