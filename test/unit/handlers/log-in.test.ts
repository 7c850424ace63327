/**
 * The log-in handler when a store fails: the limit's counter, its uncount, or the user database.
 * (The limit itself is proven end to end in test/e2e/log-in-limits.test.ts.)
 */
import { ScryptPasswordHasher } from '../../../lambdas/adapters/scrypt-password-hasher';
import type { HttpEvent, HttpResult } from '../../../lambdas/middleware/http';
import { lambdaContext } from '../../helpers/lambda-context';

const admit = jest.fn();
const findCredentials = jest.fn();
const replacePasswordHash = jest.fn();
jest.mock('../../../lambdas/shared/dependencies/presence-table', () => ({ logInLimiter: () => ({ admit }) }));
jest.mock('../../../lambdas/shared/dependencies/database', () => ({ userDirectory: () => ({ findCredentials, replacePasswordHash }) }));
// The service's current cost, cheap here: hashes made at N=2^10 are "old" ones it re-hashes.
jest.mock('../../../lambdas/shared/dependencies/core', () => {
  const { ScryptPasswordHasher } = jest.requireActual('../../../lambdas/adapters/scrypt-password-hasher');
  const current = new ScryptPasswordHasher({ N: 2 ** 11, r: 8, p: 1 });
  return { passwordHasher: () => current };
});
jest.mock('../../../lambdas/shared/dependencies/tokens', () => ({
  tokenService: () => ({ issue: async () => ({ token: 'a.b.c', expiresAt: 1_900_000_000_000 }) }),
}));

import { handler } from '../../../lambdas/handlers/http/log-in';

const cheap = new ScryptPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });
const logIn = (password: string) =>
  handler(
    {
      body: JSON.stringify({ name: 'Alice', password }),
      isBase64Encoded: false,
      requestContext: { http: { sourceIp: '203.0.113.7' } },
    } as unknown as HttpEvent,
    lambdaContext({ functionName: 'httpLogIn' }),
  ) as Promise<HttpResult>;
const codeOf = (result: HttpResult) => [result.statusCode, JSON.parse(result.body ?? '{}').error?.code];

let giveBack: jest.Mock;
beforeEach(async () => {
  giveBack = jest.fn().mockResolvedValue(undefined);
  admit.mockReset().mockResolvedValue({ giveBack });
  replacePasswordHash.mockReset().mockResolvedValue(true);
  findCredentials.mockReset().mockResolvedValue({ id: '1', name: 'alice', createdAt: 0, passwordHash: await cheap.hash('correct horse') });
});

it('answers 500 internal, checking no password, when the attempt cannot be counted', async () => {
  admit.mockRejectedValue(
    Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' }),
  );

  const result = await logIn('correct horse');

  expect(codeOf(result)).toEqual([500, 'internal']);
  expect(findCredentials).not.toHaveBeenCalled();
});

it('counts under the canonical name and the client address', async () => {
  await logIn('correct horse');

  expect(admit).toHaveBeenCalledWith('alice', '203.0.113.7');
});

it('keeps a wrong password counted', async () => {
  const result = await logIn('wrong horse');

  expect([codeOf(result), giveBack.mock.calls.length]).toEqual([[401, 'invalid_credentials'], 0]);
});

it('gives the attempt back when the user database fails, and answers 500', async () => {
  findCredentials.mockRejectedValue(Object.assign(new Error('Communications link failure'), { name: 'DatabaseErrorException' }));

  const result = await logIn('correct horse');

  expect([codeOf(result), giveBack.mock.calls.length]).toEqual([[500, 'internal'], 1]);
});

it('still logs in when giving the attempt back fails', async () => {
  giveBack.mockRejectedValue(new Error('ECONNREFUSED'));

  const result = await logIn('correct horse');

  expect(result.statusCode).toBe(200);
});

it('re-hashes a password stored at an older cost on a successful log-in, replacing exactly that hash', async () => {
  const { passwordHash: old } = await findCredentials();
  findCredentials.mockResolvedValue({ id: '1', name: 'alice', createdAt: 0, passwordHash: old });

  const result = await logIn('correct horse');

  expect(result.statusCode).toBe(200);
  expect(replacePasswordHash).toHaveBeenCalledWith('1', old, expect.stringMatching(/^scrypt\$2048\$8\$1\$/));
  const [, , upgraded] = replacePasswordHash.mock.calls[0];
  await expect(new ScryptPasswordHasher().verify('correct horse', upgraded)).resolves.toBe(true);
});

it('re-hashes nothing after a wrong password, or when the hash is already at the current cost', async () => {
  await logIn('wrong horse');
  findCredentials.mockResolvedValue({
    id: '1',
    name: 'alice',
    createdAt: 0,
    passwordHash: await new ScryptPasswordHasher({ N: 2 ** 11, r: 8, p: 1 }).hash('correct horse'),
  });
  await logIn('correct horse');

  expect(replacePasswordHash).not.toHaveBeenCalled();
});

it('still logs in when the re-hash cannot be stored', async () => {
  replacePasswordHash.mockRejectedValue(Object.assign(new Error('Communications link failure'), { name: 'DatabaseErrorException' }));

  const result = await logIn('correct horse');

  expect(result.statusCode).toBe(200);
});
