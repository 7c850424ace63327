import { KnownUsers } from '../../../lambdas/domain/known-users';

const prepare = (existing: readonly string[], capacity = 3) => {
  const lookup = jest.fn(async (userId: string) => existing.includes(userId));
  const failures: unknown[] = [];
  return { lookup, failures, users: new KnownUsers({ lookup, capacity, onLookupFailed: (error) => failures.push(error) }) };
};

it('answers whether the user exists', async () => {
  const { users } = prepare(['1']);

  expect([await users.exists('1'), await users.exists('999999')]).toEqual([true, false]);
});

it('looks a confirmed user up only once', async () => {
  const { users, lookup } = prepare(['1']);

  await users.exists('1');
  await users.exists('1');

  expect(lookup).toHaveBeenCalledTimes(1);
});

it('looks an unknown id up every time (it may be given to a later sign-up)', async () => {
  const { users, lookup } = prepare([]);

  await users.exists('7');
  await users.exists('7');

  expect(lookup).toHaveBeenCalledTimes(2);
});

it('keeps only the most recently used confirmed ids', async () => {
  const { users, lookup } = prepare(['1', '2', '3', '4']);
  for (const id of ['1', '2', '3', '1', '4']) await users.exists(id);
  lookup.mockClear();

  for (const id of ['1', '3', '4', '2']) await users.exists(id);

  expect(lookup.mock.calls).toEqual([['2']]);
});

it('lets the request through, and says so, when the lookup fails', async () => {
  const { users, lookup, failures } = prepare([]);
  lookup.mockRejectedValueOnce(Object.assign(new Error('Communications link failure'), { name: 'DatabaseErrorException' }));

  expect(await users.exists('5')).toBe(true);
  expect(failures).toHaveLength(1);
  expect(await users.exists('5')).toBe(false);
});
