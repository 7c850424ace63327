import { ScryptPasswordHasher } from '../../../lambdas/adapters/scrypt-password-hasher';

// A low cost keeps the unit test fast; the parameters travel with each hash.
const hasher = new ScryptPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });

describe('ScryptPasswordHasher', () => {
  it('verifies the password it hashed and refuses another', async () => {
    const hash = await hasher.hash('correct horse battery');

    await expect(hasher.verify('correct horse battery', hash)).resolves.toBe(true);
    await expect(hasher.verify('correct horse battery!', hash)).resolves.toBe(false);
  });

  it('salts every hash, so equal passwords hash differently', async () => {
    const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);

    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  });

  it('verifies hashes made with other parameters (they travel with the hash)', async () => {
    const stronger = await new ScryptPasswordHasher({ N: 2 ** 11, r: 8, p: 1 }).hash('pa55word!');

    await expect(hasher.verify('pa55word!', stronger)).resolves.toBe(true);
  });

  it('asks for a re-hash of hashes made at a cost other than its own, and only those', async () => {
    const weaker = await new ScryptPasswordHasher({ N: 2 ** 9, r: 8, p: 1 }).hash('pa55word!');

    expect([hasher.needsRehash(weaker), hasher.needsRehash(await hasher.hash('pa55word!')), hasher.needsRehash('md5$abc')]).toEqual([
      true,
      false,
      true,
    ]);
  });

  it('refuses a malformed stored hash instead of throwing', async () => {
    await expect(hasher.verify('anything', 'md5$abc')).resolves.toBe(false);
  });

  it.each([
    ['a cost that is not a number', 'scrypt$abc$8$1$c2FsdA$aGFzaA'],
    ['N not a power of two', 'scrypt$1000$8$1$c2FsdA$aGFzaA'],
    ['r of zero', 'scrypt$1024$0$1$c2FsdA$aGFzaA'],
  ])('refuses a stored hash with %s instead of throwing', async (_case, stored) => {
    await expect(hasher.verify('anything', stored)).resolves.toBe(false);
  });
});

describe('ScryptPasswordHasher at its default cost', () => {
  const production = new ScryptPasswordHasher();

  it("hashes at OWASP's floor, N=2^17, r=8, p=1", async () => {
    expect(await production.hash('correct horse battery')).toMatch(/^scrypt\$131072\$8\$1\$/);
  }, 30_000);

  it('still verifies hashes made at the old N=2^15', async () => {
    const old = await new ScryptPasswordHasher({ N: 2 ** 15, r: 8, p: 1 }).hash('correct horse battery');

    await expect(production.verify('correct horse battery', old)).resolves.toBe(true);
  }, 30_000);
});
