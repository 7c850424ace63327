import middy from '@middy/core';
import { InvalidCredentialsError } from '../../domain/errors';
import { type Admission, impossibleNameKey } from '../../domain/log-in-limit';
import { canonicalName, parseJsonBody, parseLogin } from '../../domain/validation';
import { type HttpEvent, type HttpResult, httpBody, httpErrors, json } from '../../middleware/http';
import { passwordHasher } from '../../shared/dependencies/core';
import { userDirectory } from '../../shared/dependencies/database';
import { logInLimiter } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';
import { logger } from '../../shared/logger';
import { userJson } from './present';
import { observability } from '../../middleware/observability';

/**
 * Verified against when the name is unknown, so both failures take the same time. Built at cold
 * start (Lambda's init phase), not on the first unknown name, which would take twice as long.
 */
const decoyHash = passwordHasher().hash('decoy password, never matches');
decoyHash.catch(() => undefined);

/** Best effort: if the uncount fails, the attempt stays counted, which only errs on the safe side. */
const giveBack = (admission: Admission): Promise<void> =>
  admission.giveBack().catch((error: unknown) => logger.warn('log-in attempt not uncounted', { error: (error as Error).message }));

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const { name, password } = parseLogin(parseJsonBody(event.body));
  const canonical = canonicalName(name);
  // Counted before the password is checked, on the name the lookup uses (contract v1.1).
  const admission = await logInLimiter().admit(canonical ?? impossibleNameKey(name), event.requestContext.http.sourceIp);
  try {
    const credentials = canonical === null ? null : await userDirectory().findCredentials(canonical);
    const valid = await passwordHasher().verify(password, credentials?.passwordHash ?? (await decoyHash));
    if (credentials === null || !valid) throw new InvalidCredentialsError('Wrong name or password');
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
