import middy from '@middy/core';
import { InvalidCredentialsError, RateLimitedError } from '../../domain/errors';
import { parseJsonBody, parseLogin } from '../../domain/validation';
import { type HttpEvent, type HttpResult, httpBody, httpErrors, json } from '../../middleware/http';
import { LOGIN_FAILURE_LIMIT, passwordHasher } from '../../shared/dependencies/core';
import { userDirectory } from '../../shared/dependencies/database';
import { loginFailures } from '../../shared/dependencies/presence-table';
import { tokenService } from '../../shared/dependencies/tokens';
import { userJson } from './present';

/** Verified against when the name is unknown, so both failures take the same time. */
let decoyHash: Promise<string> | undefined;

const lambdaHandler = async (event: HttpEvent): Promise<HttpResult> => {
  const { name, password } = parseLogin(parseJsonBody(event.body));
  const account = name.toLowerCase();
  // Password guessing is throttled per account name, whoever tries (a per-IP limit would not stop a botnet).
  if ((await loginFailures().count(account)) >= LOGIN_FAILURE_LIMIT) {
    throw new RateLimitedError('Too many failed log-ins for this name; try again in a few minutes');
  }
  const credentials = await userDirectory().findCredentials(name);
  decoyHash ??= passwordHasher().hash('decoy password, never matches');
  const valid = await passwordHasher().verify(password, credentials?.passwordHash ?? (await decoyHash));
  if (credentials === null || !valid) {
    await loginFailures().record(account);
    throw new InvalidCredentialsError('Wrong name or password');
  }
  const { passwordHash: _hash, ...user } = credentials;
  const { token, expiresAt } = await tokenService().issue(user);
  return json(200, { user: userJson(user), token, expiresAt: new Date(expiresAt).toISOString() });
};

export const handler = middy<HttpEvent, HttpResult>(lambdaHandler).use(httpErrors()).use(httpBody());
