/**
 * DataApiUserDirectory.replacePasswordHash against the local RDS Data API (PGlite) through the
 * real SDK: a compare-and-set, so a re-hash at log-in never overwrites a hash that changed since
 * it was read.
 */
import type { DataApiUserDirectory } from '../../../lambdas/adapters/data-api-user-directory';
import { type LocalUserDirectory, startLocalUserDirectory } from '../../helpers/data-api';

let local: LocalUserDirectory;
let directory: DataApiUserDirectory;
let switches: LocalUserDirectory['switches'];

beforeAll(async () => {
  local = await startLocalUserDirectory();
  ({ directory, switches } = local);
}, 60_000);

afterAll(async () => {
  await local?.stop();
});

beforeEach(() => {
  switches.down = false;
});

it('replaces the hash it was given with the new one', async () => {
  const user = await directory.create('rehash-a', 'scrypt$32768$old');

  const replaced = await directory.replacePasswordHash(user.id, 'scrypt$32768$old', 'scrypt$131072$new');

  expect([replaced, (await directory.findCredentials('rehash-a'))?.passwordHash]).toEqual([true, 'scrypt$131072$new']);
});

it('leaves a hash that changed since it was read, and says so', async () => {
  const user = await directory.create('rehash-b', 'scrypt$131072$changed');

  const replaced = await directory.replacePasswordHash(user.id, 'scrypt$32768$stale', 'scrypt$131072$new');

  expect([replaced, (await directory.findCredentials('rehash-b'))?.passwordHash]).toEqual([false, 'scrypt$131072$changed']);
});

it('fails with the Data API error when the database is unavailable (the log-in handler logs it and goes on)', async () => {
  const user = await directory.create('rehash-c', 'scrypt$32768$old');
  switches.down = true;

  await expect(directory.replacePasswordHash(user.id, 'scrypt$32768$old', 'scrypt$131072$new')).rejects.toMatchObject({
    name: 'DatabaseUnavailableException',
  });
});
